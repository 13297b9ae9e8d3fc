"""Reporting completeness and timeliness of a round, as DHIS2 defines them.

Reporting rate = expected units with an accepted return ÷ expected units × 100
(expected = roster 应报); on time = received (receipt log, else file time) by
the end of the deadline day in Asia/Shanghai; late = received after it;
received_unusable = only unusable files arrived (counted apart, `unusable`);
missing = expected − received − unusable. Units that sent a return but were not expected are listed
(`not_expected`) and never counted in a rate.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

TZ = ZoneInfo("Asia/Shanghai")
UNITS_EXTRA = (
    "submitted",
    "file",
    "report_date",
    "received_at",
    "on_time",
    "reporting",
    "unusable_files",
    "unusable_reason",
    "unusable_received_at",
)


def deadline_end(deadline: date) -> pd.Timestamp:
    """First instant after the deadline day in Asia/Shanghai, as a UTC timestamp."""
    end = datetime.combine(deadline + timedelta(days=1), time(0), tzinfo=TZ)
    return pd.Timestamp(end).tz_convert("UTC")


def on_time_flags(received_at: pd.Series, deadline: date) -> pd.Series:
    """True when received before the end of the deadline day; <NA> when unknown."""
    cutoff = deadline_end(deadline)
    out = (received_at < cutoff).astype("boolean")
    return out.mask(received_at.isna())


def units_table(
    roster: pd.DataFrame, submissions: pd.DataFrame, on_time_of: dict[str, bool] | None = None
) -> pd.DataFrame:
    """The roster joined with each unit's accepted return of the round.

    `on_time_of` (unit → on time) overrides the accepted file's own flag (the
    late-correction rule, `intake.unit_on_time`). A unit with no accepted
    return but a rejected file of its own (read or inferred from the file
    name) is `received_unusable`, with what arrived, when and why.
    """
    acc = submissions[submissions["status"] == "accepted"].drop_duplicates("unit_id", keep="last")
    cols = ["unit_id", "file", "report_date", "received_at", "on_time"]
    units = roster.merge(acc[cols], on="unit_id", how="left", validate="one_to_one")
    units["submitted"] = units["file"].notna().astype(bool)
    units["file"] = units["file"].astype("string")
    units["report_date"] = units["report_date"].astype("datetime64[ms]")
    units["received_at"] = units["received_at"].astype("datetime64[ms, UTC]")
    units["on_time"] = units["on_time"].astype("boolean")
    if on_time_of:
        fixed = units["unit_id"].map(on_time_of)
        units["on_time"] = (
            units["on_time"].mask(fixed.notna() & units["submitted"], fixed).astype("boolean")
        )
    bad = submissions[(submissions["status"] == "rejected") & submissions["unit_id"].notna()]
    bad = bad.sort_values(["received_at", "file"], kind="stable")
    gone = bad.groupby("unit_id", sort=False).agg(
        unusable_files=("file", lambda f: "；".join(f)),
        unusable_reason=("reason", "last"),
        unusable_received_at=("received_at", "first"),
    )
    units = units.merge(gone, left_on="unit_id", right_index=True, how="left")
    units = units[
        [
            *roster.columns,
            "submitted",
            "file",
            "report_date",
            "received_at",
            "on_time",
            "unusable_files",
            "unusable_reason",
            "unusable_received_at",
        ]
    ]
    units.loc[units["submitted"], ["unusable_files", "unusable_reason", "unusable_received_at"]] = (
        None
    )
    units["unusable_files"] = units["unusable_files"].astype("string")
    units["unusable_reason"] = units["unusable_reason"].astype("string")
    units["unusable_received_at"] = pd.to_datetime(units["unusable_received_at"], utc=True).astype(
        "datetime64[ms, UTC]"
    )
    reporting = []
    for exp, sub, ot, gone_ in zip(
        units["expected"],
        units["submitted"],
        units["on_time"],
        units["unusable_files"].notna(),
        strict=True,
    ):
        if not exp:
            reporting.append("not_expected")
        elif not sub:
            reporting.append("received_unusable" if gone_ else "missing")
        else:
            reporting.append("on_time" if (ot is not pd.NA and bool(ot)) else "late")
    units["reporting"] = pd.Series(reporting, dtype="string")
    return units.reset_index(drop=True)


def _rates(g: pd.DataFrame) -> dict:
    exp = g[g["expected"]]
    expected = len(exp)
    received = int(exp["submitted"].sum())
    on_time = int((exp["reporting"] == "on_time").sum())
    late = int((exp["reporting"] == "late").sum())
    unusable = int((exp["reporting"] == "received_unusable").sum())
    return {
        "expected": expected,
        "received": received,
        "on_time": on_time,
        "late": late,
        "unusable": unusable,
        "missing": expected - received - unusable,
        "reporting_rate": received / expected * 100 if expected else None,
        "on_time_rate": on_time / expected * 100 if expected else None,
    }


def completeness_table(units: pd.DataFrame) -> pd.DataFrame:
    """One row for the district, one per unit type, one per parent unit."""
    names = dict(zip(units["unit_id"].astype(str), units["unit_name"].astype(str), strict=True))
    rows = [{"level": "district", "group": "全区", "group_name": "全区", **_rates(units)}]
    for t, g in units.groupby("unit_type", sort=True):
        rows.append({"level": "unit_type", "group": str(t), "group_name": str(t), **_rates(g)})
    for p, g in units[units["parent_id"].notna()].groupby("parent_id", sort=True):
        rows.append(
            {
                "level": "parent",
                "group": str(p),
                "group_name": f"{names.get(str(p), p)}下属单位",
                **_rates(g),
            }
        )
    df = pd.DataFrame(rows)
    for c in ("level", "group", "group_name"):
        df[c] = df[c].astype("string")
    for c in ("expected", "received", "on_time", "late", "unusable", "missing"):
        df[c] = df[c].astype("Int64")
    for c in ("reporting_rate", "on_time_rate"):
        df[c] = pd.Series(df[c], dtype="object").astype("Float64")
    return df
