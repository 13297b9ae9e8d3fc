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
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.atomic import atomic_path
from pipeline.tables import read_tables

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
    rows = {}
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
