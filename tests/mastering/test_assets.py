"""The show's own audio and artwork (assets/make_assets.py): what mastering and video rely on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from production.mastering.media import decode_float

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def pcm(path: Path) -> np.ndarray:
    return decode_float(path)[0]


def test_the_bed_loops_without_a_seam() -> None:
    bed = pcm(ASSETS / "audio" / "outro_bed.flac")
    steps = np.abs(np.diff(bed, axis=0))
    seam = np.abs(bed[0] - bed[-1])
    assert bed.shape == (int(19.2 * 48000), 2)
    assert np.all(seam <= np.percentile(steps, 99.9, axis=0))


def test_the_sting_rings_out_to_silence() -> None:
    sting = pcm(ASSETS / "audio" / "intro_sting.flac")
    assert len(sting) == int(3.6 * 48000)
    assert np.max(np.abs(sting[-480:])) < 0.01  # the last 10 ms
    assert 20 * np.log10(np.max(np.abs(sting))) == pytest.approx(-3.0, abs=0.1)


def test_artwork_sizes() -> None:
    with Image.open(ASSETS / "artwork" / "cover.png") as cover:
        assert cover.size == (3000, 3000)
    with Image.open(ASSETS / "artwork" / "background.png") as background:
        assert background.size == (1920, 1080)


@pytest.mark.slow
def test_make_assets_rebuilds_what_is_committed(tmp_path: Path) -> None:
    script = ASSETS / "make_assets.py"
    subprocess.run(
        [sys.executable, str(script), "--out", str(tmp_path)], check=True, capture_output=True
    )
    for rel in ("audio/intro_sting.flac", "audio/outro_bed.flac"):
        assert np.max(np.abs(pcm(tmp_path / rel) - pcm(ASSETS / rel))) <= 1.5 / 32768  # ≤ 1 LSB
    for rel in ("artwork/cover.png", "artwork/background.png"):
        with Image.open(tmp_path / rel) as fresh, Image.open(ASSETS / rel) as committed:
            a, b = np.asarray(fresh.convert("RGB")), np.asarray(committed.convert("RGB"))
            assert a.shape == b.shape
            assert (
                np.mean(np.any(a != b, axis=2)) < 0.01
            )  # font rasterising may differ by a few pixels
