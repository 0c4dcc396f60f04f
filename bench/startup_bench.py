"""Start-up benchmark: `perspective align` on a 25-second file with a warm synthesis cache, against
aeneas on the same file.

The file is bench/align_bench.py's emuR case (the 7 hand-labelled emuR-ae-msajc sentences of
../shared/corpus joined with 0.2-0.45 s pauses, 25 s). One untimed run fills a private synthesis
cache; then each tool runs ``--runs`` times, one after the other, each in its own process. Wall
seconds and CPU seconds (user + system of the process and its children, via os.wait4) are
printed as min and median: on a shared machine the minimum wall time is the one that says what
the code costs, and CPU time moves less with the load than wall time does. `perspective --help`
is timed too (the CLI's own start-up).

aeneas runs when bench/.venv-aeneas exists (see bench/README.md), or the Python given with
--aeneas-python, in the configuration bench/align_bench.py times on the 25-minute episode.

Usage: .venv/bin/python bench/startup_bench.py [--runs 7] [--aeneas-python PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import align_bench as ab  # noqa: E402

PERSPECTIVE = Path(sys.executable).parent / "perspective"


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children) of one run."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert proc.stderr is not None
    err = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed: {err[-600:]}")
    return wall, usage.ru_utime + usage.ru_stime


def summary(name: str, runs: list[tuple[float, float]]) -> tuple[str, float]:
    walls, cpus = [w for w, _ in runs], [c for _, c in runs]
    line = (
        f"| {name} | {min(walls):.2f} / {statistics.median(walls):.2f} s "
        f"| {min(cpus):.2f} / {statistics.median(cpus):.2f} s |"
    )
    return line, min(walls)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="timed runs per tool")
    ap.add_argument("--perspective", type=Path, default=PERSPECTIVE, help="the perspective program to time")
    ap.add_argument("--aeneas-python", type=Path, default=ab.AENEAS_PY, help="Python of an aeneas install")
    args = ap.parse_args()
    if not (ab.CORPUS / "emuR-ae-msajc").is_dir():
        sys.exit(f"the emuR recordings are not at {ab.CORPUS / 'emuR-ae-msajc'} (set PERSPECTIVE_CORPUS)")
    case = ab.build_emur()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as tmp:
        work = Path(tmp)
        audio = work / "emuR.wav"
        shutil.copy(case.audio, audio)
        script = work / "script.txt"
        script.write_text("\n".join(case.texts) + "\n")
        env = dict(os.environ, PERSPECTIVE_CACHE=str(work / "cache"))
        ours = [str(args.perspective), "align", str(audio), str(script), "--unit", "line", "-o", str(work / "a.json")]
        timed(ours, env)  # fills the synthesis cache
        rows: dict[str, list[tuple[float, float]]] = {"perspective align (warm cache)": [], "perspective --help": []}
        aeneas = args.aeneas_python.exists()
        if aeneas:
            task, _ = ab.AENEAS_CONFIGS[ab.FAST_AENEAS]
            rows[f"aeneas ({ab.FAST_AENEAS})"] = []
            aeneas_args = [str(args.aeneas_python), "-m", "aeneas.tools.execute_task", str(audio), str(script)]
            aeneas_args += [f"{ab.AENEAS_BASE}|{task}", str(work / "aeneas.json")]
            aeneas_env = dict(os.environ, PYTHONIOENCODING="UTF-8")
            timed(aeneas_args, aeneas_env)  # its imports warm in the page cache too
        for _ in range(args.runs):  # interleaved, so both see the same load
            rows["perspective align (warm cache)"].append(timed(ours, env))
            rows["perspective --help"].append(timed([str(args.perspective), "--help"], env))
            if aeneas:
                rows[f"aeneas ({ab.FAST_AENEAS})"].append(timed(aeneas_args, aeneas_env))
    print(f"{case.note}; {args.runs} runs each; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print("| run | wall min / median | CPU min / median |\n|---|---|---|")
    best = {}
    for name, runs in rows.items():
        line, best[name] = summary(name, runs)
        print(line)
    if aeneas:
        ratio = best["perspective align (warm cache)"] / best[f"aeneas ({ab.FAST_AENEAS})"]
        print(f"ours / aeneas, min wall: {ratio:.2f}")
    else:
        print(f"aeneas not run: no {args.aeneas_python} (see bench/README.md)")


if __name__ == "__main__":
    main()
