"""``BatchKey``: one batch recognized by its content, however Polars hands it to each call.

Polars 2.2 hands each of a query's Python calls its own copy of a string batch's views, where 2.1
handed them all the same buffers; keyed by addresses, every multi-output step then computed each
batch once per output (the 10M-row job of issue 10 went from 2.5 s to 6.5 s). These tests copy the
batches themselves, so they hold whichever Polars is installed.
"""

from __future__ import annotations

import io
import threading

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from tabprep._base.batches import BatchKey


def _copy(arr: pa.Array) -> pa.Array:
    """The same values in freshly allocated buffers (what Polars 2.2 hands each call)."""
    return pa.Array.from_buffers(arr.type, len(arr), [None if b is None else pa.py_buffer(b.to_pybytes())
                                                      for b in arr.buffers()], offset=arr.offset)


def _relaid(arr: pa.Array) -> pa.Array:
    """The same strings in views laid out anew (other data buffers, other offsets into them)."""
    return pa.array(arr.to_pylist(), type=arr.type)


def key(*arrays, tag="t"):
    return BatchKey(tag, arrays)


strings = st.lists(st.one_of(st.none(), st.text(max_size=20)), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(values=strings, other=strings, start=st.integers(0, 5))
def test_string_views_are_the_same_batch_exactly_when_their_values_are(values, other, start):
    a = pa.array(values, type=pa.string_view())[min(start, len(values) - 1):]
    b = pa.array(other, type=pa.string_view())[min(start, len(other) - 1):]
    for twin in (a, _copy(a), _relaid(a)):
        assert key(a).same(key(twin))
    assert key(a).same(key(b)) == (a.to_pylist() == b.to_pylist())


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.floats(allow_nan=True)), min_size=1, max_size=60),
       flip=st.integers(0, 59))
def test_numbers_are_compared_by_their_bytes(values, flip):
    a = pa.array(values, type=pa.float64())
    assert key(a).same(key(_copy(a)))
    i = flip % len(values)
    bits = np.array([0.0 if v is None else v for v in values]).view(np.uint64)
    valid = np.array([v is not None for v in values])
    if valid[i]:
        bits[i] ^= np.uint64(1)  # another bit pattern in the same place (== may call it equal)
    else:
        valid[i] = True  # a value where there was a null
    changed = pa.array(bits.view(np.float64), mask=~valid)
    assert not key(a).same(key(changed))


def test_signed_zero_and_nan_payloads_are_not_the_same_batch():
    zero = pa.array([0.0, 1.0])
    assert not key(zero).same(key(pa.array([-0.0, 1.0])))
    nans = np.array([np.nan, 1.0])
    other = nans.copy()
    other.view(np.uint64)[0] ^= 1  # another NaN
    assert not key(pa.array(nans)).same(key(pa.array(other)))
    assert key(pa.array(nans)).same(key(pa.array(nans.copy())))


def test_tag_length_type_and_column_count_keep_batches_apart():
    a = pa.array([1, 2, 3])
    assert not key(a, tag=0).same(key(a, tag=1))
    assert not key(a).same(key(a[:2]))
    assert not key(a).same(key(a.cast(pa.int32())))
    assert not key(a).same(key(a, a))
    assert key(a, a).same(key(_copy(a), _copy(a)))


def test_a_slice_of_the_same_buffers_is_told_from_another_slice():
    a = pa.array(["x", "y", "x", "y"], type=pa.string_view())
    assert not key(a[:2]).same(key(a[1:3]))  # same buffers, other rows
    assert key(a[2:]).same(key(a[:2]))  # same values at other offsets: the same batch


def test_of_series_keys_a_polars_series_by_its_values():
    s = pl.Series("c", ["a", "b", None] * 10)
    assert BatchKey.of_series(0, s).same(BatchKey.of_series(0, s.clone()))
    assert not BatchKey.of_series(0, s).same(BatchKey.of_series(1, s))
    assert not BatchKey.of_series(0, s).same(BatchKey.of_series(0, s.cast(pl.Categorical)))


def _deep_copy(s: pl.Series) -> pl.Series:
    """The same Series in freshly allocated buffers (an Arrow IPC round trip)."""
    sink = io.BytesIO()
    s.to_frame().write_ipc(sink)
    sink.seek(0)
    return pl.read_ipc(sink).to_series()


def _copying_udfs(monkeypatch):
    """Make every Python call of a query get its own copy of its batch, as Polars 2.2 does for
    strings: wrap ``map_batches`` so the function sees a Series of freshly allocated buffers."""
    orig = pl.Expr.map_batches

    def map_batches(self, function, *args, **kwargs):
        return orig(self, lambda s: function(_deep_copy(s)), *args, **kwargs)

    monkeypatch.setattr(pl.Expr, "map_batches", map_batches)


def _counting(monkeypatch, cls, name, rows):
    """Record ``rows(args)`` of each call of ``cls.name``."""
    calls, lock, real = [], threading.Lock(), getattr(cls, name)

    def counted(self, *args):
        with lock:
            calls.append(rows(args))
        return real(self, *args)

    monkeypatch.setattr(cls, name, counted)
    return calls


def _multi_output_encoders():
    """(fitted encoder on ``df``, its batch computation's class and method name, the eager
    reference output) for each encoder with several outputs per input column."""
    from tabprep.encode import HashingEncoder, OneHotEncoder, TargetEncoder

    levels = [f"level_{i:02d}" for i in range(12)]
    rng = np.random.default_rng(3)
    df = pl.DataFrame({"c": rng.choice(levels, 40_000), "d": rng.choice(levels[:5], 40_000)})
    y = rng.integers(0, 3, 40_000)
    yield "one-hot", df, OneHotEncoder(sparse_output=False).fit(df), "_block_of"
    yield "hashing", df, HashingEncoder(n_features=6).fit(df), "_buckets"
    yield "multiclass target", df, TargetEncoder(target_type="multiclass").fit(df, y), "_batch_out"


@pytest.mark.parametrize("optimized", [True, False], ids=["one call per batch", "one call per output"])
@pytest.mark.parametrize("case", ["one-hot", "hashing", "multiclass target"])
def test_several_outputs_encode_each_batch_once_even_when_every_call_gets_a_copy(monkeypatch, case, optimized):
    # One struct call per batch, unnested (Polars merges it). Without that optimization each
    # output calls again, each with its own copy of the batch here: the cache must still see one
    # batch, by its content.
    name, df, enc, method = next(c for c in _multi_output_encoders() if c[0] == case)
    want = enc.transform(df)  # eager: the encoder's own whole-frame path
    want = want if isinstance(want, pl.DataFrame) else pl.DataFrame(want, schema=enc.get_feature_names_out().tolist())
    _copying_udfs(monkeypatch)
    calls = _counting(monkeypatch, type(enc), method, lambda a: len(a[-1]))
    flags = pl.QueryOptFlags() if optimized else pl.QueryOptFlags(comm_subexpr_elim=False)
    lf = enc.transform(df.lazy())
    got = pl.concat(lf.collect_batches(chunk_size=5_000, maintain_order=True, optimizations=flags))
    assert got.equals(want.cast(got.schema))
    assert sum(calls) == df.height * df.width  # each row of each column once, not once per output


@pytest.mark.parametrize("optimized", [True, False], ids=["one call per batch", "one call per output"])
def test_a_compiled_feature_runs_once_per_batch_when_every_output_gets_a_copy(monkeypatch, optimized):
    import oracles.user_functions as fns
    from tabprep.features import NumbaTransformer
    from tabprep.kernels import _numba

    _copying_udfs(monkeypatch)
    calls = _counting(monkeypatch, _numba.CompiledFunction, "run_rows", lambda a: len(a[0][0]))
    rng = np.random.default_rng(0)
    df = pl.DataFrame({"x": rng.normal(size=30_000), "k": rng.integers(0, 9, 30_000, dtype=np.int32)})
    step = NumbaTransformer(fns.sum_and_order, inputs=["x", "k"], outputs={"s": "Float64", "gt": "Boolean"})
    flags = pl.QueryOptFlags() if optimized else pl.QueryOptFlags(comm_subexpr_elim=False)
    got = pl.concat(step.fit_transform(df.lazy()).collect_batches(chunk_size=10_000, maintain_order=True,
                                                                  optimizations=flags))
    assert got["s"].to_list() == (df["x"] + df["k"]).to_list()
    assert len(calls) >= 1 and sum(calls) == df.height  # both outputs from one run per batch
