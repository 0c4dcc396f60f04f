"""Roll geometry: whole-pixel scroll plans that cross the text area; layouts inside it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from production.credits import CreditRoll, RollSettings, build_credit_roll, roll_settings
from production.credits.layout import (
    check_settings,
    frame_count,
    layout_columns,
    layout_stacked,
    plan_roll,
    safe_box,
    text_box,
)
from production.errors import EpisodeError, RenderError
from production.models import Credit


def test_title_safe_is_90_percent_centred() -> None:
    box = safe_box(RollSettings())
    assert (box.x, box.y, box.w, box.h) == (96, 54, 1728, 972)
    text = text_box(RollSettings())
    assert (
        text.y >= box.y and text.y + text.h == box.y + box.h and (text.x, text.w) == (box.x, box.w)
    )


def test_seed_roll_scrolls_at_a_whole_speed_by_default(seed_roll: CreditRoll) -> None:
    settings = RollSettings()
    layout = layout_stacked(seed_roll, settings)
    plan = plan_roll(layout.image.height, settings)
    assert plan is not None and plan.mode == "scroll"
    assert (
        isinstance(plan.px_per_frame, int) and 3 <= plan.px_per_frame <= settings.max_px_per_frame
    )
    assert plan.frames == 500  # 20 s at 25 fps
    kinds = [line.kind for line in layout.lines]
    assert kinds.count("name") == 9 and kinds.count("role_zh") == 8 and kinds.count("role_en") == 8


def test_every_line_of_a_layout_is_inside_its_image(seed_roll: CreditRoll) -> None:
    settings = RollSettings()
    for layout in (layout_stacked(seed_roll, settings), layout_columns(seed_roll, settings)):
        w, h = layout.image.size
        assert w == safe_box(settings).w
        for line in layout.lines:
            left, top, right, bottom = line.ink
            assert 0 <= left < right <= w and 0 <= top < bottom <= h, line


def test_compact_card_fits_the_text_area(seed_roll: CreditRoll) -> None:
    settings = RollSettings()
    layout = layout_columns(seed_roll, settings)
    assert layout.image.height <= text_box(settings).h - 2 * settings.fade_px
    assert [line.text for line in layout.lines if line.kind == "role"][
        0
    ] == "执行主编  Executive Editor"


def test_long_names_wrap_inside_the_safe_width() -> None:
    roll = build_credit_roll([Credit("Produced by", (" ".join(["Overseas News Department"] * 8),))])
    layout = layout_stacked(roll, RollSettings())
    names = [line for line in layout.lines if line.kind == "name"]
    assert len(names) > 1 and all(line.ink[2] <= layout.image.width for line in names)


def test_too_many_credits_for_any_card_is_a_clear_error() -> None:
    roll = build_credit_roll([Credit(f"Role {i}", (f"Person NUMBER{i}",)) for i in range(80)])
    with pytest.raises(RenderError, match="lengthen duration_ms"):
        layout_columns(roll, RollSettings(duration_ms=2000))


@given(
    height=st.integers(1, 20_000),
    fps=st.sampled_from([24, 25, 30, 50]),
    duration_ms=st.integers(1000, 60_000),
    ppf=st.integers(1, 6),
    extra=st.integers(0, 20),
)
def test_scroll_plans_are_whole_pixels_and_cross_the_text_area(
    height: int, fps: int, duration_ms: int, ppf: int, extra: int
) -> None:
    settings = RollSettings(
        fps=fps, duration_ms=duration_ms, px_per_frame=ppf, max_px_per_frame=ppf + extra
    )
    box = text_box(settings)
    plan = plan_roll(height, settings)
    frames = frame_count(settings)
    if plan is None:  # only when a scroll would have to go faster than allowed
        assert (box.h + height) > settings.max_px_per_frame * (frames - 1)
        return
    assert plan.frames == frames
    if plan.mode == "card":
        assert plan.px_per_frame == 0 and height <= box.h - 2 * settings.fade_px
        assert (
            settings.fade_px <= plan.start_y and plan.start_y + height <= box.h - settings.fade_px
        )
        return
    assert isinstance(plan.px_per_frame, int)
    assert settings.px_per_frame <= plan.px_per_frame <= settings.max_px_per_frame
    assert plan.start_y >= box.h  # frame 0: nothing shown yet, the roll enters from the bottom
    assert plan.start_y - (frames - 1) * plan.px_per_frame + height <= 0  # last frame: all gone


@pytest.mark.parametrize(
    "bad",
    [
        RollSettings(fps=0),
        RollSettings(px_per_frame=0),
        RollSettings(px_per_frame=7, max_px_per_frame=6),
        RollSettings(width=1921),
        RollSettings(title_safe=1.5),
        RollSettings(fade_px=600),
        RollSettings(role_colour="not-a-colour"),
        RollSettings(duration_ms=10),
    ],
)
def test_impossible_settings_are_render_errors(bad: RollSettings) -> None:
    with pytest.raises(RenderError, match="fix RollSettings|use #RRGGBB"):
        check_settings(bad)


def test_episode_overrides_become_settings() -> None:
    settings = roll_settings({"duration_ms": 15000, "px_per_frame": 2, "title_safe": 1})
    assert (settings.duration_ms, settings.px_per_frame, settings.title_safe) == (15000, 2, 1.0)


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"speed": 3}, "unknown key 'speed'"),
        ({"fps": "25"}, "fps must be a whole number, not '25'"),
        ({"fps": True}, "fps must be a whole number"),
        ({"font_family": 3}, "font_family must be a string"),
        ({"fps": 0}, "fps must be a whole number"),
    ],
)
def test_bad_episode_overrides_are_episode_errors(
    overrides: dict[str, object], needle: str
) -> None:
    with pytest.raises(EpisodeError, match=r"\[credit_roll\]") as err:
        roll_settings(overrides)
    assert needle in str(err.value)
