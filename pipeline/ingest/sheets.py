"""From a cell grid to raw records: find sheets, header rows and key-value layouts.

No typing of values here (that is `clean`), no rules (that is `validate`):
only where each value sits. A raw record is `RawRow(row, cells)` with the
0-based grid row and `cells[key] = (value, column index)`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import islice

from pipeline.form import FormSpec, Sheet
from pipeline.ingest.clean import (
    header_hits,
    is_blank,
    map_headers,
    normalise_header,
    normalise_headers,
)
from pipeline.roster import normalise_text

HEADER_SCAN_ROWS = 30


@dataclass
class RawRow:
    row: int  # 0-based grid row (Excel row - 1)
    cells: dict[str, tuple[object, int]]


@dataclass
class Layout:
    """Where a sheet's data sits."""

    header_row: int | None  # 0-based; None for key-value sheets
    columns: dict[int, str]  # column index -> key (table sheets)
    missing: list[str] = field(default_factory=list)  # spec keys not found
    rows: list[RawRow] = field(default_factory=list)


def sheet_key(name: str) -> str:
    return normalise_text(name)


def match_sheets(names: Sequence[str], form: FormSpec) -> dict[str, str]:
    """Spec sheet name -> workbook sheet name, by normalised name (then containment)."""
    out: dict[str, str] = {}
    keys = {n: sheet_key(n) for n in names}
    for spec in form.data_sheets:
        want = sheet_key(spec.name)
        exact = [n for n, k in keys.items() if k == want]
        if exact:
            out[spec.name] = exact[0]
            continue
        near = [n for n, k in keys.items() if want in k and n not in out.values()]
        if len(near) == 1:
            out[spec.name] = near[0]
    return out


_FOOTER = re.compile(
    r"^\s*(填表人|填报人|审核人|负责人|制表人|单位负责人|联系人|联系电话|填表日期|注|说明|备注)\s*[:：]"
)


def _blank(cells: Sequence[object]) -> bool:
    return all(is_blank(v) for v in cells)


def _total_or_footer(cells: Sequence[object], markers: set[str]) -> bool:
    """A total row (its first filled cell is a total marker, 合计) or a signature or note line
    under the table (填表人：…, 注：…, in a row of at most 3 filled cells): not a record."""
    i = next((i for i, v in enumerate(cells) if not is_blank(v)), None)
    if i is None:
        return False
    v = cells[i]
    if not isinstance(v, str):
        return False
    if normalise_text(v) in markers:
        return True
    if not _FOOTER.match(v):
        return False
    filled = 1
    for w in islice(cells, i + 1, None):
        if not is_blank(w):
            filled += 1
            if filled > 3:
                return False
    return True


def find_table(
    rows: list[list[object]], spec: Sheet, total_markers: Sequence[str]
) -> Layout | None:
    """The header row (matching most spec headers, below any title rows) and the data rows."""
    best: tuple[int, dict[int, str]] | None = None
    for i, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        if best is not None and i > best[0] + 2 and len(best[1]) >= min(3, len(spec.columns)):
            break  # the header is behind us; what follows is data
        mapping = map_headers(cells, spec.columns)
        if len(mapping) >= 2 and (best is None or len(mapping) > len(best[1])):
            best = (i, mapping)
    if best is None:
        return None
    header_row, columns = best
    # a second header row below (merged header cells a reader did not fill, e.g. in .ods)
    if header_row + 1 < len(rows):
        below = rows[header_row + 1]
        extra = map_headers(below, spec.columns)
        filled = [c for c, v in enumerate(below) if not is_blank(v)]
        new = {c: k for c, k in extra.items() if c not in columns and k not in columns.values()}
        if new and all(c in extra for c in filled):
            columns = {**columns, **new}
            header_row += 1
    markers = {normalise_text(m) for m in total_markers}
    header_keys = {normalise_header(rows[header_row][c]) for c in columns}
    layout = Layout(header_row, columns)
    layout.missing = [c.key for c in spec.columns if c.key not in columns.values()]
    repeat = max(2, len(columns) // 2)
    wanted = list(columns.items())
    for i in range(header_row + 1, len(rows)):
        cells = rows[i]
        n = len(cells)
        picked = {key: (cells[c] if c < n else None, c) for c, key in wanted}
        values = [v for v, _ in picked.values()]
        if _blank(values) or _total_or_footer(cells, markers):
            continue
        # a second header row (merged header cells) or a header repeated on a printed page
        if header_hits(values, header_keys) >= repeat:
            continue
        layout.rows.append(RawRow(i, picked))
    return layout


def find_keyvalue(rows: list[list[object]], spec: Sheet) -> Layout | None:
    """Key column (the column with most spec field names) and each field's value to its right."""
    wanted = {normalise_header(c.header): c.key for c in spec.columns}
    hits: dict[int, list[tuple[int, str]]] = {}
    for r, cells in enumerate(rows):
        for c, k in enumerate(normalise_headers(cells)):
            if k in wanted:
                hits.setdefault(c, []).append((r, wanted[k]))
    if not hits:
        return None
    key_col = max(hits, key=lambda c: (len(hits[c]), -c))
    layout = Layout(None, {})
    seen: set[str] = set()
    for r, key in hits[key_col]:
        if key in seen:
            continue
        seen.add(key)
        cells = rows[r]
        label = cells[key_col]
        value, col = None, key_col + 1
        for c in range(key_col + 1, len(cells)):
            v = cells[c]
            if not is_blank(v) and v != label:
                value, col = v, c
                break
        layout.rows.append(RawRow(r, {key: (value, col)}))
    layout.missing = [c.key for c in spec.columns if c.key not in seen]
    return layout
