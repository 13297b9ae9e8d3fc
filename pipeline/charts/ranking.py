"""Rankings: overall standing with rank intervals, and round-over-round change.

- `ranking_chart(scores, max_units=50, highlight=None)`: each scored unit's
  rank (dot) with its 5–95 % Monte Carlo rank interval as an error bar;
  unstable ranks drawn in orange. Longer lists show the top and bottom halves.
- `change_slope_chart(scores, changes, previous_label, current_label)`: slope
  chart of the overall score from the previous round to this one; the largest
  movers are labelled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pipeline.charts._style import (
    BLUE,
    GREY,
    LIGHT,
    ORANGE,
    RED,
    emphasis_weight,
    empty_figure,
    new_figure,
    set_title,
    short,
    style_axes,
)


def _scored(scores: pd.DataFrame) -> pd.DataFrame:
    s = scores[scores["scored"].fillna(False).astype(bool)].copy()
    return s.dropna(subset=["rank"]).sort_values("rank")


def ranking_chart(
    scores: pd.DataFrame,
    max_units: int = 50,
    highlight: str | None = None,
    title: str | None = None,
) -> Figure:
    """Overall rank of each scored unit with its 5–95 % rank interval."""
    s = _scored(scores)
    if s.empty:
        scored = scores["scored"].fillna(False).astype(bool).any() if "scored" in scores else False
        return empty_figure("已报送单位过少，暂不排名（临时结果）" if scored else "暂无已评分单位")
    n_all = len(s)
    note = ""
    if n_all > max_units:
        half = max_units // 2
        s = pd.concat([s.head(half), s.tail(max_units - half)])
        note = f"（共{n_all}个单位，显示前{half}名与后{max_units - half}名）"
    n = len(s)
    fig = new_figure(7.5, max(2.5, 0.22 * n + 1.2))
    ax = fig.add_subplot()
    y = np.arange(n)
    rank = s["rank"].astype(float).to_numpy()
    lo = s["rank_p05"].astype(float).fillna(pd.Series(rank, index=s.index)).to_numpy()
    hi = s["rank_p95"].astype(float).fillna(pd.Series(rank, index=s.index)).to_numpy()
    unstable = s["rank_unstable"].fillna(False).astype(bool).to_numpy()
    colours = np.where(unstable, ORANGE, BLUE)
    for yi, r, a, b, c in zip(y, rank, lo, hi, colours, strict=True):
        ax.plot([a, b], [yi, yi], color=c, linewidth=2, alpha=0.55, solid_capstyle="butt")
        ax.plot([r], [yi], "o", color=c, markersize=4)
    labels = [short(v) for v in s["unit_name"]]
    ax.set_yticks(y, labels, fontsize=8 if n > 30 else 9)
    if highlight is not None:
        for tick, uid in zip(ax.get_yticklabels(), s["unit_id"], strict=True):
            if uid == highlight:
                tick.set_color(RED)
                tick.set_fontweight(emphasis_weight())
    ax.invert_yaxis()
    ax.set_xlim(0.5, max(float(np.nanmax(hi)), float(np.nanmax(rank)), n_all) + 0.5)
    ax.set_xlabel("综合排名（1 = 最好；横线为 5%–95% 排名区间）", fontsize=9)
    style_axes(ax, "x")
    set_title(ax, title or f"综合排名及其不确定性{note}", 11)
    ax.plot([], [], "o-", color=BLUE, label="排名稳定")
    ax.plot([], [], "o-", color=ORANGE, label="排名不稳定（区间较宽）")
    fig.legend(loc="outside lower center", fontsize=8, frameon=False, ncols=2)
    return fig


def spread_labels(positions: dict[int, float], gap: float) -> dict[int, float]:
    """Label heights at least `gap` apart, as close as possible to their points."""
    items = sorted(positions.items(), key=lambda kv: kv[1])
    out: dict[int, float] = {}
    last = -np.inf
    for key, y in items:
        y = max(y, last + gap)
        out[key] = y
        last = y
    # shift the stack back down so it is centred on the points it labels
    if out:
        shift = (sum(out.values()) - sum(y for _, y in items)) / len(out)
        out = {k: v - shift for k, v in out.items()}
    return out


def change_slope_chart(
    scores: pd.DataFrame,
    changes: pd.DataFrame,
    previous_label: str = "上一轮",
    current_label: str = "本轮",
    max_labels: int = 8,
    highlight: str | None = None,
) -> Figure:
    """Slope chart of the overall score, previous round → this round."""
    if changes is None or changes.empty or "overall_change" not in changes:
        return empty_figure("没有上一轮数据，无法比较变化")
    m = changes.merge(scores[["unit_id", "unit_name", "overall"]], on="unit_id", how="inner")
    m = m.dropna(subset=["overall", "overall_change"])
    if m.empty:
        return empty_figure("两轮均有评分的单位为零，无法比较变化")
    now = m["overall"].astype(float).to_numpy()
    before = now - m["overall_change"].astype(float).to_numpy()
    delta = now - before
    fig = new_figure(6.0, 5.5)
    ax = fig.add_subplot()
    order = np.argsort(-np.abs(delta))
    labelled = set(order[:max_labels].tolist())
    if highlight is not None:
        labelled |= set(np.flatnonzero(m["unit_id"].to_numpy() == highlight).tolist())
    for i in range(len(m)):
        colour = GREY if i not in labelled else (BLUE if delta[i] >= 0 else RED)
        width, alpha = (1.6, 0.95) if i in labelled else (0.7, 0.35)
        ax.plot(
            [0, 1],
            [before[i], now[i]],
            color=colour,
            linewidth=width,
            alpha=alpha,
            marker="o",
            markersize=3,
        )
    lo, hi = float(min(before.min(), now.min())), float(max(before.max(), now.max()))
    ys = spread_labels({i: float(now[i]) for i in labelled}, gap=max(hi - lo, 1.0) * 0.045)
    for i, y_label in ys.items():
        colour = BLUE if delta[i] >= 0 else RED
        sign = "+" if delta[i] >= 0 else "-"
        ax.annotate(
            f"{short(m['unit_name'].iloc[i], 10)} {sign}{abs(delta[i]):.1f}",
            (1, now[i]),
            xytext=(1.06, y_label),
            textcoords="data",
            va="center",
            fontsize=8,
            color=colour,
            arrowprops={"arrowstyle": "-", "color": colour, "linewidth": 0.5, "alpha": 0.6},
        )
    ax.set_xticks([0, 1], [previous_label, current_label], fontsize=10)
    ax.set_xlim(-0.15, 1.6)
    ax.set_ylabel("综合得分（越高越好）", fontsize=9)
    style_axes(ax, "y")
    ax.spines["bottom"].set_color(LIGHT)
    set_title(
        ax,
        f"两轮综合得分变化（{len(m)}个单位，标注变化最大的{min(max_labels, len(m))}个）",
        fontsize=11,
        loc="left",
    )
    return fig
