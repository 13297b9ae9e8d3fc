"""The run manifest (`reports/<round>/manifest.json`) and the run record.

The manifest is published with the reports it describes: inputs with hashes,
configuration, versions, counts, timings per stage, outcome. The run record
(`data/processed/.runs/<round>.json`) is written after every run, including
failed and skipped ones, so `scorecard status` can say when the last run
finished and how, even when nothing was published.
"""

from __future__ import annotations

import json
import platform
import re
import sys
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipeline.atomic import atomic_path
from pipeline.batch.measure import max_rss_mb
from pipeline.batch.paths import CARRY_OVER, StagedRound
from pipeline.hashing import file_sha256
from pipeline.tables import read_tables

if TYPE_CHECKING:
    from pipeline.batch.fingerprint import Fingerprint
    from pipeline.batch.outcome import RunOutcome
    from pipeline.config import Config

MANIFEST_NAME = "manifest.json"
DIST_NAME = "grassroots-scorecard"
RUN_HISTORY = 20


def write_json(path: Path, data: Any) -> Path:
    """Write JSON atomically (temp file + rename)."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2, default=str)
        fh.write("\n")
    return path


def read_json(path: Path) -> Any | None:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def manifest_path(reports_round: Path) -> Path:
    return Path(reports_round) / MANIFEST_NAME


def runs_path(processed_root: Path, round_id: str) -> Path:
    return Path(processed_root) / ".runs" / f"{round_id}.json"


def versions() -> dict[str, Any]:
    """Python, platform, this package and every declared dependency."""
    out: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    try:
        out[DIST_NAME] = metadata.version(DIST_NAME)
        requires = metadata.requires(DIST_NAME) or []
    except metadata.PackageNotFoundError:
        import pipeline

        out[DIST_NAME] = pipeline.__version__
        requires = []
    deps: dict[str, str | None] = {}
    for req in requires:
        if "extra ==" in req:
            continue
        name = re.split(r"[\s\[<>=!~;(]", req, maxsplit=1)[0]
        try:
            deps[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            deps[name] = None
    out["dependencies"] = dict(sorted(deps.items()))
    return out


def _value_counts(df: pd.DataFrame | None, column: str) -> dict[str, int]:
    if df is None or column not in df.columns:
        return {}
    counts = df[column].astype("object").fillna("(空)").value_counts()
    return {str(k): int(v) for k, v in sorted(counts.items())}


def count_outputs(processed: Path) -> dict[str, Any]:
    """Files by status, units by reporting state, findings by severity, table rows."""
    tables = read_tables(processed, ["submissions", "units", "findings"], missing_ok=True)
    sub, units, findings = (tables.get(n) for n in ("submissions", "units", "findings"))
    rows: dict[str, int | None] = {}
    for p in sorted(Path(processed).glob("*.parquet")):
        try:
            import pyarrow.parquet as pq

            rows[p.stem] = int(pq.ParquetFile(p).metadata.num_rows)
        except Exception:  # a table we cannot open is counted as unknown
            rows[p.stem] = None
    return {
        "files": len(sub) if sub is not None else None,
        "files_by_status": _value_counts(sub, "status"),
        "units": len(units) if units is not None else None,
        "units_by_reporting": _value_counts(units, "reporting"),
        "findings_by_severity": _value_counts(findings, "severity"),
        "table_rows": rows,
    }


def has_error_findings(counts: dict[str, Any]) -> bool:
    return bool(counts.get("files_by_status", {}).get("rejected")) or bool(
        counts.get("findings_by_severity", {}).get("error")
    )


def append_run_record(processed_root: Path, round_id: str, record: dict[str, Any]) -> Path:
    """Store this run as the last one, keeping a short history."""
    path = runs_path(processed_root, round_id)
    old = read_json(path) or {}
    history = [old["last"], *old.get("history", [])] if old.get("last") else []
    return write_json(path, {"last": record, "history": history[:RUN_HISTORY]})


def last_run(processed_root: Path, round_id: str) -> dict[str, Any] | None:
    data = read_json(runs_path(processed_root, round_id))
    return data.get("last") if isinstance(data, dict) else None


def table_hashes(folder: Path) -> dict[str, str]:
    return {p.name: file_sha256(p) for p in sorted(Path(folder).glob("*.parquet"))}


def report_files(folder: Path) -> int:
    """Files in a reports folder, not counting the manifest and carried-over entries."""
    folder = Path(folder)
    n = 0
    for p in folder.rglob("*"):
        rel = p.relative_to(folder).parts
        if p.is_file() and rel[0] not in CARRY_OVER and rel != (MANIFEST_NAME,):
            n += 1
    return n


def outputs_intact(manifest: dict[str, Any], processed: Path, reports: Path) -> bool:
    """The published outputs are the ones the manifest describes."""
    out = manifest.get("outputs") or {}
    tables = out.get("processed_tables")
    if not tables or table_hashes(processed) != tables:
        return False
    index = out.get("index")
    if index and not (reports / index).is_file():
        return False
    return report_files(reports) == out.get("report_files")


def build_manifest(
    config: Config,
    fp: Fingerprint,
    outcome: RunOutcome,
    staged: StagedRound,
    execution: dict[str, Any],
    started: datetime,
    finished: datetime,
) -> dict[str, Any]:
    """The manifest of a run about to publish `staged` (its outputs are hashed there)."""
    paths, index = staged.paths, outcome.index
    return {
        "round": paths.round_id,
        "outcome": outcome.status,
        "exit_code": outcome.exit_code,
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "seconds": round((finished - started).total_seconds(), 3),
        "fingerprint": fp.to_dict(),
        "inputs": {
            "raw_dir": str(paths.raw),
            "files": fp.files_list(),
            "roster": {"path": str(config.paths.roster), "sha256": fp.parts["roster"]},
            # the analyst's settled matches and the receipt log of this round (intake.py)
            "overrides": dict(config.intake.overrides.get(paths.round_id, {})),
            "receipts": {"path": str(paths.receipts), "sha256": fp.parts.get("receipts")}
            if paths.receipts
            else None,
        },
        "config_file": str(config.source) if config.source else None,
        "config": config.model_dump(mode="json"),
        "versions": versions(),
        "execution": execution,
        "counts": outcome.counts,
        "timings": outcome.timings,
        "peak_rss_mb": max_rss_mb(),
        "outputs": {
            "processed_tables": table_hashes(staged.processed),
            "report_files": report_files(staged.reports),
            "index": index.relative_to(paths.reports).as_posix()
            if index and index.is_relative_to(paths.reports)
            else None,
        },
        "stage_summaries": outcome.stage_summaries,
    }
