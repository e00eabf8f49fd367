"""``to_numpy``: one preallocated float matrix, written column by column from the Arrow buffers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from tabprep._base.fit import explains_failures
from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep.io._dispatch import as_table
from tabprep.io._progress import counted, rows_done
from tabprep.kernels._handoff import fill_matrix
from tabprep._base.params import NumpyDType, Options, check_param, validate_call

__all__ = ["to_numpy"]

_HINT_ENCODE = (
    "encode it first (tabprep.encode: OneHotEncoder, OrdinalEncoder, TargetEncoder, ...) "
    "or leave it out of `columns`"
)

# Polars dtypes the kernel reads directly from Arrow buffers.
_DIRECT = (
    pl.Int8, pl.Int16, pl.Int32, pl.Int64,
    pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64,
    pl.Float32, pl.Float64, pl.Boolean, pl.Null,
)
# Numeric dtypes without a kernel path: cast to Float64 first (a temporary for that column only).
_CAST = (pl.Float16, pl.Int128, pl.UInt128, pl.Decimal)


# the hand-off functions' shared parameters (handoff._frameworks declares them too)
FLOAT_DTYPE = [NumpyDType(("float32", "float64"))]
ORDER = [Options(("C", "F"))]
# Rows per batch of a LazyFrame written into a C-ordered matrix (see ``_from_batches``).
_BATCH_ROWS = 1 << 18
# From this size up a matrix gets a memory mapping of its own (see ``_empty``).
_MAPPED_BYTES = 16 << 20


def _check_dtype(dtype: Any, func: str) -> np.dtype:
    """``dtype`` checked against FLOAT_DTYPE, as a NumPy dtype (for a caller that converts it first)."""
    return np.dtype(check_param(dtype, FLOAT_DTYPE, "dtype", func))


def _column_list(columns: str | Sequence[str] | None, available: list[str]) -> list[str]:
    if columns is None:
        return list(available)
    if isinstance(columns, str):
        columns = [columns]
    names = list(columns)
    known = set(available)
    for name in names:
        if not isinstance(name, str):
            raise ConfigError(f"column names must be strings; got {name!r} ({type(name).__name__})")
        if name not in known:
            shown = ", ".join(available[:12]) + (", ..." if len(available) > 12 else "")
            raise SchemaError(
                "column not found in the frame",
                column=name,
                hint=f"available columns: {shown}",
            )
    return names


def _as_polars(frame: Any, columns: str | Sequence[str] | None) -> tuple[pl.DataFrame, list[str]]:
    """Return an eager Polars frame holding (at least) the requested columns, and their names."""
    if isinstance(frame, pl.DataFrame):
        return frame, _column_list(columns, frame.columns)
    lf = as_table(frame, what="the frame to hand off").lf
    names = _column_list(columns, lf.collect_schema().names())
    # select first so the engine reads only what the matrix needs
    return counted(lf.select(list(dict.fromkeys(names)))).collect(engine="streaming"), names


def _arrow_chunks(series: pl.Series) -> list[pa.Array]:
    dtype = series.dtype
    if isinstance(dtype, _DIRECT):
        pass
    elif isinstance(dtype, _CAST):
        series = series.cast(pl.Float64)
    else:
        raise SchemaError(
            "expected a numeric or boolean column for the matrix",
            column=series.name,
            found=str(dtype),
            hint=_HINT_ENCODE,
        )
    # The Arrow C stream of a Series keeps its chunks and shares their buffers (no copy);
    # `DataFrame.to_arrow()` would rechunk (copy) to align the columns' chunks.
    return pa.chunked_array(series).chunks


@explains_failures
@validate_call({"dtype": FLOAT_DTYPE, "order": ORDER})
def to_numpy(
    frame: Any,
    columns: str | Sequence[str] | None = None,
    *,
    dtype: Any = np.float32,
    order: str = "C",
    n_threads: int | None = None,
) -> np.ndarray:
    """Write columns of a frame into one new float matrix, straight from their Arrow buffers.

    The output is allocated once (from 16 MiB, a memory mapping of its own with its pages
    mapped at once; see ``_empty``); a compiled kernel then copies every column into its slot,
    converting integers/booleans to float and nulls to NaN. No per-column temporary and no
    concatenation copy is made, so the peak extra memory is the output itself (plus one
    batch of a LazyFrame's query).

    Parameters
    ----------
    frame : polars.DataFrame, polars.LazyFrame, pyarrow.Table or pandas.DataFrame
        A LazyFrame is run with the streaming engine (only the requested columns): for a
        C-ordered matrix its rows are counted, then written batch by batch as they stream
        (the query runs twice in part, for the count, and its columns are never held whole);
        for ``order="F"`` it is collected first. The output of :meth:`FittedPipeline.transform`
        or :meth:`Pipeline.fit_transform` on a file can be passed directly.
    columns : str or list of str, optional
        Columns in output order (default: all columns). Each must be numeric (integer, float,
        decimal) or boolean; a string/categorical/temporal column raises :class:`SchemaError`.
    dtype : {numpy.float32, numpy.float64}, default float32
    order : {"C", "F"}, default "C"
        Row-major (most trainers) or column-major output.
    n_threads : int, optional
        Row ranges filled in parallel; default :func:`tabprep.get_threads` for large outputs
        (4M cells and up), else 1. Never more threads than :func:`tabprep.set_threads` allows;
        the matrix is the same for any value.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_rows, len(columns))``; nulls are NaN.

    Raises
    ------
    SchemaError
        A column is missing or not numeric/boolean.
    ConfigError
        Bad ``dtype`` / ``order`` / input type.

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.handoff import to_numpy
    >>> df = pl.DataFrame({"a": [1, None, 3], "b": [0.5, 1.5, None], "c": [True, False, True]})
    >>> to_numpy(df, dtype="float64")
    array([[1. , 0.5, 1. ],
           [nan, 1.5, 0. ],
           [3. , nan, 1. ]])
    >>> to_numpy(df.lazy(), ["b", "a"], order="F").flags.f_contiguous
    True
    """
    dt = np.dtype(dtype)
    if isinstance(frame, pl.LazyFrame) and order == "C":
        return _from_batches(frame, columns, dt, n_threads)
    df, names = _as_polars(frame, columns)
    chunks = [_arrow_chunks(df.get_column(name)) for name in names]
    out = _empty((df.height, len(names)), dt, order)
    # `chunks` holds the Arrow arrays (and so their buffers) alive while the kernel reads them
    fill_matrix(out, chunks, n_threads)
    return out


def _empty(shape: tuple[int, int], dt: np.dtype, order: str, *, populate: bool = True) -> np.ndarray:
    """An uninitialized matrix; from 16 MiB up, its own anonymous mapping, its pages populated
    at once (``populate=False``: as :class:`_Populator` asks).

    ``np.empty`` asks the kernel for transparent huge pages on large arrays (``madvise``); where
    free huge pages are scarce the first write then stalls on memory compaction: writing a
    fresh 1 GiB matrix took 1-6 s on the 2-core benchmark machine against 0.2-0.5 s with
    ordinary pages. A private anonymous ``mmap`` is not advised to use huge pages, and
    ``MAP_POPULATE`` maps all its pages in one call instead of one fault per 4 KiB page. The
    array keeps the mapping alive (its ``base``) and unmaps it when collected.
    """
    import mmap

    nbytes = shape[0] * shape[1] * dt.itemsize
    flags = getattr(mmap, "MAP_POPULATE", 0) if populate else 0
    if nbytes < _MAPPED_BYTES or not hasattr(mmap, "MAP_ANONYMOUS"):
        return np.empty(shape, dtype=dt, order=order)
    buffer = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | flags)
    flat = np.frombuffer(buffer, dtype=dt)
    return flat.reshape(shape, order=order)


class _Populator:
    """Maps the pages of a C-ordered matrix from :func:`_empty` (``populate=False``) rows by rows,
    just before they are written: one ``madvise(MADV_POPULATE_WRITE)`` call per batch instead of
    one fault per 4 KiB page, and the matrix's memory grows as the query's shrinks.

    Populated at once (``MAP_POPULATE``), a 1 GB matrix was resident beside the memory Polars'
    allocator still held from the fit (returned gradually while the transform runs): the
    10M-row job of issue 10 peaked at 2.0-2.1x the matrix. Where the call is refused (Linux
    before 5.14, another system), the pages fault in as they are written, which is correct.
    """

    _MADV_POPULATE_WRITE = 23  # Linux 5.14+; not in Python 3.11's mmap module

    def __init__(self, out: np.ndarray) -> None:
        import mmap

        base = out.base
        while base is not None and not isinstance(base, mmap.mmap):
            base = getattr(base, "base", None) if not isinstance(base, memoryview) else base.obj
        self._map = base if isinstance(base, mmap.mmap) else None
        self._row_bytes = out.shape[1] * out.dtype.itemsize if out.ndim == 2 else 0

    def rows(self, start: int, stop: int) -> None:
        if self._map is None or stop <= start:
            return
        import mmap

        first = start * self._row_bytes // mmap.PAGESIZE * mmap.PAGESIZE
        end = min(stop * self._row_bytes, len(self._map))
        try:
            self._map.madvise(self._MADV_POPULATE_WRITE, first, end - first)
        except (OSError, ValueError):
            self._map = None  # not supported here: the pages fault in as they are written


def _from_batches(lf: pl.LazyFrame, columns, dt: np.dtype, n_threads: int | None) -> np.ndarray:
    """A C-ordered matrix of a LazyFrame, written batch by batch as the query streams.

    The query's columns exist one batch at a time (a transform's float64 columns would
    otherwise be held whole beside the matrix: 2.5x the matrix's memory for a 26-column
    pipeline output). The rows are counted first (``select(pl.len())``: Parquet metadata for a
    scan, a cheap part of the query otherwise), so the matrix is allocated once: growing it
    (``ndarray.resize``) zero-fills and moves it, which cost more than the count. Its pages are
    mapped batch by batch, just before the batch is written (:class:`_Populator`). Each cell is
    written once from its own value, so the matrix does not depend on the batches.
    """
    names = _column_list(columns, lf.collect_schema().names())
    lf = lf.select(list(dict.fromkeys(names)))
    n_rows = lf.select(pl.len()).collect().item()
    out = _empty((n_rows, len(names)), dt, "C", populate=False)
    pages = _Populator(out)
    rows = 0
    for batch in lf.collect_batches(chunk_size=_BATCH_ROWS, maintain_order=True):
        height = batch.height
        if rows + height > n_rows:  # the query gave more rows than it counted: not repeatable
            raise DataError(f"the frame gave more rows than the {n_rows} it counted",
                            hint="materialize it first (collect) and pass the DataFrame")
        if height:
            chunks = [_arrow_chunks(batch.get_column(name)) for name in names]
            pages.rows(rows, rows + height)
            fill_matrix(out[rows:rows + height], chunks, n_threads)
            rows += height
            rows_done(height)
    if rows != n_rows:
        raise DataError(f"the frame gave {rows} rows, fewer than the {n_rows} it counted",
                        hint="materialize it first (collect) and pass the DataFrame")
    return out
