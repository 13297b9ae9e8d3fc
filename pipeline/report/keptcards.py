"""Unit cards served from the card cache before any kernel starts.

A card batch (`notebooks/unit_cards.ipynb`, `cards.write_unit_cards`) looks up
each card's page in the card cache (`report/cardcache.py`) under the key
`cardkeys.page_keys` computes. `copy_kept_cards` computes the same keys in the
calling process, from the same district-wide values (`cards.batch_values`),
and writes every kept page itself, byte for byte as a batch would; only the
cards whose pages are not kept go to the batches. A round where nothing
changed starts no card kernel at all, and one re-sent return costs one small
batch. A key that cannot be computed here only sends its card to a batch.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline.report import cardkeys as ck
from pipeline.report.cardcache import CardCache
from pipeline.report.cards import batch_values, unit_file_name
from pipeline.report.context import RoundContext, copy_tables
from pipeline.report.pages import write_text

log = logging.getLogger(__name__)


def key_context(ctx: RoundContext) -> RoundContext:
    """`ctx` with the district-wide values a card batch adds (what the page keys read)."""
    return RoundContext(
        config=ctx.config,
        round=ctx.round,
        processed_dir=ctx.processed_dir,
        tables=copy_tables(ctx.tables),
        cache={**ctx.cache, **batch_values(ctx)},
        provisional=ctx.provisional,
    )


def copy_kept_cards(
    ctx: RoundContext, unit_ids: list[str], units_dir: Path, cache: CardCache | None
) -> list[str]:
    """Write each unit's card whose page `cache` keeps; return the units still to render
    (in the given order). Without a cache, or with reading off, every unit is returned."""
    ids = [str(u) for u in unit_ids]
    if cache is None or cache.folder is None or not cache.read or not ids:
        return ids
    try:
        keys = ck.page_keys(key_context(ctx), ids, cache, ck.ChartKeys())
    except Exception:  # the batches compute the keys again and render what they must
        log.warning("单位画像缓存键计算失败，全部交由批次生成", exc_info=True)
        return ids
    units_dir.mkdir(parents=True, exist_ok=True)
    todo: list[str] = []
    for uid in ids:
        text = cache.get_page(keys[uid])
        if text is None:
            todo.append(uid)
            continue
        write_text(units_dir / unit_file_name(uid), text)
    cache.save_used()
    return todo
