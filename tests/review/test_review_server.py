"""`perspective review`'s server: loopback only, token required, nothing outside the episode."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from production.episode import load_episode
from production.review_server import LOOPBACK, make_server

TOML = 'title = "T"\ndate = 2026-11-27\nscript = "script.txt"\nhost_audio = "host.wav"\n'


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, int, str, Path]]:
    folder = tmp_path / "ep"
    (folder / "build").mkdir(parents=True)
    (folder / "episode.toml").write_text(TOML, encoding="utf-8")
    (folder / "script.txt").write_text("Title\nHello there. Goodbye now.\n", encoding="utf-8")
    (folder / "host.wav").write_bytes(b"RIFF")
    (folder / "build" / "review.html").write_text("<!doctype html><p>review</p>", encoding="utf-8")
    (folder / "build" / "ep.mp3").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "secret.txt").write_text("outside the episode", encoding="utf-8")
    (folder / "build" / "link.txt").symlink_to(tmp_path / "secret.txt")
    server = make_server(load_episode(folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield str(host), int(port), server.app.token, folder
    server.shutdown()
    server.server_close()


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    conn.request("GET", path, headers=headers or {})  # sent as written: no client-side ../ clean-up
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, body, dict(r.getheaders())


def _post(port: int, path: str, obj: object) -> tuple[int, dict]:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
    conn.request("POST", path, body=json.dumps(obj), headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    body = r.read()
    out = r.status, json.loads(body) if r.getheader("Content-Type") == "application/json" else {}
    conn.close()
    return out


def test_bound_to_loopback_only(served: tuple[str, int, str, Path]) -> None:
    host, port, _token, _ = served
    assert host == "127.0.0.1"
    other = [a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
    for address in {a for a in other if not a.startswith("127.")}:
        with socket.socket() as s, pytest.raises(OSError):
            s.settimeout(2)
            s.connect((address, port))


def test_no_token_or_a_wrong_one_is_403(served: tuple[str, int, str, Path]) -> None:
    _, port, token, _ = served
    assert _get(port, f"/{token}/")[0] == 200
    for path in ("/", "/review.html", "/api/state", f"/{token[:-1]}x/", f"/x{token}/review.html", "/ep.mp3"):
        assert _get(port, path)[0] == 403, path
    assert _post(port, "/api/corrections", {"version": "", "document": {}})[0] == 403


def test_paths_outside_the_episode_are_refused(served: tuple[str, int, str, Path]) -> None:
    _, port, token, folder = served
    for path in ("../../secret.txt", "%2e%2e/%2e%2e/secret.txt", "..%2f..%2fsecret.txt", "link.txt", "/etc/passwd"):
        status, body, _ = _get(port, f"/{token}/{path}")
        assert status == 403 and b"outside" not in body, path
    assert _get(port, f"/{token}/../episode.toml")[0] == 200  # inside the episode folder: served


def test_audio_is_served_in_byte_ranges(served: tuple[str, int, str, Path]) -> None:
    _, port, token, _ = served
    status, body, headers = _get(port, f"/{token}/ep.mp3", {"Range": "bytes=10-19"})
    assert status == 206 and body == bytes(range(10, 20)) and headers["Content-Range"] == "bytes 10-19/10240"


def test_save_is_version_checked(served: tuple[str, int, str, Path]) -> None:
    _, port, token, folder = served
    doc = {"chapters": [{"sentence": "s0001", "title": "Start", "title_zh": "开始"}]}
    status, state = _post(port, f"/{token}/api/corrections", {"version": "", "document": doc})
    assert status == 200 and state["version"]
    saved = (folder / "corrections.toml").read_text(encoding="utf-8")
    assert 'title = "Start"' in saved and 'text = "Hello there."' in saved  # keyed by the script text
    # a second tab still holding the old (empty) version cannot overwrite the first
    status, reply = _post(port, f"/{token}/api/corrections", {"version": "", "document": {}})
    assert status == 409 and "another tab" in reply["error"]
    assert (folder / "corrections.toml").read_text(encoding="utf-8") == saved
    # an invalid document is refused with the entry named, and nothing is written
    bad = {"clips": [{"name": "a b", "start_ms": 0, "end_ms": 10}]}
    status, reply = _post(port, f"/{token}/api/corrections", {"version": state["version"], "document": bad})
    assert status == 400 and "[[clips]] #1" in reply["error"]
    assert (folder / "corrections.toml").read_text(encoding="utf-8") == saved


def test_another_host_name_is_403_even_with_the_token(served: tuple[str, int, str, Path]) -> None:
    _, port, token, _ = served
    assert _get(port, f"/{token}/", {"Host": f"attacker.example:{port}"})[0] == 403


def test_waveform_peaks_of_a_24_bit_extensible_wav(tmp_path: Path) -> None:
    """The master's format (48 kHz 24-bit stereo, WAVE_FORMAT_EXTENSIBLE): 1 s silence, 1 s at −6 dBFS."""
    import subprocess

    from production.review_server import audio_peaks

    path = tmp_path / "master.wav"
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "anullsrc=r=48000:cl=stereo:d=1",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000:duration=1,volume=0.5",
            "-filter_complex",
            "[1]aformat=channel_layouts=stereo[b];[0][b]concat=n=2:v=0:a=1",
            "-c:a",
            "pcm_s24le",
            "-rf64",
            "auto",
            str(path),
        ],
        check=True,
    )
    head = path.read_bytes()[:100]
    fmt = head.index(b"fmt ")
    assert head[fmt + 8 : fmt + 10] == b"\xfe\xff"  # format tag 0xFFFE: extensible
    p = audio_peaks(path, 10)
    assert len(p.values) == 200
    assert p.values[:95].max() < 0.01
    loud = p.values[110:]  # ffmpeg's sine is at 1/8 full scale, halved, then the stereo→mono downmix
    assert 0.03 < float(loud.min()) and float(loud.max()) < 0.0625 and float(loud.max() - loud.min()) < 0.01
