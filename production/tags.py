"""ID3v2.4 tags for the MP3 master (mutagen): text frames, cover art, chapters, lyrics, credits.

Frames written (ID3v2.4.0 structure and frames documents; ID3 chapter addendum v1.0):

| what | frame |
|---|---|
| title, show, host | ``TIT2``, ``TALB``, ``TPE1`` (host: see :func:`tag_host`) |
| genre, copyright | ``TCON`` ("Podcast"), ``TCOP`` (when the show has a copyright) |
| date, publisher | ``TDRC`` (YYYY-MM-DD), ``TPUB`` |
| comment | ``COMM`` (language ``eng``, empty description) |
| cover | ``APIC`` type 3 (front cover), PNG or JPEG, square, 1400–3000 px |
| chapters | one ``CHAP`` per chapter (``chp0``, ``chp1``, …; start/end ms; ``TIT2`` sub-frame) |
| table of contents | one ``CTOC`` (``toc``), flags top-level + ordered, children in chapter order |
| script | ``USLT`` (language ``eng``) |
| credits | ``TIPL``: (role, name) pairs, one pair per name |

CHAP frames are put in time order in the file as well (mutagen orders frames by size; ffmpeg
and some players list chapters in file order instead of following the CTOC).

Chapter times here are **master** times (what a listener's player shows). ``mastering.master``
shifts host-read times by its intro before calling ``write_tags``.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutagen import MutagenError
from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    TALB,
    TCON,
    TCOP,
    TDRC,
    TIPL,
    TIT2,
    TPE1,
    TPUB,
    USLT,
    CTOCFlags,
    ID3NoHeaderError,
    PictureType,
)
from mutagen.mp3 import MP3
from PIL import Image, UnidentifiedImageError

from .errors import AlignmentError, AudioError, EpisodeError
from .models import Credit

ID3_VERSION = 4  # ID3v2.4: UTF-8 text, TDRC/TIPL exist only in 2.4
UTF8 = 3  # mutagen's text encoding id for UTF-8 (ID3v2.4 only)
LANGUAGE = "eng"  # ISO 639-2 code for COMM/USLT: the show is in English
TOC_ID = "toc"  # element id of the one top-level CTOC
CHAPTER_ID = "chp{}"  # chp0, chp1, … (element ids are Latin-1, unique per tag)
NO_OFFSET = 0xFFFFFFFF  # CHAP byte offsets "not used" (ID3 chapter addendum §3)
MAX_CHAPTER_MS = 0xFFFFFFFF  # CHAP start/end times are 32-bit milliseconds
COVER_MIN_PX = 1400  # Apple Podcasts artwork requirements: square, 1400–3000 px
COVER_MAX_PX = 3000
COVER_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}  # Apple: JPEG or PNG
GENRE = "Podcast"  # TCON: ID3v2.4 allows free text; Apple's own tools write "Podcast"
HOST_ROLE = "host"  # the credits role whose name is the MP3's artist when episode.toml has none

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # NUL separates ID3 text values: never in text


@dataclass(frozen=True)
class Chapter:
    """A chapter of the master: its title and where it starts and ends (ms)."""

    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class EpisodeTags:
    """What the MP3's tag says about the episode."""

    title: str  # episode title (TIT2)
    show: str = "CBN Perspective"  # the podcast's name (TALB)
    host: str = ""  # presenter (TPE1)
    date: str = ""  # publication date, YYYY-MM-DD (TDRC)
    publisher: str = ""  # TPUB
    comment: str = ""  # short description (COMM)
    lyrics: str = ""  # the script as read (USLT)
    credits: tuple[tuple[str, str], ...] = ()  # (role, name) pairs (TIPL)
    cover: Path | None = None  # episode artwork; None = the show's cover
    genre: str = GENRE  # TCON
    copyright: str = ""  # TCOP ("" = no frame), from show.toml


@dataclass(frozen=True)
class CoverInfo:
    mime: str
    width: int
    height: int


def credit_pairs(credits: Sequence[Credit]) -> tuple[tuple[str, str], ...]:
    """Credits as TIPL wants them: one (role, name) pair per name, in script order."""
    return tuple((c.role, name) for c in credits for name in c.names)


def tag_host(episode_host: str, credits: Sequence[tuple[str, str]], show_host: str = "") -> str:
    """The MP3's artist (TPE1): episode.toml's host, else the credits' Host (names joined with
    ", "), else the show's default host; "" when none names one."""
    if episode_host.strip():
        return episode_host.strip()
    hosts = [name for role, name in credits if role.strip().lower() == HOST_ROLE and name.strip()]
    if hosts:
        return ", ".join(dict.fromkeys(h.strip() for h in hosts))
    return show_host.strip()


def _clean(text: str, multiline: bool = False) -> str:
    text = _CONTROL.sub(" ", text)
    return text if multiline else " ".join(text.split())


def check_cover(path: str | os.PathLike[str]) -> CoverInfo:
    """Cover art must be a square PNG or JPEG of 1400–3000 px; raise EpisodeError otherwise."""
    p = Path(path)
    try:
        with Image.open(p) as img:
            fmt, (w, h) = img.format or "", img.size
    except FileNotFoundError as err:
        raise EpisodeError(
            f"cover art not found: {p}; fix the path or run `python assets/make_assets.py`"
        ) from err
    except (UnidentifiedImageError, OSError) as err:
        raise EpisodeError(
            f"cover art {p.name} is not a readable image; export it as PNG or JPEG"
        ) from err
    if fmt not in COVER_FORMATS:
        raise EpisodeError(
            f"cover art {p.name} is {fmt or 'an unknown format'}: export it as PNG or JPEG"
        )
    if w != h or not COVER_MIN_PX <= w <= COVER_MAX_PX:
        raise EpisodeError(
            f"cover art {p.name} is {w}×{h} px: podcast apps need a square image of "
            f"{COVER_MIN_PX}–{COVER_MAX_PX} px; resize it"
        )
    return CoverInfo(COVER_FORMATS[fmt], w, h)


def check_chapters(chapters: Sequence[Chapter]) -> None:
    """Chapters must be titled, in order, non-overlapping, not empty; else AlignmentError."""
    previous_end = 0
    for i, ch in enumerate(chapters):
        where = f"chapter {i + 1} ({ch.title!r}, {ch.start_ms}–{ch.end_ms} ms)"
        if not _clean(ch.title):
            raise AlignmentError(f"{where} has no title; give every section a heading")
        if ch.start_ms < 0 or ch.end_ms <= ch.start_ms:
            raise AlignmentError(
                f"{where} ends before it starts; check the alignment's section times"
            )
        if ch.end_ms > MAX_CHAPTER_MS:
            raise AlignmentError(
                f"{where} ends later than an ID3 chapter can (49 days); check the times are in ms"
            )
        if ch.start_ms < previous_end:
            raise AlignmentError(
                f"{where} overlaps the chapter before it; chapters must be in order"
            )
        previous_end = ch.end_ms


def check_tags(tags: EpisodeTags) -> None:
    if not _clean(tags.title):
        raise EpisodeError("the episode has no title; set `title` in episode.toml")
    if tags.date:
        try:
            dt.date.fromisoformat(tags.date)
        except ValueError as err:
            raise EpisodeError(
                f"date {tags.date!r} is not YYYY-MM-DD; fix `date` in episode.toml"
            ) from err


def _chapter_frames(chapters: Sequence[Chapter]) -> list[CHAP | CTOC]:
    ids = [CHAPTER_ID.format(i) for i in range(len(chapters))]
    frames: list[CHAP | CTOC] = [
        CHAP(
            element_id=cid,
            start_time=ch.start_ms,
            end_time=ch.end_ms,
            start_offset=NO_OFFSET,
            end_offset=NO_OFFSET,
            sub_frames=[TIT2(encoding=UTF8, text=[_clean(ch.title)])],
        )
        for cid, ch in zip(ids, chapters, strict=True)
    ]
    frames.append(
        CTOC(
            element_id=TOC_ID,
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=ids,
            sub_frames=[TIT2(encoding=UTF8, text=["Chapters"])],
        )
    )
    return frames


def _text_frames(tags: EpisodeTags) -> list[Any]:
    table: list[tuple[str, Any]] = [
        (tags.title, lambda v: TIT2(encoding=UTF8, text=[v])),
        (tags.show, lambda v: TALB(encoding=UTF8, text=[v])),
        (tags.host, lambda v: TPE1(encoding=UTF8, text=[v])),
        (tags.date, lambda v: TDRC(encoding=UTF8, text=[v])),
        (tags.publisher, lambda v: TPUB(encoding=UTF8, text=[v])),
        (tags.comment, lambda v: COMM(encoding=UTF8, lang=LANGUAGE, desc="", text=[v])),
        (tags.genre, lambda v: TCON(encoding=UTF8, text=[v])),
        (tags.copyright, lambda v: TCOP(encoding=UTF8, text=[v])),
    ]
    frames = [make(_clean(value)) for value, make in table if _clean(value)]
    if tags.lyrics.strip():
        frames.append(
            USLT(encoding=UTF8, lang=LANGUAGE, desc="", text=_clean(tags.lyrics, multiline=True))
        )
    pairs = [
        [_clean(role), _clean(name)] for role, name in tags.credits if _clean(role) and _clean(name)
    ]
    if pairs:
        frames.append(TIPL(encoding=UTF8, people=pairs))
    return frames


def write_tags(
    mp3_path: str | os.PathLike[str],
    tags: EpisodeTags,
    chapters: Sequence[Chapter],
    cover: str | os.PathLike[str] | None = None,
) -> None:
    """Replace the MP3's tag with an ID3v2.4 tag built from ``tags``, ``chapters`` and ``cover``.

    Writes in place: call it on the temporary file before it is renamed into place.
    """
    check_tags(tags)
    check_chapters(chapters)
    tag = ID3()
    for frame in _text_frames(tags):
        tag.add(frame)
    if cover is not None:
        info = check_cover(cover)
        tag.add(
            APIC(
                encoding=UTF8,
                mime=info.mime,
                type=PictureType.COVER_FRONT,
                desc="Cover",
                data=Path(cover).read_bytes(),
            )
        )
    if chapters:
        for frame in _chapter_frames(chapters):
            tag.add(frame)
    try:
        tag.save(os.fspath(mp3_path), v2_version=ID3_VERSION, v1=0)
    except MutagenError as err:
        raise AudioError(
            f"cannot write the ID3 tag into {Path(mp3_path).name} ({err}); encode the MP3 again"
        ) from err
    put_chapters_in_time_order(Path(mp3_path))


def _syncsafe(b: bytes) -> int:
    return (b[0] << 21) | (b[1] << 14) | (b[2] << 7) | b[3]


def _frame_spans(tag: bytes) -> list[tuple[int, int]]:
    """(start, end) byte offsets of each frame in an ID3v2.4 tag body (header excluded)."""
    spans, pos = [], 0
    while pos + 10 <= len(tag) and tag[pos : pos + 4] != b"\0\0\0\0":
        end = pos + 10 + _syncsafe(tag[pos + 4 : pos + 8])
        spans.append((pos, end))
        pos = end
    return spans


def _chap_start(frame: bytes) -> int:
    data = frame[10:]
    id_end = data.index(b"\0")
    return int.from_bytes(data[id_end + 1 : id_end + 5], "big")


def put_chapters_in_time_order(mp3_path: Path) -> None:
    """Rewrite the tag with its CHAP frames in chapter order, in place (same size).

    mutagen orders frames by size, but ffmpeg and some players list CHAP frames in file order
    rather than by CTOC; every other frame keeps its place.
    """
    with open(mp3_path, "r+b") as fh:
        header = fh.read(10)
        if header[:3] != b"ID3" or header[3] != ID3_VERSION or header[5] & 0x50:
            return  # not a plain v2.4 tag (extended header or footer): leave it as it is
        body = fh.read(_syncsafe(header[6:10]))
        frames = [body[a:b] for a, b in _frame_spans(body)]
        chaps = iter(sorted((f for f in frames if f[:4] == b"CHAP"), key=_chap_start))
        ordered = b"".join(next(chaps) if f[:4] == b"CHAP" else f for f in frames)
        fh.seek(10)
        fh.write(ordered)


def _text(tag: ID3, frame_id: str) -> str:
    frame = tag.get(frame_id)
    return str(frame.text[0]) if frame is not None and frame.text else ""


def _cover(tag: ID3) -> dict[str, Any] | None:
    pics = tag.getall("APIC")
    if not pics:
        return None
    pic = pics[0]
    try:
        with Image.open(io.BytesIO(pic.data)) as img:
            w, h = img.size
    except (UnidentifiedImageError, OSError):
        w = h = 0
    return {
        "mime": pic.mime,
        "type": int(pic.type),
        "width": w,
        "height": h,
        "bytes": len(pic.data),
        "count": len(pics),
    }


def _chapters(tag: ID3) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    chaps = {f.element_id: f for f in tag.getall("CHAP")}
    tocs = [
        {
            "element_id": t.element_id,
            "top_level": bool(t.flags & CTOCFlags.TOP_LEVEL),
            "ordered": bool(t.flags & CTOCFlags.ORDERED),
            "children": list(t.child_element_ids),
        }
        for t in tag.getall("CTOC")
    ]
    order = tocs[0]["children"] if tocs else sorted(chaps, key=lambda k: chaps[k].start_time)
    out = []
    for cid in order:
        f = chaps.get(cid)
        if f is not None:
            title = f.sub_frames.get("TIT2")
            out.append(
                {
                    "element_id": cid,
                    "title": str(title.text[0]) if title else "",
                    "start_ms": int(f.start_time),
                    "end_ms": int(f.end_time),
                }
            )
    return out, tocs


def read_tags(mp3_path: str | os.PathLike[str]) -> dict[str, Any]:
    """What the MP3's ID3 tag holds, as plain data (for tests and `perspective check`).

    A file without a tag gives ``version: None`` and empty fields.
    """
    p = Path(mp3_path)
    try:
        MP3(p)  # must be a decodable MPEG audio file
        tag = ID3(p)
    except ID3NoHeaderError:
        tag = None
    except (MutagenError, OSError) as err:
        raise AudioError(f"{p.name} is not a readable MP3 ({err}); run produce again") from err
    if tag is None:
        return {
            "version": None,
            "title": "",
            "show": "",
            "host": "",
            "date": "",
            "publisher": "",
            "genre": "",
            "copyright": "",
            "comment": "",
            "lyrics": "",
            "credits": [],
            "cover": None,
            "chapters": [],
            "tocs": [],
        }
    comm = tag.getall("COMM")
    uslt = tag.getall("USLT")
    tipl = tag.get("TIPL")
    chapters, tocs = _chapters(tag)
    return {
        "version": ".".join(str(v) for v in tag.version),
        "title": _text(tag, "TIT2"),
        "show": _text(tag, "TALB"),
        "host": _text(tag, "TPE1"),
        "date": _text(tag, "TDRC"),
        "publisher": _text(tag, "TPUB"),
        "genre": _text(tag, "TCON"),
        "copyright": _text(tag, "TCOP"),
        "comment": str(comm[0].text[0]) if comm and comm[0].text else "",
        "lyrics": str(uslt[0].text) if uslt else "",
        "lyrics_lang": uslt[0].lang if uslt else "",
        "credits": [(str(role), str(name)) for role, name in (tipl.people if tipl else [])],
        "cover": _cover(tag),
        "chapters": chapters,
        "tocs": tocs,
    }
