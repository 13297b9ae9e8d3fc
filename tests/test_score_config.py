"""The scorer takes its index weights and scales from `config.scoring`, not from constants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_score_support import ROUND, config, synth_tables

from pipeline.config import Config
from pipeline.score import score_tables
from pipeline.score.uncertainty import monte_carlo

TABLES, _ = synth_tables(60, seed=3)
BASE = config()


def scored_with(**sections: dict) -> dict[str, pd.DataFrame]:
    """Score the synthetic round with `config.scoring.<section>` fields replaced (few MC runs)."""
    sc = BASE.scoring
    update: dict = {"uncertainty": sc.uncertainty.model_copy(update={"runs": 10})}
    for name, fields in sections.items():
        update[name] = getattr(sc, name).model_copy(update=fields)
    cfg = Config.model_validate(
        {**BASE.model_dump(), "scoring": sc.model_copy(update=update).model_dump()}
    )
    return score_tables(TABLES, cfg, ROUND)


def _w(model, **weights: float):
    return model.weights.model_copy(update=weights)


def test_progress_weights_and_scale_come_from_config() -> None:
    p = BASE.scoring.progress
    ind = scored_with(progress={"weights": _w(p, shortfall=1.0, lag=0.0), "shortfall_full": 0.25})[
        "indicators"
    ]
    expected = 100 * np.clip((1 - ind["progress"].to_numpy(dtype=float)) / 0.25, 0, 1)
    assert ind["uneven_progress"].to_numpy(dtype=float) == pytest.approx(expected)


def test_basics_weights_and_scale_come_from_config() -> None:
    b = BASE.scoring.basics
    ind = scored_with(
        basics={
            "weights": _w(b, coverage=0, quality=0, variety=0, publicity=2.0),
            "publicity_full": 0.8,
        }
    )["indicators"]
    expected = 100 * (1 - np.clip(ind["publicity_share"].to_numpy(dtype=float) / 0.8, 0, 1))
    assert ind["weak_basics"].to_numpy(dtype=float) == pytest.approx(expected)


def test_theme_weights_and_missing_length_come_from_config() -> None:
    t = BASE.scoring.theme
    ind = scored_with(theme={"weights": _w(t, distinct=0, keyword=0, target=1.0)})["indicators"]
    present = ~ind["theme_missing"].to_numpy(dtype=bool)
    expected = 100.0 * ~ind["theme_target"].to_numpy(dtype=bool)
    assert ind["unclear_theme"].to_numpy(dtype=float)[present] == pytest.approx(expected[present])
    long = scored_with(theme={"min_chars": 1000})["indicators"]
    assert long["theme_missing"].all() and (long["unclear_theme"] == 100).all()


def test_understanding_weights_come_from_config() -> None:
    u = BASE.scoring.understanding
    ind = scored_with(understanding={"weights": _w(u, bunching=0, spread=0, tied=0, late=1.0)})[
        "indicators"
    ]
    expected = 100 * ind["last_minute_share"].to_numpy(dtype=float)
    assert ind["shallow_understanding"].to_numpy(dtype=float) == pytest.approx(expected)


def test_explanation_length_comes_from_config() -> None:
    expl = scored_with(explain={"max_facts": 1})["explanations"]
    assert expl.groupby(["unit_id", "weakness"]).size().max() == 1
    default = scored_with()["explanations"]
    assert default.groupby(["unit_id", "weakness"]).size().max() == BASE.scoring.explain.max_facts


def test_uncertainty_choices_come_from_config() -> None:
    out = scored_with(
        uncertainty={
            "normalisations": ("fixed",),
            "aggregations": ("arithmetic",),
            "weight_spread": 0.0,
            "runs": 10,
        }
    )
    s = out["scores"][out["scores"]["scored"]]
    # no perturbation left: every run ranks like the nominal composite (ties averaged)
    avg = s["overall"].astype(float).round(9).rank(ascending=False, method="average")
    assert s["rank_p05"].to_numpy(dtype=float) == pytest.approx(avg.to_numpy())
    assert s["rank_p95"].to_numpy(dtype=float) == pytest.approx(avg.to_numpy())


def test_run_count_is_capped_by_max_cells() -> None:
    g = np.random.default_rng(0).uniform(0, 100, size=(50, 4))
    w = np.full(4, 0.25)
    rank = np.arange(1, 51, dtype=float)
    assert monte_carlo(g, w, rank, runs=500, max_cells=1000).runs == 20
    assert monte_carlo(g, w, rank, runs=500).runs == 500
