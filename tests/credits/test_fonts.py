"""The CJK font is found through fontconfig and checked for every character before drawing."""

from __future__ import annotations

import pytest

from production.credits.fonts import (
    FONT_PACKAGE,
    check_coverage,
    find_font,
    load_font,
    missing_glyphs,
)
from production.errors import RenderError, ToolMissingError


def test_noto_sans_cjk_sc_is_found() -> None:
    face = find_font("Noto Sans CJK SC")
    assert face.path.is_file()
    assert load_font(face, 40).getname()[0] == "Noto Sans CJK SC"


def test_a_missing_font_names_the_package_to_install() -> None:
    with pytest.raises(ToolMissingError) as err:
        find_font("No Such Font CJK QX")
    assert FONT_PACKAGE in str(err.value) and "apt-get install" in str(err.value)


def test_missing_glyphs_finds_what_the_font_cannot_draw() -> None:
    font = load_font(find_font("Noto Sans CJK SC"), 40)
    assert missing_glyphs(font, "执行主编 Executive Editor LI Yanxia 李艳霞 · é") == []
    assert missing_glyphs(font, "Anna \U00013000") == ["\U00013000"]  # Egyptian hieroglyph


def test_coverage_check_names_the_character() -> None:
    face = find_font("Noto Sans CJK SC")
    with pytest.raises(RenderError, match="U\\+13000"):
        check_coverage(load_font(face, 40), face, ["Anna \U00013000"])
