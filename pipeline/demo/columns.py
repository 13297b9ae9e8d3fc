"""Fast string columns for large generated tables.

pandas' own inference of `string` columns from Python objects is slow at a
million rows; these helpers build pyarrow-backed `string` arrays directly, keep
low-cardinality columns as codes into a list of labels until the rows are
final, and fill text templates one template at a time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa


def as_string(values: object) -> pd.api.extensions.ExtensionArray:
    """A pandas `string` array (pyarrow storage, NA for missing), built fast."""
    items = np.asarray(values, dtype=object).tolist()
    try:
        arr = pa.array(items, type=pa.large_string())  # None → null; fastest path
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        arr = pa.array(items, type=pa.large_string(), from_pandas=True)  # NaN → null
    # pandas-stubs lists string and chunked storage only; large_string is accepted as well
    return pd.arrays.ArrowStringArray(arr)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Coded:
    """A string column as codes into a list of labels (None = missing): cheap to build and
    filter."""

    codes: np.ndarray
    labels: Sequence[str | None] | pd.Series

    def to_array(self) -> pd.api.extensions.ExtensionArray:
        labels = (
            self.labels.to_numpy(dtype=object)
            if isinstance(self.labels, pd.Series)
            else self.labels
        )
        dictionary = pa.array(list(labels), type=pa.large_string())
        codes = pa.array(np.asarray(self.codes, dtype=np.int64), type=pa.int64())
        return pd.arrays.ArrowStringArray(dictionary.take(codes))  # type: ignore[arg-type]  # as above


Column = Coded | np.ndarray | pd.api.extensions.ExtensionArray


def frame(cols: Mapping[str, Column], keep: np.ndarray | None = None) -> pd.DataFrame:
    """Build a table (rows where `keep` is true); strings become `string` columns."""
    out: dict[str, np.ndarray | pd.api.extensions.ExtensionArray] = {}
    for k, v in cols.items():
        if keep is not None:
            v = Coded(v.codes[keep], v.labels) if isinstance(v, Coded) else v[keep]
        if isinstance(v, Coded):
            out[k] = v.to_array()
        elif isinstance(v, np.ndarray) and v.dtype.kind in "OUS":
            out[k] = as_string(v)
        else:
            out[k] = v
    return pd.DataFrame(out)


def compose(
    which: np.ndarray, templates: tuple[str, ...], fields: dict[str, np.ndarray]
) -> np.ndarray:
    """Fill `templates[which[i]]` with `fields[...][i]`, vectorised per template."""
    out = np.empty(len(which), dtype=object)
    pattern = re.compile(r"\{(" + "|".join(fields) + r")\}")
    for t, tmpl in enumerate(templates):
        mask = which == t
        if not mask.any():
            continue
        acc = np.full(int(mask.sum()), "", dtype=object)
        pos = 0
        for m in pattern.finditer(tmpl):
            if m.start() > pos:
                acc = acc + tmpl[pos : m.start()]
            acc = acc + fields[m.group(1)][mask]
            pos = m.end()
        if pos < len(tmpl):
            acc = acc + tmpl[pos:]
        out[mask] = acc
    return out
