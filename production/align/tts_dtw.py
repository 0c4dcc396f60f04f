"""The default aligner: synthesise the script with eSpeak NG, warp it onto the recording with
multi-resolution DTW, then snap every fragment edge to the recording's own pauses.

Steps (``TtsDtwEngine.align``): decode -> check there is speech -> synthesise each fragment
(cached) -> features of both signals -> DTW -> map fragment and word edges through the path ->
refine edges against the recording's pauses -> confidence and sanity checks.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from ..errors import AlignmentError
from ..models import Alignment, Deviation, Fragment, Word
from ..settings import load_table
from ..synth import DEFAULT_VOICE, espeak_clip, resample, speech_span
from .base import FragmentInput, ProgressFn
from .dtw import Path as WarpPath
from .dtw import match_cost, multires_dtw, order_contrast, repeat_cost, shifted_cost, skipped_edges, warp_path
from .features import (
    FrameSpec,
    decode_int16,
    excess,
    floor_range,
    level_db,
    log_mel,
    match_floors,
    mel_filterbank,
    mfcc,
    standardise,
)
from .refine import (
    RefineSettings,
    adjust_edges,
    bed_rise_edges,
    bed_thresholds,
    drop_edge_fillers,
    quiet_mask,
    refine_edges,
)

log = logging.getLogger(__name__)

ENGINE_NAME = "tts-dtw"
ALIGN_WPM = 175  # eSpeak NG's own default: as accurate as slower reads, and less to synthesise
WORD_TAIL_HOP_MS = 5  # ms; resolution of a synthetic word's trailing-silence trim
WORD_TAIL_FLOOR_DB = -40.0  # dB below the clip's loudest frame that still counts as the word


@dataclass(frozen=True)
class TtsDtwSettings:
    # synthetic read
    # eSpeak NG voice of the synthetic read; "auto" picks by the host's pitch (a male synthetic
    # voice does not warp well onto a female host, nor the reverse), retrying the other on failure
    voice: str = "auto"
    voice_low: str = DEFAULT_VOICE  # "auto" below pitch_split_hz
    voice_high: str = "en-us+f3"  # "auto" from pitch_split_hz up
    pitch_split_hz: float = 165.0  # between typical adult male (~120 Hz) and female (~210 Hz) F0
    wpm: int = ALIGN_WPM  # words per minute of the synthetic read
    gap_ms: int = 200  # silence between fragments (and at both ends) of the synthetic read
    # features for DTW
    rate: int = 16000  # Hz; analysis rate of both signals
    hop_ms: int = 10  # ms between feature frames (the finest DTW grid)
    win_ms: int = 25  # ms analysis window
    n_mels: int = 32  # mel bands
    fmin_hz: float = 100.0  # lowest mel edge
    fmax_hz: float = 3800.0  # highest mel edge: telephone band, so 8 kHz recordings match
    n_ceps: int = 13  # cepstral coefficients, c0 included
    c0_weight: float = 0.5  # weight of the overall level (c0) against spectral shape
    # per-band noise-floor / loud-level percentiles matched between the signals (None: off)
    floor_quantiles: tuple[float, float] | None = (10.0, 95.0)
    # DTW
    pyramid_factor: int = 4  # frames merged per coarser DTW level
    max_full_cells: int = 20_000_000  # the coarsest level is solved in full below this many cells
    band_radius: int = 32  # frames searched either side of the coarser path at each finer level
    fine_band_radius: int = 12  # ... at the finest level (10 ms frames)
    skip_quantile: float = 0.9  # skipping head/tail audio costs this quantile of matched-row costs
    # a fragment mapped shorter than this share of what the read's tempo gives it has no speech
    # in the recording: reported as a skipped sentence (judged from min_skip_judged_ms expected)
    skipped_share: float = 0.2
    min_skip_judged_ms: int = 400
    # speech that belongs to no sentence (asides, false starts): see _unscripted
    min_unscripted_ms: int = 250  # shortest sound reported as unscripted speech
    restart_pause_ms: int = 300  # a pause at least this long inside a sentence may end a false start
    # leaving a recording frame out of a sentence costs this x the sentence's mean matched cost
    # on the main path: unscripted speech (which matches the read much worse) is left out, read
    # speech is kept
    unscripted_skip_share: float = 1.5
    restart_slack_ms: int = 100  # the left-out stretch must reach this close to the pause
    # a stretch up to a pause is an abandoned take when the host's next words repeat it: its DTW
    # onto their start costs under this share of a random pairing (false starts measured 0.34-0.45,
    # different words after a pause in right reads 0.70-0.88: bench/README.md) ...
    repeat_ratio: float = 0.55
    # ... and what follows the pause is long enough to be the whole sentence (this x its length at
    # the read's tempo; a sentence that repeats its own opening words is not cut)
    restart_rest_share: float = 0.6
    # a stretch at a sentence's edge, past a pause that no punctuation explains, is an aside when
    # the rest is long enough to be the whole sentence (this x its length at the read's tempo)
    aside_rest_share: float = 0.75
    # ... and when the sentence's read, DTW-matched to what is left, costs under this many times
    # its match to the whole span (bench/README.md: asides 0.89-1.01; words of the sentence cut off
    # after a hesitation or a filler 1.05 and 1.11: a thin margin, 7 cases)
    aside_cost_ratio: float = 1.03
    max_outer_stretch: float = 1.3  # first/last fragment mapped longer than this x the tempo: trim
    min_word_ms: int = 60  # shortest word timing given out (where the fragment is long enough)
    # refinement against the recording's pauses
    speech_fmin_hz: float = 60.0  # band of the speech-above-background measure: voicing ...
    speech_fmax_hz: float = 7600.0  # ... to fricatives (capped below Nyquist)
    env_hop_ms: int = 4  # ms per frame of the refinement level envelope
    env_hops_per_window: int = 3  # window of the refinement level envelope, in hops (12 ms)
    refine_window_ms: int = 350  # how far refinement may move an edge from DTW's estimate
    min_pause_ms: int = 60  # shortest quiet run that counts as a pause
    quiet_db: float = 10.0  # mean dB above the per-band background still counted as quiet
    span_db: float = 38.0  # dB below the local loud level always counted as quiet
    onset_span_db: float = 44.0  # an onset reaches back over soft sound within this of it (/h/)
    offset_span_db: float = 34.0  # an offset drops a breathy tail more than this under it
    max_adjust_ms: int = 80  # how far those two adjustments may move an edge
    floor_window_ms: int = 1500  # span of the running background estimate
    loud_window_ms: int = 4000  # span of the running loud level (longer than a long pause)
    min_sound_ms: int = 30  # sounds shorter than this are clicks, not speech
    blip_ms: int = 120  # a sound shorter than this alone in a pause is a click or breath ...
    blip_gap_ms: int = 150  # ... when the pause on each side is at least this long
    filler_ms: int = 700  # a sound this short at a fragment's edge, cut off by ...
    filler_pause_ms: int = 200  # ... a pause this long where the read has none ...
    filler_read_ms: int = 100  # ... (less of the synthetic read's silence mapped into it: eSpeak NG
    # pauses 140-190 ms at a comma, its stop closures last 10-60 ms)
    filler_max_quiet: float = 0.2  # ... unless more than this share of the rest of it is quiet
    breath_ms: int = 700  # a sound shorter than this alone in a pause ...
    breath_db: float = 16.0  # ... and never within this of the loud level is a breath
    # the background in each pause, where the synthetic read is silent (refine.bed_thresholds)
    bed_core_ms: int = 150  # DTW's gap shrunk by this at each side is surely pause
    bed_min_core_ms: int = 100  # a shorter core says too little about the background
    bed_smooth_ms: int = 120  # the level above the running background, averaged over this ...
    bed_quantile: float = 75.0  # ... its percentile in the core ...
    bed_margin_db: float = 3.0  # ... plus this is still quiet around that gap
    bed_neighbours: int = 4  # a gap too short to measure takes the median of this many nearest
    bed_max_db: float = 24.0  # never more than this ...
    bed_speech_margin_db: float = 8.0  # ... nor closer than this under the neighbouring speech's median
    # under a swelling bed, an edge moves towards its sentence to where the level rises fast
    # (refine.bed_rise_edges)
    rise_db: float = 10.0  # the low end of the next rise_hold_ms stands this over ...
    rise_hold_ms: int = 48  # ... (a hi-hat or a click is shorter) ...
    rise_quantile: float = 10.0  # ... (this percentile of it) ...
    rise_before_ms: int = 60  # ... the median of this much before
    rise_max_ms: int = 248  # never moved further than this (nor past the sentence's middle) ...
    rise_loud_db: float = 20.0  # ... nor over a frame within this of the loud level (speech)
    rise_level_db: float = 2.0  # then the first frame whose level stands this over that before ...
    rise_level_ms: int = 100  # ... within this (the background measure's 25 ms windows rise early) ...
    rise_level_under_db: float = 32.0  # ... where the level before stands this under the loud level
    # sanity checks and confidence
    padding_dbfs: float = -80.0  # quieter than this at a file's start or end is encoder padding
    silence_dbfs: float = -60.0  # a recording whose loud level is below this is silent
    min_speech_ms: int = 1000  # less detected speech than this: the recording is mostly silent
    min_speech_fraction: float = 0.05  # ... or less than this share of it
    max_script_ratio: float = 3.0  # synthetic speech longer than this x recorded speech: refused
    contrast_shift_ms: int = 400  # confidence: path cost against the cost 1, 2, 3 x this off it
    good_cost_ratio: float = 0.72  # that ratio for a clean alignment (confidence 1)
    bad_cost_ratio: float = 0.92  # ... for a script that does not match (confidence 0)
    # The verdict (calibrated on right and wrong script/recording pairs: bench/align_refusal.py,
    # table in bench/README.md). Two statistics per synthetic voice:
    # - order: the script's fragments in their order against reversed, coarse DTW cost ratio.
    #   Right reads measured 0.85-0.92 on the voice that fits best (real LibriVox, TIMIT-style,
    #   telephone-band and accented speech; eSpeak reads 0.24); wrong scripts 0.97-1.08, also
    #   when the recording's voice is the synthetic one. At or above max_order_ratio the script is
    #   refused (on every voice tried; the option below overrides).
    # - fit: the whole path's cost over its cost 0.4-1.2 s off the path. Right real reads
    #   measured 0.77-0.82, wrong scripts 0.88-0.95, but wrong scripts read by an eSpeak voice
    #   0.72-0.80: too voice-dependent to refuse on, so it only decides "weak" below; it decides
    #   alone for a one-fragment script (no order to compare).
    # Between the two (order from clean_order_ratio up, or fit from refuse_fit up) the evidence
    # is weak: the alignment is produced with every sentence marked low-confidence.
    max_order_ratio: float = 0.945
    clean_order_ratio: float = 0.93
    refuse_fit: float = 0.85
    # - order cost (nn_ratio): the path's cost over each synthetic frame's nearest recording frame
    #   anywhere. It removes the voice's own mismatch, which lets a wrong script read in a voice close
    #   to the synthetic one (an eSpeak NG read) look clean on order and fit. Right pairs measured
    #   1.28-2.23, wrong scripts on eSpeak NG reads 3.09-4.46 (bench/README.md); at or above
    #   clean_nn_ratio the evidence is weak (never a refusal on its own).
    clean_nn_ratio: float = 2.6
    good_fit: float = 0.8  # a clean voice that fits better than this is kept without trying the other
    accept_low_confidence: bool = False  # never refuse on the evidence; mark every sentence instead
    low_confidence: float = 0.3  # a sentence below this confidence is marked "low-confidence"
    # shorter aligned speech than this is too little evidence to call the script wrong (the
    # confidence contrasts the path with shifts of up to 1.2 s)
    min_judged_speech_ms: int = 8000
    order_window: int = 8  # fragments per window of that comparison
    order_windows: int = 9  # windows compared, spread over the episode (the median decides)
    order_margin_ms: int = 1000  # recording taken around each window's mapped span
    order_max_cells: int = 3_000_000  # a window's DTW is solved at the finest level under this (one
    # window, a short read: max_full_cells; more windows are cheaper at a coarser level)


@dataclass(frozen=True)
class _SynthRead:
    """The synthetic read: features' source signal and where each fragment and word lies in it."""

    samples: np.ndarray  # int16 at the analysis rate
    spans: list[tuple[int, int]]  # per fragment: speech (start, end) sample
    words: list[list[tuple[int, int]]]  # per fragment: per spoken word (start, end) sample


@dataclass(frozen=True)
class _Evidence:
    """What one synthetic voice's alignment says about whether the script is the recording's."""

    voice: str
    fit: float  # path cost over the cost off the path (lower: a better fit)
    order: float | None  # the script's order against reversed (None: one fragment)
    spoken_ms: int  # aligned speech the statistics rest on
    # per-sentence statistics (not in the verdict yet; recorded for calibration)
    tempo_mad: float | None = None  # median |log(mapped / synthetic duration) - its median|
    tempo_outliers: float | None = None  # share of sentences mapped < 0.5 or > 2 x the median tempo
    low_share: float | None = None  # share of sentences under the low-confidence bound
    nn_ratio: float | None = None  # path cost over each synthetic frame's nearest recording frame

    def says_wrong(self, s: TtsDtwSettings) -> bool:
        """Strong evidence that the script is not this recording's."""
        return self.fit >= s.refuse_fit if self.order is None else self.order >= s.max_order_ratio

    def clean(self, s: TtsDtwSettings) -> bool:
        """Good evidence that it is."""
        ordered = self.order is None or self.order < s.clean_order_ratio
        own = self.nn_ratio is None or self.nn_ratio < s.clean_nn_ratio
        return self.fit < s.refuse_fit and ordered and own

    def describe(self) -> str:
        order = "" if self.order is None else f", order ratio {self.order:.2f}"
        nn = "" if self.nn_ratio is None else f", order cost {self.nn_ratio:.2f}"
        return f"fit {self.fit:.2f}{order}{nn} with voice {self.voice}"


def _sentence_stats(
    frags: list[Fragment], read: _SynthRead, rate: int, low: float
) -> tuple[float | None, float | None, float | None]:
    """Per-sentence evidence: how evenly the recording's tempo follows the read's, sentence by
    sentence (a wrong script is warped onto spans of random length), and how many sentences
    match worse than the low-confidence bound."""
    if len(frags) < 2:
        return None, None, None
    synth_ms = np.array([max(1.0, (b - a) * 1000 / rate) for a, b in read.spans])
    mapped = np.array([max(1, f.end_ms - f.start_ms) for f in frags], dtype=float)
    logs = np.log(mapped / synth_ms)
    dev = np.abs(logs - np.median(logs))
    return (
        round(float(np.median(dev)), 4),
        round(float(np.mean(dev > np.log(2.0))), 4),
        round(float(np.mean([f.confidence < low for f in frags])), 4),
    )


NN_ROWS, NN_COLS = 2000, 20000  # synthetic and recording frames sampled for _nn_ratio


def _nn_ratio(syn: np.ndarray, rec: np.ndarray, read: _SynthRead, spec: FrameSpec, path: WarpPath) -> float:
    """Mean path cost of the synthetic speech frames over their mean distance to the nearest
    recording frame anywhere (order ignored): how much the script's order costs over the voice's
    own mismatch. Near 1 when the recording says these words in this order, whatever the voice."""
    rows = np.concatenate([np.arange(a // spec.hop, b // spec.hop) for a, b in read.spans])
    rows = rows[np.linspace(0, len(rows) - 1, min(len(rows), NN_ROWS)).astype(int)]
    cols = np.linspace(0, len(rec) - 1, min(len(rec), NN_COLS)).astype(int)
    a, b = syn[rows].astype(np.float32), rec[cols].astype(np.float32)
    b2 = (b**2).sum(axis=1)[None, :]
    blocks = [a[k : k + 200] for k in range(0, len(a), 200)]  # a few MB of distances at a time
    nearest = np.concatenate([((x**2).sum(axis=1)[:, None] + b2 - 2 * x @ b.T).min(axis=1) for x in blocks])
    nearest = np.sqrt(np.maximum(nearest, 0.0))
    return round(float(np.mean(path.cost[rows])) / max(float(np.mean(nearest)), 1e-9), 4)


def _mark_low_confidence(al: Alignment, threshold: float, everything: bool) -> Alignment:
    """When the evidence that the script matches is weak (``everything``), every sentence gets at
    most half ``threshold`` as confidence and a "low-confidence" deviation, so check and the review
    page show them. A single sentence's confidence alone is too noisy to mark it (right reads
    measured single sentences at 0.0), so a clean alignment is returned as it is."""
    if not everything:
        return al
    frags = tuple(replace(f, confidence=min(f.confidence, threshold / 2)) for f in al.fragments)
    marks = tuple(Deviation("low-confidence", f.start_ms, f.text, "", f.id) for f in frags)
    return replace(al, fragments=frags, deviations=tuple(al.deviations) + marks)


F0_MIN_HZ, F0_MAX_HZ = 60.0, 400.0  # search range of the host's fundamental frequency
F0_FRAME_MS = 40  # analysis frame: two periods of the lowest F0
F0_MAX_FRAMES = 1500  # frames analysed, spread over the recording: a minute of voice is plenty


def median_f0(samples: np.ndarray, rate: int) -> float | None:
    """Median fundamental frequency (Hz) of the loud, periodic frames; None if there are none."""
    n = rate * F0_FRAME_MS // 1000
    count = len(samples) // n
    if count < 3:
        return None
    frames = samples[: count * n].reshape(count, n).astype(np.float32)
    energy = (frames**2).mean(axis=1)
    loud = np.flatnonzero(energy >= np.quantile(energy, 0.7))
    pick = loud[np.linspace(0, len(loud) - 1, min(F0_MAX_FRAMES, len(loud))).astype(int)]
    x = frames[pick] - frames[pick].mean(axis=1, keepdims=True)
    spec = np.fft.rfft(x, 2 * n, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, :n]
    lo, hi = int(rate / F0_MAX_HZ), min(n - 1, int(rate / F0_MIN_HZ))
    lags = lo + np.argmax(ac[:, lo:hi], axis=1)
    strength = ac[np.arange(len(lags)), lags] / np.maximum(ac[:, 0], 1e-9)
    voiced = lags[strength > 0.4]
    return float(np.median(rate / voiced)) if len(voiced) else None


class TtsDtwEngine:
    name = ENGINE_NAME

    def __init__(self, **settings: object) -> None:
        where = "tts-dtw settings"
        self.settings = load_table(TtsDtwSettings, "tts-dtw", settings, where=where, error=AlignmentError)
        self.evidence: list[_Evidence] = []  # per voice tried: the verdict's statistics

    # -------------------------------------------------------------------------------- public

    def align(
        self,
        audio_path: Path,
        fragments: Sequence[FragmentInput],
        progress: ProgressFn | None = None,
    ) -> Alignment:
        audio_path = Path(audio_path)
        if not fragments:
            raise AlignmentError(
                "there is nothing to align (no fragments); check that the script has text"
            )
        samples = decode_int16(audio_path, self.settings.rate)
        tried: list[tuple[Alignment, _Evidence]] = []
        for voice in self._voices(samples):
            if tried and tried[-1][1].clean(self.settings) and self._fit(voice, samples, fragments) >= tried[-1][1].fit:
                break  # the clean voice is kept whatever else this one shows: no need to align with it
            tried.append(self._align_with(voice, audio_path, samples, fragments, progress))
            if tried[-1][1].clean(self.settings) and tried[-1][1].fit < self.settings.good_fit:
                break  # this voice fits well: the other would not do better
        clean = [pair for pair in tried if pair[1].clean(self.settings)]
        alignment, evidence = min(clean or tried, key=lambda pair: pair[1].fit)
        wrong = all(ev.says_wrong(self.settings) for _, ev in tried)
        judged = evidence.spoken_ms >= self.settings.min_judged_speech_ms
        if wrong and judged and not self.settings.accept_low_confidence:
            raise AlignmentError(
                f"the script does not match {audio_path.name} ({evidence.describe()}); check that "
                "the script and the recording are of the same episode, or pass "
                "--accept-low-confidence to produce it anyway with every sentence marked"
            )
        if not clean:
            log.warning("weak evidence that the script matches %s (%s)", audio_path.name, evidence.describe())
        return _mark_low_confidence(alignment, self.settings.low_confidence, everything=not clean)

    def _voices(self, samples: np.ndarray) -> list[str]:
        """The synthetic voices to try, best guess first."""
        s = self.settings
        if s.voice != "auto":
            return [s.voice]
        f0 = median_f0(samples, s.rate)
        high = f0 is not None and f0 >= s.pitch_split_hz
        return [s.voice_high, s.voice_low] if high else [s.voice_low, s.voice_high]

    @threadpool_limits.wrap(limits=1, user_api="blas")  # see pyproject.toml: threadpoolctl
    def _align_with(
        self,
        voice: str,
        audio_path: Path,
        samples: np.ndarray,
        fragments: Sequence[FragmentInput],
        progress: ProgressFn | None,
    ) -> tuple[Alignment, _Evidence]:
        s = self.settings
        report = progress or (lambda fraction, message: None)
        spec = self._frame_spec()
        report(0.0, "synthesising the script and analysing the recording")
        # eSpeak NG (ctypes) and numpy's FFTs release the GIL: synthesis overlaps the analysis.
        with ThreadPoolExecutor(max_workers=1) as pool:
            synthesis = pool.submit(self._synthesise_features, fragments, spec, voice)
            duration_ms = round(len(samples) * 1000 / s.rate)
            level = level_db(samples, s.rate * s.env_hop_ms // 1000, s.env_hops_per_window, s.rate)
            speech_bank = mel_filterbank(
                spec, s.speech_fmin_hz, min(s.speech_fmax_hz, s.rate / 2 - 200), 0.0
            )
            rec_mel, speech_mel = log_mel(samples, spec, speech_bank)
            rec_mel = floor_range(rec_mel)
            first, last = _sound_span(level, s.env_hop_ms, s.padding_dbfs)
            speech_mel = _fill_outside(speech_mel, first // s.hop_ms, last // s.hop_ms)
            above = self._above_background(speech_mel, spec, len(level))
            del speech_mel
            level = _fill_outside(level, first // s.env_hop_ms, last // s.env_hop_ms)
            quiet = quiet_mask(level, above, self._refine_settings())
            speech_ms = self._check_speech(audio_path, level, quiet)
            read, syn_mel = synthesis.result()
        self._check_lengths(read, speech_ms)
        report(0.5, "warping the synthetic read onto the recording")
        syn_feats, rec_feats = self._features(syn_mel, rec_mel, spec)
        path = multires_dtw(
            syn_feats,
            rec_feats,
            s.pyramid_factor,
            s.max_full_cells,
            s.band_radius,
            s.skip_quantile,
            s.fine_band_radius,
        )
        mismatch = shifted_cost(syn_feats, rec_feats, path, self._shifts())
        order = self._order_contrast(syn_feats, rec_feats, read, spec, path)
        report(0.9, "refining boundaries")
        frags, skipped = self._fragments(
            fragments, read, path, (level, above, quiet), spec, mismatch, duration_ms
        )
        spoken_ms = sum(f.end_ms - f.start_ms for f in frags)  # what the statistics rest on
        frags, unscripted = self._unscripted(frags, syn_feats, rec_feats, read, spec, quiet, skipped, path.cost)
        skipped = sorted(skipped + unscripted, key=lambda d: d.time_ms)
        cost = float(np.mean(path.cost))
        evidence = _Evidence(
            voice,
            fit=cost / max(float(np.mean(mismatch)), 1e-9),
            order=order,
            spoken_ms=spoken_ms,
        )
        mad, outliers, low_share = _sentence_stats(frags, read, s.rate, s.low_confidence)
        evidence = replace(
            evidence,
            tempo_mad=mad,
            tempo_outliers=outliers,
            low_share=low_share,
            nn_ratio=_nn_ratio(syn_feats, rec_feats, read, spec, path),
        )
        self.evidence.append(evidence)
        report(1.0, "aligned")
        return Alignment(ENGINE_NAME, audio_path.name, duration_ms, tuple(frags), tuple(skipped)), evidence

    @threadpool_limits.wrap(limits=1, user_api="blas")
    def _fit(self, voice: str, samples: np.ndarray, fragments: Sequence[FragmentInput]) -> float:
        """``voice``'s fit statistic alone, as ``_align_with`` computes it (no order test, no edge
        refinement): about half the work, and enough to know that a clean voice with a lower fit
        would be chosen over it."""
        s = self.settings
        spec = self._frame_spec()
        with ThreadPoolExecutor(max_workers=1) as pool:
            synthesis = pool.submit(self._synthesise_features, fragments, spec, voice)
            rec_mel = floor_range(log_mel(samples, spec))
            syn_mel = synthesis.result()[1]
        syn, rec = self._features(syn_mel, rec_mel, spec)
        path = multires_dtw(
            syn, rec, s.pyramid_factor, s.max_full_cells, s.band_radius, s.skip_quantile, s.fine_band_radius
        )
        return float(np.mean(path.cost)) / max(float(np.mean(shifted_cost(syn, rec, path, self._shifts()))), 1e-9)

    def _shifts(self) -> tuple[int, ...]:
        """Frames off the path at which the fit's "wrong by that much" cost is measured."""
        s = self.settings
        return tuple(k * sign * s.contrast_shift_ms // s.hop_ms for k in (1, 2, 3) for sign in (-1, 1))

    # -------------------------------------------------------------------------------- settings

    def _frame_spec(self) -> FrameSpec:
        s = self.settings
        win = s.rate * s.win_ms // 1000
        return FrameSpec(
            s.rate,
            s.rate * s.hop_ms // 1000,
            win,
            1 << (win - 1).bit_length(),
            s.n_mels,
            s.fmin_hz,
            s.fmax_hz,
            s.n_ceps,
        )

    def _refine_settings(self) -> RefineSettings:
        s = self.settings
        own = {"hop_ms", "window_ms"}  # named differently here (env_hop_ms, refine_window_ms)
        shared = {f.name: getattr(s, f.name) for f in fields(RefineSettings) if f.name not in own}
        return RefineSettings(hop_ms=float(s.env_hop_ms), window_ms=s.refine_window_ms, **shared)

    # -------------------------------------------------------------------------------- steps

    def _above_background(self, speech_mel: np.ndarray, spec: FrameSpec, n_fine: int) -> np.ndarray:
        """Mean level above the per-band background, resampled onto the refinement grid."""
        s = self.settings
        above = excess(speech_mel, max(3, s.floor_window_ms // s.hop_ms)).mean(axis=1)
        centres_ms = np.arange(n_fine) * s.env_hop_ms + s.env_hops_per_window * s.env_hop_ms / 2
        rows = np.round((centres_ms - spec.win * 500 / spec.rate) / s.hop_ms).astype(np.int64)
        return above[np.clip(rows, 0, len(above) - 1)]

    def _synthesise_features(
        self, fragments: Sequence[FragmentInput], spec: FrameSpec, voice: str
    ) -> tuple[_SynthRead, np.ndarray]:
        read = self._synthesise(fragments, voice)
        return read, floor_range(log_mel(read.samples, spec))

    def _features(
        self, syn_mel: np.ndarray, rec_mel: np.ndarray, spec: FrameSpec
    ) -> tuple[np.ndarray, np.ndarray]:
        s = self.settings
        if s.floor_quantiles:
            syn_mel, rec_mel = match_floors(syn_mel, rec_mel, *s.floor_quantiles)
        return standardise(mfcc(syn_mel, spec.n_ceps), s.c0_weight), standardise(
            mfcc(rec_mel, spec.n_ceps), s.c0_weight
        )

    def _check_speech(self, audio_path: Path, env: np.ndarray, quiet: np.ndarray) -> float:
        s = self.settings
        loud = float(np.percentile(env, 99)) if env.size else -120.0
        active = (~quiet) & (env > s.silence_dbfs - 20.0)
        speech_ms = float(active.sum()) * s.env_hop_ms
        total_ms = max(1.0, len(env) * s.env_hop_ms)
        if (
            loud < s.silence_dbfs
            or speech_ms < s.min_speech_ms
            or speech_ms < s.min_speech_fraction * total_ms
        ):
            raise AlignmentError(
                f"{audio_path.name} is mostly silent (about {speech_ms / 1000:.1f} s of sound in "
                f"{total_ms / 1000:.0f} s, loudest {loud:.0f} dBFS); check that it is the host's "
                "recording "
                "and that the right channel was exported"
            )
        return speech_ms

    def _check_lengths(self, read: _SynthRead, speech_ms: float) -> None:
        s = self.settings
        synth_ms = sum(b - a for a, b in read.spans) * 1000 / s.rate
        if synth_ms > s.max_script_ratio * speech_ms:
            raise AlignmentError(
                f"the script reads for about {synth_ms / 1000:.0f} s but the recording has only "
                f"about {speech_ms / 1000:.0f} s of speech; check that the script belongs to this "
                "recording "
                "(or that the recording is complete)"
            )

    def _order_contrast(
        self, syn: np.ndarray, rec: np.ndarray, read: _SynthRead, spec: FrameSpec, path: WarpPath
    ) -> float | None:
        """Median, over windows of a few consecutive fragments, of the cost ratio of the script's
        order against the same fragments reversed (None: fewer than 2 fragments). Windows keep the
        resolution fine on long episodes, where a whole-file coarse DTW cannot tell orders apart."""
        s = self.settings
        if len(read.spans) < 2:
            return None
        bounds = [0] + [a // spec.hop for a, _ in read.spans[1:]] + [len(syn)]
        chunks = [(bounds[k], bounds[k + 1]) for k in range(len(bounds) - 1)]
        groups = [chunks[k : k + s.order_window] for k in range(0, len(chunks), s.order_window)]
        if len(groups) > 1 and len(groups[-1]) < s.order_window // 2:
            groups[-2:] = [groups[-2] + groups[-1]]  # a short last window says little: one fragment
            # missing from it (a skipped sentence) made a right 10-sentence read look wrong
        groups = [g for g in groups if len(g) >= 2]
        if len(groups) > s.order_windows:
            groups = [groups[round(i)] for i in np.linspace(0, len(groups) - 1, s.order_windows)]
        margin = s.order_margin_ms // s.hop_ms
        ratios = []
        for group in groups:
            a, b = group[0][0], group[-1][1]
            lo = max(0, int(path.lo[a]) - margin) if len(groups) > 1 else 0  # one window: all of it
            hi = min(len(rec), int(path.hi[b - 1]) + margin) if len(groups) > 1 else len(rec)
            if hi - lo < 2:
                ratios.append(1.0)
                continue
            rel = [(x - a, y - a) for x, y in group]
            cells = s.max_full_cells if len(groups) == 1 else s.order_max_cells
            ratios.append(order_contrast(syn[a:b], rec[lo:hi], rel, s.pyramid_factor, cells))
        return float(np.median(ratios))

    def _unscripted(
        self,
        frags: list[Fragment],
        syn: np.ndarray,
        rec: np.ndarray,
        read: _SynthRead,
        spec: FrameSpec,
        quiet: np.ndarray,
        skipped: list[Deviation],
        cost: np.ndarray,
    ) -> tuple[list[Fragment], list[Deviation]]:
        """Speech that belongs to no script sentence: left out of every sentence and reported.

        - A stretch up to a pause that the same voice then says again at the start of a sentence
          (its own start, or the end of the sentence before): an abandoned take ("false-start").
          The host's voice against itself tells a repeat apart from other words far better than
          any voice against the synthetic read (bench/README.md).
        - Sound between two sentences (an aside DTW matched to the synthetic pause): "aside", or
          "false-start" when it repeats the next sentence's start.
        - A stretch at a sentence's start (or end), up to a pause, that the sentence's synthetic
          read leaves out when leaving a frame out costs nearly what a random match costs: an
          abandoned take ("false-start") or an aside run on at the end ("aside"). Words of the
          sentence before a pause inside it match the read better than that, so they stay.
        """
        s = self.settings
        centre = s.env_hops_per_window * s.env_hop_ms / 2
        runs = _runs(~quiet, s.env_hop_ms, centre)  # (start_ms, end_ms) of each sound
        pauses = _runs(quiet, s.env_hop_ms, centre)
        gone = {d.fragment_id for d in skipped}
        synth_ms = [(y - x) * 1000 / s.rate for x, y in read.spans]
        tempo = float(np.median([(f.end_ms - f.start_ms) / max(1.0, m) for f, m in zip(frags, synth_ms, strict=True)]))
        frags = list(frags)
        devs: list[Deviation] = []

        def repeats(x0: int, x1: int, y0: int, y1: int) -> bool:
            """Recording [x0, x1) ms says again what [y0, y1) starts with."""
            h = s.hop_ms
            x, y = rec[x0 // h : x1 // h], rec[y0 // h : y1 // h]
            return len(x) >= 2 and repeat_cost(x, y[: 2 * len(x)]) < s.repeat_ratio

        def rewarp(k: int, f: Fragment, a: int, b: int) -> Fragment:
            """``f`` moved to [a, b], its words placed by a DTW of its read onto that span."""
            moved = _retimed(f, a, b)
            h, r0 = s.hop_ms, read.spans[k][0] // spec.hop
            rows = syn[r0 : max(r0 + 2, read.spans[k][1] // spec.hop)]
            if len(read.words[k]) != len(f.words) or (b - a) // h < 2:
                return moved  # display words differ from spoken ones: keep the linear mapping
            lo, hi = warp_path(rows, rec[a // h : b // h])
            last = len(rows) - 1
            times = []
            for x, y in read.words[k]:
                first, end = min(last, max(0, x // spec.hop - r0)), min(last, max(0, y // spec.hop - r0 - 1))
                times.append((float(a + int(lo[first]) * h), float(a + (int(hi[end]) + 1) * h)))
            spans = _clamp_words(times, a, b, s.min_word_ms)
            words = tuple(replace(w, start_ms=x, end_ms=y) for w, (x, y) in zip(f.words, spans, strict=True))
            return replace(moved, words=words)

        def whole(k: int, a: int, b: int) -> bool:
            """[a, b] is long enough to hold all of sentence k at the read's tempo."""
            return b - a >= s.restart_rest_share * tempo * synth_ms[k]

        # an abandoned take of sentence k: at the end of sentence k - 1, or at the start of k
        for k, f in enumerate(frags):
            if f.id in gone:
                continue
            gaps = [(x, y) for x, y in pauses if y - x >= s.restart_pause_ms and f.start_ms < x < y < f.end_ms]
            for p0, p1 in gaps:
                a, b = f.start_ms, f.end_ms
                if p0 - a >= s.min_unscripted_ms and p0 - a < b - p1 and whole(k, p1, b) and repeats(a, p0, p1, b):
                    devs.append(Deviation("false-start", a, f.text, "", f.id, p0))
                    frags[k] = rewarp(k, f, p1, b)
                    break
            if k == 0 or frags[k - 1].id in gone:
                continue
            e = frags[k - 1]
            gaps = [(x, y) for x, y in pauses if y - x >= s.restart_pause_ms and e.start_ms < x < y < e.end_ms]
            if gaps:
                q0, q1 = gaps[-1]
                if e.end_ms - q1 >= s.min_unscripted_ms and whole(k - 1, e.start_ms, q0):
                    if repeats(q1, e.end_ms, frags[k].start_ms, frags[k].end_ms):
                        devs.append(Deviation("false-start", q1, f.text, "", f.id, e.end_ms))
                        frags[k - 1] = rewarp(k - 1, e, e.start_ms, q0)
        cut = {d.fragment_id for d in devs}
        told = [(d.time_ms, d.end_ms or d.time_ms) for d in devs]
        for k in range(len(frags) - 1):
            a, b = frags[k].end_ms, frags[k + 1].start_ms
            inside = [(x, y) for x, y in runs if x >= a and y <= b and not any(u < y and x < v for u, v in told)]
            if sum(y - x for x, y in inside) >= s.min_unscripted_ms:
                x0, x1 = inside[0][0], inside[-1][1]
                restart = repeats(x0, x1, frags[k + 1].start_ms, frags[k + 1].end_ms)
                kind, text = ("false-start", frags[k + 1].text) if restart else ("aside", "")
                devs.append(Deviation(kind, x0, text, "", frags[k + 1].id, x1))
        out = []
        for k, f in enumerate(frags):
            gaps = [(x, y) for x, y in pauses if y - x >= s.restart_pause_ms and f.start_ms < x < y < f.end_ms]
            if f.id in gone or f.id in cut or not gaps:
                out.append(f)
                continue
            a, b = f.start_ms, f.end_ms
            r0 = read.spans[k][0] // spec.hop
            rows = syn[r0 : max(r0 + 2, read.spans[k][1] // spec.hop)]
            skip = s.unscripted_skip_share * float(np.mean(cost[r0 : r0 + len(rows)]))
            head, tail = skipped_edges(rows, rec[a // s.hop_ms : b // s.hop_ms], skip)
            head_ms, tail_ms = a + head * s.hop_ms, b - tail * s.hop_ms  # where the read's match starts, ends
            (p0, p1), (q0, q1) = gaps[0], gaps[-1]
            expected = tempo * synth_ms[k]
            h = s.hop_ms
            # an aside past a pause no punctuation explains, when what remains holds the sentence;
            # when either end could be the aside, the end whose rest matches the read worse
            head_aside = (
                p0 - a >= s.min_unscripted_ms
                and b - p1 >= s.aside_rest_share * expected
                and not _at_punctuation(f, p0)
            )
            tail_aside = (
                b - q1 >= s.min_unscripted_ms
                and q0 - a >= s.aside_rest_share * expected
                and not _at_punctuation(f, q0)
            )
            if head_aside or tail_aside:
                # the read must not match what is left clearly worse than the whole span: words
                # of the sentence after a hesitation (a slow speaker's pause) are matched by it
                whole_cost = match_cost(rows, rec[a // h : b // h])
                head_rest = match_cost(rows, rec[p1 // h : b // h]) if head_aside else np.inf
                tail_rest = match_cost(rows, rec[a // h : q0 // h]) if tail_aside else np.inf
                head_aside = head_aside and head_rest < s.aside_cost_ratio * whole_cost
                tail_aside = tail_aside and tail_rest < s.aside_cost_ratio * whole_cost
            if head_aside and tail_aside:
                head_aside = head_rest <= tail_rest
                tail_aside = not head_aside
            if p0 - a >= s.min_unscripted_ms and head_ms >= p0 - s.restart_slack_ms:
                devs.append(Deviation("false-start", a, f.text, "", f.id, p0))
                a = p1
            elif head_aside:
                devs.append(Deviation("aside", a, "", "", f.id, p0))
                a = p1
            if b - q1 >= s.min_unscripted_ms and q0 > a and (tail_ms <= q1 + s.restart_slack_ms or tail_aside):
                devs.append(Deviation("aside", q1, "", "", f.id, b))
                b = q0
            out.append(f if (a, b) == (f.start_ms, f.end_ms) else rewarp(k, f, a, b))
        return out, devs

    def _synthesise(self, fragments: Sequence[FragmentInput], voice: str) -> _SynthRead:
        s = self.settings
        gap = np.zeros(s.rate * s.gap_ms // 1000, dtype=np.int16)
        parts, spans, words, pos = [gap], [], [], len(gap)
        for frag in fragments:
            text = frag.spoken.strip() or frag.text.strip()
            clip = espeak_clip(text, voice, s.wpm) if re.search(r"\w", text) else None
            if clip is None or len(clip.samples) == 0:
                speech = np.zeros(s.rate * s.hop_ms * 3 // 1000, dtype=np.float32)  # nothing to say
                word_edges = [(0, len(speech))] * len(text.split())
            else:
                audio = resample(clip.samples, clip.rate, s.rate)
                a, b = speech_span(audio, s.rate)
                speech = audio[a:b]
                scale = s.rate / clip.rate
                starts = [min(max(0, round(w * scale) - a), len(speech)) for w in clip.word_starts]
                word_edges = _word_edges(speech, starts, s.rate)
            spans.append((pos, pos + len(speech)))
            words.append([(pos + x, pos + y) for x, y in word_edges])
            parts += [(np.clip(speech, -1.0, 1.0) * 32767).astype(np.int16), gap]  # half the memory
            pos += len(speech) + len(gap)
        return _SynthRead(np.concatenate(parts), spans, words)

    def _fragments(
        self,
        fragments: Sequence[FragmentInput],
        read: _SynthRead,
        path: WarpPath,
        envelope: tuple[np.ndarray, np.ndarray, np.ndarray],
        spec: FrameSpec,
        mismatch: np.ndarray,
        duration_ms: int,
    ) -> tuple[list[Fragment], list[Deviation]]:
        """Each fragment's speech span, word timings and confidence; and the sentences the
        recording has no speech for (DTW squeezed their synthetic read onto a sliver)."""
        s = self.settings
        warp = _Warp(path, spec)
        starts = np.array([warp.start_ms(a) for a, _ in read.spans])
        ends = np.array([warp.end_ms(b) for _, b in read.spans])
        synth_ms = np.array([(b - a) * 1000 / s.rate for a, b in read.spans])
        starts, ends = _trim_outer_stretch(starts, ends, synth_ms, s.max_outer_stretch)
        centre = (
            s.env_hops_per_window * s.env_hop_ms / 2
        )  # envelope frame k is centred at k * hop + centre
        level, above, _ = envelope
        rs = self._refine_settings()
        starts, ends = (starts - centre) / s.env_hop_ms, (ends - centre) / s.env_hop_ms
        bed = bed_thresholds(above, starts, ends, rs)  # the background where the read is silent
        quiet = quiet_mask(level, above, rs, bed)
        starts, ends = refine_edges(starts, ends, quiet, rs)
        starts, ends = drop_edge_fillers(starts, ends, quiet, _read_silence(read, path, spec, len(level), s), rs)
        starts, ends = adjust_edges(starts, ends, level, above, rs, bed)
        starts, ends = bed_rise_edges(starts, ends, level, above, bed, rs)  # a swelling bed's crest beside speech
        starts, ends = _tidy(
            starts * s.env_hop_ms + centre, ends * s.env_hop_ms + centre, duration_ms
        )
        out, skipped = [], []
        tempo = float(np.median((ends - starts) / np.maximum(synth_ms, 1.0)))
        for k, frag in enumerate(fragments):
            a, b = int(starts[k]), int(ends[k])
            expected_ms = tempo * synth_ms[k]
            if expected_ms >= s.min_skip_judged_ms and b - a < s.skipped_share * expected_ms:
                skipped.append(Deviation("skipped-sentence", a, frag.text, "", frag.id))
            mapped = [(warp.start_ms(x), warp.end_ms(y)) for x, y in read.words[k]]
            spoken_times = _clamp_words(mapped, a, b, s.min_word_ms)
            spoken_tokens = (frag.spoken.strip() or frag.text.strip()).split()
            words = _display_words(frag.text.split(), spoken_tokens, spoken_times, a, b)
            rows = warp.rows(*read.spans[k])
            ratio = float(np.mean(path.cost[rows])) / max(float(np.mean(mismatch[rows])), 1e-9)
            conf = (s.bad_cost_ratio - ratio) / (s.bad_cost_ratio - s.good_cost_ratio)
            conf = 0.0 if skipped and skipped[-1].fragment_id == frag.id else conf
            out.append(
                Fragment(
                    frag.id, frag.text, a, b, tuple(words), round(float(np.clip(conf, 0.0, 1.0)), 3)
                )
            )
        return out, skipped


class _Warp:
    """Maps synthetic sample positions to recording milliseconds through the DTW path."""

    def __init__(self, path: WarpPath, spec: FrameSpec) -> None:
        self.path, self.spec = path, spec
        self.n = len(path.lo)

    def _row(self, sample: int) -> tuple[int, float]:
        centre = self.spec.win / 2
        row = int(round((sample - centre) / self.spec.hop))
        row = min(max(row, 0), self.n - 1)
        residual_ms = (sample - centre - row * self.spec.hop) * 1000 / self.spec.rate
        return row, residual_ms

    def _ms(self, frame: int, residual_ms: float) -> float:
        return (frame * self.spec.hop + self.spec.win / 2) * 1000 / self.spec.rate + residual_ms

    def start_ms(self, sample: int) -> float:
        row, res = self._row(sample)
        return self._ms(int(self.path.lo[row]), res)

    def end_ms(self, sample: int) -> float:
        row, res = self._row(sample)
        return self._ms(int(self.path.hi[row]), res)

    def rows(self, a: int, b: int) -> slice:
        ra, rb = self._row(a)[0], self._row(b)[0]
        return slice(ra, max(rb, ra + 1))


def _read_silence(read: _SynthRead, path: WarpPath, spec: FrameSpec, n_env: int, s: TtsDtwSettings) -> np.ndarray:
    """On the envelope grid, the ms of silent synthetic read (its gaps, pauses at commas: frames
    more than ``span_db`` under its loudest) that DTW maps at or before each frame (cumulative)."""
    db = np.full(len(path.lo), -30.0)  # int16 units: 10 log10(1e-3), digital silence
    step = 6000  # rows per block (a minute at 10 ms): memory stays small on long reads
    for r0 in range(0, len(path.lo), step):
        x = read.samples[r0 * spec.hop : min(r0 + step, len(db)) * spec.hop].astype(np.float32)
        rows = x[: len(x) // spec.hop * spec.hop].reshape(-1, spec.hop)
        db[r0 : r0 + len(rows)] = 10 * np.log10((rows**2).mean(axis=1) + 1e-3)
    n = int(path.hi.max()) + 1
    silent = np.cumsum(np.bincount(path.lo[db < db.max() - s.span_db], minlength=n)) * float(s.hop_ms)
    centres_ms = np.arange(n_env) * s.env_hop_ms + s.env_hops_per_window * s.env_hop_ms / 2
    cols = np.round((centres_ms - spec.win * 500 / spec.rate) / s.hop_ms).astype(np.int64)
    return silent[np.clip(cols, 0, n - 1)]


def _runs(mask: np.ndarray, hop_ms: int, centre: float) -> list[tuple[int, int]]:
    """(start_ms, end_ms) of each run of True in an envelope-grid mask."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded)).reshape(-1, 2)
    return [(int(x * hop_ms + centre), int(y * hop_ms + centre)) for x, y in edges]


PAUSE_MARKS = ",;:-\u2013\u2014)\u2026"  # punctuation a reader pauses at inside a sentence


def _at_punctuation(f: Fragment, at_ms: int) -> bool:
    """Whether a pause at ``at_ms`` inside ``f`` falls at punctuation of its text: the last word the
    alignment starts before it, or the word before that (the sentence's final word does not
    count), ends in a pause mark."""
    words = f.words
    if len(words) < 2:
        return False
    before = max([i for i, w in enumerate(words) if w.start_ms < at_ms], default=0)
    near = words[max(0, before - 1) : min(len(words) - 1, before + 1)]
    return any(w.text.rstrip("\"'\u2019\u201d").endswith(tuple(PAUSE_MARKS)) for w in near)


def _retimed(f: Fragment, a: int, b: int) -> Fragment:
    """``f`` moved to [a, b], its words mapped linearly from the old span."""
    scale = (b - a) / max(1, f.end_ms - f.start_ms)
    words = tuple(
        Word(w.text, a + round((w.start_ms - f.start_ms) * scale), a + round((w.end_ms - f.start_ms) * scale))
        for w in f.words
    )
    if len(words) == 1:
        words = (replace(words[0], start_ms=a, end_ms=b),)
    elif words:
        words = (replace(words[0], start_ms=a), *words[1:-1], replace(words[-1], end_ms=b))
    return replace(f, start_ms=a, end_ms=b, words=words)


def _sound_span(level: np.ndarray, hop_ms: int, padding_dbfs: float) -> tuple[int, int]:
    """(first, last) ms of sound in a file: outside them is encoder padding (near-digital
    silence), which must not drag running backgrounds and loud levels down near the ends."""
    real = np.flatnonzero(level > padding_dbfs)
    if len(real) == 0:
        return 0, len(level) * hop_ms
    return int(real[0]) * hop_ms, int(real[-1]) * hop_ms


def _fill_outside(x: np.ndarray, first: int, last: int) -> np.ndarray:
    """Rows before ``first`` and after ``last`` replaced by those two rows."""
    first, last = min(max(first, 0), len(x) - 1), min(max(last, 0), len(x) - 1)
    out = x.copy()
    out[:first] = x[first]
    out[last + 1 :] = x[last]
    return out


def _word_edges(speech: np.ndarray, starts: list[int], rate: int) -> list[tuple[int, int]]:
    """(start, end) sample of each word in a trimmed synthetic clip: a word ends where the next
    begins, less any silence (a comma's pause) at its tail."""
    hop = max(1, rate * WORD_TAIL_HOP_MS // 1000)
    n = len(speech) // hop
    energy = (
        (speech[: n * hop].astype(np.float64).reshape(n, hop) ** 2).mean(axis=1)
        if n
        else np.zeros(1)
    )
    loud = np.flatnonzero(energy > energy.max() * 10 ** (WORD_TAIL_FLOOR_DB / 10))
    out = []
    for k, a in enumerate(starts):
        b = starts[k + 1] if k + 1 < len(starts) else len(speech)
        inside = loud[(loud * hop >= a) & (loud * hop < b)]
        end = min(b, (int(inside[-1]) + 1) * hop) if len(inside) else b
        out.append((a, max(a, end)))
    return out


def _trim_outer_stretch(
    starts: np.ndarray, ends: np.ndarray, synth_ms: np.ndarray, limit: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pull in the first start and the last end when DTW stretched those fragments beyond
    ``limit`` x the read's tempo (a music intro or a noisy tail warped onto the words): the edge
    moves to where the read's tempo puts it, and refinement finds the pause there."""
    ratio = float(np.median((ends - starts) / np.maximum(synth_ms, 1.0)))
    starts, ends = starts.copy(), ends.copy()
    expected_first, expected_last = ratio * synth_ms[0], ratio * synth_ms[-1]
    if ends[0] - starts[0] > limit * expected_first:
        starts[0] = ends[0] - expected_first
    if ends[-1] - starts[-1] > limit * expected_last:
        ends[-1] = starts[-1] + expected_last
    return starts, ends


def _tidy(starts: np.ndarray, ends: np.ndarray, duration_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer ms, inside the recording, in order, never overlapping, each at least 1 ms long."""
    starts = np.clip(np.round(starts), 0, max(0, duration_ms - 1)).astype(np.int64)
    ends = np.clip(np.round(ends), 1, duration_ms).astype(np.int64)
    for k in range(len(starts)):
        if k > 0:
            starts[k] = max(starts[k], ends[k - 1])
        ends[k] = max(ends[k], starts[k] + 1)
        if k + 1 < len(starts) and ends[k] > starts[k + 1]:
            mid = (ends[k] + starts[k + 1]) // 2
            ends[k] = max(starts[k] + 1, mid)
    return starts, ends


def _clamp_words(
    times: list[tuple[float, float]], a: int, b: int, min_ms: int
) -> list[tuple[int, int]]:
    """Word times inside [a, b], in order, each at least ``min_ms`` long where the fragment allows;
    a word ends by the next one's start, the first starts at ``a`` and the last ends at ``b``."""
    n = len(times)
    if n == 0:
        return []
    step = min(float(min_ms), (b - a) / n)
    starts = np.array([x for x, _ in times], dtype=float)
    starts[0] = a
    starts = np.clip(starts, a, b - step * np.arange(n, 0, -1))  # leave room for the words after
    for k in range(1, n):  # forward: each word starts at least ``step`` after the previous one
        starts[k] = max(starts[k], starts[k - 1] + step)
    ends = np.array([y for _, y in times], dtype=float)
    nxt = np.append(starts[1:], b)
    ends = np.minimum(np.maximum(ends, starts + step), nxt)
    ends[-1] = b
    return [(int(round(x)), int(round(y))) for x, y in zip(starts, ends, strict=True)]


def _norm(token: str) -> str:
    return re.sub(r"[^\w]", "", token.lower())


def _display_words(
    display: list[str], spoken: list[str], times: list[tuple[int, int]], a: int, b: int
) -> list[Word]:
    """Timings for the words people see, from the timings of the words that were spoken.

    Tokens that read the same map one to one; a run of display tokens that was spoken
    differently ("R&D" -> "R and D", "3.5%" -> "three point five percent") shares the time of
    the spoken run it stands for, split by character length.
    """
    if not display:
        return []
    if len(display) == len(spoken) == len(times):
        return [Word(t, x, y) for t, (x, y) in zip(display, times, strict=True)]
    matcher = SequenceMatcher(
        a=[_norm(t) for t in display], b=[_norm(t) for t in spoken], autojunk=False
    )
    out: list[Word] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out += [Word(display[i1 + k], *times[j1 + k]) for k in range(i2 - i1)]
            continue
        if i1 == i2:
            continue  # spoken words with no display counterpart: their time joins no word
        lo = times[j1][0] if j1 < j2 else (out[-1].end_ms if out else a)
        hi = times[j2 - 1][1] if j1 < j2 else (times[j1][0] if j1 < len(times) else b)
        hi = max(lo, hi)
        weights = np.cumsum([0] + [len(t) for t in display[i1:i2]], dtype=float)
        edges = lo + (hi - lo) * weights / weights[-1]
        out += [
            Word(display[i1 + k], int(round(edges[k])), int(round(edges[k + 1])))
            for k in range(i2 - i1)
        ]
    return out
