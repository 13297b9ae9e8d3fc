"""Each unit's campaign theme (活动主题) and its note, for every round.

Healthy themes name the unit's own keywords (roster 业务关键词), often its
place, and a concrete target (年内完成120户…); weak ones are district slogans,
copies of another weak unit's theme, or boilerplate with neither keywords nor
target. A healthy theme stays the same between rounds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.demo import pools
from pipeline.demo.columns import compose
from pipeline.demo.district import place_of


def themes(
    roster: pd.DataFrame,
    truth: list[pd.DataFrame],
    slogans: tuple[str, ...],
    rng: np.random.Generator,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(theme, theme_note) per unit for every round; healthy themes are stable across rounds."""
    n = len(roster)
    names = roster["unit_name"].to_numpy()
    types = roster["unit_type"].to_numpy()
    kws = roster["keywords"].to_numpy()
    slogans = tuple(slogans) or ("推动科学发展", "创先争优")
    t_pick = rng.integers(0, len(pools.HEALTHY_THEMES), n)
    g_pick = rng.integers(0, len(pools.TARGET_PATTERNS), n)
    note_pick = rng.integers(0, len(pools.HEALTHY_NOTES), n)
    nums = (rng.integers(2, 100, n) * 10).astype(str).astype(object)
    small = rng.integers(3, 61, n).astype(str).astype(object)
    pct = rng.integers(80, 100, n).astype(str).astype(object)
    swap = rng.random((n, 2)) < 0.5
    k1 = np.empty(n, dtype=object)
    k2 = np.empty(n, dtype=object)
    for i, kw in enumerate(kws.tolist()):
        kw = list(kw) or ["本职工作"]
        a, b = (kw[1], kw[0]) if swap[i, 0] and len(kw) > 1 else (kw[0], kw[-1])
        if a == b and len(kw) > 1:
            b = kw[1] if kw[1] != a else kw[0]
        k1[i], k2[i] = a, b
    year = np.full(n, "2026", dtype=object)
    target = compose(
        g_pick, pools.TARGET_PATTERNS, {"kw": k2, "n": nums, "m": small, "p": pct, "year": year}
    )
    place = np.array(
        [place_of(a, b) for a, b in zip(names.tolist(), types.tolist(), strict=True)], dtype=object
    )
    healthy = compose(
        t_pick, pools.HEALTHY_THEMES, {"kw1": k1, "kw2": k2, "target": target, "place": place}
    )
    healthy_note = compose(note_pick, pools.HEALTHY_NOTES, {"kw1": k1, "kw2": k2})
    # the weak theme each unit would write (style by its worst severity)
    sev = np.max([t["unclear_theme_severity"].to_numpy() for t in truth], axis=0)
    ever = np.any([t["unclear_theme_planted"].to_numpy() for t in truth], axis=0)
    style = np.where(
        sev >= 0.8,
        np.where(rng.random(n) < 0.5, "slogan", "copy"),
        np.where(rng.random(n) < 0.5, "copy", "boilerplate"),
    )
    s_pick = rng.integers(0, len(slogans), (n, 2))
    b_pick = rng.integers(0, len(pools.BOILERPLATE), n)
    sl = np.array(slogans, dtype=object)
    one, two = sl[s_pick[:, 0]], sl[s_pick[:, 1]]
    pair = (rng.random(n) >= 0.6) & (s_pick[:, 0] != s_pick[:, 1])
    slogan_theme = np.where(pair, one + "，" + two, one)
    weak = np.where(
        style == "slogan", slogan_theme, np.array(pools.BOILERPLATE, dtype=object)[b_pick]
    )
    # copies: weak units of the copy style fall into clusters that share one theme
    copiers = np.flatnonzero(ever & (style == "copy"))
    copiers = copiers[rng.permutation(len(copiers))]
    pos = 0
    while pos < len(copiers):
        size = int(rng.integers(2, 5))
        group = copiers[pos : pos + size]
        base = weak[group[0]]
        for j, u in enumerate(group[1:]):
            weak[u] = base + ("！" if j % 3 == 0 else "" if j % 3 == 1 else "。")
        pos += size
    weak_note = np.array(pools.GENERIC_NOTES, dtype=object)[
        rng.integers(0, len(pools.GENERIC_NOTES), n)
    ]
    out = []
    for t in truth:
        p = t["unclear_theme_planted"].to_numpy()
        out.append((np.where(p, weak, healthy), np.where(p, weak_note, healthy_note)))
    return out
