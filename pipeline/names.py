"""File names in any encoding (zip archives unpacked on Windows give GBK bytes).

On Linux a name that is not valid UTF-8 reaches Python as a `str` with lone
surrogates (PEP 383 "surrogateescape"); such a string cannot be written to
JSON, parquet or a terminal. Every name is therefore used in two forms:

- `display_name(name)`: what a user reads and what the tables store: the
  name itself when it is valid UTF-8, else its bytes decoded as GBK, else as
  UTF-8 with U+FFFD for the undecodable bytes;
- the name as it is (`raw_bytes(name)` gives the exact bytes), for opening the
  file and for hashing (`hashing.digest_of` hashes the exact bytes).
"""

from __future__ import annotations

import hashlib
import os

FALLBACK_ENCODINGS = ("gbk",)  # tried in order on a name that is not UTF-8


def is_clean(name: str) -> bool:
    """True when the name is valid Unicode text (no escaped bytes)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def raw_bytes(name: str) -> bytes:
    """The exact bytes of a file name as the file system holds them."""
    return os.fsencode(name)


def decode_name(name: str) -> tuple[str, str]:
    """(display name, how) with how in 'utf-8' | 'gbk' | 'replaced'."""
    if is_clean(name):
        return name, "utf-8"
    try:
        data = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # lone surrogates not from surrogateescape
        data = name.encode("utf-8", "surrogatepass")
    for enc in FALLBACK_ENCODINGS:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace"), "replaced"


def display_name(name: str) -> str:
    """The name as best decoded (see the module docstring); always encodable as UTF-8."""
    return decode_name(name)[0]


def unique_labels(names: list[str]) -> list[str]:
    """Display names for `names`, made distinct: two names whose display forms
    coincide (e.g. both replaced) get a short hash of their exact bytes."""
    shown = [display_name(n) for n in names]
    seen: dict[str, int] = {}
    for s in shown:
        seen[s] = seen.get(s, 0) + 1
    out = []
    for n, s in zip(names, shown, strict=True):
        if seen[s] > 1 and not is_clean(n):
            stem, dot, ext = s.rpartition(".")
            tag = hashlib.sha256(raw_bytes(n)).hexdigest()[:6]
            s = f"{stem}~{tag}.{ext}" if dot and stem else f"{s}~{tag}"
        out.append(s)
    return out


def name_finding(raw: str, label: str) -> dict | None:
    """A finding row (ingest findings columns) for a name that was not UTF-8, else None."""
    _, how = decode_name(raw)
    if how == "utf-8":
        return None
    hexed = raw_bytes(os.path.basename(raw)).hex(" ")
    if how == "replaced":
        code, severity = "filename_undecodable", "warning"
        message = (
            f"文件名编码无法识别（原始字节 {hexed[:120]}），以“{label}”显示；"
            "请以规范的中文文件名重新报送，或核对是哪个单位的报表"
        )
    else:
        code, severity = "filename_recoded", "warning"
        message = (
            "文件名不是 UTF-8 编码（多为 Windows 压缩包解压所致），"
            f"已按 {how.upper()} 识别为“{label}”"
        )
    return {
        "file": label,
        "sheet": None,
        "cell": None,
        "row": None,
        "column": None,
        "unit_id": None,
        "severity": severity,
        "code": code,
        "message": message,
        "value": label,
        "row_rejected": False,
    }
