"""What the packaged CJK font adds to an install: download, disk and seconds.

Measured in one run: a fresh virtual environment (`python -m venv`, no pip
upgrade), then `pip install --no-deps pylopdf-fonts-zh-cn` into it (the same
index as `make install`); the wheel's size, the installed folder's size, the
install's wall time, and for scale the size of the project's whole `.venv`
(where it exists). `quick` is the same (it takes a few seconds).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "pylopdf-fonts-zh-cn"


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _mb(b: float) -> str:
    return f"{b / 2**20:,.1f}"


def run(work: Path, quick: bool = False) -> str:
    tmp = Path(tempfile.mkdtemp(dir=work))
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(tmp / "venv")], check=True
        )
        py = tmp / "venv" / "bin" / "python"
        wheels = tmp / "wheels"
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "-q",
                "-d",
                str(wheels),
                PACKAGE,
            ],
            check=True,
        )
        download = time.perf_counter() - t0
        wheel = next(wheels.glob("*.whl"))
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                str(py),
                "install",
                "--no-deps",
                "-q",
                "--no-index",
                str(wheel),
            ],
            check=True,
        )
        install = time.perf_counter() - t0
        site = next((tmp / "venv" / "lib").glob("python*/site-packages"))
        installed = _size(site / "pylopdf_fonts_zh_cn")
        wheel_bytes = wheel.stat().st_size
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    venv = REPO / ".venv"
    whole = f"{_mb(_size(venv))} MB" if venv.is_dir() else "(no .venv here)"
    version = metadata.version(PACKAGE)
    return (
        "## Install: the packaged CJK font\n\n"
        f"`{PACKAGE}` {version} (Noto Sans SC Regular and Noto Serif SC Regular, SIL OFL 1.1), "
        "installed with `pip --no-deps` into a fresh venv from the configured index.\n\n"
        "| what | figure |\n| --- | --- |\n"
        f"| wheel (download) | {_mb(wheel_bytes)} MB, fetched in {download:.1f} s |\n"
        f"| installed folder | {_mb(installed)} MB |\n"
        f"| install time (wheel already downloaded) | {install:.1f} s |\n"
        f"| the project's whole `.venv`, for scale | {whole} |\n"
    )
