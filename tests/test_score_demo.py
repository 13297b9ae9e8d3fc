"""Recovery of the demo district's planted weaknesses (the scorer never sees the labels)."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from pipeline.config import WEAKNESSES
from pipeline.tables import SCORE_TABLES, read_table


def _labels(config, round_id: str) -> pd.DataFrame:
    return pd.read_parquet(config.paths.raw.parent / "truth" / round_id / "labels.parquet")


def _check_recovery(scores: pd.DataFrame, labels: pd.DataFrame, where: str) -> None:
    s = scores[scores["scored"]].merge(labels, on="unit_id", how="inner", suffixes=("", "_truth"))
    assert len(s) >= 0.8 * scores["scored"].sum(), where
    for k in WEAKNESSES:
        planted = s[f"{k}_planted"].astype(bool)
        assert 0 < planted.sum() < len(s), f"{where} {k}: no contrast"
        auc = roc_auc_score(planted, s[k].astype(float))
        assert auc >= 0.9, f"{where} {k}: AUC {auc:.3f}"
        flagged = s["flags"].fillna("").str.split(",").map(lambda f, k=k: k in f)
        tp = int((flagged & planted).sum())
        precision = tp / max(int(flagged.sum()), 1)
        recall = tp / int(planted.sum())
        assert precision >= 0.8 and recall >= 0.8, (
            f"{where} {k}: precision {precision:.2f} recall {recall:.2f}"
        )


@pytest.mark.slow
def test_demo_district_recovers_planted_weaknesses(demo_scored):
    cfg = demo_scored
    for r in cfg.rounds_in_order():
        folder = cfg.paths.processed_round(r.id)
        for name in SCORE_TABLES:
            assert (folder / f"{name}.parquet").is_file(), name
        _check_recovery(read_table(folder, "scores"), _labels(cfg, r.id), f"demo {r.id}")


@pytest.mark.slow
def test_demo_district_tables_follow_the_dictionary(demo_scored):
    cfg = demo_scored
    rounds = cfg.rounds_in_order()
    folder = cfg.paths.processed_round(rounds[-1].id)
    scores = read_table(folder, "scores")
    units = read_table(folder, "units")
    assert set(scores["unit_id"]) == set(units.loc[units["expected"].astype(bool), "unit_id"])
    assert scores.loc[~scores["scored"], "unscored_reason"].notna().all()
    expl = read_table(folder, "explanations")
    assert set(expl["weakness"]) == set(WEAKNESSES)
    assert expl["text"].str.contains("应完成规定动作").any()
    changes = read_table(folder, "changes")
    assert len(changes) > 0 and (changes["previous_round"] == rounds[0].id).all()
    ineq = read_table(folder, "inequality")
    assert (ineq["level"] == "district").sum() == 1


@pytest.mark.parametrize("seed", [11, 23, 37])
def test_model_tables_recover_planted_weaknesses_on_several_seeds(seed):
    from pathlib import Path

    from pipeline.config import load_config
    from pipeline.demo import generate_tables
    from pipeline.score import score_tables

    cfg = load_config(Path(__file__).resolve().parents[1] / "scorecard.toml")
    for r in cfg.rounds_in_order():
        tables = generate_tables(200, seed, cfg, r.id)
        labels = tables.pop("labels")
        out = score_tables(tables, cfg, r.id)
        _check_recovery(out["scores"], labels, f"seed {seed} {r.id}")
