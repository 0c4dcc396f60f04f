from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from production.errors import RenderError
from production.video.ffrun import Progress, fraction, parse_progress, run_ffmpeg

# what ffmpeg 5.1 prints with -progress pipe:1 (two blocks, trimmed)
SAMPLE = """frame=12
fps=0.00
out_time_us=480000
out_time_ms=480000
out_time=00:00:00.480000
speed=0.95x
progress=continue
frame=25
out_time_us=N/A
speed=N/A
progress=end
"""


def test_parses_ffmpeg_progress_blocks():
    blocks = list(parse_progress(SAMPLE.splitlines()))
    assert blocks == [Progress(480000, 12, "0.95x", False), Progress(None, 25, "N/A", True)]
    assert fraction(blocks[0], 960_000) == 0.5 and fraction(blocks[1], 960_000) == 1.0


@given(
    st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 10**6)), max_size=20),
    st.integers(1, 10**9),
)
def test_progress_round_trips_and_fractions_stay_in_range(blocks, total):
    text = "".join(
        f"frame={f}\nout_time_us={us}\nbitrate=N/A\nprogress=continue\n" for us, f in blocks
    )
    parsed = list(parse_progress(text.splitlines()))
    assert [(p.out_time_us, p.frame) for p in parsed] == blocks
    assert all(0.0 <= fraction(p, total) <= 1.0 for p in parsed)


def test_progress_reaches_one_on_a_real_encode(tmp_path):
    seen: list[float] = []
    last = run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=160x120:r=25:d=2",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            str(tmp_path / "t.mp4"),
        ],
        total_ms=2000,
        what="test encode",
        progress=lambda f, m: seen.append(f),
    )
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    assert last is not None and last.frame == 50


def test_failure_keeps_ffmpeg_evidence(tmp_path):
    with pytest.raises(
        RenderError, match=r"test encode failed \(ffmpeg exit \d+\): .*No such file"
    ):
        run_ffmpeg(
            ["-i", str(tmp_path / "missing.wav"), str(tmp_path / "x.mp4")],
            total_ms=1000,
            what="test encode",
        )
