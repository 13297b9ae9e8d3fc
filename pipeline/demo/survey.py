"""Demo residents' survey: exports in two layouts per round, with planted truth.

Per round the generator writes into `raw/<round>/survey/`:

- `问卷星导出_<round>.xlsx`: a questionnaire tool's export (its own headers,
  1-5 scale, name and phone columns the pipeline must never read), mapped by
  the `[[survey.layouts]]` entry named 问卷星导出 of the demo configuration;
- `纸质问卷录入_<round>.xlsx` and `纸质问卷录入_<round>_补录.csv`: the paper
  tally in the default layout (pipeline/survey/layout_v1.toml).

Planted truth (`truth/<round>/survey_units.parquet`, `survey_rows.parquet`):
units whose residents are unhappy though their returns look fine (accepted,
no weakness planted), units that overstate their own 群众评价 (the tally in the
return is far above what residents say), small samples, unsurveyed units, and
bad rows (misspelt unit, no unit, duplicated respondent id, a double
submission, empty and unknown answers). Like the rest of the demo, nothing
here imports the scorer or pipeline.survey: only the layout file is shared.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import Config
from pipeline.demo.files import write_file, xlsx_bytes
from pipeline.demo.render import Grid

TOOL_LAYOUT = "问卷星导出"
_TOOL_EXTRA = ("所用时间", "来源", "来源IP")
_TOOL_PRIVATE = (
    "6、您的姓名（选填）",
    "7、您的联系电话（选填）",
)  # never named in a layout: never read
_SURNAMES = "王李张刘陈杨黄赵吴周"
_COMMENTS = (
    "希望多组织志愿服务活动",
    "活动开展得不错",
    "楼道灯坏了很久没人修",
    "办事还要跑好几趟",
    "党员干部很热心",
    "希望多听听群众意见",
    "宣传栏内容很久没更新",
)


# the layout spec is read as a file, like the form spec: nothing of pipeline.survey is imported
_LAYOUT_FILE = Path(__file__).resolve().parent.parent / "survey" / "layout_v1.toml"


@dataclass(frozen=True)
class _Layout:
    respondent_id: str
    unit: str
    submitted_at: str
    overall: str
    answer_columns: tuple[str, ...]
    comments: tuple[str, ...]


def _layout(d: Any) -> _Layout:
    """The columns of a layout given as a dict or as an object with those attributes."""

    def get(key: str, default: Any = None) -> Any:
        return d.get(key, default) if isinstance(d, dict) else getattr(d, key, default)

    answers = tuple(dict.fromkeys([get("overall"), *get("answers", ())]))
    return _Layout(
        get("respondent_id", ""),
        get("unit"),
        get("submitted_at", ""),
        get("overall"),
        answers,
        tuple(get("comments", ())),
    )


def _default_layout() -> _Layout:
    return _layout(tomllib.loads(_LAYOUT_FILE.read_text(encoding="utf-8"))["default"])


def _tool_layout(config: Config) -> _Layout:
    for lay in config.survey.layouts:
        if lay.name == TOOL_LAYOUT:
            return _layout(lay)
    from pipeline.demo.settings import default_config

    return _layout(
        next(lay for lay in default_config(Path(".")).survey.layouts if lay.name == TOOL_LAYOUT)
    )


def _answer_four(sat: bool, rng: np.random.Generator) -> str:
    if rng.random() < 0.04:
        return "不了解"
    return ("满意" if rng.random() < 0.65 else "基本满意") if sat else "不满意"


def _answer_five(sat: bool, rng: np.random.Generator) -> int:
    if sat:
        return 5 if rng.random() < 0.6 else 4
    return int(rng.choice([3, 2, 1], p=[0.6, 0.3, 0.1]))


def _typo(name: str, rng: np.random.Generator) -> str:
    """One character of the name's stem replaced (a misspelling no roster rule folds)."""
    i = int(rng.integers(0, max(len(name) - 2, 1)))
    return name[:i] + ("杜" if name[i] != "杜" else "桂") + name[i + 1 :]


def _xlsx(path: Path, sheet: str, df: pd.DataFrame, received: pd.Timestamp, created) -> None:
    """A deterministic workbook (fixed dates, the demo's writer), blank cells left empty."""
    rows: list[list[object]] = [list(df.columns)]
    rows += [[None if v == "" else v for v in rec] for rec in df.itertuples(index=False)]
    write_file(path, xlsx_bytes([Grid(sheet, rows)], created=created), received)


def plant_units(
    roster: pd.DataFrame, labels: pd.DataFrame, tallies: set[str], rng: np.random.Generator
) -> pd.DataFrame:
    """Per expected unit: surveyed, planned respondents, the residents' true rate and the
    planted labels."""
    lab = labels.set_index("unit_id")
    ids = roster.loc[roster["expected"].astype(bool), "unit_id"].astype(str).tolist()
    n_planted = lab[[c for c in lab.columns if c.endswith("_planted")]].sum(axis=1)
    planted_any = n_planted > 0
    accepted = lab["accepted_file"].notna()
    clean = [u for u in ids if accepted[u] and not planted_any[u]]
    weak = [
        u for u in ids if accepted[u] and n_planted[u] >= 2 and u in tallies
    ]  # clearly weak on paper
    k = max(3, round(0.07 * len(ids)))
    unhappy = (
        set(rng.choice(clean, size=min(k, len(clean) // 2), replace=False)) if clean else set()
    )
    overstate = set(rng.choice(weak, size=min(k, len(weak) // 2), replace=False)) if weak else set()
    rows = []
    for u in ids:
        surveyed = u in unhappy or u in overstate or rng.random() > 0.05
        small = surveyed and u not in unhappy and u not in overstate and rng.random() < 0.1
        n = (
            int(rng.integers(3, 8))
            if small
            else int(rng.integers(40, 61))
            if (u in unhappy or u in overstate)
            else int(rng.integers(15, 51))
        )
        rate = (
            float(rng.uniform(0.40, 0.55))
            if u in unhappy
            else float(rng.uniform(0.50, 0.65))
            if u in overstate
            else float(rng.uniform(0.84, 0.96))
        )
        rows.append(
            {
                "unit_id": u,
                "surveyed": surveyed,
                "respondents": n if surveyed else 0,
                "true_rate": rate,
                "residents_unhappy_planted": u in unhappy,
                "overstated_planted": (u in unhappy or u in overstate) and u in tallies,
            }
        )
    return pd.DataFrame(rows).astype({"unit_id": "string", "respondents": "Int64"})


def _respondents(
    units: pd.DataFrame, roster: pd.DataFrame, start: datetime, rng: np.random.Generator
) -> list[dict]:
    name = dict(zip(roster["unit_id"].astype(str), roster["unit_name"].astype(str), strict=True))
    utype = dict(zip(roster["unit_id"].astype(str), roster["unit_type"].astype(str), strict=True))
    out = []
    r: Any  # an itertuples row: pandas-stubs types every field as any scalar (bytes, dates, ...)
    for r in units[units["surveyed"]].itertuples(index=False):
        for _ in range(int(r.respondents)):
            sat = bool(rng.random() < r.true_rate)
            items = [
                sat if rng.random() < 0.7 else bool(rng.random() < r.true_rate) for _ in range(2)
            ]
            comment = str(rng.choice(_COMMENTS)) if rng.random() < 0.25 else ""
            if comment and rng.random() < 0.3:  # personal details typed into a comment
                phone = int(rng.integers(10**7, 10**8))
                comment += f"，我叫{rng.choice(list(_SURNAMES))}小明，电话139{phone:08d}"
            out.append(
                {
                    "unit_id": str(r.unit_id),
                    "unit_name": name[str(r.unit_id)],
                    "type": utype[str(r.unit_id)],
                    "sat": [sat, *items],
                    "comment": comment,
                    "at": start + timedelta(seconds=int(rng.integers(0, 10 * 86400))),
                }
            )
    rng.shuffle(out)
    return sorted(out, key=lambda d: d["at"])


def write_survey(
    config: Config,
    roster: pd.DataFrame,
    labels: pd.DataFrame,
    tallies: set[str],
    rid: str,
    folder: Path,
    truth_dir: Path,
    rng: np.random.Generator,
) -> dict[str, int]:
    """Write one round's survey exports and their truth; returns counts for the summary."""
    folder.mkdir(parents=True, exist_ok=True)
    rnd = config.round(rid)
    units = plant_units(roster, labels, tallies, rng)
    people = _respondents(
        units, roster, datetime.combine(rnd.as_of, datetime.min.time()) - timedelta(days=12), rng
    )
    paper_types = {"社区", "村"}
    tool = [p for p in people if p["type"] not in paper_types]
    paper = [p for p in people if p["type"] in paper_types]
    planted: list[dict] = []
    tl, dl = _tool_layout(config), _default_layout()

    # questionnaire tool export: 序号, time, the tool's own columns, answers 1-5, private columns
    t_rows = []
    for i, p in enumerate(tool, start=1):
        rec = {
            tl.respondent_id: i,
            tl.submitted_at: p["at"].strftime("%Y/%m/%d %H:%M:%S"),
            _TOOL_EXTRA[0]: f"{int(rng.integers(40, 400))}秒",
            _TOOL_EXTRA[1]: "微信",
            _TOOL_EXTRA[2]: f"10.0.{int(rng.integers(0, 255))}.{int(rng.integers(1, 255))}",
            tl.unit: p["unit_name"],
        }
        for h, s in zip(tl.answer_columns, p["sat"], strict=False):
            rec[h] = _answer_five(s, rng)
        rec[tl.comments[0]] = p["comment"]
        rec[_TOOL_PRIVATE[0]] = f"{rng.choice(list(_SURNAMES))}先生" if rng.random() < 0.3 else ""
        rec[_TOOL_PRIVATE[1]] = (
            f"138{int(rng.integers(10**7, 10**8)):08d}" if rng.random() < 0.3 else ""
        )
        t_rows.append(rec)
    t_file = f"{TOOL_LAYOUT}_{rid}.xlsx"
    # a double submission: the same answers again 3 seconds later (the tool gives it a new 序号)
    if t_rows:
        j = int(rng.integers(0, len(t_rows)))
        dup = dict(t_rows[j])
        dup[tl.respondent_id] = len(t_rows) + 1
        dup[tl.submitted_at] = (
            datetime.strptime(t_rows[j][tl.submitted_at], "%Y/%m/%d %H:%M:%S")
            + timedelta(seconds=3)
        ).strftime("%Y/%m/%d %H:%M:%S")
        t_rows.insert(j + 1, dup)
        planted.append({"file": t_file, "data_row": j + 1, "code": "survey_duplicate_row"})
    # paper tally: 问卷编号 P0001..., answers in words, an interviewer column the layout does
    # not read
    p_rows = []
    for i, p in enumerate(paper, start=1):
        rec = {
            dl.respondent_id: f"P{i:04d}",
            dl.unit: p["unit_name"],
            dl.submitted_at: p["at"].strftime("%Y-%m-%d %H:%M"),
            "调查员": f"{rng.choice(list(_SURNAMES))}调查员",
        }
        for h, s in zip(dl.answer_columns, p["sat"], strict=False):
            rec[h] = _answer_four(s, rng)
        rec[dl.comments[0]] = p["comment"]
        p_rows.append(rec)
    # planted bad rows in the paper tally (positions among its data rows)
    n = len(p_rows)
    if n >= 20:
        half = (2 * n) // 3
        # (not the first row of the csv part: a repeated id is looked for within one file)
        pos = rng.choice(np.setdiff1d(np.arange(1, n), [half]), size=7, replace=False)
        a, b, c, d, e, f, g = (int(x) for x in pos)
        p_rows[a][dl.unit] = _typo(p_rows[a][dl.unit], rng)
        planted.append({"file": "paper", "data_row": a, "code": "survey_unit_misspelt"})
        p_rows[b][dl.unit] = ""
        planted.append({"file": "paper", "data_row": b, "code": "survey_no_unit"})
        p_rows[c][dl.respondent_id] = p_rows[c - 1][dl.respondent_id]
        planted.append({"file": "paper", "data_row": c, "code": "survey_duplicate_id"})
        p_rows[d][dl.overall] = ""
        planted.append({"file": "paper", "data_row": d, "code": "survey_empty_answer"})
        p_rows[e][dl.overall] = "很好"
        planted.append({"file": "paper", "data_row": e, "code": "survey_bad_answer"})
        p_rows[f][dl.overall] = "比较满意"  # an alias of 基本满意: read, no finding
        p_rows[g][dl.answer_columns[-1]] = ""  # an item left blank: a warning, the row is kept
        planted.append({"file": "paper", "data_row": g, "code": "survey_item_unanswered"})
    half = (2 * n) // 3
    paper_cols = [
        dl.respondent_id,
        dl.unit,
        dl.submitted_at,
        *dl.answer_columns,
        dl.comments[0],
        "调查员",
    ]
    tool_df = pd.DataFrame(
        t_rows,
        columns=[
            tl.respondent_id,
            tl.submitted_at,
            *_TOOL_EXTRA,
            tl.unit,
            *tl.answer_columns,
            tl.comments[0],
            *_TOOL_PRIVATE,
        ],
    )
    stamp = pd.Timestamp(datetime.combine(rnd.as_of, datetime.min.time()), tz="Asia/Shanghai")
    _xlsx(folder / t_file, "问卷数据", tool_df, stamp, rnd.as_of)
    paper_df = pd.DataFrame(p_rows, columns=paper_cols)
    _xlsx(folder / f"纸质问卷录入_{rid}.xlsx", "问卷录入", paper_df.iloc[:half], stamp, rnd.as_of)
    write_file(
        folder / f"纸质问卷录入_{rid}_补录.csv",
        paper_df.iloc[half:].to_csv(index=False, lineterminator="\n").encode("utf-8-sig"),
        stamp,
    )
    for pl in planted:  # a paper row's file and position after the split into xlsx + csv
        if pl["file"] == "paper":
            first = pl["data_row"] < half
            pl["file"] = f"纸质问卷录入_{rid}.xlsx" if first else f"纸质问卷录入_{rid}_补录.csv"
            pl["data_row"] = pl["data_row"] if first else pl["data_row"] - half
    truth_dir.mkdir(parents=True, exist_ok=True)
    units.to_parquet(truth_dir / "survey_units.parquet", index=False)
    pd.DataFrame(planted, columns=["file", "data_row", "code"]).astype(
        {"file": "string", "data_row": "Int64", "code": "string"}
    ).to_parquet(truth_dir / "survey_rows.parquet", index=False)
    return {
        "respondents": len(t_rows) + len(p_rows),
        "unhappy": int(units["residents_unhappy_planted"].sum()),
        "overstated": int(units["overstated_planted"].sum()),
    }
