"""Charts: every chart renders with Chinese text and no missing glyph; fonts are found or the
error says how to fix it."""

from __future__ import annotations

import itertools
import logging
import warnings
from datetime import date

import pandas as pd
import pytest
from matplotlib.figure import Figure

from pipeline import charts
from pipeline.charts import fonts
from pipeline.charts._style import figure_png
from pipeline.charts.activity import days_to_deadline
from pipeline.report.frames import progress_values
from pipeline.tables import read_tables
from tests.report_fixtures import make_district

TH = {"uneven_progress": 50, "weak_basics": 50, "unclear_theme": 50, "shallow_understanding": 50}


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    config = make_district(tmp_path_factory.mktemp("charts"), n_units=10)
    return read_tables(config.paths.processed_round("2026-08"))


def _all_charts(t: dict[str, pd.DataFrame]) -> dict[str, Figure]:
    values, column, label = progress_values(t["scores"], t["indicators"])
    deadline = date(2026, 8, 28)
    return {
        "ranking": charts.ranking_chart(t["scores"], highlight="U001"),
        "ranking_cut": charts.ranking_chart(t["scores"], max_units=4),
        "heatmap": charts.weakness_heatmap(t["scores"], TH),
        "progress": charts.progress_by_type(values, t["inequality"], column=column, label=label),
        "profile": charts.unit_profile_chart(t["scores"], "U001", TH),
        "timeline": charts.activity_timeline(t["activities"], deadline, 30),
        "timeline_unit": charts.activity_timeline(t["activities"], deadline, 30, unit_id="U001"),
        "timeline_precomputed": charts.activity_timeline(
            t["activities"][t["activities"]["unit_id"] == "U001"],
            deadline,
            30,
            unit_id="U001",
            district_days=days_to_deadline(t["activities"]["date"], deadline),
        ),
        "themes": charts.theme_clusters_chart(t["theme_clusters"]),
        "completeness": charts.completeness_by_type(t["completeness"]),
        "slope": charts.change_slope_chart(t["scores"], t["changes"], "7月调研", "8月检查"),
        "empty_themes": charts.theme_clusters_chart(t["theme_clusters"].iloc[0:0]),
        "empty_changes": charts.change_slope_chart(t["scores"], pd.DataFrame()),
        "unscored_profile": charts.unit_profile_chart(
            t["scores"], t["scores"]["unit_id"].iloc[-1], TH
        ),
    }


def test_find_cjk_fonts_lists_system_families_only():
    from matplotlib import font_manager

    fonts.register_packaged_font()  # registered, yet never listed as a system font
    found = fonts.find_cjk_fonts()
    installed = {f.name for f in font_manager.fontManager.ttflist}
    assert set(found) <= installed
    packaged = fonts.packaged_font_path()
    assert all(fonts._path_of(f) != str(packaged) for f in found)


def test_configure_sets_installed_families_and_ascii_minus():
    import matplotlib

    primary = fonts.configure_cjk_font()
    assert matplotlib.rcParams["font.sans-serif"][0] == primary
    assert matplotlib.rcParams["axes.unicode_minus"] is False
    assert matplotlib.rcParams["font.family"] == ["sans-serif"]


def _file_covers_chinese(path: str) -> bool:
    from matplotlib import font_manager

    try:
        return ord("中") in font_manager.get_font(path).get_charmap()
    except Exception:
        return False


def _without_system_cjk(monkeypatch):
    """Make matplotlib see no system CJK font (as on a machine that has none)."""
    from matplotlib import font_manager

    fm = font_manager.fontManager
    keep = [f for f in fm.ttflist if not _file_covers_chinese(f.fname)]
    monkeypatch.setattr(fm, "ttflist", keep)
    monkeypatch.setattr(fonts, "_rebuild_font_list", lambda: None)
    font_manager.FontManager._findfont_cached.cache_clear()


def test_without_system_font_the_packaged_font_is_used(monkeypatch):
    import matplotlib

    _without_system_cjk(monkeypatch)
    with matplotlib.rc_context():
        choice = fonts.choose_cjk_font()
        assert choice.source == "packaged" and choice.family == "Noto Sans SC"
        assert choice.path == str(fonts.packaged_font_path())
        assert fonts.configure_cjk_font() == "Noto Sans SC"
        assert matplotlib.rcParams["font.sans-serif"][0] == "Noto Sans SC"


def test_only_the_packaged_font_draws_every_chart_without_missing_glyphs(
    tables, monkeypatch, caplog
):
    import matplotlib

    from pipeline.charts import _style

    _without_system_cjk(monkeypatch)
    monkeypatch.setattr(_style, "_font", None)
    caplog.set_level(logging.WARNING, logger="matplotlib")
    with matplotlib.rc_context(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert _style.ensure_fonts() == "Noto Sans SC"
        figs = _all_charts(tables)
        pngs = {name: figure_png(fig, dpi=60) for name, fig in figs.items()}
        used = {
            font_manager_path(t)
            for fig in figs.values()
            for t in fig.findobj(lambda a: hasattr(a, "get_fontproperties"))
            if any("\u4e00" <= ch <= "\u9fff" for ch in getattr(t, "get_text", lambda: "")())
        }
    glyph = [
        str(w.message)
        for w in caught
        if "Glyph" in str(w.message) or "missing from" in str(w.message)
    ]
    assert not glyph, glyph
    findfont = [
        r.getMessage()
        for r in caplog.records
        if "findfont" in r.getMessage() or "Glyph" in r.getMessage()
    ]
    assert not findfont, findfont
    assert used == {str(fonts.packaged_font_path())}, used
    assert all(png.startswith(b"\x89PNG") for png in pngs.values())


def font_manager_path(text_artist) -> str:
    from matplotlib import font_manager

    return str(font_manager.findfont(text_artist.get_fontproperties(), fallback_to_default=False))


def test_broken_install_raises_clear_error(monkeypatch, tmp_path):
    _without_system_cjk(monkeypatch)
    monkeypatch.setattr(fonts, "packaged_font_path", lambda: tmp_path / "missing.otf")
    with pytest.raises(fonts.NoCJKFontError) as err:
        fonts.configure_cjk_font()
    msg = str(err.value)
    assert "中文字体" in msg and "make install" in msg


def test_rebuilds_font_list_once_when_nothing_found(monkeypatch):
    calls = []
    results = iter([[], ["Noto Sans CJK SC"]])
    monkeypatch.setattr(fonts, "_candidates", lambda installed: next(results))
    monkeypatch.setattr(fonts, "_rebuild_font_list", lambda: calls.append(1))
    monkeypatch.setattr(fonts, "_path_of", lambda family: "/usr/share/fonts/x.ttc")
    assert fonts.find_cjk_fonts() == ["Noto Sans CJK SC"]
    assert calls == [1]


def test_font_installed_after_the_cache_was_built_is_found(monkeypatch, tmp_path):
    """A system font that appears after matplotlib cached its list is found by one rescan."""
    import shutil

    import matplotlib
    from matplotlib import font_manager

    later = tmp_path / "fonts" / "LaterSC.otf"
    later.parent.mkdir()
    shutil.copy(fonts.packaged_font_path(), later)  # a copy outside the package: a "system" font
    fm = font_manager.fontManager
    monkeypatch.setattr(fm, "ttflist", [f for f in fm.ttflist if not _file_covers_chinese(f.fname)])
    monkeypatch.setattr(fonts, "_rebuilt", False)
    monkeypatch.setattr(matplotlib, "get_cachedir", lambda: str(tmp_path))
    real = font_manager.findSystemFonts
    monkeypatch.setattr(
        font_manager,
        "findSystemFonts",
        lambda fontpaths=None, fontext="ttf": [*real(fontpaths, fontext), str(later)],
    )
    saved = dict(fm.__dict__)
    try:
        assert fonts.find_cjk_fonts()  # rebuilt the list in place
        assert any(f.fname == str(later) for f in font_manager.fontManager.ttflist)
    finally:
        fm.__dict__.update(saved)
        font_manager.FontManager._findfont_cached.cache_clear()


def test_every_chart_renders_chinese_without_missing_glyphs(tables, caplog):
    caplog.set_level(logging.WARNING, logger="matplotlib")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figs = _all_charts(tables)
        pngs = {name: figure_png(fig, dpi=60) for name, fig in figs.items()}
    glyph = [
        str(w.message)
        for w in caught
        if "Glyph" in str(w.message) or "missing from" in str(w.message)
    ]
    assert not glyph, glyph
    findfont = [
        r.getMessage()
        for r in caplog.records
        if "findfont" in r.getMessage() or "Glyph" in r.getMessage()
    ]
    assert not findfont, findfont
    for name, png in pngs.items():
        assert png.startswith(b"\x89PNG") and len(png) > 2000, name
    texts = [t.get_text() for t in figs["heatmap"].findobj(lambda a: hasattr(a, "get_text"))]
    assert any("基础较薄弱" in t for t in texts)


def test_charts_do_not_touch_pyplot(tables):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    _all_charts(tables)
    assert plt.get_fignums() == before


def test_theil_note_shows_split_and_level(tables):
    note = charts.theil_note(tables["inequality"])
    assert "类型间" in note and "类型内" in note and "平均进度" in note


def test_slope_labels_are_spread_apart():
    from pipeline.charts.ranking import spread_labels

    ys = spread_labels({1: 10.0, 2: 10.2, 3: 10.1, 4: 30.0}, gap=1.0)
    ordered = sorted(ys.values())
    assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(ordered))
    assert abs(ys[4] - 30.0) < 1.0
