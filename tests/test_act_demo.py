"""The re-check against the demo district's truth (truth/<round>/recheck.parquet).

Per (unit, weakness) planted in the first round (unit scored then), the
re-check's verdict — any item of that weakness carried from round 1
not_fixed/partly_fixed → not fixed; else any fixed → fixed; else (all
not_checkable) → not_checkable; no item carried → a miss — must agree with the
truth for at least 90 % of the pairs.
"""

from __future__ import annotations

import pandas as pd

from pipeline.act.recheck import weakness_verdicts
from pipeline.tables import read_table


def recheck_agreement(config, truth_root) -> tuple[float, int, pd.DataFrame]:
    first, second = (r.id for r in config.rounds_in_order()[:2])
    truth = pd.read_parquet(truth_root / second / "recheck.parquet")
    rect = read_table(config.paths.processed_round(second), "rectification")
    v = weakness_verdicts(rect[rect["opened_round"] == first])
    m = truth.merge(v, on=["unit_id", "weakness"], how="left", suffixes=("_truth", ""))
    m["verdict"] = m["verdict"].fillna("miss")
    return float((m["verdict"] == m["verdict_truth"]).mean()), len(m), m


def test_recheck_agrees_with_the_demo_truth(demo_scored, demo_dir):
    share, n, m = recheck_agreement(demo_scored, demo_dir / "truth")
    wrong = m[m["verdict"] != m["verdict_truth"]]
    print(
        f"\n复查与演示真值一致：{share:.1%}（{n} 个单位×不足组合；不一致 {len(wrong)} 个："
        f"{wrong.groupby(['weakness', 'verdict_truth', 'verdict']).size().to_dict()}）"
    )
    assert n >= 20 and set(m["verdict_truth"]) >= {"fixed", "not_fixed"}
    assert share >= 0.9


def test_demo_generator_never_imports_the_scorer_or_act():
    from pathlib import Path

    import pipeline.demo as demo

    for f in Path(demo.__file__).parent.glob("*.py"):
        text = f.read_text(encoding="utf-8")
        assert "pipeline.score" not in text and "pipeline.act" not in text, f.name
