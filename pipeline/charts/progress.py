"""Progress and reporting by unit type.

- `progress_by_type(values, inequality=None, column="progress", label=...)`:
  box + jittered strip of a per-unit progress measure for each unit type, with
  the district Theil T and its between-type / within-type split in the title
  block (the mean level always shown beside T).
- `completeness_by_type(completeness)`: stacked bars of on-time / late /
  missing returns per unit type, with the reporting rate written on each bar.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pipeline.charts._style import (
    BLUE,
    GREEN,
    GREY,
    LIGHT,
    ORANGE,
    RED,
    empty_figure,
    new_figure,
    set_title,
    sort_types,
    style_axes,
)


def theil_note(inequality: pd.DataFrame | None) -> str:
    """One line: district Theil T, the between/within split and the mean level."""
    if inequality is None or inequality.empty:
        return ""
    d = inequality[inequality["level"] == "district"]
    if d.empty:
        return ""
    r = d.iloc[0]
    t = float(r["theil"]) if pd.notna(r["theil"]) else float("nan")
    parts = [f"全区泰尔指数 T = {t:.3f}"]
    if pd.notna(r.get("between")) and pd.notna(r.get("within")) and t > 0:
        b, w = float(r["between"]), float(r["within"])
        parts.append(f"类型间 {b:.3f}（{b / t:.0%}）+ 类型内 {w:.3f}（{w / t:.0%}）")
    if pd.notna(r.get("mean_progress")):
        parts.append(f"平均进度 {100 * float(r['mean_progress']):.0f}%")
    return "；".join(parts)


def progress_by_type(
    values: pd.DataFrame,
    inequality: pd.DataFrame | None = None,
    column: str = "progress",
    label: str = "规定动作完成进度",
    seed: int = 0,
) -> Figure:
    """Box and strip plot of `column` per unit type; Theil split in the title."""
    v = values.dropna(subset=[column])
    if v.empty:
        return empty_figure("暂无进度数据")
    types = sort_types(v["unit_type"].dropna().unique())
    fig = new_figure(7.0, 3.8)
    ax = fig.add_subplot()
    data = [v.loc[v["unit_type"] == t, column].astype(float).to_numpy() for t in types]
    ax.boxplot(
        data,
        positions=range(len(types)),
        widths=0.5,
        showfliers=False,
        patch_artist=True,
        boxprops={"facecolor": "white", "edgecolor": GREY},
        medianprops={"color": BLUE, "linewidth": 2},
        whiskerprops={"color": GREY},
        capprops={"color": GREY},
    )
    rng = np.random.default_rng(seed)
    for i, d in enumerate(data):
        ax.scatter(
            i + rng.uniform(-0.18, 0.18, len(d)), d, s=10, color=BLUE, alpha=0.45, linewidths=0
        )
    ax.set_xticks(
        range(len(types)),
        [f"{t}\n（{len(d)}个）" for t, d in zip(types, data, strict=True)],
        fontsize=9,
    )
    ax.set_ylabel(label, fontsize=9)
    style_axes(ax, "y")
    note = theil_note(inequality)
    set_title(ax, f"{label}：按单位类型" + (f"\n{note}" if note else ""), 10)
    return fig


def completeness_by_type(completeness: pd.DataFrame) -> Figure:
    """Stacked on-time / late / missing bars per unit type with the reporting rate."""
    c = completeness[completeness["level"] == "unit_type"] if completeness is not None else None
    if c is None or c.empty:
        return empty_figure("暂无报送完整性数据")
    c = c.set_index("group").loc[sort_types(c["group"])].reset_index()
    fig = new_figure(7.0, max(2.4, 0.5 * len(c) + 1.2))
    ax = fig.add_subplot()
    y = np.arange(len(c))
    left = np.zeros(len(c))
    for col, colour, name in (
        ("on_time", GREEN, "按时报送"),
        ("late", ORANGE, "迟报"),
        ("missing", RED, "未报送"),
    ):
        vals = c[col].astype(float).fillna(0).to_numpy()
        ax.barh(
            y,
            vals,
            left=left,
            color=colour,
            label=name,
            height=0.6,
            hatch="//" if col == "missing" else None,
            edgecolor="white",
            linewidth=0.5,
        )
        left += vals
    for yi, total, rate in zip(y, left, c["reporting_rate"].astype(float), strict=True):
        txt = f"报送率 {rate:.0f}%" if pd.notna(rate) else ""
        ax.text(total + max(left) * 0.01, float(yi), txt, va="center", fontsize=8)
    ax.set_yticks(y, c["group_name"].astype(str).tolist(), fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, max(left) * 1.25 if max(left) > 0 else 1)
    ax.set_xlabel("应报单位数", fontsize=9)
    style_axes(ax, "x")
    ax.spines["left"].set_color(LIGHT)
    ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]  # default locator is a MaxNLocator
    fig.legend(loc="outside lower center", fontsize=8, frameon=False, ncols=3)
    set_title(ax, "报送完整性：按单位类型", 11)
    return fig
