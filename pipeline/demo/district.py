"""The demo district's units: hierarchy, names, aliases, keywords, 应报.

`build_roster(n_units, rng)` returns a frame in the schema of
`pipeline.roster.load_roster` (unit_id, unit_name, aliases, unit_type,
parent_id, keywords, expected). The units the July review names come first;
the rest are composed from character pools so that any size from 20 to
100,000 has unique names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.demo import pools
from pipeline.errors import EXIT_USAGE, ScorecardError

MIN_UNITS = 20
MAX_UNITS = 100_000


class DemoSizeError(ScorecardError, ValueError):
    """A district size outside what the generator supports."""

    exit_code = EXIT_USAGE

    def __init__(self, n_units: int):
        self.n_units, self.min_units, self.max_units = n_units, MIN_UNITS, MAX_UNITS
        super().__init__(f"单位数量应在 {MIN_UNITS} 到 {MAX_UNITS} 之间（给出 {n_units}）")


def check_size(n_units: int) -> None:
    if not MIN_UNITS <= n_units <= MAX_UNITS:
        raise DemoSizeError(n_units)


def _counts(n: int) -> dict[str, int]:
    streets = max(1, round(n * 0.04))
    towns = max(1, round(n / 200))
    villages = max(3, round(n * 0.13))
    depts = max(4, round(n * 0.20))
    ents = max(2, round(n * 0.09))
    comms = n - streets - towns - villages - depts - ents
    return {
        "街道": streets,
        "社区": comms,
        "镇": towns,
        "村": villages,
        "区级部门": depts,
        "企业": ents,
    }


def _places(k: int, rng: np.random.Generator, taken: set[str]) -> list[str]:
    """k unique composed place names (2 or 3 characters) not in `taken`."""
    chars = np.array(list(pools.PLACE_CHARS))
    out: list[str] = []
    seen = set(taken)
    length = 2 if k < 300 else 3
    while len(out) < k:
        draw = rng.integers(0, len(chars), size=(max(64, 2 * (k - len(out))), length))
        for row in chars[draw]:
            name = "".join(row)
            if len(set(name)) == len(name) and name not in seen:
                seen.add(name)
                out.append(name)
                if len(out) == k:
                    break
        length = 3  # fall back to longer names once the short ones thin out
    return out


def _width(count: int) -> int:
    return max(2, len(str(count)))


def _split(total: int, parts: int, rng: np.random.Generator) -> list[int]:
    """Split `total` items into `parts` groups of uneven but positive size."""
    if parts <= 0:
        return []
    weights = rng.uniform(0.6, 1.4, size=parts)
    sizes = np.floor(weights / weights.sum() * total).astype(int)
    sizes = np.maximum(sizes, 0)
    short = total - int(sizes.sum())
    for i in range(short):
        sizes[i % parts] += 1
    return [int(s) for s in sizes]


def build_roster(n_units: int, rng: np.random.Generator) -> pd.DataFrame:
    """A district of `n_units` units in the roster schema (see module docstring)."""
    check_size(n_units)
    counts = _counts(n_units)
    rows: list[dict] = []
    named_places = set(pools.STREETS) | set(pools.COMMUNITIES) | set(pools.VILLAGES) | {pools.TOWN}

    def add(uid: str, name: str, kind: str, parent: str | None) -> None:
        rows.append({"unit_id": uid, "unit_name": name, "unit_type": kind, "parent_id": parent})

    # streets and their communities
    n_st = counts["街道"]
    st_names = list(pools.STREETS[:n_st]) + _places(
        max(0, n_st - len(pools.STREETS)), rng, named_places
    )
    named_places |= set(st_names)
    w_st = _width(n_st)
    st_ids = [f"JD{i + 1:0{w_st}d}" for i in range(n_st)]
    for uid, place in zip(st_ids, st_names, strict=True):
        add(uid, f"{place}街道", "街道", None)
    n_co = counts["社区"]
    extra = max(0, n_co - len(pools.COMMUNITIES))
    co_names = list(pools.COMMUNITIES[:n_co]) + _places(
        extra, rng, named_places | set(pools.COMMUNITIES)
    )
    sizes = _split(n_co, n_st, rng)
    w_co = _width(max(sizes) if sizes else 1)
    k = 0
    for st_i, (sid, size) in enumerate(zip(st_ids, sizes, strict=True)):
        for j in range(size):
            add(f"SQ{st_i + 1:0{w_st}d}{j + 1:0{w_co}d}", f"{co_names[k]}社区", "社区", sid)
            k += 1
    # towns and their villages
    n_tw = counts["镇"]
    tw_names = [pools.TOWN, *_places(n_tw - 1, rng, named_places | set(co_names))]
    named_places |= set(tw_names)
    w_tw = _width(n_tw)
    tw_ids = [f"Z{i + 1:0{w_tw}d}" for i in range(n_tw)]
    for uid, place in zip(tw_ids, tw_names, strict=True):
        add(uid, f"{place}镇", "镇", None)
    n_vi = counts["村"]
    vi_names = list(pools.VILLAGES[:n_vi]) + _places(
        max(0, n_vi - len(pools.VILLAGES)), rng, named_places
    )
    # the town of 格里坪 keeps its six named villages; the rest are spread over the towns
    sizes = _split(n_vi, n_tw, rng)
    if n_tw > 1 and sizes[0] < min(n_vi, len(pools.VILLAGES)):
        need = min(n_vi, len(pools.VILLAGES)) - sizes[0]
        sizes[0] += need
        for i in range(1, n_tw):
            take = min(need, max(0, sizes[i] - 1))
            sizes[i] -= take
            need -= take
    w_vi = _width(max(sizes))
    k = 0
    for tw_i, (tid, size) in enumerate(zip(tw_ids, sizes, strict=True)):
        for j in range(size):
            add(f"C{tw_i + 1:0{w_tw}d}{j + 1:0{w_vi}d}", f"{vi_names[k]}村", "村", tid)
            k += 1
    # district departments: the named ones, then composed ones under a named parent
    n_bm = counts["区级部门"]
    bm_names = list(pools.DEPARTMENTS[:n_bm])
    subjects = [
        f"区{s}{kind}" for kind in pools.DEPARTMENT_KINDS for s in pools.DEPARTMENT_SUBJECTS
    ]
    bm_names += [s for s in subjects if s not in bm_names][: max(0, n_bm - len(bm_names))]
    if len(bm_names) < n_bm:
        places = _places(n_bm - len(bm_names), rng, set())
        bm_names += [
            f"{p}{pools.DEPARTMENT_SUBJECTS[i % len(pools.DEPARTMENT_SUBJECTS)]}工作站"
            for i, p in enumerate(places)
        ]
    w_bm = _width(n_bm)
    bm_ids = [f"BM{i + 1:0{w_bm}d}" for i in range(n_bm)]
    named_parent = {"区检察院": 1, "区人民法院": 1, "区公安分局": 1, "区司法局": 1, "区信访局": 1}
    n_top = min(n_bm, len(pools.DEPARTMENTS))
    for i, (uid, name) in enumerate(zip(bm_ids, bm_names, strict=True)):
        if name in named_parent and n_bm > named_parent[name]:
            parent = bm_ids[named_parent[name]]  # 区委政法委
        elif i >= len(pools.DEPARTMENTS):
            parent = bm_ids[int(rng.integers(0, n_top))]
        else:
            parent = None
        add(uid, name, "区级部门", parent)
    # enterprises, under 区经济商务局
    n_qy = counts["企业"]
    qy_names = list(pools.ENTERPRISES[:n_qy])
    if len(qy_names) < n_qy:
        places = _places(n_qy - len(qy_names), rng, set())
        qy_names += [
            f"{p}{pools.ENTERPRISE_KINDS[i % len(pools.ENTERPRISE_KINDS)]}"
            for i, p in enumerate(places)
        ]
    w_qy = _width(n_qy)
    econ = bm_ids[2] if n_bm > 2 else None
    for i, name in enumerate(qy_names):
        add(f"QY{i + 1:0{w_qy}d}", name, "企业", econ)

    df = pd.DataFrame(rows)
    n = len(df)
    types = df["unit_type"].to_numpy()
    names = df["unit_name"].to_numpy()
    n_kw = rng.integers(2, 4, size=n)
    picks = rng.random(size=(n, 16))
    keywords: list[list[str]] = [[] for _ in range(n)]
    for kind, pool in pools.TYPE_KEYWORDS.items():
        idx = np.flatnonzero(types == kind)
        if not len(idx):
            continue
        order = np.argsort(picks[idx, : len(pool)], axis=1)[:, :3]
        words = np.array(pool, dtype=object)[order].tolist()
        for i, w, k in zip(idx.tolist(), words, n_kw[idx].tolist(), strict=True):
            keywords[i] = w[:k]
    for i, name in enumerate(names):
        if name in pools.NAMED_KEYWORDS:
            keywords[i] = list(pools.NAMED_KEYWORDS[name])
    aliases = [list(pools.NAMED_ALIASES.get(nm, ())) for nm in names]
    # a few units are not expected to report this campaign (merged, newly set up…)
    expected = np.ones(n, dtype=bool)
    protected = np.isin(names, list(pools.NAMED_KEYWORDS) + list(pools.NAMED_ALIASES)) | np.isin(
        types, ["街道", "镇"]
    )
    candidates = np.flatnonzero(~protected)
    k_off = max(1, round(n * 0.025))
    expected[rng.choice(candidates, size=min(k_off, len(candidates)), replace=False)] = False
    out = pd.DataFrame(
        {
            "unit_id": df["unit_id"].astype("string"),
            "unit_name": df["unit_name"].astype("string"),
            "aliases": pd.Series(aliases, dtype=object),
            "unit_type": df["unit_type"].astype("string"),
            "parent_id": df["parent_id"].astype("string"),
            "keywords": pd.Series(keywords, dtype=object),
            "expected": expected,
        }
    )
    return out


def place_of(name: str, unit_type: str) -> str:
    """The place part of a unit name (太平社区 → 太平), used in themes."""
    for suffix in ("街道", "社区", "镇", "村"):
        if unit_type in ("街道", "社区", "镇", "村") and name.endswith(suffix):
            return name[: -len(suffix)]
    return name.removeprefix("区")
