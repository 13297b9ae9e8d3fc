"""HTML pages: jinja2 templates (autoescaped) and notebook bodies from nbconvert.

Pages are self-contained: CSS inline, charts as data: URIs, no scripts, no
fonts or styles fetched from anywhere. Every page shares `base.html.j2`
(heading, breadcrumbs, print CSS).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from pipeline.atomic import atomic_path
from pipeline.config import Config, Round
from pipeline.report.labels import local_now


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page_context(config: Config, rnd: Round, title: str, **extra: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "title": title,
        "subtitle": "",
        "crumbs": [],
        "office": config.campaign.office,
        "campaign": config.campaign.name,
        "round_name": f"{rnd.name}（{rnd.id}，截至 {rnd.as_of:%Y-%m-%d}）",
        "generated": local_now(),
        "banner": "",  # 临时结果：… while the round is provisional (RoundContext.banner)
    }
    ctx.update(extra)
    return ctx


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def _drop_noise(nb) -> None:
    """Remove stderr streams (warnings, progress) and the parameter cells' outputs."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":  # the page template already shows the title
            cell.source = "\n".join(x for x in cell.source.splitlines() if not x.startswith("# "))
        if cell.cell_type != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            cell.outputs = []
        cell.outputs = [
            o
            for o in cell.get("outputs", [])
            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
        ]


@cache
def _exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
    )


def notebook_body(path: Path) -> str:
    """The executed notebook's outputs as an HTML fragment (no code, no prompts)."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    _drop_noise(nb)
    body, _ = _exporter().from_notebook_node(nb)
    return body


def write_text(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
