"""Which unit a file speaks for, and which of a unit's files stands.

Pure functions over small frames: `identify` matches the 单位名称 written in
基本情况 to the roster (exact, alias, normalised kind forms; a near miss is
never merged) and checks the file name. Which of a unit's returns stands is
decided in `intake.resolve_statuses`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from pipeline.config import Ingest
from pipeline.roster import Match, NameIndex, match_unit, normalise_name, normalise_text

_INGEST = Ingest()  # the config model holds every default; signatures read it

_NOISE = re.compile(
    r"(\(\d+\)|（\d+）|副本|copy|最终版|修改版|修订版|终稿|定稿|新版|更新版?|v\d+)", re.I
)
_ROUNDISH = re.compile(r"\d{4}[-_.年]?\d{1,2}月?|\d{6,8}")
_FORMWORDS = re.compile(r"创先争优|活动|进展情况|报表|统计表|填报|情况表?|上报|报送")


@dataclass(frozen=True)
class Identity:
    unit_id: str | None
    reason: (
        str | None
    )  # None when identified; unknown_unit / ambiguous_unit (two roster units tie) otherwise
    message: str | None
    match: Match | None


def identify(
    written: str | None, index: NameIndex, cutoff: float = _INGEST.name_match_cutoff
) -> Identity:
    if not written or not str(written).strip():
        return Identity(None, "unknown_unit", "基本情况中未填写单位名称，无法确认报送单位", None)
    m = match_unit(written, index, cutoff=cutoff)
    if m.unit_id:
        return Identity(m.unit_id, None, None, m)
    if (
        m.how == "near_miss"
        and len(m.candidates) > 1
        and m.candidates[0].score == m.candidates[1].score
    ):
        tied = [c for c in m.candidates if c.score == m.candidates[0].score]
        names = "、".join(f"{c.unit_name}（{c.unit_id}）" for c in tied)
        return Identity(
            None,
            "ambiguous_unit",
            f"单位名称“{m.written}”与名册中的{names}同样接近，无法确定是哪个单位，请按名册填写单位全称",
            m,
        )
    if m.how == "near_miss":
        names = "、".join(f"{c.unit_name}（{c.unit_id}）" for c in m.candidates)
        return Identity(
            None,
            "unknown_unit",
            f"单位名称“{m.written}”不在单位名册中，最接近的是：{names}，请按名册填写单位全称",
            m,
        )
    # nothing above the cutoff: still show the closest roster names, as suggestions only
    loose = match_unit(written, index, cutoff=min(cutoff, 50))
    if loose.candidates:
        names = "、".join(f"{c.unit_name}（{c.unit_id}）" for c in loose.candidates)
        return Identity(
            None,
            "unknown_unit",
            f"单位名称“{m.written}”不在单位名册中（名册中相近的有：{names}），请按名册填写单位全称",
            loose,
        )
    return Identity(
        None, "unknown_unit", f"单位名称“{m.written}”不在单位名册中，请按名册填写单位全称", m
    )


def filename_unit(
    file: str, index: NameIndex, round_id: str, round_name: str = ""
) -> tuple[str | None, str]:
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
    return (
        index.exact.get(text) or index.alias.get(text) or index.normalised.get(normalise_name(text))
    )


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
