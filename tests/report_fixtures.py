"""A small fabricated district for report tests: every processed table, per docs/data-dictionary.md.

`make_district(root, n_units=8, evil=True)` writes `root/scorecard.toml`, a
processed folder with both rounds' tables and returns the loaded Config.
With `evil=True` some unit-written text is hostile (HTML, formulas) so the
escaping tests have something to bite on.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config import WEAKNESSES, load_config
from pipeline.tables import write_tables

EVIL_NAME = "<script>alert(1)</script>"
FORMULA_NAME = '=HYPERLINK("http://evil.example/","点我")'

TYPES = ("街道", "社区", "村", "区级部门")

TOML = """
[paths]
roster = "data/roster.xlsx"
raw = "data/raw"
processed = "data/processed"
reports = "reports"

[campaign]
name = "创先争优活动"
start = 2026-05-01

[[campaign.stages]]
id = "第二阶段"
title = "全面推进"
start = 2026-05-01
end = 2026-10-31

[[rounds]]
id = "2026-07"
name = "7月调研"
stage = "第二阶段"
as_of = 2026-07-15
deadline = 2026-07-18
inspection = 2026-07-19

[[rounds]]
id = "2026-08"
name = "8月检查"
stage = "第二阶段"
as_of = 2026-08-25
deadline = 2026-08-28
inspection = 2026-08-31

[report]
jobs = 2
cell_timeout_seconds = 120
"""


def _s(values) -> pd.Series:
    return pd.Series(values, dtype="string")


def unit_names(n: int, evil: bool, types: tuple[str, ...] = TYPES) -> list[str]:
    names = [f"{types[i % len(types)]}单位{i + 1:02d}" for i in range(n)]
    if evil and n >= 3:
        names[1] = EVIL_NAME
        names[2] = FORMULA_NAME
    return names


def round_tables(
    n_units: int,
    round_id: str,
    deadline: date,
    seed: int,
    evil: bool,
    previous: str | None,
    types: tuple[str, ...] = TYPES,
) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = [f"U{i + 1:03d}" for i in range(n_units)]
    names = unit_names(n_units, evil, types)
    types = [types[i % len(types)] for i in range(n_units)]
    missing = {ids[-1]}
    late = {ids[-2]} if n_units > 3 else set()
    submitted = [u not in missing for u in ids]
    received = [
        pd.Timestamp(deadline, tz="UTC") + pd.Timedelta(days=2 if u in late else -1)
        if s
        else pd.NaT
        for u, s in zip(ids, submitted, strict=True)
    ]
    reporting = ["missing" if u in missing else "late" if u in late else "on_time" for u in ids]
    files = [f"{n}.xlsx" if s else None for n, s in zip(names, submitted, strict=True)]
    units = pd.DataFrame(
        {
            "unit_id": _s(ids),
            "unit_name": _s(names),
            "aliases": [[] for _ in ids],
            "unit_type": _s(types),
            "parent_id": _s([None] * n_units),
            "keywords": [["党建"] for _ in ids],
            "expected": [True] * n_units,
            "submitted": submitted,
            "file": _s(files),
            "report_date": pd.Series(
                [pd.Timestamp(deadline) if s else pd.NaT for s in submitted], dtype="datetime64[ms]"
            ),
            "received_at": pd.Series(received, dtype="datetime64[ms, UTC]"),
            "on_time": pd.Series(
                [None if u in missing else u not in late for u in ids], dtype="boolean"
            ),
            "reporting": _s(reporting),
        }
    )
    comp_rows = []
    for level, key in (("district", None), ("unit_type", "unit_type")):
        groups = [("全区", units)] if key is None else list(units.groupby(key))
        for g, sub in groups:
            exp = len(sub)
            rec = int(sub["submitted"].sum())
            ot = int((sub["reporting"] == "on_time").sum())
            comp_rows.append(
                {
                    "level": level,
                    "group": g,
                    "group_name": g,
                    "expected": exp,
                    "received": rec,
                    "on_time": ot,
                    "late": rec - ot,
                    "missing": exp - rec,
                    "reporting_rate": rec / exp * 100,
                    "on_time_rate": ot / exp * 100,
                }
            )
    completeness = pd.DataFrame(comp_rows).astype(
        {
            "level": "string",
            "group": "string",
            "group_name": "string",
            "expected": "Int64",
            "received": "Int64",
            "on_time": "Int64",
            "late": "Int64",
            "missing": "Int64",
            "reporting_rate": "Float64",
            "on_time_rate": "Float64",
        }
    )
    sub_ids = [u for u, s in zip(ids, submitted, strict=True) if s]
    submissions = pd.DataFrame(
        {
            "file": _s([f for f in files if f]),
            "sha256": _s(["0" * 64] * len(sub_ids)),
            "size": pd.array([1000] * len(sub_ids), dtype="Int64"),
            "unit_id": _s(sub_ids),
            "written_name": _s([n for n, s in zip(names, submitted, strict=True) if s]),
            "status": _s(["accepted"] * len(sub_ids)),
            "reason": _s(["ok"] * len(sub_ids)),
            "message": _s(["已接收"] * len(sub_ids)),
            "report_date": pd.Series(
                [pd.Timestamp(deadline)] * len(sub_ids), dtype="datetime64[ms]"
            ),
            "received_at": pd.Series(
                [r for r in received if r is not pd.NaT], dtype="datetime64[ms, UTC]"
            ),
            "on_time": pd.Series([u not in late for u in sub_ids], dtype="boolean"),
            "superseded_by": _s([None] * len(sub_ids)),
        }
    )
    findings = pd.DataFrame(
        {
            "file": _s([files[0], files[1] or "x.xlsx", files[2] or "y.xlsx"]),
            "sheet": _s(["规定动作", "活动记录", "基本情况"]),
            "cell": _s(["F5", "A7", "B3"]),
            "row": pd.array([5, 7, 3], dtype="Int64"),
            "column": _s(["完成日期", "日期", "活动主题"]),
            "unit_id": _s(ids[:3]),
            "severity": _s(["error", "warning", "warning"]),
            "code": _s(["done_without_date", "bad_date", "required_missing"]),
            "message": _s(
                ["已完成的规定动作缺少完成日期", "日期无法识别：=1+1", "-请填写活动主题"]
            ),
            "value": _s([None, "=1+1", "@SUM(A1)"]),
            "row_rejected": [False, True, False],
        }
    )
    act_rows = []
    for u in sub_ids:
        for _ in range(int(rng.integers(3, 9))):
            act_rows.append(
                {
                    "unit_id": u,
                    "file": "f.xlsx",
                    "sheet": "活动记录",
                    "row": 5,
                    "date": pd.Timestamp(deadline) - pd.Timedelta(days=int(rng.integers(0, 80))),
                    "name": "主题党日<b>活动</b>",
                    "format": "主题党日",
                    "participants": int(rng.integers(5, 60)),
                    "tied_to_work": True,
                    "public_participation": bool(rng.integers(0, 2)),
                    "publicity": "区级",
                }
            )
    activities = pd.DataFrame(act_rows).astype(
        {
            "unit_id": "string",
            "file": "string",
            "sheet": "string",
            "row": "Int64",
            "date": "datetime64[ms]",
            "name": "string",
            "format": "string",
            "participants": "Int64",
            "tied_to_work": "boolean",
            "public_participation": "boolean",
            "publicity": "string",
        }
    )
    themes = [
        "坚持党建引领推动高质量发展" if i % 3 == 0 else f"@主题{i}：服务群众"
        for i in range(len(sub_ids))
    ]
    info = pd.DataFrame(
        {
            "unit_id": _s(sub_ids),
            "file": _s([f for f in files if f]),
            "sheet": _s(["基本情况"] * len(sub_ids)),
            "row": pd.array([3] * len(sub_ids), dtype="Int64"),
            "unit_name": _s([n for n, s in zip(names, submitted, strict=True) if s]),
            "unit_type": _s([t for t, s in zip(types, submitted, strict=True) if s]),
            "secretary": _s(["张三"] * len(sub_ids)),
            "party_members": pd.array([30] * len(sub_ids), dtype="Int64"),
            "report_date": pd.Series(
                [pd.Timestamp(deadline)] * len(sub_ids), dtype="datetime64[ms]"
            ),
            "theme": _s(themes),
            "theme_note": _s([""] * len(sub_ids)),
            "contact": _s(["李四"] * len(sub_ids)),
            "phone": _s(["0812000000"] * len(sub_ids)),
        }
    )
    actions = pd.DataFrame(
        {
            "unit_id": _s(sub_ids),
            "file": _s(["f.xlsx"] * len(sub_ids)),
            "sheet": _s(["规定动作"] * len(sub_ids)),
            "row": pd.array([5] * len(sub_ids), dtype="Int64"),
            "seq": pd.array([1] * len(sub_ids), dtype="Int64"),
            "stage": _s(["第一阶段"] * len(sub_ids)),
            "action": _s(["成立活动领导小组"] * len(sub_ids)),
            "planned_date": pd.Series(
                [pd.Timestamp("2026-05-10")] * len(sub_ids), dtype="datetime64[ms]"
            ),
            "status": _s(["已完成"] * len(sub_ids)),
            "done_date": pd.Series(
                [pd.Timestamp("2026-05-09")] * len(sub_ids), dtype="datetime64[ms]"
            ),
            "evidence": _s(["会议纪要"] * len(sub_ids)),
            "note": _s([""] * len(sub_ids)),
        }
    )
    # scores
    scored = submitted
    w = rng.uniform(10, 90, size=(n_units, 4))
    overall = 100 - w.mean(axis=1)
    sc = pd.DataFrame(
        {
            "unit_id": _s(ids),
            "unit_name": _s(names),
            "unit_type": _s(types),
            "parent_id": _s([None] * n_units),
            "scored": scored,
            "unscored_reason": _s([None if s else "未报送" for s in scored]),
        }
    )
    for j, key in enumerate(WEAKNESSES):
        sc[key] = pd.array(
            [w[i, j] if scored[i] else None for i in range(n_units)], dtype="Float64"
        )
    sc["overall"] = pd.array(
        [overall[i] if scored[i] else None for i in range(n_units)], dtype="Float64"
    )
    order = sc["overall"].rank(ascending=False, method="first")
    sc["rank"] = order.astype("Int64")
    sc["rank_in_type"] = (
        sc.groupby("unit_type")["overall"].rank(ascending=False, method="first").astype("Int64")
    )
    sc["rank_median"] = order.astype("Float64")
    sc["rank_p05"] = (order - 1).clip(lower=1).astype("Float64")
    sc["rank_p95"] = (order + 2).clip(upper=sum(scored)).astype("Float64")
    sc["rank_unstable"] = [bool(i % 4 == 0) for i in range(n_units)]
    flags = [
        ",".join(k for j, k in enumerate(WEAKNESSES) if scored[i] and w[i, j] >= 50)
        for i in range(n_units)
    ]
    sc["flags"] = _s(flags)
    sc["n_flags"] = pd.array([len([f for f in x.split(",") if f]) for x in flags], dtype="Int64")
    indicators = pd.DataFrame(
        {
            "unit_id": _s(sub_ids),
            "progress_share": pd.array(rng.uniform(0.2, 1, len(sub_ids)), dtype="Float64"),
        }
    )
    ex_rows = []
    for u in sub_ids:
        for key in WEAKNESSES:
            ex_rows.append(
                {
                    "unit_id": u,
                    "weakness": key,
                    "order": 1,
                    "text": f"应完成规定动作12项，已完成5项，低于同类单位中位数9项（{key}）",
                }
            )
    explanations = pd.DataFrame(ex_rows).astype(
        {"unit_id": "string", "weakness": "string", "order": "Int64", "text": "string"}
    )
    inequality = pd.DataFrame(
        {
            "level": _s(["district"]),
            "group": _s(["全区"]),
            "group_name": _s(["全区"]),
            "n": pd.array([len(sub_ids)], dtype="Int64"),
            "mean_progress": pd.array([0.62], dtype="Float64"),
            "theil": pd.array([0.08], dtype="Float64"),
            "between": pd.array([0.02], dtype="Float64"),
            "within": pd.array([0.06], dtype="Float64"),
            "gini": pd.array([0.21], dtype="Float64"),
        }
    )
    copy_ids = [u for u, t in zip(sub_ids, themes, strict=True) if t.startswith("坚持")]
    theme_clusters = pd.DataFrame(
        {
            "cluster_id": pd.array([1] * len(copy_ids), dtype="Int64"),
            "unit_id": _s(copy_ids),
            "theme": _s(["坚持党建引领推动高质量发展"] * len(copy_ids)),
            "size": pd.array([len(copy_ids)] * len(copy_ids), dtype="Int64"),
        }
    )
    if previous:
        ch = pd.DataFrame({"unit_id": _s(sub_ids), "previous_round": _s([previous] * len(sub_ids))})
        for key in (*WEAKNESSES, "overall"):
            ch[f"{key}_change"] = pd.array(rng.normal(0, 8, len(sub_ids)), dtype="Float64")
        ch["rank_change"] = pd.array(rng.integers(-3, 4, len(sub_ids)), dtype="Int64")
        ch["still_flagged"] = _s(["weak_basics" if i % 3 == 0 else "" for i in range(len(sub_ids))])
    else:
        ch = pd.DataFrame({"unit_id": _s([]), "previous_round": _s([])})
    notice_ids = sc[sc["n_flags"] >= 2]
    notice = pd.DataFrame(
        {
            "unit_id": _s(notice_ids["unit_id"]),
            "unit_name": _s(notice_ids["unit_name"]),
            "unit_type": _s(notice_ids["unit_type"]),
            "reason": _s(["两项及以上不足达到预警线"] * len(notice_ids)),
        }
    )
    empty = {t: pd.DataFrame({"unit_id": _s([])}) for t in ("materials", "evaluation")}
    return {
        "submissions": submissions,
        "units": units,
        "completeness": completeness,
        "findings": findings,
        "info": info,
        "actions": actions,
        "activities": activities,
        **empty,
        "scores": sc,
        "indicators": indicators,
        "explanations": explanations,
        "inequality": inequality,
        "theme_clusters": theme_clusters,
        "changes": ch,
        "notice": notice,
    }


def make_district(root: Path, n_units: int = 8, evil: bool = True, types: tuple[str, ...] = TYPES):
    """Write scorecard.toml + processed tables for both rounds under `root`; return the Config."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / "scorecard.toml").write_text(TOML, encoding="utf-8")
    config = load_config(root / "scorecard.toml")
    previous = None
    for i, r in enumerate(config.rounds_in_order()):
        tables = round_tables(
            n_units, r.id, r.deadline, seed=i, evil=evil, previous=previous, types=types
        )
        write_tables(tables, config.paths.processed_round(r.id))
        previous = r.id
    return config
