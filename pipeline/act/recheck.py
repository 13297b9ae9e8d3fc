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

from datetime import date

import numpy as np
import pandas as pd

from pipeline.act.items import key_label
from pipeline.codes import ItemStatus
from pipeline.config import WEAKNESS_LABELS, ActItems

_ITEMS = ActItems()  # the config model holds every default; signatures read it

STATUS_LABELS: dict[str, str] = {m.value: m.label for m in ItemStatus}
OPEN_STATUSES = ("new", "not_fixed", "partly_fixed", "not_checkable")
CARRIED_STATUSES = ("fixed", "partly_fixed", "not_fixed", "not_checkable")

RECTIFICATION_COLUMNS = [
    "unit_id",
    "unit_name",
    "unit_type",
    "item_key",
    "item_label",
    "weakness",
    "instruction",
    "evidence",
    "opened_round",
    "round",
    "status",
    "status_label",
    "status_evidence",
    "due_date",
    "value",
    "gap",
]
RATE_COLUMNS = [
    "scope",
    "group",
    "group_label",
    "carried",
    "checkable",
    "fixed",
    "partly_fixed",
    "not_fixed",
    "not_checkable",
    "new",
    "fix_rate",
]


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


_VERDICT = {"fixed": "已整改到位", "partly_fixed": "有改进但未达标", "not_fixed": "仍未整改"}


def _str(s: pd.Series) -> pd.Series:
    return s.astype("string").fillna("")


def rectification_table(
    facts: pd.DataFrame,
    units: pd.DataFrame,
    round_id: str,
    due: date,
    previous: pd.DataFrame | None = None,
    partial_share: float = _ITEMS.partial_share,
) -> pd.DataFrame:
    """This round's items: carried ones with their re-check status, then new ones
    (vectorised: merges, no loops).

    `units`: unit_id, unit_name, unit_type, scored (every unit expected this round);
    `facts`: `items.facts_table` of this round; `previous`: last round's published table or None.
    """
    info = (
        units.assign(unit_id=units["unit_id"].astype(str))
        .drop_duplicates("unit_id")
        .set_index("unit_id")
    )
    scored_ids = set(info.index[info["scored"].astype(bool).to_numpy()])
    f = facts.assign(unit_id=facts["unit_id"].astype(str), item_key=facts["item_key"].astype(str))
    keep = [
        "unit_id",
        "item_key",
        "weakness",
        "instruction",
        "evidence",
        "opened_round",
        "status",
        "status_evidence",
        "value",
        "gap",
    ]
    parts: list[pd.DataFrame] = []
    carried_keys = pd.DataFrame(columns=["unit_id", "item_key"])
    if previous is not None and len(previous):
        prev = previous[previous["status"].astype(str).isin(OPEN_STATUSES)]
        prev = prev.assign(
            unit_id=prev["unit_id"].astype(str), item_key=prev["item_key"].astype(str)
        )
        prev = prev[prev["unit_id"].isin(info.index)]  # units no longer expected: nothing to ask
        m = prev[
            ["unit_id", "item_key", "weakness", "instruction", "evidence", "opened_round", "gap"]
        ].merge(
            f[["unit_id", "item_key", "holds", "value", "gap", "evidence", "instruction"]].assign(
                _fact=True
            ),
            on=["unit_id", "item_key"],
            how="left",
            suffixes=("_prev", ""),
        )
        has = m["_fact"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        sc = m["unit_id"].isin(scored_ids).to_numpy()
        holds = m["holds"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        g0 = pd.to_numeric(m["gap_prev"], errors="coerce").to_numpy(dtype=float)
        g1 = pd.to_numeric(m["gap"], errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            shrunk = (g0 > 0) & ((g0 - g1) / g0 >= partial_share - 1e-9)
        status = np.select(
            [~sc | ~has, ~holds, shrunk], ["not_checkable", "fixed", "partly_fixed"], "not_fixed"
        )
        before = _str(m["evidence_prev"])
        after = np.where(
            ~sc,
            "本轮未报送可用报表，无法复查",
            np.where(~has, "本轮无法按同一规则复查", _str(m["evidence"]).to_numpy()),
        )
        verdict = pd.Series(status).map(_VERDICT).fillna("").to_numpy()
        evid = (
            before
            + "；"
            + pd.Series(after, index=m.index, dtype="string")
            + pd.Series(np.where(verdict != "", "，" + verdict.astype(object), ""), index=m.index)
        )
        use_fact = has & sc
        parts.append(
            pd.DataFrame(
                {
                    "unit_id": m["unit_id"],
                    "item_key": m["item_key"],
                    "weakness": m["weakness"],
                    "instruction": np.where(
                        use_fact, _str(m["instruction"]), _str(m["instruction_prev"])
                    ),
                    "evidence": np.where(use_fact, _str(m["evidence"]), before),
                    "opened_round": m["opened_round"],
                    "status": status,
                    "status_evidence": evid,
                    "value": np.where(use_fact, pd.to_numeric(m["value"], errors="coerce"), np.nan),
                    "gap": np.where(use_fact, g1, g0),
                }
            )
        )
        carried_keys = m[["unit_id", "item_key"]]
    new = f[f["holds"].astype(bool)]
    if len(carried_keys):
        flag = new.merge(carried_keys.assign(_c=True), on=["unit_id", "item_key"], how="left")["_c"]
        new = new[~flag.astype("boolean").fillna(False).to_numpy(dtype=bool)]
    parts.append(
        pd.DataFrame(
            {
                "unit_id": new["unit_id"],
                "item_key": new["item_key"],
                "weakness": new["weakness"],
                "instruction": new["instruction"],
                "evidence": new["evidence"],
                "opened_round": round_id,
                "status": "new",
                "status_evidence": _str(new["evidence"]) + "（本轮新发现）",
                "value": new["value"],
                "gap": new["gap"],
            }
        )
    )
    out = (
        pd.concat([p[keep] for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else pd.DataFrame(columns=keep)
    )
    out["unit_name"] = out["unit_id"].map(info["unit_name"].astype(str))
    out["unit_type"] = out["unit_id"].map(info["unit_type"].astype(str))
    labels = {k: key_label(k) for k in pd.unique(out["item_key"].astype(str))}
    out["item_label"] = out["item_key"].astype(str).map(labels)
    out["round"] = round_id
    out["status_label"] = out["status"].map(STATUS_LABELS)
    out["due_date"] = pd.Timestamp(due)
    return _typed(out)


def _counts(df: pd.DataFrame, by: pd.Series | None) -> pd.DataFrame:
    """Status counts per group (one crosstab, not a loop over groups), with carried, checkable,
    fix_rate."""
    status = df["status"].astype(str)
    keys = by.astype(str) if by is not None else pd.Series("all", index=df.index)
    c = pd.crosstab(keys, status).reindex(columns=[*CARRIED_STATUSES, "new"], fill_value=0)
    c["carried"] = c[list(CARRIED_STATUSES)].sum(axis=1)
    c["checkable"] = c["carried"] - c["not_checkable"]
    c["fix_rate"] = (c["fixed"] / c["checkable"].where(c["checkable"] > 0)).astype(float)
    return c.rename_axis("group").reset_index()


def fixing_rates(rect: pd.DataFrame, previous_notice: pd.DataFrame | None = None) -> pd.DataFrame:
    """整改率 = fixed / carried items that could be checked; per district, unit type, weakness,
    unit, last notice."""
    parts: list[pd.DataFrame] = []
    if len(rect):
        parts.append(_counts(rect, None).assign(scope="district", group_label="全区"))
        parts.append(
            _counts(rect, rect["unit_type"])
            .assign(scope="unit_type")
            .pipe(lambda d: d.assign(group_label=d["group"]))
        )
        w = _counts(rect, rect["weakness"]).assign(scope="weakness")
        parts.append(w.assign(group_label=w["group"].map(WEAKNESS_LABELS).fillna(w["group"])))
        if previous_notice is not None and len(previous_notice):
            ids = set(previous_notice["unit_id"].astype(str))
            g = rect[rect["unit_id"].astype(str).isin(ids)]
            if len(g):
                parts.append(
                    _counts(g, None).assign(
                        scope="previous_notice", group="previous_notice", group_label="上轮通报单位"
                    )
                )
        u = _counts(rect, rect["unit_id"]).assign(scope="unit")
        names = rect.drop_duplicates("unit_id").set_index(
            rect.drop_duplicates("unit_id")["unit_id"].astype(str)
        )
        parts.append(u.assign(group_label=u["group"].map(names["unit_name"].astype(str))))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=RATE_COLUMNS)
    out = out.reindex(columns=RATE_COLUMNS)
    ints = ["carried", "checkable", "fixed", "partly_fixed", "not_fixed", "not_checkable", "new"]
    return out.astype(
        {
            "scope": "string",
            "group": "string",
            "group_label": "string",
            **dict.fromkeys(ints, "Int64"),
            "fix_rate": "float64",
        }
    )


def weakness_verdicts(rect: pd.DataFrame) -> pd.DataFrame:
    """Per (unit, weakness) among carried items: not_fixed if any not_fixed/partly_fixed, else
    fixed if any
    fixed, else not_checkable (all carried items unverifiable)."""
    c = rect[rect["status"].astype(str).isin(CARRIED_STATUSES)]
    rows = []
    for (u, w), g in c.groupby(["unit_id", "weakness"]):
        st = set(g["status"].astype(str))
        v = (
            "not_fixed"
            if st & {"not_fixed", "partly_fixed"}
            else "fixed"
            if "fixed" in st
            else "not_checkable"
        )
        rows.append({"unit_id": str(u), "weakness": str(w), "verdict": v})
    return pd.DataFrame(rows, columns=["unit_id", "weakness", "verdict"]).astype("string")
