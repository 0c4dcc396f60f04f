"""The stage table the pipeline runs. Each stage: run, load-when-skipped, inputs, outputs."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from .demo import SYNTHETIC_LABEL
from .episode import Episode, table_settings
from .fsutil import write_json
from .models import Alignment, Sentence, Word
from .pipeline import Context, Stage, _noop

log = logging.getLogger(__name__)

CHAPTER_TARGET_MS = 60_000  # chapters of about a minute: enough to navigate a 5–15 min episode
CHAPTER_TITLE_WORDS = 6  # a chapter is titled by the opening words of its first sentence


def check_tables(episode: Episode) -> None:
    """Refuse bad episode.toml settings tables before any stage runs (not minutes later)."""
    from .captions import CaptionSettings
    from .credits import roll_settings
    from .mastering import MasteringSettings
    from .video import VideoSettings

    table_settings(CaptionSettings, "captions", dict(episode.captions))
    table_settings(MasteringSettings, "mastering", dict(episode.mastering))
    table_settings(VideoSettings, "video", dict(episode.video))
    roll_settings(episode.credit_roll)


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
    model = ctx.options.whisper_model
    if model is None and ctx.episode.whisper_model:
        # a path in episode.toml is relative to the episode folder; a bare name is a cached model
        local = ctx.episode.folder / ctx.episode.whisper_model
        model = str(local) if local.is_file() else ctx.episode.whisper_model
    return (ctx.options.engine or ctx.episode.engine, model)


def _align_run(ctx: Context) -> None:
    from .align import write_alignment
    from .align.inputs import fragments_from_sentences
    from .align.run import align_fragments

    engine, model = _engine(ctx)
    sentences = ctx.products["ingested"].script.sentences
    result = align_fragments(
        ctx.episode.host_audio,
        fragments_from_sentences(sentences),
        engine,
        model,
        progress=ctx.progress,
        offline=ctx.options.offline,
    )
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


# ---------------------------------------------------------------- shared settings
def _mastering_settings(ctx: Context) -> Any:
    from .mastering import MasteringSettings

    overrides = dict(ctx.episode.mastering)
    overrides.setdefault("profile", ctx.options.loudness or ctx.episode.loudness)
    if ctx.episode.cover:
        overrides.setdefault("cover", ctx.episode.cover)
    roll_ms = ctx.products.get("roll_ms")
    settings = table_settings(MasteringSettings, "mastering", overrides)
    if roll_ms and "outro_tail_ms" not in ctx.episode.mastering:
        # the outro music runs on under the whole credit roll
        settings = replace(settings, outro_tail_ms=max(settings.outro_tail_ms, roll_ms + OUTRO_AFTER_ROLL_MS))
    return settings


def _caption_settings(ctx: Context) -> Any:
    from .captions import CaptionSettings

    return table_settings(CaptionSettings, "captions", dict(ctx.episode.captions))


def _offset_ms(ctx: Context) -> int:
    if "offset_ms" not in ctx.products:
        from .mastering import intro_offset_ms

        ctx.products["offset_ms"] = intro_offset_ms(_mastering_settings(ctx))
    return int(ctx.products["offset_ms"])


OUTRO_AFTER_ROLL_MS = 2500  # the bed fades out after the roll has ended
ROLL_GAP_MS = 800  # the roll starts this long after the host's last word


# ---------------------------------------------------------------- captions
def _captions_build(ctx: Context) -> None:
    from .captions import build_captions, qc

    ing = ctx.products["ingested"]
    settings = _caption_settings(ctx)
    timed = timed_sentences(ing.script.sentences, ctx.products["alignment"], _offset_ms(ctx))
    cs = build_captions(timed, ing.zh_pairs, settings)
    issues = []
    for lang, track, cues in (("en", "en", cs.en), ("zh-Hans", "zh", cs.zh), ("bilingual", "bilingual", cs.bilingual)):
        if cues:
            issues += [(lang, i, cues) for i in qc.check(cues, lang, settings, cs.speech.get(track))]
    ctx.products.update(timed=timed, captions=cs, qc_issues=issues, qc_summary=qc.summary([i for _, i, _ in issues]))


def _captions_run(ctx: Context) -> None:
    from .captions import write_captions

    _captions_build(ctx)
    write_captions(ctx.products["captions"], ctx.build, ctx.episode.slug, _caption_settings(ctx))


def _caption_outputs(ctx: Context) -> list[Path]:
    from .captions import output_names

    s = _caption_settings(ctx)
    return [ctx.build / n for n in output_names(ctx.episode.slug, ctx.episode.translation is not None, s.traditional)]


def _captions_inputs(ctx: Context) -> tuple[list[Path], Any]:
    return [], {"settings": repr(_caption_settings(ctx)), "offset": _offset_ms(ctx)}


# ---------------------------------------------------------------- credits
def _roll(ctx: Context) -> Any:
    from .credits import episode_credit_roll

    ep = ctx.episode
    return episode_credit_roll(ctx.products["ingested"].script.credits, ep.credits, ep.names_zh)


def _credits_run(ctx: Context) -> None:
    from .credits import render_roll, roll_settings, write_credits_json

    roll = _roll(ctx)
    write_credits_json(roll, ctx.build / "credits.json")
    roll_ms, mode = 0, "none"
    if roll.entries:
        info = render_roll(roll, ctx.work / "credit-roll.mp4", roll_settings(ctx.episode.credit_roll))
        roll_ms, mode = info.roll_duration_ms, info.mode
    else:  # a script without credits still produces: the video simply has no roll
        (ctx.work / "credit-roll.mp4").unlink(missing_ok=True)
        log.warning("no credits in the script or episode.toml: the video ends without a credit roll")
    write_json(ctx.work / "credit-roll.json", {"roll_duration_ms": roll_ms, "mode": mode})
    ctx.products.update(roll=roll, roll_ms=roll_ms)


def _credits_load(ctx: Context) -> None:
    info = json.loads((ctx.work / "credit-roll.json").read_text(encoding="utf-8"))
    ctx.products.update(roll=_roll(ctx), roll_ms=int(info["roll_duration_ms"]))


def _credits_outputs(ctx: Context) -> list[Path]:
    roll_video = [ctx.work / "credit-roll.mp4"] if _roll(ctx).entries else []
    return [ctx.build / "credits.json", *roll_video, ctx.work / "credit-roll.json"]


def _credits_inputs(ctx: Context) -> tuple[list[Path], Any]:
    ep = ctx.episode
    credits = [(c.role, c.names) for c in ctx.products["ingested"].script.credits]
    return [], {"credits": credits, "table": ep.credits, "zh": ep.names_zh, "roll": ep.credit_roll}


# ---------------------------------------------------------------- master
def chapters_from_sentences(sentences: tuple[Sentence, ...], target_ms: int = CHAPTER_TARGET_MS) -> list[Any]:
    """Chapters of whole paragraphs, about ``target_ms`` long, titled by their opening words."""
    from .tags import Chapter

    groups: list[list[Sentence]] = []
    for s in sentences:
        new_para = not groups or s.paragraph != groups[-1][-1].paragraph
        long_enough = bool(groups) and (groups[-1][-1].end_ms or 0) - (groups[-1][0].start_ms or 0) >= target_ms
        if not groups or (new_para and (long_enough or groups[-1][0].paragraph == 0)):
            groups.append([s])
        else:
            groups[-1].append(s)
    chapters = []
    for i, g in enumerate(groups):
        end = groups[i + 1][0].start_ms if i + 1 < len(groups) else g[-1].end_ms
        title = "Introduction" if i == 0 else _chapter_title(g[0].text)
        chapters.append(Chapter(title, int(g[0].start_ms or 0), int(end or 0)))
    if chapters:
        chapters[0] = replace(chapters[0], start_ms=0)
    return chapters


def _chapter_title(text: str, words: int = CHAPTER_TITLE_WORDS) -> str:
    parts = text.split()
    return " ".join(parts[:words]).rstrip(",;:.") + ("…" if len(parts) > words else "")


def _tags(ctx: Context) -> Any:
    from .credits import id3_tipl
    from .tags import EpisodeTags

    ep, ing = ctx.episode, ctx.products["ingested"]
    presenters = [e.names for e in ctx.products["roll"].entries if e.role_en.lower() == "presented by"]
    return EpisodeTags(
        title=ep.title,
        show=ep.show,
        host=ep.host,
        date=ep.date.isoformat(),
        publisher=", ".join(presenters[0]) if presenters else "",
        comment=ep.description,
        lyrics="\n\n".join(" ".join(s.text for s in para) for para in ing.script.paragraphs),
        credits=tuple(id3_tipl(ctx.products["roll"])),
        cover=ep.cover,
    )


def _host_sentences(ctx: Context) -> tuple[Sentence, ...]:
    return timed_sentences(ctx.products["ingested"].script.sentences, ctx.products["alignment"])


def _master_run(ctx: Context) -> None:
    from .mastering import master

    host_timed = _host_sentences(ctx)
    report = master(
        ctx.episode.host_audio,
        ctx.out(".mp3"),
        ctx.out(".wav"),
        _mastering_settings(ctx),
        _tags(ctx),
        chapters_from_sentences(host_timed),
        [(s.start_ms or 0, s.end_ms or 0) for s in host_timed],
        progress=ctx.report("master"),
    )
    write_json(ctx.work / "master.json", report.to_dict())
    ctx.products["master"] = report.to_dict()


def _master_load(ctx: Context) -> None:
    ctx.products["master"] = json.loads((ctx.work / "master.json").read_text(encoding="utf-8"))


def _master_inputs(ctx: Context) -> tuple[list[Path], Any]:
    settings = _mastering_settings(ctx)
    assets = [p for p in (settings.intro, settings.outro_bed, settings.cover) if p]
    return [ctx.episode.host_audio, *assets], {"settings": repr(settings), "tags": repr(_tags(ctx))}


# ---------------------------------------------------------------- video
def _video_run(ctx: Context) -> None:
    from .video import SoftSub, VideoSettings, render_video

    slug, ep = ctx.episode.slug, ctx.episode
    subs = [SoftSub(ctx.out(".en.srt"), "eng", "English")]
    if ep.translation:
        subs.append(SoftSub(ctx.out(".zh-Hans.srt"), "chi", "中文（简体）"))
    settings = table_settings(VideoSettings, "video", {**ep.video, "burn_in": ctx.options.burn_in})
    if ctx.options.encode_threads and "threads" not in ep.video:  # cluster hook: the batch's share of the CPUs
        settings = replace(settings, threads=ctx.options.encode_threads)
    last_word = max((s.end_ms or 0) for s in ctx.products["timed"]) if ctx.products["timed"] else 0
    report = render_video(
        ctx.out(".mp4"),
        ctx.out(".wav"),
        ep.title,
        ep.host,
        settings,
        ass=ctx.out(".bilingual.ass") if ep.translation else None,
        soft_subs=subs,
        roll=ctx.work / "credit-roll.mp4" if ctx.products["roll_ms"] else None,
        roll_start_ms=last_word + ROLL_GAP_MS,
        progress=ctx.report("video"),
    )
    _ = slug
    ctx.products["video"] = {
        "duration_ms": report.duration_ms,
        "elapsed_s": report.elapsed_s,
        "warnings": list(report.warnings),
    }


def _video_inputs(ctx: Context) -> tuple[list[Path], Any]:
    return [], {
        "video": ctx.episode.video,
        "burn_in": ctx.options.burn_in,
        "title": ctx.episode.title,
        "host": ctx.episode.host,
    }


def _video_outputs(ctx: Context) -> list[Path]:
    return [ctx.out(".mp4")] if ctx.options.video else []


# ---------------------------------------------------------------- publish
def _publish_inputs_obj(ctx: Context) -> Any:
    from .credits import credits_json, podcast_persons, shownotes_paragraph
    from .publish import PublishInputs

    ep, ing, roll = ctx.episode, ctx.products["ingested"], ctx.products["roll"]
    zh = {eid: p.zh for p in (ing.zh_pairs or ()) for eid in p.en_ids[:1]}
    m = ctx.products["master"]
    offset = int(m["intro_ms"])
    captions = {f"{ep.slug}.en.vtt": ("text/vtt", "en"), f"{ep.slug}.en.srt": ("application/x-subrip", "en")}
    if ep.translation:
        captions |= {
            f"{ep.slug}.zh-Hans.vtt": ("text/vtt", "zh-Hans"),
            f"{ep.slug}.zh-Hans.srt": ("application/x-subrip", "zh-Hans"),
        }
    chapters = [(c["title"], c["start_ms"], c["end_ms"]) for c in m.get("chapters", [])]
    qc_issues = [
        {
            "cue_index": i.cue_index,
            "lang": lang,
            "rule": i.rule,
            "severity": i.severity,
            "message": i.message,
            "start_ms": cues[i.cue_index].start_ms if 0 <= i.cue_index < len(cues) else None,
        }
        for lang, i, cues in ctx.products["qc_issues"]
    ]
    deviations = [
        {
            "kind": d.kind,
            "time_ms": d.time_ms + offset,
            "script": d.script,
            "spoken": d.spoken,
            "fragment_id": d.fragment_id,
        }
        for d in ctx.products["alignment"].deviations
    ]
    return PublishInputs(
        show=ep.show,
        title=ep.title,
        slug=ep.slug,
        date=ep.date,
        audio_file=ctx.out(".mp3"),
        duration_ms=int(m["duration_ms"]),
        sentences=ctx.products["timed"],
        description=ep.description,
        host=ep.host,
        episode_type=ep.episode_type,
        guid=ep.guid,
        base_url=ep.base_url,
        video_file=ctx.out(".mp4") if ctx.out(".mp4").exists() else None,
        zh=zh,
        chapters=chapters,
        persons=podcast_persons(roll),
        credits_markdown=shownotes_paragraph(roll),
        credits_json=credits_json(roll),
        caption_files=captions,
        captions_en=ctx.products["captions"].en,
        loudness={
            "integrated_lufs": m["integrated_lufs"],
            "true_peak_dbtp": m["true_peak_dbtp"],
            "lra": m["lra_lu"],
            "profile": m["profile"],
            "target_lufs": m["target_lufs"],
        },
        qc_summary=ctx.products["qc_summary"],
        qc_issues=qc_issues,
        deviations=deviations,
        engine=ctx.products["alignment"].engine,
        synthetic_host_read=(ep.folder / SYNTHETIC_LABEL).exists(),
        published=ep.published,
    )


def _publish_run(ctx: Context) -> None:
    from .align.report import write_report
    from .publish import write_bundle

    write_report(ctx.work / "deviations.txt", ctx.products["alignment"])
    write_bundle(ctx.build, _publish_inputs_obj(ctx), extra={"master": ctx.products["master"]})


def _publish_inputs(ctx: Context) -> tuple[list[Path], Any]:
    ep = ctx.episode
    meta: list[str] = [ep.title, ep.description, ep.base_url, ep.guid, ep.episode_type, ep.host, ep.show]
    return [], {"meta": meta + ([ep.published.isoformat()] if ep.published else [])}


def _always_stale(ctx: Context) -> tuple[list[Path], Any]:
    return [], {}


STAGES: list[Stage] = [
    Stage("ingest", _ingest_run, _ingest_run, _ingest_inputs, lambda ctx: []),
    Stage("align", _align_run, _align_load, _align_inputs, lambda ctx: [ctx.build / "alignment.json"], ("ingest",)),
    Stage("captions", _captions_run, _captions_build, _captions_inputs, _caption_outputs, ("ingest", "align")),
    Stage(
        "credits",
        _credits_run,
        _credits_load,
        _credits_inputs,
        _credits_outputs,
        ("ingest",),
    ),
    Stage(
        "master",
        _master_run,
        _master_load,
        _master_inputs,
        lambda ctx: [ctx.out(".mp3"), ctx.out(".wav"), ctx.work / "master.json"],
        ("ingest", "align", "credits"),
    ),
    Stage("video", _video_run, _noop, _video_inputs, _video_outputs, ("captions", "credits", "master")),
    Stage(
        "publish",
        _publish_run,
        _noop,
        _publish_inputs,
        lambda ctx: [ctx.build / "manifest.json", ctx.build / "review.html"],
        ("ingest", "align", "captions", "credits", "master", "video"),
    ),
]
