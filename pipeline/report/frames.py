"""Display tables with Chinese headers, shared by notebooks, unit pages and summary.xlsx.

Pure functions: processed table(s) in, a small DataFrame with Chinese column
names out. Unit text is passed through untouched; escaping happens where the
frame is written (HTML: `display.html_table`; Excel: `xlsx`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.codes import Reporting
from pipeline.config import WEAKNESS_LABELS, WEAKNESSES
from pipeline.report.labels import SEVERITY_LABELS, TZ_LABEL, local_times

REPORTING_LABELS = {
    m.value: m.label for m in Reporting
}  # from the one registry (pipeline/codes.py)


def flags_text(flags: object) -> str:
    """`weak_basics,unclear_theme` → `基础较薄弱、主题不鲜明`."""
    if flags is None or (isinstance(flags, float) and pd.isna(flags)) or flags is pd.NA:
        return ""
    keys = [k.strip() for k in str(flags).split(",") if k.strip()]
    return "、".join(WEAKNESS_LABELS.get(k, k) for k in keys)


def _scored(scores: pd.DataFrame) -> pd.Series:
    return scores["scored"].fillna(False).astype(bool)


def _interval(lo: Any, hi: Any) -> str:  # two cell values
    if pd.isna(lo) or pd.isna(hi):
        return ""
    return f"{float(lo):.0f}–{float(hi):.0f}"


def ranking_frame(scores: pd.DataFrame, unit_type: str | None = None) -> pd.DataFrame:
    """Scored units by rank: rank, name, type, overall, the four indices, interval, flags."""
    s = scores[_scored(scores)]
    if unit_type is not None:
        s = s[s["unit_type"] == unit_type]
    s = s.sort_values("rank")
    out = pd.DataFrame(
        {
            "排名": s["rank"].astype("Int64"),
            "类型内排名": s["rank_in_type"].astype("Int64"),
            "单位编码": s["unit_id"],
            "单位名称": s["unit_name"],
            "单位类型": s["unit_type"],
            "综合得分": s["overall"].astype("Float64").round(1),
        }
    )
    for w in WEAKNESSES:
        out[WEAKNESS_LABELS[w]] = s[w].astype("Float64").round(1)
    out["排名区间(5%–95%)"] = [
        _interval(a, b) for a, b in zip(s["rank_p05"], s["rank_p95"], strict=True)
    ]
    out["排名不稳定"] = ["是" if bool(v) else "" for v in s["rank_unstable"].fillna(False)]
    out["预警项"] = [flags_text(f) for f in s["flags"]]
    return out.reset_index(drop=True)


def unscored_frame(scores: pd.DataFrame) -> pd.DataFrame:
    s = scores[~_scored(scores)]
    return pd.DataFrame(
        {
            "单位编码": s["unit_id"],
            "单位名称": s["unit_name"],
            "单位类型": s["unit_type"],
            "未评分原因": s["unscored_reason"],
        }
    ).reset_index(drop=True)


def notice_frame(notice: pd.DataFrame) -> pd.DataFrame:
    if notice is None or notice.empty:
        return pd.DataFrame(columns=["单位编码", "单位名称", "单位类型", "通报原因"])
    return pd.DataFrame(
        {
            "单位编码": notice["unit_id"],
            "单位名称": notice["unit_name"],
            "单位类型": notice["unit_type"],
            "通报原因": notice["reason"],
        }
    ).reset_index(drop=True)


def _local_time(ts: pd.Series) -> pd.Series:
    return local_times(ts)


RECEIVED_AT = f"收到时间（{TZ_LABEL}）"


def missing_late_frame(units: pd.DataFrame) -> pd.DataFrame:
    """Expected units that reported late or not at all."""
    if units is None or units.empty:
        return pd.DataFrame(
            columns=["单位编码", "单位名称", "单位类型", "报送情况", RECEIVED_AT, "文件"]
        )
    u = units[units["reporting"].isin(["late", "received_unusable", "missing"])]
    u = u.sort_values(["reporting", "unit_type", "unit_id"], ascending=[False, True, True])
    return pd.DataFrame(
        {
            "单位编码": u["unit_id"],
            "单位名称": u["unit_name"],
            "单位类型": u["unit_type"],
            "报送情况": u["reporting"].map(REPORTING_LABELS),
            RECEIVED_AT: _local_time(u["received_at"]),
            "文件": u["file"],
        }
    ).reset_index(drop=True)


def findings_frame(
    findings: pd.DataFrame, unit_id: str | None = None, units: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Problems found in the returns (all, or one unit's), errors first."""
    cols = ["单位编码", "单位名称", "文件", "工作表", "单元格", "栏目", "级别", "问题", "原值"]
    if findings is None or findings.empty:
        return pd.DataFrame(columns=cols)
    f = findings if unit_id is None else findings[findings["unit_id"] == unit_id]
    f = f.assign(_o=(f["severity"] != "error").astype(int)).sort_values(["_o", "file", "row"])
    names = pd.Series(dtype="string")
    if units is not None and not units.empty:
        names = units.set_index("unit_id")["unit_name"]
    return pd.DataFrame(
        {
            "单位编码": f["unit_id"],
            "单位名称": f["unit_id"].map(names) if len(names) else pd.NA,
            "文件": f["file"],
            "工作表": f["sheet"],
            "单元格": f["cell"],
            "栏目": f["column"],
            "级别": f["severity"].map(SEVERITY_LABELS).fillna(f["severity"]),
            "问题": f["message"],
            "原值": f["value"],
        },
        columns=cols,
    ).reset_index(drop=True)


def explanations_frame(explanations: pd.DataFrame, unit_id: str) -> pd.DataFrame:
    if explanations is None or explanations.empty:
        return pd.DataFrame(columns=["不足", "依据"])
    e = explanations[explanations["unit_id"] == unit_id]
    return explanation_rows(e).reset_index(drop=True)


def explanation_rows(e: pd.DataFrame) -> pd.DataFrame:
    """`explanations_frame` of these rows (index kept; a stable sort, so a batch of
    units sorted at once keeps each unit's own order)."""
    order = {w: i for i, w in enumerate(WEAKNESSES)}
    e = e.assign(_w=e["weakness"].map(order)).sort_values(["_w", "order"])
    return pd.DataFrame(
        {"不足": e["weakness"].map(WEAKNESS_LABELS).fillna(e["weakness"]), "依据": e["text"]}
    )


def changes_frame(
    changes: pd.DataFrame, scores: pd.DataFrame, unit_type: str | None = None
) -> pd.DataFrame:
    """Change of every index since the previous round, biggest overall movers first."""
    cols = ["单位名称", "单位类型", "综合得分变化", "名次变化", "整改未到位"]
    if changes is None or changes.empty or "overall_change" not in changes:
        return pd.DataFrame(columns=cols)
    m = changes.merge(scores[["unit_id", "unit_name", "unit_type"]], on="unit_id", how="left")
    if unit_type is not None:
        m = m[m["unit_type"] == unit_type]
    m = m.assign(_a=m["overall_change"].astype("Float64").abs()).sort_values("_a", ascending=False)
    out = pd.DataFrame(
        {
            "单位名称": m["unit_name"],
            "单位类型": m["unit_type"],
            "综合得分变化": m["overall_change"].astype("Float64").round(1),
            "名次变化": m["rank_change"].astype("Int64") if "rank_change" in m else pd.NA,
            "整改未到位": [flags_text(v) for v in m.get("still_flagged", pd.Series(index=m.index))],
        }
    )
    for w in WEAKNESSES:
        col = f"{w}_change"
        if col in m:
            out[f"{WEAKNESS_LABELS[w]}变化"] = m[col].astype("Float64").round(1)
    return out.reset_index(drop=True)


def type_summary_frame(scores: pd.DataFrame, thresholds: dict[str, float]) -> pd.DataFrame:
    """Per unit type: units, scored, mean overall and how many are flagged on each weakness."""
    from pipeline.charts._style import sort_types

    rows = []
    for t in sort_types(scores["unit_type"].dropna().unique()):
        s = scores[scores["unit_type"] == t]
        sc = s[_scored(s)]
        row = {
            "单位类型": t,
            "单位数": len(s),
            "已评分": len(sc),
            "平均综合得分": round(float(sc["overall"].astype(float).mean()), 1)
            if len(sc)
            else None,
        }
        for w in WEAKNESSES:
            row[f"{WEAKNESS_LABELS[w]}预警"] = int((sc[w].astype(float) >= thresholds[w]).sum())
        rows.append(row)
    return pd.DataFrame(rows)


PROGRESS_COLUMNS: tuple[str, ...] = ("progress_share", "progress", "progress_rate", "share_done")


def progress_values(
    scores: pd.DataFrame, indicators: pd.DataFrame | None
) -> tuple[pd.DataFrame, str, str]:
    """(unit_id, unit_type, value) per scored unit for the progress chart, the column and its label.

    Uses the progress share from `indicators` when scoring wrote one, else the
    uneven_progress index from `scores`.
    """
    types = scores[["unit_id", "unit_type"]]
    if indicators is not None and not indicators.empty:
        for col in PROGRESS_COLUMNS:
            if col in indicators:
                v = indicators[["unit_id", col]].merge(types, on="unit_id")
                v[col] = v[col].astype(float) * 100  # a share is shown as a percentage everywhere
                return v, col, "规定动作完成进度（%）"
    s = scores[_scored(scores)]
    return (
        s[["unit_id", "unit_type", "uneven_progress"]],
        "uneven_progress",
        "进展不平衡指数（越高越严重）",
    )


def findings_by_unit_frame(
    findings: pd.DataFrame, units: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per unit: errors, warnings and the most frequent problem (most errors first)."""
    cols = ["单位编码", "单位名称", *SEVERITY_LABELS.values(), "最常见的差错"]
    if findings is None or findings.empty:
        return pd.DataFrame(columns=cols)
    f = findings.assign(unit_id=findings["unit_id"].fillna("（未识别单位）"))
    rows = []
    for uid, g in f.groupby("unit_id", sort=False):
        top = g["message"].mode()
        rows.append(
            {
                "单位编码": uid,
                SEVERITY_LABELS["error"]: int((g["severity"] == "error").sum()),
                SEVERITY_LABELS["warning"]: int((g["severity"] == "warning").sum()),
                "最常见的差错": str(top.iloc[0]) if len(top) else "",
            }
        )
    out = pd.DataFrame(rows)
    names: pd.Series | dict[str, str] = (
        units.set_index("unit_id")["unit_name"] if units is not None and not units.empty else {}
    )
    out.insert(1, "单位名称", out["单位编码"].map(names) if len(names) else "")
    return out.sort_values(list(SEVERITY_LABELS.values()), ascending=False).reset_index(drop=True)[
        cols
    ]
