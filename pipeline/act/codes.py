"""Every code the action stage writes, with its Chinese label (for the central registry
`pipeline/codes.py`)."""

from __future__ import annotations

from pipeline.act.items import KEY_LABELS
from pipeline.act.notice import BASIS_LABELS
from pipeline.act.recheck import STATUS_LABELS

ACT_CODES: dict[str, dict[str, str]] = {
    "rectification.status": STATUS_LABELS,
    # `action` and `materials` stand for `action:<name>`, `materials:<name>`
    "rectification.item_key": KEY_LABELS,
    "notice.basis": BASIS_LABELS,
}

__all__ = ["ACT_CODES"]
