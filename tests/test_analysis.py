"""The analysis API: `from pipeline import open_round`, rounds, tables in Chinese and Beijing
time, export, and notebooks/explore.ipynb runs on a district."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import pipeline
from pipeline import history, list_rounds, open_round, round_table, to_excel
from tests.report_fixtures import make_district

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    return make_district(tmp_path_factory.mktemp("analysis"), n_units=12, evil=False)


def test_exports_are_documented():
    assert {"open_round", "list_rounds", "round_table", "history", "to_excel"} <= set(
        pipeline.__all__
    )
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in (
        "open_round",
        "list_rounds",
        "round_table",
        "history",
        "to_excel",
        "make lab",
        "explore.ipynb",
    ):
        assert name in readme, name


def test_list_rounds_in_time_order(district):
    r = list_rounds(district.source)
    assert r["round_id"].tolist() == ["2026-07", "2026-08"] and r["has_scores"].all()


def test_round_table_beijing_time_and_chinese_headers(district):
    ctx = open_round(district.source, "2026-08")
    units = round_table(ctx, "units")
    assert str(units["received_at"].dt.tz) == "Asia/Shanghai"
    zh = round_table(ctx, "units", chinese=True)
    assert {"单位名称", "收到时间（北京时间）", "报送情况"} <= set(zh.columns)
    assert set(zh["报送情况"]) <= {"按时报送", "迟报", "未报送", "不需报送"}
    with pytest.raises(KeyError, match="没有数据表"):
        round_table(ctx, "nope")


def test_history_spans_every_round(district):
    h = history(district.source)
    assert set(h["round_id"]) == {"2026-07", "2026-08"} and len(h) == 24


def test_to_excel_chinese_headers_rounded(district, tmp_path):
    ctx = open_round(district.source, "2026-08")
    s = round_table(ctx, "scores")[["unit_name", "overall"]]
    path = to_excel(s, tmp_path / "x.xlsx")
    ws = openpyxl.load_workbook(path).active
    assert [c.value for c in ws[1]] == ["单位名称", "综合得分"]
    v = ws.cell(row=2, column=2).value
    assert v == round(v, 1)
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0


def test_explore_notebook_answers_the_questions(district, tmp_path):
    import papermill

    out = tmp_path / "explore.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "explore.ipynb"),
        str(out),
        parameters={"config_path": str(district.source), "out_dir": str(tmp_path)},
        kernel_name="grassroots-scorecard",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    assert (tmp_path / "基础较薄弱最严重的村.xlsx").is_file()
    text = out.read_text(encoding="utf-8")
    assert "Traceback" not in text
    assert isinstance(
        pd.read_excel(tmp_path / "基础较薄弱最严重的村.xlsx", engine="openpyxl"), pd.DataFrame
    )


def test_make_lab_target():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\nlab:" in text and "jupyter lab" in text and "$(KERNEL)" in text
