"""Residents' survey (群众满意度): survey exports → responses, findings, satisfaction with
intervals.

The survey layout is data (`layout_v1.toml` + `[[survey.layouts]]` in the
configuration); respondents' units are matched with the roster's rules; the
satisfaction table sits beside the four weaknesses (see docs/methodology.md).
"""

from pipeline.survey.compare import annotate_notice, paper_vs_residents, self_report_check
from pipeline.survey.run import (
    SURVEY_TABLES,
    SurveyResult,
    compare_round,
    survey_round,
    survey_tables,
)
from pipeline.survey.stats import INSUFFICIENT, satisfaction_table, wilson

__all__ = [
    "INSUFFICIENT",
    "SURVEY_TABLES",
    "SurveyResult",
    "annotate_notice",
    "compare_round",
    "paper_vs_residents",
    "satisfaction_table",
    "self_report_check",
    "survey_round",
    "survey_tables",
    "wilson",
]
