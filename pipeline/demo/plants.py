"""The mistakes a reviewer looks for (issue 14), planted on purpose in the demo returns.

`assign_plants` picks, with its own random stream (the rest of the demo draws
the same numbers as before), distinct plain .xlsx finals for each row-level
plant and records the code in `plan.errors`; `apply_plant` makes the change in
a file's values while `render.file_values` builds them, and returns where the
problem sits (table, 0-based data row, column), which the truth writes to
`planted_errors.parquet`. File-level plants (a late correction, an ambiguous
name) change the plans themselves and are listed in the file's expected
findings. Only the form spec is read here, never the ingestion code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.form import FormSpec

# row-level plants, each on its own file; `changed_since_previous` only where a previous
# round exists
ROW_PLANTS = (
    "unit_type_mismatch",
    "no_members",
    "report_date_after_receipt",
    "not_started_but_dated",
    "action_repeated",
    "action_missing",
    "duplicate_row",
    "implausible_count",
    "empty_claim",
    "evidence_not_found",
    "word_variant",
    "leading_zero_lost",
    "formula_as_text",
    "changed_since_previous",
)
PER_CODE = 2  # files per plant (a plant that does not fit a file is skipped there)
IMPLAUSIBLE = 99999
HYPERLINK = '=HYPERLINK("http://example.com/活动照片","{name}")'


class Formula(str):
    """A cell written as a formula with no cached value (as a program such as openpyxl writes
    it)."""


def _eligible(p) -> bool:
    tags = set(p.tags)
    return (
        p.kind == "final"
        and p.status == "accepted"
        and p.fmt == "xlsx"
        and not p.errors
        and not tags
        & {
            "sent_twice",
            "sent_identical",
            "filename_mismatch",
            "missing_optional_column",
            "formula_text",
        }
    )


def assign_plants(
    plans: list,
    prev_members: dict[str, int] | None,
    seed: int,
    roster: pd.DataFrame,
    deadline_end: pd.Timestamp,
    campaign_start,
    as_of,
) -> list[str]:
    """Plant every kind at least once (in place); returns the file-level plants made."""
    rng = np.random.default_rng([seed, 14])
    for p in plans:
        p.style["campaign_start"], p.style["as_of"] = (
            pd.Timestamp(campaign_start),
            pd.Timestamp(as_of),
        )
    pool = [p for p in plans if _eligible(p)]
    order = [pool[int(i)] for i in rng.permutation(len(pool))]
    k = 0
    for code in ROW_PLANTS:
        if code == "changed_since_previous" and not prev_members:
            continue
        placed = 0
        for p in order[k:]:
            if placed == PER_CODE:
                break
            if code == "changed_since_previous":
                if not prev_members or not prev_members.get(p.unit_id):
                    continue
                p.style["prev_members"] = int(prev_members[p.unit_id])
            p.errors.append(code)
            order.remove(p)
            placed += 1
    made = []
    if _late_correction(plans, deadline_end, rng):
        made.append("late_correction")
    if _ambiguous(order, roster):
        made.append("ambiguous_unit")
    return made


def _late_correction(plans: list, deadline_end: pd.Timestamp, rng) -> bool:
    """A unit sent on time, then a correction after the deadline: the correction is used."""
    for draft in plans:
        if draft.kind != "draft" or draft.superseded_by is None:
            continue
        final = next((p for p in plans if p.file == draft.superseded_by), None)
        if (
            final is None
            or any(p.same_as == final.file for p in plans)
            or draft.received_at >= deadline_end
        ):
            continue
        # the draft stays as received (on time, never before the day it is dated);
        # the correction comes late
        final.received_at = deadline_end + pd.Timedelta(hours=int(rng.integers(10, 30)))
        final.tags.append("late_correction")
        return True
    return False


def _base(name: str, unit_type: str) -> str:
    for suffix in ("街道", "社区", "村", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _ambiguous(pool: list, roster: pd.DataFrame) -> bool:
    """A unit writes only the name it shares with another unit (清香坪 for 清香坪社区 and
    清香坪街道)."""
    names = dict(zip(roster["unit_id"].astype(str), roster["unit_name"].astype(str), strict=True))
    kinds = dict(zip(roster["unit_id"].astype(str), roster["unit_type"].astype(str), strict=True))
    taken = set(names.values()) | {a for al in roster["aliases"] for a in al}
    bases: dict[str, list[str]] = {}
    for uid, name in names.items():
        bases.setdefault(_base(name, kinds[uid]), []).append(uid)
    for p in pool:
        base = _base(names.get(p.unit_id, ""), kinds.get(p.unit_id, ""))
        if len(bases.get(base, [])) == 2 and base not in taken:
            p.written_name, p.expected_unit_id = base, None
            p.status, p.reason, p.match = "rejected", "ambiguous_unit", "unmatched"
            p.tags.append("name_ambiguous")
            return True
    return False


def apply_plant(
    code: str,
    values: dict[str, pd.DataFrame],
    overrides: dict,
    form: FormSpec,
    plan,
    rng: np.random.Generator,
) -> dict | None:
    """Make the planted change in the file's values; where it sits, or None when it does not fit."""
    campaign_start, as_of = plan.style.get("campaign_start"), plan.style.get("as_of")
    info = values["info"]
    a, acts, mats = values["actions"], values["activities"], values["materials"]
    done_word, _, not_started = form.sheet("actions").column("status").choices[:3]
    report = pd.Timestamp(info["report_date"].loc[0])
    if code == "unit_type_mismatch":
        now = info.loc[0, "unit_type"]
        info.loc[0, "unit_type"] = next(
            t for t in form.sheet("info").column("unit_type").choices if t != now
        )
        return {"table": "info", "data_row": 0, "column": "unit_type"}
    if code == "no_members":
        info.loc[0, "party_members"] = 0
        return {"table": "info", "data_row": 0, "column": "party_members"}
    if code == "changed_since_previous":
        info.loc[0, "party_members"] = int(plan.style["prev_members"]) * 4 + 20
        return {"table": "info", "data_row": 0, "column": "party_members"}
    if code == "report_date_after_receipt":
        got = (
            pd.Timestamp(plan.received_at).tz_convert("Asia/Shanghai").tz_localize(None).normalize()
        )
        info.loc[0, "report_date"] = got + pd.Timedelta(days=2)
        return {"table": "info", "data_row": 0, "column": "report_date"}
    if code == "leading_zero_lost":
        digits = "812" + str(int(rng.integers(2000000, 9999999)))
        info.loc[0, "phone"] = digits  # what is read back: the digits without their 0
        overrides[("info", 0, "phone")] = int(digits)  # typed as a number
        return {"table": "info", "data_row": 0, "column": "phone"}
    if code == "not_started_but_dated":
        rows = np.flatnonzero((a["status"] == not_started).fillna(False).to_numpy(bool))
        if not len(rows):
            return None
        j = int(rows[0])
        day = report - pd.Timedelta(days=3)
        if campaign_start is not None:
            day = max(day, campaign_start)
        a.loc[j, "done_date"] = day
        return {"table": "actions", "data_row": j, "column": "done_date"}
    if code in ("action_repeated", "evidence_not_found", "word_variant"):
        rows = np.flatnonzero((a["status"] == done_word).fillna(False).to_numpy(bool))
        if not len(rows):
            return None
        j = int(rows[0])
        if code == "evidence_not_found":
            a.loc[j, "evidence"] = (
                form.empty_evidence[3] if len(form.empty_evidence) > 3 else "见附件"
            )
            return {"table": "actions", "data_row": j, "column": "evidence"}
        if code == "word_variant":
            col = form.sheet("actions").column("status")
            overrides[("actions", j, "status")] = next(w for w, v in col.variants if v == done_word)
            return {"table": "actions", "data_row": j, "column": "status"}
        extra = a.iloc[[j]].copy()
        extra["note"] = "重复填写"
        values["actions"] = pd.concat([a, extra], ignore_index=True)
        return {"table": "actions", "data_row": len(a), "column": "action"}
    if code == "action_missing":
        due = [
            x.name
            for x in form.actions
            if campaign_start is not None
            and campaign_start + pd.Timedelta(days=x.due_day - 1) <= as_of
        ]
        due_rows = [
            j
            for j in range(len(a))
            if a.loc[j, "action"] in due and a.loc[j, "status"] != done_word
        ]
        if not due_rows:
            return None
        values["actions"] = a.drop(index=due_rows[0]).reset_index(drop=True)
        return {
            "table": "actions",
            "data_row": None,
            "column": "action",
            "value": str(a.loc[due_rows[0], "action"]),
        }
    if code == "duplicate_row":
        if not len(acts):
            return None
        values["activities"] = pd.concat([acts, acts.iloc[[0]]], ignore_index=True)
        return {
            "table": "activities",
            "data_row": len(acts),
            "column": form.sheet("activities").columns[0].key,
        }
    if code == "implausible_count":
        if not len(acts):
            return None
        acts.loc[0, "participants"] = IMPLAUSIBLE
        return {"table": "activities", "data_row": 0, "column": "participants"}
    if code == "formula_as_text":
        if not len(acts):
            return None
        j = len(acts) - 1
        text = HYPERLINK.format(name=acts.loc[j, "name"])
        acts.loc[j, "name"] = text  # read back as the formula's text
        overrides[("activities", j, "name")] = Formula(text)
        return {"table": "activities", "data_row": j, "column": "name"}
    if code == "empty_claim":
        if not len(mats):
            return None
        mats.loc[0, ["copies", "standard", "filed"]] = [0, True, True]
        return {"table": "materials", "data_row": 0, "column": "copies"}
    return None
