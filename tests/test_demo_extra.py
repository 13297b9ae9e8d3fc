"""The product imports and runs without the demo's own dependencies (the `demo` extra)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO

BLOCK = "import sys; sys.modules['xlwt'] = None\n"  # as if the extra were not installed


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", BLOCK + code], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_product_modules_import_without_the_demo_extra(tmp_path):
    code = (
        "import pkgutil, importlib, pipeline\n"
        "names = [m.name for m in pkgutil.walk_packages(pipeline.__path__, 'pipeline.')\n"
        "         if not m.name.startswith(\n"
        "             ('pipeline.demo', 'pipeline.notebooks', 'pipeline.__main__'))]\n"
        "for n in names: importlib.import_module(n)\n"
        "print(len(names))\n"
    )
    proc = _python(code, REPO)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) > 20


def test_demo_says_which_extra_is_missing_and_writes_nothing(tmp_path):
    out = tmp_path / "demo"
    proc = _python(
        f"from pipeline import cli; raise SystemExit(cli.main(['demo', '--out', {str(out)!r}]))",
        REPO,
    )
    assert proc.returncode == 1, proc.stderr
    assert "grassroots-scorecard[demo]" in proc.stderr and "xlwt" in proc.stderr
    assert not out.exists()
