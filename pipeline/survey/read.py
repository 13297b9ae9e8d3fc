"""Reading survey exports: a file → a frame of text cells under a recognised layout.

Only xlsx/xlsm/xls/ods/csv files are read. The header row is looked for in
the first rows; the layout whose headers match best (all of its required
headers present) wins. Only the columns the layout names are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.roster import normalise_text
from pipeline.survey.layout import Layout

SURVEY_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")
HEADER_SCAN_ROWS = 10


@dataclass
class SurveyFile:
    file: str  # relative to the survey folder
    sheet: str | None
    layout: Layout | None
    header_row: int  # 1-based Excel row of the header (0 if none)
    frame: pd.DataFrame  # layout header -> cell (object); index = 1-based Excel row
    columns: dict[str, int]  # layout header -> 0-based column position in the file
    rows_read: int
    error: str = ""


def _read_raw(path: Path) -> tuple[pd.DataFrame, str | None]:
    if path.suffix.lower() == ".csv":
        for enc in ("utf-8-sig", "gb18030"):
            try:
                return pd.read_csv(
                    path, header=None, dtype=str, keep_default_na=False, encoding=enc
                ), None
            except UnicodeDecodeError:
                continue
        raise ValueError("CSV 文件不是 UTF-8 或 GB18030 编码")
    sheets = pd.read_excel(path, header=None, sheet_name=None, engine="calamine")
    name, df = next(iter(sheets.items()))
    return df, str(name)


def _blank(v: object) -> bool:
    return (
        v is None or (isinstance(v, float) and pd.isna(v)) or (isinstance(v, str) and not v.strip())
    )


def find_layout(
    raw: pd.DataFrame, layouts: list[Layout]
) -> tuple[Layout | None, int, dict[str, int]]:
    """(layout, 0-based header row, header -> column) of the best match, or (None, -1, {})."""
    best: tuple[int, Layout | None, int, dict[str, int]] = (0, None, -1, {})
    for i in range(min(HEADER_SCAN_ROWS, len(raw))):
        cells = {normalise_text(v): j for j, v in enumerate(raw.iloc[i].tolist()) if not _blank(v)}
        for lay in layouts:
            cols = {h: cells[normalise_text(h)] for h in lay.named if normalise_text(h) in cells}
            if all(h in cols for h in lay.required) and len(cols) > best[0]:
                best = (len(cols), lay, i, cols)
    return best[1], best[2], best[3]


def read_survey_file(
    path: Path, label: str, layouts: list[Layout], max_mb: float | None = None
) -> SurveyFile:
    """One export; never raises on bad input (the error is in `error`). Larger than `max_mb`:
    not read."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        return SurveyFile(
            label, None, None, 0, pd.DataFrame(), {}, 0, f"{type(exc).__name__}: {exc}"
        )
    if max_mb is not None and size > max_mb * 1024 * 1024:
        return SurveyFile(
            label,
            None,
            None,
            0,
            pd.DataFrame(),
            {},
            0,
            f"文件 {size / 1024 / 1024:.0f} MB，超过上限 {max_mb:g} MB"
            "（配置 [ingest] max_file_mb）",
        )
    try:
        raw, sheet = _read_raw(path)
    except Exception as exc:
        return SurveyFile(
            label, None, None, 0, pd.DataFrame(), {}, 0, f"{type(exc).__name__}: {exc}"
        )
    layout, h, cols = find_layout(raw, layouts)
    if layout is None:
        body = raw.iloc[1:]
        n = int((~body.map(_blank)).any(axis=1).sum()) if len(body) else 0
        return SurveyFile(label, sheet, None, 0, pd.DataFrame(), {}, n)
    body = raw.iloc[h + 1 :, list(cols.values())]
    body.columns = list(cols)
    body.index = [h + 2 + k for k in range(len(body))]  # 1-based Excel rows
    keep = ~body.map(_blank).all(axis=1)
    body = body[keep]
    return SurveyFile(label, sheet, layout, h + 1, body, cols, len(body))
