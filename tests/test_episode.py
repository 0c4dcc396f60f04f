"""episode.toml validation: every bad file gives one EpisodeError naming the key or path."""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from production.episode import SAFE_SLUG, load_episode, slug_for
from production.errors import EpisodeError
from production.publish.inputs import slugify

GOOD = """
title = "Batteries: the passport question"
date = 2026-11-27
script = "script.txt"
host_audio = "host.wav"
"""


def make_episode(tmp_path: Path, toml: str = GOOD, files: tuple[str, ...] = ("script.txt", "host.wav")) -> Path:
    folder = tmp_path / "2026-11-27-sample"
    folder.mkdir()
    (folder / "episode.toml").write_text(toml, encoding="utf-8")
    for name in files:
        (folder / name).write_bytes(b"x")
    return folder


def test_good_episode_loads_with_defaults(tmp_path: Path) -> None:
    ep = load_episode(make_episode(tmp_path))
    assert ep.title == "Batteries: the passport question"
    assert ep.date == dt.date(2026, 11, 27)
    assert ep.show == "CBN Perspective"
    assert ep.slug == "2026-11-27-sample"
    assert ep.script.name == "script.txt" and ep.script.is_absolute()
    assert ep.translation is None
    assert ep.build_dir == ep.folder / "build"


def test_date_as_string_is_accepted(tmp_path: Path) -> None:
    ep = load_episode(make_episode(tmp_path, GOOD.replace("2026-11-27", '"2026-11-27"')))
    assert ep.date == dt.date(2026, 11, 27)


BAD_CASES = [
    ("missing title", GOOD.replace('title = "Batteries: the passport question"\n', ""), "'title' is missing"),
    ("unknown key", GOOD + 'titel = "x"\n', "'titel' is not a known key"),
    ("wrong type", GOOD.replace('"Batteries: the passport question"', "42"), "'title' must be a string"),
    ("bad date", GOOD.replace("2026-11-27", '"27/11/2026"'), "'date' must be a date"),
    ("impossible date", GOOD.replace("2026-11-27", '"2026-02-30"'), "'date' must be a date"),
    ("empty title", GOOD.replace('"Batteries: the passport question"', '"  "'), "'title' is empty"),
    ("bad engine", GOOD + 'engine = "magic"\n', "'engine' must be one of"),
    ("outside path", GOOD.replace('"script.txt"', '"../../etc/passwd"'), "points outside the episode folder"),
    (
        "missing script",
        GOOD.replace('"script.txt"', '"nothere.txt"'),
        "'script' names nothere.txt, which does not exist",
    ),
    ("missing audio", GOOD.replace('"host.wav"', '"gone.wav"'), "'host_audio' names gone.wav"),
    ("not toml", "title = \n", "is not valid TOML"),
    ("time without offset", GOOD.replace("2026-11-27", "2026-11-27T09:30:00"), "has a time but no UTC offset"),
    ("credits wrong type", GOOD + "[credits]\nEditor = 3\n", "role 'Editor' must list names"),
]


@pytest.mark.parametrize("case,toml,expected", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_episode_toml_names_the_problem(tmp_path: Path, case: str, toml: str, expected: str) -> None:
    with pytest.raises(EpisodeError, match=expected.replace("(", r"\(")) as info:
        load_episode(make_episode(tmp_path, toml))
    assert "\n" not in str(info.value)


def test_no_episode_toml(tmp_path: Path) -> None:
    with pytest.raises(EpisodeError, match="no episode.toml"):
        load_episode(tmp_path)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(EpisodeError, match="episode folder not found"):
        load_episode(tmp_path / "nope")


def test_symlink_leaving_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    folder = make_episode(tmp_path, files=("host.wav",))
    os.symlink(outside, folder / "script.txt")
    with pytest.raises(EpisodeError, match="points outside the episode folder"):
        load_episode(folder)


def test_audio_not_required_for_demo(tmp_path: Path) -> None:
    ep = load_episode(make_episode(tmp_path, files=("script.txt",)), require_audio=False)
    assert not ep.host_audio.exists()


def test_non_ascii_and_spaces_in_names(tmp_path: Path) -> None:
    folder = make_episode(tmp_path, GOOD.replace('"host.wav"', '"主持人 录音.wav"'), ("script.txt", "主持人 录音.wav"))
    assert load_episode(folder).host_audio.name == "主持人 录音.wav"


# ------------------------------------------------------------------ dates with a time (issue 21)
DATE_TIMES = ["2026-12-01T09:30:00+08:00", '"2026-12-01T09:30:00+08:00"', '"2026-12-01 09:30+08:00"']


@pytest.mark.parametrize("written", DATE_TIMES)
def test_a_date_with_a_time_and_offset_keeps_both(tmp_path: Path, written: str) -> None:
    ep = load_episode(make_episode(tmp_path, GOOD.replace("2026-11-27", written)))
    assert ep.date == dt.date(2026, 12, 1) and type(ep.date) is dt.date
    assert ep.published == dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_a_plain_date_has_no_published_moment(tmp_path: Path) -> None:
    assert load_episode(make_episode(tmp_path)).published is None


def test_the_pubdate_is_the_moment_written(tmp_path: Path) -> None:
    from production.publish.feed import pub_date
    from production.publish.inputs import DEFAULT_SETTINGS

    ep = load_episode(make_episode(tmp_path, GOOD.replace("2026-11-27", "2026-12-01T09:30:00+08:00")))
    assert pub_date(ep.date, DEFAULT_SETTINGS, ep.published) == "Tue, 01 Dec 2026 09:30:00 +0800"
    assert pub_date(ep.date, DEFAULT_SETTINGS) == "Tue, 01 Dec 2026 00:00:00 +0000"


# ------------------------------------------------------------------ Unicode names (issue 21)
NFC = "Café Perspective é"  # composed: what Linux and Windows keyboards type
NFD = unicodedata.normalize("NFD", NFC)  # decomposed: what macOS file names hold


def test_the_same_visible_folder_name_in_nfc_and_nfd_is_one_slug_and_show(tmp_path: Path) -> None:
    assert NFC != NFD
    nfc = load_episode(make_episode(tmp_path, GOOD + f'show = "{NFD}"\n').rename(tmp_path / NFC))
    nfd = load_episode(make_episode(tmp_path, GOOD + f'show = "{NFC}"\n').rename(tmp_path / NFD))
    assert nfc.folder.name != nfd.folder.name  # two folders on disk …
    assert nfc.slug == nfd.slug and SAFE_SLUG.fullmatch(nfc.slug)  # … one name for outputs and the guid
    assert nfc.show == nfd.show == NFC and slugify(nfc.show) == slugify(nfd.show)


@pytest.mark.parametrize("toml_form,file_form", [("NFC", "NFD"), ("NFD", "NFC")])
def test_files_are_found_whatever_their_normalisation(tmp_path: Path, toml_form: str, file_form: str) -> None:
    def spell(form: str, text: str) -> str:
        return unicodedata.normalize(form, text)  # type: ignore[arg-type]

    audio, script = "hôte enregistré.wav", "Thème/script é.txt"
    toml = GOOD.replace('"host.wav"', f'"{spell(toml_form, audio)}"').replace(
        '"script.txt"', f'"{spell(toml_form, script)}"'
    )
    folder = make_episode(tmp_path, toml, files=())
    (folder / spell(file_form, "Thème")).mkdir()
    for name in (audio, script):
        (folder / spell(file_form, name)).write_bytes(b"x")
    ep = load_episode(folder)
    assert ep.host_audio == (folder / spell(file_form, audio)).resolve() and ep.host_audio.is_file()
    assert ep.script == (folder / spell(file_form, script)).resolve() and ep.script.is_file()
    # the episode folder itself, typed in the other form
    on_disk = folder.rename(tmp_path / spell(file_form, NFC))
    typed = tmp_path / spell(toml_form, NFC)
    assert load_episode(typed).folder == on_disk.resolve()


def test_an_exact_name_wins_over_another_normalisation(tmp_path: Path) -> None:
    toml = GOOD.replace('"host.wav"', f'"{NFC}.wav"')
    folder = make_episode(tmp_path, toml, files=("script.txt", f"{NFC}.wav", f"{NFD}.wav"))
    assert load_episode(folder).host_audio.name == f"{NFC}.wav"


@given(st.text(min_size=1, max_size=40).filter(lambda t: "/" not in t and "\x00" not in t))
def test_property_slug_is_the_same_in_every_normalisation(name: str) -> None:
    slugs = {slug_for(unicodedata.normalize(form, name)) for form in ("NFC", "NFD")}  # type: ignore[arg-type]
    assert len(slugs) == 1 and SAFE_SLUG.fullmatch(slugs.pop())
