"""The files of a round folder, as ingestion and the run fingerprint see them.

Symbolic links are never followed out of the round folder: a link to a file
inside it is listed like the file, every other link (pointing outside, dangling,
looping, to a folder) is reported as a `Link` with a reason and never opened.
Names are shown as best decoded and kept exact for opening (`pipeline.names`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.names import unique_labels


@dataclass(frozen=True)
class Entry:
    path: Path  # exact path, for opening
    raw: str  # relative name as the file system holds it (may hold escaped bytes)
    label: str  # relative name as shown and stored


@dataclass(frozen=True)
class Link:
    path: Path
    raw: str
    label: str
    reason: str
    target: str  # what the link points at, as shown

    @property
    def message(self) -> str:
        what = {
            "link_outside": f"是指向报表文件夹以外（{self.target}）的链接，出于安全考虑未读取",
            "link_dangling": f"是链接，但指向的文件（{self.target}）不存在",
            "link_loop": "是循环链接（指向自身或相互指向），无法读取",
            "link_folder": f"是指向文件夹（{self.target}）的链接，未读取",
        }[self.reason]
        return f"“{self.label}”{what}；请把报表文件本身（而不是链接）放入本轮文件夹"


def _link_reason(path: Path, root: Path) -> tuple[str | None, str]:
    """None when the link may be read (a file inside root), else the reason; and the target."""
    from pipeline.names import display_name

    try:
        target = display_name(os.readlink(path))
    except OSError:
        target = "?"
    try:
        real = path.resolve(strict=True)
    except RuntimeError:
        return "link_loop", target
    except FileNotFoundError:
        return "link_dangling", target
    except OSError as exc:  # ELOOP on some Pythons
        return ("link_loop" if exc.errno == 40 else "link_dangling"), target
    if not real.is_relative_to(root):
        return "link_outside", display_name(str(real))
    if real.is_dir():
        return "link_folder", target
    if not real.is_file():
        return "link_outside", target
    return None, target


def list_round(raw_dir: Path, skip: str = "") -> tuple[list[Entry], list[Link]]:
    """Regular files (and links to files inside) under raw_dir by label, and the links refused.

    A top-level subfolder named `skip` (the residents' survey exports) is not listed.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        return [], []
    root = raw_dir.resolve()
    found: list[tuple[Path, str, str | None, str]] = []
    for dirpath, dirnames, filenames in os.walk(raw_dir, followlinks=False):
        here = Path(dirpath)
        if skip and here == raw_dir and skip in dirnames:
            dirnames.remove(skip)
        for d in list(dirnames):
            if (here / d).is_symlink():  # os.walk does not descend into it; report it
                filenames.append(d)
        for name in filenames:
            p = here / name
            rel = p.relative_to(raw_dir).as_posix()
            if p.is_symlink():
                reason, target = _link_reason(p, root)
                found.append((p, rel, reason, target))
            elif p.is_file():
                found.append((p, rel, None, ""))
    labels = unique_labels([rel for _, rel, _, _ in found])
    files: list[Entry] = []
    links: list[Link] = []
    for (p, rel, reason, target), label in zip(found, labels, strict=True):
        if reason is None:
            files.append(Entry(p, rel, label))
        else:
            links.append(Link(p, rel, label, reason, target))
    files.sort(key=lambda e: e.label)
    links.sort(key=lambda e: e.label)
    return files, links
