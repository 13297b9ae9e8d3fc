"""The truth written beside a round's returns (`truth/<round>/`).

- `files.parquet`: every file in the raw folder, what should happen to it and why
- `labels.parquet`: per unit the planted weaknesses and severities, and its reporting
- `rows.parquet`: the exact number of data rows per (file, sheet)
- `info/actions/materials/activities/evaluation.parquet`: the typed values of every
  file that should be accepted or superseded (`data_row` = 0-based position among
  the sheet's data rows, in file order)
- `planted_errors.parquet`: row-level errors planted on purpose, by file/table/row/column
- `truth.json`: summary, seed, notes on the conventions, messiness coverage
- `recheck.parquet` (rounds with a previous round): what the re-check must find per
  (unit, weakness) planted in the previous round
"""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pandas as pd

from pipeline.config import WEAKNESSES

SHEET_TABLES = ("info", "actions", "materials", "activities", "evaluation")

NOTES = {
    "statuses": (
        "accepted / superseded / rejected / ignored with the reason codes of "
        "docs/data-dictionary.md"
    ),
    "expected_findings": (
        "finding codes the file must raise at least (planted errors, bad_number for a percent, "
        "filename_mismatch, missing_column for a left-out optional column); an accepted file with "
        "any is ok_with_findings"
    ),
    "planted_errors": (
        "bad_choice (the row's status is not a choice; its value is missing in the truth), "
        "done_without_date, date_after_report, bad_number; rows.parquet counts every data row in "
        "the sheet, including rows a validator may reject"
    ),
    "sent_twice": (
        "the earlier file is superseded (superseded_later) by the later one, which is accepted"
    ),
    "sent_identical": (
        "byte-identical copy received later: the copy is ignored (duplicate_content), the first "
        "stays accepted"
    ),
    "name_typo": (
        "a misspelt 单位名称 is never merged: the file is rejected (unknown_unit); its file name "
        "is the unit's own, so the unit is inferred (unit_inferred) and counts as "
        "received_unusable unless it sent another file"
    ),
    "received_unusable": (
        "a unit whose every file is rejected (broken, misspelt or ambiguous name) sent something: "
        "reporting received_unusable, never merged into the data"
    ),
    "plants": (
        "issue 14 plants (pipeline/demo/plants.py): row-level ones in planted_errors.parquet "
        "(data_row empty for a missing action), file-level ones (late_correction, unit_inferred, "
        "ambiguous_unit) in files.expected_findings; returns without plants raise none of these "
        "codes"
    ),
    "late_correction": (
        "a unit's draft on time and its correction after the deadline: the correction is "
        "accepted, the unit stays on time (intake.late_correction = first_on_time)"
    ),
    "continuity": (
        "党员人数 and the 份数 of a kind of material kept in both rounds drift only a little "
        "between rounds"
    ),
    "name_forms": (
        "old names are roster aliases; long/short forms (街道办事处, 街办, 村民委员会, 村委, "
        "党委) fold to the official name"
    ),
    "filename_mismatch": (
        "the file name names another unit; 基本情况 单位名称 decides (expected_unit_id)"
    ),
    "percent": (
        "an integer cell written as 85% is a bad number: value missing, planted error bad_number"
    ),
    "date_month_day": "7月15日 (no year) means the round's year",
    "keyvalue_rows": "基本情况 and 群众评价 count as 1 data row when present",
    "received_at": (
        "file mtime, and the same time in the round's receipt log receipts/<round>.csv (every "
        "file but lock files, plus one unreadable line: a receipt_log finding); on time = "
        "received by the end of the deadline day (Asia/Shanghai)"
    ),
    "broken_resend": (
        "a unit whose first file is broken may send a good one later; the later one is accepted"
    ),
    "stray_file": "~$ lock files are ignored (not_a_return)",
}


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if (out[col].dtype == object or isinstance(out[col].dtype, pd.StringDtype)) and col not in (
            "tags",
            "expected_findings",
        ):
            out[col] = out[col].astype("string")
    return out


def files_frame(records: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(records)
    df["report_date"] = pd.to_datetime(df["report_date"]).astype("datetime64[ms]")
    df["received_at"] = pd.to_datetime(df["received_at"], utc=True).astype("datetime64[ms, UTC]")
    df["on_time"] = df["on_time"].astype("boolean")
    df["n_planted_errors"] = df["n_planted_errors"].astype("Int64")
    return _typed(df)


def labels_frame(
    model_labels: pd.DataFrame,
    roster: pd.DataFrame,
    files: pd.DataFrame,
    deadline_ok,
    late_correction: str = "first_on_time",
) -> pd.DataFrame:
    """Per unit: planted truth plus whether and how it reports this round.

    A unit that sent only rejected files is `received_unusable`; under
    `first_on_time` a unit whose first usable file came on time is on time even
    when a later correction is the one accepted."""
    lab = model_labels.copy()
    lab.insert(1, "unit_name", roster["unit_name"].to_numpy())
    lab.insert(3, "parent_id", roster["parent_id"].to_numpy())
    sent = set(files["unit_id"].dropna())
    acc = files[files["expected_status"] == "accepted"].drop_duplicates("expected_unit_id")
    acc = acc.set_index("expected_unit_id")
    lab["submits"] = lab["unit_id"].isin(sent)
    lab["accepted_file"] = lab["unit_id"].map(acc["file"]).astype("string")
    lab["submitted"] = lab["accepted_file"].notna()
    recv = lab["unit_id"].map(acc["received_at"])
    lab["received_at"] = pd.to_datetime(recv, utc=True).astype("datetime64[ms, UTC]")
    lab["report_date"] = pd.to_datetime(lab["unit_id"].map(acc["report_date"])).astype(
        "datetime64[ms]"
    )
    on_time = deadline_ok(lab["received_at"]).astype("boolean")
    if late_correction == "first_on_time":
        usable = files[
            files["expected_status"].isin(["accepted", "superseded", "ignored"])
            & files["expected_unit_id"].notna()
            & (files["expected_reason"] != "not_a_return")
        ]
        first = pd.to_datetime(usable.groupby("expected_unit_id")["received_at"].min(), utc=True)
        early = deadline_ok(lab["unit_id"].map(first)).fillna(False).astype(bool)
        on_time = on_time | pd.array(early.to_numpy(), dtype="boolean")
    lab["on_time"] = on_time.where(lab["submitted"], pd.NA)
    lab["reporting"] = "missing"
    lab.loc[lab["submitted"] & lab["on_time"].fillna(False), "reporting"] = "on_time"
    lab.loc[lab["submitted"] & ~lab["on_time"].fillna(True), "reporting"] = "late"
    lab.loc[~lab["submitted"] & lab["submits"], "reporting"] = "received_unusable"
    lab.loc[~lab["expected"], "reporting"] = "not_expected"
    cols = [
        "unit_id",
        "unit_name",
        "unit_type",
        "parent_id",
        "expected",
        "submits",
        "submitted",
        "accepted_file",
        "report_date",
        "received_at",
        "on_time",
        "reporting",
    ]
    for w in WEAKNESSES:
        cols += [f"{w}_planted", f"{w}_severity"]
    lab = lab[cols]
    for w in WEAKNESSES:
        lab[f"{w}_planted"] = lab[f"{w}_planted"].astype(bool)
        lab[f"{w}_severity"] = lab[f"{w}_severity"].astype("float64")
    return _typed(lab)


def coverage(files: pd.DataFrame, labels: pd.DataFrame, tags: tuple[str, ...]) -> dict[str, int]:
    counts = {t: 0 for t in tags}
    for ts in files["tags"]:
        for t in ts:
            if t in counts:
                counts[t] += 1
    if "not_sent" in counts:
        counts["not_sent"] = int((labels["expected"] & ~labels["submits"]).sum())
    return counts


def write_truth(
    folder: Path,
    files: pd.DataFrame,
    labels: pd.DataFrame,
    rows: pd.DataFrame,
    values: dict[str, pd.DataFrame],
    errors: pd.DataFrame,
    meta: dict,
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    files.to_parquet(folder / "files.parquet", index=False)
    labels.to_parquet(folder / "labels.parquet", index=False)
    rows.to_parquet(folder / "rows.parquet", index=False)
    errors.to_parquet(folder / "planted_errors.parquet", index=False)
    for name, df in values.items():
        df.to_parquet(folder / f"{name}.parquet", index=False)
    (folder / "truth.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True, default=str),
        encoding="utf-8",
    )


RECHECK_VERDICTS = ("fixed", "not_fixed", "not_checkable")


def recheck_frame(
    previous: pd.DataFrame, current: pd.DataFrame, previous_round: str
) -> pd.DataFrame:
    """Per (unit, weakness) planted in the previous round for a unit that reported then: the verdict
    the re-check must reach — `not_fixed` (still planted), `fixed` (no longer planted) or
    `not_checkable` (no usable return this round)."""
    cur = current.set_index("unit_id")
    rows = []
    for r in previous[previous["expected"] & previous["submitted"]].to_dict("records"):
        u = r["unit_id"]
        if u not in cur.index or not bool(cur.loc[u, "expected"]):
            continue
        for w in WEAKNESSES:
            if not r[f"{w}_planted"]:
                continue
            if not bool(cur.loc[u, "submitted"]):
                verdict = "not_checkable"
            else:
                verdict = "not_fixed" if bool(cur.loc[u, f"{w}_planted"]) else "fixed"
            rows.append(
                {
                    "unit_id": u,
                    "weakness": w,
                    "previous_round": previous_round,
                    "severity_before": float(r[f"{w}_severity"]),
                    "severity_now": float(cur.loc[u, f"{w}_severity"]),
                    "verdict": verdict,
                }
            )
    out = pd.DataFrame(
        rows,
        columns=[
            "unit_id",
            "weakness",
            "previous_round",
            "severity_before",
            "severity_now",
            "verdict",
        ],
    )
    return out.astype(
        {
            "unit_id": "string",
            "weakness": "string",
            "previous_round": "string",
            "severity_before": "float64",
            "severity_now": "float64",
            "verdict": "string",
        }
    )


def write_recheck(truth_root: Path, round_ids: list[str]) -> None:
    """`recheck.parquet` beside every round's labels that has a previous round."""
    for prev, rid in pairwise(round_ids):
        a, b = Path(truth_root) / prev / "labels.parquet", Path(truth_root) / rid / "labels.parquet"
        if a.is_file() and b.is_file():
            recheck_frame(pd.read_parquet(a), pd.read_parquet(b), prev).to_parquet(
                Path(truth_root) / rid / "recheck.parquet", index=False
            )
