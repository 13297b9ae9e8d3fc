"""The action stage (pipeline/act): rectification items and their re-check, grades,
exemplary units, the notice.

- `act_tables(tables, scored, config, round_id, previous=None) -> dict[str, DataFrame]`
- item rules: `pipeline.act.items`; statuses: `pipeline.act.recheck`; grades: `pipeline.act.grades`;
  exemplary: `pipeline.act.exemplary`; notice: `pipeline.act.notice`;
  the 通报 draft: `pipeline.act.docx`.
"""

from pipeline.act.run import ACT_TABLES, act_tables, due_date

__all__ = ["ACT_TABLES", "act_tables", "due_date"]
