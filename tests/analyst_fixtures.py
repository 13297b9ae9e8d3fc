"""A fabricated district with parent units (社区 under 街道, 村 under 镇), built once for the
analyst tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
from conftest import require_client

from pipeline.tables import read_table, write_table
from tests.report_fixtures import make_district

TYPES = ("街道", "社区", "镇", "村")


def make_parented_district(root: Path, n_units: int = 80):
    """make_district with four types; each 社区 belongs to a 街道 and each 村 to a 镇."""
    config = make_district(root, n_units=n_units, types=TYPES)
    for r in config.rounds:
        folder = config.paths.processed_round(r.id)
        for name in ("units", "scores"):
            t = read_table(folder, name)
            parents = {
                "社区": t.loc[t["unit_type"] == "街道", "unit_id"].tolist(),
                "村": t.loc[t["unit_type"] == "镇", "unit_id"].tolist(),
            }
            pid = []
            counters = {"社区": 0, "村": 0}
            for ut in t["unit_type"]:
                if parents.get(ut):
                    pid.append(
                        parents[ut][counters[ut] % 2]
                    )  # the first two parents get all children
                    counters[ut] += 1
                else:
                    pid.append(None)
            t["parent_id"] = pd.Series(pid, dtype="string")
            write_table(t, folder, name)
    return config


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page (pdftotext from poppler-utils)."""
    text = subprocess.run(
        [need("poppler"), "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def need(marker: str) -> str:
    """The client for a marker of conftest.CLIENTS (skip, or fail under
    SCORECARD_REQUIRE_CLIENTS=1)."""
    return require_client(marker)


def xlsx_to_pdf(path: Path, out: Path) -> Path:
    soffice = need("libreoffice")
    need("poppler")
    profile = out / "lo-profile"
    proc = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    pdf = out / (path.stem + ".pdf")
    assert pdf.is_file(), proc.stdout + proc.stderr
    return pdf


def html_to_pdf(path: Path, out: Path) -> Path:
    chromium = need("browser")
    need("poppler")
    pdf = out / (path.stem + ".pdf")
    proc = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            f"--user-data-dir={out / 'chrome-profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert pdf.is_file(), proc.stdout + proc.stderr
    return pdf
