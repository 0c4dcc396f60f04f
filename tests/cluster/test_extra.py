"""Ray is an optional extra: without it `--cluster` is one line naming the extra, and nothing
else in the toolkit imports it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_missing_ray_names_the_extra(tmp_path: Path) -> None:
    blocker = tmp_path / "ray"  # a `ray` package that cannot be imported, first on the path
    blocker.mkdir()
    (blocker / "__init__.py").write_text("raise ImportError('No module named ray')\n", encoding="utf-8")
    episode = ROOT / "episodes" / "2026-11-27-battery-passport"
    ran = subprocess.run(
        [sys.executable, "-m", "cli.main", "produce", str(episode), "--cluster", "auto"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    assert ran.returncode == 1
    assert ran.stderr.strip().splitlines() == [
        "error: --cluster needs Ray, which is not installed: pip install 'cbn-perspective[cluster]'"
    ]


def test_only_the_cluster_module_imports_ray() -> None:
    importers = []
    for path in [*ROOT.joinpath("production").rglob("*.py"), *ROOT.joinpath("cli").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "ray" or n.startswith("ray.") for n in names):
                importers.append(path.relative_to(ROOT).as_posix())
    assert sorted(set(importers)) == ["production/cluster.py"]
