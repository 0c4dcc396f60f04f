"""Make the show's own audio and artwork: intro sting, outro music bed, cover, video background.

Everything here is synthesised from scratch (additive sine synthesis, plain geometry), so the
show owns it outright. The script is deterministic: no random numbers, no clocks; running it
again rewrites byte-identical files (FLAC via ffmpeg with bitexact flags, PNG via Pillow).

    .venv/bin/python assets/make_assets.py            # rewrite everything
    .venv/bin/python assets/make_assets.py --only audio
    .venv/bin/python assets/make_assets.py --out /tmp/assets   # elsewhere, e.g. to compare

Needs numpy, Pillow, ffmpeg (FLAC encoder) and the Noto Sans CJK SC font (fonts-noto-cjk).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent

RATE = 48000  # Hz; the broadcast master's rate, so assembly never resamples the assets
PEAK_DBFS = -3.0  # sample peak of each audio asset; mastering sets the final level anyway
SHOW_EN = "CBN Perspective"
SHOW_ZH = "CBN 视角"  # working Chinese name; NOT confirmed by the editors: change it here and rerun
COVER_PX = 3000  # Apple Podcasts: square, 1400–3000 px
BACKGROUND_PX = (1920, 1080)  # 16:9 1080p, the video's frame
PALETTE_COLOURS = 48  # PNGs are quantised to a small palette to stay small (cover < 500 KB)

# Colours (sRGB): deep ink blue ground, warm accent, pale text.
INK = (14, 27, 46)
INK_LIGHT = (27, 48, 77)
ACCENT = (232, 161, 59)
PALE = (236, 240, 245)
MUTED = (140, 160, 186)

A4_HZ = 440.0  # concert pitch


def midi_hz(note: int) -> float:
    """Equal-tempered frequency of a MIDI note number (69 = A4)."""
    return A4_HZ * 2.0 ** ((note - 69) / 12.0)


# ---------------------------------------------------------------- audio: instruments


@dataclass(frozen=True)
class Voice:
    """An additive instrument: partial ratios, their amplitudes and decay times."""

    ratios: tuple[float, ...]
    amps: tuple[float, ...]
    decays_s: tuple[float, ...]  # exponential decay time constant per partial
    attack_s: float


MALLET = Voice(
    ratios=(1.0, 2.0, 3.0, 4.2),
    amps=(1.0, 0.35, 0.15, 0.06),
    decays_s=(1.2, 0.6, 0.3, 0.15),
    attack_s=0.004,
)
PLUCK = Voice(
    ratios=(1.0, 2.0, 3.0), amps=(1.0, 0.3, 0.1), decays_s=(0.45, 0.25, 0.12), attack_s=0.006
)
BASS = Voice(ratios=(1.0, 2.0), amps=(1.0, 0.25), decays_s=(1.6, 0.7), attack_s=0.01)


def tone(voice: Voice, hz: float, length_s: float) -> np.ndarray:
    """One note of ``voice`` at ``hz``, ``length_s`` long (mono float64)."""
    t = np.arange(int(length_s * RATE)) / RATE
    out = np.zeros_like(t)
    for ratio, amp, decay in zip(voice.ratios, voice.amps, voice.decays_s, strict=True):
        if hz * ratio < RATE / 2:
            out += amp * np.sin(2 * np.pi * hz * ratio * t) * np.exp(-t / decay)
    return out * np.minimum(1.0, t / voice.attack_s)


def pad(notes: Sequence[int], length_s: float, detune: float) -> np.ndarray:
    """A soft sustained chord: 1/n harmonics, slow attack and release, slightly detuned."""
    t = np.arange(int(length_s * RATE)) / RATE
    out = np.zeros_like(t)
    for note in notes:
        hz = midi_hz(note) * (1.0 + detune)
        for n in range(1, 7):
            if hz * n < RATE / 2:
                out += np.sin(2 * np.pi * hz * n * t + 0.7 * n) / (n * n)
    attack = np.minimum(1.0, t / 0.35)
    release = np.minimum(1.0, (length_s - t) / 0.5)
    return out * attack * np.clip(release, 0.0, 1.0) / len(notes)


def place(
    buf: np.ndarray, sig: np.ndarray, at_s: float, gain: float, pan: float, wrap: bool
) -> None:
    """Add a mono ``sig`` into stereo ``buf`` at ``at_s`` (constant-power pan −1…1).

    With ``wrap`` the tail that runs past the end re-enters at the start: a seamless loop.
    """
    left = np.cos((pan + 1) * np.pi / 4) * gain
    right = np.sin((pan + 1) * np.pi / 4) * gain
    start = int(at_s * RATE)
    idx = start + np.arange(len(sig))
    if wrap:
        idx %= len(buf)
    else:
        keep = idx < len(buf)
        idx, sig = idx[keep], sig[keep]
    np.add.at(buf[:, 0], idx, sig * left)
    np.add.at(buf[:, 1], idx, sig * right)


def to_peak(buf: np.ndarray, peak_dbfs: float = PEAK_DBFS) -> np.ndarray:
    return buf * (10 ** (peak_dbfs / 20) / np.max(np.abs(buf)))


# ---------------------------------------------------------------- audio: the pieces

# D major: D4 = 62. The sting climbs D–A–D–F# and lands on a D major chord.
STING_NOTES = (62, 69, 74, 78)
STING_STEP_S = 0.16  # seconds between the climbing notes
STING_CHORD = (62, 66, 69, 74)
STING_LENGTH_S = 3.6

# Bed: 100 bpm, 8 bars of 4/4 (19.2 s), D – Bm – G – A, two bars each; loops seamlessly.
BED_BPM = 100
BED_BARS = 8
BED_CHORDS = ((62, 66, 69), (59, 62, 66), (55, 59, 62), (57, 61, 64))  # D, Bm, G, A (MIDI)
BED_BASS = (38, 35, 31, 33)  # D2, B1, G1, A1


def make_sting() -> np.ndarray:
    buf = np.zeros((int(STING_LENGTH_S * RATE), 2))
    for i, note in enumerate(STING_NOTES):
        place(
            buf,
            tone(MALLET, midi_hz(note), 2.5),
            i * STING_STEP_S,
            0.5,
            -0.45 + 0.3 * i,
            wrap=False,
        )
    hit = len(STING_NOTES) * STING_STEP_S
    chord_len = STING_LENGTH_S - hit
    place(buf, pad(STING_CHORD, chord_len, -0.0015), hit, 0.9, -0.35, wrap=False)
    place(buf, pad(STING_CHORD, chord_len, +0.0015), hit, 0.9, 0.35, wrap=False)
    place(buf, tone(BASS, midi_hz(38), chord_len), hit, 0.7, 0.0, wrap=False)
    for note in STING_CHORD[1:]:
        place(buf, tone(MALLET, midi_hz(note + 12), chord_len), hit, 0.18, 0.2, wrap=False)
    fade = np.minimum(1.0, (len(buf) - np.arange(len(buf))) / (0.4 * RATE))
    return to_peak(buf * fade[:, None])


def make_bed() -> np.ndarray:
    beat_s = 60.0 / BED_BPM
    bar_s = 4 * beat_s
    buf = np.zeros((int(round(BED_BARS * bar_s * RATE)), 2))
    for i, (chord, bass) in enumerate(zip(BED_CHORDS, BED_BASS, strict=True)):
        at = 2 * i * bar_s
        place(buf, pad(chord, 2 * bar_s + 0.4, -0.002), at, 0.8, -0.5, wrap=True)
        place(buf, pad(chord, 2 * bar_s + 0.4, +0.002), at, 0.8, 0.5, wrap=True)
        for bar in range(2):
            place(buf, tone(BASS, midi_hz(bass), bar_s), at + bar * bar_s, 0.55, 0.0, wrap=True)
        arpeggio = [n + 12 for n in chord] + [chord[0] + 24, chord[2] + 12]
        for step in range(16):  # eighth notes over two bars
            note = arpeggio[step % len(arpeggio)]
            place(
                buf,
                tone(PLUCK, midi_hz(note), 1.2),
                at + step * beat_s / 2,
                0.16,
                0.6 if step % 2 else -0.6,
                wrap=True,
            )
    return to_peak(buf)


def write_flac(path: Path, buf: np.ndarray) -> None:
    """16-bit stereo FLAC, bit-exact (no encoder/version strings), via a temporary WAV."""
    pcm = np.round(np.clip(buf, -1, 1) * 32767).astype("<i2")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "x.wav"
        with wave.open(str(wav), "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(pcm.tobytes())
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "ffmpeg",
                "-nostdin",
                "-v",
                "error",
                "-y",
                "-i",
                str(wav),
                "-map_metadata",
                "-1",
                "-fflags",
                "+bitexact",
                "-flags:a",
                "+bitexact",
                "-c:a",
                "flac",
                "-compression_level",
                "12",
                str(path),
            ],
            check=True,
        )


# ---------------------------------------------------------------- artwork


def cjk_font_file() -> str:
    """Noto Sans CJK SC Bold, found by fontconfig (fonts-noto-cjk)."""
    found = subprocess.run(
        ["fc-match", "-f", "%{file}", "Noto Sans CJK SC:bold"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if "NotoSansCJK" not in found:
        raise SystemExit(
            f"Noto Sans CJK SC not found (fc-match gave {found!r}): apt-get install fonts-noto-cjk"
        )
    return found


def font(size: int, bold: bool = True) -> ImageFont.FreeTypeFont:
    path = cjk_font_file()
    if not bold:
        path = path.replace("-Bold", "-Regular")
    return ImageFont.truetype(path, size, index=2)  # index 2 of the .ttc is the SC face


def draw_perspective_lines(
    img: Image.Image,
    vanish: tuple[float, float],
    count: int,
    colour: tuple[int, int, int],
    width: int,
) -> None:
    """Rays from a vanishing point to evenly spaced points on the frame's edge: the show's motif."""
    w, h = img.size
    d = ImageDraw.Draw(img)
    edge = [(w * k / count, h) for k in range(count + 1)] + [
        (0, h * k / count) for k in range(count + 1)
    ]
    edge += [(w, h * k / count) for k in range(count + 1)]
    for x, y in edge:
        d.line([vanish, (x, y)], fill=colour, width=width)


def quantised(img: Image.Image) -> Image.Image:
    return img.quantize(
        colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )


def make_cover() -> Image.Image:
    s = COVER_PX
    img = Image.new("RGB", (s, s), INK)
    draw_perspective_lines(img, (s * 0.5, s * 0.36), 12, INK_LIGHT, 10)
    d = ImageDraw.Draw(img)
    d.rectangle([0, int(s * 0.56), s, s], fill=INK)
    d.rectangle([int(s * 0.12), int(s * 0.60), int(s * 0.88), int(s * 0.61)], fill=ACCENT)
    d.text((s / 2, s * 0.70), "CBN", font=font(int(s * 0.11)), fill=ACCENT, anchor="mm")
    d.text((s / 2, s * 0.80), "Perspective", font=font(int(s * 0.085)), fill=PALE, anchor="mm")
    d.text(
        (s / 2, s * 0.895), SHOW_ZH, font=font(int(s * 0.05), bold=False), fill=MUTED, anchor="mm"
    )
    d.ellipse([s * 0.5 - 28, s * 0.36 - 28, s * 0.5 + 28, s * 0.36 + 28], fill=ACCENT)
    return quantised(img)


def make_background() -> Image.Image:
    w, h = BACKGROUND_PX
    img = Image.new("RGB", (w, h), INK)
    draw_perspective_lines(img, (w * 0.5, h * 0.30), 10, INK_LIGHT, 3)
    d = ImageDraw.Draw(img)
    # the lower part stays plain: burned-in captions sit there
    d.rectangle([0, int(h * 0.52), w, h], fill=INK)
    d.rectangle([int(w * 0.05), int(h * 0.52), int(w * 0.95), int(h * 0.52) + 3], fill=INK_LIGHT)
    margin = int(w * 0.05)  # inside the 90 % title-safe area
    d.text((margin, int(h * 0.10)), SHOW_EN, font=font(44), fill=PALE, anchor="ls")
    d.text((w - margin, int(h * 0.10)), SHOW_ZH, font=font(40, bold=False), fill=MUTED, anchor="rs")
    d.ellipse([w * 0.5 - 9, h * 0.30 - 9, w * 0.5 + 9, h * 0.30 + 9], fill=ACCENT)
    return quantised(img)


def save_png(img: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format="PNG", optimize=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["audio", "artwork"], help="make only this kind of asset")
    parser.add_argument(
        "--out", type=Path, default=HERE, help="folder to write into (default: assets/)"
    )
    args = parser.parse_args(argv)
    audio, artwork = args.out / "audio", args.out / "artwork"
    if args.only in (None, "audio"):
        write_flac(audio / "intro_sting.flac", make_sting())
        write_flac(audio / "outro_bed.flac", make_bed())
    if args.only in (None, "artwork"):
        save_png(make_cover(), artwork / "cover.png")
        save_png(make_background(), artwork / "background.png")
    for path in sorted([*audio.glob("*.flac"), *artwork.glob("*.png")]):
        print(f"{path.relative_to(args.out)}  {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
