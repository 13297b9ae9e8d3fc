"""Survey rows → responses, findings and the row ledger.

Pure functions over `SurveyFile`s and the roster. Every row read is either a
kept response or set aside with an error finding that names file, sheet and
cell; nothing is dropped silently (rows read = rows kept + rows set aside).
A respondent's unit is matched with the roster's rules
(`pipeline.roster.match_unit`): an exact name, an alias, the normalised form
or a unit code; a near miss is never merged, it is a finding with candidates.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.config import Ingest, Survey
from pipeline.ingest.parse import findings_frame  # the findings table's one schema
from pipeline.roster import NameIndex, match_unit
from pipeline.survey.codes import SET_ASIDE_CODES
from pipeline.survey.layout import scales
from pipeline.survey.read import SurveyFile, _blank

_INGEST = Ingest()  # the config model holds every default; signatures read it

# a questionnaire tool's choice label: "A. 太平社区", "3、太平社区"
_CHOICE_MARK = re.compile(r"^\s*(?:[A-Za-z]|\d{1,2})\s*[\.、．:：)）]\s*")

# the same columns as ingestion's findings table (docs/data-dictionary.md)
RESPONSE_COLUMNS = (
    "file",
    "row",
    "unit_id",
    "written_unit",
    "submitted_at",
    "layout",
    "answered",
    "satisfied",
    "score",
    "has_comment",
)
LEDGER_COLUMNS = ("file", "sheet", "layout", "rows_read", "rows_kept", "rows_set_aside")


@dataclass
class SurveyRows:
    responses: pd.DataFrame  # one row per kept respondent (no free text, no personal data)
    comments: pd.DataFrame  # unit_id, text: kept respondents' comments (never published as is)
    findings: pd.DataFrame  # FINDING_COLUMNS
    ledger: pd.DataFrame  # LEDGER_COLUMNS, one row per file


def _col_letter(j: int) -> str:
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def _text(v: object) -> str:
    return "" if _blank(v) else unicodedata.normalize("NFKC", str(v)).strip()


def match_respondent_unit(written: str, index: NameIndex, cutoff: float):
    """The roster's match for a written unit: a unit code, else the roster's name rules."""
    text = _text(written)
    if text in index.names:
        return text, "code", ()
    m = match_unit(text, index, cutoff)
    if m.unit_id is None:
        bare = _CHOICE_MARK.sub("", text)
        if bare != text and bare:
            m2 = match_unit(bare, index, cutoff)
            if m2.unit_id is not None or m2.candidates:
                m = m2
    return m.unit_id, m.how, m.candidates


def _time(v: Any) -> pd.Timestamp | None:
    """A cell read as a time (any cell value: text, a number, a datetime, blank)."""
    if _blank(v):
        return None
    t = pd.to_datetime(v, errors="coerce") if not isinstance(v, pd.Timestamp) else v
    return (
        None
        if pd.isna(t)
        else pd.Timestamp(t).tz_localize(None)
        if pd.Timestamp(t).tzinfo
        else pd.Timestamp(t)
    )


# questionnaire tools export the submission time year first ("2026/7/15 10:23:45"); these
# formats read a whole column in one vectorised call, and year first they are unambiguous, so
# a cell they read gets the time `_time` would give it; every other cell goes through `_time`
_YEAR_FIRST = (
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d",
    "%Y-%m-%d",
)


def column_times(values: list[Any]) -> list[pd.Timestamp | None]:
    """`_time` of every cell of a column, without guessing a format for each cell anew."""
    out: list[pd.Timestamp | None] = [None] * len(values)
    text: dict[int, str] = {}
    for i, v in enumerate(values):
        if isinstance(v, str) and not _blank(v):
            text[i] = v
        else:
            out[i] = _time(v)
    left = pd.Series(list(text.values()), index=list(text.keys()), dtype=object)
    for fmt in _YEAR_FIRST:
        if left.empty:
            break
        got = pd.to_datetime(left, format=fmt, errors="coerce")
        ok = got.notna()
        for k, t in zip(left.index[ok].tolist(), got[ok].tolist(), strict=True):
            out[k] = pd.Timestamp(t)
        left = left[~ok]
    for k, v in zip(left.index.tolist(), left.tolist(), strict=True):
        out[k] = _time(v)
    return out


def survey_rows(
    files: list[SurveyFile],
    index: NameIndex,
    cutoff: float = _INGEST.name_match_cutoff,
    duplicate_seconds: float = Survey().duplicate_seconds,
) -> SurveyRows:
    """Check every row of every file; keep the good ones, set the bad ones aside with findings."""
    findings: list[dict] = []
    kept: list[dict] = []
    comments: list[dict] = []
    ledger: list[dict] = []

    def add(
        sf: SurveyFile,
        row: int | None,
        header: str | None,
        code: str,
        message: str,
        value=None,
        severity: str = "error",
        unit_id=None,
    ) -> None:
        cell = f"{_col_letter(sf.columns[header])}{row}" if header in sf.columns and row else None
        findings.append(
            {
                "file": sf.file,
                "sheet": sf.sheet,
                "cell": cell,
                "row": row,
                "column": header,
                "unit_id": unit_id,
                "severity": severity,
                "code": code,
                "message": message,
                "value": None if value is None else str(value)[:60],
                "row_rejected": severity == "error" and code in SET_ASIDE_CODES,
            }
        )

    for sf in files:
        if sf.error:
            add(
                sf,
                None,
                None,
                "survey_unreadable",
                f"问卷导出文件无法读取（{sf.error}），请重新导出为 .xlsx 或 .csv",
            )
            ledger.append(
                {
                    "file": sf.file,
                    "sheet": sf.sheet,
                    "layout": None,
                    "rows_read": 0,
                    "rows_kept": 0,
                    "rows_set_aside": 0,
                }
            )
            continue
        if sf.layout is None:
            add(
                sf,
                None,
                None,
                "survey_unknown_layout",
                f"表头不属于任何已配置的问卷格式，{sf.rows_read} 行未使用"
                "（请在配置 [[survey.layouts]] 中登记该格式）",
            )
            ledger.append(
                {
                    "file": sf.file,
                    "sheet": sf.sheet,
                    "layout": None,
                    "rows_read": sf.rows_read,
                    "rows_kept": 0,
                    "rows_set_aside": sf.rows_read,
                }
            )
            continue
        lay = sf.layout
        scale = scales()[lay.scale]
        labels = "/".join(a.label for a in scale.answers)
        set_aside: set[int] = set()
        file_kept: list[dict] = []
        records = sf.frame.to_dict("records")
        times = (
            column_times([rec.get(lay.submitted_at) for rec in records])
            if lay.submitted_at
            else [None] * len(records)
        )
        for row, rec, at in zip(sf.frame.index, records, times, strict=True):
            bad = False
            written = _text(rec.get(lay.unit))
            uid = None
            if not written:
                add(sf, row, lay.unit, "survey_no_unit", "未填所属单位，该份问卷不计入任何单位")
                bad = True
            else:
                uid, how, cands = match_respondent_unit(written, index, cutoff)
                if uid is None and how == "near_miss":
                    names = "、".join(f"{c.unit_name}（{c.unit_id}）" for c in cands)
                    add(
                        sf,
                        row,
                        lay.unit,
                        "survey_unit_near_miss",
                        f"所填单位“{written}”与名册不完全一致，可能是：{names}；未自动归并，请核对后更正",
                        written,
                    )
                    bad = True
                elif uid is None:
                    hint = match_unit(
                        written, index, max(cutoff - 20, 0)
                    ).candidates  # a hint, never a merge
                    near = (
                        "（相近的有："
                        + "、".join(f"{c.unit_name}（{c.unit_id}）" for c in hint)
                        + "）"
                        if hint
                        else ""
                    )
                    add(
                        sf,
                        row,
                        lay.unit,
                        "survey_unknown_unit",
                        f"所填单位“{written}”不在单位名册中{near}",
                        written,
                    )
                    bad = True
            answers = {}
            for h in lay.answer_columns:
                v = rec.get(h)
                a = None if _blank(v) else scale.parse(v)
                if h == lay.overall:
                    if _blank(v):
                        add(
                            sf,
                            row,
                            h,
                            "survey_empty_answer",
                            f"“{h}”未作答，该份问卷不计入满意度",
                            unit_id=uid,
                        )
                        bad = True
                    elif a is None:
                        add(
                            sf,
                            row,
                            h,
                            "survey_bad_answer",
                            f"“{h}”的答案“{_text(v)}”不是量表选项（{labels}）",
                            _text(v),
                            unit_id=uid,
                        )
                        bad = True
                elif a is None and h in sf.columns:
                    what = "未作答" if _blank(v) else f"的答案“{_text(v)}”不是量表选项（{labels}）"
                    add(
                        sf,
                        row,
                        h,
                        "survey_item_unanswered",
                        f"分项“{h}”{what}，该项不计",
                        _text(v) or None,
                        severity="warning",
                        unit_id=uid,
                    )
                answers[h] = a
            if bad:
                set_aside.add(row)
                continue
            overall = answers[lay.overall]
            assert overall is not None  # a blank or unknown overall answer set the row aside
            scores = [
                a.score
                for a in answers.values()
                if a is not None and a.counted and a.score is not None
            ]
            text = " ".join(_text(rec.get(c)) for c in lay.comments if _text(rec.get(c)))
            file_kept.append(
                {
                    "file": sf.file,
                    "row": row,
                    "unit_id": uid,
                    "written_unit": written,
                    "submitted_at": at,
                    "layout": lay.name,
                    "answered": overall.counted,
                    "satisfied": overall.satisfied if overall.counted else None,
                    "score": sum(scores) / len(scores) if scores else None,
                    "has_comment": bool(text),
                    "_id": _text(rec.get(lay.respondent_id)) if lay.respondent_id else "",
                    "_key": (uid, tuple((a.label if a else None) for a in answers.values()), text),
                    "_text": text,
                    "_sheet": sf.sheet,
                }
            )
        # duplicates within the file: a respondent id seen before
        seen_ids: dict[str, int] = {}
        for r in file_kept:
            if r["_id"] and r["_id"] in seen_ids:
                sf_row = r["row"]
                add(
                    sf,
                    sf_row,
                    lay.respondent_id,
                    "survey_duplicate_id",
                    f"{lay.respondent_id}“{r['_id']}”与第{seen_ids[r['_id']]}行重复，只计一次",
                    r["_id"],
                    unit_id=r["unit_id"],
                )
                r["_dup"] = True
                set_aside.add(sf_row)
            elif r["_id"]:
                seen_ids[r["_id"]] = r["row"]
        kept.extend(r for r in file_kept if not r.get("_dup"))
        ledger.append(
            {
                "file": sf.file,
                "sheet": sf.sheet,
                "layout": lay.name,
                "rows_read": sf.rows_read,
                "rows_kept": 0,
                "rows_set_aside": len(set_aside),
            }
        )
    # identical answers from the same unit submitted within seconds (a double submission),
    # across files
    last: dict[tuple, pd.Timestamp] = {}
    by_file = {sf.file: sf for sf in files}
    for r in sorted(
        kept,
        key=lambda r: (
            r["submitted_at"] is None,
            r["submitted_at"] or pd.Timestamp(0),
            r["file"],
            r["row"],
        ),
    ):
        t = r["submitted_at"]
        if t is None:
            continue
        prev = last.get(r["_key"])
        if prev is not None and (t - prev).total_seconds() <= duplicate_seconds:
            sf = by_file[r["file"]]
            add(
                sf,
                r["row"],
                sf.layout.submitted_at if sf.layout else None,
                "survey_duplicate_row",
                f"与同一单位 {int((t - prev).total_seconds())} 秒前提交的问卷内容完全相同，"
                "疑为重复提交，只计一次",
                str(t),
                unit_id=r["unit_id"],
            )
            r["_dup"] = True
        last[r["_key"]] = t
    for led in ledger:
        led["rows_set_aside"] += sum(1 for r in kept if r.get("_dup") and r["file"] == led["file"])
    kept = [r for r in kept if not r.get("_dup")]
    for led in ledger:
        led["rows_kept"] = sum(1 for r in kept if r["file"] == led["file"])
    for r in kept:
        if r["_text"]:
            comments.append({"unit_id": r["unit_id"], "text": r["_text"]})
    return SurveyRows(
        _responses_frame(kept),
        pd.DataFrame(comments, columns=["unit_id", "text"]),
        findings_frame(findings),
        _ledger_frame(ledger),
    )


def _responses_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(
        [{k: r[k] for k in RESPONSE_COLUMNS} for r in rows], columns=list(RESPONSE_COLUMNS)
    )
    for c in ("file", "unit_id", "written_unit", "layout"):
        df[c] = df[c].astype("string")
    df["row"] = df["row"].astype("Int64")
    df["submitted_at"] = pd.Series(
        pd.to_datetime(pd.Series(df["submitted_at"], dtype=object)), dtype="datetime64[ms]"
    )
    df["answered"] = df["answered"].astype("boolean")
    df["satisfied"] = df["satisfied"].astype("boolean")
    df["score"] = df["score"].astype("Float64")
    df["has_comment"] = df["has_comment"].astype(bool)
    return df


def _ledger_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(LEDGER_COLUMNS))
    for c in ("file", "sheet", "layout"):
        df[c] = df[c].astype("string")
    for c in ("rows_read", "rows_kept", "rows_set_aside"):
        df[c] = df[c].astype("Int64")
    return df
