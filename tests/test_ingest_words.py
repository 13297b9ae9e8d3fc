"""The words people write (issue 14.6): variants from the form spec, kept rows, lost leading
zeros."""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest
from test_ingest_support import make_config, make_return

from pipeline.form import FormSpecError, load_form, parse_form
from pipeline.ingest import parse_return
from pipeline.ingest.clean import (
    choice_lookup,
    clean_choice,
    clean_yesno,
    variant_lookup,
    yesno_lookup,
)

R = "2026-07"


def numeric_phone(path, number):
    """The unit typed 联系电话 as a number (Excel then stores a number, without any leading 0)."""
    wb = openpyxl.load_workbook(path)
    ws = wb["基本情况"]
    for row in ws.iter_rows():
        if row[0].value == "联系电话":
            row[1].value = number
            row[1].data_type = "n"
    wb.save(path)
    return path


def codes(pr, code):
    return [f for f in pr.finding_rows if f["code"] == code]


def test_variants_live_in_the_form_spec():
    form = load_form(1)
    status = dict(form.sheet("actions").column("status").variants)
    assert status["完成"] == "已完成" and status["基本完成"] == "进行中"
    assert "是的" in form.yes_variants and "没做" in form.no_variants
    bad = {
        "version": 1,
        "title": "t",
        "yes": ["是"],
        "no": ["否"],
        "sheets": [
            {
                "name": "s",
                "table": "s",
                "kind": "table",
                "columns": [
                    {
                        "key": "a",
                        "header": "A",
                        "type": "choice",
                        "choices": ["甲"],
                        "variants": {"乙": "丙"},
                    }
                ],
            }
        ],
    }
    with pytest.raises(FormSpecError, match="not one of the choices"):
        parse_form(bad)


def test_cleaners_mark_what_they_assumed():
    lk = choice_lookup(["已完成", "进行中", "未开始"])
    v = variant_lookup([("完成", "已完成"), ("基本完成", "进行中")])
    assert clean_choice("已完成", lk, v).assumed is None
    c = clean_choice(" 完 成 ", lk, v)
    assert (c.value, c.code, c.assumed) == ("已完成", None, " 完 成 ")
    assert clean_choice("差不多吧", lk, v).code == "bad_choice"
    yn = yesno_lookup(["是", "有"], ["否"])
    assert clean_yesno("有", yn).assumed is None
    c = clean_yesno("是的", yn, variant_lookup([("是的", True)]))
    assert (c.value, c.assumed) == (True, "是的")


def test_a_return_with_everyday_words_keeps_its_rows_with_warnings(tmp_path):
    cfg = make_config(tmp_path)
    actions = [
        [
            1,
            "第一阶段",
            "成立活动领导小组",
            date(2026, 5, 10),
            "完成",
            date(2026, 5, 8),
            "领导小组文件",
            "",
        ],
        [2, "第一阶段", "制定活动实施方案", date(2026, 5, 15), "基本完成", None, None, ""],
        [3, "第一阶段", "召开动员大会", date(2026, 5, 20), "差不多", None, None, ""],
    ]
    materials = [
        ["会议记录", 3, "是的", "√", "2026.7.1", "没做", ""],
        ["学习记录", 2, "也许", "否", "2026.7.1", "是", ""],
    ]
    p = numeric_phone(
        make_return(tmp_path / "太平社区.xlsx", actions=actions, materials=materials), 8123456789
    )
    pr = parse_return(p, cfg, R)
    acts = {a["row"]: a for a in pr.records["actions"]}
    assert acts[3]["status"] == "已完成" and acts[4]["status"] == "进行中"
    assert (
        5 not in acts
    )  # 差不多 cannot be mapped and 完成情况 is required: that row alone is rejected
    mats = pr.records["materials"]
    assert len(mats) == 2  # an unmappable yes/no is not required: the row stays, the value is null
    assert (
        mats[0]["standard"] is True
        and mats[0]["tied_to_work"] is False
        and mats[1]["standard"] is None
    )
    w = codes(pr, "word_variant")
    assert sorted((f["sheet"], f["cell"]) for f in w) == [
        ("基础资料", "C3"),
        ("基础资料", "F3"),
        ("规定动作", "E3"),
        ("规定动作", "E4"),
    ]
    assert all(f["severity"] == "warning" for f in w)
    assert any("“完成”已按“已完成”处理" in f["message"] for f in w)
    assert any("“是的”已按“是”处理" in f["message"] for f in w)
    assert [f["cell"] for f in codes(pr, "bad_yesno")] == ["C4"]
    lz = codes(pr, "leading_zero_lost")
    assert len(lz) == 1 and lz[0]["sheet"] == "基本情况" and lz[0]["severity"] == "warning"
    assert (
        lz[0]["value"] is None and "8123456789" not in lz[0]["message"]
    )  # personal data not repeated


def test_mobile_numbers_and_text_phones_are_silent(tmp_path):
    cfg = make_config(tmp_path)
    for i, phone in enumerate((13812345678, "08123456789")):
        p = make_return(tmp_path / f"{i}.xlsx", phone=phone if isinstance(phone, str) else "x")
        pr = parse_return(numeric_phone(p, phone) if isinstance(phone, int) else p, cfg, R)
        assert not codes(pr, "leading_zero_lost")
        assert not codes(pr, "word_variant")
