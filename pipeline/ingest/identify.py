"""Which unit a file speaks for, and which of a unit's files stands.

Pure functions over small frames: `identify` matches the 单位名称 written in
基本情况 to the roster (exact, alias, normalised kind forms; a near miss is
never merged) and checks the file name; `resolve_statuses` decides accepted /
superseded for each unit (the later 填报日期, then the later file time;
identical content by sha256).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath

from pipeline.roster import Match, NameIndex, match_unit, normalise_name, normalise_text

_NOISE = re.compile(r"(\(\d+\)|（\d+）|副本|copy|最终版|修改版|修订版|终稿|定稿|新版|更新版?|v\d+)", re.I)
_ROUNDISH = re.compile(r"\d{4}[-_.年]?\d{1,2}月?|\d{6,8}")
_FORMWORDS = re.compile(r"创先争优|活动|进展情况|报表|统计表|填报|情况表?|上报|报送")


@dataclass(frozen=True)
class Identity:
    unit_id: str | None
    reason: str | None  # None when identified; unknown_unit / ambiguous_unit (two roster units tie) otherwise
    message: str | None
    match: Match | None


def identify(written: str | None, index: NameIndex, cutoff: float = 80) -> Identity:
    if not written or not str(written).strip():
        return Identity(None, "unknown_unit", "基本情况中未填写单位名称，无法确认报送单位", None)
    m = match_unit(written, index, cutoff=cutoff)
    if m.unit_id:
        return Identity(m.unit_id, None, None, m)
    if m.how == "near_miss" and len(m.candidates) > 1 and m.candidates[0].score == m.candidates[1].score:
        tied = [c for c in m.candidates if c.score == m.candidates[0].score]
        names = "、".join(f"{c.unit_name}（{c.unit_id}）" for c in tied)
        return Identity(None, "ambiguous_unit",
                        f"单位名称“{m.written}”与名册中的{names}同样接近，无法确定是哪个单位，请按名册填写单位全称", m)
    if m.how == "near_miss":
        names = "、".join(f"{c.unit_name}（{c.unit_id}）" for c in m.candidates)
        return Identity(None, "unknown_unit",
                        f"单位名称“{m.written}”不在单位名册中，最接近的是：{names}，请按名册填写单位全称", m)
    # nothing above the cutoff: still show the closest roster names, as suggestions only
    loose = match_unit(written, index, cutoff=min(cutoff, 50))
    if loose.candidates:
        names = "、".join(f"{c.unit_name}（{c.unit_id}）" for c in loose.candidates)
        return Identity(None, "unknown_unit",
                        f"单位名称“{m.written}”不在单位名册中（名册中相近的有：{names}），请按名册填写单位全称", loose)
    return Identity(None, "unknown_unit", f"单位名称“{m.written}”不在单位名册中，请按名册填写单位全称", m)


def filename_unit(file: str, index: NameIndex, round_id: str, round_name: str = "") -> tuple[str | None, str]:
    """The unit a file name names (if any), and the name part that was tried.

    Each part of the stem (split on _ - spaces) is looked up whole, then by
    the longest roster name or alias it starts with (`摩梭河煤矿7月调研报表`).
    """
    stem = PurePosixPath(file).stem
    for noise in (round_id, round_name):
        if noise:
            stem = stem.replace(noise, " ")
    stem = _NOISE.sub(" ", stem)
    parts = [p for p in re.split(r"[_\-\s—·.、]+", stem) if p]
    tried = []
    for part in parts:
        part = _ROUNDISH.sub("", part)
        if not part:
            continue
        tried.append(part)
        uid = _lookup(part, index) or _prefix(part, index)
        if uid:
            return uid, part
    return None, " ".join(tried)


def _prefix(text: str, index: NameIndex) -> str | None:
    key = normalise_text(text)
    best = None
    for name, uid in index.normalised.items():
        if len(name) >= 2 and key.startswith(name) and (best is None or len(name) > len(best[0])):
            best = (name, uid)
    return best[1] if best else None


def _lookup(text: str, index: NameIndex) -> str | None:
    """Exact, alias or normalised name; never fuzzy."""
    return index.exact.get(text) or index.alias.get(text) or index.normalised.get(normalise_name(text))


def filename_disagrees(
    file: str, unit_id: str, written: str, index: NameIndex, round_id: str, round_name: str = ""
) -> str | None:
    """The unit name the file name suggests when it is not the unit in the sheet."""
    uid, part = filename_unit(file, index, round_id, round_name)
    if uid is not None:
        return index.names[uid] if uid != unit_id else None
    if not part:
        return None
    # the file name names no roster unit; it agrees if it holds the written or official name
    key = normalise_name(part)
    official = normalise_name(index.names.get(unit_id, ""))
    if normalise_name(written) in key or (official and official in key):
        return None
    return part if _looks_like_unit(part) else None


_KIND = re.compile(r"(街道|街办|社区|镇|乡|村|委员会|局|院|办|委|部|公司|集团|中心|所|站|厂)$")


def _looks_like_unit(text: str) -> bool:
    return bool(_KIND.search(_FORMWORDS.sub("", text)))


def resolve_statuses(records: list[dict]) -> None:
    """Decide accepted / superseded / ignored among readable returns of each unit (in place).

    `records` are submission dicts with file, sha256, unit_id, status ('read'
    for a readable, identified return), report_date (date or None) and
    received_at (POSIX seconds). A byte-identical copy received later is
    ignored (duplicate_content) and the first stands for it; then the latest
    return by 填报日期, then by file time (then by name), is accepted and the
    earlier ones are superseded (superseded_later, superseded_by = the one kept).
    """
    live = [r for r in records if r["status"] == "read" and r["unit_id"]]
    first_of: dict[tuple[str, str], str] = {}
    for r in sorted(live, key=lambda r: (r["received_at"], r["file"])):
        key = (r["unit_id"], r["sha256"])
        if key in first_of:
            r.update(status="ignored", reason="duplicate_content", superseded_by=first_of[key],
                     message=f"与先收到的 {first_of[key]} 内容完全相同（重复报送），已忽略")
        else:
            first_of[key] = r["file"]
    by_unit: dict[str, list[dict]] = {}
    for r in live:
        if r["status"] == "read":
            by_unit.setdefault(r["unit_id"], []).append(r)
    for group in by_unit.values():
        group.sort(key=lambda r: (r["report_date"] or date.min, r["received_at"], r["file"]))
        keep = group[-1]
        keep["status"] = "accepted"
        for r in group[:-1]:
            r.update(status="superseded", reason="superseded_later", superseded_by=keep["file"],
                     message=f"该单位后来报送了 {keep['file']}，以后报的为准；本文件保留备查")
