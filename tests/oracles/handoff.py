"""Plain NumPy reference for tabprep.handoff.to_numpy: per-column ``Series.to_numpy`` + ``np.column_stack``."""

from __future__ import annotations

import numpy as np
import polars as pl


def column_reference(series: pl.Series, dtype) -> np.ndarray:
    """One column as ``dtype``: the value converted once from its source type, NaN where null."""
    if series.dtype == pl.Null:
        return np.full(series.len(), np.nan, dtype=dtype)
    if series.dtype in (pl.Float16, pl.Int128, pl.UInt128) or isinstance(series.dtype, pl.Decimal):
        series = series.cast(pl.Float64)
    if series.dtype == pl.Boolean:
        series = series.cast(pl.UInt8)
    mask = series.is_null().to_numpy()
    # fill_null keeps the source dtype, so the conversion to `dtype` is a single rounding, as in
    # the kernel (going through float64 first would round large int64 twice)
    values = series.fill_null(0).to_numpy().astype(dtype)
    values[mask] = np.nan
    return values


def to_numpy_reference(df: pl.DataFrame, columns=None, *, dtype=np.float32, order="C") -> np.ndarray:
    names = df.columns if columns is None else list(columns)
    if not names:
        return np.empty((df.height, 0), dtype=dtype, order=order)
    stacked = np.column_stack([column_reference(df.get_column(n), dtype) for n in names])
    return np.asarray(stacked, dtype=dtype, order=order)
