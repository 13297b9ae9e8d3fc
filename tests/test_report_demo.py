"""The notebooks run top to bottom with their default parameters on the demo district.

As in JupyterLab after `make demo`: no parameters injected, the working folder
below the folder holding scorecard.toml (found by walking up), the latest
scored round by default. The first round (no previous round to compare) is
run too.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat
import pytest

from pipeline.report.runner import NOTEBOOKS_DIR

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("report-demo")]


def _execute(
    name: str, cwd: Path, out: Path, parameters: dict | None = None
) -> nbformat.NotebookNode:
    import papermill as pm

    pm.execute_notebook(
        str(NOTEBOOKS_DIR / name),
        str(out),
        parameters=parameters or {},
        kernel_name="grassroots-scorecard",
        cwd=str(cwd),
        progress_bar=False,
        execution_timeout=300,
    )
    return nbformat.read(str(out), as_version=4)


def _images(nb: nbformat.NotebookNode) -> int:
    """Charts in the outputs: inline SVG (`show_figure`) or PNG images."""
    return sum(
        1
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
        or '<svg class="chart"' in "".join(o.get("data", {}).get("text/html", ""))
    )


def _errors(nb: nbformat.NotebookNode) -> list[str]:
    return [
        o.get("ename", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]


@pytest.fixture(scope="module")
def demo_cwd(demo_scored):
    folder = Path(tempfile.mkdtemp(prefix="nb-", dir=Path(demo_scored.source).parent))
    return folder


@pytest.mark.parametrize(
    ("name", "min_images"), [("district.ipynb", 6), ("unit_type.ipynb", 3), ("unit.ipynb", 2)]
)
def test_notebook_runs_with_defaults_on_demo(demo_cwd, tmp_path, name, min_images):
    nb = _execute(name, demo_cwd, tmp_path / name)
    assert not _errors(nb)
    assert _images(nb) >= min_images
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert 'round_id = ""' in params.source and 'config_path = ""' in params.source


def test_district_notebook_first_round_without_previous(demo_scored, demo_cwd, tmp_path):
    first = demo_scored.rounds_in_order()[0].id
    nb = _execute("district.ipynb", demo_cwd, tmp_path / "first.ipynb", {"round_id": first})
    assert not _errors(nb)
    html = "".join(
        o.get("data", {}).get("text/html", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    )
    assert "没有上一轮数据" in html
