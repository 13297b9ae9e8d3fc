"""Unclear themes (主题不鲜明): genericness, copying, specificity, missing theme.

Themes are short Chinese sentences. They are normalised (NFKC, punctuation and
spaces dropped), vectorised with character (2, 3)-gram TF-IDF with sublinear
tf (scikit-learn defaults otherwise: smooth idf, l2 norm — these reproduce the
reference cosines), and compared:

- copying: the highest cosine to another unit's theme, found with a chunked
  sparse top-k neighbour search over the distinct normalised themes (exact
  copies are collapsed first; never a full n × n matrix);
- copy clusters: connected components of exact copies and of pairs with
  cosine ≥ `copy_cosine`;
- genericness: the highest cosine to the district's slogans and boilerplate;
- specificity: names one of the unit's own business keywords (roster
  业务关键词) and states a concrete target (a number, 年内/年底, 户/件/万元 …).

    unclear_theme = 100 × (w_distinct × max(generic, nearest) + w_keyword × [no keyword]
                           + w_target × [no target]),   100 when the theme is missing

The weights, the missing-theme length and the search tuning are
`config.scoring.theme` (`[scoring.theme]`; defaults 0.5, 0.25, 0.25,
min_chars 4, exact_max 20,000, candidate_max_df 0.02, candidates 50).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer

from pipeline.config import Scoring, ScoringTheme

_SCORING = Scoring()  # the config model holds every default; signatures read it

_DEFAULT = ScoringTheme()
EXACT_MAX = _DEFAULT.exact_max
"""The default of `config.scoring.theme.exact_max` (read by benchmarks/bench_score.py); the
scorer passes the configured value."""
_EMPTY_WORDS = {"无", "暂无", "待定", "没有", "空", "略", "同上", "见附件"}

_CN_NUM = "一二三四五六七八九十百千万两"
TARGET_RE = re.compile(
    r"\d"  # any arabic number: 120户, 2024年, 50万元, 95%
    r"|年内|年底|年前|月底|季度内|年末|当年|百分之"
    rf"|[{_CN_NUM}]+(?:户|件|万元|亩|公里|家|名|人次|所|座|条|处)"
)
"""A concrete target: a number, a deadline or a counted result."""


def normalise_theme(text: object) -> str:
    """NFKC, then drop punctuation, separators, spaces and control characters."""
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return ""
    s = unicodedata.normalize("NFKC", str(text))
    return "".join(ch for ch in s if unicodedata.category(ch)[0] not in "PZC" and not ch.isspace())


def is_missing_theme(normalised: str, min_chars: int = _DEFAULT.min_chars) -> bool:
    """Shorter than `min_chars` (config.scoring.theme.min_chars) or a placeholder (无, 暂无,
    待定 …)."""
    return len(normalised) < min_chars or normalised in _EMPTY_WORDS


def has_target(normalised: str) -> bool:
    return bool(TARGET_RE.search(normalised))


def keyword_hits(normalised: str, keywords: Iterable[str] | None) -> list[str]:
    """The unit's business keywords (normalised) that occur in the theme."""
    if keywords is None or isinstance(keywords, float):
        return []
    if isinstance(keywords, str):
        keywords = [keywords]
    out = []
    for k in keywords:
        nk = normalise_theme(k)
        if len(nk) >= 2 and nk in normalised:
            out.append(str(k))
    return out


def vectoriser() -> TfidfVectorizer:
    """Character (2, 3)-gram TF-IDF with sublinear tf (the references' setting)."""
    return TfidfVectorizer(
        analyzer="char", ngram_range=(2, 3), sublinear_tf=True, lowercase=False, dtype=np.float32
    )


def weighted_tfidf(
    texts: Sequence[str], weights: Sequence[float] | np.ndarray
) -> sparse.csr_matrix:
    """TF-IDF rows of distinct texts, as if each text occurred `weights` times in the corpus.

    Identical to `vectoriser().fit_transform` on the corpus with the repeats
    (smooth idf = ln((1 + N)/(1 + df)) + 1, sublinear tf = 1 + ln tf, l2 rows),
    without vectorising every copy.
    """
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import normalize

    counts = (
        CountVectorizer(analyzer="char", ngram_range=(2, 3), lowercase=False, dtype=np.float32)
        .fit_transform(list(texts))
        .tocsr()
    )
    w = np.asarray(weights, dtype=np.float64)
    present = counts.copy()
    present.data[:] = 1.0
    df = np.asarray(present.T @ w).ravel()
    idf = np.log((1.0 + w.sum()) / (1.0 + df)) + 1.0
    tf = counts
    tf.data = (1.0 + np.log(tf.data)).astype(np.float32)
    x = (tf @ sparse.diags(idf.astype(np.float32))).tocsr()
    return normalize(x, norm="l2", copy=False).astype(np.float32)


def tfidf_cosine(texts: Sequence[str]) -> np.ndarray:
    """Full cosine matrix of a few texts (for tests and small sets only)."""
    x = vectoriser().fit_transform([normalise_theme(t) for t in texts])
    return (x @ x.T).toarray()


def _exact_block(
    x: sparse.csr_matrix,
    xt: sparse.csr_matrix,
    lo: int,
    hi: int,
    k: int,
    rows: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k of rows `rows` (default lo..hi) against all rows."""
    rows = np.arange(lo, hi) if rows is None else rows
    block = (x[rows] @ xt).toarray()
    block[np.arange(rows.size), rows] = -1.0  # not its own neighbour
    part = np.argpartition(-block, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(block, part, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(vals, order, axis=1)


def _candidates(xr: sparse.csr_matrix, top: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, col) of the `top` best partial scores per row of xr @ xr.T (zeros dropped)."""
    try:
        from sparse_dot_topn import sp_matmul_topn
    except ImportError:  # slower, same result: chunked scipy product
        xrt = xr.T.tocsr()
        rows, cols = [], []
        for lo in range(0, xr.shape[0], step):
            block = (xr[lo : lo + step] @ xrt).toarray()
            t = min(top, block.shape[1])
            part = np.argpartition(-block, t - 1, axis=1)[:, :t]
            vals = np.take_along_axis(block, part, axis=1)
            r, c = np.nonzero(vals > 0)
            rows.append(r + lo)
            cols.append(part[r, c])
        return np.concatenate(rows), np.concatenate(cols)
    cand = sp_matmul_topn(xr, xr.T.tocsr(), top_n=top, n_threads=2).tocoo()
    return cand.row.astype(np.int64), cand.col.astype(np.int64)


def top_neighbours(
    x: sparse.csr_matrix,
    k: int,
    chunk_cells: int = 20_000_000,
    exact_max: int | None = None,
    candidate_max_df: float | None = None,
    candidates: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The k most similar other rows of each row of an l2-normalised sparse matrix.

    Exact for up to `exact_max` rows: all pairs, in row chunks holding at
    most `chunk_cells` similarities at once. Above that, all-pairs is
    quadratic in the rows that share common n-grams, so candidates are
    generated from the rarer n-grams only (document frequency ≤
    `candidate_max_df` × rows), the best `candidates` per row re-scored with
    the exact cosine, and rows without any candidate searched exactly. Near copies share
    their rare n-grams, so copies are found; a low nearest cosine may be
    underestimated (the benchmark reports the error on a sample).

    Returns (indices, cosines), both n × k, sorted by cosine descending;
    missing neighbours are index −1 and cosine 0. A tuning value left None
    takes its `config.scoring.theme` default.
    """
    x = sparse.csr_matrix(x, dtype=np.float32)
    n = x.shape[0]
    exact_max = _DEFAULT.exact_max if exact_max is None else exact_max
    candidate_max_df = _DEFAULT.candidate_max_df if candidate_max_df is None else candidate_max_df
    candidates = _DEFAULT.candidates if candidates is None else candidates
    k_eff = max(0, min(k, n - 1))
    idx = np.full((n, k), -1, dtype=np.int64)
    sim = np.zeros((n, k), dtype=np.float32)
    if k_eff == 0:
        return idx, sim
    xt = x.T.tocsr()
    step = max(1, chunk_cells // max(n, 1))
    if n <= exact_max:
        for lo in range(0, n, step):
            hi = min(n, lo + step)
            i, v = _exact_block(x, xt, lo, hi, k_eff)
            idx[lo:hi, :k_eff], sim[lo:hi, :k_eff] = i, np.clip(v, 0, 1)
        return idx, sim
    df = np.asarray((x > 0).sum(axis=0)).ravel()
    rare = sparse.diags((df <= max(2, candidate_max_df * n)).astype(np.float32))
    xr = (x @ rare).tocsr()
    xr.eliminate_zeros()
    ci, cj = _candidates(xr, candidates + 1, step)
    keep = ci != cj
    ci, cj = ci[keep], cj[keep]
    # exact cosine of each candidate pair, in chunks of pairs
    exact = np.empty(ci.size, dtype=np.float32)
    for lo in range(0, ci.size, 200_000):
        sl = slice(lo, lo + 200_000)
        exact[sl] = np.asarray(x[ci[sl]].multiply(x[cj[sl]]).sum(axis=1)).ravel()
    order = np.lexsort((-exact, ci))
    ci, cj, exact = ci[order], cj[order], exact[order]
    start = np.searchsorted(ci, np.arange(n))
    rank = np.arange(ci.size) - start[ci]
    top = rank < k_eff
    idx[ci[top], rank[top]] = cj[top]
    sim[ci[top], rank[top]] = np.clip(exact[top], 0, 1)
    lonely = np.setdiff1d(np.arange(n), ci)
    for lo in range(0, lonely.size, step):
        rows = lonely[lo : lo + step]
        i, v = _exact_block(x, xt, 0, 0, k_eff, rows)
        idx[rows, :k_eff], sim[rows, :k_eff] = i, np.clip(v, 0, 1)
    return idx, sim


def theme_measures(
    units: pd.DataFrame,
    slogans: Sequence[str],
    copy_cosine: float = _SCORING.copy_cosine,
    neighbours: int = _SCORING.theme_neighbours,
    params: ScoringTheme | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Theme sub-indicators per unit and the copy clusters.

    `units` has columns unit_id, theme (as written, may be missing) and
    keywords (list of str or None). Returns (measures, clusters): measures has
    one row per unit (same order) with theme_missing, theme_generic,
    theme_nearest, theme_copies (other units in its copy cluster),
    theme_keywords (hits, joined by 、), theme_keyword, theme_target,
    theme_cluster (Int64, NA when alone), unclear_theme (0–100);
    clusters has cluster_id, unit_id, theme, size (clusters of 2 or more).
    `params`: `config.scoring.theme` (its defaults when None).
    """
    params = params or _DEFAULT
    w = params.weights.normalised()
    n = len(units)
    norm = [normalise_theme(t) for t in units["theme"].tolist()]
    missing = np.array([is_missing_theme(s, params.min_chars) for s in norm], dtype=bool)
    kws = units["keywords"].tolist() if "keywords" in units else [None] * n
    hits = [keyword_hits(s, k) for s, k in zip(norm, kws, strict=True)]
    target = np.array([has_target(s) for s in norm], dtype=bool)

    generic = np.zeros(n)
    nearest = np.zeros(n)
    cluster = np.full(n, -1, dtype=np.int64)
    present = np.flatnonzero(~missing)
    if present.size:
        texts = [norm[i] for i in present]
        slog = [s for s in (normalise_theme(x) for x in slogans) if s]
        uniq, inverse, counts = np.unique(
            np.array(texts, dtype=object).astype(str), return_inverse=True, return_counts=True
        )
        m = len(uniq)
        # IDF over the round's themes (copies counted) plus the slogans
        xall = weighted_tfidf([*uniq.tolist(), *slog], np.r_[counts, np.ones(len(slog))])
        xu = xall[:m]
        if slog:
            gs = (xu @ xall[m:].T).toarray().max(axis=1)
            generic[present] = np.clip(gs[inverse], 0, 1)
        nidx, nsim = top_neighbours(
            xu,
            neighbours,
            exact_max=params.exact_max,
            candidate_max_df=params.candidate_max_df,
            candidates=params.candidates,
        )
        best = nsim[:, 0] if nsim.shape[1] else np.zeros(len(uniq))
        best = np.where(counts > 1, 1.0, best)  # an exact copy elsewhere
        nearest[present] = best[inverse]
        # copy graph over distinct themes: near pairs; exact copies share a node
        rows, cols = np.nonzero((nsim >= copy_cosine) & (nidx >= 0))
        g = sparse.coo_matrix((np.ones(rows.size), (rows, nidx[rows, cols])), shape=(m, m))
        _, label = connected_components(g, directed=False)
        comp_units = np.bincount(label, weights=counts)
        unit_label = label[inverse]
        in_cluster = comp_units[unit_label] >= 2
        cluster[present[in_cluster]] = unit_label[in_cluster]

    # renumber clusters 1..C by their first unit_id so the ids do not depend on row order
    ids = units["unit_id"].astype(str).to_numpy()
    size = np.zeros(n, dtype=np.int64)
    cluster_id = pd.array([pd.NA] * n, dtype="Int64")
    if (cluster >= 0).any():
        frame = pd.DataFrame({"c": cluster, "u": ids})[cluster >= 0]
        first = frame.groupby("c")["u"].min().sort_values()
        renum = {c: i + 1 for i, c in enumerate(first.index)}
        sizes = frame.groupby("c").size()
        for i in np.flatnonzero(cluster >= 0).tolist():
            cluster_id[i] = renum[cluster[i]]
            size[i] = sizes[cluster[i]]

    distinct_deficit = np.maximum(generic, nearest)
    index = 100 * (
        w["distinct"] * distinct_deficit
        + w["keyword"] * np.array([not h for h in hits], dtype=bool)
        + w["target"] * (~target)
    )
    index = np.where(missing, 100.0, np.clip(index, 0, 100))
    measures = pd.DataFrame(
        {
            "unit_id": units["unit_id"].to_numpy(),
            "theme_missing": missing,
            "theme_generic": np.where(missing, np.nan, generic),
            "theme_nearest": np.where(missing, np.nan, nearest),
            "theme_copies": np.maximum(size - 1, 0),
            "theme_keywords": ["、".join(h) for h in hits],
            "theme_keyword": np.array([bool(h) for h in hits], dtype=bool) & ~missing,
            "theme_target": target & ~missing,
            "theme_cluster": cluster_id,
            "unclear_theme": index,
        }
    )
    clusters = pd.DataFrame(
        {
            "cluster_id": cluster_id,
            "unit_id": units["unit_id"].astype("string").to_numpy(),
            "theme": units["theme"].astype("string").to_numpy(),
            "size": pd.array(size, dtype="Int64"),
        }
    )
    clusters = clusters[clusters["cluster_id"].notna()].sort_values(["cluster_id", "unit_id"])
    return measures, clusters.reset_index(drop=True)
