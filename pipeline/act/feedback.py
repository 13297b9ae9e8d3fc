"""The 整改清单 sheet of each scored unit's feedback workbook (rows built here, written by
`pipeline.ingest.feedback.write_feedback(extra_sheets=...)`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.config import WEAKNESS_LABELS, Campaign

OFFICE = Campaign.model_fields["office"].default  # the config model holds the default

HEADERS = [
    "序号",
    "问题类别",
    "整改事项",
    "具体要求",
    "本轮情况",
    "整改状态",
    "复查情况",
    "首次指出",
    "整改时限",
]
WIDTHS = [6, 12, 20, 44, 40, 10, 56, 10, 12]
ORDER = {"not_fixed": 0, "partly_fixed": 1, "not_checkable": 2, "new": 3, "fixed": 4}


def _date(x: Any) -> str:
    """A due date as 2026年8月1日 (a cell: Timestamp, date, string, NaT, NaN or None)."""
    t = pd.Timestamp(x) if x is not None and not pd.isna(x) else None
    return f"{t.year}年{t.month}月{t.day}日" if t is not None else ""


def rectification_sheets(
    rect: pd.DataFrame, scored_ids: list[str], round_name: str = "", office: str = OFFICE
) -> dict[str, list[tuple]]:
    """unit_id → [(sheet, title, note, headers, rows, widths)] for every scored unit (an empty
    list is said so)."""
    out: dict[str, list[tuple]] = {}
    by_unit: dict[str, list[list[object]]] = {}
    names: dict[str, str] = {}
    dues: dict[str, str] = {}
    if len(rect):
        # one sort and one pass over the whole table (per-unit frames cost 5 s at 2,000 units);
        # the stable sort keeps each unit's rows in the order a per-unit sort would give
        items = rect.assign(
            _u=rect["unit_id"].astype(str),
            _o=rect["status"].map(ORDER).fillna(9),
            _due=[_date(d) for d in rect["due_date"]],
        ).sort_values(["_u", "_o", "weakness", "item_key"], kind="stable")
        cols = [
            "_u",
            "unit_name",
            "weakness",
            "item_label",
            "instruction",
            "evidence",
            "status_label",
            "status_evidence",
            "opened_round",
            "_due",
        ]
        for u, name, w, label, instr, ev, st, st_ev, opened, due in items[cols].itertuples(
            index=False, name=None
        ):
            rows = by_unit.setdefault(u, [])
            if not rows:
                names[u], dues[u] = str(name), due
            rows.append(
                [
                    len(rows) + 1,
                    WEAKNESS_LABELS.get(str(w), str(w)),
                    label,
                    instr,
                    ev,
                    st,
                    st_ev,
                    opened,
                    due,
                ]
            )
    for uid in scored_ids:
        rows = by_unit.get(str(uid), [])
        name = names.get(str(uid), "")
        due = dues.get(str(uid), "")
        open_n = sum(1 for r in rows if r[5] not in ("已整改",))
        note = (
            (
                f"本轮需整改 {open_n} 项（已整改 {len(rows) - open_n} 项），请于{due}前整改到位，"
                f"下一轮报表将按同一标准逐项复查。如有疑问请联系{office}。"
            )
            if rows
            else "本轮未发现需要整改的事项，请继续保持。"
        )
        out[str(uid)] = [
            ("整改清单", f"{name} {round_name}整改清单".strip(), note, HEADERS, rows, WIDTHS)
        ]
    return out
