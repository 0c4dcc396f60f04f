"""Credits -> CreditRoll: the seed's exact result, and every kind of bad input handled out loud."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from production.credits import build_credit_roll, credits_from_table, episode_credit_roll
from production.errors import EpisodeError, ProductionError, ScriptError
from production.models import Credit

from .conftest import SEED_CREDITS, SEED_ZH_ROLES


def test_seed_credits_give_8_roles_9_people_each_with_its_chinese_role() -> None:
    roll = build_credit_roll(SEED_CREDITS)
    assert len(roll.entries) == 8
    assert roll.people == 9
    assert {e.role_en: e.role_zh for e in roll.entries} == SEED_ZH_ROLES
    assert roll.warnings == ()


def test_seed_script_parsed_gives_the_same_roll(seed_script: Path) -> None:
    script = pytest.importorskip("production.script")
    text, _ = script.read_text(seed_script)
    roll = build_credit_roll(script.parse_script(text).credits)
    assert [(e.role_en, e.role_zh, e.names) for e in roll.entries] == [
        (c.role, SEED_ZH_ROLES[c.role], c.names) for c in SEED_CREDITS
    ]
    assert roll.people == 9


def test_names_keep_their_order_and_capitals() -> None:
    roll = build_credit_roll(SEED_CREDITS)
    names = [n for e in roll.entries for n in e.names]
    assert names == [n for c in SEED_CREDITS for n in c.names]
    assert "LI Yanxia" in names and "Sonia YU" in names and "ZHENG Wenjing" in names


def test_credit_without_a_role_is_a_clear_script_error() -> None:
    for role in ("", "   "):
        with pytest.raises(ScriptError) as err:
            build_credit_roll([Credit("Editor", ("LI Yanxia",)), Credit(role, ("Sonia YU",))])
        message = str(err.value)
        assert "'Sonia YU' has no role" in message and "Role: Name" in message


def test_role_with_no_names_is_left_off_with_a_warning() -> None:
    roll = build_credit_roll([Credit("Editor", ()), Credit("Host", ("Stephanie LI",))])
    assert [e.role_en for e in roll.entries] == ["Host"]
    assert any("'Editor' has no names" in w for w in roll.warnings)


def test_empty_names_inside_a_list_are_removed_with_a_warning() -> None:
    roll = build_credit_roll([Credit("Graphic Designer", ("ZHENG Wenjing", " ", "LIAO Yuanni"))])
    assert roll.entries[0].names == ("ZHENG Wenjing", "LIAO Yuanni")
    assert any("empty name" in w for w in roll.warnings)


def test_duplicate_roles_merge_names_in_order_with_a_warning() -> None:
    roll = build_credit_roll(
        [
            Credit("Host", ("Stephanie LI",)),
            Credit("Editor", ("LI Yanxia",)),
            Credit(" host ", ("Sonia YU", "Stephanie LI")),
        ]
    )
    assert [(e.role_en, e.names) for e in roll.entries] == [
        ("Host", ("Stephanie LI", "Sonia YU")),
        ("Editor", ("LI Yanxia",)),
    ]
    assert any("credited twice" in w for w in roll.warnings)
    assert any("'Stephanie LI' more than once" in w for w in roll.warnings)


@pytest.mark.parametrize(
    "written", ["ZHENG Wenjing and LIAO Yuanni", "ZHENG Wenjing & LIAO Yuanni"]
)
def test_a_name_list_with_and_becomes_two_names_with_a_warning(written: str) -> None:
    roll = build_credit_roll([Credit("Graphic Designer", (written,))])
    assert roll.entries[0].names == ("ZHENG Wenjing", "LIAO Yuanni")
    assert any(written in w and "2 name(s)" in w for w in roll.warnings)


def test_oxford_comma_leftover_and_is_removed() -> None:
    roll = build_credit_roll([Credit("Writer", ("Ann LEE", "Bo WU", "and Cy MA"))])
    assert roll.entries[0].names == ("Ann LEE", "Bo WU", "Cy MA")
    assert roll.warnings


def test_organisations_are_never_split_at_and() -> None:
    roll = build_credit_roll(
        [
            Credit("Produced by", ("Dept. of Science and Technology",)),
            Credit("Sponsored by", ("Procter and Gamble",)),
        ]
    )
    assert [e.names for e in roll.entries] == [
        ("Dept. of Science and Technology",),
        ("Procter and Gamble",),
    ]
    assert not any("read as" in w for w in roll.warnings)


def test_split_and_can_be_turned_off_for_names_given_one_by_one() -> None:
    roll = build_credit_roll([Credit("Host", ("Tom and Jerry",))], split_and=False)
    assert roll.entries[0].names == ("Tom and Jerry",)


def test_unknown_roles_are_kept_in_english_and_warned_about() -> None:
    roll = build_credit_roll([Credit("Translator", ("WANG Fang",)), *SEED_CREDITS])
    entry = roll.entries[0]
    assert (entry.role_en, entry.role_zh, entry.names, entry.taxonomy_role) == (
        "Translator",
        None,
        ("WANG Fang",),
        None,
    )
    assert len(roll.warnings) == 1 and "'Translator' is not in the role table" in roll.warnings[0]


def test_roles_match_case_insensitively_but_display_as_written() -> None:
    roll = build_credit_roll([Credit("GRAPHIC designer", ("ZHENG Wenjing",))])
    assert (roll.entries[0].role_en, roll.entries[0].role_zh) == ("GRAPHIC designer", "美术设计")


def test_chinese_names_attach_to_their_people() -> None:
    roll = build_credit_roll(SEED_CREDITS, names_zh={"LI Yanxia": "李艳霞", "Nobody HERE": "无名"})
    editor = next(e for e in roll.entries if e.role_en == "Editor")
    assert editor.names_zh == ("李艳霞",)
    assert next(e for e in roll.entries if e.role_en == "Host").names_zh == (None,)
    assert any("'Nobody HERE'" in w for w in roll.warnings)


@pytest.mark.parametrize("bad", [["李艳霞"], {"LI Yanxia": 3}, {"LI Yanxia": " "}])
def test_bad_names_zh_is_an_episode_error(bad: object) -> None:
    with pytest.raises(EpisodeError, match=r"\[names_zh\]"):
        build_credit_roll(SEED_CREDITS, names_zh=bad)  # type: ignore[arg-type]


def test_no_credits_gives_an_empty_roll_and_says_so() -> None:
    roll = build_credit_roll([])
    assert roll.entries == () and "no credits found" in roll.warnings[0]


def test_not_a_credit_is_a_script_error() -> None:
    with pytest.raises(ScriptError, match="is not Credit"):
        build_credit_roll([("Editor", "LI Yanxia")])  # type: ignore[list-item]


# --- episode.toml [credits] ------------------------------------------------------------------


def test_credits_table_keeps_order_and_accepts_a_single_string() -> None:
    credits = credits_from_table(
        {"Editor": ["LI Yanxia"], "Host": "Stephanie LI", "Graphic Designer": ["A B", "C D"]}
    )
    assert credits == (
        Credit("Editor", ("LI Yanxia",)),
        Credit("Host", ("Stephanie LI",)),
        Credit("Graphic Designer", ("A B", "C D")),
    )


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        (["Editor", "LI Yanxia"], "must be a table"),
        ({"": ["LI Yanxia"]}, "empty role name"),
        ({"  ": ["LI Yanxia"]}, "empty role name"),
        ({"Editor": []}, "'Editor' has no names"),
        ({"Editor": [""]}, "'Editor' has no names"),
        ({"Editor": ["LI Yanxia", " "]}, "'Editor' has an empty name"),
        ({"Editor": 42}, "'Editor' must be a list of names"),
        ({"Editor": ["LI Yanxia", 7]}, "'Editor' must be a list of names"),
        ({"Editor": {"name": "LI Yanxia"}}, "not dict"),
    ],
)
def test_bad_credits_tables_are_episode_errors(table: object, needle: str) -> None:
    with pytest.raises(EpisodeError) as err:
        credits_from_table(table)
    assert needle in str(err.value) and "\n" not in str(err.value)


# --- properties ----------------------------------------------------------------------------

_roles = st.sampled_from(
    ["Editor", "host", "Graphic Designer", "Produced by", "Translator", "Mixer", "", " "]
)
_name_words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=0, max_size=12
)
_credits = st.lists(
    st.builds(Credit, role=_roles, names=st.lists(_name_words, max_size=4).map(tuple)), max_size=8
)


@given(_credits)
def test_no_name_is_ever_dropped_silently(credits: list[Credit]) -> None:
    try:
        roll = build_credit_roll(credits)
    except ScriptError as err:
        assert any(not c.role.strip() for c in credits), err
        return
    shown = [n for e in roll.entries for n in e.names]
    for credit in credits:
        for raw in credit.names:
            name = raw.strip()
            pieces = [p.strip() for p in re.split(r"\s+(?:and|&)\s+", name)]
            pieces = [re.sub(r"^(?:and|&)\s+", "", p).strip() for p in pieces]
            present = name in shown or all(p in shown for p in pieces if p)
            assert present or any(repr(name) in w or "empty name" in w for w in roll.warnings), name
    assert all(n == n.strip() and n for n in shown)


@given(
    st.dictionaries(
        st.text(max_size=8),
        st.one_of(st.text(max_size=8), st.lists(st.text(max_size=8)), st.integers(), st.none()),
    )
)
def test_credits_table_never_fails_with_anything_but_an_episode_error(
    table: dict[str, object],
) -> None:
    try:
        credits = credits_from_table(table)
    except ProductionError as err:
        assert isinstance(err, EpisodeError)
        return
    assert [c.role for c in credits] == list(table)


def test_episode_table_wins_over_the_script_and_keeps_names_whole() -> None:
    table = {"Host": ["Tom and Jerry"], "Editor": "LI Yanxia"}
    roll = episode_credit_roll(SEED_CREDITS, table, {"LI Yanxia": "李艳霞"})
    assert [(e.role_en, e.names, e.names_zh) for e in roll.entries] == [
        ("Host", ("Tom and Jerry",), (None,)),
        ("Editor", ("LI Yanxia",), ("李艳霞",)),
    ]
    assert episode_credit_roll(SEED_CREDITS).people == 9  # no table: the script's credits
