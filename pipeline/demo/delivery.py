"""When (and whether) each unit's return arrives, and how its first file fares."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from pipeline.config import Round

SHANGHAI = ZoneInfo("Asia/Shanghai")
FATES = ("ok", "missing", "encrypted", "truncated", "not_a_workbook", "typo")
FATE_P = (0.90, 0.05, 0.012, 0.012, 0.012, 0.014)
LATE_P = 0.1
RESEND_P = 0.5  # a unit whose file is broken sends a good one later
_DAY = np.timedelta64(1, "D")


def _d64(d: date) -> np.datetime64:
    return np.datetime64(d, "D")


def delivery(
    roster: pd.DataFrame, rnd: Round, rng: np.random.Generator, force: bool = True
) -> pd.DataFrame:
    """Whether and when each unit's return arrives, and how its first file fares."""
    n = len(roster)
    expected = roster["expected"].to_numpy(bool)
    fate = np.array(FATES, dtype=object)[rng.choice(len(FATES), size=n, p=FATE_P)]
    late = rng.random(n) < LATE_P
    resend = rng.random(n) < RESEND_P
    if force:
        # every fate occurs at least once in a round, on distinct expected units
        pool = list(rng.permutation(np.flatnonzero(expected & (fate == "ok"))))
        for f in FATES[1:]:
            if not np.any(expected & (fate == f)) and pool:
                fate[pool.pop()] = f
        broken = np.isin(fate, ["encrypted", "truncated", "not_a_workbook"]) & expected
        if broken.any() and not np.any(broken & resend):
            resend[np.flatnonzero(broken)[0]] = True
        if not np.any(late & expected & (fate == "ok")) and pool:
            late[pool.pop()] = True
    fate = np.where(expected, fate, "not_expected")
    deadline = _d64(rnd.deadline)
    as_of = _d64(rnd.as_of)
    span = (deadline - as_of) // _DAY
    # day received: on time within [as_of, deadline], late up to 6 days after
    on_time_day = as_of + rng.integers(0, span + 1, n) * _DAY
    late_day = deadline + rng.integers(1, 7, n) * _DAY
    recv_day = np.where(late, late_day, on_time_day)
    report_date = np.maximum(as_of, recv_day - rng.integers(0, 3, n) * _DAY)
    seconds = rng.integers(8 * 3600 + 1800, 21 * 3600, n)
    received = _to_utc(recv_day, seconds)
    submitted = (fate == "ok") | (
        np.isin(fate, ["encrypted", "truncated", "not_a_workbook"]) & resend
    )
    return pd.DataFrame(
        {
            "unit_id": roster["unit_id"].to_numpy(),
            "fate": fate,
            "late": late & submitted,
            "resend": resend & np.isin(fate, ["encrypted", "truncated", "not_a_workbook"]),
            "submitted": submitted,
            "report_date": report_date.astype("datetime64[ms]"),
            "received_at": received,
        }
    )


def _to_utc(day: np.ndarray, seconds: np.ndarray) -> pd.Series:
    """Local (Asia/Shanghai, UTC+8, no DST) day + seconds → UTC timestamps."""
    local = day.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    utc = local - np.timedelta64(8, "h")
    return pd.Series(pd.to_datetime(utc).astype("datetime64[ms]")).dt.tz_localize("UTC")


def on_time_flag(received_at: pd.Series, rnd: Round) -> pd.Series:
    """Received by the end of the deadline day in Asia/Shanghai."""
    end = datetime.combine(rnd.deadline + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    return received_at < pd.Timestamp(end)
