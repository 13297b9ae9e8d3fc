"""The action stage (pipeline/act): item rules, re-check statuses, rates, grades, notice,
exemplary units."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from test_score_support import ROUND, config, synth_tables

from pipeline.act import act_tables, due_date
from pipeline.act.grades import BOUNDARY_NOTE, band, grade_columns
from pipeline.act.items import facts_table, rule_context
from pipeline.act.notice import build_notice
from pipeline.act.recheck import (
    RECTIFICATION_COLUMNS,
    fixing_rates,
    rectification_table,
    weakness_verdicts,
)
from pipeline.config import ActGrades, Notice
from pipeline.score import score_tables

CFG = config()
NEXT = "2026-08"


@pytest.fixture(scope="module")
def first():
    tables, labels = synth_tables(60, 4)
    return tables, labels, score_tables(tables, CFG, ROUND)


def test_first_round_items_are_new_with_chinese_instructions(first):
    _, _, out = first
    r = out["rectification"]
    assert list(r.columns) == RECTIFICATION_COLUMNS and len(r)
    assert (r["status"] == "new").all() and (r["status_label"] == "新发现").all()
    assert (r["opened_round"] == ROUND).all()
    assert set(r["weakness"]) <= {
        "uneven_progress",
        "weak_basics",
        "unclear_theme",
        "shallow_understanding",
    }
    assert (
        r["instruction"].str.contains(r"[\u4e00-\u9fff]").all()
        and r["evidence"].str.len().gt(0).all()
    )
    assert (r["due_date"] == pd.Timestamp(CFG.round(NEXT).as_of)).all()
    assert (
        r["item_key"]
        .str.match(r"^(action|materials|carrier|publicity|theme|timing|work|activity):")
        .all()
    )
    scored = set(out["scores"].loc[out["scores"]["scored"], "unit_id"])
    assert set(r["unit_id"]) <= scored
    # a copied theme names the other unit(s) of its cluster in the instruction
    copied = r[r["item_key"] == "theme:copied"]
    assert len(copied) and copied["instruction"].str.contains("当前主题与.+雷同").all()


def test_due_date_without_a_next_round():
    last = CFG.rounds_in_order()[-1]
    assert due_date(CFG, last.id) == date.fromordinal(last.as_of.toordinal() + CFG.act.due_days)


def _ctx(month="8月"):
    return rule_context(
        CFG.scoring,
        CFG.act.items,
        ["开展群众评议", "召开动员大会"],
        ["整改台账", "会议记录"],
        month,
    )


def _ind(**kw):
    base = {
        "unit_id": "U1",
        "materials_missing": "",
        "materials_present": 2,
        "materials_quality": 0.9,
        "materials_standard_share": 1,
        "materials_filed_share": 1,
        "materials_current_share": 1,
        "materials_tied_share": 1,
        "activities_n": 10,
        "formats_n": 4,
        "publicity_share": 0.5,
        "tied_share": 0.9,
        "bunching_index_shrunk": 0.0,
        "bunching_counted": True,
        "activities_in_window": 2,
        "activities_in_period": 10,
        "actions_done_due": 2,
        "last_minute_share": 0.0,
        "actions_last_minute": 0,
        "theme_missing": False,
        "theme": "聚焦加装电梯，年内完成20户",
        "theme_copies": 0,
        "theme_generic": 0.1,
        "theme_keyword": True,
        "theme_keywords": "加装电梯",
        "keywords": "加装电梯",
        "theme_cluster": pd.NA,
    }
    base.update(kw)
    return pd.DataFrame([base])


def _units(ids, scored=True):
    return pd.DataFrame(
        {
            "unit_id": ids,
            "unit_name": [f"{u}社区" for u in ids],
            "unit_type": "社区",
            "scored": scored,
        }
    )


def test_recheck_statuses_by_the_rule_that_opened_the_item():
    ctx = _ctx()
    acts7 = pd.DataFrame(
        {
            "unit_id": ["U1", "U1"],
            "action": ["开展群众评议", "召开动员大会"],
            "status": ["未开始", "未开始"],
        }
    )
    ind7 = _ind(materials_missing="整改台账", materials_quality=0.2, publicity_share=0.0)
    f7 = facts_table(ind7, acts7, _ctx("7月"))
    r7 = rectification_table(f7, _units(["U1"]), "2026-07", date(2026, 8, 25))
    assert set(r7["item_key"]) == {
        "action:开展群众评议",
        "action:召开动员大会",
        "materials:整改台账",
        "materials:quality",
        "publicity:none",
    }
    acts8 = pd.DataFrame(
        {
            "unit_id": ["U1", "U1"],
            "action": ["开展群众评议", "召开动员大会"],
            "status": ["已完成", "进行中"],
        }
    )
    ind8 = _ind(
        materials_missing="",
        materials_quality=0.45,
        publicity_share=0.0,
        theme_keyword=False,
        theme_keywords="",
    )
    f8 = facts_table(ind8, acts8, ctx)
    r8 = rectification_table(f8, _units(["U1"]), "2026-08", date(2026, 9, 30), r7, 0.5).set_index(
        "item_key"
    )
    assert r8.loc["action:开展群众评议", "status"] == "fixed"
    assert r8.loc["action:召开动员大会", "status"] == "partly_fixed"
    assert r8.loc["materials:整改台账", "status"] == "fixed"
    assert (
        r8.loc["materials:整改台账", "status_evidence"]
        == "7月缺整改台账；8月已有整改台账，已整改到位"
    )
    assert r8.loc["materials:quality", "status"] == "partly_fixed"  # gap 0.4 → 0.15
    assert r8.loc["publicity:none", "status"] == "not_fixed"
    assert r8.loc["theme:no_keyword", "status"] == "new"
    assert (r8["opened_round"].drop("theme:no_keyword") == "2026-07").all()
    # the unit sends nothing usable next time: every open item is not_checkable, never guessed
    r9 = rectification_table(
        f8.iloc[0:0], _units(["U1"], scored=False), "2026-09", date(2026, 10, 30), r8.reset_index()
    )
    assert (
        set(r9["status"]) == {"not_checkable"}
        and r9["status_evidence"].str.contains("无法复查").all()
    )
    assert "action:开展群众评议" not in set(r9["item_key"])  # fixed items are not carried
    v = weakness_verdicts(r8.reset_index()).set_index("weakness")["verdict"]
    assert v["uneven_progress"] == "not_fixed" and v["weak_basics"] == "not_fixed"
    rates = fixing_rates(r8.reset_index(), pd.DataFrame({"unit_id": ["U1"]}))
    d = rates[rates["scope"] == "district"].iloc[0]
    assert (d["carried"], d["fixed"], d["checkable"], d["new"]) == (5, 2, 5, 1)
    assert d["fix_rate"] == pytest.approx(0.4)
    assert set(rates["scope"]) == {"district", "unit_type", "weakness", "unit", "previous_notice"}


def test_grade_bands_and_boundary():
    g = ActGrades()
    assert [band(x, g.cuts) for x in (90, 85, 84.9, 60, 44)] == [1, 1, 2, 3, 5]
    s = pd.DataFrame(
        {
            "unit_id": list("abcd"),
            "scored": True,
            "overall": [90.0, 80.0, 61.0, 30.0],
            "rank_p05": [1, 1, 3, 4],
            "rank_p95": [1, 3, 3, 4],
        }
    )
    out = grade_columns(s, g).set_index("unit_id")
    assert list(out["grade_label"]) == ["五星", "四星", "三星", "一星"]
    assert list(out["grade_uncertain"]) == [False, True, False, False]
    assert (
        out.loc["b", "grade_note"] == BOUNDARY_NOTE and out.loc["b", "grade_range"] == "五星—三星"
    )


def _scores(n=40):
    rows = []
    for i in range(n):
        rows.append(
            {
                "unit_id": f"U{i:02d}",
                "unit_name": f"单位{i}",
                "unit_type": "社区",
                "scored": True,
                "overall": 100.0 - 2 * i,
                "rank_in_type": i + 1,
                "rank_unstable": False,
                "grade_uncertain": False,
                "flags": "",
                "n_flags": 0,
                **dict.fromkeys(
                    ["uneven_progress", "weak_basics", "unclear_theme", "shallow_understanding"],
                    10.0,
                ),
            }
        )
    s = pd.DataFrame(rows)
    s["grade"] = [band(x, ActGrades().cuts) for x in s["overall"]]
    s["grade_label"] = s["grade"].map(dict(enumerate(ActGrades().labels, 1)))
    return s


def test_notice_names_few_and_never_on_uncertainty_alone():
    s = _scores(40)
    worst = s.index[-6:]
    s.loc[worst, ["flags", "n_flags"]] = ["weak_basics,unclear_theme", 2]
    units = s.assign(submitted=True, reporting="on_time", expected=True)
    n = build_notice(s, units, Notice(max_share=0.05, max_per_type=3), lowest_grade=5)
    assert set(n["unit_id"]) == {"U39", "U38"}  # ⌈0.05 × 40⌉ = 2, the worst
    assert n["reason"].str.contains("2项不足超过预警线").all()
    # lowest grade but uncertain and unstable, no flags: never named
    s2 = _scores(40)
    low = s2["grade"] == 5
    s2.loc[low, ["rank_unstable", "grade_uncertain"]] = [True, True]
    n2 = build_notice(s2, s2.assign(submitted=True, reporting="on_time"), Notice(), lowest_grade=5)
    assert n2.empty
    # every missing unit and (name_late) every late unit is named, unbounded
    units3 = units.copy()
    units3.loc[units3.index[:5], "submitted"] = False
    units3.loc[units3.index[5:9], "reporting"] = "late"
    n3 = build_notice(
        s[s["unit_id"].isin(units3.loc[units3["submitted"], "unit_id"])],
        units3,
        Notice(),
        deadline_text="7月18日",
        lowest_grade=5,
        unusable={"U00": "文件已加密"},
    )
    assert (n3["basis"] == "not_reported").sum() == 5 and (n3["basis"] == "late").sum() == 4
    assert (
        n3.loc[n3["unit_id"] == "U00", "reason"]
        .iloc[0]
        .startswith("截至7月18日报送的报表无法使用（文件已加密）")
    )
    n4 = build_notice(s, units3.assign(submitted=True), Notice(name_late=False), lowest_grade=5)
    assert (n4["basis"] == "late").sum() == 0


def test_act_tables_second_round_and_exemplary(first):
    tables, _, out = first
    t2 = {k: v.copy() for k, v in tables.items()}
    a = t2["actions"]
    t2["actions"] = a.assign(status="已完成", done_date=pd.Timestamp("2026-08-01"))
    second = score_tables(
        t2,
        CFG,
        NEXT,
        out["scores"],
        {"rectification": out["rectification"], "notice": out["notice"]},
    )
    r = second["rectification"]
    acts = r[r["item_key"].str.startswith("action:") & (r["opened_round"] == ROUND)]
    assert len(acts) and (acts["status"] == "fixed").all()
    assert acts["status_evidence"].str.contains("状态：已完成").all()
    assert set(r["status"]) <= {"new", "fixed", "partly_fixed", "not_fixed", "not_checkable"}
    rates = second["rectification_rates"]
    assert "previous_notice" in set(rates["scope"]) or out["notice"].empty
    ex = second["exemplary"]
    s = second["scores"].set_index("unit_id")
    assert len(ex) and (s.loc[ex["unit_id"], "n_flags"] == 0).all()
    assert (~s.loc[ex["unit_id"], "rank_unstable"]).all()
    assert ex.groupby("unit_type")["unit_id"].nunique().le(CFG.act.exemplary.per_type).all()
    assert set(ex["practice_kind"]) <= {"activity", "theme", "materials"}
    direct = act_tables(t2, second, CFG, NEXT, {"rectification": out["rectification"]})
    assert set(direct) == {"scores", "notice", "rectification", "rectification_rates", "exemplary"}


def test_every_code_has_a_chinese_label():
    from pipeline.act.codes import ACT_CODES
    from pipeline.act.items import key_label

    assert set(ACT_CODES["rectification.status"]) == {
        "new",
        "fixed",
        "partly_fixed",
        "not_fixed",
        "not_checkable",
    }
    assert set(ACT_CODES["notice.basis"]) == {"performance", "not_reported", "late"}
    for label in (v for m in ACT_CODES.values() for v in m.values()):
        assert any("\u4e00" <= ch <= "\u9fff" for ch in label)
    assert (
        key_label("action:召开动员大会") == "规定动作未完成"
        and key_label("materials:整改台账") == "基础资料缺项"
    )


def test_quoted_practices_and_items_stay_inert_in_pages():
    from pipeline.report.act_frames import exemplary_frame, unit_items_frame
    from pipeline.report.display import html_table

    evil = '<script>alert(1)</script>=HYPERLINK("x")'
    ex = pd.DataFrame(
        {
            "unit_id": ["U1"],
            "unit_name": ["某社区"],
            "unit_type": ["社区"],
            "rank_in_type": [1],
            "overall": [90.0],
            "grade_label": ["五星"],
            "practice_kind": ["activity"],
            "practice": [f"「{evil}」"],
            "source": ["活动记录"],
            "date": [pd.Timestamp("2026-07-01")],
        }
    )
    page = html_table(exemplary_frame(ex))
    assert "<script>" not in page and "&lt;script&gt;" in page
    rect = pd.DataFrame(
        {
            "unit_id": ["U1"],
            "item_key": ["theme:copied"],
            "weakness": ["unclear_theme"],
            "item_label": ["活动主题与其他单位雷同"],
            "instruction": ["重新提炼活动主题"],
            "status": ["new"],
            "status_label": ["新发现"],
            "status_evidence": [f"7月主题「{evil}」"],
            "due_date": [pd.Timestamp("2026-08-25")],
        }
    )
    page = html_table(unit_items_frame(rect, "U1"))
    assert "<script>" not in page and "&lt;script&gt;" in page
