"""Charts: functions that take processed tables and return matplotlib Figures.

All text is Chinese and drawn with an installed CJK font (`fonts.py`); no chart
touches pyplot's global figure list, so callers own and close their figures.

| function | module | shows |
| --- | --- | --- |
| `ranking_chart` | ranking | overall rank with 5–95 % rank intervals |
| `change_slope_chart` | ranking | overall score, previous round → this round |
| `weakness_heatmap` | weakness | units × the four weaknesses |
| `unit_profile_chart` | weakness | one unit vs its type's median |
| `progress_by_type` | progress | progress per unit type, Theil between/within |
| `completeness_by_type` | progress | on-time / late / missing per unit type |
| `activity_timeline` | activity | activities relative to the deadline |
| `theme_clusters_chart` | themes | clusters of copied themes |
| `paper_vs_residents_chart` | survey | composite vs residents' satisfaction, quadrants named |
| `weakness_trend_chart` | trends | flagged units per weakness, round by round |
| `weakness_counts_chart` | trends | flagged units per weakness, this round vs the previous |
| `unit_trend_svg` | trends | one unit's indices across rounds (inline SVG) |
"""

from pipeline.charts._style import figure_png
from pipeline.charts.activity import activity_timeline
from pipeline.charts.fonts import NoCJKFontError, configure_cjk_font, find_cjk_fonts
from pipeline.charts.progress import completeness_by_type, progress_by_type, theil_note
from pipeline.charts.ranking import change_slope_chart, ranking_chart
from pipeline.charts.survey import paper_vs_residents_chart
from pipeline.charts.themes import theme_clusters_chart
from pipeline.charts.trends import (
    flagged_counts,
    unit_trend_svg,
    weakness_counts_chart,
    weakness_trend_chart,
)
from pipeline.charts.weakness import unit_profile_chart, weakness_heatmap

__all__ = [
    "NoCJKFontError",
    "activity_timeline",
    "change_slope_chart",
    "completeness_by_type",
    "configure_cjk_font",
    "figure_png",
    "find_cjk_fonts",
    "flagged_counts",
    "paper_vs_residents_chart",
    "progress_by_type",
    "ranking_chart",
    "theil_note",
    "theme_clusters_chart",
    "unit_profile_chart",
    "unit_trend_svg",
    "weakness_counts_chart",
    "weakness_heatmap",
    "weakness_trend_chart",
]
