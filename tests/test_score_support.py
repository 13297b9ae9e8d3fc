"""Synthetic clean tables for the scoring tests (no demo generator needed).

`synth_tables(n, seed)` builds the processed tables of one round with planted
weaknesses and returns (tables, labels). Only test code reads the labels.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config import WEAKNESSES, load_config
from pipeline.form import load_form

REPO = Path(__file__).resolve().parents[1]
ROUND = "2026-07"

GOOD_THEMES = [
    "聚焦{kw}，年内完成{n}户{kw2}任务",
    "以{kw}为抓手，{y}年底前{kw2}提升{n}%",
    "围绕{kw}办好{n}件实事，推动{kw2}落地见效",
    "{place}{kw}攻坚行动：年内解决{n}件群众急事难事",
]
BAD_THEMES = [
    "坚持党建引领，推动高质量发展",
    "凝心聚力谱新篇",
    "创先争优 服务人民群众",
    "加强基层组织建设，促进社会和谐",
    "立足本职创先争优",
]
KW = [
    "加装电梯",
    "网格治理",
    "集体经济",
    "乡村振兴",
    "司法公正",
    "营商环境",
    "安全生产",
    "物业管理",
    "征地拆迁",
    "农民增收",
    "信访化解",
    "城乡统筹",
]
TYPES = ["社区", "村", "区级部门", "企业", "街道"]
PLACES = "东南西北青龙凤凰太平红旗新华光明金沙格里大水苦荞新庄玉泉清河"


def config():
    return load_config(REPO / "scorecard.toml")


def synth_tables(
    n: int = 80, seed: int = 0, p_weak: float = 0.3
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    rng = np.random.default_rng(seed)
    cfg = config()
    rnd = cfg.round(ROUND)
    form = load_form(1)
    start, insp, as_of = cfg.campaign.start, rnd.inspection, rnd.as_of
    cats = [c for c in form.sheet("materials").column("category").choices if c != "其他"]
    fmts = [c for c in form.sheet("activities").column("format").choices if c != "其他"]
    ids = [f"U{i:05d}" for i in range(n)]
    types = rng.choice(TYPES, size=n, p=[0.4, 0.25, 0.2, 0.1, 0.05])
    planted = rng.random((n, 4)) < p_weak
    labels = pd.DataFrame(
        {"unit_id": ids, **{f"{k}_planted": planted[:, j] for j, k in enumerate(WEAKNESSES)}}
    )
    units, info, actions, materials, activities = [], [], [], [], []
    for i, uid in enumerate(ids):
        kws = list(rng.choice(KW, size=3, replace=False))
        place = "".join(rng.choice(list(PLACES), size=2))
        units.append(
            {
                "unit_id": uid,
                "unit_name": f"{place}{types[i]}{i}",
                "aliases": [],
                "unit_type": types[i],
                "parent_id": None,
                "keywords": kws,
                "expected": True,
                "submitted": True,
            }
        )
        up, wb, ut, su = planted[i]
        if ut:
            theme = BAD_THEMES[rng.integers(len(BAD_THEMES))]
        else:
            theme = GOOD_THEMES[rng.integers(len(GOOD_THEMES))].format(
                kw=kws[0], kw2=kws[1], n=int(rng.integers(5, 300)), y=2026, place=place
            )
        info.append(
            {"unit_id": uid, "file": f"{uid}.xlsx", "sheet": "基本情况", "row": 3, "theme": theme}
        )
        p_done = rng.uniform(0.05, 0.45) if up else rng.uniform(0.8, 1.0)
        for seq, a in enumerate(form.actions, 1):
            dd = a.due_date(start)
            if dd > as_of:
                status, ddone = "未开始", None
            elif rng.random() < p_done:
                status = "已完成"
                ddone = (
                    (insp - timedelta(days=int(rng.integers(1, 6))))
                    if su and rng.random() < 0.7
                    else min(as_of, dd + timedelta(days=int(rng.integers(-5, 5))))
                )
            else:
                status, ddone = ("进行中" if rng.random() < 0.5 else "未开始"), None
            actions.append(
                {
                    "unit_id": uid,
                    "file": f"{uid}.xlsx",
                    "sheet": "规定动作",
                    "row": seq + 1,
                    "seq": seq,
                    "action": a.name,
                    "status": status,
                    "done_date": ddone,
                }
            )
        ncat = int(rng.integers(4, 7)) if wb else int(rng.integers(7, 10))
        for c in rng.choice(cats, size=ncat, replace=False):
            good = rng.random() < (0.3 if wb else 0.9)
            materials.append(
                {
                    "unit_id": uid,
                    "file": f"{uid}.xlsx",
                    "sheet": "基础资料",
                    "row": 2,
                    "category": c,
                    "copies": int(rng.integers(5, 30) if wb else rng.integers(1, 6)),
                    "standard": good,
                    "filed": good or rng.random() < 0.5,
                    "updated": as_of - timedelta(days=int(rng.integers(1, 40 if good else 150))),
                    "tied_to_work": good,
                }
            )
        nact = int(rng.integers(3, 20))
        for k in range(nact):
            if su and rng.random() < 0.8:
                d = insp - timedelta(days=int(rng.integers(0, 25)))
            else:
                d = start + timedelta(days=int(rng.integers(0, (as_of - start).days + 1)))
            d = min(d, as_of)
            fmt = fmts[0] if wb and rng.random() < 0.8 else fmts[int(rng.integers(len(fmts)))]
            activities.append(
                {
                    "unit_id": uid,
                    "file": f"{uid}.xlsx",
                    "sheet": "活动记录",
                    "row": k + 2,
                    "date": d,
                    "name": "活动",
                    "format": fmt,
                    "participants": 10,
                    "tied_to_work": bool(rng.random() < (0.2 if su else 0.8)),
                    "public_participation": bool(rng.random() < 0.5),
                    "publicity": "无"
                    if (wb and rng.random() < 0.9) or rng.random() < 0.3
                    else "区级",
                }
            )
    # two units did not report
    units[-1]["submitted"] = False
    units[-2]["submitted"] = False

    def frame(rows, dates=()):
        df = pd.DataFrame(rows)
        for c in dates:
            df[c] = pd.to_datetime(df[c]).astype("datetime64[ms]")
        return df

    tables = {
        "units": frame(units),
        "info": frame(info),
        "actions": frame(actions, ["done_date"]),
        "materials": frame(materials, ["updated"]),
        "activities": frame(activities, ["date"]),
        "evaluation": pd.DataFrame({"unit_id": pd.Series(dtype="string")}),
    }
    for c in ("unit_id", "unit_name", "unit_type", "parent_id"):
        tables["units"][c] = tables["units"][c].astype("string")
    return tables, labels


def test_synth_tables_shape():
    tables, labels = synth_tables(20, 1)
    assert len(tables["units"]) == 20 and len(labels) == 20
    assert date(2026, 5, 1) <= tables["activities"]["date"].min().date()
