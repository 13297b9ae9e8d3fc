"""Labels that are right: scopes, no negative zero, one unit per quantity, the time zone named,
titles inside the figure, one term per severity and concept, jargon explained."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pipeline import charts
from pipeline.report import commentary as cm
from pipeline.report import frames, labels
from pipeline.tables import read_tables
from tests.report_fixtures import make_district

ROOT = Path(__file__).resolve().parents[1]
TH = {"uneven_progress": 50, "weak_basics": 50, "unclear_theme": 50, "shallow_understanding": 50}


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    config = make_district(tmp_path_factory.mktemp("labels"), n_units=70)
    return read_tables(config.paths.processed_round("2026-08"))


# --- scopes ---------------------------------------------------------------


def test_timeline_commentary_names_its_scope(tables):
    acts = tables["activities"]
    assert cm.timeline_commentary(acts, date(2026, 8, 28), 30)[0].startswith("全区共")
    line = cm.timeline_commentary(acts, date(2026, 8, 28), 30, scope="社区类")[0]
    assert line.startswith("社区类共") and "全区" not in line


def test_unit_type_notebook_passes_its_scope():
    nb = json.loads((ROOT / "notebooks" / "unit_type.ipynb").read_text(encoding="utf-8"))
    code = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert re.search(r"timeline_commentary\([^)]*scope=", code)


# --- numbers --------------------------------------------------------------


@pytest.mark.parametrize(
    "value,digits,text",
    [
        (-0.0001, 2, "0.00"),
        (-0.04, 1, "0.0"),
        (-0.0, 0, "0"),
        (-1.25, 1, "-1.2"),
        (float("nan"), 1, "—"),
    ],
)
def test_num_has_no_negative_zero(value, digits, text):
    assert labels.num(value, digits) == text


def test_signed_has_no_signed_zero():
    assert labels.signed(-0.01) == "0.0" and labels.signed(0.04) == "0.0"
    assert labels.signed(1.26) == "+1.3" and labels.signed(-2) == "-2.0"


def test_explanations_never_show_negative_zero():
    from pipeline.score import explain

    src = (ROOT / "pipeline" / "score" / "explain.py").read_text(encoding="utf-8")
    assert "month_entropy']:.2f" not in src and "progress_z']:.1f" not in src
    assert explain.num(-0.0001, 2) == "0.00"


# --- one unit per quantity: progress is a percentage ------------------------


def test_progress_is_a_percentage_everywhere(tables):
    line = cm.inequality_commentary(tables["inequality"])[0]
    assert re.search(r"平均进度为\d+%", line), line
    assert re.search(r"平均进度 \d+%", charts.theil_note(tables["inequality"]))
    values, column, label = frames.progress_values(tables["scores"], tables["indicators"])
    if column != "uneven_progress":
        assert "%" in label and values[column].max() > 1.0


# --- time zone named --------------------------------------------------------


def test_footer_time_is_beijing_time_and_says_so():
    assert labels.local_now().endswith("（北京时间）")
    text = (ROOT / "pipeline" / "report" / "pages.py").read_text(encoding="utf-8")
    assert "local_now()" in text


def test_received_time_column_names_the_zone(tables):
    df = frames.missing_late_frame(tables["units"])
    assert "收到时间（北京时间）" in df.columns
    s = labels.local_times(pd.Series([pd.Timestamp("2026-08-28 16:30")]))
    assert s.iloc[0] == "2026-08-29 00:30"


# --- titles inside the figure -----------------------------------------------


def _title_artists(fig):
    out = [t for t in (getattr(fig, "_suptitle", None),) if t is not None and t.get_text()]
    for ax in fig.axes:
        for t in (ax.title, ax._left_title, ax._right_title):
            if t.get_text():
                out.append(t)
    return out


def _all_charts(t):
    values, column, label = frames.progress_values(t["scores"], t["indicators"])
    deadline = date(2026, 8, 28)
    return {
        "heatmap": charts.weakness_heatmap(t["scores"], TH, max_units=60),
        "heatmap_long": charts.weakness_heatmap(
            t["scores"],
            TH,
            title=(
                "区级部门类单位：四项不足热力图"
                "（共1830个单位，显示综合得分最低的60个）（黑框 = 达到预警线）"
            ),
        ),
        "progress": charts.progress_by_type(values, t["inequality"], column=column, label=label),
        "ranking": charts.ranking_chart(t["scores"]),
        "profile": charts.unit_profile_chart(t["scores"], "U001", TH),
        "timeline": charts.activity_timeline(t["activities"], deadline, 30),
        "themes": charts.theme_clusters_chart(t["theme_clusters"]),
        "completeness": charts.completeness_by_type(t["completeness"]),
        "slope": charts.change_slope_chart(t["scores"], t["changes"], "7月调研", "8月检查"),
        "trend": charts.weakness_trend_chart(
            pd.DataFrame(
                {
                    "round_id": ["a", "b", "c"],
                    "round_name": ["7月调研", "8月检查", "9月检查"],
                    "scored": [60, 62, 64],
                    "uneven_progress": [20, 15, 9],
                    "weak_basics": [30, 31, 20],
                    "unclear_theme": [5, 8, 9],
                    "shallow_understanding": [12, 10, 11],
                }
            )
        ),
        "counts": charts.weakness_counts_chart(
            {"weak_basics": 12, "unclear_theme": 3},
            {"weak_basics": 15, "unclear_theme": 1},
            "8月检查",
            "7月调研",
        ),
    }


def test_chart_titles_lie_inside_the_figure_and_do_not_overlap(tables):
    for name, fig in _all_charts(tables).items():
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(fig)
        canvas.draw()  # lay out (constrained layout) and draw, as savefig does
        renderer = canvas.get_renderer()
        box = fig.bbox
        titles = _title_artists(fig)
        assert titles, name
        for t in titles:
            e = t.get_window_extent(renderer)
            assert (
                e.x0 >= box.x0 - 1
                and e.x1 <= box.x1 + 1
                and e.y0 >= box.y0 - 1
                and e.y1 <= box.y1 + 1
            ), f"{name}: title {t.get_text()!r} {e} outside {box}"
            for ax in fig.axes:  # the title does not sit on the axes' own labels
                for lab in ax.get_xticklabels() + ax.get_yticklabels():
                    if lab.get_text() and lab.get_visible():
                        assert not e.overlaps(lab.get_window_extent(renderer)), (
                            f"{name}: {t.get_text()!r}"
                        )


# --- one term per severity and concept; jargon explained ---------------------


def test_one_term_per_severity_everywhere():
    from pipeline.ingest import feedback

    assert frames.SEVERITY_LABELS is labels.SEVERITY_LABELS
    assert all(v.startswith(labels.SEVERITY_LABELS[k]) for k, v in feedback.SEVERITY_ZH.items())
    banned = ("提醒", "警告")
    for path in [
        *(ROOT / "pipeline").rglob("*.py"),
        *(ROOT / "pipeline" / "report" / "templates").glob("*.j2"),
    ]:
        if "demo" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            if line.lstrip().startswith("#"):
                continue
            for word in banned:
                if re.search(rf'["“（]{word}|{word}[ （]?\{{', line):
                    pytest.fail(f"{path.name}: {word} used as a severity: {line.strip()}")


def test_data_entry_errors_are_not_called_wenti_qingdan():
    for path in [
        *(ROOT / "pipeline").rglob("*.py"),
        *(ROOT / "pipeline" / "report" / "templates").glob("*.j2"),
    ]:
        if "demo" in path.parts:
            continue
        assert "问题清单" not in path.read_text(encoding="utf-8").replace(
            "不是“问题清单”", ""
        ).replace('Never "问题清单"', ""), path


def test_jargon_is_explained(tables):
    lines = cm.inequality_commentary(tables["inequality"])
    assert any("泰尔指数衡量" in x for x in lines)
    src = (ROOT / "pipeline" / "score" / "explain.py").read_text(encoding="utf-8")
    assert "稳健z值" in src and "典型离差" in src
