"""The card cache: a unit card is redrawn only when what it shows changed.

Cards are written in-process (`write_unit_cards`) on a small fabricated
district; a unit's return changing is a change to its rows of the processed
tables. The clock on the page footer is frozen, so bytes can be compared.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.report import cards
from pipeline.report.cardcache import CardCache, cache_folder, clear_used, prune
from pipeline.report.cardkeys import ChartKeys
from pipeline.report.context import RoundContext, open_round
from tests.report_fixtures import make_district

ROUND = "2026-08"


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    return make_district(tmp_path_factory.mktemp("cards") / "d", n_units=6, types=("社区", "村"))


def _top_unit(config) -> str:
    """The 社区 unit highest on 基础较薄弱: raising it leaves its type's median."""
    s = open_round(config.source, ROUND).table("scores")
    s = s[(s["unit_type"] == "社区") & s["scored"].astype(bool)]
    return str(s.sort_values("weak_basics")["unit_id"].iloc[-1])


FROZEN = "2026-08-30 09:00（北京时间）"


@pytest.fixture
def ctx(district, monkeypatch) -> RoundContext:
    monkeypatch.setattr("pipeline.report.pages.local_now", lambda: FROZEN)
    return open_round(district.source, ROUND)


@pytest.fixture(scope="module")
def warm(district, tmp_path_factory) -> tuple[Path, str]:
    """A cache filled by one build of the unchanged district (copied by each test that uses it)."""
    mp = pytest.MonkeyPatch()
    mp.setattr("pipeline.report.pages.local_now", lambda: FROZEN)
    try:
        folder = tmp_path_factory.mktemp("warm")
        cache = _cache(folder)
        _build(open_round(district.source, ROUND), folder / "cards", cache)
        return cache.folder, cache.version
    finally:
        mp.undo()


@pytest.fixture
def drawn(monkeypatch) -> Counter:
    """Counts (chart, unit) each time a chart function is really called."""
    calls: Counter = Counter()
    for name in ("unit_profile_svg", "activity_timeline_svg"):
        real = getattr(cards, name)

        def spy(*a, _real=real, _name=name, **kw):
            unit = inspect.signature(_real).bind(*a, **kw).arguments.get("unit_id")
            calls[(_name, unit)] += 1
            return _real(*a, **kw)

        monkeypatch.setattr(cards, name, functools.wraps(real)(spy))
    return calls


def _ids(ctx: RoundContext) -> list[str]:
    return ctx.table("scores")["unit_id"].astype(str).tolist()


def _build(ctx: RoundContext, out: Path, cache: CardCache | None) -> dict[str, bytes]:
    failures = cards.write_unit_cards(ctx, _ids(ctx), out, cache=cache)
    assert failures == []
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.html"))}


def _with(ctx: RoundContext, name: str, table: pd.DataFrame) -> RoundContext:
    return dataclasses.replace(ctx, tables={**ctx.tables, name: table}, cache={})


def _set(ctx: RoundContext, name: str, unit: str, column: str, value) -> RoundContext:
    t = ctx.table(name).copy()
    t.loc[t["unit_id"] == unit, column] = value
    return _with(ctx, name, t)


def _new_finding(ctx: RoundContext) -> RoundContext:
    f = ctx.table("findings")
    row = f.head(1).assign(unit_id=_top_unit(ctx.config), message="重新报送后发现的新问题", row=99)
    return _with(ctx, "findings", pd.concat([f, row], ignore_index=True))


def _cache(tmp_path: Path) -> CardCache:
    c = CardCache.open(tmp_path / "cache")
    assert c is not None
    return c


def _fresh(cache: CardCache) -> CardCache:
    """The same cache folder as a new batch sees it."""
    return CardCache(cache.folder, cache.version)


def test_unchanged_card_is_kept_and_changed_card_redrawn(ctx, drawn, tmp_path):
    unit = _top_unit(ctx.config)
    cache = _cache(tmp_path)
    before = _build(ctx, tmp_path / "a", cache)
    scored = int(ctx.table("scores")["scored"].sum())
    assert cache.drawn["page"] == len(before)  # every page was kept (read only what it keys)
    assert sum(drawn.values()) == 2 * scored  # two charts per scored card
    drawn.clear()

    # the changed unit's 基础较薄弱 moves, its type's median does not
    s = ctx.table("scores")
    v = float(s.loc[s["unit_id"] == unit, "weak_basics"].iloc[0])
    changed = _set(ctx, "scores", unit, "weak_basics", v + 0.5)
    again = _fresh(cache)
    after = _build(changed, tmp_path / "b", again)

    name = cards.unit_file_name(unit)
    assert after[name] != before[name]
    assert drawn == Counter({("unit_profile_svg", unit): 1})  # nothing else drawn
    assert {k for k in before if before[k] != after[k]} == {name}
    assert again.kept["page"] == len(before) - 1 and again.drawn["page"] == 1
    assert again.kept["timeline"] == 1  # the changed page reused its other chart


def test_text_change_reuses_charts(ctx, drawn, tmp_path):
    """A change that moves only what a page prints (a finding; a rank) re-renders text only."""
    unit = _top_unit(ctx.config)
    cache = _cache(tmp_path)
    before = _build(ctx, tmp_path / "a", cache)
    drawn.clear()
    other = next(u for u in _ids(ctx) if u != unit)
    changed = _set(_new_finding(ctx), "scores", other, "rank", 1)
    again = _fresh(cache)
    after = _build(changed, tmp_path / "b", again)
    differ = {k for k in before if before[k] != after[k]}
    assert differ == {cards.unit_file_name(unit), cards.unit_file_name(other)}
    assert sum(drawn.values()) == 0
    assert again.drawn == Counter({"page": 2})


PERTURBATIONS = {
    "own finding": _new_finding,
    "index moves its type's median": lambda c: _set(
        c, "scores", _top_unit(c.config), "weak_basics", 0.0
    ),
    "unit no longer scored (peer count)": lambda c: _set(c, "scores", "U001", "scored", False),
    "activity moved (district histogram)": lambda c: _set(
        c, "activities", _top_unit(c.config), "date", pd.Timestamp("2026-08-27")
    ),
    "provisional banner": lambda c: dataclasses.replace(
        c, provisional=dataclasses.replace(c.provisional, active=True, reasons=("测试",))
    ),
}


@pytest.mark.parametrize("change", PERTURBATIONS, ids=list(PERTURBATIONS))
def test_cached_build_equals_uncached(ctx, warm, tmp_path, change):
    """Deleting the cache changes only time: after any change, the build that reused
    the cache gives the bytes of a build without one."""
    folder, version = warm
    shutil.copytree(folder, tmp_path / "cache")
    changed = PERTURBATIONS[change](ctx)
    reused = _build(changed, tmp_path / "b", CardCache(tmp_path / "cache", version))
    assert reused == _build(changed, tmp_path / "c", None)


def test_renderer_version_change_invalidates(ctx, drawn, tmp_path):
    cache = _cache(tmp_path)
    _build(ctx, tmp_path / "a", cache)
    drawn.clear()
    upgraded = CardCache(cache.folder, cache.version + "-next")
    _build(ctx, tmp_path / "b", upgraded)
    assert upgraded.kept == Counter() and upgraded.drawn["page"] == len(_ids(ctx))
    assert sum(drawn.values()) == 2 * int(ctx.table("scores")["scored"].sum())


def test_refresh_draws_everything_and_keeps_it(ctx, drawn, tmp_path):
    """read=False (scorecard run --force): nothing served, everything kept anew."""
    cache = _cache(tmp_path)
    first = _build(ctx, tmp_path / "a", cache)
    refresh = CardCache(cache.folder, cache.version, read=False)
    assert _build(ctx, tmp_path / "b", refresh) == first
    assert refresh.kept == Counter() and refresh.drawn["page"] == len(first)
    drawn.clear()
    _build(ctx, tmp_path / "c", _fresh(cache))
    assert sum(drawn.values()) == 0


def test_prune_keeps_only_what_the_run_used(ctx, tmp_path):
    cache = _cache(tmp_path)
    cards.write_unit_cards(ctx, _ids(ctx), tmp_path / "a", cache=cache)
    folder = cache.folder
    all_entries = {p.name for p in folder.glob("*.html")}
    clear_used(folder)  # the next run: one unit fewer
    fewer = _fresh(cache)
    cards.write_unit_cards(ctx, _ids(ctx)[1:], tmp_path / "b", cache=fewer)
    (folder / ".tmp-left-by-a-killed-writer.html").write_text("x", encoding="utf-8")
    removed = prune(folder)
    left = {p.name for p in folder.glob("*.html")}
    assert removed >= 2 and left < all_entries
    assert {f"{n}.html" for n in fewer.used} >= left  # every entry left was used
    # the kept pages' charts stayed although no page was drawn in the second run
    assert any(n.startswith("profile-") for n in left) and fewer.drawn == Counter()


def test_prune_without_records_keeps_everything(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "page-x.html").write_text("x", encoding="utf-8")
    assert prune(folder) == 0 and (folder / "page-x.html").is_file()


def test_cache_lives_beside_the_kept_reads(district):
    from pipeline.ingest.reuse import cache_folder as reads_folder

    assert cache_folder(district.paths.processed, ROUND).parent.parent == (
        reads_folder(district.paths.processed, ROUND).parent.parent
    )


# --- the keys hold exactly what the charts draw ---------------------------------


def _profile_png(scores: pd.DataFrame, unit: str) -> tuple[object, str]:
    from pipeline.charts.weakness import unit_profile_svg

    keys = ChartKeys()
    args = {"scores": scores, "unit_id": unit, "thresholds": {"weak_basics": 60.0}}
    svg = unit_profile_svg(**keys.prepare("profile", args), reuse={})
    return keys.values("profile", args), svg


def test_profile_key_holds_what_the_chart_draws(ctx):
    s = ctx.table("scores")
    peers = s[(s["unit_type"] == "社区") & s["scored"].astype(bool)]
    top = peers.sort_values("weak_basics")["unit_id"].iloc[-1]
    other = (
        peers["unit_id"].iloc[0] if peers["unit_id"].iloc[0] != top else peers["unit_id"].iloc[1]
    )
    base = _profile_png(s, other)
    # a peer moves but stays above the median: same key, same picture
    moved = s.copy()
    moved.loc[moved["unit_id"] == top, "weak_basics"] += 3.0
    assert _profile_png(moved, other) == base
    # below the drawn precision: same key, same picture
    tiny = s.copy()
    tiny.loc[tiny["unit_id"] == other, "weak_basics"] += 1e-9
    assert _profile_png(tiny, other) == base
    # the median moves: another key, another picture
    low = s.copy()
    low.loc[low["unit_id"] == top, "weak_basics"] = 0.0
    assert _profile_png(low, other)[0] != base[0] and _profile_png(low, other)[1] != base[1]


def _timeline_png(acts: pd.DataFrame, ctx: RoundContext, unit: str) -> tuple[object, str]:
    from pipeline.charts.activity import activity_timeline_svg, days_to_deadline

    keys = ChartKeys()
    days = days_to_deadline(acts["date"], ctx.round.deadline)
    args = {
        "activities": acts,
        "deadline": ctx.round.deadline,
        "window_days": 30,
        "unit_id": unit,
        "history_days": 120,
        "district_days": days,
    }
    return keys.values("timeline", args), activity_timeline_svg(**args, reuse={})


def test_timeline_key_holds_what_the_chart_draws(ctx):
    acts = ctx.table("activities")
    unit = "U001"
    base = _timeline_png(acts, ctx, unit)
    others = acts.index[(acts["unit_id"] != unit) & acts["date"].notna()]
    # another unit's activity one day later in the same week, same side of the window
    days = (pd.to_datetime(acts["date"]) - pd.Timestamp(ctx.round.deadline)).dt.days
    bins = np.arange(-120 - (120 % 7), 15, 7)
    movable = [
        i
        for i in others
        if np.digitize(days[i], bins) == np.digitize(days[i] + 1, bins)
        and (-30 <= days[i] <= 0) == (-30 <= days[i] + 1 <= 0)
        and -120 <= days[i] + 1 <= 14
    ]
    assert movable
    moved = acts.copy()
    moved.loc[movable[0], "date"] = pd.Timestamp(moved.loc[movable[0], "date"]) + pd.Timedelta(
        days=1
    )
    assert _timeline_png(moved, ctx, unit) == base
    # one more activity in the district: another key, another picture
    more = pd.concat([acts, acts.loc[[movable[0]]]], ignore_index=True)
    assert _timeline_png(more, ctx, unit)[0] != base[0]


def test_kept_cards_are_copied_before_any_batch_and_changed_ones_left_to_render(
    ctx, drawn, tmp_path
):
    """`copy_kept_cards` (the report process) finds the pages a batch keeps, under the
    same keys, writes them byte for byte, and leaves only the changed unit to a batch."""
    from pipeline.report.keptcards import copy_kept_cards

    cache = _cache(tmp_path)
    before = _build(ctx, tmp_path / "a", cache)
    drawn.clear()
    ids = _ids(ctx)

    assert copy_kept_cards(ctx, ids, tmp_path / "b", _fresh(cache)) == []
    assert {p.name: p.read_bytes() for p in (tmp_path / "b").glob("*.html")} == before
    assert not drawn

    unit = _top_unit(ctx.config)
    changed = _set(ctx, "scores", unit, "weak_basics", 99.0)
    assert copy_kept_cards(changed, ids, tmp_path / "c", _fresh(cache)) != ids
    left = copy_kept_cards(changed, ids, tmp_path / "d", _fresh(cache))
    assert unit in left
    written = {p.name for p in (tmp_path / "d").glob("*.html")}
    assert cards.unit_file_name(unit) not in written
    assert all((tmp_path / "d" / n).read_bytes() == before[n] for n in written)
    assert not drawn  # copying never draws

    refresh = CardCache(cache.folder, cache.version, read=False)  # scorecard run --force
    assert copy_kept_cards(ctx, ids, tmp_path / "e", refresh) == ids
    assert copy_kept_cards(ctx, ids, tmp_path / "f", None) == ids
    assert not (tmp_path / "e").exists() and not (tmp_path / "f").exists()
