"""Strings → int32 codes on ``cat_hi`` (~100k Zipf-distributed values at 10M rows).

Goal: >= 3x faster than pyarrow's ``dictionary_encode`` and faster than Polars'
``cast(pl.Categorical)``, in the same run. Each implementation gets the input it would naturally
get from the Polars frame, prepared outside the timing:

- ``factorize``: ours on the Polars Series itself (the zero-copy Arrow export is timed with it);
  pyarrow on ``large_string`` (what ``Series.to_arrow()`` gives) and on ``string``; Polars' cast
  on the Series.
- ``encode_with`` (transform time, vocabulary known): ours with a prebuilt ``Vocabulary``;
  pyarrow ``index_in`` against the uniques; Polars' cast to an ``Enum`` of the uniques.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

ROUNDS = 3


@pytest.fixture(scope="module")
def cat_hi(synthetic_df) -> pl.Series:
    return synthetic_df["cat_hi"]


@pytest.fixture(scope="module")
def cat_hi_large(cat_hi) -> pa.Array:
    return cat_hi.to_arrow()


@pytest.fixture(scope="module")
def cat_hi_string(cat_hi_large) -> pa.Array:
    return cat_hi_large.cast(pa.string())


@pytest.fixture(scope="module")
def reference(cat_hi_large):
    encoded = pc.dictionary_encode(cat_hi_large)
    return encoded.indices.to_numpy(), encoded.dictionary


def _run(benchmark, fn, *args):
    return benchmark.pedantic(fn, args=args, rounds=ROUNDS, iterations=1, warmup_rounds=1)


# ------------------------------------------------------------------------------------------
# factorize
# ------------------------------------------------------------------------------------------


def test_factorize_tabprep(benchmark, pair, cat_hi, reference):
    pair(benchmark, "factorize", "tabprep.kernels.factorize (polars Series)", "ours")
    from tabprep.kernels import factorize

    codes, uniques = _run(benchmark, factorize, cat_hi)
    # no nulls in cat_hi: first-seen codes equal pyarrow's
    np.testing.assert_array_equal(codes, reference[0])
    assert uniques.equals(reference[1].cast(pa.large_string()))


def test_factorize_pyarrow_large_string(benchmark, pair, cat_hi_large, reference):
    pair(benchmark, "factorize", "pyarrow.dictionary_encode (large_string)", "peer")
    encoded = _run(benchmark, pc.dictionary_encode, cat_hi_large)
    assert len(encoded.dictionary) == len(reference[1])


def test_factorize_pyarrow_string(benchmark, pair, cat_hi_string, reference):
    pair(benchmark, "factorize", "pyarrow.dictionary_encode (string)", "peer")
    encoded = _run(benchmark, pc.dictionary_encode, cat_hi_string)
    assert len(encoded.dictionary) == len(reference[1])


def test_factorize_polars_categorical(benchmark, pair, cat_hi, reference):
    pair(benchmark, "factorize", "polars cast(pl.Categorical)", "peer")
    out = _run(benchmark, lambda s: s.cast(pl.Categorical), cat_hi)
    assert out.n_unique() == len(reference[1])


# ------------------------------------------------------------------------------------------
# encode_with (fixed vocabulary)
# ------------------------------------------------------------------------------------------


def test_encode_with_tabprep(benchmark, pair, cat_hi, reference):
    pair(benchmark, "encode_with", "tabprep Vocabulary.encode (polars Series)", "ours")
    from tabprep.kernels import Vocabulary

    vocab = Vocabulary(reference[1])
    codes = _run(benchmark, vocab.encode, cat_hi)
    np.testing.assert_array_equal(codes, reference[0])


def test_encode_with_pyarrow_index_in(benchmark, pair, cat_hi_large, reference):
    pair(benchmark, "encode_with", "pyarrow.index_in (large_string)", "peer")
    value_set = reference[1].cast(pa.large_string())
    out = _run(benchmark, lambda a: pc.index_in(a, value_set=value_set), cat_hi_large)
    assert out.null_count == 0


def test_encode_with_polars_enum(benchmark, pair, cat_hi, reference):
    pair(benchmark, "encode_with", "polars cast(pl.Enum(uniques))", "peer")
    enum = pl.Enum(pl.Series(reference[1].cast(pa.large_string())))
    out = _run(benchmark, lambda s: s.cast(enum).to_physical(), cat_hi)
    assert out.null_count() == 0
