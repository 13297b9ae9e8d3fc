"""Reference numbers from shared/scoring-references.md."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import REFERENCE_DATA

from pipeline.score.measures import (
    arithmetic_mean,
    bunching,
    geometric_mean,
    gini,
    minmax,
    modified_z,
    outlier_screen,
    theil,
    theil_decomposition,
    weighted_mean,
    winsorise,
)

YEARS = [f"pcgdp{y}" for y in range(1940, 2001, 10)]
T_REF = [0.20894344, 0.15222451, 0.10472941, 0.10194725, 0.09560113, 0.10511256, 0.10660832]
B_REF = [0.0345889, 0.02816853, 0.05260921, 0.05931219, 0.03205257, 0.02963731, 0.03635872]
W_REF = [0.17435454, 0.12405598, 0.0521202, 0.04263506, 0.06354856, 0.07547525, 0.0702496]


@pytest.fixture(scope="module")
def mexico() -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DATA / "mexico.csv")


def test_theil_mexico(mexico):
    for col, t, b, w in zip(YEARS, T_REF, B_REF, W_REF, strict=True):
        assert theil(mexico[col]) == pytest.approx(t, abs=1e-7)
        split = theil_decomposition(mexico[col], mexico["hanson98"])
        assert split.theil == pytest.approx(t, abs=1e-7)
        assert split.between == pytest.approx(b, abs=1e-7)
        assert split.within == pytest.approx(w, abs=1e-7)
        assert split.between + split.within == pytest.approx(split.theil, abs=1e-12)


def test_gini_mexico(mexico):
    assert gini(mexico["pcgdp1940"]) == pytest.approx(0.35372371173452849, abs=1e-12)


def test_theil_small_cases():
    s = theil_decomposition([0, 0, 0, 10, 10, 10], [0, 0, 0, 1, 1, 1])
    assert s.theil == pytest.approx(math.log(2))
    assert s.between == pytest.approx(math.log(2))
    assert s.within == pytest.approx(0.0)
    s = theil_decomposition([1, 2, 3, 4, 5, 6], list("AAABBB"))
    assert (s.theil, s.between, s.within) == pytest.approx(
        (0.12938251, 0.09487759, 0.03450492), abs=1e-8
    )
    assert gini([1, 2, 3, 4, 5, 6]) == pytest.approx(5 / 18)
    assert theil([10, 20, 30, 40, 50]) == pytest.approx(0.11968759, abs=1e-8)
    # scale-free: all at 10 % and all at 90 % both give 0
    assert theil([0.1] * 5) == pytest.approx(0.0)
    assert theil([0.9] * 5) == pytest.approx(0.0)
    assert theil([]) == 0.0 and theil([0, 0]) == 0.0


def test_modified_z_and_fallback():
    m = modified_z([1, 2, 3, 4, 5, 6, 100])
    assert m == pytest.approx([-1.01175, -0.6745, -0.33725, 0, 0.33725, 0.6745, 32.376], abs=1e-3)
    m = modified_z([10] * 7 + [100])
    assert m[-1] == pytest.approx(6.3831, abs=1e-4)
    assert abs(m[-1]) > 3.5  # the fallback flags; a MAD-only version would divide by 0
    assert np.all(modified_z([3, 3, 3]) == 0)
    m = modified_z([1.0, np.nan, 3.0])
    assert np.isnan(m[1])


S, D = date(2024, 1, 1), date(2024, 6, 30)
EVEN = [date(2024, m, 15) for m in range(1, 7)]
BUNCHED = [date(2024, 1, 10)] + [date(2024, 6, d) for d in (5, 10, 15, 20, 25)]
LAST_WEEK = [date(2024, 6, d) for d in range(25, 31)]


@pytest.mark.parametrize(
    ("dates", "n_w", "ds", "hr", "bi", "p", "dss", "h", "cov"),
    [
        (EVEN, 1, 0.1667, 1.011, 0.0022, 0.661, None, 1.0, 1.0),
        (BUNCHED, 5, 0.8333, 5.056, 0.8004, 6.30e-4, 0.5295, 0.2515, 0.3333),
        (LAST_WEEK, 6, 1.0, 6.067, 1.0, 2.01e-5, 0.6204, 0.0, 0.1667),
    ],
)
def test_bunching_table(dates, n_w, ds, hr, bi, p, dss, h, cov):
    b = bunching(dates, S, D, window=30, shrinkage=5)
    assert b.e == pytest.approx(0.1648, abs=1e-4)
    assert b.n == 6 and b.n_w == n_w
    assert b.ds == pytest.approx(ds, abs=1e-4)
    assert b.hr == pytest.approx(hr, abs=1e-3)
    assert b.bi == pytest.approx(bi, abs=1e-4)
    assert b.p == pytest.approx(p, rel=5e-3)
    if dss is not None:
        assert b.ds_shrunk == pytest.approx(dss, abs=1e-4)
    assert b.entropy == pytest.approx(h, abs=1e-4)
    assert b.coverage == pytest.approx(cov, abs=1e-4)
    assert b.months == 6


def test_skew_kurtosis_screen():
    x = [*range(1, 11), 100]
    sc = outlier_screen(x)
    assert sc.skew == pytest.approx(3.2556381840605, abs=1e-10)
    assert sc.kurtosis == pytest.approx(10.706673906422, abs=1e-9)
    assert sc.needs_treatment
    w = winsorise(x)
    assert w[-1] == 10
    assert not outlier_screen(w).needs_treatment


def test_means():
    a = np.array([[0.1, 0.9], [0.5, 0.5], [0.4, 0.4]])
    assert arithmetic_mean(a) == pytest.approx([0.5, 0.5, 0.4])
    assert geometric_mean(a) == pytest.approx([0.3, 0.5, 0.4])
    assert weighted_mean(np.arange(1, 11), np.arange(10, 0, -1)) == pytest.approx(4.0)


def test_minmax():
    assert minmax([0, 5, 10]) == pytest.approx([1, 50.5, 100])
    assert minmax([3, 3]) == pytest.approx([50.5, 50.5])
    assert minmax([20], bounds=(0, 10)) == pytest.approx([100])
