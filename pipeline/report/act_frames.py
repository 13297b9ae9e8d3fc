"""Display frames (Chinese headers) of the action tables.

Grades, items and statuses, rates, exemplary units: used by summary.xlsx and
the pages; no personal data (contact names and phones are not in these tables).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from pipeline.config import WEAKNESS_LABELS
from pipeline.tables import Record

SCOPE_LABELS = {
    "district": "全区",
    "unit_type": "单位类型",
    "weakness": "问题类别",
    "previous_notice": "上轮通报单位",
    "unit": "单位",
}
KIND_LABELS = {"activity": "活动", "theme": "主题", "materials": "基础资料"}


def _date(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, errors="coerce").dt.strftime("%Y-%m-%d")


def grades_frame(scores: pd.DataFrame) -> pd.DataFrame:
    if scores is None or scores.empty or "grade" not in scores:
        return pd.DataFrame(
            columns=["单位编码", "单位名称", "单位类型", "综合得分", "等次", "可能等次", "等次边界"]
        )
    s = scores[scores["scored"].astype(bool)].sort_values(
        ["grade", "overall"], ascending=[True, False]
    )
    return pd.DataFrame(
        {
            "单位编码": s["unit_id"],
            "单位名称": s["unit_name"],
            "单位类型": s["unit_type"],
            "综合得分": s["overall"].astype(float).round(1),
            "等次": s["grade_label"],
            "可能等次": s["grade_range"],
            "等次边界": s["grade_note"].fillna(""),
        }
    ).reset_index(drop=True)


def rectification_frame(rect: pd.DataFrame) -> pd.DataFrame:
    cols = [
        "单位编码",
        "单位名称",
        "单位类型",
        "问题类别",
        "整改事项",
        "具体要求",
        "本轮情况",
        "整改状态",
        "复查情况",
        "首次指出",
        "整改时限",
        "事项编码",
    ]
    if rect is None or rect.empty:
        return pd.DataFrame(columns=cols)
    r = rect
    return pd.DataFrame(
        {
            "单位编码": r["unit_id"],
            "单位名称": r["unit_name"],
            "单位类型": r["unit_type"],
            "问题类别": r["weakness"].map(WEAKNESS_LABELS),
            "整改事项": r["item_label"],
            "具体要求": r["instruction"],
            "本轮情况": r["evidence"],
            "整改状态": r["status_label"],
            "复查情况": r["status_evidence"],
            "首次指出": r["opened_round"],
            "整改时限": _date(r["due_date"]),
            "事项编码": r["item_key"],
        }
    ).reset_index(drop=True)


def rates_frame(
    rates: pd.DataFrame,
    scopes: tuple[str, ...] = ("district", "previous_notice", "unit_type", "weakness", "unit"),
) -> pd.DataFrame:
    cols = [
        "范围",
        "对象",
        "上轮事项",
        "可复查",
        "已整改",
        "部分整改",
        "未整改",
        "无法复查",
        "新发现",
        "整改率",
    ]
    if rates is None or rates.empty:
        return pd.DataFrame(columns=cols)
    r = rates[rates["scope"].isin(scopes)].copy()
    r["_o"] = r["scope"].map({s: i for i, s in enumerate(scopes)})
    r = r.sort_values(["_o", "group"])
    rate = r["fix_rate"].astype(float)
    return pd.DataFrame(
        {
            "范围": r["scope"].map(SCOPE_LABELS),
            "对象": r["group_label"],
            "上轮事项": r["carried"],
            "可复查": r["checkable"],
            "已整改": r["fixed"],
            "部分整改": r["partly_fixed"],
            "未整改": r["not_fixed"],
            "无法复查": r["not_checkable"],
            "新发现": r["new"],
            "整改率": [f"{100 * x:.1f}%" if x == x else "—" for x in rate],
        }
    ).reset_index(drop=True)


def exemplary_frame(ex: pd.DataFrame) -> pd.DataFrame:
    cols = [
        "单位名称",
        "单位类型",
        "类内排名",
        "综合得分",
        "等次",
        "经验做法",
        "类别",
        "来源",
        "日期",
    ]
    if ex is None or ex.empty:
        return pd.DataFrame(columns=cols)
    return pd.DataFrame(
        {
            "单位名称": ex["unit_name"],
            "单位类型": ex["unit_type"],
            "类内排名": ex["rank_in_type"],
            "综合得分": ex["overall"].astype(float).round(1),
            "等次": ex["grade_label"],
            "经验做法": ex["practice"],
            "类别": ex["practice_kind"].map(KIND_LABELS),
            "来源": ex["source"],
            "日期": _date(ex["date"]).fillna(""),
        }
    ).reset_index(drop=True)


def previous_notice_frame(rect: pd.DataFrame, previous_notice: pd.DataFrame | None) -> pd.DataFrame:
    """上轮通报单位整改情况: per unit named last round, its carried items by status."""
    cols = [
        "单位名称",
        "单位类型",
        "上轮事项",
        "已整改",
        "部分整改",
        "未整改",
        "无法复查",
        "整改率",
        "仍未整改的事项",
    ]
    if previous_notice is None or previous_notice.empty or rect is None or rect.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    carried = rect[rect["status"].astype(str) != "new"]
    for r in previous_notice.to_dict("records"):
        g = carried[carried["unit_id"] == r["unit_id"]]
        st = g["status"].astype(str).value_counts()
        checkable = len(g) - int(st.get("not_checkable", 0))
        still = g[g["status"].isin(["not_fixed", "partly_fixed"])]["item_label"]
        rows.append(
            [
                r["unit_name"],
                r["unit_type"],
                len(g),
                int(st.get("fixed", 0)),
                int(st.get("partly_fixed", 0)),
                int(st.get("not_fixed", 0)),
                int(st.get("not_checkable", 0)),
                f"{100 * int(st.get('fixed', 0)) / checkable:.0f}%" if checkable else "—",
                "、".join(dict.fromkeys(str(x) for x in still)),
            ]
        )
    return pd.DataFrame(rows, columns=cols)


ITEM_COLUMNS = ["问题类别", "整改事项", "具体要求", "整改状态", "复查情况", "整改时限"]
_STATUS_ORDER = {"not_fixed": 0, "partly_fixed": 1, "not_checkable": 2, "new": 3, "fixed": 4}


def unit_items_frame(rect: pd.DataFrame, unit_id: str) -> pd.DataFrame:
    """One unit's items for its page: the open ones first, then the fixed ones."""
    if rect is None or rect.empty:
        return pd.DataFrame(columns=ITEM_COLUMNS)
    return items_frame(rect[rect["unit_id"] == unit_id]).reset_index(drop=True)


def items_frame(r: pd.DataFrame) -> pd.DataFrame:
    """`unit_items_frame` of these rows (index kept; the sort is stable, so a batch of
    units sorted at once keeps each unit's rows in that unit's own order)."""
    r = r.assign(_o=r["status"].map(_STATUS_ORDER)).sort_values(["_o", "weakness", "item_key"])
    return pd.DataFrame(
        {
            "问题类别": r["weakness"].map(WEAKNESS_LABELS),
            "整改事项": r["item_label"],
            "具体要求": r["instruction"],
            "整改状态": r["status_label"],
            "复查情况": r["status_evidence"],
            "整改时限": _date(r["due_date"]),
        }
    )


def unit_items_lines(rect: pd.DataFrame, scores: pd.DataFrame, unit_id: str) -> list[str]:
    s = scores[scores["unit_id"] == unit_id]
    grade = s.iloc[0] if len(s) else None
    r = rect[rect["unit_id"] == unit_id] if rect is not None and not rect.empty else pd.DataFrame()
    if r.empty:
        return items_lines(grade, 0, {}, None)
    st = r["status"].astype(str).value_counts()
    counts = {str(k): int(v) for k, v in st.items()}
    return items_lines(grade, len(r), counts, pd.to_datetime(r["due_date"]).min())


def items_lines(grade: Record | None, n: int, status: Mapping[str, int], due: Any) -> list[str]:
    """`unit_items_lines` from the unit's scores row, its number of items, the items per
    status and the earliest due date."""
    lines: list[str] = []
    if grade is not None and "grade_label" in grade and pd.notna(grade["grade_label"]):
        g = grade
        lines.append(
            f"等次：{g['grade_label']}"
            + (
                f"（可能为{g['grade_range']}，{g['grade_note']}）"
                if bool(g.get("grade_uncertain"))
                else ""
            )
            + "。"
        )
    if not n:
        return [*lines, "本轮没有需要整改的事项。"]
    st = status
    open_n = int(n - st.get("fixed", 0))
    lines.append(f"需整改{open_n}项，请于{due.year}年{due.month}月{due.day}日前整改到位。")
    carried = int(n - st.get("new", 0))
    if carried:
        lines.append(
            f"上轮指出的{carried}项：已整改{int(st.get('fixed', 0))}项、"
            f"部分整改{int(st.get('partly_fixed', 0))}项、"
            f"未整改{int(st.get('not_fixed', 0))}项、无法复查{int(st.get('not_checkable', 0))}项；"
            f"本轮新发现{int(st.get('new', 0))}项。"
        )
    return lines


def previous_notice(config, round_id: str) -> pd.DataFrame:
    """The previous round's published notice list (empty when there is none)."""
    from pipeline.tables import table_path

    prev = config.previous_round(round_id)
    if prev is None:
        return pd.DataFrame()
    path = table_path(config.paths.processed_round(prev.id), "notice")
    return pd.read_parquet(path) if path.is_file() else pd.DataFrame()
