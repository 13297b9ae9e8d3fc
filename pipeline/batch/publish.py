"""Atomic publication: build in a hidden sibling folder, swap it in at the end.

A round's outputs (`data/processed/<round>/`, `reports/<round>/`) are built in
`.<round>.tmp-XXXX` beside them. `publish` renames the published folder aside
(`.<round>.old-XXXX`), renames the new one into place and deletes the old one;
each rename is atomic on one file system. A run killed before the swap leaves
the previous folder untouched; `recover` (run under the round's lock) deletes
leftover temporary folders and puts an old folder back if a run died between
the two renames.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

CARRY_OVER: tuple[str, ...] = ("templates",)
"""Entries of a published folder that a run does not make and must keep
(`scorecard template` writes `reports/<round>/templates/`)."""


def staging_dir(target: Path) -> Path:
    """A new empty hidden folder beside `target` (same file system, so renames are atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))


def _carry(old: Path, new: Path, names: Iterable[str]) -> None:
    for name in names:
        src, dst = old / name, new / name
        if src.exists() and not dst.exists():
            os.rename(src, dst)


def publish(staged: Path, target: Path, carry: Iterable[str] = CARRY_OVER) -> None:
    """Replace `target` by `staged` (rename aside, rename into place, delete old)."""
    staged, target = Path(staged), Path(target)
    carry = tuple(carry)
    old: Path | None = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
        os.rename(target, old)
    os.rename(staged, target)
    if old is not None:
        _carry(old, target, carry)
        shutil.rmtree(old, ignore_errors=True)
    log.debug("published %s", target)


RETARGET_SUFFIXES: tuple[str, ...] = (".ipynb", ".json")


def retarget(
    folder: Path, renames: dict[str, str], suffixes: tuple[str, ...] = RETARGET_SUFFIXES
) -> int:
    """Rewrite temporary folder names to their published names in built text files.

    Executed notebooks record the folders they ran with (papermill parameters);
    those are the hidden build folders, siblings of the published ones, so
    replacing each unique `.<round>.tmp-XXXX` name by `<round>` gives the
    published path. Returns the number of files changed.
    """
    changed = 0
    for p in Path(folder).rglob("*"):
        if p.suffix not in suffixes or not p.is_file():
            continue
        text = p.read_text(encoding="utf-8", errors="surrogateescape")
        new = text
        for old, name in renames.items():
            new = new.replace(old, name)
        if new != text:
            p.write_text(new, encoding="utf-8", errors="surrogateescape")
            changed += 1
    return changed


def discard(staged: Path) -> None:
    shutil.rmtree(staged, ignore_errors=True)


def recover(target: Path, carry: Iterable[str] = CARRY_OVER) -> list[str]:
    """Clean up after a run that died: returns what was done (for the log)."""
    target = Path(target)
    parent = target.parent
    done: list[str] = []
    if not parent.is_dir():
        return done
    for tmp in sorted(parent.glob(f".{target.name}.tmp-*")):
        shutil.rmtree(tmp, ignore_errors=True)
        done.append(f"删除了未完成运行留下的临时目录 {tmp.name}")
    for old in sorted(parent.glob(f".{target.name}.old-*")):
        if not target.exists():
            os.rename(old, target)
            done.append(f"恢复了上次发布的目录 {target.name}（上次运行在替换时中断）")
        else:
            _carry(old, target, tuple(carry))
            shutil.rmtree(old, ignore_errors=True)
            done.append(f"删除了旧目录 {old.name}")
    return done
