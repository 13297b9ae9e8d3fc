"""The form specification matches the return form document (../shared/return-form.md, v1)."""

from __future__ import annotations

import copy
import tomllib
from datetime import date
from importlib import resources

import pytest

from pipeline.form import FormSpec, FormSpecError, load_form, parse_form

# Transcribed from the form document, version 1.
SHEETS = ["填报说明", "基本情况", "规定动作", "基础资料", "活动记录", "群众评价"]

ACTIONS = [
    ("第一阶段", "成立活动领导小组", 10),
    ("第一阶段", "制定活动实施方案", 15),
    ("第一阶段", "召开动员大会", 20),
    ("第一阶段", "提炼活动主题", 30),
    ("第一阶段", "开展公开承诺", 40),
    ("第二阶段", "组织专题学习", 60),
    ("第二阶段", "设立党员示范岗", 70),
    ("第二阶段", '开展"五个好"创建', 90),
    ("第二阶段", '开展"五带头"争做', 90),
    ("第二阶段", "开展领导点评", 110),
    ("第二阶段", "开展群众评议", 120),
    ("第二阶段", '落实"四议两公开一监督"', 120),
    ("第三阶段", "开展评选表彰", 200),
    ("第三阶段", "总结活动经验", 210),
]

# sheet -> [(header, type, required)]
COLUMNS = {
    "基本情况": [
        ("单位名称", "text", True),
        ("单位类型", "choice", False),
        ("党组织书记", "text", False),
        ("党员人数", "integer", False),
        ("填报日期", "date", True),
        ("活动主题", "text", True),
        ("主题释义", "text", False),
        ("联系人", "text", False),
        ("联系电话", "text", False),
    ],
    "规定动作": [
        ("序号", "integer", False),
        ("阶段", "choice", False),
        ("规定动作", "choice", True),
        ("计划完成日期", "date", False),
        ("完成情况", "choice", True),
        ("完成日期", "date", False),  # required when 已完成
        ("佐证材料", "text", False),
        ("备注", "text", False),
    ],
    "基础资料": [
        ("资料类别", "choice", True),
        ("份数", "integer", False),
        ("是否规范", "yesno", False),
        ("是否归档", "yesno", False),
        ("最近更新日期", "date", False),
        ("是否结合当前工作", "yesno", False),
        ("说明", "text", False),
    ],
    "活动记录": [
        ("日期", "date", True),
        ("活动名称", "text", True),
        ("活动载体", "choice", False),
        ("参加人数", "integer", False),
        ("是否结合业务工作", "yesno", False),
        ("群众参与", "yesno", False),
        ("宣传报道", "choice", False),
    ],
    "群众评价": [
        ("测评人数", "integer", False),
        ("满意", "integer", False),
        ("基本满意", "integer", False),
        ("不满意", "integer", False),
    ],
}

CHOICES = {
    ("基本情况", "单位类型"): ["街道", "社区", "镇", "村", "区级部门", "企业"],
    ("规定动作", "阶段"): ["第一阶段", "第二阶段", "第三阶段"],
    ("规定动作", "规定动作"): [a[1] for a in ACTIONS],
    ("规定动作", "完成情况"): ["已完成", "进行中", "未开始"],
    ("基础资料", "资料类别"): [
        "工作规程",
        "活动方案",
        "会议记录",
        "学习记录",
        "党员台账",
        "承诺书",
        "群众意见台账",
        "整改台账",
        "宣传材料",
        "其他",
    ],
    ("活动记录", "活动载体"): [
        "专题学习",
        "主题党日",
        "志愿服务",
        "党员示范岗",
        "结对帮扶",
        "公开承诺",
        "座谈会",
        "评议",
        "宣传报道",
        "其他",
    ],
    ("活动记录", "宣传报道"): ["无", "区级", "市级", "省级及以上"],
}

# Column keys are the processed tables' column names (docs/data-dictionary.md).
KEYS = {
    "info": [
        "unit_name",
        "unit_type",
        "secretary",
        "party_members",
        "report_date",
        "theme",
        "theme_note",
        "contact",
        "phone",
    ],
    "actions": [
        "seq",
        "stage",
        "action",
        "planned_date",
        "status",
        "done_date",
        "evidence",
        "note",
    ],
    "materials": ["category", "copies", "standard", "filed", "updated", "tied_to_work", "note"],
    "activities": [
        "date",
        "name",
        "format",
        "participants",
        "tied_to_work",
        "public_participation",
        "publicity",
    ],
    "evaluation": ["surveyed", "satisfied", "basically_satisfied", "dissatisfied"],
}


@pytest.fixture(scope="module")
def form() -> FormSpec:
    return load_form(1)


def raw_spec() -> dict:
    return tomllib.loads(
        resources.files("pipeline.form").joinpath("spec_v1.toml").read_text("utf-8")
    )


def test_spec_loads(form: FormSpec) -> None:
    assert form.version == 1
    assert form.title == "创先争优活动进展情况报表"
    assert [s.name for s in form.sheets] == SHEETS
    assert [s.name for s in form.data_sheets] == SHEETS[1:]
    assert form.sheet("info") is form.sheet("基本情况")
    assert {s.table: [c.key for c in s.columns] for s in form.data_sheets} == KEYS
    assert load_form(1) is form  # cached


def test_actions_and_due_days(form: FormSpec) -> None:
    assert [(a.stage, a.name, a.due_day) for a in form.actions] == ACTIONS
    start = date(2026, 5, 1)
    assert form.actions[0].due_date(start) == date(2026, 5, 10)  # day 1 is the start
    assert form.actions[-1].due_date(start) == date(2026, 11, 26)
    due = form.actions_due(start, date(2026, 7, 15))  # day 76
    assert [a.name for a in due] == [a[1] for a in ACTIONS[:7]]


def test_columns_types_and_required(form: FormSpec) -> None:
    for sheet, cols in COLUMNS.items():
        spec = form.sheet(sheet)
        assert [(c.header, c.type, c.required) for c in spec.columns] == cols, sheet


def test_sheet_kinds_and_required(form: FormSpec) -> None:
    assert form.sheet("填报说明").kind == "notes"
    for name in ("基本情况", "群众评价"):
        s = form.sheet(name)
        assert (s.kind, s.key_header, s.value_header) == ("keyvalue", "项目", "内容")
    for name in ("规定动作", "基础资料", "活动记录"):
        assert form.sheet(name).kind == "table"
    assert [s.name for s in form.data_sheets if s.required] == [
        "基本情况",
        "规定动作",
        "基础资料",
        "活动记录",
    ]


def test_choice_lists(form: FormSpec) -> None:
    found = {
        (s.name, c.header): list(c.choices)
        for s in form.data_sheets
        for c in s.columns
        if c.type == "choice"
    }
    assert found == CHOICES


def test_done_date_required_when_done(form: FormSpec) -> None:
    rw = form.sheet("规定动作").column("done_date").required_when
    assert rw is not None and (rw.column, rw.equals) == ("status", "已完成")


def test_minimums(form: FormSpec) -> None:
    ints = [c for s in form.data_sheets for c in s.columns if c.type == "integer"]
    assert ints and all(c.min is not None and c.min >= 0 for c in ints)
    assert form.sheet("规定动作").column("seq").min == 1


def test_yes_no_words(form: FormSpec) -> None:
    assert form.yes[0] == "是" and form.no[0] == "否"
    for word in ("√", "Y", "有"):
        assert word in form.yes
    for word in ("×", "N", "无"):
        assert word in form.no
    assert not set(form.yes) & set(form.no)
    assert "合计" in form.total_row_markers


def test_parse_form_round_trips_the_raw_spec() -> None:
    assert parse_form(raw_spec()) == load_form(1)


def test_missing_form_version() -> None:
    with pytest.raises(FormSpecError, match="99"):
        load_form(99)


def _column(data: dict, sheet: str, key: str) -> dict:
    s = next(s for s in data["sheets"] if s["name"] == sheet)
    return next(c for c in s["columns"] if c["key"] == key)


@pytest.mark.parametrize(
    ("change", "names"),
    [
        (
            lambda d: _column(d, "活动记录", "format").update(type="dropdown"),
            ["活动记录", "format", "dropdown"],
        ),
        (
            lambda d: _column(d, "基础资料", "category").pop("choices"),
            ["基础资料", "category", "choices"],
        ),
        (
            lambda d: _column(d, "规定动作", "action").update(choices_from="manual"),
            ["规定动作", "action", "manual"],
        ),
        (lambda d: _column(d, "基本情况", "phone").pop("header"), ["基本情况", "phone", "header"]),
        (
            lambda d: _column(d, "群众评价", "satisfied").update(key="surveyed"),
            ["群众评价", "repeat"],
        ),
        (
            lambda d: _column(d, "规定动作", "done_date").update(
                required_when={"column": "state", "equals": "已完成"}
            ),
            ["规定动作", "done_date", "required_when"],
        ),
        (lambda d: d["sheets"][2].update(kind="grid"), ["规定动作", "grid"]),
        (lambda d: d["sheets"][3].update(name="基础资料/台账"), ["基础资料/台账", "sheet name"]),
        (lambda d: d["sheets"][3].update(name="基础资料" * 8), ["基础资料", "31"]),
        (lambda d: d["sheets"][3].update(name="活动记录"), ["活动记录", "repeat"]),
    ],
)
def test_bad_spec_names_sheet_and_column(change, names: list[str]) -> None:
    data = copy.deepcopy(raw_spec())
    change(data)
    with pytest.raises(FormSpecError) as info:
        parse_form(data)
    for name in names:
        assert name in str(info.value)


def test_adding_a_choice_is_a_spec_edit() -> None:
    data = copy.deepcopy(raw_spec())
    _column(data, "活动记录", "publicity")["choices"].append("国家级")
    form = parse_form(data)
    assert form.sheet("活动记录").column("publicity").choices[-1] == "国家级"
