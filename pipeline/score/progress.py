"""Uneven progress (进展不平衡): due actions done, lag behind peers, Theil of progress.

progress = (done + partial_credit × in progress) / due, over the manual's
actions due by the round's as-of date. The peer median is taken within the
unit's type when it has at least `peer_min` scored units, otherwise within
its parent's sub-units, otherwise the whole district. The index is

    uneven_progress = 100 × (w_shortfall × clip((1 − progress) / shortfall_full, 0, 1)
                             + w_lag × clip(lag / lag_full, 0, 1))

with lag = peer median − progress; the weights and the `*_full` scales are
`config.scoring.progress` (`[scoring.progress]`, defaults 0.7, 0.3, 0.5, 0.5). Both parts
are on fixed scales (not
re-normalised across units), so one more completed action never raises the
index (the median moves by at most as much as the unit itself), and indices
are comparable across rounds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipeline.config import Scoring, ScoringProgress
from pipeline.form import load_form
from pipeline.score.measures import gini, modified_z, theil, theil_decomposition

_SCORING = Scoring()  # the config model holds every default; signatures read it


def action_credit(
    actions: pd.DataFrame, due_names: Sequence[str], partial_credit: float
) -> pd.DataFrame:
    """Per unit and due action, the best credit reported (1 done, partial, 0)."""
    a = actions[actions["action"].isin(list(due_names))]
    status = a["status"].astype("string")
    states = load_form().action_states
    credit = np.where(
        status == states.done, 1.0, np.where(status == states.in_progress, partial_credit, 0.0)
    )
    out = pd.DataFrame(
        {
            "unit_id": a["unit_id"].astype(str).to_numpy(),
            "action": a["action"].astype(str).to_numpy(),
            "credit": credit,
        }
    )
    return out.groupby(["unit_id", "action"])["credit"].max().reset_index()


def peer_groups(units: pd.DataFrame, peer_min: int) -> pd.Series:
    """The comparison group of each unit: its type, else its parent's sub-units, else 全区."""
    t = units["unit_type"].astype(str)
    p = units["parent_id"].astype("string").fillna("")
    type_n = t.map(t.value_counts())
    par_n = p.map(p.value_counts())
    group = np.where(
        type_n >= peer_min,
        "type:" + t,
        np.where((p != "") & (par_n >= peer_min), "parent:" + p, "district"),
    )
    return pd.Series(group, index=units.index, name="peer_group")


def progress_measures(
    units: pd.DataFrame,
    actions: pd.DataFrame,
    due_names: Sequence[str],
    partial_credit: float = _SCORING.partial_credit,
    peer_min: int = _SCORING.peer_min,
    z_flag: float = _SCORING.modified_z_flag,
    params: ScoringProgress | None = None,
) -> pd.DataFrame:
    """Progress sub-indicators and the uneven_progress index, one row per unit (same order).

    `units`: unit_id, unit_type, parent_id of the scored units; `params`:
    `config.scoring.progress` (its defaults when None).
    """
    params = params or ScoringProgress()
    w = params.weights.normalised()
    n_due = len(due_names)
    ids = units["unit_id"].astype(str)
    credit = action_credit(actions, due_names, partial_credit)
    by_unit = credit.groupby("unit_id")["credit"]
    done = ids.map(credit[credit["credit"] >= 1].groupby("unit_id").size()).fillna(0)
    partial = ids.map(
        credit[(credit["credit"] > 0) & (credit["credit"] < 1)].groupby("unit_id").size()
    ).fillna(0)
    total = ids.map(by_unit.sum()).fillna(0.0).astype(float)
    progress = (total / n_due) if n_due else pd.Series(1.0, index=units.index)
    group = peer_groups(units, peer_min)
    frame = pd.DataFrame({"p": progress.to_numpy(), "g": group.to_numpy()})
    med = frame.groupby("g")["p"].transform("median").to_numpy()
    peer_n = frame.groupby("g")["p"].transform("size").to_numpy()
    z = np.zeros(len(frame))
    for _, idx in frame.groupby("g").indices.items():
        z[idx] = modified_z(frame["p"].to_numpy()[idx])
    p = progress.to_numpy(dtype=float)
    lag = med - p
    index = 100 * (
        w["shortfall"] * np.clip((1 - p) / params.shortfall_full, 0, 1)
        + w["lag"] * np.clip(lag / params.lag_full, 0, 1)
    )
    return pd.DataFrame(
        {
            "unit_id": units["unit_id"].to_numpy(),
            "actions_due": n_due,
            "actions_done": done.to_numpy(dtype=int),
            "actions_in_progress": partial.to_numpy(dtype=int),
            "progress": p,
            "peer_group": group.to_numpy(),
            "peer_n": peer_n,
            "peer_median": med,
            "progress_lag": lag,
            "progress_z": z,
            "progress_outlier": z < -z_flag,
            "uneven_progress": np.clip(index, 0, 100),
        }
    )


def inequality_table(
    units: pd.DataFrame,
    progress: pd.Series,
    names: pd.Series,
    min_subunits: int = _SCORING.theil_min_subunits,
) -> pd.DataFrame:
    """Theil T (with between/within by type) and Gini of progress, district and per parent.

    `units`: unit_id, unit_type, parent_id of scored units; `progress` aligned
    with it; `names`: unit_name indexed by unit_id (for parent labels).
    """
    rows = []
    p = np.asarray(progress, dtype=float)
    if p.size:
        split = theil_decomposition(p, units["unit_type"].astype(str).to_numpy())
        rows.append(
            {
                "level": "district",
                "group": "全区",
                "group_name": "全区（按单位类型分组）",
                "n": p.size,
                "mean_progress": float(p.mean()),
                "theil": split.theil,
                "between": split.between,
                "within": split.within,
                "gini": gini(p),
            }
        )
    parent = units["parent_id"].astype("string").fillna("").to_numpy()
    for pid, idx in sorted(pd.Series(np.arange(p.size)).groupby(parent).indices.items()):
        if pid == "" or len(idx) < min_subunits:
            continue
        y = p[idx]
        name = names.get(pid, pid)
        rows.append(
            {
                "level": "parent",
                "group": pid,
                "group_name": f"{name}所属单位",
                "n": len(idx),
                "mean_progress": float(y.mean()),
                "theil": theil(y),
                "between": np.nan,
                "within": np.nan,
                "gini": gini(y),
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "level",
            "group",
            "group_name",
            "n",
            "mean_progress",
            "theil",
            "between",
            "within",
            "gini",
        ],
    )
    return out.astype(
        {
            "level": "string",
            "group": "string",
            "group_name": "string",
            "n": "Int64",
            "mean_progress": "Float64",
            "theil": "Float64",
            "between": "Float64",
            "within": "Float64",
            "gini": "Float64",
        }
    )
