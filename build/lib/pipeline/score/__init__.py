"""Scoring: the four weaknesses, the composite with its uncertainty, explanations.

Public API:

- `score_round(config, round_id, processed_dir=None, previous_dir=None) -> ScoreResult`
- `score_tables(tables, config, round_id, previous_scores=None) -> dict[str, DataFrame]`
- the statistics in `pipeline.score.measures` (Theil and its split, Gini,
  modified z, bunching, outlier screen, normalisation and means).

Methods and defaults: docs/methodology.md.
"""

from pipeline.score.run import ScoreResult, score_round, score_tables

__all__ = ["ScoreResult", "score_round", "score_tables"]
