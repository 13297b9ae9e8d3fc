"""Reading one workbook: layouts, formats, and every way a file is rejected."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from datetime import date

import openpyxl
import pandas as pd
import pytest
from test_ingest_support import make_config, make_return

from pipeline.ingest import parse_return
from pipeline.ingest import read as read_mod
from pipeline.ingest.read import Limits, ReadError, a1, column_letter, sniff


@pytest.fixture
def cfg(tmp_path):
    return make_config(tmp_path)


def test_a1_references():
    assert column_letter(0) == "A" and column_letter(25) == "Z" and column_letter(26) == "AA"
    assert a1(0, 0) == "A1" and a1(6, 4) == "E7"


def test_clean_return_is_read_with_types_and_positions(cfg, tmp_path):
    p = make_return(tmp_path / "r.xlsx")
    pr = parse_return(p, cfg, "2026-07")
    assert pr.status == "read" and pr.reason is None
    assert pr.written_name == "太平社区" and pr.report_date == date(2026, 7, 15)
    assert pr.rows_read == {
        "info": 1,
        "actions": 3,
        "materials": 2,
        "activities": 2,
        "evaluation": 0,
    }
    info = pr.tables["info"].iloc[0]
    assert info["phone"] == "08123456789"  # leading zero kept
    assert info["party_members"] == 45  # "45人"
    assert info["row"] == 3  # title row, then 项目|内容, then 单位名称
    acts = pr.tables["actions"]
    assert list(acts["row"]) == [3, 4, 5]  # below a merged title row
    assert acts["done_date"].iloc[1] == pd.Timestamp(2026, 5, 14)
    mats = pr.tables["materials"]
    assert list(mats["copies"]) == [3, 2] and list(mats["filed"]) == [True, False]
    assert mats["updated"].iloc[0] == pd.Timestamp(2026, 7, 1)
    assert pr.tables["activities"]["date"].iloc[1] == pd.Timestamp(
        2026, 7, 2
    )  # "7月2日" with the round's year


def test_sheet_names_and_headers_in_messy_forms(cfg, tmp_path):
    headers = [
        "活动名称",
        "日  期",
        "参加人数（人）",
        "活动载体",
        "群众参与",
        "是否结合业务工作",
    ]  # reordered, 宣传报道 missing
    rows = [
        ["学习会", "2026/6/3", "１５人", "专题学习", "√", "N"],
        [None] * 6,
        ["走访", 46200, 8, "其他", "无", "是"],
    ]
    p = make_return(
        tmp_path / "r.xlsx",
        sheet_names={"activities": " 活动记录 ", "materials": "基础资料表", "info": "基本情况"},
        activity_headers=headers,
        activities=rows,
        total_row=False,
    )
    pr = parse_return(p, cfg, "2026-07")
    assert pr.status == "read"
    acts = pr.tables["activities"]
    assert pr.rows_read["activities"] == 2  # the blank row is not a data row
    assert list(acts["name"]) == ["学习会", "走访"]
    assert list(acts["participants"]) == [15, 8]
    assert acts["publicity"].isna().all()
    assert list(acts["public_participation"]) == [True, False]
    assert pr.sheets["activities"] == " 活动记录 "
    assert pr.sheets["materials"] == "基础资料表"


def test_total_rows_and_blank_rows_are_not_data(cfg, tmp_path):
    p = make_return(tmp_path / "r.xlsx", total_row=True)
    pr = parse_return(p, cfg, "2026-07")
    assert pr.rows_read["activities"] == 2 and len(pr.tables["activities"]) == 2


def test_two_row_merged_header(cfg, tmp_path):
    wb = openpyxl.load_workbook(make_return(tmp_path / "a.xlsx", title=False))
    ws = wb["规定动作"]
    ws.insert_rows(2)
    for c in range(1, 9):  # header cells merged over two rows
        ws.merge_cells(start_row=1, start_column=c, end_row=2, end_column=c)
    wb.save(tmp_path / "b.xlsx")
    pr = parse_return(tmp_path / "b.xlsx", cfg, "2026-07")
    assert pr.rows_read["actions"] == 3
    assert list(pr.tables["actions"]["row"]) == [3, 4, 5]


def test_formula_like_and_html_text_stays_plain(cfg, tmp_path):
    actions = [
        [1, "第一阶段", "成立活动领导小组", None, "已完成", "2026-05-08", "=1+1", "@x"],
        [2, "第一阶段", "召开动员大会", None, "进行中", None, "<b>x</b>", "-5"],
    ]
    p = make_return(tmp_path / "r.xlsx", actions=actions, theme='=HYPERLINK("http://x")')
    pr = parse_return(p, cfg, "2026-07")
    a = pr.tables["actions"]
    assert list(a["evidence"]) == ["=1+1", "<b>x</b>"]
    assert list(a["note"]) == ["@x", "-5"]


def test_rows_with_unusable_required_values_are_rejected_and_counted(cfg, tmp_path):
    actions = [
        [1, "第一阶段", "成立活动领导小组", None, "已完成", "2026-05-08", "文件", ""],
        [
            2,
            "第一阶段",
            "不存在的动作",
            None,
            "已完成",
            "2026-05-09",
            "文件",
            "",
        ],  # bad choice in a required column
        [3, "第一阶段", "召开动员大会", None, None, None, None, ""],  # required 完成情况 missing
        [
            4,
            "第一阶段",
            "提炼活动主题",
            "x",
            "已完成",
            None,
            None,
            "",
        ],  # bad planned date + done without date
    ]
    pr = parse_return(make_return(tmp_path / "r.xlsx", actions=actions), cfg, "2026-07")
    f = pr.findings
    rejected = f[f["row_rejected"]]
    assert sorted(rejected["row"]) == [4, 5]
    assert pr.rows_read["actions"] == len(pr.tables["actions"]) + rejected["row"].nunique()
    codes = set(f.loc[f["sheet"] == "规定动作", "code"])
    assert {
        "bad_choice",
        "required_missing",
        "bad_date",
        "done_without_date",
        "done_without_evidence",
    } <= codes
    bad = f[f["code"] == "bad_date"].iloc[0]
    assert bad["cell"] == "D6" and bad["value"] == "x" and bad["severity"] == "error"


def test_cross_sheet_rules(cfg, tmp_path):
    acts = [
        [date(2026, 7, 20), "会", "座谈会", 3, "是", "是", "无"],
        [date(2026, 4, 1), "早", "座谈会", 3, "是", "是", "无"],
    ]
    p = make_return(
        tmp_path / "r.xlsx",
        activities=acts,
        evaluation={"测评人数": "50人", "满意": 40, "基本满意": 10, "不满意": 5},
    )
    pr = parse_return(p, cfg, "2026-07")
    codes = list(pr.findings["code"])
    assert (
        "date_after_report" in codes
        and "date_before_campaign" in codes
        and "evaluation_sum" in codes
    )
    ev = pr.tables["evaluation"].iloc[0]
    assert ev["surveyed"] == 50 and pr.rows_read["evaluation"] == 1


def test_missing_required_sheet_rejects(cfg, tmp_path):
    wb = openpyxl.load_workbook(make_return(tmp_path / "a.xlsx"))
    del wb["基础资料"]
    wb.save(tmp_path / "b.xlsx")
    pr = parse_return(tmp_path / "b.xlsx", cfg, "2026-07")
    assert pr.status == "rejected" and pr.reason == "missing_sheet" and "基础资料" in pr.message


def test_xlsm_is_read_and_macros_never_run(cfg, tmp_path):
    p = make_return(tmp_path / "r.xlsx")
    shutil.copy(p, tmp_path / "r.xlsm")
    pr = parse_return(tmp_path / "r.xlsm", cfg, "2026-07")
    assert pr.status == "read" and len(pr.tables["actions"]) == 3


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_xls_and_ods(cfg, tmp_path, fmt, soffice):
    p = make_return(tmp_path / "r.xlsx")
    out = tmp_path / "conv"
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            fmt,
            "--outdir",
            str(out),
            str(p),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pr = parse_return(out / f"r.{fmt}", cfg, "2026-07")
    assert pr.status == "read", pr.message
    assert pr.rows_read["actions"] == 3 and pr.report_date == date(2026, 7, 15)
    assert pr.tables["info"]["phone"].iloc[0] == "08123456789"


def _reason(cfg, path, **limits):
    lim = Limits(
        **{
            "max_file_mb": 50,
            "max_uncompressed_mb": 200,
            "max_rows": 20000,
            "timeout_seconds": 60,
            **limits,
        }
    )
    pr = parse_return(path, cfg, "2026-07", limits=lim)
    assert pr.status == "rejected"
    assert pr.message and "Traceback" not in pr.message
    return pr.reason


def test_rejections_name_the_reason(cfg, tmp_path):
    good = make_return(tmp_path / "good.xlsx").read_bytes()
    (tmp_path / "trunc.xlsx").write_bytes(good[: len(good) // 2])
    assert _reason(cfg, tmp_path / "trunc.xlsx") == "truncated"
    (tmp_path / "text.xlsx").write_text("这不是表格", encoding="utf-8")
    assert _reason(cfg, tmp_path / "text.xlsx") == "not_a_workbook"
    (tmp_path / "empty.xlsx").write_bytes(b"")
    assert _reason(cfg, tmp_path / "empty.xlsx") == "not_a_workbook"
    (tmp_path / "page.xls").write_text("<html><table><tr><td>1</td></tr></table></html>")
    assert _reason(cfg, tmp_path / "page.xls") == "not_a_workbook"
    (tmp_path / "ole.xls").write_bytes(read_mod.OLE_MAGIC + b"\x00" * 100)
    assert _reason(cfg, tmp_path / "ole.xls") in ("truncated", "unreadable")
    assert _reason(cfg, tmp_path / "good.xlsx", max_uncompressed_mb=0.001) == "too_large"
    assert _reason(cfg, tmp_path / "good.xlsx", max_file_mb=0.001) == "too_large"
    assert _reason(cfg, tmp_path / "good.xlsx", max_rows=3) == "too_many_rows"


def test_encrypted_workbook(cfg, tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = make_return(tmp_path / "plain.xlsx")
    out = io.BytesIO()
    with open(plain, "rb") as fh:
        OOXMLFile(fh).encrypt("secret", out)
    (tmp_path / "locked.xlsx").write_bytes(out.getvalue())
    assert _reason(cfg, tmp_path / "locked.xlsx") == "encrypted"


def test_zip_bomb_is_refused_before_inflating(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * (3 * 1024 * 1024))
    with pytest.raises(ReadError) as err:
        sniff(buf.getvalue(), Limits(max_uncompressed_mb=1))
    assert err.value.reason == "too_large"


def test_a_slow_file_times_out_and_the_reader_goes_on(cfg, tmp_path, monkeypatch):
    import time

    p = make_return(tmp_path / "r.xlsx")
    real = read_mod.read_sheet

    def slow(*args, **kwargs):
        time.sleep(5)
        return real(*args, **kwargs)

    monkeypatch.setattr(read_mod, "read_sheet", slow)
    assert _reason(cfg, p, timeout_seconds=0.2) == "timeout"
    monkeypatch.setattr(read_mod, "read_sheet", real)
    assert parse_return(p, cfg, "2026-07").status == "read"


def test_stray_files_are_ignored(cfg, tmp_path):
    (tmp_path / "~$r.xlsx").write_bytes(b"lock")
    pr = parse_return(tmp_path / "~$r.xlsx", cfg, "2026-07")
    assert pr.status == "ignored" and pr.reason == "not_a_return"


def test_two_header_rows_without_merge_fill():
    from pipeline.form import load_form
    from pipeline.ingest.sheets import find_table

    spec = load_form(1).sheet("activities")
    rows = [
        ["某社区活动记录", "", "", "", "", "", ""],
        ["日期", "活动名称", "活动载体", "参加人数", "其他情况", "", ""],
        ["", "", "", "", "是否结合业务工作", "群众参与", "宣传报道"],
        ["2026-06-01", "学习", "专题学习", 5, "是", "否", "无"],
    ]
    layout = find_table(rows, spec, ["合计"])
    assert layout.header_row == 2 and len(layout.columns) == 7
    assert [r.row for r in layout.rows] == [3]


def test_a_sheet_too_wide_is_refused_before_its_cells_are_built(cfg, tmp_path):
    wb = openpyxl.load_workbook(make_return(tmp_path / "a.xlsx"))
    wb["活动记录"].cell(row=10, column=16000, value="x")
    wb.save(tmp_path / "wide.xlsx")
    assert (
        _reason(cfg, tmp_path / "wide.xlsx", max_rows=20) == "dimension_too_large"
    )  # extent.py, before calamine


def test_signature_and_note_lines_under_the_table_are_not_records(cfg, tmp_path):
    wb = openpyxl.load_workbook(make_return(tmp_path / "a.xlsx"))
    ws = wb["活动记录"]
    ws.append([])
    ws.append(["填表人：王五", None, "审核人：赵六"])
    ws.append(["注：参加人数按签到表统计"])
    wb.save(tmp_path / "b.xlsx")
    pr = parse_return(tmp_path / "b.xlsx", cfg, "2026-07")
    assert pr.rows_read["activities"] == 2 and not pr.findings["row_rejected"].any()
