"""Atomic publication: build in a hidden sibling folder, swap it in at the end.

A round's outputs (`data/processed/<round>/`, `reports/<round>/`) are built in
`.<round>.tmp-XXXX` beside them. `publish` renames the published folder aside
(`.<round>.old-XXXX`), renames the new one into place and deletes the old one;
each rename is atomic on one file system. A run killed before the swap leaves
the previous folder untouched; `recover` (run under the round's lock) deletes
leftover temporary folders and puts an old folder back if a run died between
the two renames.

A run publishes two folders (tables, then reports). `publish_all` first writes
a journal naming both built folders; it is the commit point. A run killed
after it, between or during the swaps, is completed by the next run
(`complete_publication`, under the lock), so tables and reports never stay
from different runs; a run killed before it publishes nothing.
"""

from __future__ import annotations

__all__ = [
    "CARRY_OVER",
    "complete_publication",
    "discard",
    "discard_round",
    "journal_path",
    "publish",
    "publish_all",
    "publish_round",
    "recover",
    "recover_round",
    "retarget",
    "stage_round",
    "staging_dir",
]

import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable
from pathlib import Path

from pipeline.atomic import atomic_path
from pipeline.batch.manifest import read_json
from pipeline.batch.paths import CARRY_OVER, RoundPaths, StagedRound, journal_path

log = logging.getLogger(__name__)


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


def publish_all(pairs: Iterable[tuple[Path, Path]], journal: Path) -> None:
    """Publish several built folders as one: journal (atomically), swaps, drop the journal."""
    pairs = [(Path(a), Path(b)) for a, b in pairs]
    journal = Path(journal)
    with atomic_path(journal) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"pairs": [[str(a), str(b)] for a, b in pairs]}, fh, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())
    for staged, target in pairs:
        publish(staged, target)
    journal.unlink()


def complete_publication(journal: Path) -> list[str]:
    """Finish the swaps of a run killed after its commit point; what was done (for the log)."""
    journal = Path(journal)
    for tmp in journal.parent.glob(f".{journal.name}.*.tmp"):  # killed before the commit point
        tmp.unlink(missing_ok=True)
    if not journal.is_file():
        return []
    data = read_json(journal)
    pairs = data.get("pairs") if isinstance(data, dict) else None
    if not isinstance(pairs, list):
        journal.unlink(missing_ok=True)
        return [f"发布记录 {journal.name} 无法读取，已删除"]
    done = []
    for staged, target in pairs:
        staged, target = Path(staged), Path(target)
        if staged.is_dir():
            publish(staged, target)
            done.append(f"完成了上次运行在发布时中断的替换：{target}")
    journal.unlink(missing_ok=True)
    return done


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


def stage_round(paths: RoundPaths) -> StagedRound:
    """Make the run's hidden build folders beside the round's published ones."""
    return StagedRound(paths, staging_dir(paths.processed), staging_dir(paths.reports))


def publish_round(staged: StagedRound) -> None:
    """Swap a run's built tables and reports into place as one (journal first)."""
    publish_all(staged.renames().items(), staged.paths.journal)


def recover_round(paths: RoundPaths) -> list[str]:
    """Under the lock, before a run: finish a committed publication, clean up a killed run."""
    return complete_publication(paths.journal) + recover(paths.processed) + recover(paths.reports)


def discard_round(staged: StagedRound) -> None:
    """Delete a run's build folders (a failed or stopped run publishes nothing)."""
    for folder in staged.renames():
        discard(folder)
