"""Content fingerprints of everything a round's outputs depend on.

A run is skipped when the fingerprint equals the one in the published manifest
(and the outputs are intact). The fingerprint covers:

- every file under `data/raw/<round>/`: relative name, sha256 of the content,
  and modification time (ingestion takes a return's received time from it, so
  on-time status depends on it);
- the roster file's content;
- the configuration that shapes the outputs (campaign, this round and the one
  before it, ingest limits, scoring, notice, report settings; not paths, not
  worker counts);
- the form specification for the configured form version;
- the package version and a hash of the package's own files (and of the
  repository's `notebooks/` folder when present), so new code recomputes;
- the previous round's published processed tables (scoring compares against
  them).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pipeline
from pipeline.config import Config


@dataclass(frozen=True)
class InputFile:
    name: str
    sha256: str
    size: int
    mtime_ms: int


@dataclass(frozen=True)
class Fingerprint:
    digest: str
    files: tuple[InputFile, ...]
    parts: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Digest and parts (the file list goes to the manifest's `inputs`)."""
        return {"digest": self.digest, "parts": dict(self.parts)}

    def files_list(self) -> list[dict[str, Any]]:
        return [asdict(f) for f in self.files]

    @property
    def short(self) -> str:
        return self.digest[:12]


def file_sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def hash_files(root: Path) -> tuple[InputFile, ...]:
    """Every regular file under `root`, sorted by relative name."""
    root = Path(root)
    if not root.is_dir():
        return ()
    out = []
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        st = p.stat()
        out.append(
            InputFile(
                name=p.relative_to(root).as_posix(),
                sha256=file_sha256(p),
                size=st.st_size,
                mtime_ms=st.st_mtime_ns // 1_000_000,
            )
        )
    return tuple(out)


def _digest_of(items: Any) -> str:
    blob = json.dumps(items, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def relevant_config(config: Config, round_id: str) -> dict[str, Any]:
    """The part of the configuration that shapes this round's outputs."""
    data = config.model_dump(mode="json", exclude={"source", "paths"})
    prev = config.previous_round(round_id)
    data["rounds"] = [
        config.round(round_id).model_dump(mode="json"),
        prev.model_dump(mode="json") if prev else None,
    ]
    data.get("ingest", {}).pop("jobs", None)
    data.get("report", {}).pop("jobs", None)
    return data


def code_digest() -> str:
    """The package's own files (and the repo's notebooks folder, if any)."""
    pkg = Path(pipeline.__file__).resolve().parent
    roots = [pkg, pkg.parent / "notebooks"]
    items = []
    for root in roots:
        if not root.is_dir():
            continue
        for p in sorted(root.rglob("*")):
            if not p.is_file() or "__pycache__" in p.parts or p.suffix in (".pyc", ".pyo"):
                continue
            if ".ipynb_checkpoints" in p.parts:
                continue
            items.append((root.name, p.relative_to(root).as_posix(), file_sha256(p)))
    return _digest_of(items)


def form_digest(version: int) -> str:
    from importlib import resources

    ref = resources.files("pipeline.form").joinpath(f"spec_v{version}.toml")
    return hashlib.sha256(ref.read_bytes()).hexdigest() if ref.is_file() else "missing"


def folder_tables_digest(folder: Path) -> str:
    folder = Path(folder)
    if not folder.is_dir():
        return "none"
    return _digest_of([(p.name, file_sha256(p)) for p in sorted(folder.glob("*.parquet"))])


def compute_fingerprint(config: Config, round_id: str) -> Fingerprint:
    files = hash_files(config.paths.raw_round(round_id))
    roster = config.paths.roster
    prev = config.previous_round(round_id)
    parts = {
        "raw": _digest_of([asdict(f) for f in files]),
        "roster": file_sha256(roster) if roster.is_file() else "missing",
        "config": _digest_of(relevant_config(config, round_id)),
        "form": form_digest(config.campaign.form_version),
        "package": pipeline.__version__,
        "code": code_digest(),
        "previous_round": (
            folder_tables_digest(config.paths.processed_round(prev.id)) if prev else "none"
        ),
    }
    return Fingerprint(digest=_digest_of(parts), files=files, parts=parts)


def changed_parts(old: dict[str, Any] | None, new: Fingerprint) -> list[str]:
    """Names of the parts that differ from a stored fingerprint dict (for the log)."""
    if not old:
        return ["(no previous run)"]
    before = old.get("parts", {})
    return [k for k, v in new.parts.items() if before.get(k) != v]


def changed_files(old_files: list[dict[str, Any]] | None, new: Fingerprint) -> dict[str, list[str]]:
    """Raw files added, changed or removed since a stored file list (manifest `inputs.files`)."""
    prev = {f["name"]: f for f in old_files or []}
    cur = {f.name: f for f in new.files}
    return {
        "added": sorted(set(cur) - set(prev)),
        "removed": sorted(set(prev) - set(cur)),
        "changed": sorted(
            n
            for n in set(cur) & set(prev)
            if (prev[n].get("sha256"), prev[n].get("mtime_ms")) != (cur[n].sha256, cur[n].mtime_ms)
        ),
    }
