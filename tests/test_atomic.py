"""Every file write goes through pipeline/atomic.py; published files keep the usual permissions."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pipeline.atomic import atomic_path

REPO = Path(__file__).resolve().parents[1]


def test_written_file_has_umask_permissions_and_no_leftover(tmp_path):
    target = tmp_path / "out" / "page.html"
    with atomic_path(target) as tmp:
        tmp.write_text("内容", encoding="utf-8")
    mask = os.umask(0)
    os.umask(mask)
    assert (target.stat().st_mode & 0o777) == (0o666 & ~mask)
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "summary.xlsx"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.xlsx"]


def test_no_module_hand_rolls_a_temporary_file_and_rename():
    pattern = re.compile(r"tmp\.replace\(|\.with_name\(f\"\.\{[^}]+\}\.tmp")
    offenders = [
        str(p.relative_to(REPO))
        for p in (REPO / "pipeline").rglob("*.py")
        if p.name != "atomic.py"
        and "demo" not in p.parts
        and pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []
