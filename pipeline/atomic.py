"""Atomic file writes: write beside the target, rename onto it when complete."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(target: Path, prefix: str | None = None, suffix: str = ".tmp") -> Iterator[Path]:
    """A new temporary file beside `target` for the block to write; renamed onto
    `target` when the block ends (atomic on one file system), removed if it raises.
    A reader never sees half a file; a killed writer leaves at most the temporary
    file (`prefix`, default `.<target name>.`, and `suffix` name it for cleanup)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=prefix or f".{target.name}.", suffix=suffix, dir=target.parent
    )
    os.close(fd)
    os.chmod(
        tmp, 0o666 & ~_umask()
    )  # mkstemp makes 0600; a published file gets the usual permissions
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
