"""Loudness profiles and every number the mastering chain uses (one frozen dataclass)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..assets import assets_dir
from ..errors import ProductionError

ASSETS = assets_dir()
WORK_RATE = 48000  # Hz; assembly and the broadcast master run at 48 kHz (EBU practice)


@dataclass(frozen=True)
class LoudnessTarget:
    name: str
    target_lufs: float  # integrated programme loudness target, LUFS (= LKFS)
    true_peak_dbtp: float  # maximum true peak, dBTP
    source: str


PROFILES: dict[str, LoudnessTarget] = {
    # Apple Podcasts (via secondary sources); AES TD1004 recommends −16…−20 LUFS, ≤ −1 dBTP
    "podcast": LoudnessTarget("podcast", -16.0, -1.0, "Apple Podcasts; AES TD1004"),
    # EBU R128 (2020): −23 LUFS ±0.5 LU, ≤ −1 dBTP
    "broadcast": LoudnessTarget("broadcast", -23.0, -1.0, "EBU R128"),
    # ATSC A/85 (2013): −24 LKFS, ≤ −2 dBTP
    "us-broadcast": LoudnessTarget("us-broadcast", -24.0, -2.0, "ATSC A/85"),
}

MP3_BITRATES_KBPS = (
    32,
    40,
    48,
    56,
    64,
    80,
    96,
    112,
    128,
    160,
    192,
    224,
    256,
    320,
)  # MPEG-1 Layer III
MP3_RATES = (32000, 44100, 48000)  # MPEG-1 Layer III sample rates


@dataclass(frozen=True)
class MasteringSettings:
    """Every number the mastering chain uses. Defaults are the show's house sound."""

    profile: str = (
        "podcast"  # a key of PROFILES: "podcast" (−16), "broadcast" (−23), "us-broadcast" (−24)
    )
    tolerance_lu: float = 0.5  # pass/fail: |measured − target|; EBU R128 allows ±0.5 LU, Apple ±1
    aim_lu: float = 0.1  # a correction runs when the independent meter reads further off than this
    encode_headroom_db: float = (
        1.0  # the limiter holds this far under the true-peak limit: MP3 encoding raises peaks
    )
    guard_margin_db: float = 0.5  # the premaster limiter sits this far under loudnorm's TP target;
    #                               also the step by which a correction's limiter ceiling tightens
    loudnorm_lra: float = (
        11.0  # LU; unused since mastering renders one gain instead of loudnorm (issue 19); kept
    )  #        so that episode.toml files that set it still load
    max_corrections: int = (
        3  # gain/limiter passes allowed per output after loudnorm before giving up
    )
    # voice
    highpass_hz: float = 80.0  # removes rumble and handling noise under the speaking voice
    voice_working_lufs: float = -20.0  # the read is brought here (mono) before levelling
    level_threshold_lu: float = -3.0  # compressor threshold relative to the working level
    level_ratio: float = 2.5  # gentle levelling: only loud syllables are reduced
    level_attack_ms: float = 15.0
    level_release_ms: float = 250.0
    min_input_lufs: float = -60.0  # quieter than this the read is mostly noise: refuse it
    # music
    intro: Path | None = ASSETS / "audio" / "intro_sting.flac"  # None: no sting
    outro_bed: Path | None = ASSETS / "audio" / "outro_bed.flac"  # None: no outro music
    cover: Path = ASSETS / "artwork" / "cover.png"  # the show's cover when the episode has none
    intro_overlap_ms: int = 0  # the read may start this long before the sting ends
    sting_level_lu: float = 0.0  # sting loudness relative to the levelled voice
    bed_level_lu: float = -4.0  # bed loudness (not ducked) relative to the levelled voice
    bed_lead_ms: int = (
        15000  # without credits_start_ms, the bed starts this long before the read ends
    )
    bed_fade_in_ms: int = 2000
    outro_tail_ms: int = 8000  # the bed runs on this long after the read ends (the outro's length)
    outro_fade_ms: int = 4000  # …and fades out over its last this-many ms
    duck_depth_db: float = (
        18.0  # nominal gain reduction of the bed while the host talks (≥ 12 dB wanted)
    )
    duck_ratio: float = 20.0  # sidechaincompress ratio (its maximum): near-limiting, a steady depth
    duck_attack_ms: float = 20.0
    duck_release_ms: float = 500.0  # slow release: the bed does not pump up between words
    # outputs
    mp3_bitrate_kbps: int = 192  # CBR; docs/output-rules.md "Loudness and audio": 128–192 kbps CBR (Apple: 128–256)
    mp3_rate: int = 44100  # Hz; podcast apps expect 44.1 kHz MP3
    wav_rate: int = WORK_RATE  # Hz; broadcast master (EBU: 48 kHz)
    wav_codec: str = "pcm_s24le"  # 24-bit broadcast master
    channels: int = 2  # stereo; the only layout made: the loudness targets above are stereo ones

    def __post_init__(self) -> None:
        for name in ("intro", "outro_bed", "cover"):  # episode.toml gives paths as strings
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, Path(value))
        for broken, message in _RULES:
            if broken(self):
                raise ProductionError(f"mastering setting: {message}")

    @property
    def target(self) -> LoudnessTarget:
        return PROFILES[self.profile]


_RULES = (
    (
        lambda s: s.profile not in PROFILES,
        "unknown loudness profile; choose one of " + ", ".join(PROFILES),
    ),
    (lambda s: not 0 < s.aim_lu <= s.tolerance_lu, "need 0 < aim_lu ≤ tolerance_lu"),
    (
        lambda s: s.encode_headroom_db < 0 or s.guard_margin_db <= 0,
        "encode_headroom_db must be ≥ 0 and guard_margin_db > 0",
    ),
    (lambda s: s.max_corrections < 0, "max_corrections must be ≥ 0"),
    (lambda s: s.highpass_hz <= 0, "highpass_hz must be > 0"),
    (
        lambda s: not 1 <= s.level_ratio <= 20 or not 1 <= s.duck_ratio <= 20,
        "ratios must be 1–20 (ffmpeg's range)",
    ),
    (
        lambda s: (
            min(
                s.intro_overlap_ms,
                s.bed_lead_ms,
                s.bed_fade_in_ms,
                s.outro_tail_ms,
                s.outro_fade_ms,
            )
            < 0
        ),
        "times must be ≥ 0 ms",
    ),
    (lambda s: s.duck_depth_db < 0, "duck_depth_db must be ≥ 0"),
    (
        lambda s: s.mp3_bitrate_kbps not in MP3_BITRATES_KBPS,
        "mp3_bitrate_kbps must be an MP3 bitrate (e.g. 128, 192)",
    ),
    (lambda s: s.mp3_rate not in MP3_RATES, "mp3_rate must be 32000, 44100 or 48000"),
    (
        lambda s: s.channels != 2,
        "channels must be 2: the loudness targets are stereo ones (mono would need −19 LUFS)",
    ),
)
