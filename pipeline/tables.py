"""Reading and writing the processed tables (parquet), one file per table.

Writes go to a temporary file first and are renamed into place, so a reader
never sees half a table. The table names and columns are documented in
docs/data-dictionary.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.atomic import atomic_path

# one record of a table: a dict (to_dict("records")) or a frame row (iloc, iterrows)
Record = Mapping[str, Any] | pd.Series

SHEET_TABLES: tuple[str, ...] = ("info", "actions", "materials", "activities", "evaluation")
INGEST_TABLES: tuple[str, ...] = ("submissions", "units", "completeness", "findings", *SHEET_TABLES)
SCORE_TABLES: tuple[str, ...] = (
    "scores",
    "indicators",
    "explanations",
    "inequality",
    "theme_clusters",
    "changes",
    "notice",
)
ACT_TABLES: tuple[str, ...] = ("rectification", "rectification_rates", "exemplary")
"""Written beside the score tables by the action stage (pipeline/act), which also adds grades
to `scores`."""

SURVEY_TABLES: tuple[str, ...] = (  # pipeline/survey: written only for a round with survey exports
    "satisfaction",
    "paper_vs_residents",
    "survey_responses",
    "survey_findings",
    "survey_ledger",
    "survey_self_report",
    "survey_excerpts",
)


def table_path(folder: Path, name: str) -> Path:
    return Path(folder) / f"{name}.parquet"


def write_table(df: pd.DataFrame, folder: Path, name: str) -> Path:
    """Write one table atomically (temp file + rename)."""
    target = table_path(folder, name)
    with atomic_path(target, prefix=f".{name}.", suffix=".parquet.tmp") as tmp:
        df.to_parquet(tmp, index=False)
    return target


def write_tables(tables: Mapping[str, pd.DataFrame], folder: Path) -> list[Path]:
    return [write_table(df, folder, name) for name, df in tables.items()]


def read_table(folder: Path, name: str) -> pd.DataFrame:
    path = table_path(folder, name)
    if not path.is_file():
        raise FileNotFoundError(f"找不到数据表 {path}（请先运行上一步）")
    return pd.read_parquet(path)


def read_tables(
    folder: Path, names: Iterable[str] | None = None, missing_ok: bool = False
) -> dict[str, pd.DataFrame]:
    """Read the named tables (default: every parquet file in the folder)."""
    folder = Path(folder)
    if names is None:
        names = sorted(p.stem for p in folder.glob("*.parquet"))
    out: dict[str, pd.DataFrame] = {}
    for name in names:
        if missing_ok and not table_path(folder, name).is_file():
            continue
        out[name] = read_table(folder, name)
    return out
