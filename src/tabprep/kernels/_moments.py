"""The door to the moments kernel (``tabprep._native.moments``).

``column_moments`` reads a numeric column's own buffers (float32/float64 zero-copy; integers and
Booleans are cast to float64 first, exact below 2**53) and returns its count, sum, mean and sum
of squared deviations over the values that are neither null nor NaN, plus whether one of them is
+-inf. Reference: ``tests/oracles/stats.py`` (``moments_ref``; exactly rounded sums).

The kernel walks fixed blocks counted from the column's first row; a column split into several
chunks (a Polars Series or pyarrow ChunkedArray never made one chunk) is read chunk by chunk in
place, the blocks still counted from the first row across the chunk boundaries
(``moments_chunks``), so the result depends only on the values and their order, never on the
chunking, and no copy of the column is made (the statistics pass marks the expressions built on
it ``chunk_invariant``, see ``tabprep._base.stats``, and gives their columns to it as they come).
A constant column gives exactly its value as the mean and 0 as ``m2`` (as scikit-learn's
variance), where ``sum / n`` of n copies of a value is not always that value.
"""

from __future__ import annotations

from typing import NamedTuple

from tabprep._native import moments as _k
from tabprep.kernels._columns import column_chunks

__all__ = ["Moments", "column_moments"]


class Moments(NamedTuple):
    """Statistics of the non-missing values of a column (``mean``/``m2`` are None when ``n == 0``)."""

    n: int
    sum: float
    mean: float | None
    m2: float | None
    has_inf: bool


def column_moments(column) -> Moments:
    """Count, sum, mean and sum of squared deviations of a column's non-missing values.

    Parameters
    ----------
    column : polars.Series, pyarrow Array/ChunkedArray or 1-D array-like of numbers
        Null and NaN are missing.

    Examples
    --------
    >>> import polars as pl
    >>> column_moments(pl.Series([1.0, None, 3.0, float("nan"), 5.0]))
    Moments(n=3, sum=9.0, mean=3.0, m2=8.0, has_inf=False)
    >>> column_moments(pl.Series([1, 2], dtype=pl.Int8))
    Moments(n=2, sum=3.0, mean=1.5, m2=0.5, has_inf=False)
    """
    chunks = column_chunks(column)
    if len(chunks) == 1:
        buf = chunks[0]
        n, total, mean, sq, has_inf = _k.moments(buf.values, buf.validity, buf.bit0)
    else:
        n, total, mean, sq, has_inf = _k.moments_chunks([c.values for c in chunks], [c.validity for c in chunks],
                                                        [c.bit0 for c in chunks])
    if n == 0:
        return Moments(n, total, None, None, has_inf)
    return Moments(n, total, mean, sq, has_inf)
