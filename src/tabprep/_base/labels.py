"""Labels (classes, groups) as integer codes for the split kernels, with the checks done once.

Integer and boolean columns whose range is small are used as they are (``code = value - lo``, no
factorize pass, no copy); any other column goes through :func:`tabprep.kernels.factorize`.
A continuous target is stratified on quantile bins (``bins=``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep.io._dispatch import as_series
from tabprep.kernels._split import split_label_block_counts
from tabprep._base.params import Interval, Options, check_param

__all__ = ["Labels", "encode_labels", "BINS"]

#: The ``bins`` parameter of every function that stratifies: quantile bins of a continuous target.
BINS = [Interval(int, 2, 1 << 20), Options(("auto",)), None]

# a dense integer range at most this wide (or twice the rows) is indexed directly
_DENSE_MIN = 1 << 16
_DENSE_MAX = 1 << 26
_INT_DTYPES = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)



@dataclass
class Labels:
    """Integer labels with their per-code statistics.

    ``values - lo`` are codes in ``[0, n_codes)``; a code may be absent (count 0) when the labels
    are a dense integer range with holes.
    """

    values: np.ndarray
    lo: int
    n_codes: int
    counts: np.ndarray
    first: np.ndarray
    name: str | None
    what: str
    _uniques: pl.Series | None = None
    _bin_edges: np.ndarray | None = None
    _cache: dict = field(default_factory=dict)
    # rows per code in each block of kernels._split.BLOCK_ROWS rows (None for many codes): the
    # shuffled fold assignment's block tables, counted in the same pass as ``counts``
    block_counts: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        return int(self.values.shape[0])

    def present(self) -> np.ndarray:
        """Codes with at least one row, in code order."""
        if "present" not in self._cache:
            self._cache["present"] = np.flatnonzero(self.counts)
        return self._cache["present"]

    def by_first_appearance(self) -> np.ndarray:
        """Present codes in the order their first row appears (scikit-learn's class order)."""
        present = self.present()
        return present[np.argsort(self.first[present], kind="stable")]

    def by_value(self) -> np.ndarray:
        """Present codes in increasing order of their value (``numpy.unique`` order)."""
        present = self.present()
        if self._uniques is None:
            return present  # dense integers and quantile bins: code order is value order
        ranks = self._uniques.arg_sort(nulls_last=True).to_numpy()
        keep = np.zeros(self.n_codes, dtype=bool)
        keep[present] = True
        return ranks[keep[ranks]]

    def compact(self, order: np.ndarray) -> np.ndarray:
        """Row-level codes renumbered 0..len(order)-1 following ``order`` (one gather pass)."""
        table = np.full(self.n_codes, -1, dtype=np.int32)
        table[order] = np.arange(order.shape[0], dtype=np.int32)
        return table[self.values.astype(np.int64, copy=False) - self.lo] if self.lo else table[self.values]

    def describe(self, code: int) -> str:
        """The label of ``code`` as it reads in the data (for messages)."""
        if self._bin_edges is not None:
            edges = self._bin_edges
            lo = "-inf" if code == 0 else f"{edges[code - 1]:.6g}"
            hi = "inf" if code == len(edges) else f"{edges[code]:.6g}"
            return f"quantile bin {code} ({lo}, {hi}]"
        if self._uniques is not None:
            return repr(self._uniques[int(code)])
        return repr(int(code) + self.lo)

    def where(self) -> dict:
        return {"column": self.name} if self.name else {}


def _null_check(s: pl.Series, what: str, name: str | None) -> None:
    bad = s.null_count() > 0
    if not bad and s.dtype.is_float():
        bad = bool(s.is_nan().any())
    if bad:
        mask = s.is_null()
        if s.dtype.is_float():
            mask = mask | s.is_nan().fill_null(False)
        row = int(mask.arg_max())
        raise DataError(
            f"{what} must not be null or NaN",
            column=name,
            row=row,
            found=f"{int(mask.sum())} null/NaN value(s)",
            hint="drop or impute those rows first",
        )


def _factorize(s: pl.Series, what: str, name: str | None) -> tuple[np.ndarray, pl.Series]:
    """Codes (first-seen order) and the value of each code."""
    from tabprep.kernels import factorize

    if isinstance(s.dtype, (pl.Categorical, pl.Enum)):
        # by value = by string (numpy.unique's order), not by the categories' physical codes
        s = s.cast(pl.String)
    if s.dtype == pl.String or s.dtype in _INT_DTYPES:
        codes, uniques = factorize(s)
        return np.ascontiguousarray(codes, dtype=np.int32), as_series(uniques, None, what)
    if s.dtype.is_float():
        # equal floats have equal bits once -0.0 is folded into 0.0 (NaN was rejected before)
        x = s.cast(pl.Float64).to_numpy() + 0.0
        codes, uniques = factorize(x.view(np.int64))
        bits = np.asarray(as_series(uniques, None, what).to_numpy(), dtype=np.int64)
        return np.ascontiguousarray(codes, dtype=np.int32), pl.Series(bits.view(np.float64))
    raise SchemaError(
        f"{what} must be integers, strings, categoricals, booleans, floats or temporal values",
        column=name,
        found=str(s.dtype),
        hint="cast the column to one of those types",
    )


def quantile_bin_codes(s: pl.Series, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes of ``bins`` quantile bins of a numeric column (bin b holds (edge[b-1], edge[b]])."""
    x = s.cast(pl.Float64).to_numpy()
    edges = np.quantile(x, np.linspace(0.0, 1.0, bins + 1)[1:-1]) if x.size else np.empty(0)
    edges = np.unique(edges)  # tied quantiles collapse: a heavy value gets one bin
    return np.searchsorted(edges, x, side="left").astype(np.int32), edges


def encode_labels(y, *, name: str | None = None, what: str = "labels", bins: int | str | None = None) -> Labels:
    """Check and encode a label column.

    Parameters
    ----------
    y : Series / array-like
        1-D labels: Polars Series, NumPy array, pyarrow Array/ChunkedArray, pandas Series, list.
    name : str, optional
        Column name for messages (defaults to the Series' name when it has one).
    what : str
        What the labels are ("stratification labels", "groups"), for messages.
    bins : int, "auto" or None
        Stratify a continuous target on this many quantile bins. "auto": 10 bins when ``y`` is
        a float column with more than 20 distinct values, classes otherwise. None: classes.

    Raises
    ------
    DataError
        A null or NaN label (the message names the column and the first such row).
    """
    check_param(bins, BINS, "bins", "encode_labels")  # the public callers declare BINS too
    s = as_series(y, name, what)
    if name is None and s.name:
        name = s.name
    _null_check(s, what, name)
    uniques = None
    edges = None
    if bins == "auto":
        bins = 10 if s.dtype.is_float() and s.n_unique() > 20 else None
    if bins is not None:
        if not (s.dtype.is_numeric()):
            raise ConfigError(f"quantile bins need a numeric column; {what} {name!r} is {s.dtype}")
        values, edges = quantile_bin_codes(s, int(bins))
        lo, n_codes = 0, int(bins)
    else:
        if s.dtype == pl.Boolean:
            s = s.cast(pl.UInt8)
        elif s.dtype.is_temporal():
            s = s.to_physical()
        dense = False
        if s.dtype in _INT_DTYPES and s.len() > 0:
            vmin, vmax = int(s.min()), int(s.max())
            width = vmax - vmin + 1
            dense = width <= min(max(_DENSE_MIN, 2 * s.len()), _DENSE_MAX) and vmax < 2**63
        if dense:
            if s.dtype == pl.UInt64:
                s = s.cast(pl.Int64)
            values = np.ascontiguousarray(s.to_numpy())
            lo, n_codes = vmin, width
        else:
            values, uniques = _factorize(s, what, name)
            lo, n_codes = 0, len(uniques)
    counts, first, block_counts = split_label_block_counts(values, lo, n_codes, check=False)
    return Labels(values, lo, n_codes, counts, first, name, what, uniques, edges, block_counts=block_counts)
