"""One round end to end on hand-made returns: statuses, units, completeness, outputs, feedback."""

from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pandas as pd
import pytest
from test_ingest_support import make_config, make_return

from pipeline.ingest import ingest_round
from pipeline.ingest.completeness import deadline_end
from pipeline.tables import read_tables

R = "2026-07"
SH = ZoneInfo("Asia/Shanghai")


def touch(path, when: datetime) -> None:
    ts = when.timestamp()
    os.utime(path, (ts, ts))


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("district")
    cfg = make_config(tmp)
    raw = cfg.paths.raw_round(R)
    on_time = datetime(2026, 7, 18, 23, 30, tzinfo=SH)
    late = datetime(2026, 7, 19, 0, 30, tzinfo=SH)
    # 太平社区: an earlier return, then a corrected later one (later 填报日期)
    touch(make_return(raw / "太平社区_2026-07.xlsx", report_date=date(2026, 7, 14)), on_time)
    touch(
        make_return(
            raw / "太平社区_2026-07(修改版).xlsx",
            report_date=date(2026, 7, 16),
            evaluation={"测评人数": 10},
        ),
        on_time,
    )
    # 河门口街道 written in its long form, and sent twice with identical content
    p = make_return(raw / "河门口街道_2026-07.xlsx", unit_name="河门口街道办事处")
    touch(p, on_time)
    (raw / "河门口街道_2026-07 副本.xlsx").write_bytes(p.read_bytes())
    touch(raw / "河门口街道_2026-07 副本.xlsx", late)
    # 格里坪镇 by its alias, late, with a file name naming another unit
    touch(make_return(raw / "苦荞村_2026-07.xlsx", unit_name="格里镇"), late)
    # a typo: near miss, never merged
    touch(make_return(raw / "金家村_2026-07.xlsx", unit_name="金加村"), on_time)
    # the enterprise is not expected but reports anyway; formula-like text in its return
    acts = [[1, "=1+1", "成立活动领导小组", None, "已完成", "2026-05-08", "=1+1", "@SUM(A1)"]]
    touch(
        make_return(
            raw / "sub" / "攀钢集团.xlsx", unit_name="攀钢集团", actions=acts, theme="<b>x</b>"
        ),
        on_time,
    )
    # junk
    (raw / "~$太平社区_2026-07.xlsx").write_bytes(b"lock")
    (raw / "说明.docx").write_bytes(b"PK\x03\x04" + b"\x00" * 30)
    before = sorted(
        (p.relative_to(raw).as_posix(), p.stat().st_mtime, p.stat().st_size) for p in raw.rglob("*")
    )
    result = ingest_round(cfg, R, jobs=1, progress=False)
    after = sorted(
        (p.relative_to(raw).as_posix(), p.stat().st_mtime, p.stat().st_size) for p in raw.rglob("*")
    )
    assert before == after  # data/raw is never written
    return cfg, result


def status(result, file):
    s = result.tables["submissions"].set_index("file")
    return s.loc[file, "status"], s.loc[file, "reason"]


def test_file_statuses_and_reasons(district):
    _, res = district
    assert status(res, "太平社区_2026-07.xlsx") == ("superseded", "superseded_later")
    assert status(res, "太平社区_2026-07(修改版).xlsx")[0] == "accepted"
    assert (
        status(res, "河门口街道_2026-07.xlsx")[0] == "accepted"
    )  # the first of two identical files stands
    assert status(res, "河门口街道_2026-07 副本.xlsx") == ("ignored", "duplicate_content")
    assert status(res, "金家村_2026-07.xlsx") == ("rejected", "unknown_unit")
    assert status(res, "~$太平社区_2026-07.xlsx") == ("ignored", "not_a_return")
    assert status(res, "说明.docx")[0] == "rejected"
    assert status(res, "sub/攀钢集团.xlsx")[0] == "accepted"
    subs = res.tables["submissions"]
    assert subs["message"].notna().all()
    s = subs.set_index("file")
    assert s.loc["太平社区_2026-07.xlsx", "superseded_by"] == "太平社区_2026-07(修改版).xlsx"
    assert s.loc["苦荞村_2026-07.xlsx", "unit_id"] == "Z01"
    assert s.loc["金家村_2026-07.xlsx", "unit_id"] == "C0101" and bool(
        s.loc["金家村_2026-07.xlsx", "unit_inferred"]
    )
    assert not s["unit_inferred"].drop("金家村_2026-07.xlsx").any()
    assert set(s["received_from"]) == {"file_time"}
    assert res.has_errors


def test_near_miss_names_candidates(district):
    _, res = district
    f = res.tables["findings"]
    near = f[
        (f["file"] == "金家村_2026-07.xlsx") & f["code"].isin(["name_near_miss", "unknown_unit"])
    ].iloc[0]
    assert "金家村" in near["message"] and near["value"] == "金加村"


def test_filename_disagreeing_with_sheet_is_a_warning(district):
    _, res = district
    f = res.tables["findings"]
    mm = f[f["code"] == "filename_mismatch"]
    assert list(mm["file"]) == ["苦荞村_2026-07.xlsx"]
    assert mm.iloc[0]["severity"] == "warning" and mm.iloc[0]["unit_id"] == "Z01"


def test_units_and_timeliness(district):
    _, res = district
    u = res.tables["units"].set_index("unit_id")
    assert u.loc["SQ0101", "reporting"] == "on_time"
    assert (
        u.loc["JD01", "reporting"] == "on_time"
    )  # the identical copy after the deadline changes nothing
    assert u.loc["Z01", "reporting"] == "late"
    # its only file names a unit the sheet misspelt: received but unusable, the unit inferred
    # from the file name
    assert u.loc["C0101", "reporting"] == "received_unusable"
    assert (
        u.loc["C0101", "unusable_files"] == "金家村_2026-07.xlsx"
        and u.loc["C0101", "unusable_reason"] == "unknown_unit"
    )
    assert not bool(u.loc["C0101", "submitted"])
    assert u.loc["C0102", "reporting"] == "missing"
    assert u.loc["QY01", "reporting"] == "not_expected" and bool(u.loc["QY01", "submitted"])
    c = res.tables["completeness"]
    d = c[c["level"] == "district"].iloc[0]
    assert (d["expected"], d["received"], d["on_time"], d["late"], d["unusable"], d["missing"]) == (
        6,
        3,
        2,
        1,
        1,
        2,
    )
    assert d["reporting_rate"] == pytest.approx(50.0)
    z = c[(c["level"] == "parent") & (c["group"] == "Z01")].iloc[0]
    assert (z["expected"], z["received"]) == (2, 0)
    assert set(c.loc[c["level"] == "unit_type", "group"]) == {
        "街道",
        "社区",
        "镇",
        "村",
        "区级部门",
        "企业",
    }


def test_deadline_is_the_end_of_the_day_in_shanghai():
    end = deadline_end(date(2026, 7, 18))
    assert end == pd.Timestamp("2026-07-18 16:00", tz="UTC")


def test_tables_written_and_typed_as_documented(district):
    cfg, _ = district
    got = read_tables(cfg.paths.processed_round(R))
    assert {
        "submissions",
        "units",
        "completeness",
        "findings",
        "info",
        "actions",
        "materials",
        "activities",
        "evaluation",
        "sheets",
    } <= set(got)
    acts = got["actions"]
    assert list(acts.columns[:4]) == ["unit_id", "file", "sheet", "row"]
    assert set(acts["file"]) == {
        "太平社区_2026-07(修改版).xlsx",
        "河门口街道_2026-07.xlsx",
        "苦荞村_2026-07.xlsx",
        "sub/攀钢集团.xlsx",
    }
    assert str(acts["done_date"].dtype) == "datetime64[ms]"
    assert str(got["submissions"]["received_at"].dtype) == "datetime64[ms, UTC]"
    assert got["evaluation"]["unit_id"].tolist() == ["SQ0101"]
    info = got["info"].set_index("unit_id")
    assert info.loc["QY01", "theme"] == "<b>x</b>"
    q = acts[acts["unit_id"] == "QY01"].iloc[0]
    assert q["evidence"] == "=1+1" and q["note"] == "@SUM(A1)"


def test_rows_conserved(district):
    _, res = district
    sheets = res.tables["sheets"]
    assert (
        len(sheets)
        and (sheets["rows_read"] == sheets["rows_clean"] + sheets["rows_rejected"]).all()
    )
    accepted = res.tables["submissions"].query("status == 'accepted'")["file"]
    for table in ("actions", "materials", "activities"):
        df = res.tables[table]
        for f in accepted:
            row = sheets[(sheets["file"] == f) & (sheets["table"] == table)].iloc[0]
            assert (df["file"] == f).sum() == row["rows_clean"]


def test_feedback_workbooks(district):
    _, res = district
    names = {p.name for p in res.feedback_files}
    assert "未报送单位.xlsx" in names and "未识别单位的文件.xlsx" in names
    assert "攀钢集团.xlsx" in names and "格里坪镇.xlsx" in names
    wb = openpyxl.load_workbook(res.feedback_dir / "未报送单位.xlsx")
    text = [c.value for row in wb.active.iter_rows() for c in row if c.value]
    assert "金家村" in text and "苦荞村" in text
    assert not any(str(v).startswith("=") for v in text)


def test_feedback_keeps_unit_text_inert(district):
    _, res = district
    wb = openpyxl.load_workbook(res.feedback_dir / "攀钢集团.xlsx")
    ws = wb.active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    assert "=1+1" in [c.value for c in cells]  # the bad 阶段 value, shown as typed


def test_summary_is_chinese(district):
    _, res = district
    text = res.summary()
    assert "采用" in text and "退回" in text and "未报" in text and "错误" in text


def test_parallel_gives_the_same_tables(district, tmp_path):
    cfg, res = district
    again = ingest_round(
        cfg, R, jobs=2, out_dir=tmp_path / "out", feedback_dir=tmp_path / "fb", progress=False
    )
    for name in ("submissions", "findings", "actions", "units"):
        pd.testing.assert_frame_equal(res.tables[name], again.tables[name])


def test_empty_round_writes_empty_tables(tmp_path):
    cfg = make_config(tmp_path)
    res = ingest_round(cfg, "2026-08", jobs=1, progress=False)
    assert len(res.tables["submissions"]) == 0
    assert (res.tables["units"]["reporting"].isin(["missing", "not_expected"])).all()
    assert list(res.tables["activities"].columns[:4]) == ["unit_id", "file", "sheet", "row"]


def test_progress_bar_on_request(tmp_path, capsys):
    cfg = make_config(tmp_path)
    make_return(cfg.paths.raw_round(R) / "太平社区.xlsx")
    ingest_round(cfg, R, jobs=1, progress=True)
    assert "读取报表" in capsys.readouterr().err
    ingest_round(cfg, R, jobs=1, progress=False)
    assert "读取报表" not in capsys.readouterr().err
