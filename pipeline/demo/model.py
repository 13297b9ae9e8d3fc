"""The random model of each unit's return, with planted weaknesses.

Everything is vectorised over units with numpy so that 100,000 units take
seconds. `plant_weaknesses` draws the truth for every round; `simulate_round`
turns the roster and one round's truth into the clean tables of that round
(the values a perfect reader would get from the unit's final return), with the
delivery of the return (`pipeline.demo.delivery`) and the themes
(`pipeline.demo.themes`) drawn beside it. Actions done in one round stay done
in the next.

Planted effects (severity s in [0.5, 1]):
- uneven_progress: ≤ 50 % of the actions due by the as-of date done (≥ 80 % otherwise)
- weak_basics: many copies but mostly 否 for 规范/归档/结合当前工作, stale updates,
  missing 工作规程/群众意见台账/整改台账, one activity format, no publicity
- unclear_theme: a slogan, a copy of another weak theme, or boilerplate with
  none of the unit's keywords and no target
- shallow_understanding: most activities in the last 14–30 days before the
  deadline, few tied to daily work, required actions ticked off in the last week
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from pipeline.config import WEAKNESSES, Round
from pipeline.demo import pools
from pipeline.demo.columns import Coded, compose, frame
from pipeline.demo.delivery import delivery
from pipeline.form import FormSpec

__all__ = ["WEAKNESSES", "RoundModel", "plant_weaknesses", "simulate_round", "status_choices"]

PLANT_SHARE = {
    "uneven_progress": 0.3,
    "weak_basics": 0.3,
    "unclear_theme": 0.3,
    "shallow_understanding": 0.3,
}
KEEP_WEAKNESS = 0.6  # a planted weakness persists into the next round with this probability
# an unplanted unit develops it in the next round (never lagging: done actions stay done)
NEW_WEAKNESS = {
    "uneven_progress": 0.0,
    "weak_basics": 0.06,
    "unclear_theme": 0.06,
    "shallow_understanding": 0.06,
}
TYPE_SHIFT = {"社区": 0.05, "街道": 0.02, "镇": 0.0, "村": -0.02, "区级部门": -0.07, "企业": -0.05}
PARTY_MEMBERS = {
    "街道": (60, 300),
    "社区": (20, 160),
    "镇": (150, 700),
    "村": (25, 120),
    "区级部门": (8, 90),
    "企业": (40, 900),
}
_DAY = np.timedelta64(1, "D")


def _d64(d: date) -> np.datetime64:
    return np.datetime64(d, "D")


def plant_weaknesses(
    roster: pd.DataFrame, n_rounds: int, rng: np.random.Generator
) -> list[pd.DataFrame]:
    """Per round: unit_id, `<w>_planted` (bool) and `<w>_severity` (0 when not planted)."""
    n = len(roster)
    out: list[pd.DataFrame] = []
    planted = {w: rng.random(n) < PLANT_SHARE[w] for w in WEAKNESSES}
    severity = {w: rng.uniform(0.5, 1.0, n) for w in WEAKNESSES}
    for r in range(n_rounds):
        if r > 0:
            for w in WEAKNESSES:
                keep = planted[w] & (rng.random(n) < KEEP_WEAKNESS)
                new = ~planted[w] & (rng.random(n) < NEW_WEAKNESS[w])
                severity[w] = np.where(
                    new,
                    rng.uniform(0.5, 1.0, n),
                    np.clip(severity[w] + rng.normal(0, 0.05, n), 0.5, 1.0),
                )
                planted[w] = keep | new
        frame = {"unit_id": roster["unit_id"].to_numpy()}
        for w in WEAKNESSES:
            frame[f"{w}_planted"] = planted[w].copy()
            frame[f"{w}_severity"] = np.where(planted[w], np.round(severity[w], 3), 0.0)
        out.append(pd.DataFrame(frame))
    return out


@dataclass(frozen=True)
class RoundModel:
    """One round of the district: truth, delivery, and the clean tables."""

    round: Round
    labels: pd.DataFrame  # unit_id, unit_type, expected, planted/severity per weakness
    delivery: pd.DataFrame  # unit_id, fate, late, resend, report_date, received_at
    tables: dict[
        str, pd.DataFrame
    ]  # info, actions, materials, activities, evaluation (unit_id + keys)
    state: dict  # the actions' done flags and dates, handed to the next round


def _names(rng: np.random.Generator, k: int) -> np.ndarray:
    s = np.array(list(pools.SURNAMES))[rng.integers(0, len(pools.SURNAMES), k)]
    g1 = np.array(list(pools.GIVEN))[rng.integers(0, len(pools.GIVEN), k)]
    g2 = np.array(list(pools.GIVEN))[rng.integers(0, len(pools.GIVEN), k)]
    two = rng.random(k) < 0.6
    return np.where(two, np.char.add(np.char.add(s, g1), g2), np.char.add(s, g1)).astype(object)


def _phones(rng: np.random.Generator, k: int) -> np.ndarray:
    kind = rng.random(k)
    land = rng.integers(2000000, 9999999, k).astype(str)
    mobile = rng.integers(100000000, 999999999, k).astype(str)
    out = np.where(
        kind < 0.6,
        np.char.add("0812-", land),
        np.where(kind < 0.85, np.char.add("13", mobile), np.char.add("0812", land)),
    )
    return out.astype(object)


# ---------------------------------------------------------------- tables


def _info(roster, rows, deliv, theme, note, rng, prev: dict | None = None) -> dict:
    k = len(rows)
    types = roster["unit_type"].to_numpy()[rows]
    lo = np.array([PARTY_MEMBERS[t][0] for t in types])
    hi = np.array([PARTY_MEMBERS[t][1] for t in types])
    u = rng.random(k)
    members = (lo + u * (hi - lo)).astype(int)
    if prev is not None and "members" in prev:
        # a party organisation's size drifts a little between rounds (±3 %), it does not jump
        members = np.maximum(np.round(prev["members"] * (0.97 + 0.06 * u)), 1).astype(int)
    note = note[rows].copy()
    note[note == ""] = None
    return {
        "_u": rows,
        "unit_id": Coded(rows, roster["unit_id"]),
        "unit_name": Coded(rows, roster["unit_name"]),
        "unit_type": Coded(rows, roster["unit_type"]),
        "secretary": _names(rng, k),
        "party_members": pd.array(members, dtype="Int64"),
        "report_date": deliv["report_date"].to_numpy()[rows],
        "theme": theme[rows],
        "theme_note": note,
        "contact": _names(rng, k),
        "phone": _phones(rng, k),
    }


def _actions(
    roster,
    rows,
    truth,
    deliv,
    form: FormSpec,
    start: date,
    rnd: Round,
    rng,
    prev: dict | None = None,
) -> tuple[dict, dict]:
    """The 规定动作 rows; `prev` (the previous round's state) keeps done actions done, on their
    dates."""
    k = len(rows)
    acts = form.actions
    a = len(acts)
    due = np.array([_d64(x.due_date(start)) for x in acts])
    is_due = due <= _d64(rnd.as_of)
    n_due = int(is_due.sum())
    types = roster["unit_type"].to_numpy()[rows]
    shift = np.array([TYPE_SHIFT[t] for t in types])
    up = truth["uneven_progress_planted"].to_numpy()[rows]
    up_s = truth["uneven_progress_severity"].to_numpy()[rows]
    share = np.where(
        up,
        np.clip(0.5 - 0.8 * (up_s - 0.5) + rng.normal(0, 0.04, k), 0.0, 0.5),
        np.clip(0.9 + shift + rng.normal(0, 0.05, k), 0.8, 1.0),
    )
    n_done = np.where(up, np.floor(share * n_due + 1e-9), np.ceil(share * n_due - 1e-9)).astype(int)
    rank = np.cumsum(is_due) - 1  # order among due actions (the spec lists them by due day)
    done = is_due[None, :] & (rank[None, :] < n_done[:, None])
    not_due_soon = (~is_due) & (due <= _d64(rnd.as_of) + 30 * _DAY)
    early = (~up)[:, None] & not_due_soon[None, :] & (rng.random((k, a)) < 0.08)
    done |= early
    prev_done = prev["done"] if prev is not None else np.zeros((k, a), dtype=bool)
    done |= prev_done  # an action done by the last round stays done
    u = rng.random((k, a))
    started = np.where(is_due[None, :], u < 0.6, u < np.where(up, 0.12, 0.35)[:, None])
    status_code = np.where(done, 0, np.where(started, 1, 2))
    report = deliv["report_date"].to_numpy()[rows].astype("datetime64[D]")
    start64 = _d64(start)
    dd = due[None, :] + rng.integers(-4, 9, (k, a)) * _DAY
    su = truth["shallow_understanding_planted"].to_numpy()[rows]
    su_s = truth["shallow_understanding_severity"].to_numpy()[rows]
    rush = su[:, None] & (rng.random((k, a)) < (0.5 + 0.8 * (su_s - 0.5))[:, None])
    rushed = report[:, None] - rng.integers(0, 7, (k, a)) * _DAY
    if prev is not None:
        # overdue at the last report and done since: dated between the two reports
        last = prev["report"][:, None]
        gap = np.maximum(((report[:, None] - last) // _DAY).astype(int), 1)
        catch_up = done & ~prev_done & (due[None, :] <= last)
        dd = np.where(catch_up, last + (1 + (rng.random((k, a)) * gap).astype(int)) * _DAY, dd)
    dd = np.where(rush, rushed, dd)
    dd = np.minimum(np.maximum(dd, start64), report[:, None])
    if prev is not None:
        dd = np.where(prev_done, prev["date"], dd)
    done_date = np.where(done, dd, np.datetime64("NaT"))
    n_ev = len(pools.EVIDENCE)
    ev = rng.integers(0, n_ev, (k, a))
    evidence = np.where(done, ev, np.where(status_code == 1, n_ev, n_ev + 1))
    notes = np.where(rng.random((k, a)) < 0.04, 0, 1)
    stages = tuple(dict.fromkeys(x.stage for x in acts))
    state = {"done": done, "date": np.where(done, dd, np.datetime64("NaT")), "report": report}
    return (
        {
            "_u": np.repeat(rows, a),
            "unit_id": Coded(np.repeat(rows, a), roster["unit_id"]),
            "seq": pd.array(np.tile(np.arange(1, a + 1), k), dtype="Int64"),
            "stage": Coded(np.tile(np.array([stages.index(x.stage) for x in acts]), k), stages),
            "action": Coded(np.tile(np.arange(a), k), tuple(x.name for x in acts)),
            "planned_date": np.tile(due, k).astype("datetime64[ms]"),
            "status": Coded(status_code.ravel(), status_choices(form)),
            "done_date": done_date.ravel().astype("datetime64[ms]"),
            "evidence": Coded(evidence.ravel(), (*pools.EVIDENCE, "正在推进", None)),
            "note": Coded(notes.ravel(), ("按计划推进", None)),
        },
        state,
    )


def status_choices(form: FormSpec) -> tuple[str, str, str]:
    """(done, in progress, not started) as the form spells them: 完成情况's choices in order."""
    choices = form.sheet("actions").column("status").choices
    return choices[0], choices[1], choices[2]


MISSING_WHEN_WEAK = ("工作规程", "群众意见台账", "整改台账")
CORE = ("工作规程", "活动方案", "会议记录", "学习记录", "党员台账")


def _rectified(
    previous: RoundModel | None, truth: pd.DataFrame, weakness: str
) -> np.ndarray | None:
    """Units whose weakness was planted last round and is gone now (they rectified it), or None."""
    if previous is None:
        return None
    before = previous.labels[f"{weakness}_planted"].to_numpy(bool)
    return before & ~truth[f"{weakness}_planted"].to_numpy(bool)


RECTIFIED_PRESENT = (
    0.99  # a unit that rectified weak basics keeps every required category (what it was told)
)


def _materials(
    roster,
    rows,
    truth,
    rnd: Round,
    cats: tuple[str, ...],
    rng,
    prev: dict | None = None,
    rectified: np.ndarray | None = None,
) -> tuple[dict, dict]:
    """The 基础资料 rows, and the state (present, copies) the next round keeps."""
    k = len(rows)
    c = len(cats)
    wb = truth["weak_basics_planted"].to_numpy()[rows]
    s = truth["weak_basics_severity"].to_numpy()[rows]
    core = np.array([x in CORE for x in cats])
    gone = np.array([x in MISSING_WHEN_WEAK for x in cats])
    p_present = np.where(core, 0.97, np.where(cats_is_other(cats), 0.3, 0.82))[None, :].repeat(k, 0)
    p_present = np.where(
        wb[:, None] & gone[None, :],
        0.12,
        np.where(wb[:, None], np.maximum(p_present, 0.85), p_present),
    )
    if rectified is not None:
        fixed = rectified[rows]
        p_present = np.where(
            fixed[:, None] & ~cats_is_other(cats)[None, :], RECTIFIED_PRESENT, p_present
        )
    present = rng.random((k, c)) < p_present
    present[:, cats.index("会议记录") if "会议记录" in cats else 0] = (
        True  # minutes are always kept
    )
    copies = np.where(wb[:, None], rng.integers(15, 61, (k, c)), rng.integers(1, 13, (k, c)))
    if prev is not None and "copies" in prev:
        # a kind of material kept in both rounds keeps its count, a few copies added
        # (counts do not jump)
        copies = np.where(prev["present"] & present, prev["copies"] + copies % 3, copies)
    p_yes = np.where(wb, 0.35 - 0.4 * (s - 0.5), 0.9)[:, None]
    standard = rng.random((k, c)) < p_yes
    filed = rng.random((k, c)) < p_yes
    tied = rng.random((k, c)) < p_yes
    as_of = _d64(rnd.as_of)
    stale = wb[:, None] & (rng.random((k, c)) < (0.4 + 1.2 * (s - 0.5))[:, None])
    updated = np.where(
        stale,
        as_of - rng.integers(75, 241, (k, c)) * _DAY,
        as_of - rng.integers(0, 46, (k, c)) * _DAY,
    )
    note = np.where(rng.random((k, c)) < 0.05, 0, 1)
    keep = present.ravel()
    return (
        {
            "_u": np.repeat(rows, c)[keep],
            "unit_id": Coded(np.repeat(rows, c)[keep], roster["unit_id"]),
            "category": Coded(np.tile(np.arange(c), k)[keep], cats),
            "copies": pd.array(copies.ravel()[keep], dtype="Int64"),
            "standard": pd.array(standard.ravel()[keep], dtype="boolean"),
            "filed": pd.array(filed.ravel()[keep], dtype="boolean"),
            "updated": updated.ravel()[keep].astype("datetime64[ms]"),
            "tied_to_work": pd.array(tied.ravel()[keep], dtype="boolean"),
            "note": Coded(note.ravel()[keep], ("已按要求整理", None)),
        },
        {"present": present, "copies": copies},
    )


def cats_is_other(cats: tuple[str, ...]) -> np.ndarray:
    return np.array([x == "其他" for x in cats])


def _activities(
    roster,
    rows,
    truth,
    deliv,
    rnd: Round,
    start: date,
    formats: tuple[str, ...],
    publicity: tuple[str, ...],
    rng,
) -> dict:
    k = len(rows)
    report = deliv["report_date"].to_numpy()[rows].astype("datetime64[D]")
    start64 = _d64(start)
    deadline = _d64(rnd.deadline)
    span = ((report - start64) // _DAY).astype(int) + 1
    count = np.clip(rng.poisson(span / 6.0) + 3, 5, 40)
    uidx = np.repeat(np.arange(k), count)
    m = len(uidx)
    su = truth["shallow_understanding_planted"].to_numpy()[rows]
    su_s = truth["shallow_understanding_severity"].to_numpy()[rows]
    wb = truth["weak_basics_planted"].to_numpy()[rows]
    wb_s = truth["weak_basics_severity"].to_numpy()[rows]
    # dates: spread over the campaign; shallow units cram them before the deadline
    window = rng.integers(14, 31, k)
    w_start = np.maximum(start64, deadline - window * _DAY)
    w_days = np.maximum(((report - w_start) // _DAY).astype(int) + 1, 1)
    in_window = su[uidx] & (rng.random(m) < (0.85 + 0.3 * (su_s[uidx] - 0.5)))
    # outside the window a shallow unit shows one burst (the kick-off), not a spread
    before = np.maximum(((w_start - start64) // _DAY).astype(int), 1)
    burst_len = np.minimum(before, 10)
    burst_at = (rng.random(k) * np.maximum(before - burst_len, 1)).astype(int)
    offs_spread = (rng.random(m) * span[uidx]).astype(int)
    offs_burst = burst_at[uidx] + (rng.random(m) * burst_len[uidx]).astype(int)
    d_spread = start64 + np.where(su[uidx], offs_burst, offs_spread) * _DAY
    d_window = w_start[uidx] + (rng.random(m) * w_days[uidx]).astype(int) * _DAY
    dates = np.where(in_window, d_window, d_spread)
    dates = np.minimum(dates, report[uidx])
    order = np.lexsort((dates, uidx))
    dates = dates[order]
    # formats: weak basics → one format; else varied
    main = np.array(
        [formats.index(x) for x in ("主题党日", "专题学习", "座谈会") if x in formats]
        or list(range(len(formats)))
    )
    unit_fmt = main[rng.integers(0, len(main), k)]
    varied = rng.choice(len(formats), size=m, p=_format_p(formats))
    single = wb[uidx] & ((wb_s[uidx] >= 0.65) | (rng.random(m) < 0.85))
    fmt_code = np.where(single, unit_fmt[uidx], varied)
    # publicity
    pubs = publicity  # the first choice is "none"
    weights = np.array([0.45, 0.37, 0.14, 0.04][: len(pubs)] + [0.04] * max(0, len(pubs) - 4))
    healthy_pub = rng.choice(len(pubs), size=m, p=weights / weights.sum())
    none_all = wb[uidx] & ((wb_s[uidx] >= 0.6) | (rng.random(m) < 0.9))
    pub_code = np.where(none_all, 0, healthy_pub)
    p_tied = np.where(su, 0.35 - 0.4 * (su_s - 0.5), 0.82)
    tied = rng.random(m) < p_tied[uidx]
    # names: a template filled with one of the unit's keywords and the format;
    # few distinct combinations, so compose each once
    kws = roster["keywords"].to_numpy()[rows]
    vocab = sorted({w for x in kws for w in x} | {"本职工作"})
    code_of = {w: i for i, w in enumerate(vocab)}
    pick = rng.integers(0, 3, k)
    kw_code = np.array(
        [
            code_of[x[j % len(x)]] if len(x) else code_of["本职工作"]
            for x, j in zip(kws, pick, strict=True)
        ],
        dtype=np.int64,
    )
    templates = pools.ACTIVITY_NAMES_TIED + pools.ACTIVITY_NAMES_PLAIN
    n_tied = len(pools.ACTIVITY_NAMES_TIED)
    t_idx = np.where(
        tied, rng.integers(0, n_tied, m), n_tied + rng.integers(0, len(templates) - n_tied, m)
    )
    v, f = len(vocab), len(formats)
    combo = (t_idx * v + kw_code[uidx]) * f + fmt_code
    uniq, inverse = np.unique(combo, return_inverse=True)
    names = compose(
        uniq // (v * f),
        templates,
        {
            "kw": np.array(vocab, dtype=object)[(uniq // f) % v],
            "fmt": np.array(formats, dtype=object)[uniq % f],
        },
    )
    return {
        "_u": rows[uidx],
        "unit_id": Coded(rows[uidx], roster["unit_id"]),
        "date": dates.astype("datetime64[ms]"),
        "name": Coded(inverse.ravel(), tuple(names)),
        "format": Coded(fmt_code, formats),
        "participants": pd.array(rng.integers(8, 61, m), dtype="Int64"),
        "tied_to_work": pd.array(tied, dtype="boolean"),
        "public_participation": pd.array(rng.random(m) < 0.5, dtype="boolean"),
        "publicity": Coded(pub_code, pubs),
    }


def _format_p(formats: tuple[str, ...]) -> np.ndarray:
    w = np.array([0.2 if f == "其他" else 1.0 for f in formats])
    return w / w.sum()


def _evaluation(roster, rows, rng) -> dict:
    k = len(rows)
    has = rng.random(k) < 0.85
    surveyed = rng.integers(2, 11, k) * 20
    dis = (rng.random(k) * 0.08 * surveyed).astype(int)
    basic = (rng.random(k) * 0.25 * surveyed).astype(int)
    sat = np.maximum(surveyed - basic - dis - rng.integers(0, 3, k), 0)
    r = rows[has]
    return {
        "_u": r,
        "unit_id": Coded(r, roster["unit_id"]),
        "surveyed": pd.array(surveyed[has], dtype="Int64"),
        "satisfied": pd.array(sat[has], dtype="Int64"),
        "basically_satisfied": pd.array(basic[has], dtype="Int64"),
        "dissatisfied": pd.array(dis[has], dtype="Int64"),
    }


def simulate_round(
    roster: pd.DataFrame,
    truth: pd.DataFrame,
    rnd: Round,
    theme_note: tuple[np.ndarray, np.ndarray],
    form: FormSpec,
    start: date,
    rng: np.random.Generator,
    force: bool = True,
    only_submitted: bool = False,
    previous: RoundModel | None = None,
    materialise: bool = True,
) -> RoundModel:
    """The clean content of every expected unit's return for one round (sent or not).

    The random draws are the same either way; `only_submitted` only keeps the
    rows of units whose return is accepted (cheaper for large districts), and
    `materialise=False` keeps no tables at all (a round needed only for the
    state it hands to the next one). `previous` carries actions already done.
    """
    deliv = delivery(roster, rnd, rng, force=force)
    rows = np.flatnonzero(roster["expected"].to_numpy(bool))
    theme, note = theme_note
    prev_state = previous.state if previous else None
    info = _info(roster, rows, deliv, theme, note, rng, prev_state)
    actions, state = _actions(roster, rows, truth, deliv, form, start, rnd, rng, prev_state)
    materials, kept = _materials(
        roster,
        rows,
        truth,
        rnd,
        form.sheet("materials").column("category").choices,
        rng,
        prev_state,
        _rectified(previous, truth, "weak_basics"),
    )
    state.update(members=np.asarray(info["party_members"], dtype=float), **kept)
    raw = {
        "info": info,
        "actions": actions,
        "materials": materials,
        "activities": _activities(
            roster,
            rows,
            truth,
            deliv,
            rnd,
            start,
            form.sheet("activities").column("format").choices,
            form.sheet("activities").column("publicity").choices,
            rng,
        ),
        "evaluation": _evaluation(roster, rows, rng),
    }
    submitted = deliv["submitted"].to_numpy(bool)
    tables = {}
    if materialise:
        tables = {
            k: frame(v, submitted[v["_u"]] if only_submitted else None) for k, v in raw.items()
        }
    labels = truth.copy()
    labels.insert(1, "unit_type", roster["unit_type"].to_numpy())
    labels.insert(2, "expected", roster["expected"].to_numpy(bool))
    return RoundModel(rnd, labels, deliv, tables, state)
