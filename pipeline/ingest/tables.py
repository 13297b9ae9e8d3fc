"""One round's tables from its decided returns: submissions, units, completeness, findings….

`build_tables` turns the parsed returns (`parse.ParsedReturn`) and the decided
submissions (`run.decide`) into the parquet tables of docs/data-dictionary.md;
pure: no file is read or written here (`run.ingest_round` writes them).
"""

from __future__ import annotations

import pandas as pd

from pipeline.config import Config, Round
from pipeline.form import load_form
from pipeline.ingest.checks import round_checks, timeliness_findings
from pipeline.ingest.completeness import (
    completeness_table,
    deadline_end,
    on_time_flags,
    units_table,
)
from pipeline.ingest.intake import unit_on_time
from pipeline.ingest.parse import ParsedReturn, findings_frame, table_frame

SHEET_COUNT_COLUMNS = ("file", "table", "sheet", "rows_read", "rows_clean", "rows_rejected")


def _typed_submissions(subs: pd.DataFrame, deadline) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "file": subs["file"].astype("string"),
            "sha256": subs["sha256"].astype("string"),
            "size": subs["size"].astype("Int64"),
            "unit_id": pd.Series(subs["unit_id"], dtype=object).astype("string"),
            "written_name": pd.Series(subs["written_name"], dtype=object).astype("string"),
            "status": subs["status"].astype("string"),
            "reason": subs["reason"].astype("string"),
            "message": subs["message"].astype("string"),
            "report_date": pd.Series(
                pd.to_datetime(pd.Series(subs["report_date"], dtype=object)), dtype="datetime64[ms]"
            ),
            "received_at": pd.to_datetime(
                subs["received_at"].astype("float64"), unit="s", utc=True
            ).astype("datetime64[ms, UTC]"),
        }
    )
    out["received_from"] = subs["received_from"].astype("string")
    out["on_time"] = on_time_flags(out["received_at"], deadline)
    out["unit_inferred"] = subs["unit_inferred"].fillna(False).astype(bool)
    out["override"] = pd.Series(subs["override"], dtype=object).astype("string")
    out["override_hint"] = pd.Series(subs["override_hint"], dtype=object).astype("string")
    out["superseded_by"] = pd.Series(subs["superseded_by"], dtype=object).astype("string")
    return out


def build_tables(
    parsed: list[ParsedReturn],
    subs: pd.DataFrame,
    extra: list[dict],
    roster: pd.DataFrame,
    config: Config,
    rnd: Round,
) -> dict[str, pd.DataFrame]:
    """Every table of the round (by name) from its parsed returns and decided submissions."""
    form = load_form(config.campaign.form_version)
    submissions = _typed_submissions(subs, rnd.deadline)
    unit_of = dict(zip(submissions["file"], submissions["unit_id"], strict=True))
    status_of = dict(zip(submissions["file"], submissions["status"], strict=True))
    extra = (
        extra
        + timeliness_findings(parsed, subs, config, rnd)
        + round_checks(parsed, status_of, unit_of, roster, config, rnd)
    )
    with_findings = {f["file"] for p in parsed for f in p.finding_rows} | {f["file"] for f in extra}
    accepted = submissions["status"] == "accepted"
    ok = accepted & submissions["file"].isin(with_findings)
    submissions.loc[accepted, "reason"] = "ok"
    submissions.loc[accepted, "message"] = "已采用"
    submissions.loc[ok, "reason"] = "ok_with_findings"
    submissions.loc[ok, "message"] = "已采用，有问题需核对（见填报差错清单）"
    # an ignored file (a byte-identical copy) would only repeat its original's findings
    rows = [f for p in parsed if status_of.get(p.file) != "ignored" for f in p.finding_rows] + extra
    for f in rows:
        f["unit_id"] = unit_of.get(f["file"])
    findings = findings_frame(rows)
    findings["unit_id"] = findings["unit_id"].astype("string")
    findings = findings.sort_values(
        ["file", "sheet", "row", "cell"], na_position="first", kind="stable"
    ).reset_index(drop=True)
    timely = unit_on_time(
        subs.to_dict("records"),
        deadline_end(rnd.deadline).timestamp(),
        config.intake.late_correction,
    )
    units = units_table(roster, submissions, {u: ot for u, (ot, _) in timely.items()})
    tables: dict[str, pd.DataFrame] = {
        "submissions": submissions,
        "units": units,
        "completeness": completeness_table(units),
        "findings": findings,
    }
    counts: list[dict] = []
    for spec in form.data_sheets:
        records: list[dict] = []
        for p in parsed:
            if status_of.get(p.file) != "accepted":
                continue
            recs = p.records.get(spec.table, [])
            sheet = p.sheets.get(spec.table)
            for r in recs:
                r["file"], r["sheet"], r["unit_id"] = p.file, sheet, unit_of.get(p.file)
            records.extend(recs)
            rejected = {
                f["row"] for f in p.finding_rows if f["row_rejected"] and f["sheet"] == sheet
            }
            counts.append(
                {
                    "file": p.file,
                    "table": spec.table,
                    "sheet": sheet,
                    "rows_read": p.rows_read.get(spec.table, 0),
                    "rows_clean": len(recs),
                    "rows_rejected": len(rejected),
                }
            )
        df = table_frame(records, spec)
        df.insert(
            0, "unit_id", pd.Series([r["unit_id"] for r in records], dtype=object).astype("string")
        )
        tables[spec.table] = df
    sheets = pd.DataFrame(counts, columns=list(SHEET_COUNT_COLUMNS))
    for c in ("file", "table", "sheet"):
        sheets[c] = sheets[c].astype("string")
    for c in ("rows_read", "rows_clean", "rows_rejected"):
        sheets[c] = sheets[c].astype("Int64")
    tables["sheets"] = sheets
    return tables
