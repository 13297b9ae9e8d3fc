"""Content hashes shared by the run fingerprint (`batch.fingerprint`) and the
reuse of earlier reads (`ingest.reuse`)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pipeline


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in chunks."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def digest_of(items: Any) -> str:
    """sha256 of a JSON-serialisable value (keys sorted; dates and paths as text)."""
    blob = json.dumps(items, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text_bytes(blob)).hexdigest()


def text_bytes(text: str) -> bytes:
    """UTF-8 bytes of a text; a file name's escaped bytes (not UTF-8, see `pipeline.names`)
    are hashed as the exact bytes they stand for, so hashing never fails on a name."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return text.encode("utf-8", "surrogatepass")


def code_digest() -> str:
    """The package's own files (and the repo's notebooks folder, if any)."""
    pkg = Path(pipeline.__file__).resolve().parent
    roots = [pkg, pkg.parent / "notebooks"]
    items = []
    for root in roots:
        if not root.is_dir():
            continue
        for p in sorted(root.rglob("*")):
            if not p.is_file() or "__pycache__" in p.parts or p.suffix in (".pyc", ".pyo"):
                continue
            if ".ipynb_checkpoints" in p.parts:
                continue
            items.append((root.name, p.relative_to(root).as_posix(), file_sha256(p)))
    return digest_of(items)


def form_digest(version: int) -> str:
    """sha256 of the form specification `spec_v<version>.toml` ("missing" if absent)."""
    from importlib import resources

    ref = resources.files("pipeline.form").joinpath(f"spec_v{version}.toml")
    return hashlib.sha256(ref.read_bytes()).hexdigest() if ref.is_file() else "missing"
