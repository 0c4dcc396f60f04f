"""The build layout: which files a build has, by episode kind; the stage context's typed reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from production.layout import BuildLayout, caption_files
from production.models import Alignment
from production.stagekit import AlignResult, Context, ProduceOptions, Products, Stage, StageInputs, StageOrderError


def test_english_only_builds_have_english_captions_only() -> None:
    layout = BuildLayout(Path("/b"), "ep", translation=False, traditional=True)
    names = [p.name for p in layout.captions()]
    assert names == ["ep.en.srt", "ep.en.vtt"]
    assert layout.burn_in_ass is None
    assert not [p for p in layout.deliverables() if "bilingual" in p.name or "zh-" in p.name]


def test_translated_builds_add_chinese_and_bilingual_and_traditional_on_request() -> None:
    assert [f.suffix for f in caption_files(True)] == [
        "en.srt",
        "en.vtt",
        "zh-Hans.srt",
        "zh-Hans.vtt",
        "bilingual.srt",
        "bilingual.ass",
    ]
    assert [f.suffix for f in caption_files(True, traditional=True)][-2:] == ["zh-Hant.srt", "zh-Hant.vtt"]
    layout = BuildLayout(Path("/b"), "ep", translation=True)
    assert layout.burn_in_ass == Path("/b/ep.bilingual.ass")
    assert layout.mp3 == Path("/b/ep.mp3") and layout.state == Path("/b/.work/stages.json")


def _stage(name: str, reads: tuple[str, ...]) -> Stage:
    def nothing(ctx: Context) -> None:
        return None

    return Stage(
        name=name,
        version=1,
        reads=reads,
        run=nothing,
        load=nothing,
        inputs=lambda ctx: StageInputs(),
        outputs=lambda ctx: [],
    )


def test_a_stage_reads_only_what_it_declares() -> None:
    ctx = Context(episode=None, options=ProduceOptions(), progress=lambda *a: None, state=None)  # type: ignore[arg-type]
    ctx.products = Products()
    ctx.stage = _stage("captions", ("ingest", "align"))
    with pytest.raises(StageOrderError, match="no result yet"):
        _ = ctx.aligned
    ctx.products.align = AlignResult(Alignment(engine="x", audio="a.wav", duration_ms=0, fragments=()))
    assert ctx.aligned.alignment.audio == "a.wav"
    ctx.stage = _stage("credits", ("ingest",))
    with pytest.raises(StageOrderError, match="without declaring"):
        _ = ctx.aligned
