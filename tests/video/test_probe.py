from __future__ import annotations

import io
import struct
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from production.errors import RenderError
from production.video import check_video, probe_video, top_level_atoms
from production.video.probe import moov_before_mdat, read_atoms

BOX_TYPES = st.sampled_from(["ftyp", "moov", "mdat", "free", "skip", "uuid", "meta"])


def box(kind: str, payload: int, large: bool) -> bytes:
    if large:
        return struct.pack(">I4sQ", 1, kind.encode(), 16 + payload) + bytes(payload)
    return struct.pack(">I4s", 8 + payload, kind.encode()) + bytes(payload)


@given(st.lists(st.tuples(BOX_TYPES, st.integers(0, 300), st.booleans()), min_size=1, max_size=8))
def test_atoms_round_trip(boxes):
    data = b"".join(box(*b) for b in boxes)
    atoms = read_atoms(io.BytesIO(data), len(data))
    assert [a[0] for a in atoms] == [b[0] for b in boxes]
    assert [a[2] for a in atoms] == [(16 if large else 8) + n for _, n, large in boxes]
    assert atoms[0][1] == 0 and all(
        a[1] + a[2] == b[1] for a, b in zip(atoms, atoms[1:], strict=False)
    )


def test_size_zero_runs_to_the_end():
    data = box("ftyp", 4, False) + struct.pack(">I4s", 0, b"mdat") + bytes(50)
    assert read_atoms(io.BytesIO(data), len(data))[-1] == ("mdat", 12, 58)


@given(st.binary(min_size=1, max_size=64))
def test_garbage_fails_loudly_or_parses_consistently(data):
    try:
        atoms = read_atoms(io.BytesIO(data), len(data))
    except RenderError as err:
        assert "render the video again" in str(err)
    else:
        assert sum(a[2] for a in atoms) == len(data)


@pytest.mark.parametrize("cut", [3, 10, 20])
def test_truncated_file_is_a_render_error(cut):
    data = (box("ftyp", 8, False) + box("moov", 30, False))[:-cut]
    with pytest.raises(RenderError, match="byte"):
        read_atoms(io.BytesIO(data), len(data))


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        (["ftyp", "moov", "mdat"], True),
        (["ftyp", "mdat", "moov"], False),
        (["ftyp", "free", "mdat"], False),
        (["moov"], False),
    ],
)
def test_moov_before_mdat(kinds, expected):
    assert moov_before_mdat([(k, 0, 8) for k in kinds]) is expected


def test_check_video_lists_every_departure_from_the_spec(tmp_path):
    """A small, wrong file: Baseline 320x240, mono 44.1 kHz, no caption tracks, moov at the end."""
    path = tmp_path / "wrong.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=s=320x240:d=1",
            "-f",
            "lavfi",
            "-i",
            "sine=d=1:sample_rate=44100",
            "-c:v",
            "libx264",
            "-profile:v",
            "baseline",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            str(path),
        ],
        check=True,
    )
    info = probe_video(path)
    assert not info["moov_before_mdat"] and top_level_atoms(path)[-1][0] == "moov"
    problems = check_video(path, True, audio_ms=3000)
    joined = " | ".join(problems)
    expected = ("Baseline 320x240", "expected h264 High 1920x1080", "44100 Hz", "no English")
    expected += ("no Chinese", "moov", "duration 1000 ms")
    assert [e for e in expected if e not in joined] == []
    assert not any("Chinese" in p for p in check_video(path, False))


def test_probe_of_a_missing_file_says_so(tmp_path):
    with pytest.raises(RenderError, match="render it first"):
        probe_video(tmp_path / "none.mp4")
