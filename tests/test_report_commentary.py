"""Commentary builders and display frames: Chinese sentences computed from the tables."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from pipeline.report import commentary as cm
from pipeline.report import frames
from pipeline.tables import read_tables
from tests.report_fixtures import make_district

TH = {"uneven_progress": 50, "weak_basics": 50, "unclear_theme": 50, "shallow_understanding": 50}


@pytest.fixture(scope="module")
def t(tmp_path_factory):
    config = make_district(tmp_path_factory.mktemp("commentary"), n_units=8, evil=False)
    return read_tables(config.paths.processed_round("2026-08"))


def _scores(values: list[list[float]], types: list[str] | None = None) -> pd.DataFrame:
    n = len(values)
    df = pd.DataFrame(values, columns=list(TH))
    df.insert(0, "unit_id", [f"U{i}" for i in range(n)])
    df.insert(1, "unit_name", [f"单位{i}" for i in range(n)])
    df.insert(2, "unit_type", types or ["社区"] * n)
    df["scored"] = True
    df["unscored_reason"] = None
    df["overall"] = 100 - df[list(TH)].mean(axis=1)
    df["rank"] = df["overall"].rank(ascending=False).astype(int)
    df["rank_in_type"] = df.groupby("unit_type")["overall"].rank(ascending=False).astype(int)
    df["rank_p05"] = df["rank"].astype(float)
    df["rank_p95"] = df["rank"].astype(float) + 1
    df["rank_unstable"] = False
    df["flags"] = [",".join(k for k in TH if r[k] >= 50) for _, r in df.iterrows()]
    df["n_flags"] = [len([x for x in f.split(",") if x]) for f in df["flags"]]
    return df


def test_completeness_counts_and_missing_units(t):
    lines = cm.completeness_commentary(t["completeness"], t["units"])
    assert lines[0] == "全区应报8个单位，已报7个，报送率88%；其中按时6个，迟报1个，未报1个。"
    assert any(line.startswith("尚未报送：区级部门单位08") for line in lines)
    assert any("报送率最低的是区级部门（50%）" in line for line in lines)


def test_weakness_commentary_names_most_common_weakness():
    s = _scores([[80, 10, 10, 10], [70, 60, 10, 10], [20, 10, 10, 10]])
    lines = cm.weakness_commentary(s, TH)
    assert "“进展不平衡”最为普遍：2个单位达到预警线（67%）" in lines[0]
    assert "基础较薄弱1个" in lines[1]
    assert lines[2].startswith("1个单位同时有两项及以上不足")


def test_ranking_commentary_top_bottom_and_stability():
    s = _scores([[10, 10, 10, 10], [50, 50, 50, 50], [90, 90, 90, 90]])
    lines = cm.ranking_commentary(s, top=1)
    assert lines[0] == "综合得分前1名：单位0；后1名：单位2。"
    assert "基本稳定" in lines[1]
    s.loc[0, "rank_unstable"] = True
    assert cm.ranking_commentary(s)[1].startswith("1个单位的排名区间较宽")


def test_inequality_commentary_says_where_the_gap_is(t):
    lines = cm.inequality_commentary(t["inequality"])
    assert "泰尔指数为0.080" in lines[0] and "平均进度为62%" in lines[0]
    assert "25%来自类型之间" in lines[1] and "同类单位内部" in lines[1]


def test_unit_commentary_ranks_flags_and_gap_to_peers():
    s = _scores([[90, 10, 10, 10], [10, 10, 10, 10], [20, 10, 10, 10]])
    lines = cm.unit_commentary(s, "U0", TH)
    assert lines[0].startswith("单位0（社区）综合得分") and "全区第3名（共3个）" in lines[0]
    assert "名次在第3至第4名之间" in lines[1]
    assert lines[2] == "达到预警线的不足：进展不平衡。"
    assert "进展不平衡（90，同类中位数20）" in lines[3]


def test_unit_commentary_unscored_unit():
    s = _scores([[10, 10, 10, 10]])
    s["scored"] = False
    s["unscored_reason"] = "未报送"
    assert cm.unit_commentary(s, "U0", TH) == ["单位0本轮未评分：未报送。"]


def test_changes_theme_timeline_notice_findings(t):
    assert "个单位综合得分上升" in cm.changes_commentary(t["changes"], "7月调研")[0]
    assert cm.changes_commentary(pd.DataFrame()) == ["没有上一轮数据，本轮不做前后比较。"]
    assert "坚持党建引领推动高质量发展" in cm.theme_commentary(t["theme_clusters"])[0]
    acts = pd.DataFrame(
        {
            "unit_id": ["A"] * 4,
            "date": pd.to_datetime(["2026-08-27", "2026-08-20", "2026-08-10", "2026-05-01"]),
        }
    )
    line = cm.timeline_commentary(acts, date(2026, 8, 28), 30)[0]
    assert line.startswith("全区共4次活动，其中75%集中在截止前30天内。") and "迎检突击" in line
    assert cm.notice_commentary(pd.DataFrame()) == ["本轮没有单位列入通报名单。"]
    f = cm.findings_commentary(t["findings"], "U001")
    assert f == ["报表中发现1处填报差错：1处错误（该数据未被采用，请改正后重新报送），0处需核实。"]


def test_type_commentary_compares_with_district():
    s = _scores(
        [[10, 10, 10, 10], [90, 90, 10, 10], [50, 60, 10, 10]], types=["村", "社区", "社区"]
    )
    lines = cm.type_commentary(s, "社区", TH)
    assert "社区类共2个应报单位" in lines[0] and "低于全区平均" in lines[0]
    assert "“基础较薄弱”" in lines[1]


def test_frames_have_chinese_headers(t):
    r = frames.ranking_frame(t["scores"])
    assert list(r.columns[:4]) == ["排名", "类型内排名", "单位编码", "单位名称"]
    assert r["排名"].is_monotonic_increasing
    assert frames.flags_text("weak_basics,unclear_theme") == "基础较薄弱、主题不鲜明"
    m = frames.missing_late_frame(t["units"])
    assert set(m["报送情况"]) == {"迟报", "未报送"}
    assert list(frames.findings_frame(t["findings"], "U001")["级别"]) == ["错误"]
    values, col, label = frames.progress_values(t["scores"], t["indicators"])
    assert len(values) == 7
    assert col == "progress_share" and label == "规定动作完成进度（%）"
    _values, col, _ = frames.progress_values(t["scores"], pd.DataFrame())
    assert col == "uneven_progress"


def test_completeness_for_one_unit_type(t):
    units = t["units"][t["units"]["unit_type"] == "区级部门"]
    lines = cm.completeness_commentary(t["completeness"], units, unit_type="区级部门")
    assert lines[0].startswith("区级部门类应报2个单位，已报1个，报送率50%")
    assert not any("报送率最低" in line for line in lines)


def test_findings_by_unit_counts_errors_first(t):
    f = frames.findings_by_unit_frame(t["findings"], t["units"])
    assert list(f.columns) == ["单位编码", "单位名称", "错误", "需核实", "最常见的差错"]
    assert f.iloc[0]["单位编码"] == "U001" and f.iloc[0]["错误"] == 1
    assert f["需核实"].sum() == 2
