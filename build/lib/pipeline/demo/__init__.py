"""The demo district: a roster, every unit's returns as they really arrive, and the truth.

- `generate_demo(config, out_dir, seed, n_units)` writes the roster, the raw
  returns of every round (with file mtimes = when the office received them)
  and `truth/<round>/` beside them; with `out_dir` also a `scorecard.toml`.
- `generate_tables(n_units, seed, config, round_id)` gives the clean tables
  straight from the same random model (no files), for scoring benchmarks.
- `MESSINESS` lists the habits of real returns the files cover.

The generator shares the form specification with ingestion but never the
scorer's code.
"""

from __future__ import annotations

from pipeline.demo.build import generate_tables
from pipeline.demo.district import DemoSizeError
from pipeline.demo.messiness import MESSINESS
from pipeline.demo.run import DemoResult, generate_demo

__all__ = ["MESSINESS", "DemoResult", "DemoSizeError", "generate_demo", "generate_tables"]
