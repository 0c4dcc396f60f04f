"""libespeak-ng in a helper process, every clip synthesised from the same fresh state.

libespeak-ng keeps synthesis state in C statics that no call resets (the pitch-flutter phase,
the glottal wave's phase, the noise generator): a clip's samples and word positions depend on
what the library synthesised before it in the same process, by a few samples per word. The
synthesis cache stores clips, so a clip made after other work and cached on one machine made
the same alignment come out differently there than on a machine with an empty cache.

The helper loads and initialises the library once, synthesises one fixed warm-up text, and
then forks a child per clip, so every clip starts from that same state: the same text, voice and speed give the
same samples whatever was synthesised before. The helper is single-threaded and imports only
the standard library, so forking it is cheap (a few milliseconds) and safe.

Run as ``python -m production.espeak_worker``. Protocol (binary, on stdin/stdout):
- on start the helper writes one frame holding the library's sample rate as ``<i`` (a frame is
  ``<BI`` status (1 ok, 0 failed) and payload length, then the payload);
- per request line (JSON ``{"text", "voice", "wpm"}``) it writes one frame whose payload is
  ``<II`` sample count and event count, the int16 samples, then ``<ii`` (1-based character
  position, sample offset) per word event.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import struct
import sys
from typing import BinaryIO

SYNTH_BUFFER_MS = 1000  # ms of audio per libespeak-ng callback (fewer Python round trips)
_EVENT_LIST_END, _EVENT_WORD = 0, 1  # espeak_EVENT_TYPE
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER, _CHARS_UTF8, _PARAM_RATE = 1, 1, 1
# synthesised once by the helper before any child: every child then starts from the state this
# one fixed synthesis leaves (still the same for every clip), and skips the library's first-use
# set-up (about 10 ms a clip)
WARM_UP_TEXT, WARM_UP_VOICE, WARM_UP_WPM = "Ready.", "en-us", 175
FRAME = struct.Struct("<BI")  # status, payload length
HEADER = struct.Struct("<II")  # samples, events
EVENT = struct.Struct("<ii")  # 1-based character position, sample offset


class _Event(ctypes.Structure):  # espeak_EVENT from speak_lib.h
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),  # 1-based character offset
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # ms
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


class EspeakLibrary:
    """libespeak-ng loaded and initialised in this process."""

    def __init__(self) -> None:
        try:
            self.lib = ctypes.CDLL("libespeak-ng.so.1")
        except OSError:  # another soname or platform: ask the linker (slower: runs ldconfig)
            self.lib = ctypes.CDLL(ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1")
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        self.rate = int(self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, SYNTH_BUFFER_MS, None, 0))
        if self.rate <= 0:
            raise OSError("espeak_Initialize failed")
        self.chunks: list[bytes] = []
        self.events: list[tuple[int, int]] = []
        self._callback = _CALLBACK(self._collect)  # kept referenced for the library's lifetime
        self.lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav: ctypes._Pointer, n: int, events: ctypes._Pointer) -> int:  # type: ignore[type-arg,unused-ignore]
        if n > 0:
            self.chunks.append(ctypes.string_at(wav, n * 2))
        i = 0
        while events[i].type != _EVENT_LIST_END:
            ev = events[i]
            if ev.type == _EVENT_WORD:
                self.events.append((ev.text_position, ev.sample))
            i += 1
        return 0

    def synth(self, text: str, voice: str, wpm: int) -> tuple[bytes, list[tuple[int, int]]]:
        """int16 little-endian samples and word events. Mutates the library's hidden state: call
        it only in a child forked for the one clip."""
        self.chunks, self.events = [], []
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise OSError(f"unknown voice {voice}")
        self.lib.espeak_SetParameter(_PARAM_RATE, int(wpm), 0)
        data = text.encode("utf-8")
        if self.lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None) != 0:
            raise OSError("espeak_Synth failed")
        return b"".join(self.chunks), list(self.events)


def _write_frame(out: BinaryIO, ok: bool, payload: bytes) -> None:
    out.write(FRAME.pack(1 if ok else 0, len(payload)) + payload)
    out.flush()


def _read_all(fd: int) -> bytes:
    parts: list[bytes] = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _one_clip(lib: EspeakLibrary, request: dict[str, object]) -> tuple[bool, bytes]:
    """Synthesise one clip in a forked child, so the library's state is never advanced here."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: synthesise, send, exit without running any Python clean-up
        code = 1
        try:
            os.close(r)
            samples, events = lib.synth(str(request["text"]), str(request["voice"]), int(request["wpm"]))  # type: ignore[call-overload]
            body = HEADER.pack(len(samples) // 2, len(events)) + samples
            body += b"".join(EVENT.pack(p, s) for p, s in events)
            _write_all(w, body)
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    try:
        data = _read_all(r)
    finally:
        os.close(r)
    _, status = os.waitpid(pid, 0)
    return status == 0, data


def main() -> None:
    out = sys.stdout.buffer
    try:
        lib = EspeakLibrary()
    except (OSError, AttributeError) as err:
        _write_frame(out, False, str(err).encode())
        return
    lib.synth(WARM_UP_TEXT, WARM_UP_VOICE, WARM_UP_WPM)  # once, here: children skip first-use costs
    _write_frame(out, True, struct.pack("<i", lib.rate))
    for line in sys.stdin.buffer:
        try:
            request = json.loads(line)
        except ValueError as err:
            _write_frame(out, False, f"bad request: {err}".encode())
            continue
        ok, data = _one_clip(lib, request)
        _write_frame(out, ok, data if ok else b"synthesis failed")


if __name__ == "__main__":
    main()
