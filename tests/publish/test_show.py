"""show.toml: read once at the episodes root, inherited by episode.toml, validated key by key."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from production.episode import load_episode
from production.errors import EpisodeError
from production.show import PODCAST_GUID_NAMESPACE, Show, load_show

from .conftest import FIRST, SHOW_BASE, SHOW_TOML


def test_show_toml_loads_every_key(show_root: Path) -> None:
    show = load_show(show_root)
    assert show.present and show.title == "CBN Perspective" and show.title_zh == "CBN视角"
    assert show.base_url == SHOW_BASE and show.cover == (show_root / "cover.png").resolve()
    assert (show.owner_name, show.owner_email) == ("CBN Podcasts", "podcast@example.com")
    assert show.categories == ("News/Business News", "Business")
    assert show.explicit is False and show.copyright == "© 2026 CBN" and show.host == "Ana Host"
    assert show.feed_url == SHOW_BASE + "feed.xml"


def test_podcast_guid_is_the_uuid5_of_the_feed_url(show_root: Path) -> None:
    # Podcasting 2.0 <podcast:guid>: uuidv5(namespace, feed URL without scheme and trailing slash)
    expected = uuid.uuid5(PODCAST_GUID_NAMESPACE, "media.example.com/perspective/feed.xml")
    assert load_show(show_root).effective_podcast_guid == str(expected)
    # the namespace document's own worked example (docs/1.0.md#guid)
    example = uuid.uuid5(PODCAST_GUID_NAMESPACE, "mp3s.nashownotes.com/pc20rss.xml")
    assert str(example) == "917393e3-1b1e-5cef-ace4-edaa54e1f810"


def test_episode_inherits_the_show(show_root: Path) -> None:
    ep = load_episode(show_root / FIRST, require_audio=False)
    assert ep.show == "CBN Perspective"
    assert ep.base_url == f"{SHOW_BASE}{FIRST}/"
    assert ep.cover == (show_root / "cover.png").resolve()
    assert ep.host == ""  # the host is resolved for the tag: episode, else credits' Host, else show
    assert ep.show_settings is not None and ep.show_settings.host == "Ana Host"


def test_episode_overrides_the_show(show_root: Path) -> None:
    toml = show_root / FIRST / "episode.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + 'show = "Other Show"\nbase_url = "https://cdn.example.org/x/"\n[credits]\nHost = ["Bo"]\n',
        encoding="utf-8",
    )
    (show_root / "show.toml").write_text(SHOW_TOML + '\n[credits]\nEditor = ["LI Yanxia"]\n', encoding="utf-8")
    ep = load_episode(show_root / FIRST, require_audio=False)
    assert (ep.show, ep.base_url, ep.credits) == ("Other Show", "https://cdn.example.org/x/", {"Host": ["Bo"]})


def test_standing_credits_apply_when_the_episode_has_none(show_root: Path) -> None:
    (show_root / "show.toml").write_text(SHOW_TOML + '\n[credits]\nEditor = ["LI Yanxia"]\n', encoding="utf-8")
    assert load_episode(show_root / FIRST, require_audio=False).credits == {"Editor": ["LI Yanxia"]}


def test_no_show_toml_is_the_default_show(tmp_path: Path) -> None:
    show = load_show(tmp_path)
    assert show == Show(root=tmp_path.resolve())
    assert show.feed_url == "" and show.effective_podcast_guid == ""


BAD = [
    ("unknown key", 'titel = "x"\n', "show.toml: 'titel' is not a known key"),
    ("wrong type", "title = 42\n", "show.toml: 'title' must be a string"),
    ("empty title", 'title = " "\n', "show.toml: 'title' is empty"),
    ("bad url", 'base_url = "media.example.com"\n', "show.toml: 'base_url' = 'media.example.com' is not"),
    ("bad explicit", 'explicit = "no"\n', "show.toml: 'explicit' must be true or false"),
    ("bad categories", "categories = [1]\n", "show.toml: 'categories' must list"),
    ("deep category", 'categories = ["A/B/C"]\n', "more than one '/'"),
    ("bad type", 'type = "daily"\n', "show.toml: 'type' must be one of episodic, serial"),
    ("bad owner key", '[owner]\nmail = "a@b.c"\n', "show.toml: 'owner.mail' is not a known key"),
    ("bad email", '[owner]\nemail = "nobody"\n', "show.toml: 'owner.email' = 'nobody' is not an e-mail"),
    ("missing cover", 'cover = "nope.png"\n', "show.toml: 'cover' names nope.png, which does not exist"),
    ("outside cover", 'cover = "../../etc/passwd"\n', "show.toml: 'cover' = '../../etc/passwd' points outside"),
    ("bad toml", "title = \n", "show.toml is not valid TOML"),
    ("bad exclude", "publish_exclude = 3\n", "show.toml: 'publish_exclude' must list"),
]


@pytest.mark.parametrize(("case", "toml", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_show_toml_is_one_clear_error(tmp_path: Path, case: str, toml: str, message: str) -> None:
    (tmp_path / "show.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(EpisodeError, match=message.replace("(", r"\(").replace(".", r"\.")) as info:
        load_show(tmp_path)
    assert "\n" not in str(info.value)


def test_a_bad_show_toml_stops_load_episode(show_root: Path) -> None:
    (show_root / "show.toml").write_text('title = "x"\nhost = 1\n', encoding="utf-8")
    with pytest.raises(EpisodeError, match="show.toml: 'host' must be a string"):
        load_episode(show_root / FIRST, require_audio=False)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(max_size=40), host=st.text(max_size=20))
def test_property_any_text_value_loads_or_fails_cleanly(tmp_path: Path, title: str, host: str) -> None:
    import json

    # JSON string escapes are valid TOML basic-string escapes for every code point but these
    body = f"title = {json.dumps(title)}\nhost = {json.dumps(host)}\n"
    (tmp_path / "show.toml").write_text(body, encoding="utf-8", errors="surrogatepass")
    try:
        show = load_show(tmp_path)
    except EpisodeError as err:
        assert "show.toml" in str(err)
        return
    assert show.title == title.strip() and show.host == host.strip()
