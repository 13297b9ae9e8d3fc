"""One table of the words a reader sees: severities, concepts, time zone, number formats.

Pages, workbooks and the CLI take their labels from here so that one thing
has one Chinese name everywhere (the `ingest` engineer's `pipeline/codes.py`
is to become the registry of finding codes; until it lands, the severity
labels of the display side live here). Also: numbers without a negative
zero, shares shown as percentages, and times in Beijing time, said so.
"""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd

from pipeline.codes import Severity

LOCAL_TZ = "Asia/Shanghai"
TZ_LABEL = "北京时间"

SEVERITY_LABELS: dict[str, str] = {m.value: m.label for m in Severity}  # the one registry
"""One term per severity, on pages, in workbooks and in the CLI."""
SEVERITY_HINTS: dict[str, str] = {"error": "须修改", "warning": "请核实"}

FINDINGS_TERM = "填报差错"
"""Data-entry problems found in a return. Never "问题清单": in the department's
usage that means the 党建 problems units must rectify."""
FINDINGS_SHEET = "填报差错"

GLOSSARY: dict[str, str] = {
    "泰尔指数": "泰尔指数衡量各单位进度差距的大小，0表示完全均衡，数值越大差距越大，"
    "并可分解为“类型之间”和“类型内部”两部分",
    "稳健z值": "稳健z值表示本单位与同类单位中位数相差几个“典型离差”（用中位数绝对偏差计算，"
    "不受个别极端值影响），低于-3.5即明显落后",
    "排名区间": "排名区间是权重在合理范围内变动时名次的5%–95%范围，区间宽说明名次不稳定",
}


def num(x: object, digits: int = 1) -> str:
    """A number with `digits` decimals, never "-0.0"; "—" when missing."""
    if x is None or x is pd.NA:
        return "—"
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(v):
        return "—"
    text = f"{v:.{digits}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text


def signed(x: object, digits: int = 1) -> str:
    """A change with its sign: +1.5, -2.0, 0.0 (never -0.0 or +0.0)."""
    text = num(x, digits)
    if text == "—" or float(text) == 0:
        return text
    return text if text.startswith("-") else f"+{text}"


def pct(share: object, digits: int = 0) -> str:
    """A share 0–1 as a percentage: 0.86 → "86%"."""
    if share is None or share is pd.NA or (isinstance(share, float) and math.isnan(share)):
        return "—"
    return f"{num(100 * float(share), digits)}%"  # type: ignore[arg-type]


def local_now() -> str:
    """Now, in Beijing time, with the zone named: "2026-08-25 14:03（北京时间）"."""
    return f"{datetime.now(ZoneInfo(LOCAL_TZ)):%Y-%m-%d %H:%M}（{TZ_LABEL}）"


def local_times(ts: pd.Series) -> pd.Series:
    """Timestamps (naive = UTC) as Beijing-time text."""
    t = pd.to_datetime(ts, errors="coerce", utc=True)
    return t.dt.tz_convert(LOCAL_TZ).dt.strftime("%Y-%m-%d %H:%M")
