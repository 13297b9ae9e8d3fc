"""Shared fixtures.

The demo district is generated, ingested and scored once per test session and
shared by all pytest-xdist workers through a file lock (the pattern the
pytest-xdist docs recommend for session-scoped data).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from filelock import FileLock

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
# the 200 real spreadsheets (never committed): beside the checkout, or at SCORECARD_REALFILES
REALFILES = Path(os.environ.get("SCORECARD_REALFILES") or SHARED / "realfiles")
REFERENCE_DATA = (
    Path(__file__).resolve().parent / "data"
)  # mexico.csv from libpysal (BSD-3), see PROVENANCE.tsv

DEMO_SEED = 7
DEMO_UNITS = 60

# Real clients some tests drive: (marker, executables tried in order, the Debian package).
CLIENTS: dict[str, tuple[tuple[str, ...], str]] = {
    "browser": (("chromium", "chromium-browser", "google-chrome"), "chromium"),
    "libreoffice": (("soffice", "libreoffice"), "libreoffice-calc-nogui libreoffice-writer-nogui"),
    "poppler": (("pdftotext",), "poppler-utils"),
}
REQUIRE_CLIENTS = "SCORECARD_REQUIRE_CLIENTS"


def find_client(marker: str) -> str | None:
    """The path of the first installed executable for a client marker, or None."""
    names, _ = CLIENTS[marker]
    return next((found for n in names if (found := shutil.which(n))), None)


def require_client(marker: str) -> str:
    """The client's path; where it is absent, skip with the package to install, unless
    SCORECARD_REQUIRE_CLIENTS=1 (set by .ci/run): then fail."""
    found = find_client(marker)
    if found:
        return found
    names, package = CLIENTS[marker]
    reason = f"{' / '.join(names)} not found: install it with `apt-get install {package}`"
    if os.environ.get(REQUIRE_CLIENTS) == "1":
        pytest.fail(f"{REQUIRE_CLIENTS}=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked `browser`, `libreoffice` or `poppler` needs that client (require_client)."""
    for marker in CLIENTS:
        if item.get_closest_marker(marker) is not None:
            require_client(marker)


@pytest.fixture
def chromium() -> str:
    """Path of the headless browser (tests using it are marked `browser`)."""
    path = find_client("browser")
    assert path, "mark the test with @pytest.mark.browser"
    return path


@pytest.fixture
def soffice() -> str:
    """Path of LibreOffice (tests using it are marked `libreoffice`)."""
    path = find_client("libreoffice")
    assert path, "mark the test with @pytest.mark.libreoffice"
    return path


def _shared_dir(tmp_path_factory: pytest.TempPathFactory, name: str) -> tuple[Path, FileLock]:
    base = tmp_path_factory.getbasetemp()
    # under xdist each worker has basetemp .../pytest-N/popen-gwK: share .../pytest-N;
    # without xdist basetemp is .../pytest-N itself (its parent outlives the session)
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return root / name, FileLock(str(root / f"{name}.lock"))


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated demo district (roster, raw returns of both rounds, truth, scorecard.toml)."""
    from pipeline.demo import generate_demo

    path, lock = _shared_dir(tmp_path_factory, "demo-district")
    with lock:
        if not (path / ".done").exists():
            if path.exists():
                shutil.rmtree(path)
            generate_demo(config=None, out_dir=path, seed=DEMO_SEED, n_units=DEMO_UNITS)
            (path / ".done").touch()
    return path


@pytest.fixture(scope="session")
def demo_config(demo_dir: Path):
    from pipeline.config import load_config

    return load_config(demo_dir / "scorecard.toml")


@pytest.fixture(scope="session")
def demo_ingested(demo_config, tmp_path_factory: pytest.TempPathFactory):
    """The demo district with both rounds ingested into its processed folder."""
    from pipeline.ingest import ingest_round

    path, lock = _shared_dir(tmp_path_factory, "demo-ingested")
    with lock:
        if not path.exists():
            for r in demo_config.rounds_in_order():
                ingest_round(demo_config, r.id, jobs=1, progress=False)
            path.touch()
    return demo_config


@pytest.fixture(scope="session")
def demo_scored(demo_ingested, tmp_path_factory: pytest.TempPathFactory):
    """The demo district ingested and scored, both rounds."""
    from pipeline.score import score_round

    path, lock = _shared_dir(tmp_path_factory, "demo-scored")
    with lock:
        if not path.exists():
            for r in demo_ingested.rounds_in_order():
                score_round(demo_ingested, r.id)
            path.touch()
    return demo_ingested
