"""Ingestion and validation of a round's returns.

read (formats, limits, cell grids) → sheets (sheet, header and key-value
layout) → clean (typed values) → validate (form rules → findings) → identify
(unit, supersession) → completeness → feedback; `run.ingest_round` ties them
together for one round.
"""

from pipeline.ingest.feedback import write_feedback
from pipeline.ingest.parse import ParsedReturn, parse_return
from pipeline.ingest.read import Limits, ReadError, read_workbook
from pipeline.ingest.run import IngestResult, ingest_round

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
