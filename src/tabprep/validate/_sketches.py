"""Mergeable sketches for profiles: HyperLogLog (distinct values) and Misra-Gries (frequent values).

Both are updated block by block from Polars (the per-block work is a Polars ``group_by``), and
merge exactly as their papers define, so a profile of a stream of blocks is the profile of the
whole; with blocks fixed by the global row number (as the fit planner's) the result does not
depend on the source's chunking.

HyperLogLog (Flajolet, Fusy, Gandouet & Meunier 2007) with ``2**p`` registers over Polars'
64-bit ``hash`` of the values (seeded; Polars' hash is stable within a Polars version, so a saved
profile's registers are merged only with sketches of the same Polars version -- the estimate
itself needs no merge). Relative standard error ``1.04 / sqrt(2**p)`` (0.81% at p = 14). Why not
``Expr.approx_n_unique``: it is HyperLogLog too, but its registers cannot be kept or merged, and a
profile is built from blocks and saved.

Misra-Gries (1982), merged as in Agarwal et al. ("Mergeable summaries", PODS 2012): at most
``capacity`` counters; when a merge leaves more, the (capacity+1)-th largest count is subtracted
from all and the non-positive ones dropped. Each kept count underestimates the true count by at
most ``(n - sum of counters) / (capacity + 1)``; while nothing was ever subtracted the counts and
the number of distinct values are exact (so "exact below a threshold" needs no second pass).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["HyperLogLog", "MisraGries", "value_counts", "HLL_P", "HLL_SEED"]

HLL_P = 14
HLL_SEED = 0x7AB9E9


class HyperLogLog:
    """Registers of a HyperLogLog sketch (``2**p`` uint8)."""

    def __init__(self, p: int = HLL_P, registers: np.ndarray | None = None) -> None:
        self.p = p
        self.registers = np.zeros(1 << p, dtype=np.uint8) if registers is None else registers.astype(np.uint8)

    @staticmethod
    def exprs(expr, p: int = HLL_P):
        """``(register index, rank)`` expressions of the non-null values of ``expr``."""
        import polars as pl

        h = expr.hash(seed=HLL_SEED)
        idx = (h // (1 << (64 - p))).cast(pl.UInt32)
        rank = ((h % (1 << (64 - p))).bitwise_leading_zeros().cast(pl.Int32) - p + 1).cast(pl.UInt8)
        return idx, rank

    def update(self, series) -> "HyperLogLog":
        """Add the non-null values of a Polars Series.

        The same registers as :meth:`exprs` gives, from Polars' hash: the register is the top
        ``p`` bits, the rank the leading zeros of the other bits plus 1, folded in by the
        compiled :func:`tabprep.kernels._sketch.hll_update` in one pass (Polars' integer
        ``//``, ``%`` and ``leading_zeros`` on UInt64 took ~85 ms per million values, NumPy
        with ``frexp`` and ``np.maximum.at`` ~10 ms, the kernel ~1 ms).
        """
        from tabprep.kernels._sketch import hll_update

        h = series.hash(seed=HLL_SEED)
        if series.null_count():
            h = h.filter(series.is_not_null())
        if h.len() == 0:
            return self
        hll_update(h.to_numpy(), self.registers, self.p)
        return self

    def merge(self, other: "HyperLogLog") -> "HyperLogLog":
        """The sketch of the union (register-wise maximum)."""
        return HyperLogLog(self.p, np.maximum(self.registers, other.registers))

    def estimate(self) -> float:
        """Estimated number of distinct values (with the small-range correction)."""
        m = float(1 << self.p)
        alpha = 0.7213 / (1 + 1.079 / m)
        raw = alpha * m * m / float(np.sum(np.ldexp(1.0, -self.registers.astype(np.int64))))
        zeros = int(np.count_nonzero(self.registers == 0))
        if raw <= 2.5 * m and zeros:
            return m * math.log(m / zeros)
        return raw

    @property
    def relative_error(self) -> float:
        """The relative standard error ``1.04 / sqrt(2**p)``."""
        return 1.04 / math.sqrt(1 << self.p)


def value_counts(s):
    """``(value, count)`` frame of a Series without nulls, in no particular order.

    A sorted column: its runs (no hashing; a timestamp column of distinct values was the
    slowest part of a profile). Integers (temporal values by their integer form) of a range
    below twice their number: a ``bincount`` of the offsets from the minimum. Other strings and integers:
    :func:`tabprep.kernels.factorize` and a ``bincount`` (2-4x a Polars ``group_by`` on
    high-cardinality columns). Anything else: a Polars ``group_by``.
    """
    import polars as pl

    from tabprep.kernels import factorize

    if s.len() > 1 and s.is_sorted():
        runs = s.rle().struct.unnest()
        return pl.DataFrame({"value": runs["value"], "count": runs["len"].cast(pl.Int64)})
    physical = s.to_physical() if s.dtype.is_temporal() else s
    if physical.dtype.is_integer() and s.len():
        lo, hi = int(physical.min()), int(physical.max())
        if hi - lo < max(2 * s.len(), 1 << 16):  # a narrow range: count by offset, no hashing
            v = physical.to_numpy()
            offsets = (v - np.uint64(lo) if v.dtype == np.uint64 else v.astype(np.int64) - lo).astype(np.intp)
            counts = np.bincount(offsets, minlength=hi - lo + 1)
            seen = np.flatnonzero(counts)
            values = pl.Series("value", seen + lo if v.dtype != np.uint64 else seen.astype(np.uint64) + np.uint64(lo))
            return pl.DataFrame({"value": values.cast(physical.dtype).cast(s.dtype),
                                 "count": counts[seen].astype(np.int64)})
    if physical.dtype == pl.String or physical.dtype.is_integer():
        codes, uniques = factorize(physical, null="sentinel")
        counts = np.bincount(codes, minlength=len(uniques)).astype(np.int64)
        values = pl.Series("value", pl.from_arrow(uniques), dtype=physical.dtype if physical.dtype != pl.String
                           else pl.String)
        return pl.DataFrame({"value": values.cast(s.dtype) if s.dtype != physical.dtype else values,
                             "count": counts})
    return s.rename("value").to_frame().group_by("value").agg(pl.len().cast(pl.Int64).alias("count"))


class MisraGries:
    """Frequent values: a Polars frame ``(value, count)`` of at most ``capacity`` counters."""

    def __init__(self, capacity: int, dtype, frame=None, n: int = 0, exact: bool = True) -> None:
        import polars as pl

        self.capacity = capacity
        self.n = n  # non-null values seen
        self.exact = exact
        self.frame = (pl.DataFrame({"value": pl.Series([], dtype=dtype), "count": pl.Series([], dtype=pl.Int64)})
                      if frame is None else frame)

    def update(self, series) -> "MisraGries":
        """Add the non-null values of a Polars Series (its value counts, merged)."""
        s = series.drop_nulls()
        if s.len() == 0:
            return self
        return self._merge_frame(value_counts(s), s.len())

    def merge(self, other: "MisraGries") -> "MisraGries":
        out = MisraGries(self.capacity, self.frame["value"].dtype, self.frame, self.n, self.exact and other.exact)
        return out._merge_frame(other.frame, other.n)

    def _cut(self, frame):
        """At most ``capacity`` counters: the (capacity+1)-th largest count subtracted from all."""
        import polars as pl

        if frame.height <= self.capacity:
            return frame
        # the (capacity+1)-th largest count, found without sorting the whole frame
        cut = int(frame["count"].top_k(self.capacity + 1).min())
        self.exact = False
        return frame.filter(pl.col("count") > cut).with_columns(pl.col("count") - cut)

    def _merge_frame(self, counts, n: int) -> "MisraGries":
        import polars as pl

        # a block's exact counts cut to `capacity` counters first are a summary of that block
        # with the same guarantee (Agarwal et al.): the merge then groups at most 2 * capacity rows
        counts = self._cut(counts)
        both = (pl.concat([self.frame, counts]).group_by("value").agg(pl.col("count").sum())
                if self.frame.height else counts)
        self.frame = self._cut(both).sort(["count", "value"], descending=[True, False], nulls_last=True)
        self.n += n
        return self

    @property
    def error_bound(self) -> int:
        """Most that any count (kept or not) underestimates the true count."""
        if self.exact:
            return 0
        return (self.n - int(self.frame["count"].sum())) // (self.capacity + 1)

    def top(self, k: int):
        """The ``k`` most frequent values (count descending, then value)."""
        return self.frame.head(k)
