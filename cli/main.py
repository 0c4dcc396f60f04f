"""`perspective`: the sound editor's command line. Parses options, calls the library, prints."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from production import __version__
from production.errors import ProductionError
from production.fsutil import explain_os_error, shown

from .progress import Reporter

app = typer.Typer(
    name="perspective",
    help="CBN Perspective production toolkit: script + host recording -> a publishable bilingual episode.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# soft_wrap: a message stays one line however long (no wrapping at the terminal's width)
# Path arguments are not checked by click (readable=False): its usage error is several lines and
# exit 2, while the library says what is wrong with the file in one line and exits 1.
out = Console(soft_wrap=True, emoji=False)  # ":a:" in an ffmpeg -map is text, not an emoji
err = Console(stderr=True, soft_wrap=True, emoji=False)
_state = {"debug": False}
INTERRUPTED = "interrupted; outputs already complete were kept"  # and temporaries removed (fsutil)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Ctrl-C inside a command: one line, exit 130. Typer turns a KeyboardInterrupt that leaves
    the command into a silent Exit(130), so the line has to be printed here, where it happens."""
    try:
        yield
    except KeyboardInterrupt:
        err.print(INTERRUPTED, markup=False, highlight=False)
        raise typer.Exit(130) from None


class Unit(str, Enum):
    sentence = "sentence"
    line = "line"


class EngineName(str, Enum):
    tts_dtw = "tts-dtw"
    whisper = "whisper"
    auto = "auto"


class Loudness(str, Enum):
    podcast = "podcast"
    broadcast = "broadcast"
    us_broadcast = "us-broadcast"


def _version(value: bool) -> None:
    if value:
        print(f"perspective {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = None,
) -> None:
    """Turn an episode's script and the host's recording into captions, MP3, MP4 and a publish bundle."""
    _state["debug"] = debug


@app.command()
def ingest(
    episode_dir: Annotated[Path, typer.Argument(help="Episode folder holding episode.toml.", readable=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the parsed structure as JSON.")] = False,
) -> None:
    """Show how the script was understood: title, sentences, credits, dropped junk, repairs, pairing."""
    from production.ingest import ingest_episode

    with interruptible():
        result = ingest_episode(episode_dir)
    if as_json:
        print(json.dumps(result.summary, ensure_ascii=False, indent=2))
        return
    s = result.summary
    out.print(f"[bold]{escape(s['title'])}[/bold]")
    out.print(f"sentences: {len(s['sentences'])} in {result.paragraph_count} paragraphs")
    out.print(f"credits: {len(s['credits'])} roles")
    for c in s["credits"]:
        out.print(f"  {c['role']}: {', '.join(c['names'])}", markup=False)
    out.print(f"dropped: {len(s['dropped'])} lines of web boilerplate")
    for line in s["dropped"][:5]:
        out.print(f"  - {line[:70]}", markup=False)
    out.print(f"repairs: {len(s['repairs'])}")
    for r in s["repairs"]:
        out.print(f"  {r['kind']}: {r['before']!r} -> {r['after']!r} (x{r['count']})", markup=False)
    paired = sum(1 for x in s["sentences"] if x.get("zh"))
    out.print(f"translation: {'none' if result.zh_pairs is None else f'{paired} sentences paired'}")


ACCEPT_LOW_CONFIDENCE_HELP = (
    "Produce even when the evidence says the script does not match the recording; every sentence "
    "is marked low-confidence (check warns, the review page lists them)."
)


@app.command()
def align(
    audio: Annotated[Path, typer.Argument(help="The recording (any format ffmpeg reads).", readable=False)],
    script: Annotated[Path, typer.Argument(help="The script text file.", readable=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write alignment.json.", readable=False)],
    unit: Annotated[
        Unit, typer.Option(help="sentence: script sentences; line: each non-empty line as is.")
    ] = Unit.sentence,
    engine: Annotated[EngineName, typer.Option(help="tts-dtw (no model), whisper, or auto.")] = EngineName.tts_dtw,
    whisper_model: Annotated[
        Optional[str], typer.Option(help="Whisper model name (cached) or path to a .pt file.")
    ] = None,
    report: Annotated[bool, typer.Option("--report", help="Print where the read departed from the script.")] = False,
    cross_check: Annotated[
        bool, typer.Option("--cross-check", help="Run tts-dtw and whisper; flag sentences that disagree > 0.5 s.")
    ] = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="Never download a whisper model; use the cache or a .pt path.")
    ] = False,
    accept_low_confidence: Annotated[
        bool,
        typer.Option("--accept-low-confidence", help=ACCEPT_LOW_CONFIDENCE_HELP),
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="Replace an existing -o file that is not alignment JSON (the recording and script: never).",
        ),
    ] = False,
) -> None:
    """Align a script to a recording and write alignment.json (speech start/end per fragment, word timings)."""
    from production.align.run import align_files

    with interruptible(), Reporter() as progress:
        result = align_files(
            audio,
            script,
            output,
            unit=unit.value,
            engine=engine.value,
            whisper_model=whisper_model,
            cross_check=cross_check,
            progress=progress,
            offline=offline,
            accept_low_confidence=accept_low_confidence,
            overwrite=overwrite,
        )
    err.print(
        f"wrote {escape(str(output))} ({len(result.alignment.fragments)} fragments, engine {result.alignment.engine})"
    )
    if report:
        print(result.report)
    for flag in result.disagreements:
        err.print(f"disagree: {flag}", markup=False)


@app.command()
def produce(
    episode_dirs: Annotated[list[Path], typer.Argument(help="One or more episode folders.", readable=False)],
    force: Annotated[bool, typer.Option("--force", help="Redo every stage even if up to date.")] = False,
    only: Annotated[Optional[str], typer.Option(help="Run just this stage.")] = None,
    from_stage: Annotated[Optional[str], typer.Option("--from", help="Start at this stage.")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Episodes produced in parallel.")] = 1,
    engine: Annotated[Optional[EngineName], typer.Option(help="Override the alignment engine.")] = None,
    whisper_model: Annotated[Optional[str], typer.Option(help="Whisper model name or .pt path.")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Never download a whisper model.")] = False,
    loudness: Annotated[Optional[Loudness], typer.Option(help="Loudness profile for the masters.")] = None,
    burn_in: Annotated[bool, typer.Option("--burn-in/--no-burn-in", help="Burn captions into the video.")] = True,
    accept_low_confidence: Annotated[
        bool,
        typer.Option("--accept-low-confidence", help=ACCEPT_LOW_CONFIDENCE_HELP),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    cluster: Annotated[
        Optional[str],
        typer.Option(
            help="Run each episode as a task on this Ray cluster: auto, host:port or ray://host:port. Every node "
            "must see the episode folders at the same path (docs/cluster.md). Needs the \\[cluster] extra."
        ),
    ] = None,
    cpus_per_episode: Annotated[
        Optional[int],
        typer.Option(
            min=1,
            help="CPUs each episode reserves; its video encode uses that many threads. Default: 2 on a cluster, "
            "this machine's cores / --jobs locally. Give the same number for byte-identical MP4s across machines.",
        ),
    ] = None,
    memory_per_episode: Annotated[
        int, typer.Option(min=1, help="MB of memory each episode reserves on a cluster node (alignment's peak).")
    ] = 1024,
    retries: Annotated[
        int, typer.Option(min=0, help="Times an episode is run again on a cluster after its worker is lost.")
    ] = 2,
) -> None:
    """Produce everything for each episode into EPISODE_DIR/build/."""
    from production.batch import produce_batch
    from production.pipeline import STAGE_NAMES, ProduceOptions, check_stage_names, distinct_folders

    from .progress import EpisodesReporter

    options = ProduceOptions(
        force=force,
        only=only,
        from_stage=from_stage,
        engine=engine.value if engine else None,
        whisper_model=whisper_model,
        offline=offline,
        loudness=loudness.value if loudness else None,
        burn_in=burn_in,
        encode_threads=cpus_per_episode,
        accept_low_confidence=accept_low_confidence,
    )
    check_stage_names(options)  # before any folder is touched
    folders, repeats = distinct_folders(episode_dirs)
    for repeat, first in dict.fromkeys(repeats):
        same = "was given more than once" if repeat == first else f"is the same folder as {first}"
        err.print(f"note: {repeat} {same}; producing it once", markup=False, highlight=False)
    spec = None
    if cluster is not None:
        from production.cluster import DEFAULT_CPUS, ClusterSpec

        spec = ClusterSpec(cluster, cpus_per_episode or DEFAULT_CPUS, memory_per_episode, retries)
    if spec is None and len(folders) == 1:  # one episode here: a bar per stage
        with interruptible(), Reporter(quiet=quiet) as progress:
            results = produce_batch(folders, options, progress=lambda e: progress(e.stage, e.fraction, e.message)
                                    if e.stage in STAGE_NAMES else None)
    else:  # a row per episode, updated as each one's stages finish, wherever it runs
        with interruptible(), EpisodesReporter(STAGE_NAMES, quiet=quiet) as episodes:
            if spec is not None:
                from production.cluster import produce_on_cluster  # Ray is an optional extra

                results = produce_on_cluster(folders, options, spec, episodes)
            else:
                results = produce_batch(folders, options, jobs=jobs, progress=episodes)
    failed = [r for r in results if r.error]
    for r in results:
        if r.error:
            err.print(f"[red]failed[/red] {escape(shown(r.folder))}: {escape(r.error)}", highlight=False)
            if _state["debug"] and r.exception is not None:
                import traceback

                traceback.print_exception(r.exception)
        else:
            err.print(
                f"[green]done[/green] {escape(shown(r.folder))}/build ({r.seconds:.1f} s; {r.summary})", highlight=False
            )
    if len(results) > 1:
        names = f": {', '.join(str(r.folder) for r in failed)}" if failed else ""
        err.print(f"{len(results) - len(failed)} produced, {len(failed)} failed{names}", markup=False, highlight=False)
    if failed:
        raise typer.Exit(1)


@app.command()
def status(
    episode_dirs: Annotated[list[Path], typer.Argument(help="One or more episode folders.", readable=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print every stage's state and reasons as JSON.")] = False,
) -> None:
    """The catalogue at a glance: per episode, each stage up to date, stale (which input changed) or failed.

    As a plain `perspective produce` of the folder would see it; reads, never writes. Exit 0 whatever the states.
    """
    from production.pipeline import distinct_folders
    from production.status import catalogue_status

    folders, _ = distinct_folders(episode_dirs)
    with interruptible():
        report = catalogue_status(folders)
    if as_json:
        print(json.dumps([e.as_dict() for e in report], ensure_ascii=False, indent=2))
        return
    width = max(len(str(e.folder)) for e in report)
    for e in report:
        if e.error:
            line = f"error: {e.error}"
        else:
            marks = {"up to date": "ok", "stale": "STALE", "failed": "FAILED", "not built": "-"}
            cells = " ".join(f"{s.stage}:{marks[s.state]}" for s in e.stages)
            notes = "; ".join(f"{s.stage} {s.state}: {', '.join(s.reasons)}" for s in e.stages if s.reasons)
            line = f"{e.state:<10} {cells}" + (f"  ({notes})" if notes else "")
        out.print(f"{str(e.folder):<{width}}  {line}", markup=False, highlight=False, soft_wrap=True)


@app.command()
def check(
    episode_dir: Annotated[
        Path, typer.Argument(help="Episode folder whose build/ to check, or a feed.xml to check.", readable=False)
    ],
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every warning, not counts per rule.")] = False,
    episodes_root: Annotated[
        Optional[Path],
        typer.Option(
            "--episodes", help="For a feed.xml: the episodes root its files come from (default: the feed's folder).",
            readable=False,
        ),
    ] = None,
) -> None:
    """Quality gate over build/: files present and parseable, captions QC, loudness, video, hashes, feed rules.

    Given a feed.xml instead, checks it rule by rule (docs/publishing.md). Exit 1 with one line per
    error; warnings are summarised (use --verbose to list them).
    """
    from production.check import check_episode, summarise

    if episode_dir.is_file():
        _check_feed_file(episode_dir, episodes_root)
        return
    with interruptible():
        findings = check_episode(episode_dir)
    errors = [f for f in findings if f.severity == "error"]
    for f in errors:
        err.print(f"error: {f.message}", markup=False, highlight=False, soft_wrap=True)
    others = [f for f in findings if f.severity != "error"]
    if verbose:
        for f in others:
            out.print(f"{f.severity}: {f.message}", markup=False, highlight=False, soft_wrap=True)
    else:
        for severity, message, n in summarise(others):
            out.print(
                f"{severity}: {message}" + (f" (x{n})" if n > 1 else ""), markup=False, highlight=False, soft_wrap=True
            )
    if errors:
        err.print(f"check failed: {len(errors)} error(s)")
        raise typer.Exit(1)
    out.print(f"check passed ({len(others)} warning(s)/note(s))")


def _check_feed_file(feed: Path, root: Optional[Path]) -> None:
    from production.publish.rules import Resolver, check_feed
    from production.show import load_show

    try:
        text = feed.read_bytes()
    except OSError as e:
        raise ProductionError(f"cannot read {feed}: {e.strerror or e}") from e
    problems = check_feed(text, Resolver(load_show(root or feed.resolve().parent)))
    for p in problems:
        err.print(f"error: {p}", markup=False, highlight=False, soft_wrap=True)
    if problems:
        err.print(f"check failed: {len(problems)} error(s)")
        raise typer.Exit(1)
    out.print("feed check passed")


@app.command()
def feed(
    episodes_root: Annotated[
        Path, typer.Argument(help="The episodes root: the folder holding show.toml.", readable=False)
    ],
    output: Annotated[
        Optional[Path],
        typer.Option(
            "-o", "--output", help="Where to write the feed (default: EPISODES_ROOT/feed.xml).", readable=False
        ),
    ] = None,
) -> None:
    """Write the show's RSS feed from every produced episode, newest first (refused if a feed rule fails)."""
    from production.publish.upload import write_feed

    path = write_feed(episodes_root, output or episodes_root / "feed.xml")
    err.print(f"wrote {escape(str(path))}")


@app.command()
def publish(
    episode_dirs: Annotated[list[Path], typer.Argument(help="Episode folders to publish.", readable=False)],
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="Destination: a folder, sftp://user@host:port/path or s3://bucket/path. Credentials come from "
            "ssh-agent/~/.ssh, PERSPECTIVE_SSH_KEY, PERSPECTIVE_SFTP_PASSWORD or the AWS variables, never from here.",
        ),
    ],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No per-file output.")] = False,
) -> None:
    """Upload the episodes' files, the cover and feed.xml; only files whose sha256 changed, the feed last."""
    from production.publish.upload import publish as run_publish

    def tell(name: str, sent: int, total: int) -> None:
        if not quiet and sent >= total:
            err.print(f"sent {name} ({total} bytes)", markup=False, highlight=False)

    report = run_publish(episode_dirs, to, progress=tell)
    err.print(f"published to {report.destination}: {report.summary}", markup=False, highlight=False)


@app.command()
def review(
    episode_dir: Annotated[Path, typer.Argument(help="Episode folder (produce it first).", readable=False)],
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1; 0 picks a free one.")] = 0,
    no_open: Annotated[bool, typer.Option("--no-open", help="Only print the URL; do not open a browser.")] = False,
) -> None:
    """Serve build/review.html as an editor on 127.0.0.1 (a per-run token in the URL).

    Fixes (timings, caption words, Chinese lines and pairing, chapters, clips) are saved to the
    episode's corrections.toml; the next `perspective produce` applies them to every output.
    Ctrl-C stops the server.
    """
    import webbrowser

    from production.episode import load_episode
    from production.review_server import make_server, server_url

    server = make_server(load_episode(episode_dir), port)
    url = server_url(server)
    print(url, flush=True)  # plain stdout line: scripts and tests read the URL from it
    err.print("editing corrections.toml; Ctrl-C stops the server", highlight=False)
    if not no_open:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@app.command()
def credits(
    episode_dir: Annotated[Path, typer.Argument(help="Episode folder.", readable=False)],
    preview: Annotated[bool, typer.Option("--preview", help="Write a PNG contact sheet of the credit roll.")] = False,
    output: Annotated[
        Optional[Path],
        typer.Option("-o", "--output", help="Where to write the preview PNG.", readable=False),
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="Replace an existing -o file that is not an earlier preview (the episode's own files: never).",
        ),
    ] = False,
) -> None:
    """Show the episode's credits (bilingual roles); with --preview, render a contact sheet of the roll."""
    from production.ingest import credits_for_episode, preview_credits

    roll, warnings = credits_for_episode(episode_dir)
    for line in roll:
        out.print(line, markup=False)
    for w in warnings:
        err.print(f"warning: {w}", markup=False)
    if preview:
        with interruptible():
            path = preview_credits(episode_dir, output, overwrite=overwrite)
        err.print(f"wrote {escape(str(path))}")


@app.command()
def demo(
    episode_dir: Annotated[
        Optional[Path],
        typer.Option(
            "--episode",
            help="Sample episode folder (default: the bundled one; from an installed wheel, a copy of it "
            "in ./perspective-demo/).",
            readable=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Redo every stage.")] = False,
) -> None:
    """Build the bundled sample episode (synthesising a labelled stand-in host read) and produce it."""
    from production.demo import prepare_demo
    from production.pipeline import ProduceOptions, produce_episode

    with interruptible(), Reporter() as progress:
        folder = prepare_demo(episode_dir, progress=progress)
        result = produce_episode(folder, ProduceOptions(force=force), progress=progress)
    if result.error:
        err.print(f"demo failed: {result.error}", markup=False, highlight=False)
        raise typer.Exit(1)
    err.print(f"demo done: {escape(str(folder))}/build ({result.seconds:.1f} s; {result.summary})")


def _usage_error_type() -> tuple[type[Exception], ...]:
    """Click's usage-error base: typer's own copy of click (newer typer) and, when it is installed
    too (ray brings it), the click package, which older typer uses."""
    types: list[type[Exception]] = [typer.TyperException] if hasattr(typer, "TyperException") else []
    try:
        from click.exceptions import ClickException

        types.append(ClickException)
    except ImportError:
        pass
    return tuple(types)


def main() -> None:
    debug = "--debug" in sys.argv[1:]
    try:
        rc = app(standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except ProductionError as e:
        if debug:
            raise
        err.print(f"error: {e}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:  # outside a command (typer handles the inside: see interruptible)
        err.print(INTERRUPTED, markup=False, highlight=False)
        sys.exit(130)
    except OSError as e:  # a file operation the library did not expect to fail: still one line
        if debug:
            raise
        err.print(f"error: {explain_os_error(e, doing='use')}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
    except Exception as e:  # click usage errors and unexpected bugs: one line, no traceback
        if isinstance(e, _usage_error_type()) and hasattr(e, "show"):
            e.show()
            sys.exit(getattr(e, "exit_code", 2))
        if debug:
            raise
        err.print(
            f"internal error: {type(e).__name__}: {e} (run with --debug for the traceback)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
