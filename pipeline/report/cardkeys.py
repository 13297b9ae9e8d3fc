"""What a unit card shows, as digests: one per chart, one per page.

What a card prints and draws (`report/cards.py`, `unit_sections`):

- its own rows of the tables in `CARD_TABLES` (score row with ranks, rank
  interval, grade; reporting state; findings; explanations; activities;
  changes; rectification items; survey rows, which carry the district's
  satisfaction rate) and its rows of earlier rounds' scores (trend);
- district-wide values: the number of scored units and of scored units of its
  type (the rank sentences) and, per weakness, whether it is 15 points or more
  above its type's median and that median as printed (`_peer_gaps`);
- the profile chart (`unit_profile_svg`): its four indices, the medians of
  its type, the number of peers in the legend, the warning lines;
- the activity chart (`activity_timeline_svg`): the district's activities per week
  (the same for every card), its own activity days, the share in the title;
- the configuration, the round, the provisional banner.

A chart's key is a digest of exactly the values it draws; the profile chart's
indices and medians are keyed at `PROFILE_STEP` decimals (far below what it
shows). Redrawing a chart is cheap since the charts became SVG from a per-type
template; a kept page is what saves the time. A page's
key is its own rows, the district-wide values above and its charts' keys: a
new return that moves other units' ranks re-renders their text (cheap) and
reuses their charts. `cached_charts` is the seam that serves kept charts to
`unit_sections` (see its docstring).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import WEAKNESSES
from pipeline.report.cardcache import CardCache
from pipeline.report.context import RoundContext

PROFILE_STEP = 6
"""Decimals of the indices and medians in the profile chart's key: far below what the chart
shows (whole-number labels, bars written at 1/100 pt), so a float's last bits never redraw."""

GAP_POINTS = 15
"""commentary.unit_commentary names a weakness this many points above the type median."""

CARD_TABLES: tuple[str, ...] = (
    "scores",
    "units",
    "findings",
    "explanations",
    "activities",
    "changes",
    "rectification",
    "satisfaction",
    "paper_vs_residents",
    "survey_self_report",
    "survey_excerpts",
)
"""Every table a card reads (tests/test_card_cache.py checks no other is read)."""

CHARTS: dict[str, str] = {"unit_profile_svg": "profile", "activity_timeline_svg": "timeline"}
"""The chart functions `unit_sections` calls by name (each returns its SVG), and their kind."""
BATCH_ARG = "reuse"
"""The chart functions' per-batch memo of type-wide parts (not a drawn value: not in keys)."""


def _column_hashes(df: pd.DataFrame) -> pd.DataFrame:
    cols = {}
    for c in df.columns:
        s = df[c]
        try:
            cols[str(c)] = pd.util.hash_pandas_object(s, index=False).to_numpy()
        except TypeError:  # unhashable cells (arrays, lists): their text
            cols[str(c)] = pd.util.hash_pandas_object(s.map(repr), index=False).to_numpy()
    return pd.DataFrame(cols, index=df.index)


def rows_by_unit(df: pd.DataFrame | None, unit_ids: list[str]) -> dict[str, list[int]]:
    """Each unit's rows of `df` as row hashes, in table order (units without rows: absent)."""
    if df is None or df.empty or "unit_id" not in df:
        return {}
    df = df[df["unit_id"].astype(str).isin(set(unit_ids))]
    if df.empty:
        return {}
    h = pd.util.hash_pandas_object(_column_hashes(df), index=False).to_numpy()
    out: dict[str, list[int]] = {}
    for uid, v in zip(df["unit_id"].astype(str), h, strict=True):
        out.setdefault(uid, []).append(int(v))
    return out


def _scored(scores: pd.DataFrame) -> pd.DataFrame:
    return scores[scores["scored"].fillna(False).astype(bool)]


def _peer_gaps(scores: pd.DataFrame) -> dict[str, list]:
    """Per scored unit: scored units, scored peers, and the weaknesses printed as gaps
    (the same expressions as commentary.unit_commentary)."""
    all_s = _scored(scores)
    out: dict[str, list] = {}
    for _type, peers in all_s.groupby("unit_type", sort=False, dropna=False):
        med = {w: float(peers[w].astype(float).median()) for w in WEAKNESSES}
        vals = {w: peers[w].astype(float).to_numpy() for w in WEAKNESSES}
        for i, uid in enumerate(peers["unit_id"].astype(str)):
            gaps = [
                [w, f"{vals[w][i]:.0f}", f"{med[w]:.0f}"]
                for w in WEAKNESSES
                if vals[w][i] - med[w] >= GAP_POINTS
            ]
            out.setdefault(uid, [len(all_s), len(peers), gaps])
    return out


class ChartKeys:
    """What each chart draws, from the arguments it is called with.

    Each `_<kind>` mirrors its chart's use of its arguments (`pipeline/charts`);
    when a chart changes what it draws, its function here changes with it
    (tests/test_card_cache.py draws charts whose keys agree and compares them).
    Values computed once per batch are memoised on the frames they come from
    (the frames are kept alive with them, so an id is never reused)."""

    def __init__(self) -> None:
        self._memo: dict[tuple, tuple[tuple, Any]] = {}

    def _once(self, name: str, objs: tuple, extra: tuple, compute: Callable[[], Any]) -> Any:
        key = (name, *(id(o) for o in objs), *extra)
        if key not in self._memo:
            self._memo[key] = (objs, compute())
        return self._memo[key][1]

    # -- inputs as drawn ------------------------------------------------------
    def rounded_scores(self, scores: pd.DataFrame) -> pd.DataFrame:
        """`scores` with the four indices at the precision the profile chart draws."""

        def compute() -> pd.DataFrame:
            cols = [w for w in WEAKNESSES if w in scores]
            return scores.assign(**{w: scores[w].astype(float).round(PROFILE_STEP) for w in cols})

        return self._once("rounded", (scores,), (), compute)

    def prepare(self, kind: str, args: Mapping[str, Any]) -> dict[str, Any]:
        """The chart's arguments as it is drawn (as given: labels print the true values)."""
        return dict(args)

    def score_row(self, scores: pd.DataFrame, unit_id: str) -> dict[str, Any] | None:
        """A unit's first row of `scores` (as `scores[scores.unit_id == id].iloc[0]`)."""

        def compute() -> dict[str, dict[str, Any]]:
            rows: dict[str, dict[str, Any]] = {}
            for r in scores.to_dict("records"):
                rows.setdefault(r["unit_id"], {str(k): v for k, v in r.items()})
            return rows

        return self._once("rows", (scores,), (), compute).get(unit_id)

    # -- what each chart draws --------------------------------------------------
    def values(self, kind: str, args: Mapping[str, Any]) -> object:
        args = dict(args)
        if kind == "profile":  # keyed at PROFILE_STEP decimals
            args["scores"] = self.rounded_scores(args["scores"])
        return getattr(self, f"_{kind}")(**args)

    def _profile(
        self, scores: pd.DataFrame, unit_id: str, thresholds: Mapping[str, float] | None = None
    ) -> object:
        r = self.score_row(scores, unit_id)
        if r is None:
            return ["missing", str(unit_id)]
        if not bool(r.get("scored", False)):
            return ["unscored"]

        def medians() -> tuple[list, int]:
            peers = scores[
                (scores["unit_type"] == r["unit_type"])
                & scores["scored"].fillna(False).astype(bool)
            ]
            med = peers[list(WEAKNESSES)].astype(float).median()
            return [_f(med[w]) for w in WEAKNESSES], len(peers)

        med, n = self._once("medians", (scores,), (r["unit_type"],), medians)
        own = [_f(float(r[w])) if pd.notna(r[w]) else None for w in WEAKNESSES]
        th = dict(thresholds) if thresholds else None
        return [str(r["unit_type"]), own, med, n, th]

    def _timeline(
        self,
        activities: pd.DataFrame,
        deadline: date,
        window_days: int,
        unit_id: str | None = None,
        history_days: int = 120,
        district_days: pd.Series | None = None,
    ) -> object:
        from pipeline.charts.activity import days_to_deadline

        if district_days is None and (activities is None or activities.empty):
            return ["no activities"]

        def district() -> list:
            days = (
                district_days
                if district_days is not None
                else days_to_deadline(activities["date"], deadline)
            ).dropna()
            days = days[(days >= -history_days) & (days <= 14)]
            if days.empty:
                return ["empty"]
            bins = np.arange(-history_days - (history_days % 7), 15, 7)
            counts = np.histogram(days, bins=bins)[0]
            share = float(((days >= -window_days) & (days <= 0)).mean())
            return [[int(c) for c in counts], f"{share:.0%}"]

        source = (district_days,) if district_days is not None else (activities,)
        drawn = self._once("district", source, (deadline, window_days, history_days), district)
        if drawn == ["empty"]:
            return ["empty"]

        def own_days() -> dict[str, list[int]]:
            d = days_to_deadline(activities["date"], deadline)
            keep = d.notna() & (d >= -history_days) & (d <= 14)
            out: dict[str, list[int]] = {}
            for uid, v in zip(activities["unit_id"][keep], d[keep], strict=True):
                out.setdefault(uid, []).append(int(v))
            return {u: sorted(v) for u, v in out.items()}

        own: list[int] = []
        if unit_id is not None and activities is not None and not activities.empty:
            own = self._once("own", (activities,), (deadline, history_days), own_days).get(
                unit_id, []
            )
        return [drawn, own, int(window_days), int(history_days), unit_id is not None]


def _f(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)


def chart_calls(ctx: RoundContext, unit_id: str, charts: ChartKeys) -> dict[str, dict[str, Any]]:
    """The charts `unit_sections` draws for a unit and their arguments (its call sites)."""
    scores = ctx.table("scores")
    row = charts.score_row(scores, unit_id)
    if row is None or not (bool(row["scored"]) if pd.notna(row["scored"]) else False):
        return {}
    from pipeline.charts.activity import activity_timeline_svg
    from pipeline.charts.weakness import unit_profile_svg

    calls = {"profile": _bind(unit_profile_svg, scores, unit_id, ctx.thresholds)}
    acts = ctx.table("activities")
    district_days = ctx.cache.get("district_days")
    if not acts.empty or district_days is not None:
        calls["timeline"] = _bind(
            activity_timeline_svg,
            acts,
            ctx.round.deadline,
            ctx.config.scoring.deadline_window_days,
            unit_id,
            district_days=district_days,
        )
    return calls


def _bind(fn: Callable[..., Any], *a: Any, **kw: Any) -> dict[str, Any]:
    """A call's arguments by name, defaults included, the batch memo left out
    (as `cached_charts` sees them)."""
    bound = inspect.signature(fn).bind(*a, **kw)
    bound.apply_defaults()
    args = dict(bound.arguments)
    args.pop(BATCH_ARG, None)
    return args


def page_keys(
    ctx: RoundContext, unit_ids: list[str], cache: CardCache, charts: ChartKeys
) -> dict[str, str]:
    """Per unit: the entry name of its page (own rows, district values, charts' values)."""
    ids = [str(u) for u in unit_ids]
    tables = {name: rows_by_unit(ctx.tables.get(name), ids) for name in CARD_TABLES}
    history = ctx.cache.get("history")
    hist = rows_by_unit(history if isinstance(history, pd.DataFrame) else None, ids)
    gaps = _peer_gaps(ctx.table("scores"))
    common = [
        ctx.config.model_dump_json(),
        ctx.round.model_dump_json(),
        ctx.banner,
        {name: [str(c) for c in ctx.table(name).columns] for name in CARD_TABLES},
        ctx.cache.get("district_days") is not None,
    ]
    return {
        uid: cache.key(
            "page",
            [
                common,
                uid,
                {name: rows.get(uid, []) for name, rows in tables.items()},
                hist.get(uid, []),
                gaps.get(uid),
                chart_values(ctx, uid, charts),
            ],
        )
        for uid in ids
    }


def chart_values(ctx: RoundContext, unit_id: str, charts: ChartKeys) -> dict[str, object]:
    """What each chart of the unit's card draws (`ChartKeys.values` of `chart_calls`)."""
    return {
        kind: charts.values(kind, args) for kind, args in chart_calls(ctx, unit_id, charts).items()
    }


class ChartServer:
    """Serves kept charts while a page renders; notes what each page's charts drew."""

    def __init__(self, cache: CardCache, charts: ChartKeys) -> None:
        self.cache, self.charts = cache, charts
        self.observed: dict[str, object] = {}  # kind -> values, for the page being rendered
        self.entries: list[str] = []  # the chart entries that page embeds
        self.reuse: dict[object, Any] = {}  # the charts' type-wide parts, kept for the batch

    def start_page(self) -> None:
        self.observed, self.entries = {}, []

    def serve(self, kind: str, fn: Callable[..., str], args: dict[str, Any]) -> str:
        """The chart's SVG from the cache, or drawn (from its inputs as drawn) and kept."""
        values = self.charts.values(kind, args)
        self.observed[kind] = values
        entry = self.cache.key(kind, [values, fn.__name__])
        self.entries.append(entry)
        kept = self.cache.get(entry)
        if kept is not None:
            return kept
        text = fn(**self.charts.prepare(kind, args), **{BATCH_ARG: self.reuse})
        self.cache.put(entry, text)
        return text


@contextmanager
def cached_charts(module: ModuleType, server: ChartServer) -> Iterator[None]:
    """Within the block, `module`'s chart functions (`CHARTS`) serve their SVG from
    the cache, drawing it only when its key is not kept.

    `unit_sections` calls `unit_profile_svg(scores, unit_id, th, reuse=...)`; this
    swaps those names in `module` (cards.py) for the block only, so the page code
    stays as it is and a kept chart is never drawn. The charts' batch memo is the
    server's own dict, so a page's reads of `RoundContext.cache` stay what its key
    holds."""
    saved: dict[str, Any] = {}

    def serving(kind: str, fn: Callable[..., str]) -> Callable[..., str]:
        def call(*a: Any, **kw: Any) -> str:
            return server.serve(kind, fn, _bind(fn, *a, **kw))

        return call

    try:
        for name, kind in CHARTS.items():
            if hasattr(module, name):
                saved[name] = getattr(module, name)
                setattr(module, name, serving(kind, saved[name]))
        yield
    finally:
        for name, fn in saved.items():
            setattr(module, name, fn)


class ReadLog(dict):
    """A dict that notes which keys were read (the tables and values a page used)."""

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.read: set[str] = set()

    def get(self, key: Any, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.read.add(key)  # type: ignore[arg-type]
        return super().__contains__(key)


CACHE_VALUES: frozenset[str] = frozenset({"history", "district_days", "card_parts"})
"""The per-batch values (`RoundContext.cache`) a page may read: the first two are in its key,
`card_parts` (report/card_parts.py) is the card's own rows of `CARD_TABLES` and `history`
looked up once per batch, with the district-wide counts and medians `_peer_gaps` keys."""
