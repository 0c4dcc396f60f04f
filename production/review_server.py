"""`perspective review`: the review page served as an editor that writes corrections.toml.

Standard library http.server only. Safety: the socket is bound to 127.0.0.1 (never another
interface), the port is chosen by the system, and every request must carry this run's random
token as the first path segment (``http://127.0.0.1:PORT/TOKEN/``) or gets 403. Files are served
only from inside the episode folder (a path that resolves outside it, symlinks included, is
refused). Saving is atomic (fsutil) and guarded by a version check: the client sends the
version it loaded (a hash of corrections.toml) and a save against a newer file gets 409.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import re
import secrets
import threading
import urllib.parse
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np

from .corrections import (
    CORRECTIONS_FILE,
    CorrectionsError,
    document_version,
    parse_document,
    read_document,
    to_toml,
)
from .episode import Episode
from .errors import ProductionError
from .fsutil import write_text
from .ingest import episode_corrected

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"  # never 0.0.0.0: the editor writes files, so only this machine may reach it
TOKEN_BYTES = 24  # secrets.token_urlsafe: 32 URL-safe characters, 192 bits
MAX_BODY_BYTES = 2 << 20  # a corrections document is a few KB; refuse anything over 2 MiB
PEAK_STEP_MS = 10  # waveform resolution: one peak per 10 ms (an edge is visible to ±10 ms)
PEAK_RATE_HZ = 8000  # decode rate for the waveform: speech energy is below 4 kHz, and it is 6x less work than 48 kHz
MAX_PEAK_SPAN_MS = 120_000  # the editor draws a few seconds around a sentence, never more than 2 min
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


class ReviewError(ProductionError):
    """The review server cannot start (no build, no review page)."""


@dataclass
class _Peaks:
    step_ms: int
    values: np.ndarray  # float32 0–1, one per step


def audio_peaks(path: Path, step_ms: int = PEAK_STEP_MS) -> _Peaks:
    """Peak absolute level (0–1) per ``step_ms`` of any audio ffmpeg reads (the master's 24-bit
    WAVE_FORMAT_EXTENSIBLE included, which the standard library's wave module refuses)."""
    from .tools import run

    raw = run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-i",
            str(path),
            "-ac",
            "1",
            "-ar",
            str(PEAK_RATE_HZ),
            "-f",
            "s16le",
            "-",
        ],
        what=f"reading {path.name} for the waveform",
    )
    samples = np.abs(np.frombuffer(raw, dtype="<i2").astype(np.float32)) / 32768.0
    per_step = max(1, PEAK_RATE_HZ * step_ms // 1000)
    n = -(-len(samples) // per_step) * per_step
    padded = np.pad(samples, (0, n - len(samples)))
    return _Peaks(step_ms, padded.reshape(-1, per_step).max(axis=1) if n else np.zeros(0, np.float32))


class ReviewApp:
    """What the handler serves for one episode: the page, its files, the editor's API."""

    def __init__(self, episode: Episode, token: str | None = None) -> None:
        self.episode = episode
        self.token = token or secrets.token_urlsafe(TOKEN_BYTES)
        self.root = episode.folder.resolve()
        self.page = episode.build_dir / "review.html"
        if not self.page.is_file():
            raise ReviewError(f"{self.page} does not exist: run `perspective produce {episode.folder}` first")
        self.lock = threading.Lock()  # one save at a time; the version check is inside it
        self._peaks: _Peaks | None = None

    @property
    def corrections_path(self) -> Path:
        return self.episode.folder / CORRECTIONS_FILE

    def inside(self, relative: str) -> Path | None:
        """build/<relative> when it resolves to a file inside the episode folder, else None."""
        target = (self.episode.build_dir / relative).resolve()
        if target != self.root and self.root not in target.parents:
            return None
        return target if target.is_file() else None

    def offset_ms(self) -> int:
        try:
            report = json.loads((self.episode.build_dir / ".work" / "master.json").read_text(encoding="utf-8"))
            return int(report["intro_ms"])
        except (OSError, ValueError, KeyError):
            return 0

    def state(self) -> dict[str, Any]:
        """What the editor loads: the document, its version, the host→master offset, problems."""
        with self.lock:
            return self._state()

    def _state(self) -> dict[str, Any]:
        doc = read_document(self.corrections_path)
        try:
            problems = [str(p) for p in episode_corrected(self.episode).problems]
        except ProductionError as err:
            problems = [str(err)]
        return {
            "version": document_version(self.corrections_path),
            "offset_ms": self.offset_ms(),
            "document": doc,
            "problems": problems,
        }

    def save(self, body: dict[str, Any]) -> tuple[HTTPStatus, dict[str, Any]]:
        document = body.get("document")
        if not isinstance(document, dict):
            return HTTPStatus.BAD_REQUEST, {"error": "the request carries no corrections document"}
        with self.lock:
            current = document_version(self.corrections_path)
            if body.get("version", "") != current:
                return HTTPStatus.CONFLICT, {
                    "error": "corrections.toml was saved from another tab since you loaded it; "
                    "reload the page to see those changes (yours were not saved)",
                    "version": current,
                }
            try:
                document = self._keyed(document)
                parse_document(document)
            except CorrectionsError as err:
                return HTTPStatus.BAD_REQUEST, {"error": str(err)}
            write_text(self.corrections_path, to_toml(document))
            return HTTPStatus.OK, self._state()

    def _keyed(self, document: dict[str, Any]) -> dict[str, Any]:
        """Each new fix gets its sentence's script text as its key (see corrections.match)."""
        from .ingest import ingest

        texts = {s.id: s.text for s in ingest(self.episode).script.sentences}
        out: dict[str, Any] = {}
        for section, entries in document.items():
            if isinstance(entries, list):
                entries = [
                    {**e, "text": texts[e["sentence"]]}
                    if isinstance(e, dict) and not e.get("text") and e.get("sentence") in texts
                    else e
                    for e in entries
                ]
            out[section] = entries
        return out

    def peaks(self, start_ms: int, end_ms: int) -> dict[str, Any]:
        """Waveform peaks of the master between two master-time instants."""
        if self._peaks is None:
            wav = self.episode.build_dir / f"{self.episode.slug}.wav"
            self._peaks = audio_peaks(wav) if wav.is_file() else _Peaks(PEAK_STEP_MS, np.zeros(0, np.float32))
        p = self._peaks
        start = max(0, start_ms) // p.step_ms
        end = min(max(start_ms, end_ms), start_ms + MAX_PEAK_SPAN_MS) // p.step_ms
        values = [round(float(v), 3) for v in p.values[start:end]]
        return {"start_ms": start * p.step_ms, "step_ms": p.step_ms, "peaks": values}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
        log.debug("review: " + format, *args)

    # -- routing
    def _route(self) -> tuple[str, dict[str, list[str]]] | None:
        """The path after the token, or None (403 sent) when the token is missing or wrong."""
        url = urllib.parse.urlsplit(self.path)
        first, _, rest = url.path.lstrip("/").partition("/")
        port = self.server.server_address[1]
        host_ok = self.headers.get("Host", "") in (f"{LOOPBACK}:{port}", f"localhost:{port}")  # no DNS rebinding
        if not host_ok or not secrets.compare_digest(first.encode(), self.server.app.token.encode()):
            self._send(HTTPStatus.FORBIDDEN, b"forbidden: open the URL `perspective review` printed\n", "text/plain")
            return None
        return urllib.parse.unquote(rest), urllib.parse.parse_qs(url.query)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        routed = self._route()
        if routed is None:
            return
        path, query = routed
        app = self.server.app
        if path in ("", "review.html"):
            self._file(app.page)
        elif path == "api/state":
            self._json(HTTPStatus.OK, app.state())
        elif path == "api/peaks":
            try:
                start, end = int(query["start_ms"][0]), int(query["end_ms"][0])
            except (KeyError, ValueError):
                self._json(HTTPStatus.BAD_REQUEST, {"error": "give start_ms and end_ms"})
                return
            self._json(HTTPStatus.OK, app.peaks(start, end))
        else:
            target = app.inside(path)
            if target is None:
                self._send(HTTPStatus.FORBIDDEN, b"refused: not a file inside the episode folder\n", "text/plain")
            else:
                self._file(target)

    def do_POST(self) -> None:  # noqa: N802
        routed = self._route()
        if routed is None:
            return
        if routed[0] != "api/corrections":
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY_BYTES:
            self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "the request body is empty or too large"})
            return
        try:
            body = json.loads(self.rfile.read(length))
        except ValueError:
            self._json(HTTPStatus.BAD_REQUEST, {"error": "the request body is not JSON"})
            return
        status, reply = self.server.app.save(body if isinstance(body, dict) else {})
        self._json(status, reply)

    # -- responses
    def _json(self, status: HTTPStatus, obj: Any) -> None:
        self._send(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"), "application/json")

    def _send(self, status: HTTPStatus, body: bytes, mime: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _file(self, path: Path) -> None:
        """A file, with byte ranges (the audio element seeks with them)."""
        data = path.read_bytes()
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".html":
            mime = "text/html; charset=utf-8"
        m = _RANGE.match(self.headers.get("Range", "").strip())
        if m and data and (m.group(1) or m.group(2)):
            if m.group(1):
                start = int(m.group(1))
                end = min(int(m.group(2)) if m.group(2) else len(data) - 1, len(data) - 1)
            else:
                start, end = max(0, len(data) - int(m.group(2))), len(data) - 1
            if start > end:
                self._send(
                    HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, b"", mime, {"Content-Range": f"bytes */{len(data)}"}
                )
                return
            headers = {"Content-Range": f"bytes {start}-{end}/{len(data)}", "Accept-Ranges": "bytes"}
            self._send(HTTPStatus.PARTIAL_CONTENT, data[start : end + 1], mime, headers)
            return
        self._send(HTTPStatus.OK, data, mime, {"Accept-Ranges": "bytes"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, app: ReviewApp, port: int) -> None:
        self.app = app
        super().__init__((LOOPBACK, port), _Handler)


def make_server(episode: Episode, port: int = 0, token: str | None = None) -> _Server:
    """A server bound to 127.0.0.1:``port`` (0: any free port); ``server_url(s)`` is its address."""
    return _Server(ReviewApp(episode, token), port)


def server_url(server: _Server) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}/{server.app.token}/"
