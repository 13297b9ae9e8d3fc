"""grassroots-scorecard: returns in, scores and reports out.

For analysts (see README "分析接口" and notebooks/explore.ipynb):

    from pipeline import open_round, list_rounds, round_table, history, to_excel

The names are imported lazily, so `import pipeline` stays cheap.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = [
    "history",
    "list_rounds",
    "local_time",
    "open_round",
    "round_table",
    "to_excel",
    "with_chinese_labels",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from pipeline import analysis

        return getattr(analysis, name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
