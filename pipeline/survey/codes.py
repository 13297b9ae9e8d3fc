"""Finding codes of the residents' survey, code → Chinese label.

Kept here for the integrator to fold into the central registry
(`pipeline/codes.py`); listed in docs/data-dictionary.md.
"""

from __future__ import annotations

SURVEY_CODES: dict[str, str] = {
    "survey_unreadable": "问卷导出文件无法读取",
    "survey_unknown_layout": "问卷导出文件的表头不属于任何已配置的格式",
    "survey_no_unit": "问卷未填所属单位",
    "survey_unit_near_miss": "问卷所填单位与名册名称相近但不一致",
    "survey_unknown_unit": "问卷所填单位不在名册中",
    "survey_empty_answer": "问卷的总体评价未作答",
    "survey_bad_answer": "问卷答案不在量表选项之中",
    "survey_duplicate_id": "问卷编号重复",
    "survey_duplicate_row": "短时间内提交了内容完全相同的问卷",
    "survey_item_unanswered": "问卷的分项评价未作答或答案无法识别（该项不计）",
    "survey_self_report_overstated": "单位自报的群众评价明显高于独立调查结果",
}

SET_ASIDE_CODES: frozenset[str] = frozenset({
    "survey_no_unit", "survey_unit_near_miss", "survey_unknown_unit", "survey_empty_answer",
    "survey_bad_answer", "survey_duplicate_id", "survey_duplicate_row", "survey_unknown_layout",
})
"""Codes that set a whole response row aside (the row is counted, not used)."""
