"""The text of the 填报说明 sheet, generated from the form specification.

Nothing here names a sheet, header or choice of its own: every sheet's
paragraph is built from the specification, so a new column or a changed
choice list appears in the instructions without a code change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from pipeline.config import Campaign, Round
from pipeline.form import Column, FormSpec, Sheet

LineStyle = Literal["title", "heading", "subheading", "text", "field"]

DATE_EXAMPLE = "2026-07-15"
MAX_LISTED_CHOICES = 12  # longer lists are described as "从下拉列表中选择"


@dataclass(frozen=True)
class TemplateUnit:
    """The unit a template is made for (from the roster)."""

    unit_id: str
    unit_name: str
    unit_type: str


@dataclass(frozen=True)
class Line:
    text: str
    style: LineStyle = "text"


def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _quoted(items: list[str] | tuple[str, ...]) -> str:
    return "、".join(f"“{i}”" for i in items)


def column_hint(col: Column, yes: str = "是", no: str = "否") -> str:
    """How to fill one column, in a few words (used in the input message and the instructions)."""
    if col.type == "choice":
        if len(col.choices) <= MAX_LISTED_CHOICES:
            return "从下拉列表中选择：" + "/".join(col.choices)
        return "从下拉列表中选择"
    if col.type == "yesno":
        return f"填“{yes}”或“{no}”（从下拉列表中选择）"
    if col.type == "date":
        return f"填日期，如 {DATE_EXAMPLE}"
    if col.type == "integer":
        low = f"不小于 {int(col.min)} 的" if col.min is not None else ""
        return f"填{low}整数，不加单位"
    if col.type == "number":
        low = f"不小于 {col.min:g} 的" if col.min is not None else ""
        return f"填{low}数字，不加单位"
    return "填文字"


def _required_text(sheet: Sheet) -> list[str]:
    out: list[str] = []
    required = [c.header for c in sheet.columns if c.required]
    if required:
        out.append(f"必填栏目：{_quoted(required)}。")
    for c in sheet.columns:
        if c.required_when:
            cond = sheet.column(c.required_when.column)
            out.append(f"“{cond.header}”为“{c.required_when.equals}”时，“{c.header}”必填。")
    return out


def _types_text(sheet: Sheet, yes: str, no: str) -> list[str]:
    out: list[str] = []
    by_type: dict[str, list[str]] = {}
    for c in sheet.columns:
        by_type.setdefault(c.type, []).append(c.header)
    if "date" in by_type:
        out.append(f"{_quoted(by_type['date'])}填日期（如 {DATE_EXAMPLE}）。")
    if "yesno" in by_type:
        out.append(f"{_quoted(by_type['yesno'])}只填“{yes}”或“{no}”。")
    if "integer" in by_type:
        out.append(f"{_quoted(by_type['integer'])}填整数，不加单位。")
    if "number" in by_type:
        out.append(f"{_quoted(by_type['number'])}填数字，不加单位。")
    for c in sheet.columns:
        if c.type == "choice":
            if len(c.choices) <= MAX_LISTED_CHOICES:
                out.append(f"“{c.header}”从下拉列表中选择（{'/'.join(c.choices)}）。")
            else:
                out.append(f"“{c.header}”从下拉列表中选择。")
    return out


def sheet_paragraph(
    form: FormSpec, sheet: Sheet, *, prefilled: tuple[str, ...] = (), listed_actions: int = 0
) -> list[Line]:
    """The instructions for one data sheet."""
    need = "必填" if sheet.required else "选填，没有可不填"
    lines = [Line(f"【{sheet.name}】（{need}）", "subheading")]
    if sheet.kind == "keyvalue":
        lines.append(
            Line(
                f"按“{sheet.key_header}”列逐项在“{sheet.value_header}”列填写，"
                f"不要改动“{sheet.key_header}”列，不要增删行。"
            )
        )
    else:
        lines.append(Line("表头在第1行，从第2行起每条记录填一行，中间不留空行，不加“合计”行。"))
    if prefilled:
        lines.append(
            Line(
                f"{_quoted(prefilled)}已按单位名册预先填好，请核对；如有错误请联系活动办公室，不要自行改动。"
            )
        )
    if listed_actions:
        lines.append(
            Line(
                f"已列出活动手册规定的全部 {listed_actions} 项规定动作及计划完成日期，"
                "请逐项填写完成情况；尚未到期的动作也请保留该行，按实际情况填写。"
            )
        )
    lines.extend(Line(t) for t in _required_text(sheet))
    lines.extend(Line(t) for t in _types_text(sheet, form.yes[0], form.no[0]))
    return lines


def instruction_lines(
    form: FormSpec,
    campaign: Campaign,
    round_: Round,
    unit: TemplateUnit,
    filename: str,
    *,
    prefilled: dict[str, tuple[str, ...]] | None = None,
    actions_sheet: str | None = None,
) -> list[Line]:
    """Every line of the 填报说明 sheet, in order."""
    prefilled = prefilled or {}
    yes, no = form.yes[0], form.no[0]
    lines = [
        Line(f"{form.title}（{round_.name}）", "title"),
        Line(f"填报单位：{unit.unit_name}（单位编码 {unit.unit_id}）", "field"),
        Line(
            f"检查轮次：{round_.name}（{round_.id}），"
            f"{campaign.name}{_stage_text(campaign, round_)}",
            "field",
        ),
        Line(f"数据截至：{cn_date(round_.as_of)}（填写截至这一天的情况）", "field"),
        Line(f"报送截止：{cn_date(round_.deadline)} 24时前（逾期按迟报统计）", "field"),
        Line(f"检查日期：{cn_date(round_.inspection)}", "field"),
        Line(
            f"报送方式：填好后按原文件名“{filename}”报送{campaign.office}，不要改文件名。", "field"
        ),
        Line(f"联系方式：{campaign.contact or campaign.office}", "field"),
        Line("一、通用要求", "heading"),
        Line("1. 不要修改、删除或重命名工作表，不要改动表头，不要插入标题行、合并单元格。"),
        Line(f"2. 日期按日期格式填写，如 {DATE_EXAMPLE} 或 2026/7/15，不要写“7月中旬”等文字。"),
        Line(f"3. “是/否”类栏目只填“{yes}”或“{no}”，可从下拉列表中选择。"),
        Line("4. 带下拉列表的栏目请从列表中选择，不要自行输入列表以外的内容。"),
        Line("5. 人数、份数等栏目只填整数，不加单位。"),
        Line("6. 电话号码等按文字填写，保留开头的 0。"),
        Line("7. 表头文字为红色的栏目为必填项；选中单元格时会显示该栏目的填写提示。"),
        Line("8. 请如实填写，不要照抄他单位的内容；检查时将与实际情况核对。"),
        Line("二、各工作表填写说明", "heading"),
    ]
    for sheet in form.data_sheets:
        lines.extend(
            sheet_paragraph(
                form,
                sheet,
                prefilled=prefilled.get(sheet.name, ()),
                listed_actions=len(form.actions) if sheet.name == actions_sheet else 0,
            )
        )
    lines.append(Line("三、联系方式", "heading"))
    lines.append(Line(f"填报中有疑问请联系{campaign.office}：{campaign.contact or '（见通知）'}。"))
    return lines


def _stage_text(campaign: Campaign, round_: Round) -> str:
    for s in campaign.stages:
        if s.id == round_.stage:
            return f"{s.id}（{s.title}）"
    return round_.stage
