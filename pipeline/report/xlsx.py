"""summary.xlsx (汇总表): scores, missing/late units, findings, the notice list.

Written with xlsxwriter directly with `strings_to_formulas`, `strings_to_urls`
and `strings_to_numbers` off, and every text cell written with `write_string`:
a unit's text such as ``=HYPERLINK(...)`` or ``+86...`` stays text in Excel
and LibreOffice. Each sheet has a frozen header, an autofilter and column
widths fitted to the content (CJK characters count double).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

from pipeline.atomic import atomic_path
from pipeline.config import WEAKNESS_LABELS, WEAKNESSES
from pipeline.report import frames
from pipeline.report.labels import FINDINGS_SHEET
from pipeline.report.printsetup import PrintSetup, apply_xlsxwriter, is_wide

MAX_WIDTH = 60


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _is_missing(v: object) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def _write_frame(
    book,
    name: str,
    df: pd.DataFrame,
    fmt: Mapping[str, object],
    freeze_cols: int = 0,
    note: str | None = None,
    title: str = "",
    banner: str = "",
):
    ws = book.add_worksheet(name)
    start = 0
    note = note or banner or None
    if note:
        ws.write_string(0, 0, note, fmt["banner"] if banner else fmt["note"])
        start = 1
    for j, col in enumerate(df.columns):
        ws.write_string(start, j, str(col), fmt["header"])
    widths = [_display_width(str(c)) + 2 for c in df.columns]
    for i, row in enumerate(df.itertuples(index=False), start=start + 1):
        for j, v in enumerate(row):
            if _is_missing(v):
                continue
            if isinstance(v, bool | np.bool_):
                ws.write_string(i, j, "是" if v else "否")
                text = "是"
            elif isinstance(v, numbers.Real):
                integral = isinstance(v, numbers.Integral)
                ws.write_number(i, j, float(v), None if integral else fmt["num"])
                text = str(v) if integral else f"{float(v):.1f}"
            elif isinstance(v, datetime | date | pd.Timestamp):
                text = pd.Timestamp(v).strftime("%Y-%m-%d")
                ws.write_string(i, j, text)
            else:
                text = str(v)
                ws.write_string(i, j, text)
            widths[j] = max(widths[j], min(MAX_WIDTH, _display_width(text) + 2))
    for j, w in enumerate(widths):
        ws.set_column(j, j, min(w, MAX_WIDTH), fmt["wrap"] if w >= MAX_WIDTH else None)
    ws.freeze_panes(start + 1, freeze_cols)
    shown = [min(w, MAX_WIDTH) for w in widths]
    apply_xlsxwriter(
        ws,
        PrintSetup(
            title=f"{title} {name}".strip(),
            header_rows=(start, start),
            name_columns=(0, freeze_cols - 1) if freeze_cols else None,
            landscape=is_wide(shown),
            banner=banner.split("：")[0],
        ),
    )
    ws.autofilter(start, 0, start + max(len(df), 1), max(len(df.columns) - 1, 0))
    return ws, start


def _formats(book) -> dict[str, object]:
    return {
        "header": book.add_format(
            {"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "valign": "top"}
        ),
        "num": book.add_format({"num_format": "0.0"}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        "note": book.add_format({"italic": True, "font_color": "#555555"}),
        "banner": book.add_format({"bold": True, "font_color": "#C00000", "bg_color": "#FFF2CC"}),
        "flag": book.add_format({"bg_color": "#F8CBAD", "font_color": "#7F2704"}),
        "bad": book.add_format({"bg_color": "#FCE4D6"}),
        "good": book.add_format({"bg_color": "#E2EFDA"}),
    }


def _workbook(path: Path) -> xlsxwriter.Workbook:
    """A workbook that writes every text as text (never a formula, a link or a number)."""
    return xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )


def write_frames(
    frames_by_sheet: Mapping[str, pd.DataFrame],
    path: Path,
    title: str = "",
    banner: str = "",
    freeze_cols: int = 1,
) -> Path:
    """Write some frames, one sheet each, with the same look and page setup as summary.xlsx."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=".tmp.xlsx") as tmp:
        book = _workbook(tmp)
        fmt = _formats(book)
        for name, df in frames_by_sheet.items():
            _write_frame(
                book,
                name[:31],
                df,
                fmt,
                freeze_cols=min(freeze_cols, len(df.columns)),
                title=title,
                banner=banner,
            )
        book.close()
    return path


def write_summary(
    tables: Mapping[str, pd.DataFrame],
    path: Path,
    thresholds: Mapping[str, float],
    round_label: str = "",
    banner: str = "",
) -> Path:
    """Write summary.xlsx from a round's tables; return its path.

    `banner` (e.g. 临时结果：…) is written above every sheet and into the page header."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=".tmp.xlsx") as tmp:
        book = _workbook(tmp)
        fmt = _formats(book)
        scores = tables.get("scores", pd.DataFrame())
        ranking = frames.ranking_frame(scores) if not scores.empty else pd.DataFrame()
        unscored = frames.unscored_frame(scores) if not scores.empty else pd.DataFrame()
        full = pd.concat([ranking, unscored], ignore_index=True) if not unscored.empty else ranking
        note = (
            f"汇总表 {round_label}：四项不足指数 0–100，越高越严重；"
            "综合得分越高越好；红底 = 达到预警线"
        )
        kw: dict[str, Any] = {"title": f"汇总表 {round_label}".strip(), "banner": banner}
        if banner:
            note = f"{banner}｜{note}"
        ws, start = _write_frame(book, "汇总表", full, fmt, freeze_cols=4, note=note, **kw)
        n = len(full)
        if n:
            cols = list(full.columns)
            first, last = start + 1, start + n
            for w in WEAKNESSES:
                j = cols.index(WEAKNESS_LABELS[w])
                ws.conditional_format(
                    first,
                    j,
                    last,
                    j,
                    {
                        "type": "cell",
                        "criteria": ">=",
                        "value": float(thresholds[w]),
                        "format": fmt["flag"],
                    },
                )
            j = cols.index("综合得分")
            ws.conditional_format(
                first,
                j,
                last,
                j,
                {
                    "type": "3_color_scale",
                    "min_color": "#F8696B",
                    "mid_color": "#FFEB84",
                    "max_color": "#63BE7B",
                },
            )
            j = cols.index("预警项")
            ws.conditional_format(first, j, last, j, {"type": "no_blanks", "format": fmt["bad"]})
            j = cols.index("排名不稳定")
            ws.conditional_format(first, j, last, j, {"type": "no_blanks", "format": fmt["bad"]})
        _write_frame(
            book,
            "迟报缺报",
            frames.missing_late_frame(tables.get("units", pd.DataFrame())),
            fmt,
            2,
            **kw,
        )
        _write_frame(
            book,
            FINDINGS_SHEET,
            frames.findings_frame(
                tables.get("findings", pd.DataFrame()), units=tables.get("units")
            ),
            fmt,
            2,
            **kw,
        )
        _write_frame(
            book,
            "通报名单",
            frames.notice_frame(tables.get("notice", pd.DataFrame())),
            fmt,
            2,
            **kw,
        )
        changes = tables.get("changes", pd.DataFrame())
        if changes is not None and not changes.empty:
            _write_frame(book, "与上一轮比较", frames.changes_frame(changes, scores), fmt, 1, **kw)
        if "rectification" in tables:
            from pipeline.report import act_frames

            _write_frame(
                book,
                "等次",
                act_frames.grades_frame(scores),
                fmt,
                2,
                **kw,
                note=(
                    "等次按综合得分的固定分界划分；“等次边界”= 排名区间跨越等次分界，宜结合实地检查"
                ),
            )
            _write_frame(
                book,
                "整改情况",
                act_frames.rectification_frame(tables["rectification"]),
                fmt,
                2,
                **kw,
                note="整改事项与复查：上轮事项按同一规则逐项复查（已整改/部分整改/未整改/无法复查），本轮新问题为“新发现”",
            )
            _write_frame(
                book,
                "整改率",
                act_frames.rates_frame(tables.get("rectification_rates", pd.DataFrame())),
                fmt,
                2,
                **kw,
                note="整改率 = 已整改 ÷（上轮事项 − 无法复查）",
            )
            _write_frame(
                book,
                "典型经验",
                act_frames.exemplary_frame(tables.get("exemplary", pd.DataFrame())),
                fmt,
                1,
                **kw,
            )
        from functools import partial

        from pipeline.report.survey import write_survey_sheets

        # 群众满意度 sheets, when the round has a survey
        write_survey_sheets(book, tables, fmt, partial(_write_frame, **kw))
        book.close()
    return path
