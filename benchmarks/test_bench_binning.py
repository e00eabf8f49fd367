"""Binning: quantile bins (fit + transform), the bin search alone, supervised binning.

Data: ``synthetic_df["num_0"]`` (skewed, ~5% nulls) with the nulls dropped, because
scikit-learn's KBinsDiscretizer refuses missing values; every case bins the same values.

- ``quantile_bins_32 fit+transform``: ours ``KBinsDiscretizer(32, encode="ordinal",
  subsample=None)`` on a Polars frame (exact quantiles by selection + compiled branch-free search)
  vs scikit-learn's exact ``KBinsDiscretizer(subsample=None)`` (goal: >= 6x faster, identical
  edges and codes -- asserted), vs NumPy ``percentile`` + ``searchsorted``, vs pure Polars
  (``quantile`` + ``search_sorted``; Polars' quantile has no averaged_inverted_cdf, so it runs
  ``linear``, checked against NumPy's linear method);
- ``bin_search_32``: the transform alone (edges given): our kernel vs ``np.searchsorted`` vs
  Polars ``search_sorted`` (the kernel stays only while it wins);
- ``supervised_bins binary``: ``SupervisedBinner`` (optimal DP and tree, fit + transform) vs
  feature-engine's ``DecisionTreeDiscretiser`` (skipped when feature-engine is not installed;
  one depth, cv=2: its minimum) and a scikit-learn decision tree with the same leaf budget.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

N_BINS = 32
ROUNDS = 3
OP_FIT = f"quantile_bins_{N_BINS} fit+transform"
OP_SEARCH = f"bin_search_{N_BINS}"
OP_SUP = "supervised_bins binary (fit+transform)"


@pytest.fixture(scope="module")
def column(synthetic_df):
    """(Polars frame with the non-null num_0 values, the same as a NumPy array, y_bin for them)."""
    df = synthetic_df.select("num_0", "y_bin").drop_nulls("num_0").rechunk()
    return df.select("num_0"), df["num_0"].to_numpy(), df["y_bin"].to_numpy()


@pytest.fixture(scope="module")
def sklearn_reference(column):
    from sklearn.preprocessing import KBinsDiscretizer

    _, x, _ = column
    sk = KBinsDiscretizer(N_BINS, encode="ordinal", strategy="quantile", subsample=None).fit(x[:, None])
    return sk.bin_edges_[0], sk.transform(x[:, None])[:, 0]


def test_quantile_bins_tabprep(benchmark, pair, column, sklearn_reference):
    from tabprep.bin import KBinsDiscretizer

    pair(benchmark, OP_FIT, "tabprep KBinsDiscretizer (exact, selection + compiled search)", "ours")
    df, _, _ = column
    step = KBinsDiscretizer(N_BINS, encode="ordinal", subsample=None)
    out = benchmark.pedantic(lambda: step.fit(df).transform(df), rounds=ROUNDS, iterations=1)
    edges, codes = sklearn_reference
    np.testing.assert_array_equal(step.bin_edges_[0], edges)
    np.testing.assert_array_equal(out["num_0"].to_numpy(), codes)


def test_quantile_bins_sklearn(benchmark, pair, column, sklearn_reference):
    from sklearn.preprocessing import KBinsDiscretizer

    pair(benchmark, OP_FIT, "scikit-learn KBinsDiscretizer(subsample=None)", "peer")
    _, x, _ = column
    X = x[:, None]
    est = KBinsDiscretizer(N_BINS, encode="ordinal", strategy="quantile", subsample=None)
    out = benchmark.pedantic(lambda: est.fit(X).transform(X), rounds=ROUNDS, iterations=1)
    np.testing.assert_array_equal(out[:, 0], sklearn_reference[1])


def test_quantile_bins_numpy(benchmark, pair, column, sklearn_reference):
    pair(benchmark, OP_FIT, "numpy percentile + searchsorted", "peer")
    _, x, _ = column
    levels = np.linspace(0, 100, N_BINS + 1)

    def run():
        edges = np.percentile(x, levels, method="averaged_inverted_cdf")
        return np.searchsorted(edges[1:-1], x, side="right")

    out = benchmark.pedantic(run, rounds=ROUNDS, iterations=1)
    np.testing.assert_array_equal(out, sklearn_reference[1])


def test_quantile_bins_polars(benchmark, pair, column):
    pair(benchmark, OP_FIT, "polars quantile(linear) + search_sorted", "peer")
    df, x, _ = column
    qs = np.linspace(0, 1, N_BINS + 1)[1:-1].tolist()

    def run():
        edges = df.select([pl.col("num_0").quantile(q, "linear").alias(str(i)) for i, q in enumerate(qs)]).row(0)
        return df.select(pl.lit(pl.Series(edges)).search_sorted(pl.col("num_0"), side="right"))

    out = benchmark.pedantic(run, rounds=ROUNDS, iterations=1)
    ref_edges = np.quantile(x, qs, method="linear")
    np.testing.assert_array_equal(out.to_series().to_numpy(), np.searchsorted(ref_edges, x, side="right"))


@pytest.fixture(scope="module")
def inner_edges(sklearn_reference):
    return np.ascontiguousarray(sklearn_reference[0][1:-1])


def test_bin_search_kernel(benchmark, pair, column, inner_edges, sklearn_reference):
    from tabprep.kernels._binning import bin_codes, column_buffers

    pair(benchmark, OP_SEARCH, "tabprep bin_codes (branch-free, 8 values at a time, threads)", "ours")
    df, _, _ = column
    s = df["num_0"]
    out = benchmark.pedantic(lambda: bin_codes(column_buffers(s), inner_edges), rounds=ROUNDS, iterations=1)
    np.testing.assert_array_equal(out, sklearn_reference[1])


def test_bin_search_numpy(benchmark, pair, column, inner_edges, sklearn_reference):
    pair(benchmark, OP_SEARCH, "numpy searchsorted", "peer")
    _, x, _ = column
    out = benchmark.pedantic(lambda: np.searchsorted(inner_edges, x, side="right"), rounds=ROUNDS, iterations=1)
    np.testing.assert_array_equal(out, sklearn_reference[1])


def test_bin_search_polars(benchmark, pair, column, inner_edges, sklearn_reference):
    pair(benchmark, OP_SEARCH, "polars search_sorted", "peer")
    df, _, _ = column
    edges = pl.Series(inner_edges)
    out = benchmark.pedantic(lambda: df.select(pl.lit(edges).search_sorted(pl.col("num_0"), side="right")),
                             rounds=ROUNDS, iterations=1)
    np.testing.assert_array_equal(out.to_series().to_numpy(), sklearn_reference[1])


MAX_BINS = 8


@pytest.mark.parametrize("method", ["optimal", "tree"])
def test_supervised_tabprep(benchmark, pair, column, method):
    from tabprep.bin import SupervisedBinner

    pair(benchmark, OP_SUP, f"tabprep SupervisedBinner(method={method!r})", "ours")
    df, x, y = column
    step = SupervisedBinner(method=method, max_bins=MAX_BINS, min_bin_size=0.05)
    out = benchmark.pedantic(lambda: step.fit(df, y).transform(df), rounds=ROUNDS, iterations=1)
    codes = out["num_0"].to_numpy()
    assert 2 <= step.n_bins_[0] <= MAX_BINS and codes.max() < step.n_bins_[0]
    np.testing.assert_array_equal(codes, np.searchsorted(step.bin_edges_[0][1:-1], x, side="right"))
    benchmark.extra_info["iv"] = float(step.iv_[0])


def test_supervised_sklearn_tree(benchmark, pair, column):
    from sklearn.tree import DecisionTreeClassifier

    pair(benchmark, OP_SUP, f"scikit-learn DecisionTreeClassifier(max_leaf_nodes={MAX_BINS}) + searchsorted", "peer")
    _, x, y = column
    X = x[:, None]

    def run():
        tree = DecisionTreeClassifier(max_leaf_nodes=MAX_BINS, min_samples_leaf=0.05, random_state=0).fit(X, y)
        t = tree.tree_
        edges = np.sort(t.threshold[t.feature >= 0])
        return np.searchsorted(edges, x, side="left")  # sklearn trees send x <= threshold left

    out = benchmark.pedantic(run, rounds=ROUNDS, iterations=1)
    assert out.max() < MAX_BINS


def test_supervised_feature_engine(benchmark, pair, column):
    fe = pytest.importorskip("feature_engine.discretisation")
    import pandas as pd

    pair(benchmark, OP_SUP, "feature-engine DecisionTreeDiscretiser(max_depth=3, cv=2)", "peer")
    _, x, y = column
    X = pd.DataFrame({"num_0": x})
    ys = pd.Series(y)

    def run():
        disc = fe.DecisionTreeDiscretiser(cv=2, scoring="roc_auc", variables=["num_0"], bin_output="bin_number",
                                          param_grid={"max_depth": [3]}, regression=False, random_state=0)
        return disc.fit(X, ys).transform(X)

    out = benchmark.pedantic(run, rounds=ROUNDS, iterations=1)
    assert out["num_0"].nunique() <= MAX_BINS
