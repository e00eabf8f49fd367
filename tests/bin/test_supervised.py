"""SupervisedBinner: constraints hold, the DP is optimal (brute force), IV/WoE recompute from the table."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles.binning import best_partition_bruteforce, woe_iv_ref

from tabprep._native import binning as nb
from tabprep.bin import SupervisedBinner
from tabprep.errors import ConfigError, DataError
from tabprep.pipeline import Step


def _binary(n=5000, seed=0, shape="monotone", missing=0.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    logit = {"monotone": 1.5 * x, "u": 1.5 * (x * x - 1), "flat": 0.0 * x}[shape]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    if missing:
        x[rng.random(n) < missing] = np.nan
    return pl.DataFrame({"x": x}).with_columns(pl.col("x").fill_nan(None)), y


def _continuous(n=5000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, size=n)
    return pl.DataFrame({"x": x}), np.sin(x) * 2 + rng.normal(size=n)


def _rates(sb, column="x"):
    t = sb.bin_table_.filter((pl.col("column") == column) & ~pl.col("is_missing"))
    return (t["event_rate"] if sb.target_type_ == "binary" else t["mean"]).to_numpy(), t["count"].to_numpy()


# ---------------------------------------------------------------------------- the DP kernel

@settings(max_examples=300, deadline=None)
@given(
    data=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)).filter(lambda t: t[0] + t[1] > 0),
                  min_size=1, max_size=8),
    max_bins=st.integers(1, 6),
    min_count=st.integers(0, 60),
    monotonic=st.sampled_from([None, "ascending", "descending"]),
    reg=st.sampled_from([0.5, 1.0, 3.0]),
)
def test_dp_is_optimal_binary(data, max_bins, min_count, monotonic, reg):
    counts = np.array([a + b for a, b in data], dtype=np.float64)
    events = np.array([a for a, _ in data], dtype=np.float64)
    E, Q = events.sum(), counts.sum() - events.sum()
    if E == 0 or Q == 0:
        return
    code = {None: 0, "ascending": 1, "descending": -1}[monotonic]
    cuts = nb.optimal_partition(counts, events, max_bins, float(min_count), code, 0, E, Q, reg)
    ref_score, ref_cuts = best_partition_bruteforce(counts, events, max_bins=max_bins, min_count=min_count,
                                                    monotonic=monotonic, objective="iv", regularization=reg)
    assert (cuts is None) == (ref_cuts is None)
    if cuts is not None:
        groups = list(zip(cuts[:-1], cuts[1:]))
        c = np.array([counts[a:b].sum() for a, b in groups])
        e = np.array([events[a:b].sum() for a, b in groups])
        assert (c >= min_count).all() and len(groups) <= max_bins
        _, iv = woe_iv_ref(e, c - e, E, Q, reg)
        assert iv.sum() == pytest.approx(ref_score, rel=1e-9, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    data=st.lists(st.tuples(st.integers(1, 30), st.floats(-5, 5)), min_size=1, max_size=8),
    max_bins=st.integers(1, 6),
    min_count=st.integers(0, 40),
    monotonic=st.sampled_from([None, "ascending", "descending"]),
)
def test_dp_is_optimal_continuous(data, max_bins, min_count, monotonic):
    counts = np.array([c for c, _ in data], dtype=np.float64)
    sums = np.array([c * m for c, m in data], dtype=np.float64)
    sumsq = sums * sums / counts + counts  # any values >= sum^2/count
    code = {None: 0, "ascending": 1, "descending": -1}[monotonic]
    cuts = nb.optimal_partition(counts, sums, max_bins, float(min_count), code, 1)
    ref_score, ref_cuts = best_partition_bruteforce(counts, None, max_bins=max_bins, min_count=min_count,
                                                    monotonic=monotonic, objective="sse", sums=sums, sumsq=sumsq)
    assert (cuts is None) == (ref_cuts is None)
    if cuts is not None:
        groups = list(zip(cuts[:-1], cuts[1:]))
        c = np.array([counts[a:b].sum() for a, b in groups])
        s = np.array([sums[a:b].sum() for a, b in groups])
        s2 = np.array([sumsq[a:b].sum() for a, b in groups])
        assert -(s2 - s * s / c).sum() == pytest.approx(ref_score, rel=1e-9, abs=1e-9)


def test_dp_argument_checks():
    with pytest.raises(ValueError):
        nb.optimal_partition(np.ones(3), np.ones(2), 2, 0.0, 0, 1)
    with pytest.raises(ValueError):
        nb.optimal_partition(np.ones(3), np.ones(3), 2, 0.0, 2, 1)
    with pytest.raises(ValueError):
        nb.optimal_partition(np.ones(3), np.zeros(3), 2, 0.0, 0, 0, 0.0, 3.0)
    assert nb.optimal_partition(np.ones(3), np.ones(3), 2, 10.0, 0, 1) is None


# ---------------------------------------------------------------------------- the step

@pytest.mark.parametrize("method", ["optimal", "tree"])
@pytest.mark.parametrize("monotonic", ["ascending", "descending", "auto"])
@pytest.mark.parametrize("shape", ["monotone", "u"])
def test_monotonic_constraint_holds(method, monotonic, shape):
    X, y = _binary(shape=shape, seed=1)
    sb = SupervisedBinner(method=method, monotonic=monotonic, max_bins=8).fit(X, y)
    rates, _ = _rates(sb)
    direction = sb.monotonic_[0]
    assert direction == (monotonic if monotonic != "auto" else direction)
    diffs = np.diff(rates)
    assert (diffs >= 0).all() if direction == "ascending" else (diffs <= 0).all()
    if shape == "monotone" and monotonic == "auto":
        assert direction == "ascending" and sb.n_bins_[0] > 2


@pytest.mark.parametrize("method", ["optimal", "tree"])
def test_monotonic_continuous_target(method):
    X, y = _continuous(seed=2)
    sb = SupervisedBinner(method=method, monotonic="descending", max_bins=6).fit(X, y)
    assert sb.target_type_ == "continuous" and np.isnan(sb.iv_[0])
    means, _ = _rates(sb)
    assert (np.diff(means) <= 0).all()


@pytest.mark.parametrize("method", ["optimal", "tree"])
@pytest.mark.parametrize("min_bin_size", [0.05, 0.2, 600, 1])
def test_min_bin_size_and_max_bins_hold(method, min_bin_size):
    X, y = _binary(seed=3, shape="u", missing=0.1)
    sb = SupervisedBinner(method=method, min_bin_size=min_bin_size, max_bins=7).fit(X, y)
    _, counts = _rates(sb)
    n_valid = X["x"].drop_nulls().len()
    need = min_bin_size if isinstance(min_bin_size, int) else int(np.ceil(min_bin_size * n_valid))
    assert (counts >= need).all()
    assert 1 <= sb.n_bins_[0] <= 7
    assert counts.sum() == n_valid


def test_iv_and_woe_recompute_from_bin_table():
    X, y = _binary(seed=4, shape="u", missing=0.05)
    sb = SupervisedBinner(monotonic=None, regularization=0.5).fit(X, y)
    t = sb.bin_table_
    assert t.columns[:7] == ["column", "bin", "is_missing", "lower", "upper", "count", "count_share"]
    ev, non = t["events"].to_numpy(), t["non_events"].to_numpy()
    assert ev.sum() == y.sum() and (ev + non).sum() == len(y)
    woe, iv = woe_iv_ref(ev, non, regularization=0.5)
    np.testing.assert_allclose(t["woe"].to_numpy(), woe, rtol=1e-12)
    np.testing.assert_allclose(t["iv"].to_numpy(), iv, rtol=1e-12)
    assert sb.iv_[0] == pytest.approx(iv.sum(), rel=1e-12)
    np.testing.assert_allclose(t["event_rate"].to_numpy(), ev / (ev + non))


def test_codes_follow_the_edges_and_missing_gets_its_own_bin():
    X, y = _binary(seed=5, missing=0.1)
    sb = SupervisedBinner(max_bins=5).fit(X, y)
    codes = sb.transform(X)["x"]
    assert codes.dtype == pl.Int32
    x = X["x"].to_numpy()
    inner = sb.bin_edges_[0][1:-1]
    valid = ~np.isnan(x)
    np.testing.assert_array_equal(codes.to_numpy()[valid], np.searchsorted(inner, x[valid], side="right"))
    assert (codes.to_numpy()[~valid] == sb.n_bins_[0]).all()
    t = sb.bin_table_
    np.testing.assert_array_equal(np.bincount(codes.to_numpy(), minlength=sb.n_bins_[0] + 1), t["count"].to_numpy())
    null = SupervisedBinner(max_bins=5, handle_missing="null").fit(X, y).transform(X)["x"]
    assert null.null_count() == (~valid).sum()
    with pytest.raises(DataError, match="missing"):
        SupervisedBinner(handle_missing="error").fit(X, y).transform(X)


def test_optimal_beats_or_ties_tree_on_the_same_prebins():
    for seed in range(3):
        X, y = _binary(seed=10 + seed, shape="u")
        for mono in (None, "auto"):
            opt = SupervisedBinner(method="optimal", monotonic=mono, max_bins=6).fit(X, y)
            tree = SupervisedBinner(method="tree", monotonic=mono, max_bins=6).fit(X, y)
            assert opt.iv_[0] >= tree.iv_[0] - 1e-12


def test_feeds_the_woe_encoder():
    WOEEncoder = pytest.importorskip("tabprep.encode").WOEEncoder

    X, y = _binary(seed=6, missing=0.05)
    sb = SupervisedBinner(max_bins=6, regularization=1.0).fit(X, y)
    codes = sb.transform(X)
    enc = WOEEncoder(regularization=1.0).fit(codes, y)
    table = sb.bin_table_
    # categories are the sorted codes (the missing bin is the last code)
    cats = np.asarray(enc.categories_[0])
    woe_by_code = dict(zip(table["bin"].to_list(), table["woe"].to_list()))
    np.testing.assert_allclose(np.asarray(enc.encodings_[0]), [woe_by_code[int(c)] for c in cats], rtol=1e-12)
    # the documented chaining: a scikit-learn pipeline passes y to both steps
    from sklearn.pipeline import make_pipeline

    pipe = make_pipeline(SupervisedBinner(max_bins=6), WOEEncoder()).fit(X, y)
    out = pipe.transform(X)
    assert out["x"].dtype == pl.Float64 and out["x"].n_unique() <= 7
    np.testing.assert_allclose(np.sort(out["x"].unique().to_numpy()), np.sort(np.asarray(enc.encodings_[0])))


def test_target_errors():
    X, y = _binary(seed=7)
    with pytest.raises(DataError, match="requires y"):
        SupervisedBinner().fit(X)
    with pytest.raises(DataError, match="missing"):
        SupervisedBinner().fit(X, np.where(np.arange(len(y)) == 3, np.nan, y))
    with pytest.raises(DataError, match="two classes"):
        SupervisedBinner(target_type="binary").fit(X, np.arange(len(y)) % 3)
    with pytest.raises(ConfigError, match="monotonic"):
        SupervisedBinner(monotonic="up").fit(X, y)
    # string labels: the larger one is the event
    sb = SupervisedBinner(max_bins=3).fit(X, np.where(y == 1, "yes", "no"))
    assert sb.classes_ == ["no", "yes"] and sb.bin_table_["events"].sum() == y.sum()


def test_edge_cases_constant_and_all_missing_columns():
    X = pl.DataFrame({"c": [1.0] * 50, "m": [None] * 50, "x": np.arange(50.0)}, schema={"c": pl.Float64, "m": pl.Float64, "x": pl.Float64})
    y = np.arange(50) % 2
    sb = SupervisedBinner(max_bins=3).fit(X, y)
    assert sb.n_bins_.tolist()[:2] == [1, 1]
    out = sb.transform(X)
    assert out["c"].to_list() == [0] * 50 and out["m"].to_list() == [1] * 50


def test_serialization_roundtrip_and_determinism():
    X, y = _binary(seed=8, missing=0.05)
    sb = SupervisedBinner(monotonic="auto").fit(X, y)
    d = sb.to_dict()
    tables = d.pop("tables")
    d2 = json.loads(json.dumps(d))
    d2["tables"] = tables
    back = Step.from_dict(d2)
    assert back.transform(X).equals(sb.transform(X))
    assert back.bin_table_.equals(sb.bin_table_)
    np.testing.assert_array_equal(back.iv_, sb.iv_)
    again = SupervisedBinner(monotonic="auto").fit(X, y)
    assert again.to_dict()["state"] == sb.to_dict()["state"]


def test_large_input_through_the_selection_path():
    X, y = _binary(n=120_000, seed=9, shape="u", missing=0.02)
    sb = SupervisedBinner(max_bins=8, monotonic="auto").fit(X, y)
    rates, counts = _rates(sb)
    assert counts.sum() == X["x"].drop_nulls().len() and (counts >= 0.05 * counts.sum()).all()


def test_infinity_is_refused_at_fit_and_at_transform_naming_the_row():
    # scikit-learn's trees refuse it; binned, an infinity would land in an end bin silently
    x = np.linspace(0, 10, 200)
    y = (x > 5).astype(int)
    step = SupervisedBinner().fit(pl.DataFrame({"a": x}), y)
    new = pl.DataFrame({"a": [1.0, 9.0, float("-inf")]})
    with pytest.raises(DataError, match="SupervisedBinner expects finite values") as info:
        step.transform(new)
    assert (info.value.column, info.value.row) == ("a", 2)
    assert step.transform(new.head(2))["a"].to_list() == [0, 1]
    bad = x.copy()
    bad[37] = np.inf
    with pytest.raises(DataError, match="SupervisedBinner expects finite values") as info:
        SupervisedBinner().fit(pl.DataFrame({"a": bad}), y)
    assert (info.value.column, info.value.row) == ("a", 37)
