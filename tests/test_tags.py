"""ID3v2.4 tags: every frame read back (mutagen; chapters by ffprobe too), checks, round trips."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mutagen.id3 import ID3, CTOCFlags
from PIL import Image

from production.errors import AlignmentError, EpisodeError
from production.models import Credit
from production.tags import Chapter, EpisodeTags, check_cover, credit_pairs, read_tags, write_tags

REPO = Path(__file__).resolve().parents[1]
COVER = REPO / "assets" / "artwork" / "cover.png"


@pytest.fixture(scope="module")
def blank_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One second of silence as a 44.1 kHz CBR MP3, without any tag."""
    path = tmp_path_factory.mktemp("mp3") / "blank.mp3"
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "anullsrc=r=44100:cl=stereo",
            "-t",
            "1",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "192k",
            "-id3v2_version",
            "0",
            "-write_id3v1",
            "0",
            str(path),
        ],
        check=True,
    )
    return path


@pytest.fixture()
def mp3(blank_mp3: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(blank_mp3, tmp_path / "ep.mp3"))


FULL = EpisodeTags(
    title="Battery passports: Chinese cell makers learn to show their work",
    show="CBN Perspective",
    host="Maya CHEN",
    date="2026-11-27",
    publisher="CBN",
    comment="From February 2027 every EV battery sold in the EU must carry a digital passport.",
    lyrics="Welcome to the new CBN Perspective.\nR&D matters — 研发 too.",
    credits=(("Host", "Maya CHEN"), ("Sound Editor", "Li Wei"), ("Graphic Designer", "Zhao Lan")),
)
CHAPTERS = (
    Chapter("Opening", 0, 4000),
    Chapter("Battery passports: what changes", 4000, 61_250),
    Chapter("视角 · Credits", 61_250, 75_000),
)


def test_every_tag_reads_back(mp3: Path) -> None:
    write_tags(mp3, FULL, CHAPTERS, COVER)
    tags = read_tags(mp3)
    assert tags["version"] == "2.4.0"
    assert (
        tags["title"],
        tags["show"],
        tags["host"],
        tags["date"],
        tags["publisher"],
        tags["comment"],
    ) == (FULL.title, FULL.show, FULL.host, FULL.date, FULL.publisher, FULL.comment)
    assert (tags["lyrics"], tags["lyrics_lang"]) == (FULL.lyrics, "eng")
    assert tags["credits"] == list(FULL.credits)
    assert tags["cover"] == {
        "mime": "image/png",
        "type": 3,
        "width": 3000,
        "height": 3000,
        "bytes": COVER.stat().st_size,
        "count": 1,
    }
    assert [(c["title"], c["start_ms"], c["end_ms"]) for c in tags["chapters"]] == [
        (c.title, c.start_ms, c.end_ms) for c in CHAPTERS
    ]
    assert [c["element_id"] for c in tags["chapters"]] == ["chp0", "chp1", "chp2"]
    assert tags["tocs"] == [
        {
            "element_id": "toc",
            "top_level": True,
            "ordered": True,
            "children": ["chp0", "chp1", "chp2"],
        }
    ]


def test_raw_frames_are_the_ones_podcast_apps_read(mp3: Path) -> None:
    write_tags(mp3, FULL, CHAPTERS, COVER)
    tag = ID3(mp3)
    assert tag.version == (2, 4, 0)
    for frame in (
        "TIT2",
        "TALB",
        "TPE1",
        "TDRC",
        "TPUB",
        "COMM::eng",
        "USLT::eng",
        "TIPL",
        "APIC:Cover",
        "CTOC:toc",
    ):
        assert frame in tag, frame
    toc = tag["CTOC:toc"]
    assert toc.flags == CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED
    assert [tag[f"CHAP:chp{i}"].sub_frames["TIT2"].text[0] for i in range(3)] == [
        c.title for c in CHAPTERS
    ]


def test_ffprobe_lists_the_chapters_in_order(mp3: Path) -> None:
    # mutagen orders frames by size; ffmpeg lists CHAP frames in file order: keep them in time order
    long_first = (Chapter("A very long first chapter title indeed", 0, 500), Chapter("B", 500, 900))
    write_tags(mp3, FULL, long_first, None)
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(mp3)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert [
        (c["tags"]["title"], int(c["start"]), int(c["end"])) for c in json.loads(out)["chapters"]
    ] == [(c.title, c.start_ms, c.end_ms) for c in long_first]


def test_writing_again_replaces_the_tag(mp3: Path) -> None:
    write_tags(mp3, FULL, CHAPTERS, COVER)
    write_tags(mp3, EpisodeTags(title="Second"), CHAPTERS[:1], None)
    tags = read_tags(mp3)
    assert (
        tags["title"],
        tags["host"],
        tags["cover"],
        len(tags["chapters"]),
        len(tags["tocs"]),
    ) == ("Second", "", None, 1, 1)


def test_an_untagged_file_reads_as_empty(mp3: Path) -> None:
    assert read_tags(mp3)["version"] is None


def test_control_characters_never_reach_the_tag(mp3: Path) -> None:
    write_tags(mp3, EpisodeTags(title="Two\x00values?\n  No"), [Chapter("A\x00B", 0, 10)], None)
    tags = read_tags(mp3)
    assert tags["title"] == "Two values? No"
    assert tags["chapters"][0]["title"] == "A B"


def test_credits_become_one_pair_per_name() -> None:
    credits = (Credit("Host", ("Maya CHEN",)), Credit("Sound Editor", ("Li Wei", "Zhao Lan")))
    assert credit_pairs(credits) == (
        ("Host", "Maya CHEN"),
        ("Sound Editor", "Li Wei"),
        ("Sound Editor", "Zhao Lan"),
    )


@pytest.mark.parametrize(
    ("size", "fmt", "words"),
    [
        ((1000, 1000), "PNG", "1400–3000"),
        ((3000, 2000), "PNG", "square"),
        ((3200, 3200), "JPEG", "1400–3000"),
        ((1500, 1500), "GIF", "PNG or JPEG"),
    ],
)
def test_cover_art_must_be_square_png_or_jpeg_of_1400_to_3000_px(
    tmp_path: Path, size: tuple[int, int], fmt: str, words: str
) -> None:
    path = tmp_path / f"cover.{fmt.lower()}"
    Image.new("RGB", size, (200, 100, 50)).save(path, format=fmt)
    with pytest.raises(EpisodeError, match=words):
        check_cover(path)


def test_a_good_jpeg_cover_passes(tmp_path: Path) -> None:
    path = tmp_path / "c.jpg"
    Image.new("RGB", (1400, 1400), (200, 100, 50)).save(path, format="JPEG")
    assert check_cover(path).mime == "image/jpeg"


def test_missing_or_broken_cover_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(EpisodeError, match="not found"):
        check_cover(tmp_path / "none.png")
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(EpisodeError, match="not a readable image"):
        check_cover(tmp_path / "bad.png")


@pytest.mark.parametrize(
    ("chapters", "words"),
    [
        ([Chapter("A", 500, 500)], "ends before it starts"),
        ([Chapter("A", 0, 900), Chapter("B", 800, 1000)], "overlaps"),
        ([Chapter("  ", 0, 10)], "no title"),
        ([Chapter("A", -5, 10)], "ends before it starts"),
        ([Chapter("A", 0, 2**32)], "49 days"),
    ],
)
def test_bad_chapters_are_refused(mp3: Path, chapters: list[Chapter], words: str) -> None:
    with pytest.raises(AlignmentError, match=words):
        write_tags(mp3, FULL, chapters, None)


@pytest.mark.parametrize(
    ("tags", "words"),
    [
        (EpisodeTags(title=" "), "no title"),
        (EpisodeTags(title="x", date="27/11/2026"), "YYYY-MM-DD"),
    ],
)
def test_bad_episode_fields_are_refused(mp3: Path, tags: EpisodeTags, words: str) -> None:
    with pytest.raises(EpisodeError, match=words):
        write_tags(mp3, tags, [], None)


# ------------------------------------------------------------------------------- property

clean_text = (
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=60)
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)


@st.composite
def chapter_lists(draw: st.DrawFn) -> list[Chapter]:
    cuts = sorted(draw(st.sets(st.integers(0, 2**32 - 1), min_size=2, max_size=20)))
    titles = draw(st.lists(clean_text, min_size=len(cuts) - 1, max_size=len(cuts) - 1))
    return [Chapter(t, a, b) for t, a, b in zip(titles, cuts, cuts[1:], strict=False)]


@given(
    title=clean_text,
    host=clean_text,
    chapters=chapter_lists(),
    credits=st.lists(st.tuples(clean_text, clean_text), max_size=5),
)
def test_property_tags_round_trip(
    blank_mp3: Path,
    tmp_path_factory: pytest.TempPathFactory,
    title: str,
    host: str,
    chapters: list[Chapter],
    credits: list[tuple[str, str]],
) -> None:
    mp3 = Path(shutil.copy(blank_mp3, tmp_path_factory.mktemp("prop") / "ep.mp3"))
    write_tags(mp3, EpisodeTags(title=title, host=host, credits=tuple(credits)), chapters, None)
    tags = read_tags(mp3)
    assert (tags["title"], tags["host"], tags["credits"]) == (title, host, credits)
    assert [(c["title"], c["start_ms"], c["end_ms"]) for c in tags["chapters"]] == [
        (c.title, c.start_ms, c.end_ms) for c in chapters
    ]
    # and the CHAP frames sit in the file in time order (players that ignore CTOC read them so)
    assert [f.element_id for f in ID3(mp3).getall("CHAP")] == [
        f"chp{i}" for i in range(len(chapters))
    ]


def test_genre_and_copyright_frames(mp3: Path) -> None:
    write_tags(mp3, EpisodeTags(title="t", copyright="© 2026 CBN"), ())
    tags = read_tags(mp3)
    assert (tags["genre"], tags["copyright"]) == ("Podcast", "© 2026 CBN")
    write_tags(mp3, EpisodeTags(title="t"), ())
    assert "TCOP" not in ID3(mp3) and read_tags(mp3)["genre"] == "Podcast"


@pytest.mark.parametrize(
    ("episode_host", "credits", "show_host", "expected"),
    [
        ("Maya CHEN", (("Host", "Ada LIN"),), "Show Host", "Maya CHEN"),  # episode.toml first
        ("", (("Writer", "Bo"), ("Host", "Ada LIN"), ("host", "Li Wei")), "Show Host", "Ada LIN, Li Wei"),
        ("  ", (("Writer", "Bo"),), "Show Host", "Show Host"),  # else the show's default host
        ("", (), "", ""),
    ],
)
def test_tpe1_comes_from_episode_then_credits_then_show(
    episode_host: str, credits: tuple[tuple[str, str], ...], show_host: str, expected: str
) -> None:
    from production.tags import tag_host

    assert tag_host(episode_host, credits, show_host) == expected
