"""Numeric columns as the compiled kernels read them: values + validity bitmap, zero-copy.

:func:`column_buffers` exposes a Polars Series, pyarrow array or 1-D array-like as a
:class:`ColumnBuffers` (float32/float64 values without a copy; integers and Booleans cast to
float64, exact below 2**53); :func:`column_chunks` does it chunk by chunk. Used by the binning
and moments kernels (``tabprep.kernels._binning``, ``tabprep.kernels._moments``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ColumnBuffers", "column_buffers", "column_chunks"]


@dataclass(frozen=True)
class ColumnBuffers:
    """A numeric column as the kernels read it.

    ``values`` is a contiguous float32/float64 array (values under null slots are garbage and never
    read as data); ``validity`` the Arrow validity bitmap (row ``i`` valid iff bit ``bit0 + i`` is
    set) or None when there are no nulls; ``source_dtype`` the column's NumPy dtype before any cast
    (int64 for integer columns), used to reproduce NumPy's arithmetic exactly.
    """

    values: np.ndarray
    validity: np.ndarray | None
    bit0: int
    source_dtype: np.dtype

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def valid_values(self) -> np.ndarray:
        """The non-null, non-NaN values (a copy), in row order."""
        mask = ~np.isnan(self.values)
        if self.validity is not None:
            bits = np.unpackbits(self.validity, bitorder="little")[self.bit0:self.bit0 + len(self)]
            mask &= bits.astype(bool)
        return self.values[mask]


def _from_arrow(arr, source_dtype: np.dtype) -> ColumnBuffers:
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if pa.types.is_float32(arr.type):
        dtype = np.dtype(np.float32)
    elif pa.types.is_float64(arr.type):
        dtype = np.dtype(np.float64)
    else:
        import pyarrow.compute as pc

        arr = pc.cast(arr, pa.float64())
        dtype = np.dtype(np.float64)
    validity_buf, data_buf = arr.buffers()[:2]
    n, off = len(arr), arr.offset
    if n == 0:
        # an empty array may carry no buffer, or one shorter than its offset (an empty chunk
        # of a sliced Polars column: batches of one row of a chunked frame gave such chunks)
        return ColumnBuffers(np.empty(0, dtype=dtype), None, 0, source_dtype)
    if data_buf is None:
        values = np.empty(0, dtype=dtype)
    else:
        values = np.frombuffer(data_buf, dtype=dtype, count=off + n)[off:]
    validity = None
    if arr.null_count and validity_buf is not None:
        validity = np.frombuffer(validity_buf, dtype=np.uint8)
    elif arr.null_count:  # all-null arrays of some builders carry no bitmap
        validity = np.zeros((off + n + 7) // 8, dtype=np.uint8)
    return ColumnBuffers(values, validity, off if validity is not None else 0, source_dtype)


def column_buffers(column) -> ColumnBuffers:
    """Expose a numeric column to the kernels, zero-copy for float32/float64 columns.

    Parameters
    ----------
    column : polars.Series, pyarrow.Array/ChunkedArray or 1-D array-like
        Integers and booleans are cast to float64 (exact below 2**53); NaN and null both mean
        missing.

    Examples
    --------
    >>> import polars as pl
    >>> b = column_buffers(pl.Series([1.0, None, 3.0]))
    >>> b.values.dtype, b.validity is not None, b.valid_values()
    (dtype('float64'), True, array([1., 3.]))
    """
    mod = type(column).__module__.split(".")[0]
    if mod == "polars":
        import polars as pl

        s = column
        if not (s.dtype.is_numeric() or s.dtype == pl.Boolean or s.dtype == pl.Null):
            raise TypeError(f"column {s.name!r} has dtype {s.dtype}; the numeric kernels need numbers")
        if s.dtype == pl.Null:
            s = s.cast(pl.Float64)
        source = np.dtype(np.float32) if s.dtype == pl.Float32 else (
            np.dtype(np.float64) if s.dtype.is_float() or s.dtype == pl.Boolean else np.dtype(np.int64))
        if not s.dtype.is_float():
            s = s.cast(pl.Float64)
        elif s.dtype not in (pl.Float32, pl.Float64):  # Float16
            s = s.cast(pl.Float64)
        if s.n_chunks() > 1:
            s = s.rechunk()
        return _from_arrow(s.to_arrow(), source)
    if mod == "pyarrow":
        import pyarrow as pa

        t = column.type
        source = np.dtype(np.float32) if pa.types.is_float32(t) else (
            np.dtype(np.int64) if pa.types.is_integer(t) else np.dtype(np.float64))
        return _from_arrow(column, source)
    arr = np.asarray(column)
    if arr.ndim != 1:
        raise ValueError(f"expected a 1-D column, got shape {arr.shape}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"the numeric kernels need numbers, got dtype {arr.dtype}")
    source = arr.dtype if arr.dtype.kind == "f" and arr.dtype.itemsize >= 4 else (
        np.dtype(np.int64) if arr.dtype.kind in "iu" else np.dtype(np.float64))
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    return ColumnBuffers(np.ascontiguousarray(arr), None, 0, source)


def column_chunks(column) -> list[ColumnBuffers]:
    """Like :func:`column_buffers`, one :class:`ColumnBuffers` per chunk (no concatenation copy).

    A Polars Series or pyarrow ChunkedArray made of several chunks (e.g. batches concatenated
    with ``rechunk=False``) is exposed chunk by chunk; anything else gives a one-element list.

    Examples
    --------
    >>> import polars as pl
    >>> s = pl.concat([pl.Series([1.0, 2.0]), pl.Series([None, 4.0])], rechunk=False)
    >>> [c.valid_values().tolist() for c in column_chunks(s)]
    [[1.0, 2.0], [4.0]]
    """
    mod = type(column).__module__.split(".")[0]
    if mod == "polars" and column.n_chunks() > 1:
        return [column_buffers(part) for part in column.get_chunks()]
    if mod == "pyarrow" and hasattr(column, "num_chunks") and column.num_chunks > 1:
        return [column_buffers(part) for part in column.chunks]
    return [column_buffers(column)]
