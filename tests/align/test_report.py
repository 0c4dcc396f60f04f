"""The readable script-deviation report."""

from __future__ import annotations

from pathlib import Path

from production.align.base import FragmentInput
from production.align.crosscheck import cross_check
from production.align.reconcile import reconcile
from production.align.report import deviation_report, format_time, write_report
from production.models import Alignment, Deviation, Fragment, Word


def test_times_read_as_minutes_seconds_milliseconds() -> None:
    assert format_time(0) == "00:00.000"
    assert format_time(62_340) == "01:02.340"
    assert format_time(3_599_999) == "59:59.999"
    assert format_time(3_723_004) == "1:02:03.004"


def test_report_lists_every_departure_in_time_order_with_script_and_spoken() -> None:
    script = [
        FragmentInput("s1", "The economy grew by 10%.", ""),
        FragmentInput("s2", "Analysts were surprised.", ""),
        FragmentInput("s3", "Markets fell.", ""),
    ]
    words, t = [], 61_000
    for text in "So the economy rose 10%. Markets fell.".split():
        words.append(Word(text, t, t + 250))
        t += 300
    fragments, deviations = reconcile(script, words, 90_000)
    report = deviation_report(Alignment("whisper", "host.wav", 90_000, fragments, deviations))
    lines = report.splitlines()
    assert lines[0].startswith("Script deviations in host.wav (whisper engine, 01:30.000 long): ")
    body = [line for line in lines if line[:2].isdigit()]
    skipped_at = format_time(deviations[2].time_ms)
    assert "01:02.450" <= skipped_at < "01:02.700"  # after "10%." ends, before "Markets" starts
    assert body == [
        '01:01.000  inserted          s1  spoken: "So"',
        '01:01.900  substituted       s1  script: "grew by"  |  spoken: "rose"',
        f'{skipped_at}  skipped-sentence  s2  script: "Analysts were surprised."',
    ]
    assert "skipped-sentence: a whole sentence the host did not say" in report


def test_report_of_a_faithful_read_says_so_and_can_carry_the_cross_check(tmp_path: Path) -> None:
    frag = Fragment(
        "s1", "Markets fell.", 1000, 2000, (Word("Markets", 1000, 1500), Word("fell.", 1500, 2000))
    )
    al = Alignment("whisper", "host.wav", 5000, (frag,))
    other = Alignment("tts-dtw", "host.wav", 5000, (Fragment("s1", "Markets fell.", 1700, 2100),))
    report = deviation_report(al, cross_check(al, other))
    assert "The read follows the script word for word." in report
    assert "Cross-check: 1 of 1 fragments differ by more than 500 ms" in report
    assert "s1  start whisper 00:01.000 / tts-dtw 00:01.700" in report
    assert "agree within 500 ms on all 1 fragments" in deviation_report(al, cross_check(al, al))
    path = write_report(tmp_path / "build" / "deviations.txt", al)
    assert path.read_text(encoding="utf-8") == deviation_report(al)


def test_long_quotes_are_shortened() -> None:
    long = " ".join(["word"] * 100)
    al = Alignment("whisper", "host.wav", 5000, (), (Deviation("inserted", 10, "", long, "s1"),))
    line = deviation_report(al).splitlines()[-1]
    assert line.endswith('…"') and len(line) < 200
