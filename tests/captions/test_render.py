"""The bilingual ASS drawn by the real ffmpeg/libass: both languages, real CJK glyphs.

The check on the Chinese line counts its connected ink components per character: a drawn
Han character has several separate strokes or radicals (杭 州 六 小 …), a missing glyph is one
hollow box. The same cue is also rendered with a font set that lacks CJK glyphs, to prove the
measure tells the two apart (the test would fail on tofu).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from production.captions import CaptionSettings, build_captions, write_captions
from production.captions.fonts import font_dir
from production.models import ZhPair
from production.tools import require

from .synth import timed

ZH = "杭州六小龙正在掀起创新浪潮"  # 13 Han characters, no Latin
EN = "Hangzhou's six small dragons make waves."
INK = 90  # luma above which a pixel is glyph fill (white text; black outline and shadow)
TOFU_NOTICE = "failed to find any fallback with glyph"


def _render(ass: Path, png: Path, fonts: Path, env: dict[str, str] | None = None) -> str:
    ffmpeg = require("ffmpeg")
    vf = f"subtitles={ass.name}:fontsdir={fonts}"
    cmd = [
        ffmpeg,
        "-hide_banner",
        "-loglevel",
        "warning",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "color=c=black:s=1920x1080:d=2",
        "-vf",
        vf,
        "-ss",
        "1",
        "-frames:v",
        "1",
        "-update",
        "1",
        png.name,
    ]
    proc = subprocess.run(
        cmd, cwd=ass.parent, capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr[-500:]
    return proc.stderr


def _bands(ink: np.ndarray) -> list[tuple[int, int]]:
    """Row ranges that hold ink, separated by at least 8 empty rows."""
    rows = np.flatnonzero(ink.any(axis=1))
    bands, start = [], rows[0]
    for prev, row in zip(rows, rows[1:], strict=False):
        if row - prev > 8:
            bands.append((start, prev + 1))
            start = row
    bands.append((start, rows[-1] + 1))
    return bands


def _components_per_char(ink: np.ndarray, band: tuple[int, int], chars: int) -> float:
    labels, count = ndimage.label(ink[band[0] : band[1]], structure=np.ones((3, 3)))
    sizes = ndimage.sum_labels(np.ones_like(labels), labels, range(1, count + 1))
    return float(np.sum(sizes >= 6)) / chars  # specks of antialiasing don't count


@pytest.fixture(scope="module")
def stacked_ass(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("render")
    sentences = timed([[EN]], start_ms=200)
    cs = build_captions(sentences, [ZhPair((sentences[0].id,), ZH + "。")], CaptionSettings())
    assert len(cs.bilingual) == 1 and cs.bilingual[0].lines == (ZH, EN)
    assert cs.bilingual[0].start_ms < 1000 < cs.bilingual[0].end_ms
    write_captions(cs, folder, "render", CaptionSettings())
    return folder / "render.bilingual.ass"


def test_bilingual_frame_shows_both_languages_in_real_glyphs(stacked_ass, tmp_path) -> None:
    png = stacked_ass.parent / "real.png"
    stderr = _render(stacked_ass, png, font_dir())
    assert TOFU_NOTICE not in stderr
    ink = np.asarray(Image.open(png).convert("L")) > INK
    bands = _bands(ink)
    assert len(bands) == 2, bands  # Chinese line over English line
    (zh_top, zh_bottom), (en_top, en_bottom) = bands
    assert zh_bottom < en_top and en_bottom > 1080 * 0.85  # near the bottom, Chinese above
    assert zh_bottom - zh_top > en_bottom - en_top  # Chinese larger
    per_char = _components_per_char(ink, bands[0], len(ZH))
    assert per_char >= 2.0, f"Chinese line has {per_char:.2f} ink components per character"
    letters = sum(ch.isalpha() for ch in EN)
    english = _components_per_char(ink, bands[1], letters)
    assert 0.8 <= english <= 1.5, f"English line has {english:.2f} components per letter"
    print(
        f"\nreal render: {per_char:.2f} components per Chinese character, "
        f"{english:.2f} per English letter"
    )


def test_the_glyph_check_fails_on_tofu(stacked_ass, tmp_path) -> None:
    """Same cue, fontconfig limited to DejaVu (no CJK): libass draws boxes; the measure sees it."""
    dejavu = next(Path("/usr/share/fonts").rglob("DejaVuSans.ttf"), None)
    if dejavu is None:
        pytest.fail("DejaVu fonts (fonts-dejavu-core) are needed for the tofu control render")
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"  <dir>{dejavu.parent}</dir>\n"
        f"  <cachedir>{tmp_path / 'fc-cache'}</cachedir>\n</fontconfig>\n"
    )
    png = stacked_ass.parent / "tofu.png"
    stderr = _render(
        stacked_ass, png, dejavu.parent, env={**os.environ, "FONTCONFIG_FILE": str(conf)}
    )
    assert TOFU_NOTICE in stderr
    ink = np.asarray(Image.open(png).convert("L")) > INK
    bands = _bands(ink)
    per_char = _components_per_char(ink, bands[0], len(ZH))
    print(f"\ntofu render: {per_char:.2f} components per Chinese character")
    assert 0.5 < per_char < 1.5, f"tofu line scored {per_char:.2f} components per character"
