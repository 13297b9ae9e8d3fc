"""Feedback workbooks for units (退回修改清单) and the list of units that sent nothing.

`write_feedback` writes, into `reports/<round>/feedback/`:
- `<单位名称>.xlsx` for each unit with findings (or a rejected file), listing
  each problem by file, sheet and cell in plain Chinese;
- `未报送单位.xlsx`: expected units with no accepted return;
- `未识别单位的文件.xlsx`: files that could not be tied to a unit.
Everything a unit typed is written as a string (xlsxwriter with
strings_to_formulas off), so `=1+1` or `@x` stays inert text.

With a `FeedbackCache` a workbook whose content (every sheet's title, note,
headers, rows and widths, the banner, the file name) is unchanged since an
earlier run is copied from the cache byte for byte instead of written again;
its file properties then keep the time it was first written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd
import xlsxwriter

from pipeline.atomic import atomic_path
from pipeline.codes import SEVERITY_HINT, Reporting, Severity, label
from pipeline.config import Campaign
from pipeline.hashing import code_digest, digest_of
from pipeline.report.printsetup import PrintSetup, apply_xlsxwriter, is_wide

SEVERITY_ZH = {
    m.value: m.label + (f"（{SEVERITY_HINT[m]}）" if m in SEVERITY_HINT else "") for m in Severity
}
MISSING_NAME = "未报送单位.xlsx"
UNKNOWN_NAME = "未识别单位的文件.xlsx"
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def cache_folder(processed_root: Path, round_id: str, stage: str) -> Path:
    """Where one stage's kept feedback workbooks of a round live (beside `.cache/parsed/`).
    Each stage that writes the workbooks keeps its own (their sheets differ)."""
    return Path(processed_root) / ".cache" / "feedback" / round_id / stage


@cache
def _version() -> str:
    return digest_of([code_digest(), xlsxwriter.__version__])


@dataclass
class FeedbackCache:
    """Workbooks written by earlier runs, by a digest of their content (derived data:
    deleting the folder changes only time). `read=False` writes every workbook anew
    and keeps it (``scorecard run --force``)."""

    folder: Path
    read: bool = True
    used: set[str] = field(default_factory=set)
    kept: int = 0
    written: int = 0

    def key(self, content: object) -> str:
        return digest_of([_version(), content])

    def copy_to(self, key: str, path: Path) -> bool:
        """Put the kept workbook at `path` (atomically); False when there is none."""
        self.used.add(key)
        if not self.read:
            return False
        try:
            data = (self.folder / f"{key}.xlsx").read_bytes()
        except OSError:
            return False
        with atomic_path(path, suffix=".tmp.xlsx") as tmp:
            tmp.write_bytes(data)
        self.kept += 1
        return True

    def keep(self, key: str, path: Path) -> None:
        self.used.add(key)
        self.written += 1
        try:
            with atomic_path(self.folder / f"{key}.xlsx", prefix=".tmp-", suffix=".xlsx") as tmp:
                tmp.write_bytes(Path(path).read_bytes())
        except OSError:  # not kept: the next run writes it again
            pass

    def prune(self) -> int:
        """Remove kept workbooks this run did not use (and leftovers of killed writers)."""
        removed = 0
        if self.folder.is_dir():
            for p in self.folder.iterdir():
                if p.is_file() and p.name.removesuffix(".xlsx") not in self.used:
                    p.unlink(missing_ok=True)
                    removed += 1
        return removed


def safe_filename(name: str) -> str:
    cleaned = _UNSAFE.sub("_", str(name)).strip(" .") or "未命名单位"
    return cleaned[:100]


def _text(v: object) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return ""
    return str(v)


ExtraSheet = tuple[str, str, str, list[str], list[list[object]], list[int]]
"""(sheet name, title, note, headers, rows, widths) of a further sheet in a unit's workbook."""


def _write_sheet(
    path: Path,
    title: str,
    note: str,
    headers: list[str],
    rows: list[list[object]],
    widths: list[int],
    extra: Sequence[ExtraSheet] = (),
    banner: str = "",
    store: FeedbackCache | None = None,
) -> Path:
    if banner:  # 临时结果: above every sheet's note
        note = f"{banner}｜{note}"
        extra = [(sheet, t, f"{banner}｜{n}", h, r, w) for sheet, t, n, h, r, w in extra]
    content = [path.name, title, note, headers, rows, widths, list(extra)]
    key = store.key(content) if store is not None else ""
    if store is not None and store.copy_to(key, path):
        return path
    with atomic_path(path, suffix=".tmp.xlsx") as tmp:
        wb = xlsxwriter.Workbook(str(tmp), _OPTIONS)
        try:
            first = (
                "退回修改清单" if path.name not in (MISSING_NAME, UNKNOWN_NAME) else "清单",
                title,
                note,
                headers,
                rows,
                widths,
            )
            for sheet in (first, *extra):
                _fill(wb, *sheet)
        finally:
            wb.close()
    if store is not None:
        store.keep(key, path)
    return path


def _fill(
    wb: xlsxwriter.Workbook,
    sheet: str,
    title: str,
    note: str,
    headers: list[str],
    rows: list[list[object]],
    widths: list[int],
) -> None:
    ws = wb.add_worksheet(sheet)
    bold = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
    )
    cell = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    ws.write_string(0, 0, title, bold)
    ws.write_string(1, 0, note)
    for c, (h, w) in enumerate(zip(headers, widths, strict=True)):
        ws.write_string(3, c, h, head)
        ws.set_column(c, c, w)
    for r, values in enumerate(rows, start=4):
        for c, v in enumerate(values):
            if isinstance(v, int) and not isinstance(v, bool):
                ws.write_number(r, c, v, cell)
            else:
                ws.write_string(r, c, _text(v), cell)
    ws.freeze_panes(4, 0)
    apply_xlsxwriter(
        ws,
        PrintSetup(title=title, header_rows=(3, 3), name_columns=(0, 0), landscape=is_wide(widths)),
    )
    if rows:
        ws.autofilter(3, 0, 3 + len(rows), len(headers) - 1)


def write_feedback(
    findings: pd.DataFrame,
    submissions: pd.DataFrame,
    units: pd.DataFrame,
    feedback_dir: Path,
    round_name: str = "",
    office: str = Campaign.model_fields["office"].default,  # the config model holds it
    extra_sheets: Mapping[str, Sequence[ExtraSheet]] | None = None,
    banner: str = "",
    store: FeedbackCache | None = None,
) -> list[Path]:
    """Write the feedback workbooks; returns the paths written. Stale ones of earlier runs go.

    `extra_sheets` (unit_id → sheets, e.g. the 整改清单 of the action stage): every
    unit named there gets a workbook, with those sheets after its 退回修改清单
    (which then may be empty). `banner` (临时结果：…) heads every sheet's note.
    `store`: unchanged workbooks are copied from it (module docstring); the ones
    this call did not use are removed from it afterwards.
    """
    feedback_dir = Path(feedback_dir)
    feedback_dir.mkdir(parents=True, exist_ok=True)
    for old in feedback_dir.glob("*.xlsx"):
        old.unlink()
    names = dict(zip(units["unit_id"].astype(str), units["unit_name"].astype(str), strict=True))
    status = dict(zip(submissions["file"], submissions["status"], strict=True))
    accepted_units = set(
        submissions.loc[submissions["status"] == "accepted", "unit_id"].dropna().astype(str)
    )
    written: list[Path] = []
    headers = ["序号", "文件", "工作表", "单元格", "栏目", "问题类型", "问题说明", "原填写内容"]
    widths = [6, 28, 12, 8, 14, 14, 60, 30]
    per_unit: dict[str, list[list[object]]] = {}
    # file-level problems: a rejected file of a unit that has no accepted return
    told = set(
        findings.loc[
            (findings["severity"] == "error") & (findings["message"].isin(submissions["message"])),
            "file",
        ]
    )
    for rec in submissions.itertuples(index=False):
        uid = _text(rec.unit_id)
        if rec.status == "rejected" and uid and uid not in accepted_units and rec.file not in told:
            per_unit.setdefault(uid, []).append(
                ["", rec.file, "", "", "", "错误（文件未采用）", _text(rec.message), ""]
            )
    f = findings.copy()
    shown_files = [k for k, v in status.items() if v in ("accepted", "rejected")]
    f = f[f["unit_id"].notna() & f["file"].isin(shown_files)]
    f = f.sort_values(
        ["unit_id", "file", "sheet", "row", "cell"], na_position="first", kind="stable"
    )
    for rec in f.itertuples(index=False):
        uid = str(rec.unit_id)
        if status.get(rec.file) == "rejected" and uid in accepted_units:
            continue
        per_unit.setdefault(uid, []).append(
            [
                "",
                rec.file,
                _text(rec.sheet),
                _text(rec.cell),
                _text(rec.column),
                f"{SEVERITY_ZH.get(str(rec.severity), _text(rec.severity))}：{label(rec.code)}",
                _text(rec.message),
                _text(rec.value),
            ]
        )
    extra_sheets = extra_sheets or {}
    for uid in extra_sheets:
        per_unit.setdefault(str(uid), [])
    for uid, rows in sorted(per_unit.items()):
        for i, r in enumerate(rows, start=1):
            r[0] = i
        name = names.get(uid, uid)
        n_err = sum(1 for r in rows if str(r[5]).startswith("错误"))
        note = (
            (
                f"共 {len(rows)} 处问题，其中须修改 {n_err} 处。请按“单元格”位置逐项修改后，"
                f"重新报送完整报表至{office}。"
            )
            if rows
            else "本轮报表未发现须退回修改的填报问题。"
        )
        if uid not in accepted_units:  # received but unusable: say what arrived and what to resend
            sent = submissions[
                (submissions["unit_id"] == uid) & (submissions["status"] == "rejected")
            ]
            note = (
                f"本轮收到本单位的文件 {'、'.join(sent['file'].astype(str))}，但无法使用，"
                "本单位尚未计入已报送。"
                f"请按下表“问题说明”处理后，重新报送完整报表至{office}。"
            )
        written.append(
            _write_sheet(
                feedback_dir / f"{safe_filename(name)}.xlsx",
                f"{name} {round_name}报表退回修改清单",
                note,
                headers,
                rows,
                widths,
                extra_sheets.get(uid, ()),
                banner,
                store,
            )
        )
    # units that sent nothing usable
    miss = units[units["expected"] & ~units["submitted"]]
    rejected_msg: dict[str, str] = {}
    for rec in submissions.itertuples(index=False):
        if rec.status == "rejected" and _text(rec.unit_id):
            rejected_msg[str(rec.unit_id)] = f"{rec.file}：{_text(rec.message)}"
    rows = [
        [
            i,
            _text(r.unit_id),
            _text(r.unit_name),
            _text(r.unit_type),
            names.get(_text(r.parent_id), _text(r.parent_id)),
            label(r.reporting, Reporting),
            rejected_msg.get(str(r.unit_id), "未收到报表"),
        ]
        for i, r in enumerate(miss.itertuples(index=False), start=1)
    ]
    note = (
        f"应报单位 {int(units['expected'].sum())} 个，未报送或报表未采用 {len(rows)} 个。"
        if rows
        else "应报单位均已报送。"
    )
    written.append(
        _write_sheet(
            feedback_dir / MISSING_NAME,
            f"{round_name}未报送单位名单",
            note,
            ["序号", "单位编码", "单位名称", "单位类型", "上级单位", "报送情况", "情况"],
            rows,
            [6, 12, 24, 10, 24, 16, 60],
            banner=banner,
            store=store,
        )
    )
    inferred = submissions["unit_inferred"] if "unit_inferred" in submissions else False
    unknown = submissions[
        (submissions["unit_id"].isna() | inferred) & (submissions["status"] == "rejected")
    ]
    if len(unknown):
        hint = (
            unknown["override_hint"]
            if "override_hint" in unknown
            else pd.Series(None, index=unknown.index)
        )
        rows = [
            [
                i,
                r.file,
                _text(r.written_name),
                names.get(_text(r.unit_id), "") if _text(r.unit_id) else "",
                _text(r.message),
                _text(h),
            ]
            for i, (r, h) in enumerate(
                zip(unknown.itertuples(index=False), hint, strict=True), start=1
            )
        ]
        written.append(
            _write_sheet(
                feedback_dir / UNKNOWN_NAME,
                f"{round_name}未能确认报送单位的文件",
                "以下文件未能由表内单位名称对应到单位名册中的单位，请核实后联系报送单位；"
                "“按文件名推断”的单位未经确认，不计入评分。",
                [
                    "序号",
                    "文件",
                    "填写的单位名称",
                    "按文件名推断",
                    "情况",
                    "人工指定（写入配置文件）",
                ],
                rows,
                [6, 36, 20, 16, 60, 60],
                banner=banner,
                store=store,
            )
        )
    if store is not None:
        store.prune()
    return written
