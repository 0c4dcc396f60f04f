"""credits.json, <podcast:person>, ID3 TIPL and the show-notes paragraph."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from production.credits import (
    CreditRoll,
    build_credit_roll,
    credits_json,
    id3_tipl,
    podcast_persons,
    shownotes_paragraph,
    write_credits_json,
)
from production.models import Credit

from .conftest import SEED_ZH_ROLES

SEED_PERSONS = [
    ("Sonia YU", "editorial director", "writing"),
    ("LI Yanxia", "editor", "writing"),
    ("Stephanie LI", "host", "cast"),
    ("Stephanie LI", "writer", "writing"),
    ("Stephanie LI", "audio editor", "audio post-production"),
    ("ZHENG Wenjing", "graphic designer", "visuals"),
    ("LIAO Yuanni", "graphic designer", "visuals"),
    ("21st Century Business Herald Dept. of Overseas News", "producer", "creative direction"),
    ("SFC", "executive producer", "creative direction"),
]


def test_credits_json_lists_roles_names_chinese_roles_and_taxonomy(seed_roll: CreditRoll) -> None:
    doc = credits_json(seed_roll)
    assert doc["people"] == 9 and len(doc["roles"]) == 8 and doc["warnings"] == []
    assert {r["role"]: r["role_zh"] for r in doc["roles"]} == SEED_ZH_ROLES
    designer = doc["roles"][5]
    assert designer == {
        "role": "Graphic Designer",
        "role_zh": "美术设计",
        "taxonomy": {"role": "graphic designer", "group": "visuals"},
        "names": ["ZHENG Wenjing", "LIAO Yuanni"],
        "names_zh": [None, None],
    }


def test_write_credits_json_round_trips(tmp_path: Path, seed_roll: CreditRoll) -> None:
    path = write_credits_json(seed_roll, tmp_path / "build" / "credits.json")
    assert json.loads(path.read_text(encoding="utf-8")) == credits_json(seed_roll)
    assert "执行主编" in path.read_text(encoding="utf-8")  # written as UTF-8, not \\u escapes
    assert sorted(p.name for p in path.parent.iterdir()) == ["credits.json"]  # no temp file left


def test_one_podcast_person_per_person_per_role(seed_roll: CreditRoll) -> None:
    persons = podcast_persons(seed_roll)
    assert [(p["name"], p["role"], p["group"]) for p in persons] == SEED_PERSONS


def test_unknown_roles_stay_out_of_podcast_person_but_not_out_of_tipl() -> None:
    roll = build_credit_roll(
        [Credit("Translator", ("WANG Fang",)), Credit("Host", ("Stephanie LI",))]
    )
    assert [p["name"] for p in podcast_persons(roll)] == ["Stephanie LI"]
    assert id3_tipl(roll) == [("Translator", "WANG Fang"), ("Host", "Stephanie LI")]
    assert "podcast:person" in roll.warnings[0]


def test_id3_tipl_pairs_every_name_with_its_role(seed_roll: CreditRoll) -> None:
    pairs = id3_tipl(seed_roll)
    assert len(pairs) == 9
    assert pairs[5:7] == [
        ("Graphic Designer", "ZHENG Wenjing"),
        ("Graphic Designer", "LIAO Yuanni"),
    ]


def test_shownotes_paragraph_is_bilingual(seed_roll: CreditRoll) -> None:
    text = shownotes_paragraph(seed_roll)
    lines = text.splitlines()
    assert lines[0] == "**Credits · 制作团队**"
    assert "- 执行主编 Executive Editor: Sonia YU" in lines
    assert "- 美术设计 Graphic Designer: ZHENG Wenjing, LIAO Yuanni" in lines
    assert len([line for line in lines if line.startswith("- ")]) == 8


def test_shownotes_shows_chinese_names_and_escapes_markdown() -> None:
    roll = build_credit_roll(
        [Credit("Editor", ("LI Yanxia",)), Credit("Host", ("*Star* [link](x) <b>",))],
        names_zh={"LI Yanxia": "李艳霞"},
    )
    text = shownotes_paragraph(roll)
    assert "- 责任编辑 Editor: LI Yanxia 李艳霞" in text
    assert r"\*Star\* \[link\](x) \<b\>" in text


def test_empty_roll_has_no_paragraph() -> None:
    assert shownotes_paragraph(build_credit_roll([])) == ""


_MD_UNESCAPE = re.compile(r"\\([\\`*_\[\]<>|])")


@given(
    st.lists(
        st.text(min_size=1, max_size=20).filter(lambda s: s.strip() and "\n" not in s),
        min_size=1,
        max_size=4,
    )
)
def test_every_name_survives_markdown_escaping(names: list[str]) -> None:
    roll = build_credit_roll([Credit("Host", tuple(names))], split_and=False)
    body = shownotes_paragraph(roll).splitlines()[2]
    shown = _MD_UNESCAPE.sub(r"\1", body.split(": ", 1)[1])
    for name in roll.entries[0].names:
        assert " ".join(name.split()) in shown
