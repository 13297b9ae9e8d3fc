"""Rendered pieces of unit cards kept between runs: a card costs what changed.

A unit card (`report/cards.py`) is redrawn only when what it shows changed.
Each chart is kept under a digest of exactly the values it draws, each page
under a digest of what it prints (`report/cardkeys.py` computes both), in
`<processed>/.cache/cards/<round>/` beside the kept reads (`.cache/parsed/`).
Every key includes the renderer version: the package's code and templates,
the versions of the drawing libraries, the chart font and matplotlib's
settings, so an upgrade never serves an old picture.

The cache is derived data: deleting the folder changes only the time a report
takes, never a byte of it. Entries are written atomically, so several card
batches (worker processes) can fill it at once; an entry that cannot be read
is a miss, and one that cannot be written is simply not kept. Each batch
records the entries it used (`used/<token>.txt`); after a report run whose
batches all finished, entries no batch used are removed (bounded growth).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pipeline.atomic import atomic_path
from pipeline.hashing import code_digest, digest_of

SUFFIX = ".html"
USED = "used"
TMP_PREFIX = ".tmp-"


def cache_folder(processed_root: Path, round_id: str) -> Path:
    """Where a round's rendered card pieces live (beside `.cache/parsed/`)."""
    return Path(processed_root) / ".cache" / "cards" / round_id


@cache
def renderer_version() -> str:
    """Everything besides the data that a rendered card depends on (once per process)."""
    import jinja2
    import matplotlib
    import numpy
    import pandas
    import PIL
    from matplotlib import font_manager

    from pipeline.charts._style import ensure_fonts

    family = ensure_fonts()
    font = Path(font_manager.findfont(font_manager.FontProperties(family=family)))
    size = font.stat().st_size if font.is_file() else None
    # every setting but the interactive backend, which differs between a kernel (inline) and
    # a plain process (agg) and draws nothing here (charts are saved as SVG): the report
    # process and the card kernels then agree on every key (report/keptcards.py)
    settings = {k: str(v) for k, v in sorted(matplotlib.rcParams.items()) if k != "backend"}
    return digest_of(
        {
            "code": code_digest(),  # charts, pages, templates, labels: the whole package
            "libs": [lib.__version__ for lib in (matplotlib, numpy, pandas, jinja2, PIL)],
            "font": [family, font.name, size],
            "rc": settings,
        }
    )


@dataclass
class CardCache:
    """Rendered pieces of one round's cards (see the module docstring).

    `read=False` (``scorecard run --force``) renders everything anew and keeps
    the fresh pieces, so the next run reuses them."""

    folder: Path | None  # None: nothing kept (every piece drawn, none stored)
    version: str
    read: bool = True
    used: set[str] = field(default_factory=set)
    hits: int = 0
    misses: int = 0
    kept: Counter[str] = field(default_factory=Counter)  # pieces served, by kind
    drawn: Counter[str] = field(default_factory=Counter)  # pieces rendered anew, by kind

    @classmethod
    def open(cls, folder: str | Path, read: bool = True) -> CardCache | None:
        """The cache in `folder`, or None for "" (no cache: every card is drawn)."""
        if not folder:
            return None
        return cls(Path(folder), renderer_version(), read=read)

    @classmethod
    def none(cls) -> CardCache:
        """No cache: every card drawn the same way, nothing read or kept."""
        return cls(None, "", read=False)

    def key(self, kind: str, values: object) -> str:
        """The entry name of a piece: its kind and a digest of what it shows."""
        return f"{kind}-{digest_of([self.version, kind, values])}"

    def get(self, name: str) -> str | None:
        """A kept piece, or None (missing, unreadable, or reading is off)."""
        self.used.add(name)
        if not self.read or self.folder is None:
            self.misses += 1
            return None
        try:
            text = (self.folder / f"{name}{SUFFIX}").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            self.misses += 1
            return None
        self.hits += 1
        self.kept[_kind(name)] += 1
        return text

    def put(self, name: str, text: str) -> None:
        """Keep a piece atomically; a piece that cannot be kept is not (never an error)."""
        self.used.add(name)
        self.drawn[_kind(name)] += 1
        if self.folder is None:
            return
        try:
            with atomic_path(
                self.folder / f"{name}{SUFFIX}", prefix=TMP_PREFIX, suffix=SUFFIX
            ) as tmp:
                tmp.write_text(text, encoding="utf-8")
        except OSError:
            pass

    def get_page(self, name: str) -> str | None:
        """A kept page; the charts it embeds count as used (they stay for its next change)."""
        kept = self.get(name)
        if kept is None:
            return None
        deps, sep, text = kept.partition("\n")
        if not sep:
            return None
        self.used.update(deps.split())
        return text

    def put_page(self, name: str, text: str, charts: list[str]) -> None:
        """Keep a page with the names of the chart entries it embeds (first line)."""
        self.put(name, " ".join(charts) + "\n" + text)

    def save_used(self) -> None:
        """Record the entries this batch used and what it drew (read after the report run)."""
        if self.folder is None:
            return
        record = {"used": sorted(self.used), "kept": self.kept, "drawn": self.drawn}
        try:
            with atomic_path(
                self.folder / USED / f"{uuid.uuid4().hex}.json", prefix=TMP_PREFIX
            ) as tmp:
                tmp.write_text(json.dumps(record), encoding="utf-8")
        except OSError:
            pass


def _kind(name: str) -> str:
    return name.split("-", 1)[0]


def _records(folder: Path) -> list[dict] | None:
    """Every batch's record of this run, or None when one cannot be read."""
    out = []
    for p in sorted((Path(folder) / USED).glob("*.json")):
        try:
            out.append(json.loads(p.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return None
    return out


def run_counts(folder: Path) -> dict[str, dict[str, int]]:
    """Pieces served from the cache and drawn anew in this report run, by kind."""
    kept: Counter[str] = Counter()
    drawn: Counter[str] = Counter()
    for r in _records(folder) or []:
        kept.update(r.get("kept", {}))
        drawn.update(r.get("drawn", {}))
    return {"kept": dict(kept), "drawn": dict(drawn)}


def clear_used(folder: Path) -> None:
    """Forget which entries earlier runs used (a report run starts here)."""
    used = Path(folder) / USED
    if used.is_dir():
        for p in used.iterdir():
            p.unlink(missing_ok=True)


def prune(folder: Path) -> int:
    """Remove entries (and leftovers of killed writers) no batch of this run used."""
    folder = Path(folder)
    records = _records(folder)
    if not records:  # nothing recorded, or not sure what was used: keep everything
        return 0
    keep = {name for r in records for name in r.get("used", [])}
    removed = 0
    for p in folder.iterdir():
        if p.is_file() and (
            p.name.startswith(TMP_PREFIX) or p.name.removesuffix(SUFFIX) not in keep
        ):
            p.unlink(missing_ok=True)
            removed += 1
    return removed
