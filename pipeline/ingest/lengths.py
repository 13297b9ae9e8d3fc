"""Cell length limits: a text longer than its column allows is cut, with a finding.

Two limits. Every cell of a sheet read is cut at read time to
`[ingest] max_cell_chars` (Excel's own limit is 32,767; a crafted file may hold
more), so finding the table's header never works on megabytes. Each cell of a
form column is then cut to the column's `max_chars` from the form spec (by its
kind: a name, a theme, a note...), before cleaning, so every later step (the
theme similarity, the tables, the reports) costs time linear in the text it
keeps. Each cut is a warning finding naming the cell, its length and the limit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import chain

from pipeline.form import Sheet
from pipeline.ingest.clean import clean_text
from pipeline.ingest.sheets import Layout

PREVIEW = 30  # characters of the cut text kept in the finding's value


def cut_grid(rows: list[list[object]], limit: int) -> dict[tuple[int, int], int]:
    """Cut every text cell to `limit` characters (in place); {(row, col): original length}."""
    cut: dict[tuple[int, int], int] = {}
    if limit <= 0:
        return cut
    is_text: Callable[[object], bool] = str.__instancecheck__
    texts: Iterable[str] = filter(is_text, chain.from_iterable(rows))  # type: ignore[arg-type]
    if max(map(len, texts), default=0) <= limit:
        return cut  # most sheets: nothing to cut (checked without a Python loop)
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if isinstance(v, str) and len(v) > limit:
                cut[(r, c)] = len(v)
                row[c] = v[:limit]
    return cut


def cut_layout(
    ctx, sheet_name: str, spec: Sheet, layout: Layout, grid_cut: dict[tuple[int, int], int]
) -> list[dict]:
    """Cut each form cell to its column's `max_chars` (in place); one finding per cut cell."""
    from pipeline.ingest.validate import finding

    findings: list[dict] = []
    limit = {c.key: c.max_chars for c in spec.columns}
    header = {c.key: c.header for c in spec.columns}
    text_keys = {c.key for c in spec.columns if c.type == "text"}
    for raw in layout.rows:
        for key, (value, ci) in list(raw.cells.items()):
            if key not in limit or value is None:
                continue
            if not grid_cut and type(value) is str and len(value) <= limit[key]:
                continue  # within the limit, and not cut when read: nothing to say
            if not isinstance(value, str):
                if key not in text_keys:
                    continue
                value = clean_text(value).value  # a number in a text column becomes its digits
                if not isinstance(value, str) or len(value) <= limit[key]:
                    continue
            original = grid_cut.get((raw.row, ci), len(value))
            if original <= limit[key]:
                continue
            raw.cells[key] = (value[: limit[key]], ci)
            findings.append(
                finding(
                    ctx,
                    sheet_name,
                    "text_too_long",
                    f"“{header[key]}”内容过长（{original} 字，上限 {limit[key]} 字），只保留前 "
                    f"{limit[key]} 字；"
                    "请精简后重新报送",
                    row=raw.row,
                    col=ci,
                    column=key,
                    value=value[:PREVIEW] + "…",
                    severity="warning",
                )
            )
    return findings
