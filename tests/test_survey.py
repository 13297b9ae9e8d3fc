"""Residents' survey: reading, row checks and ledger, intervals, comparisons."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.config import config_from_dict
from pipeline.roster import read_roster_frame
from pipeline.survey import satisfaction_table, survey_tables, wilson
from pipeline.survey.anonymise import anonymise
from pipeline.survey.compare import paper_vs_residents, self_report_check

REPO = Path(__file__).resolve().parents[1]


def _roster() -> pd.DataFrame:
    return read_roster_frame(
        pd.DataFrame(
            {
                "单位编码": ["SQ01", "SQ02", "CUN1", "JD01"],
                "单位名称": ["太平社区", "新桥社区", "金家村", "清香坪街道"],
                "别名": ["太平居委会", None, None, None],
                "单位类型": ["社区", "社区", "村", "街道"],
            }
        )
    )


def _config(tmp_path: Path, extra: dict | None = None):
    import tomllib

    data = tomllib.loads((REPO / "scorecard.toml").read_text(encoding="utf-8"))
    data.update(extra or {})
    return config_from_dict(data, tmp_path)


HEADER = [
    "问卷编号",
    "单位名称",
    "填报时间",
    "总体评价",
    "服务群众",
    "活动成效",
    "意见建议",
    "联系电话",
]


def _write(tmp_path: Path, rows: list[list], name: str = "paper.xlsx") -> list[tuple[Path, str]]:
    path = tmp_path / name
    pd.DataFrame(rows, columns=HEADER).to_excel(path, index=False)
    return [(path, name)]


def test_bad_rows_give_one_finding_each_and_the_ledger_balances(tmp_path: Path) -> None:
    good = [
        [
            f"P{i:03d}",
            "太平社区",
            f"2026-07-10 09:{i:02d}:00",
            "满意",
            "满意",
            "基本满意",
            "",
            "13800000000",
        ]
        for i in range(8)
    ]
    bad = [
        [
            "P100",
            "清香平街道",
            "2026-07-10 10:00:00",
            "满意",
            "满意",
            "满意",
            "",
            "",
        ],  # misspelt unit
        [
            "P003",
            "新桥社区",
            "2026-07-10 10:01:00",
            "不满意",
            "满意",
            "满意",
            "",
            "",
        ],  # duplicated respondent id
        ["P101", "新桥社区", "2026-07-10 10:02:00", None, "满意", "满意", "", ""],  # empty answer
        [
            "P102",
            "新桥社区",
            "2026-07-10 10:03:00",
            "很好",
            "满意",
            "满意",
            "",
            "",
        ],  # unknown answer label
    ]
    files = _write(tmp_path, good + bad)
    t = survey_tables(files, _roster(), _config(tmp_path))
    f = t["survey_findings"]
    codes = f["code"].value_counts().to_dict()
    assert codes == {
        "survey_unit_near_miss": 1,
        "survey_duplicate_id": 1,
        "survey_empty_answer": 1,
        "survey_bad_answer": 1,
    }, f[["code", "cell", "message"]]
    assert set(f["cell"]) == {"B10", "A11", "D12", "D13"}
    led = t["survey_ledger"].iloc[0]
    assert (led["rows_read"], led["rows_kept"], led["rows_set_aside"]) == (12, 8, 4)
    assert led["rows_read"] == led["rows_kept"] + led["rows_set_aside"]
    # the near miss is never merged: the candidate is named, the row is not counted for 太平社区
    near = f[f["code"] == "survey_unit_near_miss"].iloc[0]
    assert "清香坪街道" in near["message"] and pd.isna(near["unit_id"])
    sat = t["satisfaction"].set_index("unit_id")
    assert int(sat.loc["SQ01", "respondents"]) == 8
    # no phone number reaches any table
    for df in t.values():
        assert not df.astype(str).apply(lambda c: c.str.contains("13800000000")).any().any()


def test_identical_rows_within_seconds_are_one_response(tmp_path: Path) -> None:
    rows = [
        ["", "新桥社区", "2026-07-10 10:00:00", "满意", "满意", "满意", "好", ""],
        ["", "新桥社区", "2026-07-10 10:00:04", "满意", "满意", "满意", "好", ""],
        ["", "新桥社区", "2026-07-10 10:30:00", "满意", "满意", "满意", "好", ""],
    ]
    t = survey_tables(_write(tmp_path, rows), _roster(), _config(tmp_path))
    assert t["survey_findings"]["code"].tolist() == ["survey_duplicate_row"]
    led = t["survey_ledger"].iloc[0]
    assert (led["rows_read"], led["rows_kept"], led["rows_set_aside"]) == (3, 2, 1)


def test_a_configured_layout_is_read_without_code(tmp_path: Path) -> None:
    layout = {
        "name": "问卷星",
        "scale": "five_point",
        "respondent_id": "序号",
        "unit": "1.您所在的单位",
        "submitted_at": "提交答卷时间",
        "overall": "2.总体评价",
        "answers": ["2.总体评价"],
        "comments": ["3.意见"],
    }
    cfg = _config(tmp_path, {"survey": {"layouts": [layout]}})
    df = pd.DataFrame(
        {
            "序号": [1, 2, 3],
            "提交答卷时间": ["2026/7/1 8:00:00"] * 3,
            "1.您所在的单位": ["A. 太平社区", "SQ02", "金家村村民委员会"],
            "2.总体评价": [5, "3", "非常满意"],
            "3.意见": ["", "", ""],
            "6.姓名": ["张三", "李四", "王五"],
        }
    )
    path = tmp_path / "wjx.xlsx"
    df.to_excel(path, index=False)
    t = survey_tables([(path, "wjx.xlsx")], _roster(), cfg)
    assert t["survey_findings"].empty
    r = t["survey_responses"]
    assert r["unit_id"].tolist() == ["SQ01", "SQ02", "CUN1"]
    assert r["satisfied"].tolist() == [True, False, True]
    assert "张三" not in r.astype(str).to_string()


def test_wilson_interval_and_shrinkage() -> None:
    lo, hi = wilson(np.array([8]), np.array([10]))
    assert lo[0] == pytest.approx(0.4902, abs=1e-3) and hi[0] == pytest.approx(0.9433, abs=1e-3)
    resp = pd.DataFrame(
        {
            "unit_id": ["A"] * 3 + ["B"] * 40,
            "answered": True,
            "satisfied": [False] * 3 + [True] * 36 + [False] * 4,
            "score": 50.0,
            "has_comment": False,
        }
    )
    roster = pd.DataFrame(
        {"unit_id": ["A", "B"], "unit_name": ["a", "b"], "unit_type": "社区", "parent_id": None}
    )
    s = satisfaction_table(resp, roster, min_respondents=10).set_index("unit_id")
    assert s.loc["A", "status"] == "样本不足" and pd.isna(s.loc["A", "rank"])
    assert (
        s.loc["A", "rate"] == 0 and s.loc["A", "rate_shrunk"] > 0.5
    )  # 3 answers say little: pulled to the district
    assert int(s.loc["B", "rank"]) == 1


def test_self_report_and_quadrants() -> None:
    sat = pd.DataFrame(
        {
            "unit_id": ["A", "B"],
            "enough": True,
            "rate": [0.5, 0.9],
            "rate_low": [0.35, 0.8],
            "rate_high": [0.65, 0.96],
            "rate_shrunk": [0.52, 0.89],
            "answered": [40, 40],
            "district_rate": 0.8,
        }
    )
    ev = pd.DataFrame(
        {
            "unit_id": ["A", "B"],
            "file": ["a.xlsx", "b.xlsx"],
            "sheet": "群众评价",
            "row": 3,
            "surveyed": [100, 100],
            "satisfied": [90, 80],
            "basically_satisfied": [8, 10],
            "dissatisfied": [2, 10],
        }
    )
    checked, found = self_report_check(ev, sat, 0.1)
    assert found["unit_id"].tolist() == ["A"] and checked["overstated"].tolist() == [True, False]
    assert "98%" in found["message"].iloc[0] and "50%" in found["message"].iloc[0]
    scores = pd.DataFrame(
        {
            "unit_id": ["A", "B"],
            "unit_name": ["a", "b"],
            "unit_type": "社区",
            "scored": True,
            "overall": [90.0, 40.0],
            "rank": [1, 2],
        }
    )
    pv = paper_vs_residents(scores, sat).set_index("unit_id")
    assert pv.loc["A", "verdict"] == "paper_strong_residents_unhappy"
    assert pv.loc["A", "quadrant"] == "报表好·群众不满意"
    assert pv.loc["B", "quadrant"] == "报表弱·群众满意"


def test_anonymise_masks_phones_and_names() -> None:
    text = anonymise("我叫张小明，电话13912345678，王阿姨说路灯坏了", limit=80)
    assert "13912345678" not in text and "张小明" not in text and "王阿姨" not in text


# --- the demo district: planted truth recovered ---------------------------------------------


@pytest.fixture(scope="module")
def demo_survey(demo_scored, tmp_path_factory: pytest.TempPathFactory):
    """Both demo rounds' survey tables, computed in a copy of the scored processed folders."""
    import shutil

    from pipeline.survey.run import compare_round, survey_round

    out = {}
    for r in demo_scored.rounds_in_order():
        folder = tmp_path_factory.mktemp(f"survey-{r.id}")
        shutil.copytree(demo_scored.paths.processed_round(r.id), folder, dirs_exist_ok=True)
        res = survey_round(demo_scored, r.id, processed_dir=folder)
        assert res is not None, "the demo writes survey exports for every round"
        res.tables["paper_vs_residents"] = compare_round(demo_scored, r.id, folder)
        truth = demo_scored.paths.raw.parent / "truth" / r.id
        out[r.id] = (
            res.tables,
            pd.read_parquet(truth / "survey_units.parquet"),
            pd.read_parquet(truth / "survey_rows.parquet"),
        )
    return out


def test_demo_strong_on_paper_residents_unhappy_found(demo_survey) -> None:
    for rid, (tables, truth, _) in demo_survey.items():
        planted = set(truth.loc[truth["residents_unhappy_planted"], "unit_id"])
        pv = tables["paper_vs_residents"]
        found = set(pv.loc[pv["verdict"] == "paper_strong_residents_unhappy", "unit_id"])
        precision = len(planted & found) / max(len(found), 1)
        recall = len(planted & found) / max(len(planted), 1)
        print(
            f"{rid}: 纸面强、群众不满意 planted {len(planted)}, found {len(found)}, "
            f"precision {precision:.2f}, recall {recall:.2f}"
        )
        assert planted, rid
        assert precision >= 0.8 and recall >= 0.8, (rid, sorted(planted), sorted(found))
        # every listed unit carries its facts: composite, rank, rate, interval, district rate
        assert (
            pv.loc[pv["verdict"] != "", "facts"]
            .str.contains("综合得分.*群众满意率.*95%区间.*全区")
            .all()
        )


def test_demo_overstated_self_reports_found(demo_survey) -> None:
    for rid, (tables, truth, _) in demo_survey.items():
        planted = set(truth.loc[truth["overstated_planted"], "unit_id"])
        f = tables["survey_findings"]
        found = set(f.loc[f["code"] == "survey_self_report_overstated", "unit_id"])
        recall = len(planted & found) / max(len(planted), 1)
        print(
            f"{rid}: overstated 群众评价 planted {len(planted)}, found {len(found)}, "
            f"recall {recall:.2f}"
        )
        assert planted and recall >= 0.8, (rid, sorted(planted), sorted(found))


def test_demo_ledger_balances_and_planted_rows_are_findings(demo_survey) -> None:
    for rid, (tables, _, rows) in demo_survey.items():
        led = tables["survey_ledger"]
        assert len(led) == 3 and set(led["layout"]) == {"纸质问卷录入表", "问卷星导出"}, rid
        assert (led["rows_read"] == led["rows_kept"] + led["rows_set_aside"]).all()
        f = tables["survey_findings"]
        aside = f[f["row_rejected"]]
        assert int(led["rows_set_aside"].sum()) == aside.groupby(["file", "row"]).ngroups
        assert int(led["rows_kept"].sum()) == len(tables["survey_responses"])
        # every planted bad row is a finding at its own Excel row (header = row 1)
        at = {
            (str(r.file), int(r.row), str(r.code))
            for r in f.dropna(subset=["row"]).itertuples(index=False)
        }
        for p in rows.itertuples(index=False):
            codes = (
                {"survey_unit_near_miss", "survey_unknown_unit"}
                if p.code == "survey_unit_misspelt"
                else {p.code}
            )
            assert any((str(p.file), int(p.data_row) + 2, c) in at for c in codes), (rid, p)
        sat = tables["satisfaction"]
        assert (sat.loc[~sat["enough"], "status"] == "样本不足").all() and sat.loc[
            ~sat["enough"], "rank"
        ].isna().all()
        # nothing personal: the tool's name and phone columns and phone numbers in comments
        # never reach a table
        for name, df in tables.items():
            for col in df.select_dtypes(include=["string", "object"]).columns:
                text = " ".join(df[col].dropna().astype(str))
                assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text), (name, col)
                assert "先生" not in text and "调查员" not in text, (name, col)


def test_ingestion_of_returns_skips_the_survey_subfolder(demo_ingested) -> None:
    from pipeline.tables import read_table

    for r in demo_ingested.rounds_in_order():
        assert (demo_ingested.paths.raw_round(r.id) / "survey").is_dir()
        subs = read_table(demo_ingested.paths.processed_round(r.id), "submissions")
        assert not subs["file"].str.startswith("survey/").any()


def test_methodology_lists_every_survey_key_with_its_default() -> None:
    from pipeline.config import Survey

    text = (REPO / "docs" / "methodology.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `survey.") and len(cells) >= 2:
            rows[cells[0].strip("`")] = cells[1]
    for key, value in Survey().model_dump().items():
        if key == "layouts":
            continue
        shown = rows[f"survey.{key}"]
        if isinstance(value, bool):
            assert shown == str(value).lower(), key
        elif isinstance(value, str):
            assert shown == (value or "(empty)"), key
        else:
            assert float(shown) == float(value), key
    # the repository's config states the same defaults
    from pipeline.config import load_config

    cfg = load_config(REPO / "scorecard.toml").survey
    assert cfg.model_dump(exclude={"layouts"}) == Survey().model_dump(exclude={"layouts"})


def test_chart_asks_for_no_font_face_the_chart_font_lacks(demo_survey, caplog) -> None:
    """The packaged CJK font has no bold face: asking for one logs a findfont warning
    into every executed notebook (the corner labels did)."""
    import logging

    from matplotlib import font_manager

    from pipeline.charts import paper_vs_residents_chart
    from pipeline.charts.svg import figure_svg

    tables, _, _ = demo_survey["2026-07"]
    font_manager.fontManager._findfont_cached.cache_clear()  # it warns once per face
    with caplog.at_level(logging.WARNING, logger="matplotlib.font_manager"):
        figure_svg(paper_vs_residents_chart(tables["paper_vs_residents"], title="全区"), "全区")
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]


def test_chart_frames_and_summary_sheets(demo_survey, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from pipeline.charts import paper_vs_residents_chart
    from pipeline.report import survey as sv
    from pipeline.report.xlsx import write_summary

    tables, _, _ = demo_survey["2026-07"]
    pv = tables["paper_vs_residents"]
    fig = paper_vs_residents_chart(pv, title="全区")
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert {"报表好·群众满意", "报表好·群众不满意", "报表弱·群众满意", "报表弱·群众不满意"} <= texts
    red = pv[pv["verdict"] == "paper_strong_residents_unhappy"]
    most = red.loc[red["disagreement"].astype(float).abs().idxmax(), "unit_name"]
    assert any(str(most)[:9] in t for t in texts)  # the clearest case is named
    few = paper_vs_residents_chart(pv, title="全区", max_labels=1)
    assert len([t for ax in few.axes for t in ax.texts]) <= 4 + 2  # corners + one per verdict
    kind = str(pv["unit_type"].iloc[0])
    assert paper_vs_residents_chart(pv, unit_type=kind).axes
    lines = sv.survey_commentary(tables)
    assert any("纸面强、群众不满意" in line for line in lines)
    comp = sv.comparison_frame(pv)
    assert set(comp["单位编码"]) == set(pv.loc[pv["verdict"] != "", "unit_id"])
    path = write_summary(tables, tmp_path / "summary.xlsx", {}, "7月调研")
    wb = load_workbook(path, read_only=True)
    assert {
        "群众满意度",
        "报表与群众评价",
        "自报与调查对比",
        "问卷核查清单",
        "问卷读取台账",
    } <= set(wb.sheetnames)
    assert sv.survey_commentary({}) == [sv.NO_SURVEY]


def test_excerpts_only_when_enabled_and_anonymised(tmp_path: Path) -> None:
    rows = [
        [
            f"P{i}",
            "新桥社区",
            f"2026-07-10 10:0{i}:00",
            "满意",
            "满意",
            "满意",
            "我叫张小明，电话13912345678，路灯坏了" if i == 0 else "",
            "",
        ]
        for i in range(3)
    ]
    files = _write(tmp_path, rows)
    off = survey_tables(files, _roster(), _config(tmp_path))
    assert off["survey_excerpts"].empty and int(off["satisfaction"]["n_comments"].iloc[0]) == 1
    on = survey_tables(files, _roster(), _config(tmp_path, {"survey": {"excerpts": True}}))
    text = on["survey_excerpts"]["excerpt"].iloc[0]
    assert "路灯坏了" in text and "13912345678" not in text and "张小明" not in text


def test_satisfaction_enters_the_composite_only_when_configured(demo_survey, demo_scored) -> None:
    from pipeline.score import score_tables
    from pipeline.score.run import INPUT_TABLES
    from pipeline.tables import read_tables

    rid = "2026-07"
    tables = read_tables(
        demo_scored.paths.processed_round(rid), [*INPUT_TABLES, "submissions"], missing_ok=True
    )
    sat = demo_survey[rid][0]["satisfaction"]
    tables["satisfaction"] = sat
    plain = score_tables(dict(tables), demo_scored, rid)
    cfg = demo_scored.model_copy(
        update={"survey": demo_scored.survey.model_copy(update={"in_composite": True})}
    )
    mixed = score_tables(dict(tables), cfg, rid)
    a = plain["scores"].set_index("unit_id")["overall"].astype(float)
    b = mixed["scores"].set_index("unit_id")["overall"].astype(float)
    s = sat[sat["enough"]].set_index("unit_id")["rate_shrunk"].astype(float)
    u = next(x for x in s.index if x in a.index and pd.notna(a[x]))
    assert b[u] == pytest.approx(0.8 * a[u] + 0.2 * 100 * s[u])
    # the returns-only composite stays in indicators, for 组织部门说好 vs 老百姓说好
    ind = mixed["indicators"].set_index("unit_id")["overall"].astype(float)
    assert ind[u] == pytest.approx(a[u])
    # the notice reasons carry the residents' view where the survey knows it
    assert plain["notice"]["reason"].str.contains("群众满意度").any()


def test_the_demo_survey_writer_does_not_import_the_survey_or_the_scorer() -> None:
    import subprocess
    import sys

    code = (
        "import sys, pipeline.demo.survey, pipeline.demo.run; "
        "bad = [m for m in sys.modules if m.startswith(('pipeline.survey', 'pipeline.score'))]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_an_unknown_unit_names_close_roster_units_but_is_not_merged(tmp_path: Path) -> None:
    rows = [["P1", "太平杜区", "2026-07-10 10:00:00", "满意", "满意", "", "", ""]]
    t = survey_tables(_write(tmp_path, rows), _roster(), _config(tmp_path))
    f = t["survey_findings"].set_index("code")
    assert "太平社区（SQ01）" in f.loc["survey_unknown_unit", "message"]
    assert f.loc["survey_item_unanswered", "message"] == "分项“活动成效”未作答，该项不计"
    assert t["survey_responses"].empty and t["satisfaction"].empty


def test_unknown_layout_and_unreadable_file_are_findings_with_rows_counted(tmp_path: Path) -> None:
    other = tmp_path / "other.xlsx"
    pd.DataFrame({"姓名": ["张三", "李四"], "意见": ["好", "不好"]}).to_excel(other, index=False)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    t = survey_tables(
        [(other, "other.xlsx"), (broken, "broken.xlsx")], _roster(), _config(tmp_path)
    )
    assert sorted(t["survey_findings"]["code"]) == ["survey_unknown_layout", "survey_unreadable"]
    led = t["survey_ledger"].set_index("file")
    assert (led.loc["other.xlsx", "rows_read"], led.loc["other.xlsx", "rows_set_aside"]) == (2, 2)
    assert "张三" not in t["survey_findings"].to_string()


def test_an_export_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    files = _write(
        tmp_path, [["P1", "太平社区", "2026-07-10 10:00:00", "满意", "满意", "满意", "", ""]]
    )
    cfg = _config(tmp_path, {"ingest": {"max_file_mb": 0.000001}})
    t = survey_tables(files, _roster(), cfg)
    assert t["survey_findings"]["code"].tolist() == ["survey_unreadable"]
    assert "max_file_mb" in t["survey_findings"]["message"].iloc[0]


def test_a_time_column_reads_as_each_cell_would_alone():
    """The vectorised column read gives every cell the time the one-cell read gives it."""
    from datetime import datetime

    from pipeline.survey.responses import _time, column_times

    cells = [
        "2026/7/15 10:23:45",
        "2026/07/05 08:00:00",
        "2026-07-15 10:23:45",
        "2026/7/15 10:23",
        "2026-07-15",
        " 2026/7/15 10:23:45 ",
        "03/04/2026",  # not year first: the one-cell read decides
        "13/04/2026",
        "2026-07-15T10:23:45+08:00",
        "2026年7月15日",
        "昨天",
        "",
        "   ",
        None,
        float("nan"),
        datetime(2026, 7, 15, 10, 23, 45),
        pd.Timestamp("2026-07-15 10:23:45", tz="Asia/Shanghai"),
        "2026/2/30 10:00:00",  # no such day
    ]
    got = column_times(cells)
    want = [_time(v) for v in cells]
    assert len(got) == len(want)
    for cell, g, w in zip(cells, got, want, strict=True):
        assert (g is None and w is None) or g == w, (cell, g, w)
    assert got[0] == pd.Timestamp("2026-07-15 10:23:45")
