"""Finding codes of the residents' survey, code → Chinese label.

The codes and labels live in the central registry (`pipeline/codes.py`,
`Finding.SURVEY_*`); this module names the survey's own subset.
"""

from __future__ import annotations

from pipeline.codes import Finding

SURVEY_CODES: dict[str, str] = {m.value: m.label for m in Finding if m.value.startswith("survey_")}

SET_ASIDE_CODES: frozenset[str] = frozenset(
    {
        "survey_no_unit",
        "survey_unit_near_miss",
        "survey_unknown_unit",
        "survey_empty_answer",
        "survey_bad_answer",
        "survey_duplicate_id",
        "survey_duplicate_row",
        "survey_unknown_layout",
    }
)
"""Codes that set a whole response row aside (the row is counted, not used)."""
