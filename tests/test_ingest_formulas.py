"""Formula cells with no cached value (issue 12 point 4): kept as inert text, with a warning."""

from __future__ import annotations

import openpyxl
from test_ingest_support import make_config, make_return

from pipeline.ingest import parse_return

R = "2026-07"
LINK = '=HYPERLINK("http://example.cn/a?b=1&c=2","学习")'


def test_hyperlink_formula_without_cached_value_keeps_the_row(tmp_path):
    cfg = make_config(tmp_path)
    p = make_return(tmp_path / "太平社区.xlsx")
    wb = openpyxl.load_workbook(p)
    ws = wb["活动记录"]
    ws["B3"] = LINK  # openpyxl stores a formula without a cached value
    wb.save(p)
    pr = parse_return(p, cfg, R)
    assert pr.status == "read"
    acts = pr.records["activities"]
    assert [a["row"] for a in acts] == [3, 4]
    assert acts[0]["name"] == LINK  # the formula's text, not evaluated
    f = [x for x in pr.finding_rows if x["code"] == "formula_as_text"]
    assert len(f) == 1
    assert (f[0]["file"], f[0]["sheet"], f[0]["cell"], f[0]["severity"]) == (
        "太平社区.xlsx",
        "活动记录",
        "B3",
        "warning",
    )
    assert "单元格为公式，已按文字处理" in f[0]["message"]
    assert not [x for x in pr.finding_rows if x["code"] == "required_missing"]


def test_formula_with_cached_value_and_text_that_looks_like_one_are_silent(tmp_path):
    cfg = make_config(tmp_path)
    acts = [["2026-06-01", "=1+1", "主题党日", 12, "是", "有", "区级"]]  # typed as text
    pr = parse_return(make_return(tmp_path / "太平社区.xlsx", activities=acts), cfg, R)
    assert pr.records["activities"][0]["name"] == "=1+1"
    assert not [x for x in pr.finding_rows if x["code"] == "formula_as_text"]
