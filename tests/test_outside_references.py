"""No file in the repository refers to a document outside it: the contracts and output rules
the code follows live in docs/. Test data kept next to the project (the speech corpus and the
seed scripts, whose tests skip when they are absent) is not a document and may be named."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
THIS = Path(__file__).resolve().relative_to(REPO).as_posix()  # names the patterns, so exempt

CITATIONS = re.compile(
    r"\b(?:DESIGN|GUIDELINES|STYLE)\.md\b"  # the outside design, guideline and style documents
    r"|\bGUIDELINES\b|\bDESIGN\b"  # …cited bare (GUIDELINES "Captions"); DESIGNER does not match
    r"|\.\./shared/(?!corpus\b|seeds\b)\S*"  # anything else in the folder beside the project
)
MARKDOWN_LINK = re.compile(r"\]\(([^)\s#]+)")


def outside_references(text: str, where: Path | None = None, root: Path = REPO) -> list[str]:
    """What in ``text`` points outside the repository. ``where`` (a file in ``root``) lets
    relative Markdown links be resolved; a link that leaves ``root`` is reported."""
    found = [m.group(0) for m in CITATIONS.finditer(text)]
    if where is not None and where.suffix == ".md":
        for target in MARKDOWN_LINK.findall(text):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, mailto: …: not a file
                continue
            if not (where.parent / target).resolve().is_relative_to(root.resolve()):
                found.append(target)
    return found


@pytest.mark.parametrize(
    "text",
    [
        "Caption settings: every number from ../shared/GUIDELINES.md is a field here.",
        'fansub practice; GUIDELINES "Captions"',
        "alignment.json (DESIGN.md contract):",
        "copy the habits of STYLE.md",
        "see ../shared/repro/case1.txt",
    ],
)
def test_the_scanner_finds_a_reference(text: str) -> None:
    assert outside_references(text) != []


def test_the_scanner_finds_a_markdown_link_that_leaves_the_repository(tmp_path: Path) -> None:
    page = tmp_path / "repo" / "docs" / "page.md"
    page.parent.mkdir(parents=True)
    assert outside_references("the [design](../../notes/design.md)", page, tmp_path / "repo") == [
        "../../notes/design.md"
    ]
    assert outside_references("the [rules](output-rules.md#captions)", page, tmp_path / "repo") == []


@pytest.mark.parametrize(
    "text",
    [
        'Graphic Designer: ZHENG Wenjing; "GRAPHIC DESIGNER" spelled in capitals',
        'the rules in docs/output-rules.md "Captions"',
        "tests that need ../shared/corpus skip cleanly; so do ../shared/seeds",
        "see [the rules](https://example.org/GUIDE) online",
    ],
)
def test_the_scanner_leaves_fine_text_alone(text: str) -> None:
    assert outside_references(text, REPO / "docs" / "x.md") == []


def test_no_tracked_file_refers_to_a_document_outside_the_repository() -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout to list the project's files")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    offenders = []
    scanned = 0
    for rel in filter(None, listed):
        path = REPO / rel
        if rel == THIS or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # images, audio
            continue
        scanned += 1
        offenders += [f"{rel}: {ref}" for ref in outside_references(text, path)]
    assert scanned > 100  # the walk really read the project
    assert offenders == [], "point these at the project's docs/ pages instead"
