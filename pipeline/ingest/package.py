"""One zip-based workbook's package, opened once per file and each small part inflated once.

Reading one .xlsx looks into its zip four times: the sniffer lists the
members (`read._zip_check`), the extent check maps sheet names to parts and
scans the form sheets (`extent.py`), and the formula check maps them again
and scans the same parts (`formulas.py`). Each used to open the zip and
inflate what it needed on its own. A `Package` opens the zip once and keeps
each part it inflated, up to `KEEP_BYTES` (the parts of a return are a few
kilobytes; a larger part is streamed from the zip every time, as before, so
memory stays bounded by the part being read).

Errors are those of `zipfile`, raised at the same point as before: a part
that fails to inflate is not kept, and its caller streams it from the zip
and meets the fault where it always did.
"""

from __future__ import annotations

import io
import zipfile
from typing import IO

KEEP_BYTES = 4 << 20  # parts up to this size (inflated) are kept once read


class Package:
    """The zip of `data`, opened on first use (`zf` raises what `zipfile.ZipFile` raises)."""

    def __init__(self, data: bytes):
        self.data = data
        self._zf: zipfile.ZipFile | None = None
        self._kept: dict[str, bytes] = {}

    @property
    def zf(self) -> zipfile.ZipFile:
        if self._zf is None:
            self._zf = zipfile.ZipFile(io.BytesIO(self.data))
        return self._zf

    def read(self, name: str) -> bytes:
        """`zf.read(name)`, inflated once when small."""
        kept = self._kept.get(name)
        if kept is not None:
            return kept
        info = self.zf.getinfo(name)  # KeyError as zf.read gives
        data = self.zf.read(info)
        if info.file_size <= KEEP_BYTES:
            self._kept[name] = data
        return data

    def open(self, name: str) -> IO[bytes]:
        """A stream of the part: from what is kept, else from the zip (large or faulty parts)."""
        kept = self._kept.get(name)
        if kept is not None:
            return io.BytesIO(kept)
        info = self.zf.getinfo(name)
        if info.file_size <= KEEP_BYTES:
            try:
                return io.BytesIO(self.read(name))
            except Exception:  # the caller streams it and meets the fault where it always did
                pass
        return self.zf.open(info)

    def close(self) -> None:
        self._kept.clear()
        if self._zf is not None:
            self._zf.close()
            self._zf = None
