"""The re-check (复查): last round's published items against this round's facts.

Every item still open in the previous round's *published* `rectification`
table (status new / not_fixed / partly_fixed / not_checkable) is carried and
gets a status from this round's fact for the same unit and key (the rule
that opened it, `pipeline.act.items`):

- the unit has no usable return this round → `not_checkable` (never guessed);
- no fact for the key this round (e.g. the category left the form) → `not_checkable`;
- the fact no longer holds → `fixed`;
- it holds but its gap to the cut-off shrank by at least `partial_share` → `partly_fixed`;
- otherwise → `not_fixed`.

Facts that hold this round and were not carried are `new`. Items fixed last
round are not carried (if the problem comes back it is `new` again).
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from pipeline.act.items import key_label
from pipeline.config import WEAKNESS_LABELS

STATUS_LABELS: dict[str, str] = {
    "new": "新发现",
    "fixed": "已整改",
    "partly_fixed": "部分整改",
    "not_fixed": "未整改",
    "not_checkable": "无法复查",
}
OPEN_STATUSES = ("new", "not_fixed", "partly_fixed", "not_checkable")
CARRIED_STATUSES = ("fixed", "partly_fixed", "not_fixed", "not_checkable")

RECTIFICATION_COLUMNS = [
    "unit_id", "unit_name", "unit_type", "item_key", "item_label", "weakness", "instruction", "evidence",
    "opened_round", "round", "status", "status_label", "status_evidence", "due_date", "value", "gap",
]
RATE_COLUMNS = ["scope", "group", "group_label", "carried", "checkable", "fixed", "partly_fixed", "not_fixed",
                "not_checkable", "new", "fix_rate"]


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    out = df[RECTIFICATION_COLUMNS].copy()
    for c in RECTIFICATION_COLUMNS:
        if c in ("value", "gap"):
            out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
        elif c == "due_date":
            out[c] = pd.to_datetime(out[c]).astype("datetime64[ms]")
        else:
            out[c] = out[c].astype("string")
    return out.sort_values(["unit_id", "weakness", "item_key"]).reset_index(drop=True)


def _status_for(prev_gap: float, fact: dict | None, scored: bool, partial_share: float) -> str:
    if not scored or fact is None:
        return "not_checkable"
    if not fact["holds"]:
        return "fixed"
    g = float(fact["gap"])
    if prev_gap and not math.isnan(prev_gap) and prev_gap > 0 and (prev_gap - g) / prev_gap >= partial_share - 1e-9:
        return "partly_fixed"
    return "not_fixed"


def _status_evidence(status: str, before: str, after: str | None) -> str:
    if status == "not_checkable":
        tail = after or "本轮未报送可用报表，无法复查"
        return f"{before}；{tail}"
    verdict = {"fixed": "已整改到位", "partly_fixed": "有改进但未达标", "not_fixed": "仍未整改"}[status]
    return f"{before}；{after}，{verdict}"


def rectification_table(
    facts: pd.DataFrame,
    units: pd.DataFrame,
    round_id: str,
    due: date,
    previous: pd.DataFrame | None = None,
    partial_share: float = 0.5,
) -> pd.DataFrame:
    """This round's items: carried ones with their re-check status, then new ones.

    `units`: unit_id, unit_name, unit_type, scored (every unit expected this round);
    `facts`: `items.facts_table` of this round; `previous`: last round's published table or None.
    """
    info = units.assign(unit_id=units["unit_id"].astype(str)).set_index("unit_id")
    scored = {u for u, s in zip(info.index, info["scored"], strict=True) if bool(s)}
    fact_of = {(str(r["unit_id"]), str(r["item_key"])): r for r in facts.to_dict("records")}
    rows: list[dict] = []
    carried: set[tuple[str, str]] = set()
    if previous is not None and len(previous):
        prev = previous[previous["status"].astype(str).isin(OPEN_STATUSES)]
        for r in prev.to_dict("records"):
            uid, key = str(r["unit_id"]), str(r["item_key"])
            if uid not in info.index:
                continue  # no longer expected to report: nothing to ask
            fact = fact_of.get((uid, key))
            status = _status_for(float(r.get("gap") if r.get("gap") is not None else float("nan")), fact,
                                 uid in scored, partial_share)
            after = None
            if fact is not None and uid in scored:
                after = str(fact["evidence"])
            elif uid in scored:
                after = "本轮无法按同一规则复查"
            carried.add((uid, key))
            rows.append({
                "unit_id": uid, "item_key": key, "weakness": r["weakness"],
                "instruction": str(fact["instruction"]) if fact is not None else r["instruction"],
                "evidence": str(fact["evidence"]) if fact is not None else r["evidence"],
                "opened_round": r["opened_round"], "status": status,
                "status_evidence": _status_evidence(status, str(r["evidence"]), after),
                "value": fact["value"] if fact is not None else r.get("value"),
                "gap": fact["gap"] if fact is not None else r.get("gap"),
            })
    new = facts[facts["holds"].astype(bool)]
    for r in new.to_dict("records"):
        uid, key = str(r["unit_id"]), str(r["item_key"])
        if (uid, key) in carried:
            continue
        rows.append({"unit_id": uid, "item_key": key, "weakness": r["weakness"], "instruction": r["instruction"],
                     "evidence": r["evidence"], "opened_round": round_id, "status": "new",
                     "status_evidence": f"{r['evidence']}（本轮新发现）", "value": r["value"], "gap": r["gap"]})
    out = pd.DataFrame(rows, columns=[c for c in RECTIFICATION_COLUMNS if c not in
                                      ("unit_name", "unit_type", "item_label", "round", "status_label", "due_date")])
    out["unit_name"] = out["unit_id"].map(info["unit_name"].astype(str))
    out["unit_type"] = out["unit_id"].map(info["unit_type"].astype(str))
    out["item_label"] = [key_label(str(k)) for k in out["item_key"]]
    out["round"] = round_id
    out["status_label"] = out["status"].map(STATUS_LABELS)
    out["due_date"] = pd.Timestamp(due)
    return _typed(out)


def _counts(df: pd.DataFrame) -> dict:
    st = df["status"].astype(str).value_counts()
    c = {s: int(st.get(s, 0)) for s in (*CARRIED_STATUSES, "new")}
    carried = sum(c[s] for s in CARRIED_STATUSES)
    checkable = carried - c["not_checkable"]
    return {"carried": carried, "checkable": checkable, **c,
            "fix_rate": c["fixed"] / checkable if checkable else float("nan")}


def fixing_rates(rect: pd.DataFrame, previous_notice: pd.DataFrame | None = None) -> pd.DataFrame:
    """整改率 = fixed / carried items that could be checked; per district, unit type, unit, last notice list."""
    rows: list[dict] = []
    if len(rect):
        rows.append({"scope": "district", "group": "all", "group_label": "全区", **_counts(rect)})
        for t, g in rect.groupby("unit_type"):
            rows.append({"scope": "unit_type", "group": str(t), "group_label": str(t), **_counts(g)})
        for w, g in rect.groupby("weakness"):
            rows.append({"scope": "weakness", "group": str(w), "group_label": WEAKNESS_LABELS.get(str(w), str(w)),
                         **_counts(g)})
        if previous_notice is not None and len(previous_notice):
            ids = set(previous_notice["unit_id"].astype(str))
            g = rect[rect["unit_id"].astype(str).isin(ids)]
            rows.append({"scope": "previous_notice", "group": "previous_notice", "group_label": "上轮通报单位",
                         **_counts(g)})
        for u, g in rect.groupby("unit_id"):
            rows.append({"scope": "unit", "group": str(u), "group_label": str(g["unit_name"].iloc[0]), **_counts(g)})
    out = pd.DataFrame(rows, columns=RATE_COLUMNS)
    ints = ["carried", "checkable", "fixed", "partly_fixed", "not_fixed", "not_checkable", "new"]
    return out.astype({"scope": "string", "group": "string", "group_label": "string", **dict.fromkeys(ints, "Int64"),
                       "fix_rate": "float64"})


def weakness_verdicts(rect: pd.DataFrame) -> pd.DataFrame:
    """Per (unit, weakness) among carried items: not_fixed if any not_fixed/partly_fixed, else fixed if any
    fixed, else not_checkable (all carried items unverifiable)."""
    c = rect[rect["status"].astype(str).isin(CARRIED_STATUSES)]
    rows = []
    for (u, w), g in c.groupby(["unit_id", "weakness"]):
        st = set(g["status"].astype(str))
        v = "not_fixed" if st & {"not_fixed", "partly_fixed"} else "fixed" if "fixed" in st else "not_checkable"
        rows.append({"unit_id": str(u), "weakness": str(w), "verdict": v})
    return pd.DataFrame(rows, columns=["unit_id", "weakness", "verdict"]).astype("string")
