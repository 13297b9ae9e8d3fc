"""Short Chinese commentary generated from the data, one function per section.

Each builder takes processed tables and returns a list of plain-text sentences
(unit names included verbatim: the caller escapes them when writing HTML).
Builders never raise on empty tables; they say there is nothing to report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from pipeline.config import WEAKNESS_LABELS, WEAKNESSES
from pipeline.report.frames import flags_text
from pipeline.report.labels import FINDINGS_TERM, GLOSSARY, SEVERITY_LABELS, num, pct
from pipeline.tables import Record


def _scored(scores: pd.DataFrame) -> pd.DataFrame:
    return scores[scores["scored"].fillna(False).astype(bool)]


def _names(values, limit: int = 8) -> str:
    values = [str(v) for v in values]
    more = f"等{len(values)}个" if len(values) > limit else ""
    return "、".join(values[:limit]) + more


def _pct(x: float) -> str:
    return f"{x:.0f}%"


def _flag_counts(s: pd.DataFrame, thresholds: Mapping[str, float]) -> tuple[dict[str, int], str]:
    """Units at or over each threshold, and the most widespread weakness (ties: higher mean)."""
    counts = {w: int((s[w].astype(float) >= thresholds[w]).sum()) for w in WEAKNESSES}
    means = s[list(WEAKNESSES)].astype(float).mean()
    top = max(WEAKNESSES, key=lambda w: (counts[w], float(means[w])))
    return counts, top


def completeness_commentary(
    completeness: pd.DataFrame, units: pd.DataFrame | None = None, unit_type: str | None = None
) -> list[str]:
    """Reporting rate and timeliness (district, or one unit type), the weakest type, the units
    missing."""
    if completeness is None or completeness.empty:
        return ["本轮暂无报送完整性数据。"]
    if unit_type is None:
        d, scope = completeness[completeness["level"] == "district"], "全区"
    else:
        d = completeness[
            (completeness["level"] == "unit_type") & (completeness["group"] == unit_type)
        ]
        scope = f"{unit_type}类"
    out: list[str] = []
    if not d.empty:
        r = d.iloc[0]
        out.append(
            f"{scope}应报{int(r['expected'])}个单位，已报{int(r['received'])}个，报送率{_pct(float(r['reporting_rate']))}；"
            f"其中按时{int(r['on_time'])}个，迟报{int(r['late'])}个，"
            + (
                f"已报送但无法使用{int(r['unusable'])}个，"
                if "unusable" in r and pd.notna(r["unusable"]) and int(r["unusable"])
                else ""
            )
            + f"未报{int(r['missing'])}个。"
        )
    t = completeness[completeness["level"] == "unit_type"].dropna(subset=["reporting_rate"])
    if len(t) > 1 and unit_type is None:
        worst = t.sort_values("reporting_rate").iloc[0]
        best = t.sort_values("reporting_rate").iloc[-1]
        if float(worst["reporting_rate"]) < float(best["reporting_rate"]):
            out.append(
                f"报送率最低的是{worst['group_name']}（{_pct(float(worst['reporting_rate']))}），"
                f"最高的是{best['group_name']}（{_pct(float(best['reporting_rate']))}）。"
            )
    if units is not None and not units.empty:
        missing = units.loc[units["reporting"] == "missing", "unit_name"]
        if len(missing):
            out.append(f"尚未报送：{_names(missing)}。")
        unusable = units.loc[units["reporting"] == "received_unusable", "unit_name"]
        if len(unusable):
            out.append(f"报表无法使用、需重新报送：{_names(unusable)}。")
    return out


def weakness_commentary(scores: pd.DataFrame, thresholds: Mapping[str, float]) -> list[str]:
    """How many units each weakness flags, and which weakness is most widespread."""
    s = _scored(scores)
    if s.empty:
        return ["本轮没有可评分的单位。"]
    counts, top = _flag_counts(s, thresholds)
    out = [
        f"已评分{len(s)}个单位。四项不足中，“{WEAKNESS_LABELS[top]}”最为普遍："
        f"{counts[top]}个单位达到预警线（{_pct(counts[top] / len(s) * 100)}）。"
    ]
    rest = [f"{WEAKNESS_LABELS[w]}{counts[w]}个" for w in WEAKNESSES if w != top]
    out.append("其余各项达到预警线的单位数：" + "，".join(rest) + "。")
    multi = int((s["n_flags"].fillna(0).astype(int) >= 2).sum())
    if multi:
        out.append(f"{multi}个单位同时有两项及以上不足达到预警线，需重点督导。")
    return out


def ranking_commentary(scores: pd.DataFrame, top: int = 3) -> list[str]:
    """Top and bottom units and how many ranks are uncertain."""
    s = _scored(scores).sort_values("rank")
    if s.empty:
        return ["本轮没有可排名的单位。"]
    if s["rank"].isna().all():
        return ["已报送单位过少，本轮暂不排名（临时结果）。"]
    out = [
        f"综合得分前{min(top, len(s))}名：{_names(s['unit_name'].head(top))}；"
        f"后{min(top, len(s))}名：{_names(s['unit_name'].tail(top).iloc[::-1])}。"
    ]
    unstable = int(s["rank_unstable"].fillna(False).astype(bool).sum())
    if unstable:
        out.append(
            f"{unstable}个单位的排名区间较宽（权重在合理范围内变动时名次变化大），其名次宜谨慎解读，不宜单独作为通报依据。"
        )
    else:
        out.append("各单位的排名区间都较窄，权重在合理范围内变动时名次基本稳定。")
    return out


def inequality_commentary(inequality: pd.DataFrame) -> list[str]:
    """The Theil split: is the gap between unit types or within them?"""
    if inequality is None or inequality.empty:
        return ["暂无进展差距数据。"]
    d = inequality[inequality["level"] == "district"]
    if d.empty:
        return ["暂无全区进展差距数据。"]
    r = d.iloc[0]
    theil = float(r["theil"]) if pd.notna(r["theil"]) else float("nan")
    out = [f"全区规定动作平均进度为{pct(r['mean_progress'])}，泰尔指数为{num(theil, 3)}。"]
    if pd.notna(r.get("between")) and pd.notna(r.get("within")) and theil > 0:
        share = float(r["between"]) / theil
        where = "不同类型单位之间" if share >= 0.5 else "同类单位内部"
        out.append(
            f"差距中{_pct(share * 100)}来自类型之间，{_pct((1 - share) * 100)}来自类型内部，"
            f"进展不平衡主要表现在{where}。"
        )
    out.append(GLOSSARY["泰尔指数"] + "。")
    return out


def notice_commentary(notice: pd.DataFrame) -> list[str]:
    if notice is None or notice.empty:
        return ["本轮没有单位列入通报名单。"]
    return [f"拟列入通报名单{len(notice)}个单位：{_names(notice['unit_name'], 12)}。"]


def changes_commentary(changes: pd.DataFrame, previous_name: str | None = None) -> list[str]:
    """Improvement since the previous round and weaknesses still flagged (整改未到位)."""
    if changes is None or changes.empty or "overall_change" not in changes:
        return ["没有上一轮数据，本轮不做前后比较。"]
    c = changes["overall_change"].astype(float).dropna()
    prev = f"与{previous_name}相比，" if previous_name else "与上一轮相比，"
    out = [
        f"{prev}{int((c > 0).sum())}个单位综合得分上升，{int((c < 0).sum())}个下降，"
        f"平均变化{c.mean():+.1f}分。"
    ]
    if "still_flagged" in changes:
        still = changes["still_flagged"].fillna("").astype(str).str.strip()
        n = int((still != "").sum())
        if n:
            out.append(f"{n}个单位有同一项不足连续两轮达到预警线（整改未到位）。")
    return out


def theme_commentary(theme_clusters: pd.DataFrame) -> list[str]:
    if theme_clusters is None or theme_clusters.empty:
        return ["未发现雷同的活动主题。"]
    sizes = theme_clusters.groupby("cluster_id")["unit_id"].nunique()
    sizes = sizes[sizes >= 2]
    if sizes.empty:
        return ["未发现雷同的活动主题。"]
    big = sizes.idxmax()
    theme = theme_clusters.loc[theme_clusters["cluster_id"] == big, "theme"].mode().iloc[0]
    return [
        f"发现{len(sizes)}组雷同主题，涉及{int(sizes.sum())}个单位；最大的一组{int(sizes.max())}个单位"
        f"都使用了“{theme}”或与之几乎相同的表述，主题缺乏本单位特色。"
    ]


def timeline_commentary(
    activities: pd.DataFrame,
    deadline: date,
    window_days: int,
    unit_id: str | None = None,
    scope: str = "全区",
) -> list[str]:
    """Share of activities held in the window just before the deadline.

    `scope` names whose activities these are when `unit_id` is None ("全区",
    "社区类", a 街道's area): a unit-type page must not say "全区".
    """
    a = activities if unit_id is None else activities[activities["unit_id"] == unit_id]
    if a is None or a.empty:
        return ["没有活动记录。" if unit_id is None else "本单位没有填报活动记录。"]
    days = (pd.to_datetime(a["date"], errors="coerce") - pd.Timestamp(deadline)).dt.days.dropna()
    return timeline_lines(days.to_numpy(), window_days, scope if unit_id is None else "本单位")


def timeline_lines(days: np.ndarray, window_days: int, who: str) -> list[str]:
    """The sentence of `timeline_commentary` from the days to the deadline (no missing)."""
    if not len(days):
        return ["活动记录中没有可用的日期。"]
    share = float(((days >= -window_days) & (days <= 0)).mean())
    text = f"{who}共{len(days)}次活动，其中{_pct(share * 100)}集中在截止前{window_days}天内。"
    if share >= 0.6:
        text += "活动明显扎堆在检查前，存在“迎检突击”迹象。"
    return [text]


def type_commentary(
    scores: pd.DataFrame, unit_type: str, thresholds: Mapping[str, float]
) -> list[str]:
    """A unit type against the district: level, most common weakness, best and worst."""
    all_s = _scored(scores)
    s = all_s[all_s["unit_type"] == unit_type]
    n = int((scores["unit_type"] == unit_type).sum())
    if s.empty:
        return [f"{unit_type}类共{n}个应报单位，本轮均未评分。"]
    mean_t, mean_d = (
        float(s["overall"].astype(float).mean()),
        float(all_s["overall"].astype(float).mean()),
    )
    rel = "高于" if mean_t > mean_d else "低于" if mean_t < mean_d else "等于"
    out = [
        f"{unit_type}类共{n}个应报单位，已评分{len(s)}个，平均综合得分{mean_t:.1f}，{rel}全区平均（{mean_d:.1f}）。"
    ]
    counts, top = _flag_counts(s, thresholds)
    if counts[top]:
        out.append(f"本类最突出的不足是“{WEAKNESS_LABELS[top]}”，{counts[top]}个单位达到预警线。")
    s = s.sort_values("rank")
    out.append(f"本类排名最前的是{s['unit_name'].iloc[0]}，最后的是{s['unit_name'].iloc[-1]}。")
    return out


@dataclass(frozen=True)
class ScoreStats:
    """What a unit's commentary compares it with: scored units in all and per type, and
    each type's median of the four indices."""

    n_scored: int
    n_peers: Mapping[object, int]
    medians: Mapping[object, Mapping[str, float]]


def score_stats(scores: pd.DataFrame) -> ScoreStats:
    if scores is None or scores.empty:
        return ScoreStats(0, {}, {})
    all_s = _scored(scores)
    n_peers: dict[object, int] = {}
    medians: dict[object, dict[str, float]] = {}
    for t, peers in all_s.groupby("unit_type", sort=False):  # a missing type has no peers
        n_peers[t] = len(peers)
        medians[t] = {w: float(peers[w].astype(float).median()) for w in WEAKNESSES}
    return ScoreStats(len(all_s), n_peers, medians)


def unit_commentary(
    scores: pd.DataFrame, unit_id: str, thresholds: Mapping[str, float]
) -> list[str]:
    """One unit's standing: ranks, interval, flagged weaknesses, gap to its type's median."""
    row = scores[scores["unit_id"] == unit_id]
    if row.empty:
        return [f"名册中没有单位编码 {unit_id}。"]
    return unit_lines(row.iloc[0], score_stats(scores), thresholds)


def unit_lines(r: Record, stats: ScoreStats, thresholds: Mapping[str, float]) -> list[str]:
    """`unit_commentary` of one scores row (`stats` from `score_stats` of the whole table)."""
    scored: bool = bool(r["scored"]) if pd.notna(r["scored"]) else False
    if not scored:
        reason = r.get("unscored_reason")
        return [
            f"{r['unit_name']}本轮未评分"
            + (f"：{reason}。" if pd.notna(reason) and reason else "。")
        ]
    ranks = []
    if pd.notna(r.get("rank")):
        ranks.append(f"全区第{int(r['rank'])}名（共{stats.n_scored}个）")
    if pd.notna(r.get("rank_in_type")):
        n_peers = stats.n_peers.get(r["unit_type"], 0)
        ranks.append(f"{r['unit_type']}类第{int(r['rank_in_type'])}名（共{n_peers}个）")
    rank_text = "，".join(ranks) if ranks else "已报送单位过少，暂不排名（临时结果）"
    out = [f"{r['unit_name']}（{r['unit_type']}）综合得分{float(r['overall']):.1f}，{rank_text}。"]
    if pd.notna(r.get("rank_p05")) and pd.notna(r.get("rank_p95")):
        note = "，排名不够稳定，宜结合具体情况看待" if bool(r.get("rank_unstable")) else ""
        out.append(
            f"权重在合理范围内变动时，名次在第{float(r['rank_p05']):.0f}至第{float(r['rank_p95']):.0f}名之间{note}。"
        )
    flags = flags_text(r.get("flags"))
    out.append(f"达到预警线的不足：{flags}。" if flags else "四项不足均未达到预警线。")
    gaps = []
    medians = stats.medians.get(r["unit_type"], {})
    for w in WEAKNESSES:
        med = medians.get(w, float("nan"))
        v: float = float(r[w]) if pd.notna(r[w]) else float("nan")
        if v - med >= 15:
            gaps.append(f"{WEAKNESS_LABELS[w]}（{v:.0f}，同类中位数{med:.0f}）")
    if gaps:
        out.append("明显差于同类单位的方面：" + "、".join(gaps) + "。")
    return out


def findings_commentary(findings: pd.DataFrame, unit_id: str | None = None) -> list[str]:
    f = (
        findings
        if unit_id is None or findings is None or findings.empty
        else findings[findings["unit_id"] == unit_id]
    )
    if f is None or f.empty:
        return findings_lines(0, 0, 0)
    n_err = int((f["severity"] == "error").sum())
    n_warn = int((f["severity"] == "warning").sum())
    return findings_lines(len(f), n_err, n_warn)


def findings_lines(n: int, n_err: int, n_warn: int) -> list[str]:
    """The sentence of `findings_commentary` from the counts of problems."""
    if not n:
        return ["报表未发现需要修改的问题。"]
    return [
        f"报表中发现{n}处{FINDINGS_TERM}：{n_err}处{SEVERITY_LABELS['error']}（该数据未被采用，请改正后重新报送），"
        f"{n_warn}处{SEVERITY_LABELS['warning']}。"
    ]
