"""Caption fonts fall back per character (issue 20, Build 6): a Hebrew or Arabic name in the
captions is drawn by a Noto family in the ASS and in the burn-in; a character no installed font
draws is one warning, not a failed produce. The produced episode here also has a 246-character
folder name (issue 20: outputs append suffixes to the slug)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pysubs2
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from production.captions import CaptionSettings
from production.captions.fonts import charset
from production.captions.formats.ass import AssFormat
from production.credits.fonts import find_font
from production.models import Cue
from production.video import VideoSettings, render_video
from tests.video import media

from .conftest import SCRIPT, ZH, cli, error_lines, write_episode

HEBREW, ARABIC = "דוד כהן", "محمد علي"
NO_FONT = "\ue000"  # private use: no font draws it
LETTERS = [(ch, "Noto Sans Hebrew") for ch in "דוכהן"] + [(ch, "Noto Sans Arabic") for ch in "محدعلي"]
CUE_MS = 600
EN_SIZE = 48  # assets/caption_styles.toml [styles.English] size (script px at 1080 lines)
CAPTION_TOP = 820  # px: the caption area of the 1080-line frame starts here


def _need_fonts() -> None:
    for family in ("Noto Sans Hebrew", "Noto Sans Arabic"):
        if charset(family) is None:
            pytest.skip(f"{family} is not installed (Debian fonts-noto-core; make setup installs it)")


def _glyph(ch: str, family: str, size: int) -> np.ndarray:
    """``ch`` drawn by Pillow in ``family``, thickened like libass's outline (the reference)."""
    face = find_font(family)
    font = ImageFont.truetype(str(face.path), size, index=face.index)
    box = font.getbbox(ch)
    img = Image.new("L", (box[2] - box[0] + 8, box[3] - box[1] + 8), 0)
    ImageDraw.Draw(img).text((4 - box[0], 4 - box[1]), ch, font=font, fill=255)
    return np.asarray(img.filter(ImageFilter.MaxFilter(5))) > 127


@pytest.fixture(scope="module")
def letters_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One cue per Hebrew and Arabic letter, in the English style (Noto Sans CJK SC, which has
    neither script), written by the toolkit's ASS writer and burned in; and the same video clean."""
    _need_fonts()
    folder = tmp_path_factory.mktemp("fonts")
    cues = [Cue(i * CUE_MS + 100, (i + 1) * CUE_MS, (ch,), "en") for i, (ch, _) in enumerate(LETTERS)]
    ass = folder / "letters.ass"
    ass.write_text(AssFormat().dumps(cues, CaptionSettings()), encoding="utf-8")
    audio = media.write_speech(folder / "host.wav", seconds=len(LETTERS) * CUE_MS / 1000 + 0.5)
    burned, clean = folder / "burned.mp4", folder / "clean.mp4"
    for out, burn_in in ((burned, True), (clean, False)):
        # constant 25 fps: both videos get the same frames, so they differ only by the burned text
        render_video(out, audio, "Fonts", "Ada LIN", VideoSettings(burn_in=burn_in, fps=25), ass=ass)
    return burned, clean


def test_the_ass_names_a_fallback_font_for_hebrew_and_arabic(tmp_path: Path) -> None:
    _need_fonts()
    cue = Cue(0, 2000, (f"with {HEBREW} and {ARABIC}.",), "en")
    text = AssFormat().dumps([cue], CaptionSettings())
    assert f"{{\\fnNoto Sans Hebrew}}{HEBREW} {{\\fn}}" in text
    assert f"{{\\fnNoto Sans Arabic}}{ARABIC}{{\\fn}}" in text
    assert [c.lines for c in AssFormat().loads(text, "en")] == [cue.lines]  # reads back without the tags
    assert pysubs2.SSAFile.from_string(text).events[0].plaintext == cue.lines[0]


@pytest.mark.parametrize("index", range(len(LETTERS)), ids=[f"U+{ord(ch):04X}" for ch, _ in LETTERS])
def test_every_hebrew_and_arabic_letter_is_ink_not_a_box(letters_video, index: int) -> None:
    """The ink check of the Chinese captions (tests/video/test_render.py): the burned letter has
    the shape of the letter in its Noto font, not that of an empty box (tofu)."""
    burned, clean = letters_video
    ch, family = LETTERS[index]
    at = (index * CUE_MS + 100 + (index + 1) * CUE_MS) / 2000
    diff = media.changed(media.frame_at(burned, at), media.frame_at(clean, at))
    assert diff[:CAPTION_TOP].sum() < 200, "nothing above the caption area may change"
    ink = diff[CAPTION_TOP:]
    assert ink.sum() > 100, f"no ink for {ch!r}"
    drawn = media.crop_to_content(ink)
    glyph = media.shape_similarity(drawn, _glyph(ch, family, EN_SIZE))
    box = media.shape_similarity(drawn, media.box_mask(drawn.shape, 1))
    # measured: 0.56-0.93 against the letter (x264 noise at 12.5 and 25 fps), -0.78 to 0.02 against
    # a box; the bound sits midway between the two groups
    assert glyph > 0.3 and glyph > box + 0.4, (ch, glyph, box)


@pytest.fixture(scope="module")
def unusual_episode(template_episode: Path, tmp_path_factory: pytest.TempPathFactory):
    """The tiny episode in a 246-character folder, Hebrew and Arabic names in the script and the
    translation, and one character no font draws; produced by the CLI."""
    _need_fonts()
    folder = tmp_path_factory.mktemp("unusual") / ("2026-11-27-" + "long-name-" * 23 + "x" * 5)
    assert len(folder.name) == 246
    script = SCRIPT.replace("I’m Ada Lin.", f"I’m Ada Lin, with {HEBREW} and {ARABIC} {NO_FONT}.")
    zh = ZH.replace("我是林雅。", f"我是林雅，还有{HEBREW}和{ARABIC}。")
    write_episode(folder, script=script, zh=zh, audio_from=template_episode / "host.wav")
    return folder, cli("produce", "-q", folder)


def test_a_246_character_folder_name_produces(unusual_episode) -> None:
    folder, proc = unusual_episode
    assert proc.returncode == 0, proc.stderr
    outputs = sorted(p.name for p in (folder / "build").glob("*.mp*"))
    assert len(outputs) == 2 and all(len(name.encode()) <= 255 for name in outputs), outputs
    assert outputs[0].startswith(folder.name[:100])


def test_hebrew_and_arabic_names_produce_with_fallback_fonts(unusual_episode) -> None:
    folder, proc = unusual_episode
    assert proc.returncode == 0, proc.stderr
    ass = next((folder / "build").glob("*.bilingual.ass")).read_text(encoding="utf-8")
    assert "\\fnNoto Sans Hebrew" in ass and "\\fnNoto Sans Arabic" in ass
    assert (folder / "build" / "manifest.json").is_file()
    checked = cli("check", folder)  # the font switches are not taken for markup
    assert checked.returncode == 0, checked.stderr


def test_a_character_no_font_draws_is_one_warning(unusual_episode) -> None:
    folder, proc = unusual_episode
    assert proc.returncode == 0, proc.stderr
    warnings = [ln for ln in error_lines(proc) if "U+E000" in ln]
    assert len(warnings) == 1, proc.stderr
    assert re.search(r"warning: no installed font draws .* \(U\+E000\)", warnings[0])
    assert "fonts-noto-core" in warnings[0]
