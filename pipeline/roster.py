"""The unit roster (单位名册): who is expected to report, and name matching.

`load_roster(path)` reads the roster (xlsx or csv) into a validated table;
`read_roster_frame(df)` validates a frame already in memory; `match_unit`
finds the roster unit a return speaks for.

Roster table columns (English names, one row per unit):

| column     | dtype          | from       |
| ---------- | -------------- | ---------- |
| unit_id    | string         | 单位编码   |
| unit_name  | string         | 单位名称   |
| aliases    | object (list)  | 别名, split on ; ；、 , ，|
| unit_type  | string         | 单位类型   |
| parent_id  | string or <NA> | 上级单位编码 |
| keywords   | object (list)  | 业务关键词 |
| expected   | bool           | 应报 (是/否; empty = 是) |
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from rapidfuzz import fuzz, process

from pipeline.config import Ingest
from pipeline.errors import ScorecardError
from pipeline.form import load_form

_INGEST = Ingest()  # the config model holds every default; signatures read it

ROSTER_COLUMNS: dict[str, str] = {
    "单位编码": "unit_id",
    "单位名称": "unit_name",
    "别名": "aliases",
    "单位类型": "unit_type",
    "上级单位编码": "parent_id",
    "业务关键词": "keywords",
    "应报": "expected",
}
REQUIRED_COLUMNS = ("单位编码", "单位名称", "单位类型")

_SPLIT = re.compile(r"[;；、,，]+")
_PUNCT_SPACE = re.compile(r"[\s\u3000\W_]+", re.UNICODE)

# Long and short forms of a unit kind, folded to one canonical suffix.
# Longest first so that 街道办事处 is folded before 街道.
_KIND_FORMS: tuple[tuple[str, str], ...] = (
    ("街道办事处", "街道"),
    ("街道办", "街道"),
    ("街办", "街道"),
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("社区委员会", "社区"),
    ("居民委员会", "社区"),
    ("居委会", "社区"),
    ("村村民委员会", "村"),  # 金家村村民委员会: the name's own 村 plus the body
    ("村村委会", "村"),
    ("村村委", "村"),
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("村委", "村"),
    ("人民政府", ""),
    ("镇政府", "镇"),
    ("党委", ""),
    ("党支部", ""),
    ("党总支", ""),
)


@dataclass(frozen=True)
class RosterProblem:
    row: (
        int | None
    )  # 1-based data row in the roster file (header = row 1), None for whole-file problems
    column: str | None
    code: str
    message: str


def _where(p: RosterProblem) -> str:
    where = " ".join(x for x in (f"第{p.row}行" if p.row else "", p.column or "") if x)
    return f"{where}: " if where else ""


class RosterError(ScorecardError):
    """A roster that cannot be used; `problems` lists every problem found."""

    def __init__(self, source: str, problems: list[RosterProblem]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {_where(p)}{p.message} [{p.code}]" for p in problems)
        super().__init__(f"单位名册 {source} 有 {len(problems)} 处问题:\n{lines}")

    def cli_message(self) -> str:
        if any(p.code == "missing_file" for p in self.problems):
            return (
                f"{self}\n提示: 先运行 `scorecard demo` 生成演示名册，"
                "或在配置 [paths] roster 中指定名册文件。"
            )
        return str(self)


def normalise_text(value: str) -> str:
    """NFKC, no spaces or punctuation: the comparison form of names and headers."""
    return _PUNCT_SPACE.sub("", unicodedata.normalize("NFKC", str(value))).strip()


def normalise_name(name: str) -> str:
    """The matching form of a unit name: NFKC, no punctuation, long/short kind forms folded."""
    text = normalise_text(name)
    for long, short in _KIND_FORMS:
        if text.endswith(long) and len(text) > len(long):
            text = text[: -len(long)] + short
            break
    return text


def _split(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return []
    return [p.strip() for p in _SPLIT.split(str(value)) if p.strip()]


def _yes(value: object) -> bool | None:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return True
    text = normalise_text(str(value))
    if text in ("", "是", "Y", "y", "yes", "1", "True", "true", "√"):
        return True
    if text in ("否", "N", "n", "no", "0", "False", "false", "×"):
        return False
    return None


def read_roster_frame(raw: pd.DataFrame, source: str = "<frame>") -> pd.DataFrame:
    """Validate a roster frame with the Chinese headers; every problem is collected."""
    problems: list[RosterProblem] = []
    raw = raw.rename(columns=lambda c: normalise_text(c))
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise RosterError(
            source,
            [RosterProblem(None, c, "missing_column", f"缺少列“{c}”") for c in missing],
        )
    df = pd.DataFrame(index=raw.index)
    for zh, en in ROSTER_COLUMNS.items():
        df[en] = raw[zh] if zh in raw.columns else None

    def text(v: object) -> str | None:
        if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
            return None
        s = unicodedata.normalize("NFKC", str(v)).strip()
        return s or None

    # validate on plain Python values (a DataFrame would turn None into NaN)
    unit_ids = [text(v) for v in df["unit_id"]]
    names = [text(v) for v in df["unit_name"]]
    aliases = [_split(v) for v in df["aliases"]]
    kinds = [text(v) for v in df["unit_type"]]
    parents = [text(v) for v in df["parent_id"]]
    expected = [_yes(v) for v in df["expected"]]
    cols: dict[str, list[Any]] = {
        "unit_id": unit_ids,
        "unit_name": names,
        "aliases": aliases,
        "unit_type": kinds,
        "parent_id": parents,
        "keywords": [_split(v) for v in df["keywords"]],
        "expected": expected,
    }
    out = pd.DataFrame(cols, dtype=object)
    rows = [i + 2 for i in range(len(out))]  # header is row 1
    unit_types = load_form().unit_types  # the form's 单位类型 choices: the one list
    for row, uid, name, kind, exp in zip(rows, unit_ids, names, kinds, expected, strict=True):
        if not uid:
            problems.append(RosterProblem(row, "单位编码", "missing_id", "单位编码为空"))
        if not name:
            problems.append(RosterProblem(row, "单位名称", "missing_name", "单位名称为空"))
        if kind not in unit_types:
            problems.append(
                RosterProblem(
                    row,
                    "单位类型",
                    "unknown_type",
                    f"单位类型“{kind or ''}”不在 {'/'.join(unit_types)} 之中",
                )
            )
        if exp is None:
            problems.append(RosterProblem(row, "应报", "bad_expected", "应报应填“是”或“否”"))
    positions: dict[str, list[int]] = {}
    for i, uid in enumerate(unit_ids):
        if uid:
            positions.setdefault(uid, []).append(i)
    for uid, group in positions.items():
        if len(group) > 1:
            where = "、".join(str(rows[i]) for i in group)
            problems.append(
                RosterProblem(
                    rows[group[1]],
                    "单位编码",
                    "duplicate_id",
                    f"单位编码 {uid} 重复（第{where}行）",
                )
            )
    from pipeline.report.pagename import page_collisions

    for ids in page_collisions(u for u in positions if len(positions[u]) == 1).values():
        where = "、".join(f"{u}（第{rows[positions[u][0]]}行）" for u in ids)
        problems.append(
            RosterProblem(
                rows[positions[ids[-1]][0]],
                "单位编码",
                "page_collision",
                f"单位编码 {where} 只差大小写或特殊字符，单位画像页的文件名会相同；"
                "请改用能区分的编码",
            )
        )
    known = {u for u in unit_ids if u}
    parent = dict(zip(unit_ids, parents, strict=True))
    for row, pid in zip(rows, parents, strict=True):
        if pid and pid not in known:
            problems.append(
                RosterProblem(
                    row,
                    "上级单位编码",
                    "unknown_parent",
                    f"上级单位编码 {pid} 不在名册中",
                )
            )
    # cycles: follow parents; a walk longer than the roster or back to the start is a cycle
    reported: set[str] = set()
    for uid in unit_ids:
        if not uid or uid in reported:
            continue
        seen = [uid]
        cur = parent.get(uid)
        while cur and cur in parent and cur not in seen:
            seen.append(cur)
            cur = parent.get(cur)
        if cur and cur in seen:
            cycle = seen[seen.index(cur) :]
            if reported.isdisjoint(cycle):  # a unit hanging below a cycle: report the cycle once
                reported.update(cycle)
                problems.append(
                    RosterProblem(
                        rows[unit_ids.index(cur)],
                        "上级单位编码",
                        "parent_cycle",
                        f"上级关系成环: {' → '.join([*cycle, cur])}",
                    )
                )
    # a name (or alias) that stands for two units makes matching ambiguous
    owners: dict[str, set[str]] = {}
    for uid, official, als in zip(unit_ids, names, aliases, strict=True):
        for name in [official, *als]:
            if name and uid:
                owners.setdefault(normalise_name(name), set()).add(uid)
    for name, units in owners.items():
        if len(units) > 1:
            problems.append(
                RosterProblem(
                    None,
                    "单位名称/别名",
                    "ambiguous_name",
                    f"名称“{name}”对应多个单位: {', '.join(sorted(units))}",
                )
            )
    if problems:
        raise RosterError(source, problems)
    out["unit_id"] = out["unit_id"].astype("string")
    out["unit_name"] = out["unit_name"].astype("string")
    out["unit_type"] = out["unit_type"].astype("string")
    out["parent_id"] = out["parent_id"].astype("string")
    out["expected"] = out["expected"].astype(bool)
    return out.reset_index(drop=True)


def load_roster(path: str | Path) -> pd.DataFrame:
    """Read and validate the roster file (xlsx, xls, ods or csv); every problem at once."""
    path = Path(path)
    if not path.is_file():
        raise RosterError(str(path), [RosterProblem(None, None, "missing_file", "名册文件不存在")])
    if path.suffix.lower() == ".csv":
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    else:
        raw = pd.read_excel(path, dtype=str, engine="calamine", keep_default_na=False)
    raw = raw.replace({"": None})
    return read_roster_frame(raw, source=str(path))


def roster_to_frame(roster: pd.DataFrame) -> pd.DataFrame:
    """The roster with its Chinese headers, as written to a file."""
    out = pd.DataFrame(
        {
            "单位编码": roster["unit_id"],
            "单位名称": roster["unit_name"],
            "别名": [";".join(a) for a in roster["aliases"]],
            "单位类型": roster["unit_type"],
            "上级单位编码": roster["parent_id"].fillna(""),
            "业务关键词": [";".join(k) for k in roster["keywords"]],
            "应报": ["是" if e else "否" for e in roster["expected"]],
        }
    )
    return out


@dataclass(frozen=True)
class Candidate:
    unit_id: str
    unit_name: str
    score: float


@dataclass(frozen=True)
class Match:
    """How a written unit name was matched to the roster."""

    written: str
    unit_id: str | None
    how: str  # exact | alias | normalised | near_miss | none
    candidates: tuple[Candidate, ...] = field(default=())


@dataclass(frozen=True)
class NameIndex:
    """Lookup tables built once per roster."""

    exact: dict[str, str]
    alias: dict[str, str]
    normalised: dict[str, str]
    names: dict[str, str]  # unit_id -> official name
    choices: dict[str, str]  # normalised form -> unit_id, for fuzzy search


def build_name_index(roster: pd.DataFrame) -> NameIndex:
    exact: dict[str, str] = {}
    alias: dict[str, str] = {}
    norm: dict[str, str] = {}
    for uid, name, aliases in zip(
        roster["unit_id"], roster["unit_name"], roster["aliases"], strict=True
    ):
        exact[str(name)] = str(uid)
        norm.setdefault(normalise_name(name), str(uid))
        for a in aliases:
            alias[a] = str(uid)
            norm.setdefault(normalise_name(a), str(uid))
    names = dict(zip(roster["unit_id"].astype(str), roster["unit_name"].astype(str), strict=True))
    return NameIndex(exact, alias, norm, names, dict(norm))


def match_unit(
    written: str, index: NameIndex, cutoff: float = _INGEST.name_match_cutoff, limit: int = 3
) -> Match:
    """Match a unit name as written in a return to the roster.

    Exact name, then alias, then the normalised form (long/short kind forms
    folded). Anything else is never merged: it comes back as `near_miss` with
    the best roster candidates (or `none`).
    """
    text = unicodedata.normalize("NFKC", str(written or "")).strip()
    if not text:
        return Match(str(written or ""), None, "none")
    if text in index.exact:
        return Match(text, index.exact[text], "exact")
    if text in index.alias:
        return Match(text, index.alias[text], "alias")
    key = normalise_name(text)
    if key in index.normalised:
        return Match(text, index.normalised[key], "normalised")
    found = process.extract(
        key, list(index.choices), scorer=fuzz.WRatio, limit=limit * 3, score_cutoff=cutoff
    )
    seen: dict[str, Candidate] = {}
    for choice, score, _ in found:
        uid = index.choices[choice]
        if uid not in seen:
            seen[uid] = Candidate(uid, index.names[uid], round(float(score), 1))
    cands = tuple(sorted(seen.values(), key=lambda c: -c.score)[:limit])
    return Match(text, None, "near_miss" if cands else "none", cands)
