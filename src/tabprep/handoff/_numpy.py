"""``to_numpy``: one preallocated float matrix, written column by column from the Arrow buffers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from tabprep.errors import ConfigError, SchemaError
from tabprep.io._dispatch import as_table
from tabprep.io._progress import counted
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

    NumPy allocates the output once (large allocations get huge pages); a compiled kernel then
    copies every column into its slot, converting integers/booleans to float and nulls to NaN.
    No per-column temporary and no concatenation copy is made, so the peak extra memory is the
    output itself.

    Parameters
    ----------
    frame : polars.DataFrame, polars.LazyFrame, pyarrow.Table or pandas.DataFrame
        A LazyFrame is collected with the streaming engine (only the requested columns).
        The output of :meth:`FittedPipeline.transform` can be passed directly.
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
    df, names = _as_polars(frame, columns)
    chunks = [_arrow_chunks(df.get_column(name)) for name in names]
    out = np.empty((df.height, len(names)), dtype=dt, order=order)
    # `chunks` holds the Arrow arrays (and so their buffers) alive while the kernel reads them
    fill_matrix(out, chunks, n_threads)
    return out
