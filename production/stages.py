"""The stage table the pipeline runs: per stage its code version, the stages it reads, how to run
it, how to load its result when it is up to date, its inputs and its outputs.

Results are typed (stagekit.py); file names come from the build layout (layout.py).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .demo import SYNTHETIC_LABEL
from .fsutil import write_json
from .models import Alignment, Sentence, Word
from .stagekit import (
    AlignResult,
    CaptionsResult,
    Context,
    CreditsResult,
    MasterResult,
    Stage,
    StageInputs,
    TrackIssue,
    VideoResult,
    no_result,
)

if TYPE_CHECKING:
    from .corrections import Corrected
    from .credits import CreditRoll
    from .mastering import MasteringSettings
    from .publish import PublishInputs
    from .tags import Chapter, EpisodeTags
    from .video import VideoSettings

log = logging.getLogger(__name__)

CHAPTER_TARGET_MS = 60_000  # chapters of about a minute: enough to navigate a 5–15 min episode
CHAPTER_TITLE_WORDS = 6  # a chapter is titled by the opening words of its first sentence
OUTRO_AFTER_ROLL_MS = 2500  # the bed fades out after the roll has ended
ROLL_GAP_MS = 800  # the roll starts this long after the host's last word


# ---------------------------------------------------------------- ingest
def _ingest_run(ctx: Context) -> None:
    from .ingest import ingest

    ctx.products.ingest = ingest(ctx.episode)


def _ingest_inputs(ctx: Context) -> StageInputs:
    ep = ctx.episode
    files = (ep.script,) + ((ep.translation,) if ep.translation else ())
    settings: dict[str, Any] = {"title": ep.title, "credits": ep.credits, "names_zh": ep.names_zh}
    if ep.captions.convert_traditional:  # only when set, so existing builds keep their fingerprint
        settings["convert_traditional"] = True
    return StageInputs(files, settings)


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
    result = align_fragments(
        ctx.episode.host_audio,
        fragments_from_sentences(ctx.ingested.script.sentences),
        engine,
        model,
        progress=ctx.progress,
        offline=ctx.options.offline,
        accept_low_confidence=ctx.options.accept_low_confidence,
    )
    alignment = replace(result.alignment, audio=ctx.episode.host_audio.name)
    write_alignment(ctx.layout.alignment, alignment)
    ctx.products.align = AlignResult(alignment)


def _align_load(ctx: Context) -> None:
    from .align import read_alignment

    ctx.products.align = AlignResult(read_alignment(ctx.layout.alignment))


def _align_inputs(ctx: Context) -> StageInputs:
    engine, model = _engine(ctx)
    spoken = [(s.id, s.spoken) for s in ctx.ingested.script.sentences]
    # a checkpoint file counts by its content (not its absolute path); a model name by its name
    model_key: object = Path(model) if model and Path(model).is_file() else model
    return StageInputs((ctx.episode.host_audio,), {"engine": engine, "model": model_key, "fragments": spoken})


def with_alignment_timing(
    sentences: tuple[Sentence, ...], alignment: Alignment, offset_ms: int = 0
) -> tuple[Sentence, ...]:
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


# ---------------------------------------------------------------- corrections hook (issue 15)
# The sound editor's fixes (corrections.toml, [[chapters]]/[[clips]] in episode.toml) are applied
# after align, so ingest/align/credits never re-run for them; each later stage's fingerprint takes
# only the sections it uses (production/corrections.py does all the work).
def _corrected(ctx: Context) -> Corrected:
    """Ingest's sentences and pairing and align's timing with the editor's fixes applied (once a run)."""
    if ctx.products.corrected is None:
        from .corrections import apply_corrections, load_corrections

        ing = ctx.ingested
        fixed = apply_corrections(
            load_corrections(ctx.episode.folder),
            ing.script.sentences,
            ctx.aligned.alignment,
            ing.zh_pairs,
            ctx.episode.chapters,
            ctx.episode.clips,
        )
        for problem in fixed.problems:
            log.warning("%s", problem)
        ctx.products.corrected = fixed
    return ctx.products.corrected


def _corrections_digest(ctx: Context, *sections: str) -> str:
    from .corrections import digest, load_corrections

    hand = {"chapters": ctx.episode.chapters, "clips": ctx.episode.clips}  # episode.toml's own lists
    return digest(load_corrections(ctx.episode.folder), *sections) + repr([hand[s] for s in sections if s in hand])


# ---------------------------------------------------------------- shared settings
def _mastering_base(ctx: Context) -> MasteringSettings:
    """The mastering settings before the credit roll is known (all the intro's length needs)."""
    settings = ctx.episode.mastering
    if ctx.options.loudness and "mastering.profile" not in ctx.episode.explicit:
        settings = replace(settings, profile=ctx.options.loudness)
    return settings


def _mastering_settings(ctx: Context) -> MasteringSettings:
    """The full mastering settings: the outro music runs on under the whole credit roll, so
    this reads the credits stage's result (only the master stage calls it)."""
    settings = _mastering_base(ctx)
    roll_ms = ctx.credited.roll_ms
    if roll_ms and "mastering.outro_tail_ms" not in ctx.episode.explicit:
        settings = replace(settings, outro_tail_ms=max(settings.outro_tail_ms, roll_ms + OUTRO_AFTER_ROLL_MS))
    return settings


def _offset_ms(ctx: Context) -> int:
    """Where the host's read starts in the master: the intro's length (needs no credits)."""
    if "offset_ms" not in ctx.memo:
        from .mastering import intro_offset_ms

        ctx.memo["offset_ms"] = intro_offset_ms(_mastering_base(ctx))
    return ctx.memo["offset_ms"]


# ---------------------------------------------------------------- captions
def _captions_build(ctx: Context) -> None:
    from .captions import build_captions, qc

    fixed, settings = _corrected(ctx), ctx.episode.captions  # corrections hook
    timed = with_alignment_timing(fixed.sentences, fixed.alignment, _offset_ms(ctx))
    cs = build_captions(timed, fixed.zh_pairs, settings)
    issues: list[TrackIssue] = []
    for lang, track, cues in (("en", "en", cs.en), ("zh-Hans", "zh", cs.zh), ("bilingual", "bilingual", cs.bilingual)):
        for i in qc.check(cues, lang, settings, cs.speech.get(track)) if cues else []:
            start = cues[i.cue_index].start_ms if 0 <= i.cue_index < len(cues) else None
            issues.append(TrackIssue(replace(i, lang=lang), start))
    summary = qc.summary([t.issue for t in issues])
    ctx.products.captions = CaptionsResult(timed, cs, tuple(issues), summary)


def _captions_run(ctx: Context) -> None:
    from .captions import write_captions

    _captions_build(ctx)
    write_captions(ctx.captioned.captions, ctx.build, ctx.episode.slug, ctx.episode.captions)


def _captions_inputs(ctx: Context) -> StageInputs:
    fixes = _corrections_digest(ctx, "timing", "text", "zh", "pairing")  # corrections hook
    settings = {"settings": ctx.episode.captions, "offset": _offset_ms(ctx), "slug": ctx.episode.slug}
    return StageInputs((), {**settings, "corrections": fixes})


# ---------------------------------------------------------------- credits
def _roll(ctx: Context) -> CreditRoll:
    from .credits import episode_credit_roll

    ep = ctx.episode
    return episode_credit_roll(ctx.ingested.script.credits, ep.credits, ep.names_zh)


def _credits_run(ctx: Context) -> None:
    from .credits import render_roll, write_credits_json

    roll, layout = _roll(ctx), ctx.layout
    write_credits_json(roll, layout.credits)
    roll_ms, mode = 0, "none"
    if roll.entries:
        info = render_roll(roll, layout.roll_video, ctx.episode.credit_roll)
        roll_ms, mode = info.roll_duration_ms, info.mode
    else:  # a script without credits still produces: the video simply has no roll
        layout.roll_video.unlink(missing_ok=True)
        log.warning("no credits in the script or episode.toml: the video ends without a credit roll")
    write_json(layout.roll_info, {"roll_duration_ms": roll_ms, "mode": mode})
    ctx.products.credits = CreditsResult(roll, roll_ms, mode)


def _credits_load(ctx: Context) -> None:
    info = json.loads(ctx.layout.roll_info.read_text(encoding="utf-8"))
    ctx.products.credits = CreditsResult(_roll(ctx), int(info["roll_duration_ms"]), str(info["mode"]))


def _credits_outputs(ctx: Context) -> list[Path]:
    layout = ctx.layout
    roll_video = [layout.roll_video] if _roll(ctx).entries else []
    return [layout.credits, *roll_video, layout.roll_info]


def _credits_inputs(ctx: Context) -> StageInputs:
    ep = ctx.episode
    credits = [(c.role, c.names) for c in ctx.ingested.script.credits]
    return StageInputs((), {"credits": credits, "table": ep.credits, "zh": ep.names_zh, "roll": ep.credit_roll})


# ---------------------------------------------------------------- master
def chapters_from_sentences(sentences: tuple[Sentence, ...], target_ms: int = CHAPTER_TARGET_MS) -> list[Chapter]:
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


def _tags(ctx: Context) -> EpisodeTags:
    from .credits import id3_tipl
    from .tags import EpisodeTags, tag_host

    ep, ing, roll = ctx.episode, ctx.ingested, ctx.credited.roll
    presenters = [e.names for e in roll.entries if e.role_en.lower() == "presented by"]
    show = ep.show_settings
    return EpisodeTags(
        title=ep.title,
        show=ep.show,
        host=tag_host(ep.host, id3_tipl(roll), show.host if show else ""),
        copyright=show.copyright if show else "",
        date=ep.date.isoformat(),
        publisher=", ".join(presenters[0]) if presenters else "",
        comment=ep.description,
        lyrics="\n\n".join(" ".join(s.text for s in para) for para in ing.script.paragraphs),
        credits=tuple(id3_tipl(roll)),
        cover=ep.cover,
    )


def _host_sentences(ctx: Context) -> tuple[Sentence, ...]:
    fixed = _corrected(ctx)  # corrections hook
    return with_alignment_timing(fixed.sentences, fixed.alignment)


def _chapters(ctx: Context, host_timed: tuple[Sentence, ...]) -> list[Chapter]:
    """Chapters named by the editor ([[chapters]]) when there are any, else automatic ones."""
    from .corrections import chapter_spans
    from .tags import Chapter

    marks = _corrected(ctx).chapters  # corrections hook
    if not marks or not host_timed:
        return chapters_from_sentences(host_timed)
    return [Chapter(*span) for span in chapter_spans(marks, host_timed, int(host_timed[-1].end_ms or 0))]


def _master_run(ctx: Context) -> None:
    from .mastering import master

    host_timed = _host_sentences(ctx)  # corrections hook
    layout = ctx.layout
    report = master(
        ctx.episode.host_audio,
        layout.mp3,
        layout.wav,
        _mastering_settings(ctx),
        _tags(ctx),
        _chapters(ctx, host_timed),
        [(s.start_ms or 0, s.end_ms or 0) for s in host_timed],
        progress=ctx.report("master"),
    )
    write_json(layout.master_report, report.to_dict())
    ctx.products.master = MasterResult(report)


def _master_load(ctx: Context) -> None:
    """master.json (MasterReport.to_dict) back into the report."""
    from .mastering import MasterReport
    from .tags import Chapter

    data: dict[str, Any] = json.loads(ctx.layout.master_report.read_text(encoding="utf-8"))
    chapters = tuple(Chapter(**c) for c in data.pop("chapters", ()))
    ctx.products.master = MasterResult(MasterReport(**data, chapters=chapters))


def _master_inputs(ctx: Context) -> StageInputs:
    fixes = _corrections_digest(ctx, "timing", "text", "chapters")  # corrections hook
    settings = {"settings": _mastering_settings(ctx), "tags": _tags(ctx), "slug": ctx.episode.slug}
    return StageInputs((ctx.episode.host_audio,), {**settings, "fixes": fixes})


def _master_outputs(ctx: Context) -> list[Path]:
    layout = ctx.layout
    return [layout.mp3, layout.wav, layout.master_report]


# ---------------------------------------------------------------- video
def _video_settings(ctx: Context) -> VideoSettings:
    return replace(ctx.episode.video, burn_in=ctx.options.burn_in)


def _video_run(ctx: Context) -> None:
    from .video import SoftSub, render_video

    ep, layout = ctx.episode, ctx.layout
    subs = [SoftSub(layout.caption("en.srt"), "eng", "English")]
    if ep.translation:
        subs.append(SoftSub(layout.caption("zh-Hans.srt"), "chi", "中文（简体）"))
    timed = ctx.captioned.timed
    last_word = max((s.end_ms or 0) for s in timed) if timed else 0
    credits = ctx.credited
    _ = ctx.mastered  # the video's sound is the master's WAV
    settings = _video_settings(ctx)
    if ctx.options.encode_threads and "video.threads" not in ep.explicit:  # cluster hook: the batch's CPU share
        settings = replace(settings, threads=ctx.options.encode_threads)
    report = render_video(
        layout.mp4,
        layout.wav,
        ep.title,
        ep.host,
        settings,
        ass=layout.burn_in_ass or layout.caption("en.srt"),  # English-only: the English captions burned
        soft_subs=subs,
        roll=layout.roll_video if credits.roll_ms else None,
        roll_start_ms=last_word + ROLL_GAP_MS,
        progress=ctx.report("video"),
    )
    ctx.products.video = VideoResult(report.duration_ms, tuple(report.warnings))


def _video_inputs(ctx: Context) -> StageInputs:
    ep = ctx.episode
    return StageInputs((), {"video": _video_settings(ctx), "title": ep.title, "host": ep.host, "slug": ep.slug})


def _video_outputs(ctx: Context) -> list[Path]:
    return [ctx.layout.mp4]


# ---------------------------------------------------------------- clips (corrections hook, issue 15)
CLIPS_DIR = "clips"  # build/clips/<name>.mp4: the vertical social clips the editor marked


def _clips_run(ctx: Context) -> None:
    from .video import render_clip

    ep, layout, folder = ctx.episode, ctx.layout, ctx.build / CLIPS_DIR
    clips = _corrected(ctx).clips
    keep = {f"{c.name}.mp4" for c in clips}
    for old in folder.glob("*.mp4") if folder.is_dir() else ():
        if old.name not in keep:  # a clip the editor removed
            old.unlink()
    _ = ctx.captioned  # the burned captions are the captions stage's ASS
    offset = ctx.mastered.report.intro_ms  # clips are marked in host time; the master starts later
    for clip in clips:
        folder.mkdir(parents=True, exist_ok=True)
        render_clip(
            folder / f"{clip.name}.mp4",
            layout.wav,
            clip.start_ms + offset,
            clip.end_ms + offset,
            clip.title or ep.title,
            ep.host,
            _video_settings(ctx),
            ass=layout.burn_in_ass,
            background=ep.cover,
            progress=ctx.report("clips"),
        )


def _clips_inputs(ctx: Context) -> StageInputs:
    return StageInputs((), {"clips": _corrections_digest(ctx, "clips"), "video": _video_settings(ctx)})


def _clips_outputs(ctx: Context) -> list[Path]:
    return [ctx.build / CLIPS_DIR / f"{c.name}.mp4" for c in _corrected(ctx).clips]


# ---------------------------------------------------------------- publish
def _publish_inputs_obj(ctx: Context) -> PublishInputs:
    from .credits import credits_json, podcast_persons, shownotes_paragraph
    from .publish import PublishInputs

    ep, roll, layout = ctx.episode, ctx.credited.roll, ctx.layout
    zh = {eid: p.zh for p in (_corrected(ctx).zh_pairs or ()) for eid in p.en_ids[:1]}  # corrections hook
    m, cap, alignment = ctx.mastered.report, ctx.captioned, ctx.aligned.alignment
    mime = {"srt": "application/x-subrip", "vtt": "text/vtt"}
    captions = {
        layout.caption(f.suffix).name: (mime[f.suffix.rsplit(".", 1)[1]], f.lang)
        for f in layout.caption_files()
        if f.lang in ("en", "zh-Hans")
    }
    qc_issues = [
        {
            "cue_index": t.issue.cue_index,
            "lang": t.issue.lang,
            "rule": t.issue.rule,
            "severity": t.issue.severity,
            "message": t.issue.message,
            "start_ms": t.start_ms,
        }
        for t in cap.issues
    ]
    deviations = [
        {
            "kind": d.kind,
            "time_ms": d.time_ms + m.intro_ms,
            "script": d.script,
            "spoken": d.spoken,
            "fragment_id": d.fragment_id,
        }
        for d in alignment.deviations
    ]
    return PublishInputs(
        show=ep.show,
        title=ep.title,
        slug=ep.slug,
        date=ep.date,
        audio_file=layout.mp3,
        duration_ms=m.duration_ms,
        sentences=cap.timed,
        description=ep.description,
        host=ep.host,
        episode_type=ep.episode_type,
        guid=ep.guid,
        base_url=ep.base_url,
        video_file=layout.mp4 if layout.mp4.exists() else None,
        zh=zh,
        chapters=[(c.title, c.start_ms, c.end_ms) for c in m.chapters],
        persons=podcast_persons(roll),
        credits_markdown=shownotes_paragraph(roll),
        credits_json=credits_json(roll),
        caption_files=captions,
        captions_en=cap.captions.en,
        loudness={
            "integrated_lufs": round(m.integrated_lufs, 2),
            "true_peak_dbtp": round(m.true_peak_dbtp, 2),
            "lra": round(m.lra_lu, 2),
            "profile": m.profile,
            "target_lufs": round(m.target_lufs, 2),
        },
        qc_summary=dict(cap.summary),
        qc_issues=qc_issues,
        deviations=deviations,
        engine=alignment.engine,
        synthetic_host_read=(ep.folder / SYNTHETIC_LABEL).exists(),
        published=ep.published,
    )


def _publish_run(ctx: Context) -> None:
    from .align.report import write_report
    from .publish import write_bundle

    write_report(ctx.layout.deviations, ctx.aligned.alignment)
    write_bundle(ctx.build, _publish_inputs_obj(ctx), extra={"master": ctx.mastered.report.to_dict()})


def _publish_inputs(ctx: Context) -> StageInputs:
    ep = ctx.episode
    meta = [ep.title, ep.description, ep.base_url, ep.guid, ep.episode_type, ep.host, ep.show, ep.date.isoformat()]
    meta += [ep.published.isoformat()] if ep.published else []
    return StageInputs(
        (), {"meta": meta, "slug": ep.slug, "synthetic": (ep.folder / SYNTHETIC_LABEL).exists()}
    )


def _publish_outputs(ctx: Context) -> list[Path]:
    return [*ctx.layout.publish_files(), ctx.layout.deviations]


def _no_outputs(ctx: Context) -> list[Path]:
    return []


STAGES: tuple[Stage, ...] = (
    Stage(
        name="ingest",
        version=1,
        reads=(),
        run=_ingest_run,
        load=_ingest_run,
        inputs=_ingest_inputs,
        outputs=_no_outputs,
    ),
    Stage(
        name="align",
        version=1,
        reads=("ingest",),
        run=_align_run,
        load=_align_load,
        inputs=_align_inputs,
        outputs=lambda ctx: [ctx.layout.alignment],
    ),
    Stage(
        name="captions",
        version=1,
        reads=("ingest", "align"),
        run=_captions_run,
        load=_captions_build,
        inputs=_captions_inputs,
        outputs=lambda ctx: ctx.layout.captions(),
    ),
    Stage(
        name="credits",
        version=1,
        reads=("ingest",),
        run=_credits_run,
        load=_credits_load,
        inputs=_credits_inputs,
        outputs=_credits_outputs,
    ),
    Stage(
        name="master",
        version=1,
        reads=("ingest", "align", "credits"),
        run=_master_run,
        load=_master_load,
        inputs=_master_inputs,
        outputs=_master_outputs,
    ),
    Stage(
        name="video",
        version=1,
        reads=("captions", "credits", "master"),
        run=_video_run,
        load=no_result,
        inputs=_video_inputs,
        outputs=_video_outputs,
    ),
    Stage(  # corrections hook (issue 15): build/clips/<name>.mp4
        name="clips",
        version=1,
        reads=("ingest", "align", "captions", "master"),
        run=_clips_run,
        load=no_result,
        inputs=_clips_inputs,
        outputs=_clips_outputs,
    ),
    Stage(
        name="publish",
        version=1,
        reads=("ingest", "align", "captions", "credits", "master", "video"),
        run=_publish_run,
        load=no_result,
        inputs=_publish_inputs,
        outputs=_publish_outputs,
    ),
)
