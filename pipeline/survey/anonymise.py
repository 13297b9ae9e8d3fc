"""Free-text comments: counts always, anonymised excerpts only where enabled.

`anonymise` masks what identifies a person in a comment: phone and ID
numbers (any run of 5+ digits), e-mail addresses, names after 我叫/我是/姓名/
联系人/本人, and a surname before 先生/女士/阿姨/大爷/大妈/师傅/老师. It is a
best effort: excerpts are off by default (`[survey] excerpts = false`).
"""

from __future__ import annotations

import re

import pandas as pd

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[邮箱]"),
    (re.compile(r"\+?\d[\d\s-]{3,}\d"), "[号码]"),
    (re.compile(r"(我叫|我是|姓名[:：]?|联系人[:：]?|本人)\s*[\u4e00-\u9fff]{2,3}"), r"\1某某"),
    (re.compile(r"[\u4e00-\u9fff](?=(先生|女士|阿姨|大爷|大妈|师傅|老师))"), "某"),
)


def anonymise(text: str, limit: int = 40) -> str:
    out = str(text)
    for pattern, repl in _RULES:
        out = pattern.sub(repl, out)
    out = re.sub(r"\s+", " ", out).strip()
    return out if len(out) <= limit else out[: limit - 1] + "…"


def excerpts_table(comments: pd.DataFrame, limit: int = 40, per_unit: int = 3) -> pd.DataFrame:
    """unit_id, excerpt: at most `per_unit` anonymised excerpts per unit, in file order."""
    if comments.empty or per_unit == 0:
        return pd.DataFrame(
            {"unit_id": pd.Series(dtype="string"), "excerpt": pd.Series(dtype="string")}
        )
    c = comments.groupby("unit_id", sort=True).head(per_unit)
    return (
        pd.DataFrame(
            {
                "unit_id": c["unit_id"].astype("string"),
                "excerpt": [anonymise(t, limit) for t in c["text"]],
            }
        )
        .astype("string")
        .reset_index(drop=True)
    )
