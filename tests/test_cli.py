"""The CLI in process (typer's CliRunner): help, ingest --json, align contract, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "episodes" / "2026-11-27-battery-passport"


@pytest.mark.parametrize("command", ["produce", "align", "check", "demo", "ingest", "credits", "feed", "publish"])
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output and len(result.output.splitlines()) > 5


def test_ingest_json_shape_on_the_sample_episode() -> None:
    result = runner.invoke(app, ["ingest", str(SAMPLE), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"title", "sentences", "credits", "dropped", "repairs"}
    assert set(data["sentences"][0]) == {"id", "text", "spoken", "paragraph", "zh"}
    assert [c["role"] for c in data["credits"]] == [
        "Executive Editor",
        "Editor",
        "Host",
        "Writer",
        "Sound Editor",
        "Graphic Designer",
        "Produced by",
        "Presented by",
    ]
    assert all("Ramp;D" not in s["text"] for s in data["sentences"])
    assert any("R&D" in s["text"] for s in data["sentences"])
    assert data["dropped"], "the web boilerplate after the credits is reported as dropped"
    assert all(s["zh"] is not None for s in data["sentences"])


def test_align_unit_line_writes_the_contract(tmp_path: Path) -> None:
    from production.audio import save_wav
    from production.synth import synth_read

    lines = ["The first line is here.", "And here is the second one."]
    samples, spans = synth_read(lines, 600, rate=16000, engine="flite")
    audio = tmp_path / "read.wav"
    save_wav(audio, samples, 16000)
    script = tmp_path / "lines.txt"
    script.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    out = tmp_path / "alignment.json"
    result = runner.invoke(app, ["align", str(audio), str(script), "-o", str(out), "--unit", "line"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["engine"] == "tts-dtw" and data["audio"] == "read.wav"
    assert [f["text"] for f in data["fragments"]] == lines
    for frag, (start, end) in zip(data["fragments"], spans, strict=True):
        assert abs(frag["start_ms"] - start) < 150 and abs(frag["end_ms"] - end) < 150
        assert frag["words"] and frag["words"][0]["start_ms"] >= frag["start_ms"]
    assert data["fragments"][0]["end_ms"] <= data["fragments"][1]["start_ms"]


def test_errors_are_one_line_with_exit_1(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "cli.main", "ingest", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and proc.stderr.startswith("error: ")
    assert "Traceback" not in proc.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "cli.main", "--debug", "ingest", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def test_credits_preview_writes_a_contact_sheet(tmp_path: Path) -> None:
    from PIL import Image

    out = tmp_path / "roll.png"
    result = runner.invoke(app, ["credits", str(SAMPLE), "--preview", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "主持人" in result.output and "Host: Maya CHEN" in result.output
    with Image.open(out) as img:
        assert img.width > 0 and img.height > 0
