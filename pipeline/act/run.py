"""The action stage of one round: scores and facts in; items, statuses, grades, exemplary
units, notice out.

`act_tables` is pure (tables → tables). The score stage calls it at the end
of `score_tables` (so every caller of the scorer gets the action tables) with
the previous round's *published* `rectification` and `notice` tables.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from pipeline.act.exemplary import exemplary_table
from pipeline.act.grades import grade_columns
from pipeline.act.items import facts_table, rule_context
from pipeline.act.notice import build_notice
from pipeline.act.recheck import fixing_rates, rectification_table
from pipeline.config import Config
from pipeline.form import load_form
from pipeline.tables import ACT_TABLES

GRADE_COLUMNS = ["grade", "grade_label", "grade_range", "grade_uncertain", "grade_note"]


def due_date(config: Config, round_id: str) -> date:
    """Items are due by the next round's as-of date, else `act.due_days` after this round's."""
    rnd = config.round(round_id)
    later = [r for r in config.rounds_in_order() if r.as_of > rnd.as_of]
    return later[0].as_of if later else rnd.as_of + timedelta(days=config.act.due_days)


def _unusable(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    subs = tables.get("submissions")
    out: dict[str, str] = {}
    if subs is not None and len(subs) and {"unit_id", "status", "message"} <= set(subs):
        rej = subs[(subs["status"].astype(str) == "rejected") & subs["unit_id"].notna()]
        for u, m in zip(rej["unit_id"].astype(str), rej["message"].astype(str), strict=True):
            out.setdefault(u, m)
    return out


def act_tables(
    tables: dict[str, pd.DataFrame],
    scored: dict[str, pd.DataFrame],
    config: Config,
    round_id: str,
    previous: dict[str, pd.DataFrame] | None = None,
) -> dict[str, pd.DataFrame]:
    """scores (+ grade columns), notice, rectification, rectification_rates, exemplary.

    `tables`: the round's clean tables (units, actions, activities, info, submissions);
    `scored`: `score_tables`' output; `previous`: last round's published `rectification`, `notice`.
    """
    previous = previous or {}
    rnd = config.round(round_id)
    form = load_form(config.campaign.form_version)
    due_actions = [a.name for a in form.actions_due(config.campaign.start, rnd.as_of)]
    required = [c for c in form.sheet("materials").column("category").choices if c != "其他"]
    scores = grade_columns(scored["scores"], config.act.grades)
    ind = scored["indicators"]
    names = dict(zip(scores["unit_id"].astype(str), scores["unit_name"].astype(str), strict=True))
    ctx = rule_context(
        config.scoring, config.act.items, due_actions, required, f"{rnd.as_of.month}月"
    )
    ids = set(ind["unit_id"].astype(str))
    actions = tables.get("actions", pd.DataFrame(columns=["unit_id", "action", "status"]))
    if len(actions):
        actions = actions[actions["unit_id"].astype(str).isin(ids)]
    facts = facts_table(ind, actions, ctx, names)
    rect = rectification_table(
        facts,
        scores[["unit_id", "unit_name", "unit_type", "scored"]],
        round_id,
        due_date(config, round_id),
        previous.get("rectification"),
        config.act.items.partial_share,
    )
    rates = fixing_rates(rect, previous.get("notice"))
    units = tables.get("units", scores.assign(submitted=scores["scored"]))
    units = units.assign(unit_id=units["unit_id"].astype(str))
    units = units[units["unit_id"].isin(set(scores["unit_id"].astype(str)))]
    notice = build_notice(
        scores,
        units,
        config.notice,
        rect,
        f"{rnd.deadline.month}月{rnd.deadline.day}日",
        len(config.act.grades.cuts) + 1,
        _unusable(tables),
    )
    acts = tables.get(
        "activities",
        pd.DataFrame(
            columns=[
                "unit_id",
                "date",
                "name",
                "format",
                "tied_to_work",
                "public_participation",
                "publicity",
            ]
        ),
    )
    if len(acts):
        acts = acts[acts["unit_id"].astype(str).isin(ids)]
    report_dates: dict[str, object] = {}
    if "report_date" in units:
        report_dates = dict(zip(units["unit_id"], units["report_date"], strict=True))
    ex = exemplary_table(
        scores,
        ind,
        acts,
        tables.get("info", pd.DataFrame()),
        config.act.exemplary,
        config.scoring.material_current_days,
        report_dates,
    )
    return {
        "scores": scores,
        "notice": notice,
        "rectification": rect,
        "rectification_rates": rates,
        "exemplary": ex,
    }


__all__ = ["ACT_TABLES", "GRADE_COLUMNS", "act_tables", "due_date"]
