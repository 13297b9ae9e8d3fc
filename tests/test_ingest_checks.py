"""Checks within a return, across returns of a round and across rounds (issue 14.4, 14.5).

Built like the return a reviewer described: a wrong 单位类型, a 填报日期 after the
file was received, an action 未开始 with a 完成日期, the same action twice, a
required action missing, 参加人数 99999, the same activity row twice, no members,
materials counted 0 but marked to standard and filed, evidence naming a material
the return does not hold. Each must be found on its sheet and row; a clean return
must raise none of these.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from test_ingest_support import make_config, make_return

from pipeline.form import load_form
from pipeline.ingest import ingest_round, parse_return
from pipeline.ingest.checks import participant_limits, theme_similarity

R = "2026-07"
SH = ZoneInfo("Asia/Shanghai")
NEW_CODES = {
    "unit_type_mismatch",
    "report_date_after_receipt",
    "not_started_but_dated",
    "action_missing",
    "action_repeated",
    "duplicate_row",
    "no_members",
    "implausible_count",
    "empty_claim",
    "evidence_not_found",
    "changed_since_previous",
    "late_correction",
}
DUE = [a.name for a in load_form(1).actions_due(date(2026, 5, 1), date(2026, 7, 15))]


def full_actions(
    skip: str | None = None, repeat: str | None = None, not_started_dated: str | None = None
):
    rows = []
    for i, name in enumerate(DUE, start=1):
        if name == skip:
            continue
        status, done, ev = "已完成", date(2026, 5, 1 + i), "签到表"
        if name == not_started_dated:
            status, ev = "未开始", None
        rows.append(
            [
                i,
                "第一阶段" if i <= 5 else "第二阶段",
                name,
                date(2026, 5, 1 + i),
                status,
                done,
                ev,
                "",
            ]
        )
        if name == repeat:
            rows.append(
                [i, "第二阶段", name, date(2026, 5, 1 + i), "进行中", None, None, "又写了一遍"]
            )
    return rows


def set_info(path, **values):
    wb = openpyxl.load_workbook(path)
    ws = wb["基本情况"]
    for row in ws.iter_rows():
        if row[0].value in values:
            row[1].value = values[row[0].value]
    wb.save(path)
    return path


def touch(path, when: datetime):
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def by_code(findings, code):
    return [f for f in findings if f["code"] == code]


@pytest.fixture
def cfg(tmp_path):
    return make_config(tmp_path)


def test_a_clean_full_return_raises_none_of_the_new_checks(cfg, tmp_path):
    p = make_return(tmp_path / "太平社区.xlsx", actions=full_actions())
    pr = parse_return(p, cfg, R)
    assert not {f["code"] for f in pr.finding_rows} & NEW_CODES, [
        f["message"] for f in pr.finding_rows
    ]


def test_within_a_return_every_planted_problem_is_found_where_it_is(cfg, tmp_path):
    acts = full_actions(
        skip="召开动员大会", repeat="提炼活动主题", not_started_dated="开展公开承诺"
    )
    acts[0][6] = "会议记录"  # names a material the return holds (3 份): fine
    acts[1][6] = "整改台账"  # names a material the return does not hold
    acts[5][6] = "见附件"  # names nothing
    mats = [
        ["会议记录", "3份", "是", "√", "2026.7.1", "Y", ""],
        ["承诺书", 0, "是", "是", "2026.7.1", "是", ""],
    ]
    activities = [
        [date(2026, 6, 1), "主题党日", "主题党日", 99999, "是", "有", "区级"],
        ["7月2日", "志愿服务进社区", "志愿服务", 30, "否", "无", "无"],
        ["7月2日", "志愿服务进社区", "志愿服务", 30, "否", "无", "无"],
    ]
    p = make_return(tmp_path / "太平社区.xlsx", actions=acts, materials=mats, activities=activities)
    set_info(p, 党员人数=0)
    pr = parse_return(p, cfg, R)
    f = pr.finding_rows
    nsd = by_code(f, "not_started_but_dated")
    # rows: title 1, header 2; 成立 3, 制定 4, (召开 left out), 提炼 5, 提炼 again 6, 公开承诺 7
    assert [(x["sheet"], x["row"], x["cell"]) for x in nsd] == [("规定动作", 7, "F7")]
    rep = by_code(f, "action_repeated")
    assert [(x["sheet"], x["row"], x["cell"], x["value"]) for x in rep] == [
        ("规定动作", 6, "C6", "提炼活动主题")
    ]
    miss = by_code(f, "action_missing")
    assert [x["value"] for x in miss] == ["召开动员大会"] and "召开动员大会" in miss[0]["message"]
    dup = by_code(f, "duplicate_row")
    assert [(x["sheet"], x["row"], x["row_rejected"]) for x in dup] == [("活动记录", 5, True)]
    assert [a["row"] for a in pr.records["activities"]] == [3, 4]  # kept once
    nm = by_code(f, "no_members")
    assert len(nm) == 1 and nm[0]["sheet"] == "基本情况" and nm[0]["cell"] == "B6"
    ec = by_code(f, "empty_claim")
    assert [(x["sheet"], x["cell"]) for x in ec] == [("基础资料", "B4")]
    ev = by_code(f, "evidence_not_found")
    assert sorted(x["value"] for x in ev) == ["整改台账", "见附件"]
    assert all(x["sheet"] == "规定动作" and x["cell"].startswith("G") for x in ev)
    assert all(x["severity"] == "warning" for x in nsd + rep + miss + dup + nm + ec + ev)


def test_round_checks_type_receipt_and_counts(cfg):
    raw = cfg.paths.raw_round(R)
    p = make_return(
        raw / "太平社区.xlsx",
        actions=full_actions(),
        report_date=date(2026, 7, 17),
        activities=[
            [date(2026, 6, 1), "主题党日", "主题党日", 99999, "是", "有", "区级"],
            ["7月2日", "志愿服务进社区", "志愿服务", 30, "否", "无", "无"],
        ],
    )
    set_info(p, 单位类型="村")
    touch(p, datetime(2026, 7, 16, 10, 0, tzinfo=SH))  # received a day before its 填报日期
    clean = touch(
        make_return(
            raw / "河门口街道.xlsx",
            unit_name="河门口街道",
            actions=full_actions(),
            report_date=date(2026, 7, 15),
        ),
        datetime(2026, 7, 16, 10, 0, tzinfo=SH),
    )
    set_info(clean, 单位类型="街道")
    res = ingest_round(cfg, R, jobs=1, progress=False)
    f = res.tables["findings"]
    mine = f[f["file"] == "太平社区.xlsx"]
    t = mine[mine["code"] == "unit_type_mismatch"].iloc[0]
    assert (t["sheet"], t["cell"], t["value"]) == ("基本情况", "B4", "村") and "社区" in t[
        "message"
    ]
    r = mine[mine["code"] == "report_date_after_receipt"].iloc[0]
    assert (r["sheet"], r["cell"]) == ("基本情况", "B7") and "2026-07-16 10:00" in r["message"]
    c = mine[mine["code"] == "implausible_count"].iloc[0]
    assert (c["sheet"], c["row"], c["cell"], c["value"]) == ("活动记录", 3, "D3", "99999")
    assert not set(f.loc[f["file"] == "河门口街道.xlsx", "code"]) & NEW_CODES


def test_the_participants_rule_is_robust_and_per_type():
    import pandas as pd

    rows = pd.DataFrame(
        {
            "unit_type": ["社区"] * 30 + ["企业"] * 30,
            "participants": [20 + i for i in range(30)] + [400 + 10 * i for i in range(30)],
        }
    )
    lim = participant_limits(rows, k=3, floor=100, min_rows=20)
    assert (
        100 <= lim["社区"] < 150 and lim["企业"] > 700
    )  # a big enterprise's day is not a community's
    few = participant_limits(rows.iloc[:35], k=3, floor=100, min_rows=20)
    assert few["企业"] == few["社区"] or few["企业"] >= 100  # 5 rows only: the district's rule


def test_across_rounds_members_materials_and_theme(cfg):
    july = cfg.paths.raw_round("2026-07")
    make_return(
        july / "太平社区.xlsx",
        actions=full_actions(),
        theme="党建引领促和谐",
        materials=[["会议记录", 3, "是", "是", "2026.7.1", "是", ""]],
    )
    set_info(july / "太平社区.xlsx", 党员人数=9)
    make_return(
        july / "河门口街道.xlsx",
        unit_name="河门口街道",
        actions=full_actions(),
        theme="红色引擎聚合力",
    )
    set_info(july / "河门口街道.xlsx", 单位类型="街道", 党员人数=120)
    ingest_round(cfg, "2026-07", jobs=1, progress=False)
    aug = cfg.paths.raw_round("2026-08")
    make_return(
        aug / "太平社区.xlsx",
        actions=full_actions(),
        theme="服务群众零距离",
        report_date=date(2026, 8, 20),
        materials=[["会议记录", 40, "是", "是", "2026.8.1", "是", ""]],
    )
    set_info(aug / "太平社区.xlsx", 党员人数=80)
    make_return(
        aug / "河门口街道.xlsx",
        unit_name="河门口街道",
        actions=full_actions(),
        theme="红色引擎聚合力量",
        report_date=date(2026, 8, 20),
    )
    set_info(aug / "河门口街道.xlsx", 单位类型="街道", 党员人数=126)
    res = ingest_round(cfg, "2026-08", jobs=1, progress=False)
    f = res.tables["findings"]
    moved = f[(f["code"] == "changed_since_previous")]
    assert set(moved["file"]) == {"太平社区.xlsx"}
    msgs = " ".join(moved["message"])
    assert "9 变为本轮的 80" in msgs and "3 变为本轮的 40" in msgs and "党建引领促和谐" in msgs
    assert set(moved["column"]) == {"党员人数", "基础资料份数合计", "活动主题"}
    assert theme_similarity("红色引擎聚合力", "红色引擎聚合力量") > 0.8
