"""Return templates: one workbook per expected unit, built from the form spec, and a round trip."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.config import load_config
from pipeline.form import FormSpec, load_form
from pipeline.templates import LIST_SHEET, UnknownUnitError, template_filename, write_templates

REPO = Path(__file__).resolve().parents[1]
ROUND = "2026-07"

ROSTER = pd.DataFrame(
    [
        ("JD01", "河门口街道", "", "街道", "", "", "是"),
        ("SQ0101", "太平社区", "", "社区", "JD01", "", "是"),
        ("Z04", "格里坪镇", "格里镇", "镇", "", "", "是"),
        ("C0401", "金家村", "", "村", "Z04", "", "否"),
        ("BM01", "区检察院", "", "区级部门", "", "司法", "是"),
        ("QY01", "=1+1公司", "", "企业", "", "", "是"),  # a name that looks like a formula
    ],
    columns=["单位编码", "单位名称", "别名", "单位类型", "上级单位编码", "业务关键词", "应报"],
)
EXPECTED = {
    "JD01": "河门口街道",
    "SQ0101": "太平社区",
    "Z04": "格里坪镇",
    "BM01": "区检察院",
    "QY01": "=1+1公司",
}


def write_roster(df: pd.DataFrame, path: Path) -> None:
    """As an office would type it (pandas would store "=1+1公司" as a formula)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [list(df.columns), *df.itertuples(index=False)]:
        ws.append(list(row))
    for row in ws.iter_rows():
        for cell in row:
            cell.data_type = "s"
    wb.save(path)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("templates")
    shutil.copy(REPO / "scorecard.toml", root / "scorecard.toml")
    (root / "data").mkdir()
    write_roster(ROSTER, root / "data" / "roster.xlsx")
    return load_config(root / "scorecard.toml")


@pytest.fixture(scope="module")
def form(config) -> FormSpec:
    return load_form(config.campaign.form_version)


@pytest.fixture(scope="module")
def written(config) -> list[Path]:
    return write_templates(config, ROUND)


@pytest.fixture(scope="module")
def book(written) -> openpyxl.Workbook:
    return openpyxl.load_workbook(next(p for p in written if p.name.startswith("太平社区")))


def test_one_workbook_per_expected_unit(config, written) -> None:
    folder = config.paths.reports_round(ROUND) / "templates"
    assert [p.name for p in written] == [f"{n}_{ROUND}.xlsx" for n in EXPECTED.values()]
    assert all(p.parent == folder for p in written)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        p.name for p in written
    )  # no temp files


def test_one_unit_and_out_dir(config, tmp_path: Path) -> None:
    paths = write_templates(config, "2026-08", unit_id="SQ0101", out_dir=tmp_path)
    assert paths == [tmp_path / "太平社区_2026-08.xlsx"]
    # a unit not expected to report still gets its template when asked for by id
    assert [p.name for p in write_templates(config, "2026-08", "C0401", tmp_path)] == [
        "金家村_2026-08.xlsx"
    ]


def test_cli_template(config, tmp_path: Path, capsys) -> None:
    from pipeline.cli import EXIT_OK, main

    code = main(
        ["--config", str(config.source), "template", "--round", ROUND, "--out", str(tmp_path)]
    )
    assert code == EXIT_OK
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{n}_{ROUND}.xlsx" for n in EXPECTED.values()
    )
    assert str(tmp_path) in capsys.readouterr().out


def test_unknown_unit_and_round(config, tmp_path: Path) -> None:
    with pytest.raises(UnknownUnitError, match="XX99"):
        write_templates(config, ROUND, unit_id="XX99", out_dir=tmp_path)
    with pytest.raises(KeyError, match="2099-01"):
        write_templates(config, "2099-01", out_dir=tmp_path)


def test_file_name_is_safe() -> None:
    assert template_filename("太平社区", ROUND) == "太平社区_2026-07.xlsx"
    assert template_filename("a/b:c*社区", ROUND) == "a_b_c_社区_2026-07.xlsx"
    assert template_filename("..", ROUND, "SQ01") == "SQ01_2026-07.xlsx"


def test_sheets_in_spec_order_and_list_sheet_hidden(book, form) -> None:
    names = [s.name for s in form.sheets]
    assert book.sheetnames[: len(names)] == names
    assert book.sheetnames[len(names) :] == [LIST_SHEET]
    assert book[LIST_SHEET].sheet_state == "hidden"
    assert all(book[n].sheet_state == "visible" for n in names)
    assert book.active.title == form.sheets[0].name  # opens on the instructions


def test_instructions(book, form, config) -> None:
    text = "\n".join(str(c.value) for c in book[form.sheets[0].name]["A"] if c.value)
    r = config.round(ROUND)
    for expected in (
        r.name,
        "2026年7月15日",
        "2026年7月18日",
        config.campaign.contact,
        config.campaign.office,
        "太平社区",
        "SQ0101",
        f"太平社区_{ROUND}.xlsx",
        "“是”或“否”",
        "2026-07-15",
    ):
        assert expected in text, expected
    for sheet in form.data_sheets:
        assert f"【{sheet.name}】" in text
        for c in sheet.columns:
            if c.required:
                assert f"“{c.header}”" in text


def test_headers_styled_and_frozen(book, form) -> None:
    for sheet in form.data_sheets:
        ws = book[sheet.name]
        assert ws.freeze_panes == "A2", sheet.name
        if sheet.kind == "table":
            assert [c.value for c in ws[1]] == list(sheet.headers)
            for col, cell in zip(sheet.columns, ws[1], strict=True):
                assert cell.font.b
                assert cell.fill.fgColor.rgb.endswith("DDEBF7")
                assert (cell.font.color.rgb.endswith("C00000")) == col.required
                assert 8 <= ws.column_dimensions[cell.column_letter].width <= 40
        else:
            assert [c.value for c in ws[1]] == [sheet.key_header, sheet.value_header]
            assert [
                ws.cell(row=i, column=1).value for i in range(2, len(sheet.columns) + 2)
            ] == list(sheet.headers)


def validations(ws: Worksheet) -> dict[str, object]:
    """Cell or range (as written) -> its DataValidation."""
    return {str(rng): dv for dv in ws.data_validations.dataValidation for rng in dv.sqref.ranges}


def list_values(book: openpyxl.Workbook, formula: str) -> list[str]:
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet, rng = formula.split("!")
    ws = book[sheet.strip("'")]
    return [row[0].value for row in ws[rng.replace("$", "")]]


def column_cell(sheet, ws: Worksheet, key: str) -> str:
    """Where a column's validation lives: the value cell (key-value) or the column range (table)."""
    i = [c.key for c in sheet.columns].index(key)
    if sheet.kind == "keyvalue":
        return f"B{i + 2}"
    letter = openpyxl.utils.get_column_letter(i + 1)
    return f"{letter}2:{letter}1001"


def test_validation_for_every_column(book, form) -> None:
    for sheet in form.data_sheets:
        ws = book[sheet.name]
        dvs = validations(ws)
        for col in sheet.columns:
            dv = dvs[column_cell(sheet, ws, col.key)]
            where = f"{sheet.name}/{col.header}"
            assert dv.showInputMessage and dv.prompt and dv.promptTitle == col.header, where
            if col.type == "choice":
                assert dv.type == "list", where
                assert list_values(book, dv.formula1) == list(col.choices), where
            elif col.type == "yesno":
                assert dv.type == "list", where
                assert list_values(book, dv.formula1) == ["是", "否"], where
            elif col.type == "date":
                assert dv.type == "date", where
                assert "日期" in dv.prompt and "日期" in dv.error and dv.showErrorMessage, where
            elif col.type == "integer":
                assert dv.type == "whole", where
                assert dv.operator == "greaterThanOrEqual" and float(dv.formula1) == col.min, where
                assert "整数" in dv.prompt and "整数" in dv.error, where
            if col.type in ("choice", "yesno"):
                assert dv.showErrorMessage and dv.error, where
            if col.required:
                assert "必填" in dv.prompt, where


def test_within_excel_limits(book) -> None:
    """Limits beyond which Excel 'repairs' a workbook (drops the validation) on opening."""
    for ws in book:
        assert len(ws.title) <= 31
        for dv in ws.data_validations.dataValidation:
            assert len(dv.promptTitle or "") <= 32 and len(dv.errorTitle or "") <= 32
            assert len(dv.prompt or "") <= 255 and len(dv.error or "") <= 255
            assert len(dv.formula1 or "") <= 255


def test_long_choice_list_uses_the_list_sheet(book, form) -> None:
    sheet = form.sheet("actions")
    col = next(c for c in sheet.columns if c.choices == tuple(a.name for a in form.actions))
    dv = validations(book[sheet.name])[column_cell(sheet, book[sheet.name], col.key)]
    assert dv.formula1.startswith(f"'{LIST_SHEET}'!")
    assert len(",".join(col.choices).encode()) > 255


def test_text_cells_are_text(book, form) -> None:
    for sheet in form.data_sheets:
        ws = book[sheet.name]
        for i, col in enumerate(sheet.columns):
            if sheet.kind == "keyvalue":
                fmt = ws.cell(row=i + 2, column=2).number_format
            else:
                fmt = ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].number_format
            if col.type == "text":
                assert fmt == "@", f"{sheet.name}/{col.header}"
            elif col.type == "date":
                assert fmt == "yyyy-mm-dd", f"{sheet.name}/{col.header}"


def test_basic_info_prefilled(book, form) -> None:
    sheet = form.sheet("info")
    ws = book[sheet.name]
    values = {
        ws.cell(row=i, column=1).value: ws.cell(row=i, column=2).value
        for i in range(2, ws.max_row + 1)
    }
    assert values[sheet.column("unit_name").header] == "太平社区"
    assert values[sheet.column("unit_type").header] == "社区"
    assert sum(v is not None for v in values.values()) == 2


def test_formula_like_name_stays_text(written) -> None:
    wb = openpyxl.load_workbook(next(p for p in written if "公司" in p.name))
    cell = wb[load_form(1).sheet("info").name]["B2"]
    assert cell.value == "=1+1公司" and cell.data_type == "s"


def test_actions_prelisted(book, form, config) -> None:
    sheet = form.sheet("actions")
    ws = book[sheet.name]
    rows = [
        dict(zip([c.key for c in sheet.columns], (c.value for c in row), strict=True))
        for row in ws.iter_rows(min_row=2)
    ]
    assert len(rows) == len(form.actions) == 14
    for i, (row, action) in enumerate(zip(rows, form.actions, strict=True), start=1):
        assert row["seq"] == i
        assert row["stage"] == action.stage
        assert row["action"] == action.name
        assert row["planned_date"] == datetime.combine(
            action.due_date(config.campaign.start), datetime.min.time()
        )
        assert row["status"] is None and row["done_date"] is None
    assert ws.cell(row=2, column=4).number_format == "yyyy-mm-dd"


# --- round trip -------------------------------------------------------------

INFO = {
    "secretary": "李明",
    "party_members": 35,
    "report_date": date(2026, 7, 14),
    "theme": "党建引领聚民心 网格服务暖万家",
    "theme_note": "=1+1 以网格化服务把党员力量下沉到楼栋",
    "contact": "王芳",
    "phone": "08121234567",
}
STATUS = ["已完成"] * 6 + ["进行中"] * 3 + ["未开始"] * 5
MATERIALS = [
    {
        "category": "活动方案",
        "copies": 2,
        "standard": True,
        "filed": True,
        "updated": date(2026, 6, 1),
        "tied_to_work": True,
        "note": "-方案已印发",
    },
    {
        "category": "会议记录",
        "copies": 12,
        "standard": False,
        "filed": True,
        "updated": date(2026, 7, 10),
        "tied_to_work": False,
        "note": None,
    },
]
ACTIVITIES = [
    {
        "date": date(2026, 5, 20),
        "name": "创先争优动员大会",
        "format": "座谈会",
        "participants": 45,
        "tied_to_work": True,
        "public_participation": False,
        "publicity": "区级",
    },
    {
        "date": date(2026, 6, 18),
        "name": "@党员志愿服务进楼栋",
        "format": "志愿服务",
        "participants": 30,
        "tied_to_work": True,
        "public_participation": True,
        "publicity": "无",
    },
    {
        "date": date(2026, 7, 1),
        "name": "<b>七一</b>主题党日",
        "format": "主题党日",
        "participants": 0,
        "tied_to_work": False,
        "public_participation": False,
        "publicity": "市级",
    },
]
EVALUATION = {"surveyed": 50, "satisfied": 30, "basically_satisfied": 15, "dissatisfied": 5}


def typed(value: object, form: FormSpec) -> object:
    """What a unit types: 是/否 for yes/no."""
    if isinstance(value, bool):
        return form.yes[0] if value else form.no[0]
    return value


def type_into(cell, value: object) -> None:
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # typed into a text cell: never a formula


def fill(path: Path, form: FormSpec, config) -> dict[str, list[dict]]:
    """Fill a template as the instructions say; return what was typed, by table and key."""
    wb = openpyxl.load_workbook(path)
    expected: dict[str, list[dict]] = {}
    # key-value sheets
    for table, values in (("info", INFO), ("evaluation", EVALUATION)):
        sheet = form.sheet(table)
        ws = wb[sheet.name]
        rows = {ws.cell(row=i, column=1).value: i for i in range(2, ws.max_row + 1)}
        record = {c.key: None for c in sheet.columns}
        for c in sheet.columns:
            if c.key in values:
                type_into(ws.cell(row=rows[c.header], column=2), typed(values[c.key], form))
                record[c.key] = values[c.key]
            else:
                record[c.key] = ws.cell(row=rows[c.header], column=2).value
        expected[table] = [record]
    # the pre-listed actions
    sheet = form.sheet("actions")
    ws = wb[sheet.name]
    col = {c.key: i + 1 for i, c in enumerate(sheet.columns)}
    start = config.campaign.start
    records = []
    for i, (action, status) in enumerate(zip(form.actions, STATUS, strict=True)):
        r = i + 2
        rec = {
            "seq": i + 1,
            "stage": action.stage,
            "action": action.name,
            "planned_date": action.due_date(start),
            "status": status,
            "done_date": None,
            "evidence": None,
            "note": None,
        }
        type_into(ws.cell(row=r, column=col["status"]), status)
        if status == "已完成":
            rec["done_date"] = min(action.due_date(start), INFO["report_date"])
            rec["evidence"] = f"会议记录第{i + 1}号"
            type_into(ws.cell(row=r, column=col["done_date"]), rec["done_date"])
            type_into(ws.cell(row=r, column=col["evidence"]), rec["evidence"])
        if i == 0:
            rec["note"] = "+提前完成"
            type_into(ws.cell(row=r, column=col["note"]), rec["note"])
        records.append(rec)
    expected["actions"] = records
    # free tables
    for table, rows in (("materials", MATERIALS), ("activities", ACTIVITIES)):
        sheet = form.sheet(table)
        ws = wb[sheet.name]
        for r, rec in enumerate(rows, start=2):
            for j, c in enumerate(sheet.columns, start=1):
                if rec.get(c.key) is not None:
                    type_into(ws.cell(row=r, column=j), typed(rec[c.key], form))
        expected[table] = [{c.key: rec.get(c.key) for c in sheet.columns} for rec in rows]
    wb.save(path)
    return expected


def plain(value: object) -> object:
    if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def assert_read_back(result, expected: dict[str, list[dict]], form: FormSpec) -> None:
    """No error findings, and every table holds exactly what was typed."""
    findings = result.findings
    errors = findings[findings["severity"] == "error"]
    assert len(errors) == 0, errors.to_dict("records")
    for table, records in expected.items():
        keys = [c.key for c in form.sheet(table).columns]
        rows = result.tables[table][keys].itertuples(index=False)
        got = [{k: plain(v) for k, v in zip(keys, row, strict=True)} for row in rows]
        assert got == records, table


def test_round_trip(config, form, tmp_path: Path) -> None:
    from pipeline.ingest import parse_return

    path = write_templates(config, ROUND, unit_id="SQ0101", out_dir=tmp_path)[0]
    expected = fill(path, form, config)
    result = parse_return(path, config, ROUND)
    assert_read_back(result, expected, form)
    assert result.tables["info"]["phone"].iloc[0] == "08121234567"


# --- LibreOffice --------------------------------------------------------------


@pytest.mark.libreoffice
def test_libreoffice_opens_a_template(written, tmp_path: Path, soffice: str) -> None:
    src = next(p for p in written if p.name.startswith("太平社区"))
    profile = tmp_path / "lo-profile"
    out = tmp_path / "pdf"
    proc = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    pdf = out / (src.stem + ".pdf")
    assert proc.returncode == 0, proc.stderr
    assert pdf.is_file() and pdf.stat().st_size > 1000, (proc.stdout, proc.stderr)
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.libreoffice
def test_round_trip_after_libreoffice_saves_it(config, form, tmp_path: Path, soffice: str) -> None:
    """A unit that fills the template and saves it with LibreOffice sends back what it typed."""
    from pipeline.ingest import parse_return

    src = write_templates(config, ROUND, unit_id="SQ0101", out_dir=tmp_path / "in")[0]
    expected = fill(src, form, config)
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    saved = out / src.name
    assert proc.returncode == 0 and saved.is_file(), (proc.stdout, proc.stderr)
    assert_read_back(parse_return(saved, config, ROUND), expected, form)


def test_demo_district_templates(demo_config, tmp_path: Path) -> None:
    """The demo roster: a template for every expected unit; one of them opens as a real template."""
    from pipeline.roster import load_roster
    from pipeline.templates import template_units

    roster = load_roster(demo_config.paths.roster)
    units = template_units(demo_config)
    assert [u.unit_id for u in units] == list(roster.loc[roster["expected"], "unit_id"])
    first = units[0]
    path = write_templates(
        demo_config, demo_config.rounds[0].id, unit_id=first.unit_id, out_dir=tmp_path
    )[0]
    assert path.name == template_filename(first.unit_name, demo_config.rounds[0].id)
    wb = openpyxl.load_workbook(path)
    info = load_form(demo_config.campaign.form_version).sheet("info")
    assert wb[info.name]["B2"].value == first.unit_name
