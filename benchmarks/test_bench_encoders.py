"""Categorical encoders against their best peers, in the same run.

- ordinal fit_transform of ``cat_hi`` (~100k Zipf-distributed values at 10M rows): ours vs Polars
  (``unique().sort()`` then ``cast(pl.Enum(categories)).to_physical()``; goal: ours >= 4x faster)
  and vs scikit-learn's OrdinalEncoder; transform alone vs Polars' Enum cast with known categories.
- one-hot of ``cat_lo`` (20 levels): dense UInt8 frame vs Polars ``to_dummies`` (goal: at least as
  fast); sparse CSR vs scikit-learn's OneHotEncoder (goal: >= 10x faster); the lazy transform
  of the Parquet file's scan, streamed (what a pipeline's transform runs: the fitted encoder's
  expressions, Float32 out) vs Polars' own expressions (a comparison and a cast per level).
- count encoding of ``cat_hi`` vs Polars ``pl.len().over(...)``.
- hashing latency on a 1-row and a 1000-row frame vs scikit-learn's FeatureHasher.

Peers get their natural input, prepared outside the timing (pandas for scikit-learn).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

ROUNDS = 3


def _run(benchmark, fn, *args, rounds=ROUNDS):
    return benchmark.pedantic(fn, args=args, rounds=rounds, iterations=1, warmup_rounds=1)


def _sk_rounds(bench_rows: int) -> int:
    return 1 if bench_rows >= 5_000_000 else ROUNDS


@pytest.fixture(scope="module")
def hi(synthetic_df) -> pl.DataFrame:
    return synthetic_df.select("cat_hi")


@pytest.fixture(scope="module")
def lo(synthetic_df) -> pl.DataFrame:
    return synthetic_df.select("cat_lo")


@pytest.fixture(scope="module")
def hi_pandas(hi):
    return hi.to_pandas()


@pytest.fixture(scope="module")
def lo_pandas(lo):
    return lo.to_pandas()


@pytest.fixture(scope="module")
def hi_sorted_codes(hi) -> np.ndarray:
    s = hi["cat_hi"]
    return s.cast(pl.Enum(s.unique().sort())).to_physical().to_numpy()


# ------------------------------------------------------------------------------------------
# ordinal
# ------------------------------------------------------------------------------------------

def test_ordinal_fit_transform_tabprep(benchmark, pair, hi, hi_sorted_codes):
    pair(benchmark, "ordinal fit_transform (cat_hi)", "tabprep OrdinalEncoder", "ours")
    from tabprep.encode import OrdinalEncoder

    out = _run(benchmark, lambda df: OrdinalEncoder().fit_transform(df), hi)
    np.testing.assert_array_equal(out["cat_hi"].to_numpy(), hi_sorted_codes)


def test_ordinal_fit_transform_polars(benchmark, pair, hi, hi_sorted_codes):
    pair(benchmark, "ordinal fit_transform (cat_hi)", "polars unique().sort() + cast(Enum)", "peer")

    def polars_ordinal(df):
        s = df["cat_hi"]
        return s.cast(pl.Enum(s.unique().sort())).to_physical()

    out = _run(benchmark, polars_ordinal, hi)
    np.testing.assert_array_equal(out.to_numpy(), hi_sorted_codes)


def test_ordinal_fit_transform_sklearn(benchmark, pair, hi_pandas, hi_sorted_codes, bench_rows):
    pair(benchmark, "ordinal fit_transform (cat_hi)", "sklearn OrdinalEncoder", "peer")
    from sklearn.preprocessing import OrdinalEncoder

    out = _run(benchmark, lambda df: OrdinalEncoder().fit_transform(df), hi_pandas, rounds=_sk_rounds(bench_rows))
    np.testing.assert_array_equal(out[:, 0], hi_sorted_codes)


@pytest.fixture(scope="module")
def fitted_ordinal(hi):
    from tabprep.encode import OrdinalEncoder

    enc = OrdinalEncoder(dtype=np.uint32).fit(hi)
    enc.transform(hi.head(1))  # builds the vocabulary's hash table once, as a served model has it
    return enc


def test_ordinal_transform_tabprep(benchmark, pair, hi, fitted_ordinal, hi_sorted_codes):
    pair(benchmark, "ordinal transform (cat_hi)", "tabprep OrdinalEncoder.transform", "ours")
    out = _run(benchmark, fitted_ordinal.transform, hi)
    np.testing.assert_array_equal(out["cat_hi"].to_numpy(), hi_sorted_codes)


def test_ordinal_transform_polars(benchmark, pair, hi, hi_sorted_codes):
    pair(benchmark, "ordinal transform (cat_hi)", "polars cast(Enum(categories))", "peer")
    enum = pl.Enum(hi["cat_hi"].unique().sort())
    out = _run(benchmark, lambda df: df.select(pl.col("cat_hi").cast(enum).to_physical()), hi)
    np.testing.assert_array_equal(out["cat_hi"].to_numpy(), hi_sorted_codes)


# ------------------------------------------------------------------------------------------
# one-hot
# ------------------------------------------------------------------------------------------

def test_onehot_dense_tabprep(benchmark, pair, lo):
    pair(benchmark, "one-hot dense (cat_lo)", "tabprep OneHotEncoder(sparse_output=False, dtype=uint8)", "ours")
    from tabprep.encode import OneHotEncoder

    out = _run(benchmark, lambda df: OneHotEncoder(sparse_output=False, dtype=np.uint8).fit_transform(df), lo)
    assert out.equals(lo.to_dummies())


def test_onehot_dense_polars(benchmark, pair, lo):
    pair(benchmark, "one-hot dense (cat_lo)", "polars to_dummies", "peer")
    out = _run(benchmark, lambda df: df.to_dummies(), lo)
    assert out.width == lo["cat_lo"].n_unique()


@pytest.fixture(scope="module")
def lo_levels(lo) -> list:
    return lo["cat_lo"].unique().sort().to_list()


def test_onehot_streamed_tabprep(benchmark, pair, lo, lo_levels, synthetic_parquet):
    pair(benchmark, "one-hot streamed (cat_lo, lazy)", "tabprep OneHotEncoder transform (LazyFrame)", "ours")
    from tabprep.encode import OneHotEncoder

    enc = OneHotEncoder(sparse_output=False, dtype=np.float32).fit(lo)
    scan = pl.scan_parquet(synthetic_parquet).select("cat_lo")
    out = _run(benchmark, lambda lf: enc.transform(lf).collect(engine="streaming"), scan)
    assert out.columns == [f"cat_lo_{v}" for v in lo_levels]
    assert out.equals(lo.to_dummies().cast(pl.Float32))


def test_onehot_streamed_polars(benchmark, pair, lo_levels, synthetic_parquet):
    pair(benchmark, "one-hot streamed (cat_lo, lazy)", "polars (col == level).cast(Float32) per level", "peer")
    exprs = [(pl.col("cat_lo") == v).cast(pl.Float32).alias(f"cat_lo_{v}") for v in lo_levels]
    scan = pl.scan_parquet(synthetic_parquet).select("cat_lo")
    out = _run(benchmark, lambda lf: lf.select(exprs).collect(engine="streaming"), scan)
    assert out.width == len(lo_levels)


def test_onehot_sparse_tabprep(benchmark, pair, lo, lo_pandas):
    pair(benchmark, "one-hot sparse (cat_lo)", "tabprep OneHotEncoder (CSR)", "ours")
    from tabprep.encode import OneHotEncoder

    out = _run(benchmark, lambda df: OneHotEncoder().fit_transform(df), lo)
    assert out.shape == (lo.height, lo["cat_lo"].n_unique()) and out.nnz == lo.height
    np.testing.assert_array_equal(out.indices, lo["cat_lo"].cast(pl.Enum(lo["cat_lo"].unique().sort())).to_physical().to_numpy())


def test_onehot_sparse_sklearn(benchmark, pair, lo_pandas, bench_rows):
    pair(benchmark, "one-hot sparse (cat_lo)", "sklearn OneHotEncoder (CSR)", "peer")
    from sklearn.preprocessing import OneHotEncoder

    out = _run(benchmark, lambda df: OneHotEncoder().fit_transform(df), lo_pandas, rounds=_sk_rounds(bench_rows))
    assert out.nnz == len(lo_pandas)


# ------------------------------------------------------------------------------------------
# count
# ------------------------------------------------------------------------------------------

def test_count_tabprep(benchmark, pair, hi):
    pair(benchmark, "count encode (cat_hi)", "tabprep CountEncoder", "ours")
    from tabprep.encode import CountEncoder

    out = _run(benchmark, lambda df: CountEncoder().fit_transform(df), hi)
    assert out["cat_hi"].sum() > 0


def test_count_polars(benchmark, pair, hi):
    pair(benchmark, "count encode (cat_hi)", "polars len().over()", "peer")
    out = _run(benchmark, lambda df: df.select(pl.len().over("cat_hi").alias("cat_hi")), hi)
    assert out["cat_hi"].sum() > 0


# ------------------------------------------------------------------------------------------
# hashing latency (fixed sizes: serving-like calls)
# ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module", params=[1, 1000], ids=["1row", "1000rows"])
def small_frame(request) -> pl.DataFrame:
    from tabprep.datasets import synthetic

    return synthetic(request.param, seed=1).select("cat_hi", "cat_lo")


def test_hashing_tabprep(benchmark, pair, small_frame):
    pair(benchmark, f"hashing transform ({small_frame.height} rows)", "tabprep HashingEncoder", "ours")
    from tabprep.encode import HashingEncoder

    enc = HashingEncoder(n_features=16).fit(small_frame)
    out = benchmark(enc.transform, small_frame)
    assert out.shape == (small_frame.height, 32)


def test_hashing_sklearn(benchmark, pair, small_frame):
    pair(benchmark, f"hashing transform ({small_frame.height} rows)", "sklearn FeatureHasher (per column)", "peer")
    from sklearn.feature_extraction import FeatureHasher

    hasher = FeatureHasher(n_features=16, input_type="string")
    rows = {c: [[v] for v in small_frame[c].to_list()] for c in small_frame.columns}

    def run():
        return [hasher.transform(rows[c]) for c in small_frame.columns]

    out = benchmark(run)
    assert out[0].shape == (small_frame.height, 16)
