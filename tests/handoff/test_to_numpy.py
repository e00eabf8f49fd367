import os
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oracles.handoff import to_numpy_reference
from tabprep.errors import ConfigError, SchemaError
from tabprep.kernels import _handoff as handoff_kernel
from tabprep.handoff import to_numpy

INT_DTYPES = [pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64]
ALL_NUMERIC = [*INT_DTYPES, pl.Float32, pl.Float64, pl.Boolean]


def assert_same(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    # NaN positions must agree too: compare bit patterns of the non-NaN cells and the NaN masks
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got, want)


def _column(dtype, n: int, seed: int, null_every: int | None) -> pl.Series:
    rng = np.random.default_rng(seed)
    if dtype == pl.Boolean:
        values = rng.random(n) < 0.5
    elif dtype in (pl.Float32, pl.Float64):
        values = rng.normal(scale=1e6, size=n)
        values[::17] = np.nan  # NaN (a value) stays NaN, unlike null it has no validity bit
        values[5::23] = np.inf
    else:
        np_dtype = np.dtype(str(dtype).lower())  # Int8 -> int8, UInt64 -> uint64
        info = np.iinfo(np_dtype)
        values = rng.integers(info.min, info.max, size=n, dtype=np_dtype, endpoint=True)
    s = pl.Series(f"{dtype}", values, dtype=dtype)
    if null_every:
        s = s.scatter(np.arange(0, n, null_every), None)
    return s


@pytest.mark.parametrize("out_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", ALL_NUMERIC, ids=str)
def test_every_numeric_dtype_matches_column_stack(dtype, out_dtype, order):
    df = pl.DataFrame([_column(dtype, 1000, seed=1, null_every=7), _column(dtype, 1000, seed=2, null_every=None)
                       .rename("no_nulls")])
    got = to_numpy(df, dtype=out_dtype, order=order)
    assert_same(got, to_numpy_reference(df, dtype=out_dtype, order=order))
    assert got.flags.c_contiguous if order == "C" else got.flags.f_contiguous
    assert got.flags.owndata and got.flags.writeable


def test_large_integers_are_rounded_once():
    # 2**53 + 1 and 2**24 + 1 are not representable; a detour through float64 would round twice
    values = [2**53 + 1, -(2**53) - 1, 2**24 + 1, 2**62 + 2**38 + 1, np.iinfo(np.int64).max, np.iinfo(np.int64).min]
    df = pl.DataFrame({"i": pl.Series(values, dtype=pl.Int64), "u": pl.Series([2**64 - 1] * 6, dtype=pl.UInt64)})
    for dt in (np.float32, np.float64):
        got = to_numpy(df, dtype=dt)
        np.testing.assert_array_equal(got[:, 0], np.array(values, dtype=np.int64).astype(dt))
        np.testing.assert_array_equal(got[:, 1], np.full(6, 2**64 - 1, dtype=np.uint64).astype(dt))


def test_misaligned_chunks_and_slices():
    # column a: 3 chunks; b: 1 chunk; c: 2 chunks at other boundaries; then a slice that starts
    # inside chunks (non-zero Arrow offsets, also for bit-packed booleans and validity)
    a = pl.concat([pl.Series("a", [1.0, None, 3.0]), pl.Series("a", [4.0] * 10), pl.Series("a", [None, 6.0])],
                  rechunk=False)
    b = pl.Series("b", range(15), dtype=pl.Int32).scatter([2, 9], None)
    c = pl.concat([pl.Series("c", [True, None] * 4), pl.Series("c", [False, True, None, True, False, False, True])],
                  rechunk=False)
    df = pl.DataFrame([a, b, c])
    assert df.n_chunks("all") == [3, 1, 2]
    for frame in (df, df.slice(3, 11), df.slice(5, 0), df.slice(13)):
        for order in "CF":
            assert_same(to_numpy(frame, order=order), to_numpy_reference(frame, order=order))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 300),
    dtypes=st.lists(st.sampled_from(ALL_NUMERIC), min_size=1, max_size=6),
    splits=st.lists(st.integers(0, 300), max_size=4),
    null_every=st.one_of(st.none(), st.integers(1, 9)),
    start=st.integers(0, 20),
    out_dtype=st.sampled_from([np.float32, np.float64]),
    order=st.sampled_from(["C", "F"]),
    threads=st.sampled_from([1, 2, 3]),
    seed=st.integers(0, 2**16),
)
def test_random_frames_match_reference(n, dtypes, splits, null_every, start, out_dtype, order, threads, seed):
    columns = []
    for j, dtype in enumerate(dtypes):
        s = _column(dtype, n, seed + j, null_every).rename(f"c{j}")
        cuts = sorted({min(x, n) for x in splits[j % 2 :]})
        # every other column re-chunked at its own boundaries: chunk boundaries differ by column
        if cuts:
            bounds = [0, *cuts, n]
            s = pl.concat([s.slice(lo, hi - lo) for lo, hi in zip(bounds, bounds[1:])], rechunk=False)
        columns.append(s)
    df = pl.DataFrame(columns).slice(min(start, n))
    # tiny blocks and forced threads exercise the block cursors and the row-range split
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(handoff_kernel, "_BLOCK_BYTES", 64)
        got = to_numpy(df, dtype=out_dtype, order=order, n_threads=threads)
    assert_same(got, to_numpy_reference(df, dtype=out_dtype, order=order))


def test_large_frame_threads_agree_with_reference():
    rng = np.random.default_rng(0)
    n = 150_000
    df = pl.DataFrame({f"x{j}": rng.normal(size=n) for j in range(30)}).with_columns(
        pl.when(pl.col("x1") > 1.5).then(None).otherwise(pl.col("x0")).alias("x0"),
        pl.col("x2").cast(pl.Int16, strict=False),
    )
    ref = to_numpy_reference(df)
    for threads in (None, 1, 2):
        assert_same(to_numpy(df, n_threads=threads), ref)


def test_edge_cases_empty_all_null_and_null_dtype():
    empty = pl.DataFrame({"a": pl.Series([], dtype=pl.Float64), "b": pl.Series([], dtype=pl.Int8)})
    assert to_numpy(empty).shape == (0, 2)
    assert to_numpy(pl.DataFrame({"a": [1, 2]}), []).shape == (2, 0)
    df = pl.DataFrame({"all_null": pl.Series([None] * 4, dtype=pl.Float32), "null_type": [None] * 4, "x": [1, 2, 3, 4]})
    assert df.schema["null_type"] == pl.Null
    got = to_numpy(df, dtype=np.float64)
    assert np.isnan(got[:, :2]).all()
    np.testing.assert_array_equal(got[:, 2], [1, 2, 3, 4])


def test_cast_only_dtypes_float16_decimal_int128():
    df = pl.DataFrame({
        "h": pl.Series([1.5, None, -2.25], dtype=pl.Float16),
        "d": pl.Series(["1.25", None, "-3.50"]).str.to_decimal(scale=2),
        "i": pl.Series([2**70, None, -5], dtype=pl.Int128),
    })
    assert_same(to_numpy(df, dtype=np.float64), to_numpy_reference(df, dtype=np.float64))


def test_column_selection_and_order_and_duplicates():
    df = pl.DataFrame({"a": [1, 2], "b": [3.0, 4.0], "s": ["x", "y"]})
    np.testing.assert_array_equal(to_numpy(df, ["b", "a", "b"]), [[3, 1, 3], [4, 2, 4]])
    np.testing.assert_array_equal(to_numpy(df, "a"), [[1], [2]])


@pytest.mark.parametrize(
    "dtype",
    [pl.String, pl.Categorical, pl.Enum(["x", "y"]), pl.Date, pl.Datetime("us"), pl.Duration("us"), pl.List(pl.Int8)],
    ids=str,
)
def test_non_numeric_column_raises_schema_error_pointing_at_encoders(dtype):
    values = {
        pl.Date: [None, None], pl.Datetime("us"): [None, None], pl.Duration("us"): [None, None],
        pl.List(pl.Int8): [[1], [2]],
    }.get(dtype, ["x", "y"])
    df = pl.DataFrame({"ok": [1, 2], "bad": pl.Series(values, dtype=dtype)})
    with pytest.raises(SchemaError) as info:
        to_numpy(df)
    msg = str(info.value)
    assert "column 'bad'" in msg and "numeric or boolean" in msg and "tabprep.encode" in msg
    assert info.value.column == "bad"
    # leaving it out works
    assert to_numpy(df, ["ok"]).shape == (2, 1)


def test_missing_column_and_bad_arguments():
    df = pl.DataFrame({"a": [1.0]})
    with pytest.raises(SchemaError, match="column 'nope': column not found.*available columns: a"):
        to_numpy(df, ["nope"])
    with pytest.raises(ConfigError, match="The `dtype` parameter of `to_numpy` must be float32 or float64; got"):
        to_numpy(df, dtype=np.int32)
    with pytest.raises(ConfigError, match="The `order` parameter of `to_numpy`"):
        to_numpy(df, order="K")
    with pytest.raises(ConfigError, match="must be a table; found list"):
        to_numpy([[1.0]])
    with pytest.raises(ConfigError, match="column names must be strings"):
        to_numpy(df, [0])


def test_lazy_arrow_and_pandas_inputs():
    df = pl.DataFrame({"a": [1, None, 3], "b": [0.5, 1.5, None], "s": ["x", "y", "z"]})
    ref = to_numpy_reference(df, ["a", "b"])
    # the LazyFrame is collected with only the requested columns (the string column is never read)
    assert_same(to_numpy(df.lazy().with_columns(pl.col("s").str.to_uppercase()), ["a", "b"]), ref)
    assert_same(to_numpy(df.to_arrow(), ["a", "b"]), ref)
    assert_same(to_numpy(df.to_arrow().to_batches()[0], ["a", "b"]), ref)
    pdf = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [0.5, 1.5, np.nan]})
    assert_same(to_numpy(pdf), ref)


@pytest.mark.parametrize("batch_rows", [1, 7, 64, 1 << 18])
def test_lazy_frame_written_batch_by_batch_matches_the_collected_frame(monkeypatch, tmp_path, batch_rows):
    # a C-ordered matrix of a LazyFrame is written one streamed batch at a time: any batch size
    # gives the collected frame's matrix (every cell from its own value), from a file scan too
    from tabprep.handoff import _numpy

    rng = np.random.default_rng(3)
    n = 1_000
    df = pl.DataFrame({"a": rng.normal(size=n), "b": rng.integers(-5, 5, n).astype(np.int16),
                       "c": rng.random(n) > 0.5, "s": rng.choice(["u", "v"], n)}).with_columns(
        pl.when(pl.col("a") > 1).then(None).otherwise(pl.col("b")).alias("b"))
    df.write_parquet(tmp_path / "x.parquet", row_group_size=100)
    monkeypatch.setattr(_numpy, "_BATCH_ROWS", batch_rows)
    lf = pl.scan_parquet(tmp_path / "x.parquet").with_columns((pl.col("a") * 2).alias("a2"))
    names = ["a2", "b", "c", "a"]
    ref = to_numpy_reference(lf.collect(), names)
    for dtype in (np.float32, np.float64):
        got = to_numpy(lf, names, dtype=dtype)
        assert got.flags.c_contiguous and got.shape == (n, 4)
        assert_same(got, to_numpy_reference(lf.collect(), names, dtype=dtype))
    assert_same(to_numpy(lf.filter(pl.col("c")), names), to_numpy_reference(lf.filter(pl.col("c")).collect(), names))
    assert to_numpy(lf.head(0), names).shape == (0, 4)
    assert_same(to_numpy(lf, names), ref)


@pytest.mark.parametrize("order", ["C", "F"])
def test_mapped_matrix_is_an_ordinary_writable_array(monkeypatch, order):
    # from _MAPPED_BYTES up the matrix is an anonymous memory mapping (no huge-page advice)
    from tabprep.handoff import _numpy

    monkeypatch.setattr(_numpy, "_MAPPED_BYTES", 0)
    df = pl.DataFrame({"a": [1.5, None, 3.0], "b": [1, 2, None], "c": [True, False, True]})
    for frame in (df, df.lazy()):
        got = to_numpy(frame, dtype=np.float64, order=order)
        assert got.flags.writeable and (got.flags.f_contiguous if order == "F" else got.flags.c_contiguous)
        assert_same(got, to_numpy_reference(df, dtype=np.float64, order=order))
        got[:] = 0  # writable, and the memory is its own
        assert df["a"][0] == 1.5


def _resident_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads Linux's /proc/self/statm")
def test_a_streamed_matrix_is_mapped_as_its_rows_are_written(monkeypatch):
    # the matrix of a LazyFrame is not resident at once: its pages are mapped batch by batch, just
    # before they are written (so it grows while the query's memory shrinks), and where the
    # kernel refuses that call they fault in as written; the matrix is the same either way
    from tabprep.handoff import _numpy

    rows, cols = 400_000, 40  # 64 MB of float32
    out = _numpy._empty((rows, cols), np.dtype(np.float32), "C", populate=False)
    before = _resident_bytes()
    pages = _numpy._Populator(out)
    pages.rows(0, rows // 4)
    grown = _resident_bytes() - before
    if pages._map is not None:  # MADV_POPULATE_WRITE taken (Linux 5.14+)
        assert 0.9 * out.nbytes / 4 <= grown <= 1.1 * out.nbytes / 4 + (4 << 20)
    del out
    df = pl.DataFrame({f"x{i}": np.arange(50_000, dtype=np.float64) * i for i in range(40)})
    monkeypatch.setattr(_numpy, "_MAPPED_BYTES", 0)
    monkeypatch.setattr(_numpy, "_BATCH_ROWS", 7_000)
    ref = to_numpy_reference(df, dtype=np.float32)
    assert_same(to_numpy(df.lazy(), dtype=np.float32), ref)
    monkeypatch.setattr(_numpy._Populator, "_MADV_POPULATE_WRITE", 1 << 20)  # refused: EINVAL
    assert_same(to_numpy(df.lazy(), dtype=np.float32), ref)


def test_lazy_frame_errors_while_streaming_are_raised():
    from tabprep.errors import DataError

    def refuse(s):
        if (s > 5).any():
            raise DataError("too big", column="a")
        return s

    lf = pl.DataFrame({"a": [1.0, 9.0]}).lazy().with_columns(pl.col("a").map_batches(refuse, return_dtype=pl.Float64))
    with pytest.raises(DataError, match="too big"):
        to_numpy(lf)


def test_shares_no_memory_with_the_input():
    df = pl.DataFrame({"a": np.arange(5.0)})
    out = to_numpy(df, dtype=np.float64)
    out[:] = -1
    np.testing.assert_array_equal(df["a"].to_numpy(), np.arange(5.0))


def test_input_buffers_are_read_zero_copy(monkeypatch):
    # The kernel must be handed the Series' own buffers (no rechunk / to_arrow copy on the way).
    seen = []
    real = handoff_kernel._chunk_table

    def spy(columns, n_rows):
        seen.extend(arr.buffers()[1].address for chunks in columns for arr in chunks)
        return real(columns, n_rows)

    monkeypatch.setattr(handoff_kernel, "_chunk_table", spy)
    a = pl.Series("a", np.arange(4.0))
    b = pl.Series("a", np.arange(3.0))
    df = pl.DataFrame({"a": pl.concat([a, b], rechunk=False), "c": np.ones(7)})
    to_numpy(df)
    assert seen[:2] == [a.to_numpy().ctypes.data, b.to_numpy().ctypes.data]
    assert seen[2] == df["c"].to_numpy().ctypes.data
