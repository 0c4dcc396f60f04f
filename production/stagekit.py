"""What the stages hand each other: one typed result per stage, the :class:`Context` that holds
them, and the :class:`Stage` record the stage table is made of.

A stage declares the stages it ``reads`` (their results and output files); reading any other
result is refused, so the table's order and its declared data flow cannot drift apart. The
pipeline (pipeline.py) runs the table (stages.py); neither imports the other's internals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .layout import BuildLayout

if TYPE_CHECKING:
    from .cache import StageState
    from .captions import CaptionSet, QcIssue
    from .corrections import Corrected
    from .credits import CreditRoll
    from .episode import Episode
    from .ingest import Ingested
    from .mastering import MasterReport
    from .models import Alignment, Sentence

Progress = Callable[[str, float, str], None]
# "clips": build/clips/<name>.mp4 the review editor marked (corrections hook, issue 15)
STAGE_NAMES = ("ingest", "align", "captions", "credits", "master", "video", "clips", "publish")
T = TypeVar("T")


@dataclass(frozen=True)
class ProduceOptions:
    force: bool = False  # redo every stage even when up to date
    only: str | None = None  # run just this stage (its inputs must exist)
    from_stage: str | None = None  # redo from this stage on
    engine: str | None = None  # overrides episode.toml's engine
    whisper_model: str | None = None  # overrides episode.toml's whisper_model
    offline: bool = False  # never download a named whisper model (cache or .pt path only)
    loudness: str | None = None  # overrides episode.toml's loudness profile
    burn_in: bool = True  # burn bilingual captions into the MP4
    accept_low_confidence: bool = False  # align even a script the evidence says is wrong (marked)
    # cluster hook: x264 threads per video encode when episode.toml's [video] threads is unset
    # (None: x264 decides, i.e. every core). Batches set it so parallel encodes share the CPUs.
    encode_threads: int | None = None


# ---------------------------------------------------------------- results, one per stage
@dataclass(frozen=True)
class AlignResult:
    alignment: Alignment  # host-file clock (ms from the start of the host's recording)


@dataclass(frozen=True)
class TrackIssue:
    """A caption QC finding on one track, with where its cue starts (master clock)."""

    issue: QcIssue
    start_ms: int | None  # None: the finding is about the whole track


@dataclass(frozen=True)
class CaptionsResult:
    timed: tuple[Sentence, ...]  # script sentences with word timings, master clock
    captions: CaptionSet
    issues: tuple[TrackIssue, ...]
    summary: Mapping[str, object]  # qc.summary of the issues


@dataclass(frozen=True)
class CreditsResult:
    roll: CreditRoll
    roll_ms: int  # length of the rendered credit roll; 0 without credits
    mode: str  # "scroll", "card" or "none"


@dataclass(frozen=True)
class MasterResult:
    report: MasterReport


@dataclass(frozen=True)
class VideoResult:
    duration_ms: int
    warnings: tuple[str, ...]


@dataclass
class Products:
    """The stages' results so far; a stage fills its own field (run, or load when up to date)."""

    ingest: Ingested | None = None
    align: AlignResult | None = None
    captions: CaptionsResult | None = None
    credits: CreditsResult | None = None
    master: MasterResult | None = None
    video: VideoResult | None = None
    # not a stage: ingest's and align's results with the editor's fixes applied (corrections hook)
    corrected: Corrected | None = None


class StageOrderError(RuntimeError):
    """A stage read a result it did not declare, or one not made yet: a defect in stages.py."""


# ---------------------------------------------------------------- stage table records
@dataclass(frozen=True)
class StageInputs:
    """What decides whether a stage is up to date, besides the stages it reads: files hashed by
    content, and settings (plain values and dataclasses; a Path inside is hashed by content)."""

    files: tuple[Path, ...] = ()
    settings: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Stage:
    name: str
    version: int  # bump when a change to this stage's code changes what it writes
    reads: tuple[str, ...]  # stages whose results or output files this one uses
    run: Callable[[Context], None]  # does the work, sets its result in ctx.products
    load: Callable[[Context], None]  # sets its result from its outputs when it is up to date
    inputs: Callable[[Context], StageInputs]
    outputs: Callable[[Context], list[Path]]  # the files it writes (under build/)


def no_result(ctx: Context) -> None:
    """``load`` of a stage whose result no later stage reads."""


@dataclass
class Context:
    episode: Episode
    options: ProduceOptions
    progress: Progress
    state: StageState
    products: Products = field(default_factory=Products)
    stage: Stage | None = None  # the stage being run or loaded
    memo: dict[str, int] = field(default_factory=dict)  # figures computed once per run

    @property
    def layout(self) -> BuildLayout:
        return self.episode.layout

    @property
    def build(self) -> Path:
        return self.episode.build_dir

    @property
    def work(self) -> Path:
        return self.layout.work

    def report(self, stage: str) -> Callable[[float, str], None]:
        def tell(fraction: float, message: str = "") -> None:
            self.progress(stage, fraction, message)

        return tell

    # typed reads of other stages' results, checked against the running stage's ``reads``
    def _read(self, name: str, value: T | None) -> T:
        if self.stage is not None and name != self.stage.name and name not in self.stage.reads:
            raise StageOrderError(f"stage {self.stage.name!r} reads {name!r} without declaring it in its reads")
        if value is None:
            raise StageOrderError(f"stage {name!r} has no result yet; it must come before its readers")
        return value

    @property
    def ingested(self) -> Ingested:
        return self._read("ingest", self.products.ingest)

    @property
    def aligned(self) -> AlignResult:
        return self._read("align", self.products.align)

    @property
    def captioned(self) -> CaptionsResult:
        return self._read("captions", self.products.captions)

    @property
    def credited(self) -> CreditsResult:
        return self._read("credits", self.products.credits)

    @property
    def mastered(self) -> MasterResult:
        return self._read("master", self.products.master)
