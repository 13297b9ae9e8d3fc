"""Exemplary units and practices (典型经验): the best of each type, with stable ranks, and
what they did.

Per unit type the candidates are scored units flagged on no weakness, with a
stable rank and a certain grade, among the best ⌈`top_share` × n⌉ of the
type (at least the best one); the best `per_type` of them by composite are
exemplary. From each one's own return, quoted with unit and date:

- activities tied to work, with public participation and a publicity report
  (the latest `practices` of them);
- the theme, when it names the unit's business keywords;
- materials, when every required category is present and all are current.
"""

from __future__ import annotations

import math

import pandas as pd

from pipeline.config import ActExemplary, Scoring

_SCORING = Scoring()  # the config model holds every default; signatures read it

EXEMPLARY_COLUMNS = [
    "unit_id",
    "unit_name",
    "unit_type",
    "rank_in_type",
    "overall",
    "grade_label",
    "practice_kind",
    "practice",
    "source",
    "date",
]
NO_PUBLICITY = "无"


def exemplary_units(scores: pd.DataFrame, rule: ActExemplary) -> pd.DataFrame:
    s = scores[scores["scored"].astype(bool)]
    keep = []
    for _, g in s.groupby("unit_type"):
        top = max(1, math.ceil(rule.top_share * len(g) - 1e-9))
        c = g[
            (g["n_flags"].astype(int) == 0)
            & ~g["rank_unstable"].astype(bool)
            & ~g["grade_uncertain"].astype(bool)
            & (g["rank_in_type"].astype(int) <= top)
        ]
        keep.append(
            c.sort_values(["overall", "unit_id"], ascending=[False, True]).head(rule.per_type)
        )
    return pd.concat(keep) if keep else s.head(0)


def exemplary_table(
    scores: pd.DataFrame,
    indicators: pd.DataFrame,
    activities: pd.DataFrame,
    info: pd.DataFrame,
    rule: ActExemplary,
    current_days: int = _SCORING.material_current_days,
    report_dates: dict[str, object] | None = None,
) -> pd.DataFrame:
    """One row per (exemplary unit, practice)."""
    ex = exemplary_units(scores, rule)
    ind = indicators.assign(unit_id=indicators["unit_id"].astype(str)).set_index("unit_id")
    rows: list[dict] = []
    dates = report_dates or {}
    for r in ex.to_dict("records"):
        uid = str(r["unit_id"])
        base = {
            k: r[k]
            for k in ("unit_id", "unit_name", "unit_type", "rank_in_type", "overall", "grade_label")
        }
        a = activities[activities["unit_id"].astype(str) == uid] if len(activities) else activities
        if len(a):
            pub = a["publicity"].astype("string")
            good = a[
                a["tied_to_work"].astype("boolean").fillna(False).astype(bool)
                & a["public_participation"].astype("boolean").fillna(False).astype(bool)
                & pub.notna().to_numpy()
                & (pub != NO_PUBLICITY).fillna(False).to_numpy()
            ]
            good = good.sort_values("date", ascending=False).head(rule.practices)
            for x in good.to_dict("records"):
                fmt = (
                    f"{x.get('format')}，"
                    if x.get("format") is not None and not pd.isna(x.get("format"))
                    else ""
                )
                rows.append(
                    {
                        **base,
                        "practice_kind": "activity",
                        "practice": f"「{x.get('name')}」（{fmt}结合业务工作，群众参与，"
                        f"{x.get('publicity')}宣传）",
                        "source": "活动记录",
                        "date": x.get("date"),
                    }
                )
        if uid in ind.index:
            i = ind.loc[uid].to_dict()  # unit_id is unique: one row
            if bool(i.get("theme_keyword")) and not bool(i.get("theme_missing")):
                rows.append(
                    {
                        **base,
                        "practice_kind": "theme",
                        "practice": f"活动主题「{i.get('theme')}」紧扣本单位"
                        f"业务（{i.get('theme_keywords')}）",
                        "source": "基本情况",
                        "date": dates.get(uid),
                    }
                )
            if (
                float(i.get("materials_coverage") or 0) >= 1
                and float(i.get("materials_current_share") or 0) >= 1
            ):
                rows.append(
                    {
                        **base,
                        "practice_kind": "materials",
                        "practice": f"基础资料{int(i['materials_required'])}类齐全，"
                        f"均在近{current_days}天内更新",
                        "source": "基础资料",
                        "date": dates.get(uid),
                    }
                )
    out = pd.DataFrame(rows, columns=EXEMPLARY_COLUMNS)
    out["date"] = pd.to_datetime(out["date"], errors="coerce").astype("datetime64[ms]")
    out["overall"] = pd.to_numeric(out["overall"], errors="coerce").astype("Float64")
    out["rank_in_type"] = pd.to_numeric(out["rank_in_type"], errors="coerce").astype("Int64")
    return out.astype(
        {c: "string" for c in EXEMPLARY_COLUMNS if c not in ("date", "overall", "rank_in_type")}
    )


__all__ = ["EXEMPLARY_COLUMNS", "exemplary_table", "exemplary_units"]
