"""Ingestion and validation of a round's returns.

read (formats, limits, cell grids) → sheets (sheet, header and key-value
layout) → clean (typed values) → validate (form rules → findings) → identify
(unit, supersession) → completeness → feedback; `run.ingest_round` ties them
together for one round.

Names are imported on first use, so that a worker process that only reads
files (`parse.parse_batch`) does not import the writers and the round logic.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_WHERE = {
    "IngestResult": "run",
    "ingest_round": "run",
    "ParsedReturn": "parse",
    "parse_return": "parse",
    "Limits": "read",
    "ReadError": "read",
    "read_workbook": "read",
    "write_feedback": "feedback",
}

__all__ = [
    "IngestResult",
    "Limits",
    "ParsedReturn",
    "ReadError",
    "ingest_round",
    "parse_return",
    "read_workbook",
    "write_feedback",
]

if TYPE_CHECKING:
    from pipeline.ingest.feedback import write_feedback
    from pipeline.ingest.parse import ParsedReturn, parse_return
    from pipeline.ingest.read import Limits, ReadError, read_workbook
    from pipeline.ingest.run import IngestResult, ingest_round


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"pipeline.ingest.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'pipeline.ingest' has no attribute {name!r}")
