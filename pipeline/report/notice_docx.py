"""The 通报 draft (`reports/<round>/<round name>通报（草稿）.docx`), built with python-docx.

Laid out after GB/T 9704-2012 (党政机关公文格式): A4, margins 37/35/28/26 mm,
title in 2号 小标宋, 主送机关, body in 3号 仿宋 with 2-character first-line
indent and fixed 28.95 pt line spacing (22 lines a page), level-1 headings in
黑体 (一、), level-2 in 楷体 (（一）), 附件 after the body, 署名 and 成文日期,
page numbers "— n —" in 4号 宋体 at the foot (a PAGE field: the only field
in the document; no macros). Fonts are named by their GB names (what the
office's machines have); where a font is missing, Word/LibreOffice substitute.

Every text from the returns (themes, activity names, unit names) goes into
plain runs: nothing is ever interpreted (no fields, no hyperlinks, no
formulas). Characters XML cannot hold are dropped, and phone numbers and the
contact/secretary names of the returns are masked in case a unit typed them
into a theme or an activity name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

import pandas as pd
from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from pipeline.atomic import atomic_path
from pipeline.config import WEAKNESS_LABELS, WEAKNESSES, Config, Round

FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_H1 = "黑体"
FONT_H2 = "楷体_GB2312"
FONT_PAGE = "宋体"
MAX_ANNEX_ROWS = 1000
"""附件 rows at most (units with open items first); the rest are in summary.xlsx."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
PHONE = re.compile(r"(?<!\d)(?:1[3-9]\d{9}|0\d{2,3}[-\s]?\d{7,8}|\d{7,8})(?!\d)")
_NUM = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]


def file_name(rnd: Round) -> str:
    return f"{rnd.name}通报（草稿）.docx"


class Redactor:
    """Drops XML-illegal characters; masks phone numbers and the given personal names."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        ns = sorted(
            {str(n).strip() for n in names if isinstance(n, str) and len(str(n).strip()) >= 2},
            key=len,
            reverse=True,
        )
        self._names = re.compile("|".join(re.escape(n) for n in ns)) if ns else None

    def __call__(self, text: object) -> str:
        if text is None or (isinstance(text, float) and math.isnan(text)) or text is pd.NA:
            return ""
        s = _CONTROL.sub("", str(text))
        s = PHONE.sub("（号码已隐去）", s)
        if self._names is not None:
            s = self._names.sub("（姓名已隐去）", s)
        return s


def personal_strings(info: pd.DataFrame | None) -> list[str]:
    """Contact, secretary and phone values of the returns (never to be published)."""
    out: list[str] = []
    if info is None or info.empty:
        return out
    for col in ("contact", "secretary", "phone"):
        if col in info:
            out += [str(x) for x in info[col].dropna().astype(str) if str(x).strip()]
    return out


def _fonts(run, east: str, size: float, bold: bool = False) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = east
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), east)


def _para(
    doc,
    text: str = "",
    font: str = FONT_BODY,
    size: float = 16,
    indent: bool = True,
    align=WD_ALIGN_PARAGRAPH.JUSTIFY,
    bold: bool = False,
    parts: list[tuple[str, str]] | None = None,
):
    p = doc.add_paragraph()
    pf = p.paragraph_format
    pf.alignment = align
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(28.95)
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    if indent:
        pf.first_line_indent = Pt(size * 2)
    for t, f in parts or [(text, font)]:
        _fonts(p.add_run(t), f, size, bold)
    return p


def _page_number_footer(section) -> None:
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(p.add_run("— "), FONT_PAGE, 14)
    run = p.add_run()
    _fonts(run, FONT_PAGE, 14)
    for kind, text in (
        ("begin", None),
        (None, " PAGE "),
        ("separate", None),
        (None, "1"),
        ("end", None),
    ):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == "1":
            el = OxmlElement("w:t")
            el.text = text
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._element.append(el)
    _fonts(p.add_run(" —"), FONT_PAGE, 14)


def _cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _pct(a: float, b: float) -> str:
    return f"{100 * a / b:.1f}%" if b else "—"


def _recipients(types: Iterable[str]) -> str:
    order = ["街道", "镇", "社区", "村", "区级部门", "企业"]
    ts = [t for t in order if t in set(types)] + sorted(set(types) - set(order))
    parts = []
    for t in ts:
        parts.append("区级各部门" if t == "区级部门" else f"各{t}")
    return "、".join(parts) + "党组织："


def _heading1(doc, n: int, text: str) -> None:
    _para(doc, f"{_NUM[n]}、{text}", FONT_H1)


def _heading2(doc, n: int, text: str, rest: str = "") -> None:
    _para(doc, parts=[(f"（{_NUM[n]}）{text}", FONT_H2), (rest, FONT_BODY)])


def build_notice_docx(
    config: Config,
    round_id: str,
    tables: Mapping[str, pd.DataFrame],
    path: Path,
    thresholds: dict[str, float] | None = None,
) -> Path:
    """Write the draft notice from the round's tables (scores, notice, rectification, …)."""
    rnd = config.round(round_id)
    red = Redactor(personal_strings(tables.get("info")))

    def t(name: str) -> pd.DataFrame:
        df = tables.get(name)
        return df if df is not None else pd.DataFrame()

    scores, notice, rect, ex = t("scores"), t("notice"), t("rectification"), t("exemplary")
    expl, units, rates = t("explanations"), t("units"), t("rectification_rates")
    doc = Document()
    sec = doc.sections[0]
    sec.page_height, sec.page_width = Mm(297), Mm(210)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = (
        Mm(37),
        Mm(35),
        Mm(28),
        Mm(26),
    )
    sec.footer_distance = Mm(25)
    _page_number_footer(sec)
    normal = doc.styles["Normal"]
    normal.font.name = FONT_BODY
    normal.font.size = Pt(16)

    _para(
        doc,
        f"关于{config.campaign.name}{rnd.name}情况的通报",
        FONT_TITLE,
        22,
        indent=False,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    _para(doc, "（草稿，供修改）", FONT_H2, 16, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, "")
    types = scores["unit_type"].dropna().astype(str) if len(scores) else pd.Series(dtype=str)
    _para(doc, red(_recipients(types)), indent=False)

    expected = len(scores)
    scored = scores[scores["scored"].astype(bool)] if len(scores) else scores
    rep = (
        units["reporting"].astype(str).value_counts()
        if "reporting" in units
        else pd.Series(dtype=int)
    )
    on_time, late = int(rep.get("on_time", 0)), int(rep.get("late", 0))
    missing = expected - len(scored)
    _para(
        doc,
        red(
            f"按照{config.campaign.name}安排，{config.campaign.office}对截至{_cn_date(rnd.as_of)}各单位活动开展"
            f"情况进行了{rnd.name}，并于{_cn_date(rnd.inspection)}进行检查。现将有关情况通报如下。"
        ),
    )

    _heading1(doc, 0, "基本情况")
    grade_txt = ""
    if len(scored) and "grade_label" in scored:
        counts = scored["grade_label"].value_counts()
        grade_txt = (
            "按综合得分，"
            + "、".join(f"{lab}{int(counts.get(lab, 0))}个" for lab in config.act.grades.labels)
            + "。"
        )
    _para(
        doc,
        red(
            f"全区应报单位{expected}个，按时报送{on_time}个，迟报{late}个，未报送或报表无法使用{missing}个，"
            f"按时报送率{_pct(on_time, expected)}；评分单位{len(scored)}个。{grade_txt}"
        ),
    )

    _heading1(doc, 1, "存在的主要问题")
    th = thresholds or config.scoring.thresholds.as_dict()
    for i, w in enumerate(WEAKNESSES):
        hit = scored[scored[w].astype(float) >= float(th[w])] if len(scored) else scored
        examples = []
        for r in hit.sort_values(w, ascending=False).head(2).to_dict("records"):
            e = (
                expl[(expl["unit_id"] == r["unit_id"]) & (expl["weakness"] == w)]
                if len(expl)
                else expl
            )
            fact = str(e.sort_values("order")["text"].iloc[0]) if len(e) else ""
            examples.append(f"{r['unit_name']}{('（' + fact + '）') if fact else ''}")
        rest = f"共{len(hit)}个单位达到预警线（占评分单位{_pct(len(hit), len(scored))}）"
        rest += ("，如" + "；".join(examples) + "。") if examples else "。"
        _heading2(doc, i, f"{WEAKNESS_LABELS[w]}。", red(rest))

    _heading1(doc, 2, "表扬")
    if len(ex):
        _para(doc, red("以下单位各项工作扎实、排名稳定，其经验做法值得学习借鉴，予以表扬："))
        for j, (_, g) in enumerate(ex.groupby("unit_id", sort=False)):
            head = g.iloc[0]
            practices = []
            for x in g.to_dict("records"):
                when = x.get("date")
                when_txt = (
                    f"（{pd.Timestamp(when).month}月{pd.Timestamp(when).day}日）"
                    if when is not None and not pd.isna(when)
                    else ""
                )
                practices.append(f"{x['practice']}{when_txt}")
            _para(
                doc,
                red(
                    f"{j + 1}. {head['unit_name']}（{head['unit_type']}，{head['grade_label']}）："
                    + "；".join(practices)
                    + "。"
                ),
            )
    else:
        _para(doc, "本轮暂无符合条件的表扬单位。")

    _heading1(doc, 3, "通报批评")
    perf = notice[notice["basis"] == "performance"] if len(notice) else notice
    other = notice[notice["basis"] != "performance"] if len(notice) else notice
    if len(perf):
        _para(doc, red("以下单位工作差距较大，予以通报批评："))
        for j, r in enumerate(perf.to_dict("records")):
            _para(doc, red(f"{j + 1}. {r['unit_name']}：{r['reason']}。"))
    if len(other):
        names = "、".join(str(x) for x in other[other["basis"] == "not_reported"]["unit_name"])
        lates = "、".join(str(x) for x in other[other["basis"] == "late"]["unit_name"])
        if names:
            _para(
                doc, red(f"截至{_cn_date(rnd.deadline)}未报送或报送的报表无法使用的单位：{names}。")
            )
        if lates:
            _para(doc, red(f"迟报的单位：{lates}。"))
    if not len(notice):
        _para(doc, "本轮无通报批评单位。")
    prev = config.previous_round(round_id)
    if prev is not None and len(rates):
        d = rates[rates["scope"] == "district"]
        pn = rates[rates["scope"] == "previous_notice"]
        if len(d) and int(d["carried"].iloc[0]):
            d0 = d.iloc[0]
            txt = (
                f"对{prev.name}指出的{int(d0['carried'])}项整改事项逐项复查：已整改{int(d0['fixed'])}项，部分整改"
                f"{int(d0['partly_fixed'])}项，未整改{int(d0['not_fixed'])}项，无法复查{int(d0['not_checkable'])}项，"
                f"整改率{_pct(int(d0['fixed']), int(d0['checkable']))}。"
            )
            if len(pn):
                q = pn.iloc[0]
                txt += f"上轮通报单位整改率{_pct(int(q['fixed']), int(q['checkable']))}。"
            _para(doc, red(txt))

    _heading1(doc, 4, "整改要求")
    open_items = rect[rect["status"].astype(str) != "fixed"] if len(rect) else rect
    due = pd.Timestamp(open_items["due_date"].iloc[0]).date() if len(open_items) else None
    _para(
        doc,
        red(
            f"各单位要对照附件所列整改事项（共{len(open_items)}项）逐项整改"
            + (f"，于{_cn_date(due)}前整改到位" if due else "")
            + "。下一轮检查将按同一标准逐项复查，整改情况纳入下一轮通报。"
            "通报批评单位要形成书面整改报告，"
            f"报{config.campaign.office}。"
        ),
    )

    _para(doc, "")
    _para(doc, "附件：各单位等次及整改事项", indent=True)
    _para(doc, "")
    _para(doc, red(config.campaign.office), indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, _cn_date(rnd.inspection), indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)

    annex = doc.add_section(WD_SECTION.NEW_PAGE)
    annex.top_margin, annex.bottom_margin, annex.left_margin, annex.right_margin = (
        Mm(37),
        Mm(35),
        Mm(28),
        Mm(26),
    )
    _para(doc, "附件", FONT_H1, 16, indent=False, align=WD_ALIGN_PARAGRAPH.LEFT)
    _para(
        doc, "各单位等次及整改事项", FONT_TITLE, 22, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER
    )
    _annex_table(doc, scored, open_items, red)
    path = Path(path)
    with atomic_path(path, suffix=".tmp.docx") as tmp:
        doc.save(str(tmp))
    return path


def item_summary(items: Iterable[tuple[str, str]]) -> list[str]:
    """One label per kind of item (from its (item_key, item_label) pairs); named keys list
    their names, for example 基础资料缺项（整改台账、群众意见台账）.
    """
    named: dict[str, list[str]] = {}
    for key, label in items:
        family, _, name = key.partition(":")
        lst = named.setdefault(label, [])
        if family in ("action", "materials") and name and name != "quality":
            lst.append(name)
    return [f"{lab}（{'、'.join(dict.fromkeys(ns))}）" if ns else lab for lab, ns in named.items()]


def _annex_table(doc, scored: pd.DataFrame, open_items: pd.DataFrame, red: Redactor) -> None:
    # one pass over the items (per-unit frames cost seconds at 2,000 units)
    per: dict[str, list[tuple[str, str]]] = {}
    if len(open_items):
        for u, key, label in zip(
            open_items["unit_id"].astype(str),
            open_items["item_key"].astype(str),
            open_items["item_label"].astype(str),
            strict=True,
        ):
            per.setdefault(u, []).append((key, label))
    rows = []
    for r in scored.to_dict("records"):
        g = per.get(str(r["unit_id"]))
        labels = item_summary(g) if g is not None else []
        grade = str(r.get("grade_label") or "")
        if bool(r.get("grade_uncertain")):
            grade += "（边界）"
        rows.append(
            (
                len(labels),
                str(r["unit_name"]),
                str(r["unit_type"]),
                grade,
                f"{len(g)}项：" + "、".join(labels) if g is not None else "无",
            )
        )
    rows.sort(key=lambda x: (-x[0], x[1]))
    shown = rows[:MAX_ANNEX_ROWS]
    table = doc.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, h in zip(
        table.rows[0].cells, ("序号", "单位", "类型", "等次", "需整改事项"), strict=True
    ):
        cell.text = ""
        _fonts(cell.paragraphs[0].add_run(h), FONT_H1, 12)
    for i, (_, name, typ, grade, items) in enumerate(shown, start=1):
        cells = table.add_row().cells
        for cell, v in zip(cells, (str(i), name, typ, grade, items), strict=True):
            cell.text = ""
            _fonts(cell.paragraphs[0].add_run(red(v)), FONT_BODY, 12)
    widths = (Mm(12), Mm(40), Mm(20), Mm(24), Mm(60))
    table.autofit = False
    for col, w in zip(table.columns, widths, strict=True):
        col.width = w
    for row in table.rows:
        for cell, w in zip(row.cells, widths, strict=True):
            cell.width = w
    if len(rows) > len(shown):
        _para(
            doc,
            f"（另有{len(rows) - len(shown)}个单位，见汇总表 summary.xlsx）",
            indent=False,
            size=12,
        )


__all__ = [
    "MAX_ANNEX_ROWS",
    "PHONE",
    "Redactor",
    "build_notice_docx",
    "file_name",
    "personal_strings",
]
