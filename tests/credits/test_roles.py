"""The role table: matches docs/output-rules.md "Credit roll" and the real Podcast Taxonomy; bad files fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from production.credits.roles import (
    ROLES_PATH,
    RolesFileError,
    load_roles,
    role_key,
    taxonomy_key,
)

from .conftest import SEED_ZH_ROLES

# (group, role) pairs exactly as Podcastindex-org/podcast-namespace taxonomy.json spells them,
# trailing spaces included.
TAXONOMY = (
    ("Creative Direction", "Director"),
    ("Creative Direction", "Assistant Director"),
    ("Creative Direction", "Executive Producer"),
    ("Creative Direction", "Senior Producer"),
    ("Creative Direction", "Producer "),
    ("Creative Direction", "Associate Producer"),
    ("Creative Direction", "Development Producer"),
    ("Creative Direction", "Creative Director"),
    ("Cast", "Host"),
    ("Cast", "Co-Host"),
    ("Cast", "Guest Host"),
    ("Cast", "Guest"),
    ("Cast", "Voice Actor"),
    ("Cast", "Narrator"),
    ("Cast", "Announcer"),
    ("Cast", "Reporter"),
    ("Writing", "Author"),
    ("Writing", "Editorial Director"),
    ("Writing", "Co-Writer"),
    ("Writing", "Writer"),
    ("Writing", "Songwriter"),
    ("Writing", "Guest Writer"),
    ("Writing", "Story Editor"),
    ("Writing", "Managing Editor"),
    ("Writing", "Script Editor"),
    ("Writing", "Script Coordinator"),
    ("Writing", "Researcher"),
    ("Writing", "Editor "),
    ("Writing", "Fact Checker "),
    ("Writing", "Translater "),
    ("Writing", "Transcriber"),
    ("Writing", "Logger "),
    ("Audio Production", "Studio Coordinator "),
    ("Audio Production", "Technical Director"),
    ("Audio Production", "Technical Manager"),
    ("Audio Production", "Audio Engineer"),
    ("Audio Production", "Remote Recording Engineer "),
    ("Audio Production", "Post Production Engineer"),
    ("Audio Post-Production", "Audio Editor "),
    ("Audio Post-Production", "Sound Designer "),
    ("Audio Post-Production", "Foley Artist "),
    ("Audio Post-Production", "Composer"),
    ("Audio Post-Production", "Theme Music"),
    ("Audio Post-Production", "Music Production"),
    ("Audio Post-Production", "Music Contributor"),
    ("Administration", "Production Coordinator"),
    ("Administration", "Booking Coordinator"),
    ("Administration", "Production Assistant"),
    ("Administration", "Content Manager"),
    ("Administration", "Marketing Manager"),
    ("Administration", "Sales Representative"),
    ("Administration", "Sales Manager"),
    ("Visuals", "Graphic Designer"),
    ("Visuals", "Cover Art Designer "),
    ("Community", "Social Media Manager"),
    ("Misc.", "Consultant"),
    ("Misc.", "Intern"),
    ("Video Production", "Camera Operator"),
    ("Video Production", "Lighting Designer"),
    ("Video Production", "Camera Grip"),
    ("Video Production", "Assistant Camera"),
    ("Video Post-Production", "Editor"),
    ("Video Post-Production", "Assistant Editor"),
)
TAXONOMY_KEYS = {(taxonomy_key(group), taxonomy_key(role)) for group, role in TAXONOMY}


def test_shipped_table_has_the_guidelines_chinese_roles() -> None:
    roles = load_roles()
    assert {en: roles[role_key(en)].zh for en in SEED_ZH_ROLES} == SEED_ZH_ROLES


def test_every_taxonomy_pair_in_the_table_is_in_the_real_taxonomy() -> None:
    for info in set(load_roles().values()):
        assert info.taxonomy_role is not None, f"{info.en} has no taxonomy role"
        assert (info.taxonomy_group, info.taxonomy_role) in TAXONOMY_KEYS, info


def test_taxonomy_comparison_is_trimmed_and_case_insensitive() -> None:
    # the taxonomy file writes "Audio Editor " with a trailing space
    assert taxonomy_key("Audio Editor ") == taxonomy_key("audio editor") == "audio editor"
    assert load_roles()[role_key("Sound Editor")].taxonomy_role == "audio editor"


@pytest.mark.parametrize(
    "spelling", ["graphic designer", "  Graphic   Designer ", "GRAPHIC DESIGNER"]
)
def test_script_roles_match_case_insensitively_and_trimmed(spelling: str) -> None:
    assert load_roles()[role_key(spelling)].zh == "美术设计"


def test_aliases_resolve_to_their_role() -> None:
    assert load_roles()[role_key("Audio Editor")].en == "Sound Editor"


def test_editors_can_correct_the_table_without_code(tmp_path: Path) -> None:
    text = ROLES_PATH.read_text(encoding="utf-8").replace('zh = "执行主编"', 'zh = "常务主编"')
    corrected = tmp_path / "roles.toml"
    corrected.write_text(text, encoding="utf-8")
    assert load_roles(corrected)[role_key("Executive Editor")].zh == "常务主编"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[roles.Editor]\nzh = '责任编辑'\ncolour = 'red'\n", "unknown key 'colour'"),
        ("[roles.Editor]\ntaxonomy_role = 'editor'\ntaxonomy_group = 'writing'\n", "needs zh"),
        ("[roles.Editor]\nzh = '责任编辑'\ntaxonomy_role = 'editor'\n", "give both or neither"),
        ("[roles.Editor]\nzh = '责任编辑'\naliases = 'Ed'\n", "aliases must be a list"),
        ("[roles.Editor]\nzh = '责任编辑'\norganisation = 'yes'\n", "true or false"),
        (
            "[roles.Editor]\nzh = '责任编辑'\n[roles.Ed]\nzh = '编辑'\naliases = ['editor']\n",
            "listed twice",
        ),
        ("[roles.'']\nzh = '编辑'\n", "empty English name"),
        ("[roles]\nEditor = '责任编辑'\n", "must be a table"),
        ("title = 'no roles here'\n", "no [roles"),
        ("[roles.Editor\nzh = 1\n", "not valid TOML"),
    ],
)
def test_bad_roles_files_fail_with_a_clear_message(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "roles.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RolesFileError, match=None) as err:
        load_roles(path)
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_roles_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(RolesFileError, match="not found"):
        load_roles(tmp_path / "nope.toml")
