"""User-defined compiled features (NumbaTransformer) against the same feature written as Polars
expressions and as ``map_batches`` + NumPy.

- haversine distance of two lat/lon pairs (row-wise): ours ``NumbaTransformer(kind="row")``;
- per-group exponentially weighted mean (alpha 0.3, adjust=False) over 10,000 groups: ours
  ``NumbaTransformer(kind="group")``; Polars ``ewm_mean(...).over("g")``; map_batches with
  ``scipy.signal.lfilter`` per group (the recursion as a linear filter, NumPy-speed per group).

Goal (issue 17): faster than map_batches + NumPy; reported against expressions. The function is
compiled before timing (a fitted step's first transform); every case checks its numbers against
the others'.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from numpy.testing import assert_allclose

HAV = "haversine (4 cols)"
EWM = "per-group EWM mean (10k groups)"
ALPHA = 0.3


def haversine(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * 6371.0 * math.asin(math.sqrt(a))


def ewm(x):
    out = np.empty(len(x))
    m = x[0] if len(x) else 0.0
    for i in range(len(x)):
        m = ALPHA * x[i] + (1.0 - ALPHA) * m if i else x[0]
        out[i] = m
    return out


@pytest.fixture(scope="module")
def geo(bench_rows):
    rng = np.random.default_rng(0)
    n = bench_rows
    return pl.DataFrame({"lat1": rng.uniform(-80, 80, n), "lon1": rng.uniform(-179, 179, n),
                         "lat2": rng.uniform(-80, 80, n), "lon2": rng.uniform(-179, 179, n),
                         "g": rng.integers(0, 10_000, n), "x": rng.normal(size=n)})


def _hav_numpy(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2.0 * 6371.0 * np.arcsin(np.sqrt(a))


@pytest.fixture(scope="module")
def hav_ref(geo):
    return _hav_numpy(*(geo[c].to_numpy() for c in ("lat1", "lon1", "lat2", "lon2")))


def test_haversine_numba(benchmark, pair, geo, hav_ref):
    from tabprep.features import NumbaTransformer

    pair(benchmark, HAV, "tabprep NumbaTransformer", "ours")
    step = NumbaTransformer(haversine, inputs=["lat1", "lon1", "lat2", "lon2"], outputs={"km": "Float64"}).fit(geo)
    step.transform(geo.head(10))  # compiled before timing
    out = benchmark(lambda: step.transform(geo))
    assert_allclose(out["km"].to_numpy(), hav_ref, rtol=1e-12)


def test_haversine_polars_expressions(benchmark, pair, geo, hav_ref):
    pair(benchmark, HAV, "polars expressions", "peer")
    p1, p2 = pl.col("lat1").radians(), pl.col("lat2").radians()
    a = (((p2 - p1) / 2).sin() ** 2
         + p1.cos() * p2.cos() * ((pl.col("lon2") - pl.col("lon1")).radians() / 2).sin() ** 2)
    expr = (2.0 * 6371.0 * a.sqrt().arcsin()).alias("km")
    out = benchmark(lambda: geo.with_columns(expr))
    assert_allclose(out["km"].to_numpy(), hav_ref, rtol=1e-12)


def test_haversine_map_batches_numpy(benchmark, pair, geo, hav_ref):
    pair(benchmark, HAV, "map_batches + NumPy", "peer")

    def batch(s):
        return pl.Series(_hav_numpy(*(s.struct.field(c).to_numpy() for c in ("lat1", "lon1", "lat2", "lon2"))))

    expr = pl.struct("lat1", "lon1", "lat2", "lon2").map_batches(batch, return_dtype=pl.Float64).alias("km")
    out = benchmark(lambda: geo.with_columns(expr))
    assert_allclose(out["km"].to_numpy(), hav_ref, rtol=1e-12)


@pytest.fixture(scope="module")
def ewm_ref(geo):
    return geo.select(pl.col("x").ewm_mean(alpha=ALPHA, adjust=False).over("g"))["x"].to_numpy()


def test_group_ewm_numba(benchmark, pair, geo, ewm_ref):
    from tabprep.features import NumbaTransformer

    pair(benchmark, EWM, "tabprep NumbaTransformer", "ours")
    step = NumbaTransformer(ewm, inputs="x", outputs={"e": "Float64"}, kind="group", by="g").fit(geo)
    step.transform(geo.head(10))
    out = benchmark(lambda: step.transform(geo))
    assert_allclose(out["e"].to_numpy(), ewm_ref, rtol=1e-10, atol=1e-12)


def test_group_ewm_polars_expressions(benchmark, pair, geo, ewm_ref):
    pair(benchmark, EWM, "polars ewm_mean().over()", "peer")
    expr = pl.col("x").ewm_mean(alpha=ALPHA, adjust=False).over("g").alias("e")
    out = benchmark(lambda: geo.with_columns(expr))
    assert_allclose(out["e"].to_numpy(), ewm_ref, rtol=1e-10, atol=1e-12)


def test_group_ewm_map_batches_numpy(benchmark, pair, geo, ewm_ref):
    from scipy.signal import lfilter

    pair(benchmark, EWM, "map_batches + NumPy/SciPy lfilter", "peer")

    def batch(s):
        g = s.struct.field("g").to_numpy()
        x = s.struct.field("x").to_numpy()
        order = np.argsort(g, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(g[order]) != 0])
        out = np.empty(len(x))
        xs = x[order]
        res = np.empty(len(x))
        for s0, s1 in zip(starts, np.r_[starts[1:], len(x)]):
            seg = xs[s0:s1]
            res[s0:s1] = lfilter([ALPHA], [1.0, ALPHA - 1.0], seg, zi=[(1.0 - ALPHA) * seg[0]])[0]
        out[order] = res
        return pl.Series(out)

    expr = pl.struct("g", "x").map_batches(batch, return_dtype=pl.Float64).alias("e")
    out = benchmark(lambda: geo.with_columns(expr))
    assert_allclose(out["e"].to_numpy(), ewm_ref, rtol=1e-10, atol=1e-12)
