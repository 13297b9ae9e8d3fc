"""score_tables / score_round end to end on synthetic tables: contract, edge cases, rounds,
notice."""

from __future__ import annotations

import pandas as pd
import pytest
from test_score_support import ROUND, config, synth_tables

from pipeline.act.run import GRADE_COLUMNS
from pipeline.config import WEAKNESSES
from pipeline.score import score_round, score_tables
from pipeline.tables import ACT_TABLES, SCORE_TABLES, read_table, write_tables

CFG = config()


@pytest.fixture(scope="module")
def scored():
    tables, labels = synth_tables(60, 4)
    return tables, labels, score_tables(tables, CFG, ROUND)


def test_scores_follow_the_data_dictionary(scored):
    _, _, out = scored
    assert set(out) == set(SCORE_TABLES) | set(ACT_TABLES)
    s = out["scores"]
    assert list(s.columns) == [
        "unit_id",
        "unit_name",
        "unit_type",
        "parent_id",
        "scored",
        "unscored_reason",
        *WEAKNESSES,
        "overall",
        "rank",
        "rank_in_type",
        "rank_median",
        "rank_p05",
        "rank_p95",
        "rank_unstable",
        "flags",
        "n_flags",
        *GRADE_COLUMNS,
    ]
    assert (
        s["rank"].dtype == "Int64" and s["overall"].dtype == "Float64" and s["scored"].dtype == bool
    )
    assert s.loc[~s["scored"], "unscored_reason"].eq("未报送报表，本轮不评分").all()
    ok = s[s["scored"]]
    assert (
        ok["n_flags"] == ok["flags"].str.split(",").map(lambda f: len([x for x in f if x]))
    ).all()
    for k in WEAKNESSES:
        assert (ok["flags"].str.contains(k) == (ok[k] >= 50)).all()
    e = out["explanations"]
    assert set(e["weakness"]) == set(WEAKNESSES) and e["order"].min() == 1
    assert e["text"].str.contains(r"应完成规定动作\d+项，已完成\d+项").any()
    assert e["text"].str.contains(r"\d+次活动中\d+次集中在检查前30天").any()
    assert e["text"].str.contains(r"活动主题与另\d+个单位雷同").any()
    c = out["theme_clusters"]
    assert (c.groupby("cluster_id").size() == c.groupby("cluster_id")["size"].first()).all()
    assert out["changes"].empty and list(out["changes"].columns)[:2] == [
        "unit_id",
        "previous_round",
    ]
    ind = out["indicators"]
    assert len(ind) == ok.shape[0] and ind["keywords"].str.len().gt(0).all()


def test_keyword_hint_in_explanations(scored):
    _, _, out = scored
    e = out["explanations"]
    assert e["text"].str.contains("主题未体现本单位业务关键词（如").any()


def test_second_round_changes_and_notice(scored):
    tables, _, first = scored
    prev = first["scores"].copy()
    prev["uneven_progress"] = 90.0
    prev["flags"] = "uneven_progress"
    out = score_tables(tables, CFG, "2026-08", previous_scores=prev)
    ch = out["changes"]
    assert len(ch) == first["scores"]["scored"].sum()
    assert (ch["previous_round"] == ROUND).all()
    cur = out["scores"].set_index("unit_id")
    still = ch.set_index("unit_id")["still_flagged"]
    for uid, val in still.items():
        assert (val == "uneven_progress") == ("uneven_progress" in cur.loc[uid, "flags"])
    merged = ch.merge(prev[["unit_id", "rank"]], on="unit_id").merge(
        out["scores"][["unit_id", "rank"]], on="unit_id"
    )
    assert (merged["rank_change"] == merged["rank_x"] - merged["rank_y"]).all()
    assert set(out["notice"]["basis"]) <= {"performance", "not_reported", "late"}


def test_edge_cases():
    tables, _ = synth_tables(8, 2)
    # nobody reported
    none = {k: v for k, v in tables.items()}
    none["units"] = tables["units"].assign(submitted=False)
    out = score_tables(none, CFG, ROUND)
    assert not out["scores"]["scored"].any() and len(out["scores"]) == 8
    assert out["explanations"].empty and out["inequality"].empty and out["rectification"].empty
    assert (out["notice"]["basis"] == "not_reported").all() and len(out["notice"]) == 8
    # one unit, no activities, no materials, no theme
    one = {k: (v[v["unit_id"] == "U00000"] if "unit_id" in v else v) for k, v in tables.items()}
    one["activities"] = one["activities"].iloc[0:0]
    one["materials"] = one["materials"].iloc[0:0]
    one["info"] = one["info"].assign(theme=pd.NA)
    out = score_tables(one, CFG, ROUND)
    s = out["scores"].iloc[0]
    assert s["scored"] and s["rank"] == 1 and s["unclear_theme"] == 100
    assert s["weak_basics"] >= 80
    assert out["explanations"]["text"].str.contains("未填写有效的活动主题").any()


def test_score_round_reads_and_writes(tmp_path, scored):
    tables, _, _ = scored
    first, second = tmp_path / "r1", tmp_path / "r2"
    write_tables({k: v for k, v in tables.items()}, first)
    write_tables({k: v for k, v in tables.items()}, second)
    r1 = score_round(CFG, ROUND, processed_dir=first)
    assert "应报单位" in r1.summary()
    for name in SCORE_TABLES:
        assert (first / f"{name}.parquet").is_file()
    r2 = score_round(CFG, "2026-08", processed_dir=second, previous_dir=first)
    assert len(read_table(second, "changes")) > 0
    assert "与上轮" in r2.summary()


def test_scorer_never_imports_the_demo_or_reads_labels():
    from pathlib import Path

    import pipeline.score as pkg

    for path in Path(pkg.__file__).parent.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert (
            "pipeline.demo" not in text and "_planted" not in text and "labels.parquet" not in text
        ), path.name
