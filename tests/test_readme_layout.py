"""The README's "Folder layout" table matches the tree (issue 18 point 7).

Both ways: every path the table names exists, every top-level file and folder
of the repository (tracked by git, not a dot-file) is named in it, every
module and subpackage it lists under `pipeline/` exists, and every
subpackage of `pipeline/` is listed.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PIPELINE = REPO / "pipeline"
_CODE = re.compile(r"`([^`]+)`")


def _layout_rows() -> list[tuple[str, str]]:
    """(path cell, what cell) of every row of the table under "## Folder layout"."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Folder layout\n(.*?)(?=^## )", text, re.M | re.S)
    assert match, 'README.md has no "## Folder layout" section'
    rows = []
    for line in match.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] in ("path", "") or set(cells[0]) <= {"-", " "}:
            continue
        rows.append((cells[0], cells[1]))
    assert rows, "the Folder layout section has no table rows"
    return rows


def _named_paths() -> list[str]:
    """Every path in the table's first column (`data/raw/`, `Makefile`, ...)."""
    return [p for path_cell, _ in _layout_rows() for p in _CODE.findall(path_cell)]


def _pipeline_entries() -> list[str]:
    """The modules (`config.py`) and subpackages (`form/`) the `pipeline/` row lists."""
    rows = [what for path_cell, what in _layout_rows() if "`pipeline/`" in path_cell]
    assert len(rows) == 1, "the table has no row (or more than one) for `pipeline/`"
    return [c for c in _CODE.findall(rows[0]) if c.endswith((".py", "/"))]


def _tracked_top_level() -> set[str]:
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode("utf-8")
    return {p.split("/", 1)[0] for p in out.split("\0") if p and not p.startswith(".")}


def test_every_path_the_table_names_exists() -> None:
    missing = [p for p in _named_paths() if not (REPO / p.split("/", 1)[0]).exists()]
    assert not missing, f"README Folder layout names what is not in the tree: {missing}"


def test_every_top_level_entry_is_in_the_table() -> None:
    named = {p.split("/", 1)[0] for p in _named_paths()}
    unnamed = sorted(_tracked_top_level() - named)
    assert not unnamed, f"top-level entries missing from README Folder layout: {unnamed}"


def test_every_listed_pipeline_module_exists() -> None:
    entries = _pipeline_entries()
    assert entries, "the `pipeline/` row lists no module or subpackage"
    missing = [
        e
        for e in entries
        if not (
            (PIPELINE / e.rstrip("/") / "__init__.py").is_file()
            if e.endswith("/")
            else (PIPELINE / e).is_file()
        )
    ]
    assert not missing, f"README lists pipeline entries that do not exist: {missing}"


def test_every_pipeline_subpackage_is_listed() -> None:
    listed = {e.rstrip("/") for e in _pipeline_entries() if e.endswith("/")}
    packages = {p.parent.name for p in PIPELINE.glob("*/__init__.py")}
    unlisted = sorted(packages - listed)
    assert not unlisted, f"pipeline subpackages missing from README Folder layout: {unlisted}"


def test_the_table_reader_sees_the_known_rows() -> None:
    """The parser itself: it finds the rows a broken regex would miss."""
    paths = _named_paths()
    assert "pipeline/" in paths and "tests/" in paths
    assert "config.py" in _pipeline_entries()
