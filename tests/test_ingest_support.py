"""Builders for hand-made returns, roster and config used by the ingest tests."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import openpyxl

from pipeline.config import load_config

REPO = Path(__file__).resolve().parents[1]

ROSTER_CSV = """单位编码,单位名称,别名,单位类型,上级单位编码,业务关键词,应报
JD01,河门口街道,,街道,,,是
SQ0101,太平社区,,社区,JD01,,是
Z01,格里坪镇,格里镇;格里坪,镇,,,是
C0101,金家村,,村,Z01,,是
C0102,苦荞村,,村,Z01,园区;征地拆迁,是
BM01,区检察院,,区级部门,,司法;检察,是
QY01,攀钢集团,,企业,,,否
"""

ACTION_HEADERS = [
    "序号",
    "阶段",
    "规定动作",
    "计划完成日期",
    "完成情况",
    "完成日期",
    "佐证材料",
    "备注",
]
MATERIAL_HEADERS = [
    "资料类别",
    "份数",
    "是否规范",
    "是否归档",
    "最近更新日期",
    "是否结合当前工作",
    "说明",
]
ACTIVITY_HEADERS = [
    "日期",
    "活动名称",
    "活动载体",
    "参加人数",
    "是否结合业务工作",
    "群众参与",
    "宣传报道",
]

DEFAULT_ACTIONS = [
    [1, "第一阶段", "成立活动领导小组", date(2026, 5, 10), "已完成", date(2026, 5, 8), "文件", ""],
    [
        2,
        "第一阶段",
        "制定活动实施方案",
        date(2026, 5, 15),
        "已完成",
        "2026年5月14日",
        "实施方案",
        "",
    ],
    [3, "第一阶段", "召开动员大会", date(2026, 5, 20), "进行中", None, None, ""],
]
DEFAULT_MATERIALS = [
    ["会议记录", "3份", "是", "√", "2026.7.1", "Y", ""],
    ["学习记录", "２", "否", "×", 46204, "N", ""],
]
DEFAULT_ACTIVITIES = [
    [date(2026, 6, 1), "主题党日", "主题党日", "12人", "是", "有", "区级"],
    ["7月2日", "志愿服务进社区", "志愿服务", 30, "否", "无", "无"],
]


def make_config(tmp: Path) -> object:
    """A scorecard.toml and roster in `tmp` (same campaign and rounds as the repo's)."""
    text = (REPO / "scorecard.toml").read_text(encoding="utf-8")
    text = text.replace('roster = "data/roster.xlsx"', 'roster = "data/roster.csv"')
    (tmp / "data").mkdir(parents=True, exist_ok=True)
    (tmp / "data" / "roster.csv").write_text(ROSTER_CSV, encoding="utf-8")
    (tmp / "scorecard.toml").write_text(text, encoding="utf-8")
    return load_config(tmp / "scorecard.toml")


def make_return(
    path: Path,
    unit_name: str = "太平社区",
    report_date: object = date(2026, 7, 15),
    actions: list | None = None,
    materials: list | None = None,
    activities: list | None = None,
    evaluation: dict | None = None,
    title: bool = True,
    theme: str = "党建引领促和谐",
    phone: object = "08123456789",
    sheet_names: dict | None = None,
    action_headers: list | None = None,
    activity_headers: list | None = None,
    total_row: bool = False,
) -> Path:
    names = {
        "info": "基本情况",
        "actions": "规定动作",
        "materials": "基础资料",
        "activities": "活动记录",
        "evaluation": "群众评价",
    }
    names.update(sheet_names or {})
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "填报说明"
    ws["A1"] = "请按要求填写"
    info = wb.create_sheet(names["info"])
    if title:
        info.append([f"{unit_name}创先争优活动进展情况统计表"])
    info.append(["项目", "内容"])
    for k, v in [
        ("单位名称", unit_name),
        ("单位类型", "社区"),
        ("党组织书记", "张三"),
        ("党员人数", "45人"),
        ("填报日期", report_date),
        ("活动主题", theme),
        ("主题释义", "说明"),
        ("联系人", "李四"),
        ("联系电话", phone),
    ]:
        info.append([k, v])
    phone_cell = info.cell(row=info.max_row, column=2)
    phone_cell.data_type = "s"

    def table(name, headers, rows):
        ws = wb.create_sheet(name)
        if title:
            ws.append([f"{unit_name}{name}"])
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        ws.append(headers)
        for r in rows:
            ws.append(r)
            for c in ws[ws.max_row]:
                if isinstance(c.value, str) and c.value[:1] in "=+-@":
                    c.data_type = "s"
        return ws

    table(
        names["actions"],
        action_headers or ACTION_HEADERS,
        DEFAULT_ACTIONS if actions is None else actions,
    )
    table(
        names["materials"], MATERIAL_HEADERS, DEFAULT_MATERIALS if materials is None else materials
    )
    ws = table(
        names["activities"],
        activity_headers or ACTIVITY_HEADERS,
        DEFAULT_ACTIVITIES if activities is None else activities,
    )
    if total_row:
        ws.append([None])
        ws.append(["合计", None, None, 42])
    if evaluation is not None:
        ev = wb.create_sheet(names["evaluation"])
        ev.append(["项目", "内容"])
        for k, v in evaluation.items():
            ev.append([k, v])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def copy_real(name: str, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(name, dest)
    return dest


def test_builders_make_a_readable_return(tmp_path):
    make_config(tmp_path)
    p = make_return(tmp_path / "x.xlsx")
    assert p.is_file()
