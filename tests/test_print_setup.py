"""Every workbook the pipeline writes has the one page setup (A4, one page wide, header rows
and name column repeated, title and page numbers in header/footer; landscape when wide)."""

from __future__ import annotations

import openpyxl
import pytest

from pipeline.ingest.feedback import write_feedback
from pipeline.report.printsetup import FOOTER
from pipeline.report.xlsx import write_summary
from pipeline.tables import read_tables
from tests.report_fixtures import make_district

TH = {"uneven_progress": 50, "weak_basics": 50, "unclear_theme": 50, "shallow_understanding": 50}


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    config = make_district(tmp_path_factory.mktemp("print"), n_units=12)
    return read_tables(config.paths.processed_round("2026-08"))


def _check(ws, title_part: str, rows: str, cols: str | None, landscape: bool | None = None) -> None:
    assert ws.page_setup.paperSize in (9, "9"), ws.title
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight in (0, "0"), (
        ws.title
    )
    assert (ws.print_title_rows or "").replace("$", "") == rows, (ws.title, ws.print_title_rows)
    if cols is not None:
        assert (ws.print_title_cols or "").replace("$", "") == cols, (ws.title, ws.print_title_cols)
    assert title_part in (ws.oddHeader.center.text or ""), ws.title
    assert "&P" in (ws.oddFooter.center.text or "") and "&N" in ws.oddFooter.center.text
    if landscape is not None:
        assert (ws.page_setup.orientation == "landscape") == landscape, ws.title


def test_summary_sheets(tables, tmp_path):
    path = write_summary(tables, tmp_path / "summary.xlsx", TH, "8月检查（2026-08）")
    wb = openpyxl.load_workbook(path)
    _check(wb["汇总表"], "汇总表 8月检查", "2:2", "A:D", landscape=True)
    for name in ("迟报缺报", "填报差错", "通报名单"):
        _check(wb[name], "8月检查", "1:1", "A:B")


def test_feedback_workbooks(tables, tmp_path):
    written = write_feedback(
        tables["findings"], tables["submissions"], tables["units"], tmp_path, "8月检查"
    )
    assert written
    for p in written:
        ws = openpyxl.load_workbook(p).active
        _check(ws, "8月检查", "4:4", "A:A")


def test_template_sheets(tmp_path):
    from pipeline.config import load_config
    from pipeline.form import load_form
    from pipeline.templates.instructions import TemplateUnit
    from pipeline.templates.workbook import build_workbook

    config = make_district(tmp_path, n_units=4)
    config = load_config(config.source)
    wb = build_workbook(
        load_form(1),
        config.campaign,
        config.round("2026-08"),
        TemplateUnit("U001", "单位甲", "社区"),
        "x.xlsx",
    )
    path = tmp_path / "t.xlsx"
    wb.save(path)
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        _check(ws, "8月检查", "1:1", "A:A")


def test_footer_says_page_of_pages():
    assert FOOTER == "第 &P 页，共 &N 页"
