"""Shallow understanding (认识不够深): a one-off task for the inspection, not daily work.

From the activity log over the campaign period [S, D] (S = campaign start,
D = the round's submission deadline, the eve of the inspection) and the action
table. Activities dated after D (returns sent late) count as on D: they are at
least as close to the check as one on the deadline day.

- bunching: deadline share DS, heaping ratio HR, bunching index BI, binomial p
  and the shrunk DS' = (n_w + k e)/(N + k) (`measures.bunching`, vectorised here);
- spread: normalised monthly entropy H and coverage over all campaign months;
  `coverage_before` = share of the months before the window (months with a day
  before D − w) that have an activity outside the window;
- tied share: activities marked 是否结合业务工作;
- last-minute actions: share of the done due actions completed within
  `late_action_days` before D.

    shallow_understanding = 100 × (w_bunching × clip(BI' / bunching_full, 0, 1)
                                   [0 when N < min_activities]
                                   + w_spread × (1 − coverage_before)
                                   + w_tied × (1 − tied share)
                                   + w_late × last-minute share)

The weights and bunching_full are `config.scoring.understanding`
(`[scoring.understanding]`, defaults 0.4, 0.2, 0.2, 0.2 and 0.5: BI' = 0.5
means the window holds half of the activities not expected there — with a
30-day window in a 6-month campaign, 3.5 times its even share).
BI' = (DS' − e)/(1 − e). The spread part uses `coverage_before` rather than H
so that moving an activity out of the pre-deadline window never raises the
index (H can fall when an activity moves into an already busy month); H and
coverage are reported beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.config import Scoring, ScoringUnderstanding
from pipeline.form import load_form
from pipeline.score.measures import campaign_months

_SCORING = Scoring()  # the config model holds every default; signatures read it


def _month_key(ts: pd.Series) -> np.ndarray:
    return (ts.dt.year * 12 + ts.dt.month - 1).to_numpy()


def understanding_measures(
    units: pd.DataFrame,
    activities: pd.DataFrame,
    actions: pd.DataFrame,
    due_names: Sequence[str],
    start: date,
    deadline: date,
    window: int = _SCORING.deadline_window_days,
    shrinkage: float = _SCORING.bunching_shrinkage,
    min_activities: int = _SCORING.bunching_min_activities,
    late_days: int = _SCORING.late_action_days,
    params: ScoringUnderstanding | None = None,
) -> pd.DataFrame:
    """Understanding sub-indicators and the shallow_understanding index, one row per unit.

    `params`: `config.scoring.understanding` (its defaults when None).
    """
    params = params or ScoringUnderstanding()
    wt = params.weights.normalised()
    ids = units["unit_id"].astype(str)
    s_ts, d_ts = pd.Timestamp(start), pd.Timestamp(deadline)
    t_days = (d_ts - s_ts).days + 1
    e = min(1.0, window / t_days)
    d = pd.to_datetime(activities["date"], errors="coerce")
    d = d.where(d <= d_ts, d_ts)  # after the deadline counts as on it
    keep = d >= s_ts
    act = pd.DataFrame(
        {
            "unit_id": activities["unit_id"].astype(str).to_numpy(),
            "date": d.to_numpy(),
            "tied": activities["tied_to_work"].astype("boolean").fillna(False).to_numpy(dtype=bool),
        }
    )[keep.to_numpy(dtype=bool)]
    act["in_w"] = (d_ts - act["date"]).dt.days < window
    act["month"] = _month_key(act["date"])
    g = act.groupby("unit_id")
    n = ids.map(g.size()).fillna(0).to_numpy(dtype=int)
    n_w = ids.map(g["in_w"].sum()).fillna(0).to_numpy(dtype=int)
    tied_n = ids.map(g["tied"].sum()).fillna(0).to_numpy(dtype=float)

    months = campaign_months(start, deadline)
    m_all = len(months)
    cut = (d_ts - pd.Timedelta(days=window - 1)).date()  # first day inside the window
    months_before = campaign_months(start, cut - timedelta(days=1)) if cut > start else []
    mc = act.groupby(["unit_id", "month"]).size().rename("c").reset_index()
    mc["p"] = mc["c"] / mc["unit_id"].map(g.size())
    mc["plogp"] = -mc["p"] * np.log(mc["p"])
    ent_raw = ids.map(mc.groupby("unit_id")["plogp"].sum()).fillna(0).to_numpy(dtype=float)
    entropy = ent_raw / np.log(m_all) if m_all > 1 else np.zeros(len(ids))
    coverage = ids.map(mc.groupby("unit_id").size()).fillna(0).to_numpy(dtype=float) / max(m_all, 1)
    out_w = act[~act["in_w"]]
    cov_b = ids.map(out_w.groupby("unit_id")["month"].nunique()).fillna(0).to_numpy(dtype=float)
    coverage_before = cov_b / len(months_before) if months_before else np.ones(len(ids))

    with np.errstate(divide="ignore", invalid="ignore"):
        ds = np.where(n > 0, n_w / np.maximum(n, 1), np.nan)
        hr = ds / e if e > 0 else np.full(len(ids), np.nan)
        bi = (ds - e) / (1 - e) if e < 1 else np.full(len(ids), np.nan)
        p = np.where(n > 0, stats.binom.sf(n_w - 1, n, e), np.nan)
        ds_s = (n_w + shrinkage * e) / (n + shrinkage) if shrinkage > 0 else ds
        bi_s = (ds_s - e) / (1 - e) if e < 1 else np.zeros(len(ids))
        tied = np.where(n > 0, tied_n / np.maximum(n, 1), 0.0)

    # required actions done just before the inspection
    a = actions[
        actions["action"].isin(list(due_names))
        & (actions["status"].astype("string") == load_form().action_states.done)
    ]
    dd = pd.to_datetime(a["done_date"], errors="coerce")
    lag = (d_ts - dd).dt.days
    la = pd.DataFrame(
        {
            "unit_id": a["unit_id"].astype(str).to_numpy(),
            "action": a["action"].astype(str).to_numpy(),
            "late": ((lag >= 0) & (lag < late_days)).fillna(False).to_numpy(dtype=bool),
        }
    )
    la = la.groupby(["unit_id", "action"])["late"].min().reset_index()  # any earlier record counts
    lg = la.groupby("unit_id")["late"]
    done_n = ids.map(lg.size()).fillna(0).to_numpy(dtype=int)
    late_n = ids.map(lg.sum()).fillna(0).to_numpy(dtype=int)
    late_share = np.where(done_n > 0, late_n / np.maximum(done_n, 1), 0.0)

    bunch = np.where(
        n >= min_activities, np.clip(np.nan_to_num(bi_s) / params.bunching_full, 0, 1), 0.0
    )
    index = 100 * (
        wt["bunching"] * bunch
        + wt["spread"] * (1 - coverage_before)
        + wt["tied"] * (1 - tied)
        + wt["late"] * late_share
    )
    return pd.DataFrame(
        {
            "unit_id": units["unit_id"].to_numpy(),
            "activities_in_period": n,
            "activities_in_window": n_w,
            "deadline_window_days": window,
            "deadline_share": ds,
            "expected_share": e,
            "heaping_ratio": hr,
            "bunching_index": bi,
            "bunching_p": p,
            "deadline_share_shrunk": ds_s,
            "bunching_index_shrunk": bi_s,
            "bunching_counted": n >= min_activities,
            "month_entropy": entropy,
            "month_coverage": coverage,
            "coverage_before_window": coverage_before,
            "tied_share": tied,
            "actions_done_due": done_n,
            "actions_last_minute": late_n,
            "last_minute_share": late_share,
            "shallow_understanding": np.clip(index, 0, 100),
        }
    )
