"""The residents' view in the reports: frames, commentary, the unit-card section, workbook sheets.

Everything here reads the survey tables (`satisfaction`, `paper_vs_residents`,
`survey_self_report`, `survey_findings`, `survey_ledger`, `survey_excerpts`)
and returns Chinese display frames or lines; a round without a survey gets
empty frames and a sentence saying so. No free text but anonymised excerpts
(when `[survey] excerpts` is on) ever reaches a page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from pipeline.codes import Severity
from pipeline.config import Survey
from pipeline.survey.codes import SURVEY_CODES
from pipeline.survey.compare import pct, satisfaction_note

_SURVEY = Survey()  # the config model holds every default; signatures read it

NO_SURVEY = "本轮没有群众满意度调查数据（data/raw/<轮次>/survey/ 中没有问卷导出文件）。"


def _interval(lo: Any, hi: Any) -> str:  # two cell values
    return "—" if pd.isna(lo) or pd.isna(hi) else f"{pct(lo)}–{pct(hi)}"


def satisfaction_frame(sat: pd.DataFrame | None, unit_type: str | None = None) -> pd.DataFrame:
    """Per unit: respondents, rate with interval, shrunk rate, mean, comments, 样本不足, rank."""
    if sat is None or sat.empty:
        return pd.DataFrame()
    s = sat if not unit_type else sat[sat["unit_type"] == unit_type]
    s = s.sort_values(
        ["enough", "rank", "unit_id"], ascending=[False, True, True], na_position="last"
    )
    return pd.DataFrame(
        {
            "单位编码": s["unit_id"],
            "单位名称": s["unit_name"],
            "单位类型": s["unit_type"],
            "调查人数": s["respondents"],
            "作答人数": s["answered"],
            "满意率": [pct(v) for v in s["rate"]],
            "95%区间": [
                _interval(a, b) for a, b in zip(s["rate_low"], s["rate_high"], strict=True)
            ],
            "排名用满意率（向全区收缩）": [
                pct(v) if e else "—" for v, e in zip(s["rate_shrunk"], s["enough"], strict=True)
            ],
            "平均分（0–100）": s["mean_score"].astype(float).round(1),
            "意见建议条数": s["n_comments"],
            "满意度排名": [
                str(int(r)) if pd.notna(r) else st
                for r, st in zip(s["rank"], s["status"], strict=True)
            ],
        }
    ).reset_index(drop=True)


def comparison_frame(
    pv: pd.DataFrame | None,
    unit_type: str | None = None,
    verdict_only: bool = True,
    max_rows: int | None = 20,
) -> pd.DataFrame:
    """The units where returns and residents disagree most, with the facts."""
    if pv is None or pv.empty:
        return pd.DataFrame()
    p = pv if not unit_type else pv[pv["unit_type"] == unit_type]
    if verdict_only:
        p = p[p["verdict"].astype(str) != ""]
    p = p.head(max_rows) if max_rows else p
    return pd.DataFrame(
        {
            "单位编码": p["unit_id"],
            "单位名称": p["unit_name"],
            "单位类型": p["unit_type"],
            "判断": p["verdict_label"],
            "象限": p["quadrant"],
            "排位差（报表 − 群众，百分位）": (100 * p["disagreement"].astype(float)).round(0),
            "事实": p["facts"],
        }
    ).reset_index(drop=True)


def self_report_frame(
    sr: pd.DataFrame | None, sat: pd.DataFrame | None = None, overstated_only: bool = True
) -> pd.DataFrame:
    if sr is None or sr.empty:
        return pd.DataFrame()
    s = sr[sr["overstated"].astype(bool)] if overstated_only else sr
    names = (
        {} if sat is None or sat.empty else dict(zip(sat["unit_id"], sat["unit_name"], strict=True))
    )
    return (
        pd.DataFrame(
            {
                "单位编码": s["unit_id"],
                "单位名称": [names.get(u, "") for u in s["unit_id"]],
                "自报满意率": [pct(v) for v in s["self_rate"]],
                "自报测评人数": s["self_surveyed"],
                "独立调查满意率": [pct(v) for v in s["rate"]],
                "调查作答人数": s["answered"],
                "调查95%区间上限": [pct(v) for v in s["rate_high"]],
                "自报高出（百分点）": (100 * s["gap"].astype(float)).round(0),
            }
        )
        .sort_values("自报高出（百分点）", ascending=False)
        .reset_index(drop=True)
    )


def survey_findings_frame(f: pd.DataFrame | None) -> pd.DataFrame:
    if f is None or f.empty:
        return pd.DataFrame()
    return pd.DataFrame(
        {
            "文件": f["file"],
            "工作表": f["sheet"],
            "单元格": f["cell"],
            "行": f["row"],
            "单位编码": f["unit_id"],
            "级别": f["severity"]
            .map(
                {
                    "error": f"{Severity.ERROR.label}（该行未采用）",
                    "warning": Severity.WARNING.label,
                }
            )
            .fillna(f["severity"]),
            "问题": f["code"].map(SURVEY_CODES).fillna(f["code"]),
            "说明": f["message"],
        }
    ).reset_index(drop=True)


def ledger_frame(led: pd.DataFrame | None) -> pd.DataFrame:
    if led is None or led.empty:
        return pd.DataFrame()
    out = pd.DataFrame(
        {
            "文件": led["file"],
            "工作表": led["sheet"],
            "格式": led["layout"],
            "读取行数": led["rows_read"],
            "采用": led["rows_kept"],
            "剔除": led["rows_set_aside"],
        }
    )
    total = pd.DataFrame(
        [
            {
                "文件": "合计",
                "读取行数": int(led["rows_read"].sum()),
                "采用": int(led["rows_kept"].sum()),
                "剔除": int(led["rows_set_aside"].sum()),
            }
        ]
    )
    return pd.concat([out, total], ignore_index=True)


def survey_commentary(
    tables: Mapping[str, pd.DataFrame],
    unit_type: str | None = None,
    min_respondents: int = _SURVEY.min_respondents,
) -> list[str]:
    sat = tables.get("satisfaction")
    if sat is None or sat.empty:
        return [NO_SURVEY]
    s = sat if not unit_type else sat[sat["unit_type"] == unit_type]
    led = tables.get("survey_ledger")
    lines = []
    if led is not None and not led.empty and not unit_type:
        lines.append(
            f"共读取问卷 {int(led['rows_read'].sum())} 份，采用 {int(led['rows_kept'].sum())} 份，"
            f"剔除 {int(led['rows_set_aside'].sum())} 份"
            "（未填单位、单位名称不符、重复提交、未作答等，见问卷核查清单）。"
        )
    enough = s[s["enough"].astype(bool)]
    who = f"{unit_type}类单位" if unit_type else "全区"
    lines.append(
        f"{who}有调查结果的单位 {len(s)} 个，其中样本足够的 {len(enough)} 个、"
        f"样本不足的 {len(s) - len(enough)} 个"
        f"（少于 {min_respondents} 人作答不排名）；"
        f"全区群众满意率 {pct(sat['district_rate'].iloc[0])}。"
    )
    pv = tables.get("paper_vs_residents")
    if pv is not None and not pv.empty:
        p = pv if not unit_type else pv[pv["unit_type"] == unit_type]
        red = p[p["verdict"] == "paper_strong_residents_unhappy"]
        green = p[p["verdict"] == "paper_weak_residents_happy"]
        if len(red):
            lines.append(
                f"“纸面强、群众不满意”的单位 {len(red)} 个："
                + "、".join(red["unit_name"].astype(str).head(8))
                + "——报表得分在中位数以上，但群众满意率的 95% 区间上限仍低于全区水平，"
                "建议实地核查。"
            )
        if len(green):
            lines.append(
                f"“纸面弱、群众满意”的单位 {len(green)} 个："
                + "、".join(green["unit_name"].astype(str).head(8))
                + "——报表得分偏低而群众评价明显较高，可能是报表填报不充分。"
            )
        if not len(red) and not len(green):
            lines.append("报表反映的情况与群众评价没有明显矛盾的单位。")
    sr = tables.get("survey_self_report")
    if sr is not None and not sr.empty:
        ids = set(s["unit_id"].astype(str))
        over = sr[sr["overstated"].astype(bool) & sr["unit_id"].astype(str).isin(ids)]
        if len(over):
            lines.append(
                f"单位自报的“群众评价”明显高于独立调查的有 {len(over)} 个单位"
                "（见下表，已列入问卷核查清单）。"
            )
    return lines


def unit_survey_lines(tables: Mapping[str, pd.DataFrame], unit_id: str) -> list[str]:
    sat = tables.get("satisfaction")
    if sat is None or sat.empty:
        return [NO_SURVEY]
    row = sat[sat["unit_id"] == unit_id]
    if row.empty:
        return ["本轮独立调查中没有本单位的有效问卷。"]
    r = row.iloc[0]
    lines = [satisfaction_note(r) + f"；全区 {pct(r['district_rate'])}。"]
    if bool(r["enough"]) and pd.notna(r["rank"]):
        lines.append(
            f"满意度排名第 {int(r['rank'])} 名"
            "（排名用的满意率向全区水平收缩，样本少的单位不会因偶然因素垫底）。"
        )
    pv = tables.get("paper_vs_residents")
    if pv is not None and not pv.empty:
        p = pv[pv["unit_id"] == unit_id]
        if len(p):
            q = p.iloc[0]
            lines.append(
                f"报表与群众评价：{q['quadrant']}"
                + (f"（{q['verdict_label']}）" if q["verdict_label"] else "")
                + f"。{q['facts']}。"
            )
    sr = tables.get("survey_self_report")
    if sr is not None and not sr.empty:
        s = sr[(sr["unit_id"] == unit_id) & sr["overstated"].astype(bool)]
        if len(s):
            x = s.iloc[0]
            lines.append(
                f"本单位自报群众满意率 {pct(x['self_rate'])}（测评 {int(x['self_surveyed'])} 人），"
                f"明显高于独立调查的 {pct(x['rate'])}，请核实。"
            )
    if int(r["n_comments"]):
        lines.append(f"群众意见建议 {int(r['n_comments'])} 条。")
    ex = tables.get("survey_excerpts")
    if ex is not None and not ex.empty:
        for text in ex.loc[ex["unit_id"] == unit_id, "excerpt"]:
            lines.append(f"意见摘录（已去除个人信息）：“{text}”")
    return lines


def write_survey_sheets(
    book, tables: Mapping[str, pd.DataFrame], fmt: Mapping[str, object], write_frame: Callable
) -> None:
    """The survey's sheets of summary.xlsx (only when the round has a survey)."""
    sat = tables.get("satisfaction")
    if sat is None or sat.empty:
        return
    write_frame(
        book,
        "群众满意度",
        satisfaction_frame(sat),
        fmt,
        2,
        note=(
            "群众满意率 = （满意 + 基本满意）/ 作答人数（不了解不计）；"
            "作答不足规定人数的单位为“样本不足”，不排名"
        ),
    )
    comp = comparison_frame(tables.get("paper_vs_residents"), verdict_only=False, max_rows=None)
    if not comp.empty:
        write_frame(
            book,
            "报表与群众评价",
            comp,
            fmt,
            2,
            note=(
                "按报表排位与群众满意度排位之差排序；"
                "“判断”只在满意率的 95% 区间与全区水平拉开差距时给出"
            ),
        )
    write_frame(
        book,
        "自报与调查对比",
        self_report_frame(tables.get("survey_self_report"), sat, overstated_only=False),
        fmt,
        2,
    )
    write_frame(book, "问卷核查清单", survey_findings_frame(tables.get("survey_findings")), fmt, 1)
    write_frame(
        book,
        "问卷读取台账",
        ledger_frame(tables.get("survey_ledger")),
        fmt,
        1,
        note="读取行数 = 采用 + 剔除",
    )
