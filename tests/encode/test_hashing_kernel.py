"""The hashing kernel against a pure-Python MurmurHash3 and scikit-learn's FeatureHasher rule."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles.encode import hash_buckets_ref, murmurhash3_32_ref

from tabprep.kernels._encode import hash_buckets, murmurhash3_32

EDGE_KEYS = [b"", b"a", b"ab", b"abc", b"abcd", b"abcde", b"0123456789ab", b"0123456789abc", "é中文🙂".encode(), b"\x00\xff" * 9]


@pytest.mark.parametrize("key", EDGE_KEYS)
@pytest.mark.parametrize("seed", [0, 1, 2**32 - 1])
def test_murmurhash3_matches_reference_and_sklearn(key, seed):
    from sklearn.utils import murmurhash3_32 as sk_murmur

    assert murmurhash3_32(key, seed) == murmurhash3_32_ref(key, seed) == sk_murmur(key, seed=seed)


@given(st.binary(max_size=64), st.integers(0, 2**32 - 1))
def test_murmurhash3_property(key, seed):
    assert murmurhash3_32(key, seed) == murmurhash3_32_ref(key, seed)


VALUES = ["x", None, "a_very_long_string_here", "é", "", "level_07", "exactly12byt", "exactly13byte", "中文字符串测试"]


def _layouts(values):
    """The same values in every Arrow string layout the kernel reads, sliced and chunked too."""
    base = pa.array(values, pa.string())
    view = pl.Series(values, dtype=pl.String).to_arrow(compat_level=pl.CompatLevel.newest())
    return {
        "string": base,
        "large_string": pa.array(values, pa.large_string()),
        "string_view": view,
        "sliced_string": pa.concat_arrays([pa.array(["pad"]), base]).slice(1),
        "sliced_view": pa.concat_arrays([pl.Series(["pad"]).to_arrow(compat_level=pl.CompatLevel.newest()), view]).slice(1),
        "chunked": pa.chunked_array([base.slice(0, 3), base.slice(3)]),
        "polars": pl.Series(values, dtype=pl.String),
        "list": list(values),
    }


@pytest.mark.parametrize("layout", list(_layouts(VALUES)))
@pytest.mark.parametrize("n_features", [1, 2, 7, 2**20])
def test_hash_buckets_all_layouts(layout, n_features):
    bucket, sign = hash_buckets(_layouts(VALUES)[layout], n_features)
    ref_bucket, ref_sign = hash_buckets_ref(VALUES, n_features)
    np.testing.assert_array_equal(bucket, ref_bucket)
    np.testing.assert_array_equal(sign, ref_sign)


def test_hash_buckets_edge_cases():
    for values in ([], [None, None], ["only"] * 5):
        bucket, sign = hash_buckets(pl.Series(values, dtype=pl.String), 4)
        ref_bucket, ref_sign = hash_buckets_ref(values, 4)
        np.testing.assert_array_equal(bucket, ref_bucket)
        np.testing.assert_array_equal(sign, ref_sign)


def test_hash_buckets_non_string_columns_hash_their_text():
    ints = pl.Series([1, None, -30, 2**40])
    bucket, sign = hash_buckets(ints, 16)
    ref_bucket, ref_sign = hash_buckets_ref([1, None, -30, 2**40], 16)
    np.testing.assert_array_equal(bucket, ref_bucket)
    np.testing.assert_array_equal(sign, ref_sign)
    cat = pl.Series(["b", None, "a"], dtype=pl.Categorical)
    np.testing.assert_array_equal(hash_buckets(cat, 16)[0], hash_buckets_ref(["b", None, "a"], 16)[0])


def test_hash_buckets_agrees_with_feature_hasher():
    from sklearn.feature_extraction import FeatureHasher

    values = [v for v in VALUES if v is not None] * 3
    for n_features in (3, 64):
        ref = FeatureHasher(n_features=n_features, input_type="string").transform([[v] for v in values]).toarray()
        bucket, sign = hash_buckets(values, n_features)
        ours = np.zeros_like(ref)
        ours[np.arange(len(values)), bucket] = sign
        np.testing.assert_array_equal(ours, ref)


def test_hash_buckets_rejects_bad_n_features():
    with pytest.raises(ValueError, match="n_features"):
        hash_buckets(["a"], 0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=20)), max_size=50), st.integers(1, 1000), st.integers(0, 2**32 - 1))
def test_hash_buckets_property(values, n_features, seed):
    series = pl.Series(values, dtype=pl.String)
    bucket, sign = hash_buckets(series, n_features, seed=seed)
    ref_bucket, ref_sign = hash_buckets_ref(values, n_features, seed)
    np.testing.assert_array_equal(bucket, ref_bucket)
    np.testing.assert_array_equal(sign, ref_sign)
