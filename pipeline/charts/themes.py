"""Theme similarity clusters: which units wrote (nearly) the same activity theme.

`theme_clusters_chart(theme_clusters, max_clusters=12)`: horizontal bars, one
per cluster of two or more units, length = units in the cluster, labelled with
a representative theme (shortened; the full texts are in the tables).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pipeline.charts._style import GREY, RED, empty_figure, new_figure, set_title, short, style_axes


def theme_clusters_chart(theme_clusters: pd.DataFrame, max_clusters: int = 12) -> Figure:
    """Clusters of copied or near-identical themes, largest first."""
    if theme_clusters is None or theme_clusters.empty:
        return empty_figure("没有发现雷同的活动主题")
    tc = theme_clusters.dropna(subset=["cluster_id"])
    sizes = tc.groupby("cluster_id").agg(
        size=("unit_id", "size"),
        theme=("theme", lambda s: s.mode().iloc[0] if len(s.mode()) else s.iloc[0]),
    )
    sizes = sizes[sizes["size"] >= 2].sort_values("size", ascending=False)
    if sizes.empty:
        return empty_figure("没有发现雷同的活动主题")
    n_all = len(sizes)
    sizes = sizes.head(max_clusters)
    fig = new_figure(7.0, max(2.2, 0.38 * len(sizes) + 1.2))
    ax = fig.add_subplot()
    y = np.arange(len(sizes))
    ax.barh(y, sizes["size"].to_numpy(), color=RED, alpha=0.8, height=0.6)
    for yi, v in zip(y, sizes["size"], strict=True):
        ax.text(v + 0.1, float(yi), f"{v}个单位", va="center", fontsize=8, color=GREY)
    ax.set_yticks(y, [f"“{short(t, 18)}”" for t in sizes["theme"]], fontsize=9)
    ax.set_ylim(max(len(sizes), 3) - 0.4, -0.6)
    ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]  # default locator is a MaxNLocator
    ax.set_xlabel("主题雷同的单位数", fontsize=9)
    style_axes(ax, "x")
    more = f"，显示最大的{len(sizes)}组" if n_all > len(sizes) else ""
    set_title(ax, f"主题雷同聚类：共{n_all}组{more}", 11)
    return fig
