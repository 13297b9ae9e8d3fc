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
  them);
- whether the round's deadline has passed (Beijing time): results are marked
  provisional (临时结果) until then, so the first run after it republishes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pipeline
from pipeline.batch.paths import RoundPaths
from pipeline.config import Config
from pipeline.hashing import code_digest, file_sha256, form_digest
from pipeline.hashing import digest_of as _digest_of

__all__ = [
    "Fingerprint",
    "InputFile",
    "changed_files",
    "changed_parts",
    "code_digest",
    "compute_fingerprint",
    "file_sha256",
    "form_digest",
    "hash_files",
    "relevant_config",
]


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


def hash_files(root: Path) -> tuple[InputFile, ...]:
    """Every regular file under `root`, sorted by relative name (as shown: `pipeline.names`).

    Links are never followed out of `root` (`ingest.listing`): a refused link is
    listed with `link:<reason>` for its hash, so adding or changing one reruns."""
    from pipeline.ingest.listing import list_round

    entries, links = list_round(Path(root))
    out = []
    for e in entries:
        st = e.path.stat()
        out.append(InputFile(e.label, file_sha256(e.path), st.st_size, st.st_mtime_ns // 1_000_000))
    for link in links:
        try:
            mtime = link.path.lstat().st_mtime_ns // 1_000_000
        except OSError:
            mtime = 0
        out.append(InputFile(link.label, f"link:{link.reason}:{link.target}", 0, mtime))
    return tuple(sorted(out, key=lambda f: f.name))


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


def folder_tables_digest(folder: Path) -> str:
    folder = Path(folder)
    if not folder.is_dir():
        return "none"
    return _digest_of([(p.name, file_sha256(p)) for p in sorted(folder.glob("*.parquet"))])


def _today() -> date:
    from pipeline.report.provisional import today_local

    return today_local()


def compute_fingerprint(config: Config, round_: RoundPaths | str) -> Fingerprint:
    """The fingerprint of a round's inputs (`round_`: its resolved paths, or its id)."""
    paths = round_ if isinstance(round_, RoundPaths) else RoundPaths.of(config, round_)
    round_id = paths.round_id
    files = hash_files(paths.raw)
    roster = config.paths.roster
    parts = {
        "raw": _digest_of([asdict(f) for f in files]),
        "roster": file_sha256(roster) if roster.is_file() else "missing",
        "config": _digest_of(relevant_config(config, round_id)),
        "form": form_digest(config.campaign.form_version),
        "package": pipeline.__version__,
        "code": code_digest(),
        "previous_round": folder_tables_digest(paths.previous) if paths.previous else "none",
        # provisional results (临时结果) end when the deadline passes: rebuild the reports then
        "deadline_passed": str(_today() > config.round(round_id).deadline),
    }
    if paths.receipts is not None:  # the receipt log decides timeliness: a change re-runs
        parts["receipts"] = file_sha256(paths.receipts)
    if config.survey.path:  # survey exports kept outside the round's raw folder count as inputs too
        survey_dir = config.survey.survey_dir(paths.raw, round_id)
        parts["survey"] = _digest_of([asdict(f) for f in hash_files(survey_dir)])
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


def input_changes(
    old_files: list[dict[str, Any]] | None, new: Fingerprint
) -> dict[str, list[dict[str, Any]]]:
    """What changed in the raw files since the published run, with the hashes before and after,
    so an overwritten return's earlier content stays in the run history."""
    prev = {f["name"]: f for f in old_files or []}
    cur = {f.name: f for f in new.files}
    diff = changed_files(old_files, new)
    return {
        "added": [{"name": n, "sha256": cur[n].sha256} for n in diff["added"]],
        "removed": [{"name": n, "sha256": prev[n].get("sha256")} for n in diff["removed"]],
        "changed": [
            {
                "name": n,
                "sha256_before": prev[n].get("sha256"),
                "sha256": cur[n].sha256,
                "mtime_ms_before": prev[n].get("mtime_ms"),
                "mtime_ms": cur[n].mtime_ms,
            }
            for n in diff["changed"]
        ],
    }
