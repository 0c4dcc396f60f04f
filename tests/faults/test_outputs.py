"""Outputs never destroy what the user gave (issue 20, Build 1).

An output path that is one of the command's inputs (directly, through a symlink or a hard link)
is refused whatever ``--overwrite`` says; an existing file that is not an earlier output of the
same kind needs ``--overwrite``; an episode input inside build/ is refused by produce.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import assert_one_line_error, sha256

IO_EXAMPLES = max(10, settings().max_examples // 3)  # each example runs the CLI in process

# command -> (arguments before "-o", the inputs it reads, by label)
COMMANDS = {
    "align": (("align", "host.wav", "script.txt"), ("host.wav", "script.txt")),
    "credits": (("credits", ".", "--preview"), ("episode.toml", "script.txt", "script.zh.txt", "host.wav")),
}


def _args(episode: Path, command: str) -> list[str]:
    head, _ = COMMANDS[command]
    return [head[0], *(a if a.startswith("-") else str(episode / a) for a in head[1:])]


def _inputs(episode: Path) -> dict[str, str]:
    return {p.name: sha256(p) for p in sorted(episode.iterdir()) if p.is_file()}


def test_align_output_onto_the_recording_is_refused(run_main, episode: Path) -> None:
    before = _inputs(episode)
    proc = run_main("align", episode / "host.wav", episode / "script.txt", "-o", episode / "host.wav")
    assert_one_line_error(proc, "refusing to write the alignment JSON", "host.wav", "that is the recording")
    assert _inputs(episode) == before


def test_align_output_onto_the_script_through_a_symlink_is_refused(run_main, episode: Path, tmp_path: Path) -> None:
    link = tmp_path / "alignment.json"
    link.symlink_to(episode / "script.txt")
    before = _inputs(episode)
    proc = run_main("align", episode / "host.wav", episode / "script.txt", "-o", link, "--overwrite")
    assert_one_line_error(proc, "that is the script (through a link)", "choose another output path")
    assert _inputs(episode) == before and link.is_symlink()


def test_credits_preview_onto_the_script_is_refused(run_main, episode: Path) -> None:
    before = _inputs(episode)
    proc = run_main("credits", episode, "--preview", "-o", episode / "script.txt")
    assert_one_line_error(proc, "refusing to write the credits preview PNG", "that is the script")
    assert _inputs(episode) == before


def test_a_foreign_file_needs_overwrite(run_main, episode: Path, tmp_path: Path) -> None:
    """A file that is not alignment JSON is kept without --overwrite, replaced with it; an
    earlier alignment.json is replaced without asking."""
    notes = tmp_path / "notes.txt"
    notes.write_text("the producer's notes\n", encoding="utf-8")
    args = ("align", episode / "host.wav", episode / "script.txt", "-o", notes)
    proc = run_main(*args)
    assert_one_line_error(proc, "refusing to replace", "notes.txt", "--overwrite")
    assert notes.read_text(encoding="utf-8") == "the producer's notes\n"

    assert run_main(*args, "--overwrite").returncode == 0
    assert json.loads(notes.read_text(encoding="utf-8"))["fragments"]
    assert run_main(*args).returncode == 0  # now an earlier output of the same kind


def test_an_episode_input_inside_build_is_refused(run_main, episode: Path) -> None:
    (episode / "build").mkdir()
    os.replace(episode / "host.wav", episode / "build" / f"{episode.name}.wav")
    toml = episode / "episode.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('"host.wav"', f'"build/{episode.name}.wav"'), encoding="utf-8"
    )
    before = sha256(episode / "build" / f"{episode.name}.wav")
    proc = run_main("produce", "-q", episode)
    assert_one_line_error(proc, "host_audio", "is inside", "move it out of build/")
    assert sha256(episode / "build" / f"{episode.name}.wav") == before


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    max_examples=IO_EXAMPLES,
    deadline=None,
)
@given(
    command=st.sampled_from(sorted(COMMANDS)),
    pick=st.integers(min_value=0, max_value=10),
    via=st.sampled_from(["direct", "symlink", "relative symlink", "hard link", "symlink to a symlink"]),
    overwrite=st.booleans(),
)
def test_property_no_command_writes_over_its_inputs(run_main, episode, command, pick, via, overwrite) -> None:
    """Every command that takes an output path, pointed at any of its inputs directly or through
    a link (with or without --overwrite), refuses in one line and leaves every input byte-identical."""
    _, inputs = COMMANDS[command]
    target = episode / inputs[pick % len(inputs)]
    before = _inputs(episode)
    with tempfile.TemporaryDirectory(dir=episode.parent) as links:
        out = Path(links) / "out"
        if via == "direct":
            out = target
        elif via == "symlink":
            out.symlink_to(target)
        elif via == "relative symlink":
            out.symlink_to(os.path.relpath(target, links))
        elif via == "hard link":
            os.link(target, out)
        else:
            (Path(links) / "first").symlink_to(target)
            out.symlink_to(Path(links) / "first")
        proc = run_main(*_args(episode, command), "-o", out, *(["--overwrite"] if overwrite else []))
        assert_one_line_error(proc, "refusing to write", "choose another output path")
    assert _inputs(episode) == before
