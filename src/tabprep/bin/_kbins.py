"""KBinsDiscretizer: uniform, quantile and k-means binning with scikit-learn's names and edges.

Fitting, by strategy:

- ``uniform`` (with ``subsample=None``): per-column min/max, mergeable across batches;
- ``quantile`` exact: NumPy's ``percentile`` for the chosen ``quantile_method``, bit for bit, by
  *selection* in a compiled kernel (no sort; see :mod:`tabprep.kernels._binning`). Not mergeable:
  the pipeline buffers the column and computes it once;
- ``quantile`` with ``sketch=True`` (or ``sketch=k``): a KLL sketch per batch
  (:class:`~tabprep.bin.KLLSketch`), merged across batches/partitions; edges within the sketch's
  rank-error bound (``sketch_rank_error_``) of the exact ones;
- ``kmeans``: scikit-learn's 1-D ``KMeans`` with its deterministic uniform initialization.

When ``subsample`` is an int and a column has more rows, the fit uses the same bootstrap sample
scikit-learn draws (``RandomState(random_state).choice(n, subsample)``), so edges still match
scikit-learn's for the same ``random_state``; ``random_state=None`` means seed 0 here (tabprep
outputs are reproducible), where scikit-learn would draw a fresh sample.

Transform is a compiled branch-free binary search per batch (``bin_codes``; with AVX-512 and at
most 32 bins the edges sit in vector registers: ~30x faster than ``np.searchsorted`` or Polars'
``search_sorted`` on one core, measured on 9.5M values), written into memory from Arrow's pool
(recycled pages, no page faults per batch); one-hot outputs are plain Polars comparisons.
Without a subsample, a column's missing count is its rows minus the valid values the fit
counted (no extra pass over the data).
"""

from __future__ import annotations

import math
import numbers
import warnings
from functools import partial
from typing import ClassVar

import numpy as np

from tabprep.errors import ConfigError, DataError
from tabprep.kernels._binning import bin_codes, column_buffers, column_chunks, percentiles
from tabprep._base.params import Constraint, Interval, Options, param_error
from tabprep._base.stats import (
    explain_infinity,
    first_row_where,
    float_dtype_for,
    infinity_error,
    merge_by_prefix,
    missing_as_null,
    refuse_infinity,
    require_numeric,
    skipping_nan,
)
from tabprep._base.step import Step, register_step

__all__ = ["KBinsDiscretizer"]

_ENCODES = ("onehot", "onehot-dense", "ordinal", "midpoint")
_STRATEGIES = ("uniform", "quantile", "kmeans")
_HANDLE_MISSING = ("null", "bin", "error")
_DTYPE_NAMES = {"float64": np.float64, "float32": np.float32}


class _NBins(Constraint):
    """An int >= 2 or a 1-D array-like of such ints (one per feature)."""

    def is_satisfied_by(self, value) -> bool:
        if isinstance(value, bool):
            return False
        if isinstance(value, numbers.Integral):
            return value >= 2
        try:
            arr = np.asarray(value)
        except Exception:  # noqa: BLE001 - anything NumPy cannot read is not array-like
            return False
        return arr.ndim == 1 and arr.size > 0 and arr.dtype.kind in "iu" and bool((arr >= 2).all())

    def __str__(self) -> str:
        return "an int >= 2 or an array-like of ints >= 2"


class _FloatDType(Constraint):
    """``np.float64``/``np.float32`` (scikit-learn's spelling) or ``"float64"``/``"float32"``."""

    def is_satisfied_by(self, value) -> bool:
        return value in (np.float64, np.float32) or (isinstance(value, str) and value in _DTYPE_NAMES)

    def __str__(self) -> str:
        return "one of {np.float64, np.float32, 'float64', 'float32'}"


def _np_dtype(pl_dtype) -> np.dtype:
    import polars as pl

    if pl_dtype == pl.Float32:
        return np.dtype(np.float32)
    if pl_dtype.is_integer():
        return np.dtype(np.int64)
    return np.dtype(np.float64)


def work_dtype(schema, columns) -> np.dtype:
    """The dtype scikit-learn would compute in: NumPy's common type of the selected columns."""
    return np.result_type(*[_np_dtype(schema[c]) for c in columns]) if columns else np.dtype(np.float64)


# ---------------------------------------------------------------------------- per-batch functions
# Module-level functions (not closures over the step) so expressions hold only plain data.

_EXACT_FIELDS = None


def _exact_struct():
    import polars as pl

    global _EXACT_FIELDS
    if _EXACT_FIELDS is None:
        _EXACT_FIELDS = pl.Struct({"n_valid": pl.Int64, "n_missing": pl.Int64, "min": pl.Float64,
                                   "max": pl.Float64, "edges": pl.List(pl.Float64)})
    return _EXACT_FIELDS


def _exact_stats(s, *, strategy: str, n_bins: int, method: str, subsample, seed: int, dtype: str,
                 weighted: bool = False):
    """Statistics of one whole column for the non-mergeable fits (one struct value); with
    ``weighted``, ``s`` is a struct of the column and its sample weights."""
    import polars as pl

    wd = np.dtype(dtype)
    n_rows = s.len()
    if weighted:
        values, weight = s.struct[0], s.struct[1].to_numpy()
        if subsample is not None and n_rows > subsample:
            # scikit-learn's resample(replace=True, sample_weight=w): the rows drawn with
            # probability w / sum(w); the weights are then used up (an unweighted fit follows)
            n_missing = values.null_count() + (int(values.is_nan().sum()) if values.dtype.is_float() else 0)
            idx = np.random.RandomState(seed).choice(n_rows, size=subsample, replace=True, p=weight / weight.sum())
            stats = _exact_stats(values.gather(idx), strategy=strategy, n_bins=n_bins, method=method,
                                 subsample=None, seed=seed, dtype=dtype).item()
            return pl.Series([{**stats, "n_missing": n_missing}], dtype=_exact_struct())
        return _weighted_stats(values, weight, strategy=strategy, n_bins=n_bins, method=method, wd=wd)
    n_missing = None  # without a subsample: n_rows - n_valid, known after the fit (no extra pass)
    if subsample is not None and n_rows > subsample:
        n_missing = s.null_count() + (int(s.is_nan().sum()) if s.dtype.is_float() else 0)
        # scikit-learn's resample(replace=True): RandomState(seed).choice(n, size)
        idx = np.random.RandomState(seed).choice(n_rows, size=subsample, replace=True)
        s = s.gather(idx)
    chunks = column_chunks(s)  # batches of a pipeline pass arrive as chunks: no concatenation
    edges = None
    if strategy == "quantile":
        n_valid, e = percentiles(chunks, np.linspace(0, 100, n_bins + 1), method, dtype=wd)
        lo, hi = (float(e[0]), float(e[-1])) if n_valid else (math.nan, math.nan)
        edges = e.tolist() if n_valid else None
    else:
        parts = [c.valid_values() for c in chunks]
        valid = (np.concatenate(parts) if parts else np.empty(0)).astype(wd)
        n_valid = int(valid.size)
        lo, hi = (float(valid.min()), float(valid.max())) if n_valid else (math.nan, math.nan)
        if strategy == "kmeans" and n_valid and lo != hi:
            edges = _kmeans_edges(valid, n_bins).tolist()
    if n_missing is None:
        n_missing = n_rows - n_valid
    value = {"n_valid": n_valid, "n_missing": int(n_missing), "min": lo, "max": hi, "edges": edges}
    return pl.Series([value], dtype=_exact_struct())


def _weighted_stats(values, weight: np.ndarray, *, strategy: str, n_bins: int, method: str, wd: np.dtype):
    """:func:`_exact_stats` of a weighted column (scikit-learn's weighted fit; missing values
    and their weights left out)."""
    import polars as pl

    v = values.cast(pl.Float64).to_numpy()
    valid = ~np.isnan(v)
    v, w = v[valid].astype(wd), weight[valid]
    n_valid, n_missing = int(v.size), int((~valid).sum())
    edges = None
    if strategy == "quantile":
        if method not in ("inverted_cdf", "averaged_inverted_cdf"):
            raise ConfigError("When fitting with strategy='quantile' and sample weights, quantile_method should "
                              "either be set to 'averaged_inverted_cdf' or 'inverted_cdf', got "
                              f"quantile_method={method!r} instead.")
        lo, hi = (float(v.min()), float(v.max())) if n_valid else (math.nan, math.nan)
        if n_valid and lo != hi:
            fd = wd if wd.kind == "f" else np.dtype(np.float64)  # (scikit-learn's floating dtype)
            edges = weighted_percentile(v.astype(fd), w.astype(fd), np.linspace(0, 100, n_bins + 1),
                                        average=method == "averaged_inverted_cdf").tolist()
    else:
        # as scikit-learn: the range of the rows with a non-zero weight
        nz = v[w != 0]
        lo, hi = (float(nz.min()), float(nz.max())) if nz.size else (math.nan, math.nan)
        n_valid = int(nz.size) and n_valid
        if strategy == "kmeans" and nz.size and lo != hi:
            edges = _kmeans_edges(v, n_bins, w.astype(wd), bounds=(nz.min(), nz.max())).tolist()
    value = {"n_valid": n_valid, "n_missing": n_missing, "min": lo, "max": hi, "edges": edges}
    return pl.Series([value], dtype=_exact_struct())


def weighted_percentile(values: np.ndarray, weight: np.ndarray, ranks: np.ndarray, *, average: bool) -> np.ndarray:
    """scikit-learn's ``_weighted_percentile`` of a 1-D array without missing values
    (``inverted_cdf``; ``averaged_inverted_cdf`` with ``average``), step for step and in the
    values' dtype, so the edges are scikit-learn's bit for bit.

    Examples
    --------
    >>> weighted_percentile(np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4), np.array([0.0, 50.0, 100.0]), average=True)
    array([1. , 2.5, 4. ])
    """
    dt = values.dtype
    order = np.argsort(values, kind="stable")
    cdf = np.cumsum(weight[order])
    ranks = np.asarray(ranks, dtype=dt)
    out = np.empty(len(ranks), dtype=dt)
    last = len(values) - 1
    for p, rank in enumerate(ranks):
        target = rank / 100 * cdf[-1]
        if target == 0:  # leading zero weights are skipped at rank 0
            target = np.nextafter(target, target + 1)
        i = min(max(int(np.searchsorted(cdf, target)), 0), last)
        x = values[order[i]]
        if average:
            above = (cdf[i] - target) > np.finfo(dt).eps
            j = min(i + 1, last)
            if weight[order[j]] == 0:  # the next value has no weight: the next one that has
                nxt = int(np.searchsorted(cdf, cdf[i], side="right"))
                j = i if nxt > last else nxt
            out[p] = x if above else (x + values[order[j]]) / 2
        else:
            out[p] = x
    return out


def _kmeans_edges(column: np.ndarray, n_bins: int, weight: np.ndarray | None = None, bounds=None) -> np.ndarray:
    # scikit-learn's KBinsDiscretizer kmeans branch, operation for operation
    from sklearn.cluster import KMeans

    col_min, col_max = (column.min(), column.max()) if bounds is None else bounds
    uniform_edges = np.linspace(col_min, col_max, n_bins + 1)
    init = (uniform_edges[1:] + uniform_edges[:-1])[:, None] * 0.5
    km = KMeans(n_clusters=n_bins, init=init, n_init=1)
    centers = km.fit(column[:, None], sample_weight=weight).cluster_centers_[:, 0]
    centers.sort()
    edges = (centers[1:] + centers[:-1]) * 0.5
    return np.asarray(np.r_[col_min, edges, col_max], dtype=np.float64)


def _sketch_bytes(s, *, k: int, seed: int):
    import polars as pl

    from tabprep.bin._sketch import KLLSketch

    sk = KLLSketch(k, seed).update(column_buffers(s).valid_values())
    return pl.Series([sk.to_bytes()], dtype=pl.Binary)


def _bin_column(s, *, inner, table, dtype: str, missing_value: float, on_missing: str, name: str):
    """Transform one batch of one column: table[bin] per row (compiled), missing per policy."""
    import polars as pl

    out, n_missing = bin_codes(column_buffers(s), inner, table, dtype=dtype, missing=missing_value,
                               return_missing=True)
    if n_missing and on_missing == "error":
        raise DataError("missing values (null or NaN) at transform time", column=name,
                        found=f"{n_missing} missing in a batch",
                        hint="impute them first or use handle_missing='null' or 'bin'")
    result = pl.Series(s.name, out)
    if n_missing and math.isnan(missing_value):
        result = result.fill_nan(None)
    return result


def _onehot_name(column: str, i: int) -> str:
    # scikit-learn's names: its OneHotEncoder sees float bin numbers, so "x0_0.0", "x0_1.0", ...
    return f"{column}_{float(i)!r}"


def _raise_if_missing(s, *, name: str):
    n = s.null_count()
    if n:
        raise DataError("missing values (null or NaN) at transform time", column=name, found=f"{n} missing in a batch",
                        hint="impute them first or use handle_missing='null' or 'bin'")
    return s


# ---------------------------------------------------------------------------- the step

@register_step
class KBinsDiscretizer(Step):
    """Bin continuous columns into intervals (scikit-learn's ``KBinsDiscretizer``, same edges).

    Parameters
    ----------
    n_bins : int or array-like of int, default=5
        Bins per column (>= 2).
    encode : {"onehot", "onehot-dense", "ordinal", "midpoint"}, default="onehot"
        ``ordinal``: the bin number (a float, as scikit-learn); ``midpoint``: the middle of the
        bin's edges (a constant column keeps its value); ``onehot``/``onehot-dense``: one 0/1
        column per bin named ``<column>_<bin>.0`` as scikit-learn names them (a SciPy CSR matrix for ``onehot`` on array input,
        as scikit-learn; Polars has no sparse columns, so frames always get dense columns).
    strategy : {"uniform", "quantile", "kmeans"}, default="quantile"
    quantile_method : str, default="averaged_inverted_cdf"
        Any ``numpy.percentile`` method scikit-learn 1.9 accepts (``inverted_cdf``,
        ``averaged_inverted_cdf``, ``closest_observation``, ``interpolated_inverted_cdf``,
        ``hazen``, ``weibull``, ``linear``, ``median_unbiased``, ``normal_unbiased``).
    dtype : {np.float64, np.float32, "float64", "float32"}, optional
        Output dtype; default: Float32 for Float32 columns, Float64 otherwise.
    subsample : int or None, default=200_000
        Fit on a bootstrap sample of this many rows when a column has more (scikit-learn's
        default); ``None`` = exact on all rows.
    random_state : int or None, default=None
        Seed of the subsample (``None`` = 0: deterministic).
    handle_missing : {"null", "bin", "error"}, default="null"
        Null and NaN are ignored by ``fit``. At transform they give a null (``"null"``; a NaN in
        NumPy output), their own last bin number ``n_bins_`` (``"bin"``; an extra one-hot column
        ``<column>_<n_bins_>.0``), or a :class:`~tabprep.errors.DataError` (``"error"``).
    sketch : bool or int, default=False
        Quantile strategy only: fit from mergeable KLL sketches (``True`` = ``k=200``, an int sets
        ``k``) instead of exact quantiles; makes the step mergeable (streaming/distributed fits).
        Every value enters the sketch (``subsample`` is ignored); edges are sketch quantiles
        (``inverted_cdf``-like, ``quantile_method`` is ignored) whose ranks are within
        ``sketch_rank_error_ * n`` of the exact ones (99% confidence).

    Attributes
    ----------
    bin_edges_ : ndarray of ndarray
        Edges per column (``n_bins_[j] + 1`` values; ``[-inf, inf]`` for a constant column).
    n_bins_ : ndarray of int64
        Bins per column after removing bins narrower than 1e-8 (with a warning, as scikit-learn).
        With ``strategy="quantile"`` the saved state then also records which quantiles the kept
        edges are (``edge_ranks``: edge ``k`` of ``n_bins`` is the ``k / n_bins`` quantile), so
        :func:`tabprep.validate.drift` knows each kept bin's share of the training rows.
    n_missing_ : ndarray of int64
        Missing (null or NaN) values per column seen by ``fit``.
    sketches_ : dict of str to KLLSketch
        The fitted sketches (``sketch`` only); ``sketch_rank_error_`` is their normalized rank
        error bound.
    n_features_in_, feature_names_in_

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.bin import KBinsDiscretizer
    >>> df = pl.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, None]})
    >>> kb = KBinsDiscretizer(n_bins=3, encode="ordinal", subsample=None).fit(df)
    >>> kb.bin_edges_[0]
    array([0. , 1.5, 3.5, 5. ])
    >>> kb.transform(df)["x"].to_list()
    [0.0, 0.0, 1.0, 1.0, 2.0, 2.0, None]
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_bins": [_NBins()],
        "encode": [Options(_ENCODES)],
        "strategy": [Options(_STRATEGIES)],
        "quantile_method": [Options((
            "inverted_cdf", "averaged_inverted_cdf", "closest_observation", "interpolated_inverted_cdf",
            "hazen", "weibull", "linear", "median_unbiased", "normal_unbiased"))],
        "dtype": [_FloatDType(), None],
        "subsample": [Interval(int, 1, None), None],
        "random_state": [Interval(int, 0, 2**32 - 1), None],
        "handle_missing": [Options(_HANDLE_MISSING)],
        "sketch": ["boolean", Interval(int, 8, 65535)],
    }

    def __init__(self, n_bins=5, *, encode="onehot", strategy="quantile", quantile_method="averaged_inverted_cdf",
                 dtype=None, subsample=200_000, random_state=None, handle_missing="null", sketch=False):
        self.n_bins = n_bins
        self.encode = encode
        self.strategy = strategy
        self.quantile_method = quantile_method
        self.dtype = dtype
        self.subsample = subsample
        self.random_state = random_state
        self.handle_missing = handle_missing
        self.sketch = sketch

    # ------------------------------------------------------------------ parameters
    def _validate_extra(self):
        if self._sketch_k() and self.strategy != "quantile":
            raise param_error("sketch", "KBinsDiscretizer", "be False or None unless strategy='quantile' (a sketch needs "
                              "strategy='quantile')", shown=f"sketch={self.sketch!r}, strategy={self.strategy!r}")

    def _sketch_k(self) -> int:
        from tabprep.bin._sketch import DEFAULT_K

        if self.sketch is True:
            return DEFAULT_K
        if self.sketch is False or self.sketch is None:
            return 0
        return int(self.sketch)

    @property
    def mergeable(self) -> bool:  # type: ignore[override]
        """Mergeable across batches: uniform without subsampling, or quantile from sketches."""
        return bool(self._sketch_k()) or (self.strategy == "uniform" and self.subsample is None)

    def _n_bins_for(self, n_features: int) -> np.ndarray:
        if isinstance(self.n_bins, numbers.Integral):
            return np.full(n_features, int(self.n_bins), dtype=np.int64)
        n_bins = np.asarray(self.n_bins, dtype=np.int64)
        if n_bins.shape != (n_features,):
            raise ConfigError("n_bins must be a scalar or array of shape (n_features,).",
                              found=f"shape {n_bins.shape} for {n_features} features")
        return n_bins.copy()

    def _seed(self) -> int:
        return 0 if self.random_state is None else int(self.random_state)

    def _out_dtype(self, in_dtype):
        import polars as pl

        if self.dtype is not None:
            name = self.dtype if isinstance(self.dtype, str) else np.dtype(self.dtype).name
            return pl.Float32 if name == "float32" else pl.Float64
        return float_dtype_for(in_dtype)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"] if self.dtype is None else []
        return tags

    # ------------------------------------------------------------------ lazy fit
    def fit(self, X, y=None, sample_weight=None):
        """Fit the bin edges on ``X`` (Polars/pandas/pyarrow frame or 2-D array).

        Parameters
        ----------
        X : frame or array-like of shape (n_samples, n_features)
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), optional
            As scikit-learn: ``quantile`` takes weighted percentiles (``quantile_method`` must be
            ``"inverted_cdf"`` or ``"averaged_inverted_cdf"``), ``uniform`` and ``kmeans`` take
            the range of the rows with a non-zero weight (``kmeans`` weighs its clusters), and a
            subsample is drawn with probabilities proportional to the weights (the fit on it is
            then unweighted). Weights must be finite and >= 0, not all zero. Not with ``sketch``.

        Returns
        -------
        self
        """
        from tabprep._base.fit import fit_single_step
        from tabprep._base.params import validate_params
        from tabprep.io._dispatch import coerce

        validate_params(self)
        fit_single_step(self, coerce(X, **self._array_params()), y, sample_weight=sample_weight)
        return self

    def fit_exprs(self, schema, columns, target, sample_weight: str | None = None):
        """The statistics of the fit; ``sample_weight`` names a weight column (see :meth:`fit`)."""
        import polars as pl

        require_numeric(self, schema, columns)
        n_bins = self._n_bins_for(len(columns))
        exprs = {"count:rows": pl.len()}
        k = self._sketch_k()
        wd = work_dtype(schema, columns)
        if sample_weight is not None and k:
            raise ConfigError("KBinsDiscretizer(sketch=...) cannot take sample_weight (the sketch is unweighted)",
                              hint="use sketch=False for a weighted fit")
        for j, c in enumerate(columns):
            x = missing_as_null(c, schema[c])
            if sample_weight is not None:
                w = pl.col(sample_weight)
                if self.mergeable:  # uniform, exact min/max of the rows with a non-zero weight
                    exprs[f"count:{c}"] = x.count()
                    exprs[f"min:{c}"] = x.filter(w != 0).min()
                    exprs[f"max:{c}"] = x.filter(w != 0).max()
                    exprs[f"count:nonzero:{c}"] = x.filter(w != 0).count()
                    continue
                fn = partial(_exact_stats, strategy=self.strategy, n_bins=int(n_bins[j]), method=self.quantile_method,
                             subsample=self.subsample, seed=self._seed(), dtype=wd.name, weighted=True)
                exprs[f"exact:{c}"] = pl.struct(pl.col(c), w).map_batches(fn, return_dtype=_exact_struct(),
                                                                         returns_scalar=True)
                continue
            if k:
                exprs[f"count:{c}"] = x.count()
                exprs[f"kll:{c}"] = x.map_batches(partial(_sketch_bytes, k=k, seed=self._seed()),
                                                  return_dtype=pl.Binary, returns_scalar=True)
            elif self.mergeable:  # uniform, exact min/max
                exprs[f"count:{c}"] = x.count()
                exprs[f"min:{c}"] = x.min()
                exprs[f"max:{c}"] = x.max()
            else:
                fn = partial(_exact_stats, strategy=self.strategy, n_bins=int(n_bins[j]), method=self.quantile_method,
                             subsample=self.subsample, seed=self._seed(), dtype=wd.name)
                exprs[f"exact:{c}"] = pl.col(c).map_batches(fn, return_dtype=_exact_struct(), returns_scalar=True)
        # every fit path treats NaN as missing itself (missing_as_null, or the kernels)
        return {key: skipping_nan(e) for key, e in exprs.items()}

    def merge_stats(self, parts):
        if not self.mergeable:
            return super().merge_stats(parts)
        from tabprep.bin._sketch import KLLSketch

        sketch_keys = [key for key in parts[0] if key.startswith("kll:")]
        merged = merge_by_prefix([{k: v for k, v in p.items() if not k.startswith("kll:")} for p in parts])
        for key in sketch_keys:
            merged[key] = KLLSketch.merge_all(KLLSketch.from_bytes(p[key]) for p in parts).to_bytes()
        return merged

    def _column_stats(self, stats, c):
        """(n_valid, n_missing, min, max, raw edges or None) of column ``c`` from its statistics."""
        if f"exact:{c}" in stats:
            st = stats[f"exact:{c}"]
            edges = None if st["edges"] is None else np.asarray(st["edges"], dtype=np.float64)
            return int(st["n_valid"]), int(st["n_missing"]), st["min"], st["max"], edges
        rows = int(stats["count:rows"])
        n_valid = int(stats[f"count:{c}"] or 0)
        if f"kll:{c}" in stats:
            from tabprep.bin._sketch import KLLSketch

            sk = KLLSketch.from_bytes(stats[f"kll:{c}"])
            self._sketches[c] = sk
            nb = int(self._n_bins[self._col_index[c]])
            edges = sk.quantiles(np.true_divide(np.linspace(0, 100, nb + 1), 100)) if n_valid else None
            return n_valid, rows - n_valid, sk.min, sk.max, edges
        if f"count:nonzero:{c}" in stats and not stats[f"count:nonzero:{c}"]:
            return 0, rows - n_valid, math.nan, math.nan, None  # no weighted value
        return n_valid, rows - n_valid, stats[f"min:{c}"], stats[f"max:{c}"], None

    def _finalize(self, stats, schema, columns):
        wd = work_dtype(schema, columns)
        self._n_bins = self._n_bins_for(len(columns))
        self._col_index = {c: j for j, c in enumerate(columns)}
        self._sketches = {}
        n_bins = self._n_bins.copy()
        bin_edges = np.zeros(len(columns), dtype=object)
        midpoints, n_missing = [], []
        edge_ranks: list = [None] * len(columns)
        for j, c in enumerate(columns):
            n_valid, missing, lo, hi, raw = self._column_stats(stats, c)
            n_missing.append(missing)
            if missing and self.handle_missing == "error":
                raise DataError("missing values (null or NaN) while fitting", column=c, found=f"{missing} missing",
                                hint="impute them first or use handle_missing='null' or 'bin'")
            if n_valid and not (math.isfinite(lo) and math.isfinite(hi)):
                # (an exact quantile next to an infinity interpolates to NaN: no extreme to show)
                raise infinity_error(type(self).__name__, c)
            if n_valid == 0 or lo == hi:
                what = "has no non-missing value" if n_valid == 0 else "is constant"
                warnings.warn(f"Feature {j} ({c!r}) {what} and will be replaced with 0.", UserWarning, stacklevel=3)
                n_bins[j] = 1
                bin_edges[j] = np.array([-np.inf, np.inf])
                midpoints.append([math.nan if n_valid == 0 else float(lo)])
                continue
            if self.strategy == "uniform":
                edges = np.linspace(wd.type(lo), wd.type(hi), n_bins[j] + 1)
            else:
                # scikit-learn's k-means edges are in the data's dtype (quantile ones in float64)
                edges = raw.astype(wd) if self.strategy == "kmeans" and wd.kind == "f" else raw
                # scikit-learn removes bins whose width is <= 1e-8
                mask = np.ediff1d(edges, to_begin=np.inf) > 1e-8
                edges = edges[mask]
                if len(edges) - 1 != n_bins[j]:
                    warnings.warn(f"Bins whose width are too small (i.e., <= 1e-8) in feature {j} ({c!r}) are "
                                  "removed. Consider decreasing the number of bins.", UserWarning, stacklevel=3)
                    if self.strategy == "quantile":
                        # which quantiles the kept edges are (edge k is the k / n_bins quantile):
                        # a kept bin then holds its known share of the training rows (drift's PSI)
                        edge_ranks[j] = np.flatnonzero(mask).tolist()
                    n_bins[j] = len(edges) - 1
            bin_edges[j] = edges
            mids = (edges[1:] + edges[:-1]) * 0.5 if len(edges) > 1 else edges[:1]
            midpoints.append(np.asarray(mids, dtype=np.float64).tolist())
        self.bin_edges_ = bin_edges
        self.n_bins_ = n_bins
        self.n_missing_ = np.asarray(n_missing, dtype=np.int64)
        self._midpoints = midpoints
        self._edge_ranks = edge_ranks if any(r is not None for r in edge_ranks) else None
        if self._sketch_k():
            from tabprep.bin._sketch import rank_error_bound

            self.sketches_ = dict(self._sketches)
            self.sketch_rank_error_ = rank_error_bound(self._sketch_k())
        del self._sketches, self._n_bins, self._col_index

    # ------------------------------------------------------------------ transform
    def _extra_bin(self) -> int:
        return 1 if self.handle_missing == "bin" else 0

    def _names_out(self, names):
        if self.encode not in ("onehot", "onehot-dense"):
            return list(names)
        out = []
        for name, nb in zip(names, self.n_bins_):
            out += [_onehot_name(name, i) for i in range(int(nb) + self._extra_bin())]
        return out

    def planned_output_schema(self, schema, columns):
        if self.encode in ("onehot", "onehot-dense"):
            return None  # the number of bins is known only after fitting
        require_numeric(self, schema, columns)
        return {c: self._out_dtype(schema[c]) for c in columns}

    def explain_failure(self, lf, schema):
        """The row of a transform's failure: an infinity, or (``handle_missing="error"``) a
        missing value, in an input column."""
        import polars as pl

        names = [c for c in self._input_names() if c in schema]
        better = explain_infinity(self, lf, schema, names)
        if better is not None or self.handle_missing != "error" or not names:
            return better
        hit = first_row_where(lf, {c: pl.col(c).is_null() | pl.col(c).is_nan() if schema[c].is_float()
                                   else pl.col(c).is_null() for c in names})
        if hit is None:
            return None
        return DataError("missing values (null or NaN) at transform time", column=hit[0], row=hit[1],
                         hint="impute them first or use handle_missing='null' or 'bin'")

    def transform_exprs(self, schema):
        import polars as pl

        exprs = []
        for j, c in enumerate(self._input_names()):
            out_dtype = self._out_dtype(schema[c])
            np_name = "float32" if out_dtype == pl.Float32 else "float64"
            edges = np.asarray(self.bin_edges_[j], dtype=np.float64)
            inner = np.ascontiguousarray(edges[1:-1])
            nb = int(self.n_bins_[j])
            # as scikit-learn, an explicit float32 output dtype rounds the values to float32
            # *before* they are compared with the (float64) edges; +-inf is refused (as
            # scikit-learn's check_array), not put in the first or last bin
            source = refuse_infinity(pl.col(c), self, c, schema[c])
            if out_dtype == pl.Float32 and self.dtype is not None and schema[c] != pl.Float32:
                source = source.cast(pl.Float32)
            if self.encode in ("ordinal", "midpoint"):
                # n_bins_ can be 0 when every bin was narrower than 1e-8 (one edge left): as
                # scikit-learn, every value then gets bin 0
                if self.encode == "ordinal":
                    table = np.arange(max(nb, 1), dtype=np.float64)
                    missing = float(nb) if self.handle_missing == "bin" else math.nan
                else:
                    table = np.asarray(self._midpoints[j], dtype=np.float64)
                    missing = math.nan
                fn = partial(_bin_column, inner=inner, table=table, dtype=np_name, missing_value=missing,
                             on_missing=self.handle_missing, name=c)
                exprs.append(source.map_batches(fn, return_dtype=out_dtype, is_elementwise=True).alias(c))
                continue
            x = source.cast(pl.Float64)
            if schema[c].is_float():
                x = x.fill_nan(None)
            if self.handle_missing == "error":
                x = x.map_batches(partial(_raise_if_missing, name=c), return_dtype=pl.Float64, is_elementwise=True)
            for i in range(nb):
                if nb == 1:
                    hit = pl.when(x.is_null()).then(None).otherwise(pl.lit(True))
                elif i == 0:
                    hit = x < float(inner[0])
                elif i == nb - 1:
                    hit = x >= float(inner[-1])
                else:
                    hit = (x >= float(inner[i - 1])) & (x < float(inner[i]))
                if self.handle_missing == "bin":
                    hit = hit.fill_null(False)
                exprs.append(hit.cast(out_dtype).alias(_onehot_name(c, i)))
            if self.handle_missing == "bin":
                exprs.append(x.is_null().cast(out_dtype).alias(_onehot_name(c, nb)))
        return exprs

    def transform(self, X):
        """Bin ``X``; ``encode="onehot"`` on array input gives a SciPy CSR matrix (as scikit-learn)."""
        out = super().transform(X)
        if self.encode == "onehot" and isinstance(out, np.ndarray):
            from scipy import sparse

            return sparse.csr_matrix(out)
        return out

    def inverse_transform(self, X):
        """Map bin numbers (or one-hot blocks) back to the centers of their bins (scikit-learn's).

        As in scikit-learn, the data cannot be recovered: each value becomes its bin's center
        ``(bin_edges_[j][k] + bin_edges_[j][k + 1]) / 2`` (NaN for a constant column, whose edges
        are ``[-inf, inf]``), in float32 for float32 ordinal input and float64 otherwise. tabprep's
        extensions: a missing code (NaN, an all-zero or NaN one-hot block, the missing bin of
        ``handle_missing="bin"``) gives NaN; ``encode="midpoint"`` output is returned as is. A
        code no bin has is a :class:`~tabprep.errors.DataError` (scikit-learn: an IndexError).

        Parameters
        ----------
        X : array-like or sparse matrix
            :meth:`transform`'s output (a frame's columns in output order).

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            Always a NumPy array, as scikit-learn's.

        Examples
        --------
        >>> import numpy as np
        >>> kb = KBinsDiscretizer(n_bins=2, encode="ordinal", strategy="uniform").fit([[0.0], [4.0]])
        >>> kb.inverse_transform(np.array([[0.0], [1.0]]))
        array([[1.],
               [3.]])
        """
        self._check_fitted()
        from scipy import sparse
        from sklearn.utils import check_array

        import polars as pl

        if isinstance(X, pl.DataFrame):
            X = X.to_numpy()
        if sparse.issparse(X):
            X = X.toarray()
        Xa = check_array(X, copy=True, dtype=(np.float64, np.float32), ensure_all_finite="allow-nan")
        if self.encode in ("onehot", "onehot-dense"):
            widths = [int(nb) + self._extra_bin() for nb in self.n_bins_]
            if Xa.shape[1] != sum(widths):
                raise DataError(f"Shape of the passed X data is not correct. Expected {sum(widths)} columns, "
                                f"got {Xa.shape[1]}.", hint="pass the output of transform")
            # float64 whatever the input (scikit-learn's one-hot inverse gives integer bins first)
            codes = np.empty((Xa.shape[0], len(widths)), dtype=np.float64)
            start = 0
            for j, w in enumerate(widths):
                block = Xa[:, start:start + w]
                code = block.argmax(axis=1).astype(np.float64)
                # an all-zero or null block is a missing value (tabprep's outputs only)
                code[(block.sum(axis=1) == 0) | np.isnan(block).any(axis=1)] = np.nan
                codes[:, j] = code
                start += w
            Xa = codes
        elif self.encode == "midpoint":
            if Xa.shape[1] != self.n_features_in_:
                raise DataError(f"Incorrect number of features. Expecting {self.n_features_in_}, "
                                f"received {Xa.shape[1]}.")
            return Xa
        if Xa.shape[1] != self.n_features_in_:
            raise DataError(f"Incorrect number of features. Expecting {self.n_features_in_}, received {Xa.shape[1]}.")
        names = self._input_names()
        for j in range(self.n_features_in_):
            edges = self.bin_edges_[j]
            with np.errstate(invalid="ignore"):  # -inf + inf: a constant column's center is NaN
                centers = (edges[1:] + edges[:-1]) * 0.5
            codes = Xa[:, j]
            missing = np.isnan(codes)
            if self.handle_missing == "bin":
                missing |= codes == len(centers)
            known = codes[~missing]
            bad = (known < 0) | (known >= len(centers)) | (known != np.floor(known))
            if bad.any():
                row = int(np.flatnonzero(~missing)[np.argmax(bad)])
                raise DataError("a bin number that no bin has", column=names[j], row=row,
                                found=repr(float(known[bad][0])), hint="pass the output of transform")
            Xa[~missing, j] = centers[known.astype(np.int64)]
            Xa[missing, j] = np.nan
        return Xa

    # ------------------------------------------------------------------ serialization

    def _get_state(self):
        return {
            "bin_edges": [np.asarray(e, dtype=np.float64).tolist() for e in self.bin_edges_],
            "edges_dtype": [np.asarray(e).dtype.name for e in self.bin_edges_],
            "n_bins": [int(v) for v in self.n_bins_],
            "n_missing": [int(v) for v in self.n_missing_],
            "midpoints": [list(m) for m in self._midpoints],
            # only when quantile edges were dropped: per column, the requested quantile index of
            # each kept edge (None for a column that kept all), so other states are unchanged
            **({"edge_ranks": self._edge_ranks} if getattr(self, "_edge_ranks", None) else {}),
        }

    def _get_tables(self):
        if not hasattr(self, "sketches_"):
            return {}
        import pyarrow as pa

        names = list(self.sketches_)
        return {"sketches": pa.table({
            "column": pa.array(names, pa.string()),
            "sketch": pa.array([self.sketches_[n].to_bytes() for n in names], pa.binary()),
        })}

    def _set_state(self, state, tables):
        edges = np.zeros(len(state["bin_edges"]), dtype=object)
        for j, (e, dt) in enumerate(zip(state["bin_edges"], state["edges_dtype"])):
            edges[j] = np.asarray(e, dtype=np.float64).astype(dt)
        self.bin_edges_ = edges
        self.n_bins_ = np.asarray(state["n_bins"], dtype=np.int64)
        self.n_missing_ = np.asarray(state["n_missing"], dtype=np.int64)
        self._midpoints = [list(m) for m in state["midpoints"]]
        self._edge_ranks = state.get("edge_ranks")
        if len(self.n_bins_) != len(edges) or any(len(e) != nb + 1 for e, nb in zip(edges, self.n_bins_)):
            raise ValueError("bin_edges and n_bins disagree")
        if "sketches" in tables:
            from tabprep.bin._sketch import KLLSketch, rank_error_bound

            t = tables["sketches"]
            self.sketches_ = {str(c): KLLSketch.from_bytes(b) for c, b in
                              zip(t.column("column").to_pylist(), t.column("sketch").to_pylist())}
            self.sketch_rank_error_ = rank_error_bound(self._sketch_k())
