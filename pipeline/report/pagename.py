"""File names of pages named after ids (unit pages, unit-type pages) that cannot collide.

An id made only of letters, digits, `-`, `_` and `.` (and not starting with
`.`) keeps its name: `U001` -> `U001.html`. Any other id gets its unsafe
characters replaced by `_` *and* a short hash of the exact id, so `X/1`
becomes `X_1~1a2b3c4d.html` and can no longer overwrite the page of the unit
`X_1` (a name with `~` never comes from a safe id). Very long ids are cut and
hashed the same way. `page_collisions` finds ids that would still share a page
(on a file system that ignores case, too); the roster refuses them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

SAFE_EXTRA = "-_."
MAX_STEM = 80  # characters of the id kept in the name; file names stay well under 255 bytes


def _safe_char(c: str) -> bool:
    return c.isalnum() or c in SAFE_EXTRA


def page_stem(page_id: str) -> str:
    """The file name stem for an id (see the module docstring)."""
    text = str(page_id)
    clean = (
        bool(text)
        and all(_safe_char(c) for c in text)
        and not text.startswith(".")
        and len(text) <= MAX_STEM
    )
    if clean:
        return text
    safe = "".join(c if _safe_char(c) else "_" for c in text)[:MAX_STEM].lstrip(".") or "_"
    tag = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{safe}~{tag}"


def page_file_name(page_id: str, prefix: str = "") -> str:
    return f"{prefix}{page_stem(page_id)}.html"


def page_collisions(ids: Iterable[str]) -> dict[str, list[str]]:
    """Page name (case-folded) -> the ids that would share it, for names shared by two or more."""
    owners: dict[str, list[str]] = {}
    for uid in ids:
        if uid:
            owners.setdefault(page_stem(uid).casefold(), []).append(uid)
    return {name: sorted(set(u)) for name, u in owners.items() if len(set(u)) > 1}
