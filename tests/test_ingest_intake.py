"""Who sent what and when (issue 14.1-14.3, issue 19.8): unusable returns, overrides, receipt
log, the winner."""

from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from test_ingest_support import make_config, make_return

from pipeline.config import load_config
from pipeline.ingest import ingest_round
from pipeline.ingest.intake import resolve_statuses, unit_on_time

R = "2026-07"
SH = ZoneInfo("Asia/Shanghai")
ON_TIME = datetime(2026, 7, 17, 9, 0, tzinfo=SH)
LATE = datetime(2026, 7, 20, 9, 0, tzinfo=SH)


def touch(path, when: datetime):
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def with_config(tmp, extra: str):
    path = tmp / "scorecard.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")
    return load_config(path)


def subs_of(res):
    return res.tables["submissions"].set_index("file")


def test_an_encrypted_only_file_is_received_but_unusable(tmp_path):
    cfg = make_config(tmp_path)
    raw = cfg.paths.raw_round(R)
    raw.mkdir(parents=True)
    # a file cut short in transit: the sheet cannot be read, the file name still says whose it is
    good = make_return(tmp_path / "x.xlsx").read_bytes()
    raw.joinpath("金家村_7月报表.xlsx").write_bytes(good[: len(good) // 2])
    touch(raw / "金家村_7月报表.xlsx", ON_TIME)
    touch(make_return(raw / "太平社区.xlsx"), ON_TIME)
    res = ingest_round(cfg, R, jobs=1, progress=False)
    s = subs_of(res)
    assert s.loc["金家村_7月报表.xlsx", "status"] == "rejected"
    assert s.loc["金家村_7月报表.xlsx", "unit_id"] == "C0101" and bool(
        s.loc["金家村_7月报表.xlsx", "unit_inferred"]
    )
    u = res.tables["units"].set_index("unit_id")
    assert u.loc["C0101", "reporting"] == "received_unusable"
    assert u.loc["C0101", "unusable_reason"] == s.loc["金家村_7月报表.xlsx", "reason"]
    assert u.loc["C0102", "reporting"] == "missing"
    assert "C0101" not in set(res.tables["info"]["unit_id"])  # never merged into the data
    f = res.tables["findings"]
    inf = f[(f["file"] == "金家村_7月报表.xlsx") & (f["code"] == "unit_inferred")]
    assert len(inf) == 1 and "不计入评分" in inf.iloc[0]["message"]
    # its own feedback workbook says what arrived and what to resend
    wb = openpyxl.load_workbook(res.feedback_dir / "金家村.xlsx")
    text = " ".join(str(c.value) for row in wb.active.iter_rows() for c in row if c.value)
    assert "金家村_7月报表.xlsx" in text and "重新报送" in text
    wb = openpyxl.load_workbook(res.feedback_dir / "未报送单位.xlsx")
    rows = {r[1]: r for r in wb.active.iter_rows(min_row=5, values_only=True)}
    assert rows["C0101"][5] == "已报送但无法使用" and rows["C0102"][5] == "未报送"
    assert "已报送但无法使用 1" in res.summary()
    c = res.tables["completeness"]
    d = c[c["level"] == "district"].iloc[0]
    assert (d["unusable"], d["missing"]) == (1, d["expected"] - d["received"] - 1)


def test_overrides_settle_a_near_miss_and_ignore_a_file(tmp_path):
    cfg = make_config(tmp_path)
    raw = cfg.paths.raw_round(R)
    touch(make_return(raw / "金加村报表.xlsx", unit_name="金加村"), ON_TIME)
    res = ingest_round(cfg, R, jobs=1, progress=False)
    near = subs_of(res).loc["金加村报表.xlsx", "override_hint"]
    line = '"金加村报表.xlsx" = "C0101"'
    assert (
        '[intake.overrides."2026-07"]' in near and line in near
    )  # the exact line to add, for the office
    wb = openpyxl.load_workbook(res.feedback_dir / "未识别单位的文件.xlsx")
    assert line in " ".join(str(c.value) for row in wb.active.iter_rows() for c in row if c.value)
    f = res.tables["findings"]
    assert (
        not f["message"].str.contains("intake.overrides").any()
    )  # the unit is not told about the config
    touch(make_return(raw / "说明材料.xlsx", unit_name="太平社区"), ON_TIME)
    cfg = with_config(
        tmp_path, f'[intake.overrides."2026-07"]\n{line}\n"说明材料.xlsx" = "ignore"\n'
    )
    res = ingest_round(cfg, R, jobs=1, progress=False)
    s = subs_of(res)
    assert (
        s.loc["金加村报表.xlsx", "status"],
        s.loc["金加村报表.xlsx", "unit_id"],
        s.loc["金加村报表.xlsx", "override"],
    ) == ("accepted", "C0101", "C0101")
    assert (s.loc["说明材料.xlsx", "status"], s.loc["说明材料.xlsx", "reason"]) == (
        "ignored",
        "override_ignore",
    )
    f = res.tables["findings"]
    ov = f[f["code"] == "override_applied"]
    assert (
        set(ov["file"]) == {"金加村报表.xlsx", "说明材料.xlsx"}
        and (ov["severity"] == "warning").all()
    )
    assert res.tables["units"].set_index("unit_id").loc["C0101", "reporting"] == "on_time"


def test_an_override_naming_no_roster_unit_is_refused_with_a_finding(tmp_path):
    make_config(tmp_path)
    cfg = with_config(tmp_path, '[intake.overrides."2026-07"]\n"太平社区.xlsx" = "NOPE"\n')
    touch(make_return(cfg.paths.raw_round(R) / "太平社区.xlsx"), ON_TIME)
    res = ingest_round(cfg, R, jobs=1, progress=False)
    assert subs_of(res).loc["太平社区.xlsx", "unit_id"] == "SQ0101"
    f = res.tables["findings"]
    assert (f["code"] == "override_applied").sum() == 1 and f[f["code"] == "override_applied"].iloc[
        0
    ]["severity"] == "error"


def test_receipt_log_decides_timeliness_over_copied_file_times(tmp_path):
    make_config(tmp_path)
    cfg = with_config(tmp_path, "")
    text = (
        (tmp_path / "scorecard.toml")
        .read_text(encoding="utf-8")
        .replace('reports = "reports"', 'reports = "reports"\nreceipts = "data/receipts"', 1)
    )
    (tmp_path / "scorecard.toml").write_text(text, encoding="utf-8")
    cfg = load_config(tmp_path / "scorecard.toml")
    raw = cfg.paths.raw_round(R)
    for name, unit in (
        ("太平社区.xlsx", "太平社区"),
        ("河门口街道.xlsx", "河门口街道"),
        ("格里坪镇.xlsx", "格里坪镇"),
    ):
        touch(make_return(raw / name, unit_name=unit), LATE)  # copied from the mailbox days later
    log = tmp_path / "data" / "receipts"
    log.mkdir(parents=True)
    (log / f"{R}.csv").write_text(
        "文件,单位编码,收到时间\n太平社区.xlsx,,2026-07-17 09:30\n,JD01,2026/7/18 20:00\n"
        "坏行.xlsx,,不知道\n",
        encoding="utf-8",
    )
    res = ingest_round(cfg, R, jobs=1, progress=False)
    s = subs_of(res)
    assert s.loc["太平社区.xlsx", "received_from"] == "receipt_log" and bool(
        s.loc["太平社区.xlsx", "on_time"]
    )
    assert s.loc["河门口街道.xlsx", "received_from"] == "receipt_log" and bool(
        s.loc["河门口街道.xlsx", "on_time"]
    )
    assert s.loc["格里坪镇.xlsx", "received_from"] == "file_time" and not bool(
        s.loc["格里坪镇.xlsx", "on_time"]
    )
    u = res.tables["units"].set_index("unit_id")
    assert (
        u.loc["SQ0101", "reporting"],
        u.loc["JD01", "reporting"],
        u.loc["Z01", "reporting"],
    ) == ("on_time", "on_time", "late")
    f = res.tables["findings"]
    assert "第 4 行" in " ".join(f.loc[f["code"] == "receipt_log", "message"])


def _rec(file, received, report, sha=None):
    return {
        "file": file,
        "sha256": sha or file,
        "unit_id": "U1",
        "status": "read",
        "reason": None,
        "report_date": report,
        "received_at": received,
        "superseded_by": None,
        "message": None,
    }


def test_received_time_decides_the_winner_and_the_message_tells_the_truth():
    # a correction received later with an OLDER 填报日期 wins (issue 19.8)
    first, corr = _rec("a.xlsx", 100.0, date(2026, 7, 16)), _rec("b.xlsx", 200.0, date(2026, 7, 14))
    resolve_statuses([first, corr])
    assert (
        corr["status"] == "accepted"
        and first["status"] == "superseded"
        and first["superseded_by"] == "b.xlsx"
    )
    assert "晚于本文件" in first["message"]
    # received together: 填报日期 breaks the tie, and the message does not claim "later"
    x, y = _rec("x.xlsx", 100.0, date(2026, 7, 14)), _rec("y.xlsx", 100.0, date(2026, 7, 16))
    resolve_statuses([x, y])
    assert (
        y["status"] == "accepted" and "收到时间相同" in x["message"] and "晚于" not in x["message"]
    )


@pytest.mark.parametrize(
    "rule, expected", [("first_on_time", ("on_time", True)), ("latest", ("late", False))]
)
def test_a_correction_after_the_deadline(tmp_path, rule, expected):
    make_config(tmp_path)
    path = tmp_path / "scorecard.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'late_correction = "first_on_time"', f'late_correction = "{rule}"'
        ),
        encoding="utf-8",
    )
    cfg = load_config(path)
    assert cfg.intake.late_correction == rule
    raw = cfg.paths.raw_round(R)
    touch(make_return(raw / "太平社区.xlsx", report_date=date(2026, 7, 15)), ON_TIME)
    touch(
        make_return(
            raw / "太平社区(更正).xlsx",
            report_date=date(2026, 7, 15),
            theme="党建引领促和谐（更正）",
        ),
        LATE,
    )
    res = ingest_round(cfg, R, jobs=1, progress=False)
    s = subs_of(res)
    assert (
        s.loc["太平社区(更正).xlsx", "status"] == "accepted"
        and s.loc["太平社区.xlsx", "status"] == "superseded"
    )
    u = res.tables["units"].set_index("unit_id")
    assert (u.loc["SQ0101", "reporting"], bool(u.loc["SQ0101", "on_time"])) == expected
    f = res.tables["findings"]
    late = f[f["code"] == "late_correction"]
    assert list(late["file"]) == ["太平社区(更正).xlsx"] and "截止后" in late.iloc[0]["message"]


def test_unit_on_time_rule_alone():
    recs = [
        dict(_rec("a", 10.0, None), status="superseded", reason="superseded_later"),
        dict(_rec("b", 30.0, None), status="accepted", reason="ok"),
    ]
    assert unit_on_time(recs, 20.0, "first_on_time")["U1"][0] is True
    assert unit_on_time(recs, 20.0, "latest")["U1"][0] is False
