"""The package runs from a wheel, not only from an editable checkout.

Builds the wheel, installs it with --no-deps into a fresh virtual environment
(the dependencies come from this test run's environment through a plain path
entry, so the checkout's editable finder is not used), registers a kernel in
that environment, and runs `scorecard demo` and `scorecard run` from an empty
folder: the notebooks and every data file must come from the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]


def _run(
    cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 600
) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["HOME"] = str(tmp / "home")
    src = (
        tmp / "src"
    )  # build from a copy: a build/ folder in the checkout would be shared by parallel runs
    shutil.copytree(
        REPO,
        src,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            "data",
            "reports",
            "build",
            "*.egg-info",
            "_work",
            "__pycache__",
            ".pytest_cache",
            ".ruff_cache",
        ),
    )
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp / "dist"),
            str(src),
        ],
        tmp,
        env,
    )
    assert built.returncode == 0, built.stderr
    wheel = next((tmp / "dist").glob("grassroots_scorecard-*.whl"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    inst = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(py),
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            str(wheel),
        ],
        tmp,
        env,
    )
    assert inst.returncode == 0, inst.stderr
    site = Path(
        _run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp, env
        ).stdout.strip()
    )
    (site / "_deps_from_test_env.pth").write_text(sysconfig.get_path("purelib") + "\n")
    kernel = _run(
        [str(py), "-m", "ipykernel", "install", "--sys-prefix", "--name", "grassroots-scorecard"],
        tmp,
        env,
    )
    assert kernel.returncode == 0, kernel.stderr
    return venv, env


def test_installed_package_is_the_wheel(wheel_env):
    venv, env = wheel_env
    where = _run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import pipeline, pipeline.report.runner as r; "
            "print(pipeline.__file__); print(r.NOTEBOOKS_DIR)",
        ],
        venv,
        env,
    )
    pkg, notebooks = where.stdout.split()
    assert str(venv) in pkg and str(REPO) not in pkg
    assert Path(notebooks) == Path(pkg).parent / "notebooks"
    assert {p.name for p in Path(notebooks).glob("*.ipynb")} >= {
        "district.ipynb",
        "unit_cards.ipynb",
    }


def test_demo_and_run_from_an_empty_folder(wheel_env, tmp_path):
    venv, env = wheel_env
    scorecard = str(venv / "bin" / "scorecard")
    work = tmp_path / "empty"
    work.mkdir()
    demo = _run([scorecard, "demo", "--out", ".", "--units", "20"], work, env)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    run = _run(
        [scorecard, "run", "--round", "2026-07"], work, env, timeout=900
    )  # one round is enough
    assert run.returncode in (0, 3), run.stdout + run.stderr
    assert (work / "reports" / "2026-07" / "index.html").is_file()
    from pipeline.config import load_config
    from pipeline.tables import read_table

    processed = load_config(work / "scorecard.toml").paths.processed_round("2026-07")
    expected = len(read_table(processed, "scores"))
    assert expected >= 15
    assert len(list((work / "reports" / "2026-07" / "units").glob("*.html"))) == expected
