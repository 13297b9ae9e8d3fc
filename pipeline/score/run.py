"""Scoring one round: clean tables in, score tables out.

`score_tables` is the pure core (tables → tables, no I/O); `score_round`
reads `data/processed/<round>/`, scores and writes the results beside them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pandas as pd
from pandas.api.typing import NAType

from pipeline.act import act_tables
from pipeline.config import WEAKNESS_LABELS, WEAKNESSES, Config
from pipeline.form import load_form
from pipeline.score.basics import OTHER, basics_measures
from pipeline.score.changes import compute_changes
from pipeline.score.composite import flags, goodness, normalised_weights, overall_score, rank_desc
from pipeline.score.explain import explanations
from pipeline.score.progress import inequality_table, progress_measures
from pipeline.score.theme import theme_measures
from pipeline.score.uncertainty import monte_carlo
from pipeline.score.understanding import understanding_measures
from pipeline.survey.compare import annotate_notice, blend_satisfaction
from pipeline.tables import (
    ACT_TABLES,
    SCORE_TABLES,
    read_table,
    read_tables,
    table_path,
    write_tables,
)

INPUT_TABLES = ("units", "info", "actions", "materials", "activities", "evaluation")

_SHEET_COLUMNS = {
    "info": ["unit_id", "file", "row", "theme"],
    "actions": ["unit_id", "action", "status", "done_date"],
    "materials": ["unit_id", "category", "copies", "standard", "filed", "updated", "tied_to_work"],
    "activities": [
        "unit_id",
        "date",
        "format",
        "tied_to_work",
        "public_participation",
        "publicity",
    ],
}

SCORE_COLUMNS = [
    "unit_id",
    "unit_name",
    "unit_type",
    "parent_id",
    "scored",
    "unscored_reason",
    *WEAKNESSES,
    "overall",
    "rank",
    "rank_in_type",
    "rank_median",
    "rank_p05",
    "rank_p95",
    "rank_unstable",
    "flags",
    "n_flags",
]


def _sheet(tables: dict[str, pd.DataFrame], name: str, ids: set[str]) -> pd.DataFrame:
    cols = _SHEET_COLUMNS[name]
    df = tables.get(name)
    if df is None or df.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    for c in cols:
        if c not in df:
            df = df.assign(**{c: pd.NA})  # type: ignore[arg-type]  # stub: no NA scalar
    df = df[df["unit_id"].astype(str).isin(ids)]
    return df


def _unscored_reasons(units: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    reasons: dict[str, str] = {}
    subs = tables.get("submissions")
    rejected: dict[str, str] = {}
    if subs is not None and not subs.empty and {"unit_id", "status", "message"} <= set(subs):
        rej = subs[(subs["status"].astype(str) == "rejected") & subs["unit_id"].notna()]
        for uid, msg in zip(rej["unit_id"].astype(str), rej["message"].astype(str), strict=True):
            rejected.setdefault(uid, msg)
    for uid, sub in zip(units["unit_id"].astype(str), units["submitted"], strict=True):
        if bool(sub):
            continue
        if uid in rejected:
            reasons[uid] = f"报送的报表无法使用：{rejected[uid]}"
        else:
            reasons[uid] = "未报送报表，本轮不评分"
    return reasons


def _keyword_list(k: Iterable[object] | float | str | NAType | None) -> list[str]:
    """Roster keywords as a list of str (a list, an array from parquet, or missing)."""
    if k is None or isinstance(k, (float, str, NAType)):
        return [k] if isinstance(k, str) and k else []
    return [str(x) for x in k]


def _themes(info: pd.DataFrame, scored: pd.DataFrame) -> pd.Series:
    """The theme of each scored unit (first accepted return by file, row)."""
    if info.empty:
        return pd.Series([pd.NA] * len(scored), index=scored.index, dtype="string")
    i = info.assign(_u=info["unit_id"].astype(str), _f=info["file"].astype(str)).sort_values(
        ["_u", "_f", "row"]
    )
    first = i.drop_duplicates("_u").set_index("_u")["theme"]
    return scored["unit_id"].astype(str).map(first).astype("string")


def score_tables(
    tables: dict[str, pd.DataFrame],
    config: Config,
    round_id: str,
    previous_scores: pd.DataFrame | None = None,
    previous_act: dict[str, pd.DataFrame] | None = None,
) -> dict[str, pd.DataFrame]:
    """Score one round from its clean tables; returns the score tables (see data dictionary).

    The action stage (`pipeline.act.act_tables`) runs at the end: it adds the grade columns
    to `scores`,
    replaces the notice rule and adds the `rectification`, `rectification_rates` and
    `exemplary` tables;
    `previous_act` holds the previous round's published `rectification` and `notice`.
    """
    sc = config.scoring
    rnd = config.round(round_id)
    form = load_form(config.campaign.form_version)
    due = [a.name for a in form.actions_due(config.campaign.start, rnd.as_of)]
    required = [c for c in form.sheet("materials").column("category").choices if c != OTHER]

    units = tables["units"].copy()
    if "expected" in units:
        units = units[units["expected"].astype("boolean").fillna(True).astype(bool)]
    if "submitted" not in units:
        units["submitted"] = True
    units["submitted"] = units["submitted"].astype("boolean").fillna(False).astype(bool)
    units = (
        units.assign(unit_id=units["unit_id"].astype(str))
        .sort_values("unit_id")
        .reset_index(drop=True)
    )
    scored = units[units["submitted"]].reset_index(drop=True)
    ids = set(scored["unit_id"])

    info = _sheet(tables, "info", ids)
    actions = _sheet(tables, "actions", ids)
    materials = _sheet(tables, "materials", ids)
    activities = _sheet(tables, "activities", ids)

    prog = progress_measures(
        scored, actions, due, sc.partial_credit, sc.peer_min, sc.modified_z_flag, sc.progress
    )
    bas = basics_measures(
        scored, materials, activities, required, rnd.as_of, sc.material_current_days, sc.basics
    )
    theme_in = pd.DataFrame(
        {
            "unit_id": scored["unit_id"],
            "theme": _themes(info, scored),
            "keywords": scored["keywords"] if "keywords" in scored else None,
        }
    )
    thm, clusters = theme_measures(
        theme_in, sc.slogans, sc.copy_cosine, sc.theme_neighbours, sc.theme
    )
    und = understanding_measures(
        scored,
        activities,
        actions,
        due,
        config.campaign.start,
        rnd.deadline,
        sc.deadline_window_days,
        sc.bunching_shrinkage,
        sc.bunching_min_activities,
        sc.late_action_days,
        sc.understanding,
    )
    ind = pd.concat(
        [
            prog,
            bas.drop(columns="unit_id"),
            thm.drop(columns="unit_id"),
            und.drop(columns="unit_id"),
        ],
        axis=1,
    )
    ind.insert(1, "unit_type", scored["unit_type"].astype(str).to_numpy())
    ind["theme"] = theme_in["theme"].to_numpy()

    weights = sc.weights.as_dict()
    overall = overall_score(ind, weights)
    returns_overall = overall
    if (
        config.survey.in_composite
    ):  # residents' satisfaction mixed in (off by default: docs/methodology.md)
        overall = blend_satisfaction(
            overall, scored["unit_id"], tables.get("satisfaction"), config.survey.composite_weight
        )
    rank = rank_desc(overall)
    rank_type = rank_desc(overall, scored["unit_type"].astype(str).to_numpy())
    u = sc.uncertainty
    mc = monte_carlo(
        goodness(ind),
        normalised_weights(weights),
        rank.astype(float),
        u.runs,
        u.weight_spread,
        u.seed,
        u.unstable_rank_width,
        u.max_cells,
        u.normalisations,
        u.aggregations,
        u.outlier_skew,
        u.outlier_kurtosis,
        u.winsorise_max_points,
    )
    flag_names, n_flags = flags(ind, sc.thresholds.as_dict())
    ind["overall"] = (
        returns_overall  # what the returns show (= overall unless satisfaction is mixed in)
    )
    ind["rank_shift"] = mc.table["rank_shift"].to_numpy()

    s = pd.DataFrame(
        {
            "unit_id": scored["unit_id"],
            "scored": True,
            **{k: ind[k].to_numpy() for k in WEAKNESSES},
            "overall": overall,
            "rank": rank,
            "rank_in_type": rank_type,
            "rank_median": mc.table["rank_median"].to_numpy(),
            "rank_p05": mc.table["rank_p05"].to_numpy(),
            "rank_p95": mc.table["rank_p95"].to_numpy(),
            "rank_unstable": mc.table["rank_unstable"].to_numpy(),
            "flags": flag_names,
            "n_flags": n_flags,
        }
    )
    reasons = _unscored_reasons(units, tables)
    scores = units[["unit_id", "unit_name", "unit_type", "parent_id"]].merge(
        s, on="unit_id", how="left"
    )
    scores["scored"] = scores["scored"].astype("boolean").fillna(False).astype(bool)
    scores["unscored_reason"] = scores["unit_id"].map(reasons)
    scores["rank_unstable"] = scores["rank_unstable"].astype("boolean").fillna(False).astype(bool)
    scores = scores[SCORE_COLUMNS].astype(
        {
            "unit_id": "string",
            "unit_name": "string",
            "unit_type": "string",
            "parent_id": "string",
            "unscored_reason": "string",
            **dict.fromkeys(WEAKNESSES, "Float64"),
            "overall": "Float64",
            "rank": "Int64",
            "rank_in_type": "Int64",
            "rank_median": "Float64",
            "rank_p05": "Float64",
            "rank_p95": "Float64",
            "flags": "string",
            "n_flags": "Int64",
        }
    )

    kw_lists = (
        [_keyword_list(k) for k in scored["keywords"]]
        if "keywords" in scored
        else [[]] * len(scored)
    )
    ind["keywords"] = pd.Series(kw_lists, index=ind.index, dtype=object)
    expl = explanations(ind, sc)
    ind_out = ind.copy()
    ind_out["keywords"] = ["、".join(k) for k in kw_lists]
    for c in (
        "unit_id",
        "unit_type",
        "peer_group",
        "materials_missing",
        "theme_keywords",
        "theme",
        "keywords",
    ):
        ind_out[c] = ind_out[c].astype("string")
    ineq = inequality_table(
        scored,
        prog["progress"],
        units.set_index("unit_id")["unit_name"].astype(str),
        sc.theil_min_subunits,
    )
    prev = config.previous_round(round_id)
    changes = compute_changes(scores, previous_scores, prev.id if prev else "")
    out = {
        "scores": scores,
        "indicators": ind_out,
        "explanations": expl,
        "inequality": ineq,
        "theme_clusters": clusters,
        "changes": changes,
        "notice": pd.DataFrame(),
    }
    out.update(act_tables(tables, out, config, round_id, previous_act))
    out["notice"] = annotate_notice(
        out["notice"], tables.get("satisfaction")
    )  # residents' view where known
    return out


@dataclass
class ScoreResult:
    round_id: str
    out_dir: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    previous_round: str | None = None
    # with summary: what `scorecard run` reads (batch/stages.StageResult)
    has_errors: ClassVar[bool] = False
    failures: ClassVar[tuple[str, ...]] = ()
    index: ClassVar[Path | None] = None

    @property
    def counts(self) -> dict[str, int]:
        return {}

    def summary(self) -> str:
        s = self.tables["scores"]
        ok = s[s["scored"]]
        lines = [
            f"轮次 {self.round_id}：应报单位 {len(s)} 个，评分 {len(ok)} 个，"
            f"未评分 {len(s) - len(ok)} 个。"
        ]
        if len(ok):
            for k in WEAKNESSES:
                lines.append(
                    f"  {WEAKNESS_LABELS[k]}：中位数 {ok[k].median():.1f} 分，"
                    f"超过阈值 {int(ok['flags'].str.contains(k).sum())} 个单位"
                )
            shift = self.tables["indicators"]["rank_shift"].mean()
            lines.append(
                f"  综合得分中位数 {ok['overall'].median():.1f} 分；权重与方法扰动下平均排名变动 "
                f"{shift:.1f} 位，排名不稳定单位 {int(ok['rank_unstable'].sum())} 个"
            )
        dist = self.tables["inequality"]
        d = dist[dist["level"] == "district"]
        if len(d):
            r = d.iloc[0]
            lines.append(
                f"  规定动作完成率平均 {100 * r['mean_progress']:.0f}%，泰尔指数 {r['theil']:.3f}"
                f"（类型间 {r['between']:.3f}，类型内 {r['within']:.3f}）"
            )
        lines.append(
            f"  主题雷同组 {self.tables['theme_clusters']['cluster_id'].nunique()} 个；"
            f"通报名单 {len(self.tables['notice'])} 个单位"
        )
        lines += _act_summary(self.tables)
        ch = self.tables["changes"]
        if len(ch):
            still = int((ch["still_flagged"].fillna("") != "").sum())
            lines.append(
                f"  与上轮（{self.previous_round}）相比：{still} 个单位仍有未整改到位的不足"
            )
        lines.append(f"  结果已写入 {self.out_dir}")
        return "\n".join(lines)


def _act_summary(tables: dict[str, pd.DataFrame]) -> list[str]:
    """The action stage's lines of the CLI summary."""
    lines = []
    n = tables.get("notice")
    if n is not None and len(n) and "basis" in n:
        c = n["basis"].astype(str).value_counts()
        lines.append(
            f"  其中工作差距较大 {int(c.get('performance', 0))} 个、"
            f"未按时报送 {int(c.get('not_reported', 0))} 个、"
            f"迟报 {int(c.get('late', 0))} 个"
        )
    r = tables.get("rectification")
    if r is not None and len(r):
        st = r["status"].astype(str).value_counts()
        open_n = len(r) - int(st.get("fixed", 0))
        line = f"  整改事项 {open_n} 项待整改"
        carried = len(r) - int(st.get("new", 0))
        if carried:
            checkable = carried - int(st.get("not_checkable", 0))
            rate = f"{100 * int(st.get('fixed', 0)) / checkable:.0f}%" if checkable else "—"
            line += (
                f"；上轮 {carried} 项复查：已整改 {int(st.get('fixed', 0))}、"
                f"部分整改 {int(st.get('partly_fixed', 0))}、"
                f"未整改 {int(st.get('not_fixed', 0))}、"
                f"无法复查 {int(st.get('not_checkable', 0))}，"
                f"整改率 {rate}"
            )
        lines.append(line)
    return lines


def score_round(
    config: Config,
    round_id: str,
    processed_dir: Path | None = None,
    previous_dir: Path | None = None,
) -> ScoreResult:
    """Read a round's processed tables, score them and write the score tables beside them."""
    folder = (
        Path(processed_dir) if processed_dir is not None else config.paths.processed_round(round_id)
    )
    tables = read_tables(folder, INPUT_TABLES, missing_ok=True)
    if "units" not in tables:
        read_table(folder, "units")  # raises the Chinese "run ingest first" error
    extra = read_tables(folder, ["submissions", "satisfaction"], missing_ok=True)
    tables.update(extra)
    prev_round = config.previous_round(round_id)
    if previous_dir is None and prev_round is not None:
        cand = config.paths.processed_round(prev_round.id)
        previous_dir = cand if table_path(cand, "scores").is_file() else None
    previous = (
        read_table(Path(previous_dir), "scores")
        if previous_dir is not None and table_path(Path(previous_dir), "scores").is_file()
        else None
    )
    previous_act = (
        read_tables(Path(previous_dir), ("rectification", "notice"), missing_ok=True)
        if previous_dir is not None
        else {}
    )
    out = score_tables(tables, config, round_id, previous, previous_act)
    write_tables({k: out[k] for k in (*SCORE_TABLES, *ACT_TABLES)}, folder)
    return ScoreResult(
        round_id, folder, out, prev_round.id if (prev_round and previous is not None) else None
    )


__all__ = ["ScoreResult", "score_round", "score_tables"]
