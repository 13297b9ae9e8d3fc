"""Reuse of earlier reads: a return that has not changed is not read again.

Reading a file is the only per-file step of ingestion. Everything after it
(which return is a unit's, completeness, the tables, the scores, the reports)
depends on the whole round and is recomputed on every run that has work to do.

A read (`ParsedReturn`) is kept as `<processed>/.cache/parsed/<round>/<key>.pickle`.
The key hashes the file's bytes, its name in the round folder, its size and
modification time (the received time comes from it), and everything else a
read depends on: the form specification, the ingest limits, the round's year,
the campaign's start date and the package's code. A change to any of them is a
miss, so a stale read is never reused. Results that may differ on another try
(timeouts, memory, a reader process that died) are not kept. Entries of files
no longer in the round are removed after each ingestion.

The files are pickles written by this package into the processed folder; an
entry that cannot be loaded is read again, never trusted.
"""

from __future__ import annotations

import pickle
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.atomic import atomic_path
from pipeline.form import load_form
from pipeline.hashing import code_digest, digest_of, file_sha256, form_digest
from pipeline.ingest.parse import ParsedReturn
from pipeline.ingest.read import Limits

SUFFIX = ".pickle"


def cache_folder(processed_root: Path, round_id: str) -> Path:
    """Where a round's kept reads live (beside the round's tables, not inside them)."""
    return Path(processed_root) / ".cache" / "parsed" / round_id


@dataclass(frozen=True)
class ReadCache:
    """Kept reads of one round under one reading context (see the module docstring)."""

    folder: Path
    context: str  # digest of everything a read depends on besides the file

    @classmethod
    def for_round(cls, config, round_id: str) -> ReadCache:
        form = load_form(config.campaign.form_version)
        limits = Limits.from_config(config)
        context = digest_of(
            {
                "code": code_digest(),
                "form": [form.version, form_digest(form.version)],
                "limits": asdict(limits),
                "year": config.round(round_id).as_of.year,
                "campaign_start": config.campaign.start,
            }
        )
        return cls(cache_folder(config.paths.processed, round_id), context)

    def key(self, path: Path, label: str) -> str:
        """The entry name of this file as it is now (reads the file to hash it)."""
        st = Path(path).stat()
        return digest_of([self.context, label, st.st_size, st.st_mtime_ns, file_sha256(path)])

    def get(self, key: str) -> ParsedReturn | None:
        """The kept read, or None (missing or unreadable entry)."""
        try:
            with open(self.folder / f"{key}{SUFFIX}", "rb") as fh:
                value = pickle.load(fh)
        except Exception:  # missing or damaged: a miss, never an error
            return None
        return value if isinstance(value, ParsedReturn) else None

    def put(self, key: str, value: ParsedReturn) -> bool:
        """Keep a read, atomically (a killed run never leaves half an entry).
        A read that cannot be kept (transient, disk full, no permission) is
        simply not kept: the cache never fails an ingestion."""
        if value.transient:
            return False
        try:
            with (
                atomic_path(self.folder / f"{key}{SUFFIX}", prefix=".tmp-", suffix=SUFFIX) as tmp,
                open(tmp, "wb") as fh,
            ):
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            return True
        except (OSError, pickle.PicklingError):
            return False

    def prune(self, keep: set[str]) -> int:
        """Remove entries (and leftovers of killed runs) not in `keep`; how many went."""
        if not self.folder.is_dir():
            return 0
        removed = 0
        for p in self.folder.iterdir():
            if p.is_file() and (
                p.name.startswith(".tmp-") or p.name.removesuffix(SUFFIX) not in keep
            ):
                p.unlink(missing_ok=True)
                removed += 1
        return removed
