"""Theme similarity: the reference table, top-k search, clusters, specificity."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipeline.score.measures import bunching
from pipeline.score.theme import (
    has_target,
    keyword_hits,
    normalise_theme,
    tfidf_cosine,
    theme_measures,
    top_neighbours,
    vectoriser,
)
from pipeline.score.understanding import understanding_measures

T0 = "坚持党建引领，推动高质量发展"
T = [
    T0,
    T0 + "！",
    "党建引领促发展，凝心聚力谱新篇",
    "以“红色网格”为抓手，年内完成120户老旧小区加装电梯",
    "聚焦乡村振兴，2024年村集体经济收入突破50万元",
    "坚持党建引领推动社区高质量发展",
]


def test_reference_similarity_table():
    s = tfidf_cosine(T)
    assert s[0, 1] == pytest.approx(1.0, abs=1e-4)
    assert s[0, 5] == pytest.approx(0.6737, abs=1e-4)
    assert s[0, 2] == pytest.approx(0.1396, abs=1e-4)
    assert s[3, 4] == pytest.approx(0.0151, abs=1e-4)


def test_normalise_theme():
    assert normalise_theme("  坚持 党建引领，推动高质量发展！ ") == "坚持党建引领推动高质量发展"
    assert normalise_theme("ＡＢＣ１２３") == "ABC123"  # NFKC folds full-width
    assert normalise_theme(None) == "" and normalise_theme(float("nan")) == ""


def test_specificity():
    assert has_target(normalise_theme(T[3])) and has_target(normalise_theme(T[4]))
    assert not has_target(normalise_theme(T0))
    assert not has_target("三个集中见成效")  # a slogan's numeral is not a target
    assert has_target("年底前办好三件实事") and has_target("新增就业两百户")
    assert keyword_hits(normalise_theme(T[3]), ["加装电梯", "物业"]) == ["加装电梯"]
    assert keyword_hits("abc", None) == []


def test_top_neighbours_matches_brute_force():
    rng = np.random.default_rng(0)
    chars = list("党建引领推动社区高质量发展服务群众乡村振兴集体经济电梯网格")
    texts = ["".join(rng.choice(chars, size=rng.integers(4, 12))) for _ in range(120)]
    x = vectoriser().fit_transform(texts)
    full = (x @ x.T).toarray()
    np.fill_diagonal(full, -1)
    _, sim = top_neighbours(x, 3, chunk_cells=500)  # many small chunks
    assert sim[:, 0] == pytest.approx(full.max(axis=1), abs=1e-5)
    assert np.all(np.diff(sim, axis=1) <= 1e-6)
    assert sim[:, 2] == pytest.approx(np.sort(full, axis=1)[:, -3], abs=1e-5)
    i1, s1 = top_neighbours(x[:1], 3)
    assert (i1 == -1).all() and (s1 == 0).all()


def test_theme_measures_clusters_and_index():
    units = pd.DataFrame(
        {
            "unit_id": ["a", "b", "c", "d", "e", "f", "g"],
            "theme": [T0, T0 + "！", "坚持党建引领，推动高质量发展。", T[3], T[4], "无", None],
            "keywords": [["党建"], [], [], ["加装电梯"], ["集体经济"], [], []],
        }
    )
    m, clusters = theme_measures(
        units, ["坚持党建引领推动高质量发展"], copy_cosine=0.9, neighbours=3
    )
    assert list(clusters["unit_id"]) == ["a", "b", "c"] and set(clusters["size"]) == {3}
    assert list(m["theme_copies"]) == [2, 2, 2, 0, 0, 0, 0]
    assert m.loc[5, "theme_missing"] and m.loc[6, "theme_missing"]
    assert m.loc[5, "unclear_theme"] == 100 and m.loc[6, "unclear_theme"] == 100
    assert m.loc[3, "unclear_theme"] < 20 and m.loc[4, "unclear_theme"] < 20
    assert m.loc[1, "unclear_theme"] > 90
    assert m.loc[0, "theme_generic"] == pytest.approx(1.0, abs=1e-4)


def test_vectorised_bunching_matches_reference_function():
    rng = np.random.default_rng(5)
    start, end = date(2026, 5, 1), date(2026, 7, 19)
    span = (end - start).days
    rows = []
    for u in range(30):
        for _ in range(int(rng.integers(0, 15))):
            rows.append(
                {
                    "unit_id": f"u{u:02d}",
                    "date": pd.Timestamp(start) + pd.Timedelta(days=int(rng.integers(0, span + 1))),
                    "tied_to_work": True,
                }
            )
    acts = pd.DataFrame(rows)
    units = pd.DataFrame({"unit_id": [f"u{u:02d}" for u in range(30)]})
    m = understanding_measures(
        units,
        acts,
        pd.DataFrame(columns=["unit_id", "action", "status", "done_date"]),
        [],
        start,
        end,
        30,
        5,
        4,
        7,
    )
    for i, uid in enumerate(units["unit_id"]):
        b = bunching(
            acts.loc[acts["unit_id"] == uid, "date"] if len(acts) else [], start, end, 30, 5
        )
        assert m.loc[i, "activities_in_period"] == b.n and m.loc[i, "activities_in_window"] == b.n_w
        assert m.loc[i, "month_entropy"] == pytest.approx(b.entropy)
        assert m.loc[i, "month_coverage"] == pytest.approx(b.coverage)
        assert m.loc[i, "deadline_share_shrunk"] == pytest.approx(b.ds_shrunk)
        if b.n:
            assert m.loc[i, "bunching_p"] == pytest.approx(b.p)
            assert m.loc[i, "heaping_ratio"] == pytest.approx(b.hr)


def test_candidate_search_close_to_exact():
    rng = np.random.default_rng(1)
    kws = [
        "加装电梯",
        "网格治理",
        "集体经济",
        "乡村振兴",
        "司法公正",
        "营商环境",
        "安全生产",
        "物业管理",
    ]
    places = "东南西北青龙凤凰太平红旗新华光明金沙"
    texts = [
        f"聚焦{rng.choice(kws)}，{''.join(rng.choice(list(places), 2))}年内"
        f"完成{rng.integers(5, 400)}户{rng.choice(kws)}任务"
        for _ in range(400)
    ]
    texts = sorted(set(texts))
    x = vectoriser().fit_transform(texts)
    _, exact = top_neighbours(x, 3)
    _, approx = top_neighbours(x, 3, exact_max=0)
    assert np.abs(exact[:, 0] - approx[:, 0]).mean() < 0.01
    assert ((exact[:, 0] >= 0.9) <= (approx[:, 0] >= 0.9 - 1e-6)).all()


def test_weighted_tfidf_equals_vectoriser_on_the_corpus_with_copies():
    from pipeline.score.theme import weighted_tfidf

    corpus = [normalise_theme(t) for t in [*T, T[2], T[2], T[4]]]
    full = vectoriser().fit_transform(corpus).toarray()
    uniq, inverse, counts = np.unique(np.array(corpus), return_inverse=True, return_counts=True)
    x = weighted_tfidf(list(uniq), counts).toarray()
    assert x[inverse] == pytest.approx(full, abs=1e-6)


def test_ranks_average_ties():
    from pipeline.score.uncertainty import _ranks

    s = np.array([[3.0, 1.0], [5.0, 1.0], [3.0, 2.0], [1.0, 0.0]])
    r = _ranks(s)
    assert r[:, 0].tolist() == [2.5, 1.0, 2.5, 4.0]
    assert r[:, 1].tolist() == [2.5, 2.5, 1.0, 4.0]


def test_candidate_fallback_without_sparse_dot_topn(monkeypatch):
    import sys

    texts = sorted({f"聚焦加装电梯，第{i}网格年内完成{i * 7}户任务" for i in range(60)})
    x = vectoriser().fit_transform(texts)
    _, with_lib = top_neighbours(x, 2, exact_max=0)
    monkeypatch.setitem(sys.modules, "sparse_dot_topn", None)  # import now fails
    _, without = top_neighbours(x, 2, exact_max=0)
    assert without[:, 0] == pytest.approx(with_lib[:, 0], abs=1e-6)
