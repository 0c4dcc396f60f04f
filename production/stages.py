"""The stage table the pipeline runs. Each stage: run, load-when-skipped, inputs, outputs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from .models import Alignment, Sentence, Word
from .pipeline import Context, Stage, _noop


# ---------------------------------------------------------------- ingest
def _ingest_run(ctx: Context) -> None:
    from .ingest import ingest

    ctx.products["ingested"] = ingest(ctx.episode)


def _ingest_inputs(ctx: Context) -> tuple[list[Path], Any]:
    ep = ctx.episode
    files = [ep.script] + ([ep.translation] if ep.translation else [])
    return files, {"title": ep.title, "credits": ep.credits, "names_zh": ep.names_zh}


# ---------------------------------------------------------------- align
def _engine(ctx: Context) -> tuple[str, str | None]:
    return (ctx.options.engine or ctx.episode.engine, ctx.options.whisper_model or ctx.episode.whisper_model)


def _align_run(ctx: Context) -> None:
    from .align import write_alignment
    from .align.inputs import fragments_from_sentences
    from .align.run import align_fragments

    engine, model = _engine(ctx)
    sentences = ctx.products["ingested"].script.sentences
    result = align_fragments(ctx.episode.host_audio, fragments_from_sentences(sentences), engine, model,
                             progress=ctx.progress)
    alignment = replace(result.alignment, audio=ctx.episode.host_audio.name)
    write_alignment(ctx.build / "alignment.json", alignment)
    ctx.products["alignment"] = alignment


def _align_load(ctx: Context) -> None:
    from .align import read_alignment

    ctx.products["alignment"] = read_alignment(ctx.build / "alignment.json")


def _align_inputs(ctx: Context) -> tuple[list[Path], Any]:
    engine, model = _engine(ctx)
    spoken = [(s.id, s.spoken) for s in ctx.products["ingested"].script.sentences]
    return [ctx.episode.host_audio], {"engine": engine, "model": model, "fragments": spoken}


def timed_sentences(sentences: tuple[Sentence, ...], alignment: Alignment, offset_ms: int = 0) -> tuple[Sentence, ...]:
    """Script sentences with the alignment's timings, shifted by ``offset_ms`` (master time)."""
    by_id = {f.id: f for f in alignment.fragments}
    out = []
    for s in sentences:
        f = by_id.get(s.id)
        if f is None:
            continue
        words = tuple(Word(w.text, w.start_ms + offset_ms, w.end_ms + offset_ms) for w in f.words)
        out.append(replace(s, start_ms=f.start_ms + offset_ms, end_ms=f.end_ms + offset_ms, words=words))
    return tuple(out)


STAGES: list[Stage] = [
    Stage("ingest", _ingest_run, _ingest_run, _ingest_inputs, lambda ctx: []),
    Stage("align", _align_run, _align_load, _align_inputs, lambda ctx: [ctx.build / "alignment.json"], ("ingest",)),
]
_ = _noop
