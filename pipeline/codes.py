"""The one registry of codes a machine reads and the Chinese a person reads.

Processed tables keep the English codes (`submissions.status`,
`submissions.reason`, `findings.code`, `findings.severity`,
`units.reporting`): they are the tables' contract and never change their
string values. Everything a person reads (pages, workbooks, the CLI) shows
the Chinese `label` from here, through `label()` / `counts_zh()`.
docs/data-dictionary.md lists exactly these codes (a test checks it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum


class _Coded(StrEnum):
    """A code whose members carry a Chinese label: `Reason.ENCRYPTED.label == "文件已加密"`."""

    label: str

    def __new__(cls, value: str, label: str):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj


class Severity(_Coded):
    ERROR = "error", "错误"
    WARNING = "warning", "需核实"


# what a person is asked to do about a finding of this severity
SEVERITY_HINT = {Severity.ERROR: "须修改"}


class SubmissionStatus(_Coded):
    ACCEPTED = "accepted", "已采用"
    SUPERSEDED = "superseded", "被替代"
    REJECTED = "rejected", "退回"
    IGNORED = "ignored", "忽略"


class Reporting(_Coded):
    ON_TIME = "on_time", "按时报送"
    LATE = "late", "迟报"
    UNUSABLE = "received_unusable", "已报送但无法使用"
    MISSING = "missing", "未报送"
    NOT_EXPECTED = "not_expected", "不需报送"


class Reason(_Coded):
    """`submissions.reason`: why a file has its status."""

    OK = "ok", "已采用"
    OK_WITH_FINDINGS = "ok_with_findings", "已采用，有问题需核对"
    SUPERSEDED_LATER = "superseded_later", "已被该单位另一份报表替代"
    DUPLICATE_CONTENT = "duplicate_content", "重复报送（内容完全相同）"
    NOT_A_RETURN = "not_a_return", "临时文件或系统文件"
    OVERRIDE_IGNORE = "override_ignore", "按人工指定忽略"
    ENCRYPTED = "encrypted", "文件已加密"
    TRUNCATED = "truncated", "文件不完整"
    NOT_A_WORKBOOK = "not_a_workbook", "不是 Excel 报表"
    UNREADABLE = "unreadable", "文件无法读取"
    TOO_LARGE = "too_large", "文件过大"
    TOO_MANY_ROWS = "too_many_rows", "行数过多"
    TIMEOUT = "timeout", "读取超时"
    MISSING_SHEET = "missing_sheet", "缺少工作表"
    UNKNOWN_UNIT = "unknown_unit", "单位名称不在名册中"
    AMBIGUOUS_UNIT = "ambiguous_unit", "单位名称同时接近两个单位"
    DIMENSION_TOO_LARGE = "dimension_too_large", "工作表声明的区域超出上限"
    CELL_OUT_OF_RANGE = "cell_out_of_range", "工作表含超出范围的单元格"
    LINK_OUTSIDE = "link_outside", "链接指向报表文件夹以外"
    LINK_DANGLING = "link_dangling", "链接指向的文件不存在"
    LINK_LOOP = "link_loop", "链接循环指向自身"
    LINK_FOLDER = "link_folder", "链接指向文件夹"


class Finding(_Coded):
    """`findings.code`. File-level findings of a rejected file use its `Reason` code."""

    REQUIRED_MISSING = "required_missing", "必填项未填写"
    BAD_DATE = "bad_date", "日期无法识别"
    BAD_NUMBER = "bad_number", "数字有误"
    BAD_CHOICE = "bad_choice", "不在可选项中"
    BAD_YESNO = "bad_yesno", "是否项填写有误"
    BELOW_MIN = "below_min", "数值过小"
    ABOVE_MAX = "above_max", "数值过大"
    MISSING_COLUMN = "missing_column", "缺少栏目"
    HEADER_NOT_FOUND = "header_not_found", "找不到表头"
    DONE_WITHOUT_DATE = "done_without_date", "已完成但无完成日期"
    EVALUATION_SUM = "evaluation_sum", "测评人数不符"
    DATE_AFTER_REPORT = "date_after_report", "日期晚于填报日期"
    DATE_BEFORE_CAMPAIGN = "date_before_campaign", "日期早于活动开始"
    DONE_WITHOUT_EVIDENCE = "done_without_evidence", "已完成但无佐证材料"
    FILENAME_MISMATCH = "filename_mismatch", "文件名与单位名称不一致"
    NAME_NEAR_MISS = "name_near_miss", "单位名称与名册相近但不一致"
    FORMULA_AS_TEXT = "formula_as_text", "单元格为公式，已按文字处理"
    WORD_VARIANT = "word_variant", "填写用语已按近义选项处理"
    LEADING_ZERO_LOST = "leading_zero_lost", "号码疑似丢失开头的 0"
    UNIT_TYPE_MISMATCH = "unit_type_mismatch", "单位类型与名册不符"
    REPORT_DATE_AFTER_RECEIPT = "report_date_after_receipt", "填报日期晚于收到时间"
    NOT_STARTED_BUT_DATED = "not_started_but_dated", "未开始却填有完成日期"
    ACTION_MISSING = "action_missing", "缺少规定动作"
    ACTION_REPEATED = "action_repeated", "规定动作重复填写"
    DUPLICATE_ROW = "duplicate_row", "重复的数据行"
    NO_MEMBERS = "no_members", "党员人数为 0"
    IMPLAUSIBLE_COUNT = "implausible_count", "人数明显超出同类单位"
    EMPTY_CLAIM = "empty_claim", "份数为 0 却标为规范、归档"
    EVIDENCE_NOT_FOUND = "evidence_not_found", "佐证材料在报表中找不到"
    CHANGED_SINCE_PREVIOUS = "changed_since_previous", "与上轮报表相比变化异常"
    OVERRIDE_APPLIED = "override_applied", "已按人工指定确认单位"
    UNIT_INFERRED = "unit_inferred", "按文件名推断单位"
    LATE_CORRECTION = "late_correction", "截止后报送的更正"
    RECEIPT_LOG = "receipt_log", "收文登记有误"
    TEXT_TOO_LONG = "text_too_long", "内容过长，已截断"
    FILENAME_RECODED = "filename_recoded", "文件名不是 UTF-8 编码，已按 GBK 显示"
    FILENAME_UNDECODABLE = "filename_undecodable", "文件名编码无法识别"
    # the residents' survey (`survey_findings.code`, pipeline/survey/)
    SURVEY_UNREADABLE = "survey_unreadable", "问卷导出文件无法读取"
    SURVEY_UNKNOWN_LAYOUT = "survey_unknown_layout", "问卷导出文件的表头不属于任何已配置的格式"
    SURVEY_NO_UNIT = "survey_no_unit", "问卷未填所属单位"
    SURVEY_UNIT_NEAR_MISS = "survey_unit_near_miss", "问卷所填单位与名册名称相近但不一致"
    SURVEY_UNKNOWN_UNIT = "survey_unknown_unit", "问卷所填单位不在名册中"
    SURVEY_EMPTY_ANSWER = "survey_empty_answer", "问卷的总体评价未作答"
    SURVEY_BAD_ANSWER = "survey_bad_answer", "问卷答案不在量表选项之中"
    SURVEY_DUPLICATE_ID = "survey_duplicate_id", "问卷编号重复"
    SURVEY_DUPLICATE_ROW = "survey_duplicate_row", "短时间内提交了内容完全相同的问卷"
    SURVEY_ITEM_UNANSWERED = (
        "survey_item_unanswered",
        "问卷的分项评价未作答或答案无法识别（该项不计）",
    )
    SURVEY_SELF_REPORT_OVERSTATED = (
        "survey_self_report_overstated",
        "单位自报的群众评价明显高于独立调查结果",
    )


class RunError(_Coded):
    """`error` of a run record (`data/processed/.runs/<round>.json`) that could not start or
    was killed."""

    READ_ONLY = "read_only", "目录无法写入"
    DISK_FULL = "disk_full", "磁盘已满"
    ROSTER_MISSING = "roster_missing", "名册不存在"
    SCHEDULER_UNREACHABLE = "scheduler_unreachable", "无法连接调度器"
    KILLED = "killed", "上次运行被强行终止"


class ItemStatus(_Coded):
    """`rectification.status`: a rectification item after the re-check (pipeline/act/recheck.py)."""

    NEW = "new", "新发现"
    FIXED = "fixed", "已整改"
    PARTLY_FIXED = "partly_fixed", "部分整改"
    NOT_FIXED = "not_fixed", "未整改"
    NOT_CHECKABLE = "not_checkable", "无法复查"


class NoticeBasis(_Coded):
    """`notice.basis`: why a unit is on the notice (pipeline/act/notice.py)."""

    PERFORMANCE = "performance", "工作差距较大"
    NOT_REPORTED = "not_reported", "未按时报送"
    LATE = "late", "迟报"


REGISTRY: tuple[type[_Coded], ...] = (
    Severity,
    SubmissionStatus,
    Reporting,
    Reason,
    Finding,
    RunError,
    ItemStatus,
    NoticeBasis,
)
# codes that share a string across registries (a rejected file's finding uses its reason code)
_LABELS: dict[str, str] = {}
for _enum in reversed(REGISTRY):
    for _m in _enum:
        _LABELS[_m.value] = _m.label


def label(code: object, kind: type[_Coded] | None = None) -> str:
    """The Chinese label of a code (the code itself when it is not registered, '' for none)."""
    if code is None or code != code:  # None, NaN
        return ""
    text = str(code)
    if kind is not None:
        try:
            # a lookup by value (EnumMeta.__call__); mypy checks it against _Coded.__new__
            return kind(text).label  # type: ignore[call-arg]
        except ValueError:
            return text
    return _LABELS.get(text, text)


def counts_zh(
    counts: Mapping[str, int] | Iterable[tuple[str, int]], kind: type[_Coded] | None = None
) -> str:
    """`{"encrypted": 2, "not_a_workbook": 1}` → `文件已加密 2，不是 Excel 报表 1`."""
    items = counts.items() if isinstance(counts, Mapping) else counts
    return "，".join(f"{label(k, kind)} {v}" for k, v in sorted(items))


def all_codes() -> dict[str, str]:
    """Every registered code → its label (for the data dictionary)."""
    return dict(_LABELS)


__all__ = [
    "REGISTRY",
    "SEVERITY_HINT",
    "Finding",
    "ItemStatus",
    "NoticeBasis",
    "Reason",
    "Reporting",
    "RunError",
    "Severity",
    "SubmissionStatus",
    "all_codes",
    "counts_zh",
    "label",
]
