"""Scalers with scikit-learn's names, parameters, methods and fitted attributes, computed lazily by Polars.

Missing values: nulls and NaNs are both ignored when fitting (as scikit-learn ignores NaN) and
kept as they are by ``transform`` and ``inverse_transform`` (a null stays null, a NaN stays NaN).
Infinity is refused, at fit and at transform alike (a :class:`~tabprep.errors.DataError` naming
the column; scikit-learn refuses it too). Integer and Boolean columns become Float64; Float32
and Float16 stay as they are (computed in float64, rounded once at the end), as in scikit-learn.
Fitted attributes are float64 arrays aligned with ``feature_names_in_``.

As in scikit-learn: ``StandardScaler.fit(sample_weight=)``; ``partial_fit`` of ``StandardScaler``,
``MinMaxScaler`` and ``MaxAbsScaler`` (the batch's statistics merged with the stored ones: over
any chunking, the state of one ``fit``); ``inverse_transform``; SciPy sparse input where
scikit-learn takes it (``StandardScaler(with_mean=False)``, ``MaxAbsScaler``,
``RobustScaler(with_centering=False)``; the output is sparse, in scikit-learn's format).
``copy``: with ``copy=False`` a float NumPy array (or a sparse matrix) is scaled in place and
returned, as in scikit-learn; a frame (Polars, pandas, pyarrow) is never modified, whatever
``copy`` says (the output is a new frame; Polars shares unchanged buffers). Every difference from
scikit-learn, with its reason: ``docs/sklearn-differences.md``.
"""

from __future__ import annotations

import math

import numpy as np

from tabprep._base.fit import fit_single_step, step_statistics
from tabprep._base.params import Interval, Pair, param_error, validate_params
from tabprep._base.stats import (
    check_finite,
    explain_infinity,
    infinity_exprs,
    exact_median,
    exact_quantile,
    finalize_moments,
    float_out_dtype,
    float_col,
    moment_exprs,
    order_stat_exprs,
    refuse_infinity,
    require_numeric,
    weighted_moment_exprs,
)
from tabprep._base.step import Step, register_step, write_back
from tabprep.errors import ConfigError
from tabprep.io._dispatch import coerce, convert_output

__all__ = ["StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler"]

_EPS = np.finfo(np.float64).eps


def _handle_zeros_in_scale(scale: np.ndarray) -> np.ndarray:
    # scikit-learn's rule: scales below 10 eps are treated as zero and replaced by 1
    scale = scale.copy()
    scale[scale < 10 * _EPS] = 1.0
    return scale


def _floats(values) -> np.ndarray:
    return np.asarray([math.nan if v is None else float(v) for v in values], dtype=np.float64)


def _opt_array(state, key):
    value = state[key]
    return None if value is None else np.asarray(value, dtype=np.float64)


def _opt_list(value):
    return None if value is None else [float(v) for v in value]


def _none_if_nan(v):
    return None if v is None or math.isnan(v) else float(v)


_CENTER_SPARSE = ("Cannot center sparse matrices: pass `with_mean=False` instead. See docstring for "
                  "motivation and alternatives.")


class _Scaler(Step):
    """Shared parts of the numeric one-to-one scalers.

    A subclass gives ``_column_fn`` (the transform of one column) and ``_inverse_fn`` (its
    inverse), and for sparse input ``_sparse_formats`` (scikit-learn's ``accept_sparse`` of fit
    and of transform), ``_sparse_refusal`` (the error of parameters that would densify) and
    ``_sparse_factors`` (the per-column factors of the transform: a sparse transform only
    scales). ``partial_fit`` subclasses give ``_stats_so_far`` (the fitted state as statistics
    of ``fit_exprs``' keys).
    """

    #: scikit-learn's ``accept_sparse`` of ``fit`` and of ``transform``/``inverse_transform``
    #: (False: no sparse input)
    _sparse_formats: tuple = (False, False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = self._sparse_formats[0] is not False and self._sparse_refusal(inverse=False) is None
        return tags

    def _array_params(self):
        return {"array_dtype": "numeric", "ensure_all_finite": "allow-nan", "accept_sparse": self._sparse_formats[1]}

    def _sparse_refusal(self, *, inverse: bool):
        """The error for sparse input under these parameters (centering would densify), or None."""
        return None

    def _sparse_factors(self, *, inverse: bool):
        """Per-column factors a sparse transform multiplies by (None: leave the values)."""
        raise NotImplementedError

    def _fit_stats(self, X, y=None, sample_weight=None):
        validate_params(self)
        data = coerce(X, array_dtype="numeric", ensure_all_finite="allow-nan", accept_sparse=self._sparse_formats[0])
        self._check_sparse(data, inverse=False)
        return fit_single_step(self, data, y, sample_weight)

    def _check_sparse(self, data, *, inverse: bool):
        if data.kind == "sparse":
            refusal = self._sparse_refusal(inverse=inverse)
            if refusal is not None:
                raise refusal

    def _partial_fit(self, X, sample_weight=None):
        """Merge the statistics of batch ``X`` with those of the data seen so far."""
        if not hasattr(self, "n_features_in_"):
            self._fit_stats(X, None, sample_weight)
            return self
        validate_params(self)
        data = coerce(X, array_dtype="numeric", ensure_all_finite="allow-nan", accept_sparse=self._sparse_formats[0])
        self._check_sparse(data, inverse=False)
        named = hasattr(self, "feature_names_in_")
        new, schema, columns = step_statistics(self, self._align(data), None, sample_weight,
                                               columns=self._input_names())
        merged = self.merge_stats([self._stats_so_far(new), new])
        self.fit_finalize(merged, schema, columns)
        if not named:
            del self.feature_names_in_
        return self

    def _stats_so_far(self, like: dict) -> dict:
        raise NotImplementedError

    def planned_output_schema(self, schema, columns):
        require_numeric(self, schema, columns)
        return {c: float_out_dtype(schema[c]) for c in columns}

    def _column_fn(self, i: int, x):
        """The transform of input column ``i`` given it as a Float64 expression ``x``."""
        raise NotImplementedError

    def transform_exprs(self, schema):
        return self.inline_exprs(schema, {})

    def inline_exprs(self, schema, inputs):
        """One output expression per input column: ``_column_fn(i, float64 expr)``, then cast back.

        Infinity is refused as at fit (checked batch by batch, inside the query).
        """
        import polars as pl

        exprs = []
        for i, name in enumerate(self._input_names()):
            x = refuse_infinity(inputs.get(name, pl.col(name)), self, name, schema[name])
            out = self._column_fn(i, x.cast(pl.Float64))
            exprs.append(out.cast(float_out_dtype(schema[name])).alias(name))
        return exprs

    def explain_failure(self, lf, schema):
        return explain_infinity(self, lf, schema, self._input_names())

    def _transform_sparse(self, X):
        self._check_sparse_transform(inverse=False)
        return self._scale_sparse(X, self._sparse_factors(inverse=False))

    def _check_sparse_transform(self, *, inverse: bool):
        refusal = self._sparse_refusal(inverse=inverse)
        if refusal is not None:
            raise refusal

    def _scale_sparse(self, X, factors):
        from sklearn.utils.sparsefuncs import inplace_column_scale

        if factors is not None:
            inplace_column_scale(X, factors)
        return X

    def _inverse_fn(self, i: int, x):
        """The inverse transform of output column ``i`` given it as a Float64 expression ``x``."""
        raise NotImplementedError

    def _inverse_transform(self, X, copy: bool):
        """``inverse_transform``: the output columns (by name for a frame fitted on names, by
        position otherwise) back to the input's scale; containers and ``copy`` as ``transform``."""
        import polars as pl

        self._check_fitted()
        data = coerce(X, **self._array_params(), copy=copy)
        if data.kind == "sparse":
            self._check_sparse_transform(inverse=True)
            return self._scale_sparse(data.sparse, self._sparse_factors(inverse=True))
        lf = self._align(data)
        schema = lf.collect_schema()
        exprs = []
        for i, name in enumerate(self._input_names()):
            x = refuse_infinity(pl.col(name), self, name, schema[name])
            exprs.append(self._inverse_fn(i, x.cast(pl.Float64)).cast(float_out_dtype(schema[name])).alias(name))
        out = lf.select(exprs)
        if data.kind not in ("lazy", "path"):
            from tabprep._base.fit import collect_explained

            out = collect_explained(out, lambda: [(self, lf)]).lazy()
        return write_back(X, convert_output(out, data, self._output_config()), copy)


@register_step
class StandardScaler(_Scaler):
    """Standardize features: ``(x - mean_) / scale_`` (scikit-learn's StandardScaler).

    scikit-learn's parameters, methods (``fit(sample_weight=)``, ``partial_fit``,
    ``inverse_transform``, ``transform(copy=)``) and fitted attributes. Statistics are mergeable
    (count, mean and sum of squared deviations, merged with Chan's formula), so fitting in
    batches, or by ``partial_fit`` over any chunking, gives the in-memory result to ~1e-15
    relative; a constant column (with weights: constant over its cells of positive weight) gets
    exactly its value as ``mean_`` and 0 as ``var_``, however it is batched or weighted
    (scikit-learn's weighted mean of such a column can be off in its last bit, and it may then
    report a spread of rounding noise as ``scale_``, e.g. 1.4e-8 on sparse input, where this
    gives 1).

    Parameters
    ----------
    copy : bool, default=True
        ``False``: a float NumPy array or a sparse matrix given to ``transform`` or
        ``inverse_transform`` is scaled in place and returned (scikit-learn's meaning); frames
        are never modified.
    with_mean : bool, default=True
        Center the data (refused for sparse input, as scikit-learn: centering densifies).
    with_std : bool, default=True
        Scale to unit variance.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,) or None
        Per-feature (weighted) mean (None when ``with_mean=False`` and ``with_std=False``).
    var_ : ndarray of shape (n_features,) or None
        Per-feature (weighted) population variance (None when ``with_std=False``).
    scale_ : ndarray of shape (n_features,) or None
        ``sqrt(var_)``, with 1 for (near-)constant features, as scikit-learn.
    n_samples_seen_ : float, int or ndarray of shape (n_features,)
        Non-missing values per feature (their summed weights with ``sample_weight``); a scalar
        when equal for all features. Float64, as in scikit-learn, except for an unweighted
        ``with_mean=False, with_std=False`` (int64).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when the input had string column names (frames).

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.scale import StandardScaler
    >>> df = pl.DataFrame({"a": [1.0, 2.0, 3.0, None], "b": [0, 0, 0, 0]})
    >>> sc = StandardScaler().fit(df)
    >>> sc.mean_, sc.scale_, sc.n_samples_seen_
    (array([2., 0.]), array([0.81649658, 1.        ]), array([3., 4.]))
    >>> sc.transform(df)["a"].to_list()
    [-1.224744871391589, 0.0, 1.224744871391589, None]
    >>> sc.inverse_transform(sc.transform(df))["a"].to_list()
    [1.0, 2.0, 3.0, None]
    >>> StandardScaler().fit(df, sample_weight=[1, 1, 2, 0]).mean_
    array([2.25, 0.  ])
    """

    _parameter_constraints = {"copy": ["boolean"], "with_mean": ["boolean"], "with_std": ["boolean"]}
    #: scikit-learn's StandardScaler takes negative weights (its own checks, its own messages)
    negative_weights = True
    _sparse_formats = (("csr", "csc"), "csr")

    def __init__(self, *, copy=True, with_mean=True, with_std=True):
        self.copy = copy
        self.with_mean = with_mean
        self.with_std = with_std

    #: every statistic reads one column and skips its missing cells: fitted in the same pass as
    #: an imputer before it (see tabprep.pipeline._pipeline). Not when weighted: filled cells
    #: would need their weights, so the planner does not fuse a weighted step with a fill
    stats_skip_missing = True

    def fit(self, X, y=None, sample_weight=None):
        """Compute the mean and standard deviation of every column (``sample_weight``: one
        weight per row, as scikit-learn's; missing cells are skipped with their weights).

        Returns
        -------
        self
        """
        self._fit_stats(X, y, sample_weight)
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the statistics with the batch ``X`` (Chan's merge of the counts, means and sums
        of squared deviations: after any chunking, the state of one ``fit`` on all rows).

        Returns
        -------
        self
        """
        return self._partial_fit(X, sample_weight)

    def fit_exprs(self, schema, columns, target, sample_weight=None):
        import polars as pl

        require_numeric(self, schema, columns)
        exprs = {}
        for c in columns:
            if sample_weight is not None and (self.with_mean or self.with_std):
                exprs.update(weighted_moment_exprs(float_col(c, schema[c]), sample_weight, c))
            elif self.with_mean or self.with_std:
                # one kernel read: count, mean, sum of squared deviations and the infinity flag
                exprs.update(moment_exprs(pl.col(c) if schema[c].is_float() else float_col(c, schema[c]), c))
            else:
                x = float_col(c, schema[c])
                exprs.update(infinity_exprs(x, c, schema[c]))
                exprs[f"count:{c}"] = x.count()
        if sample_weight is not None:
            # scikit-learn's n_samples_seen_ is a float once weights were given (even when it
            # counts cells: with_mean=False, with_std=False)
            exprs["any:weighted"] = pl.lit(True)
        return exprs

    def _stats_so_far(self, like):
        n = np.broadcast_to(np.asarray(self.n_samples_seen_), (self.n_features_in_,))
        values = {}
        for i, c in enumerate(self._input_names()):
            ni = n[i].item()
            mean = math.nan if self.mean_ is None else float(self.mean_[i])
            m2 = 0.0 if self.var_ is None or ni == 0 else float(self.var_[i]) * ni
            values.update({f"n:{c}": ni, f"count:{c}": ni, f"mean:{c}": mean, f"m2:{c}": m2, f"sum:{c}": mean * ni,
                           f"any:inf:{c}": False})
        values["any:weighted"] = np.asarray(self.n_samples_seen_).dtype.kind == "f"
        return {key: values[key] for key in like}

    def _finalize(self, stats, schema, columns):
        check_finite(self, stats, columns)
        weighted = bool(stats.get("any:weighted"))
        if self.with_mean or self.with_std:
            moments = [finalize_moments(stats, c) for c in columns]
            # a float count, as scikit-learn's incremental mean/variance gives it
            n = np.asarray([m[0] for m in moments], dtype=np.float64)
            self.mean_ = np.asarray([m[1] for m in moments], dtype=np.float64)
            self.var_ = np.asarray([m[2] for m in moments], dtype=np.float64) if self.with_std else None
        else:
            n = np.asarray([int(stats[f"count:{c}"]) for c in columns], dtype=np.float64 if weighted else np.int64)
            self.mean_ = self.var_ = None
        self.n_samples_seen_ = n[0] if n.max() == n.min() else n
        if self.with_std:
            var, mean = self.var_, self.mean_
            with np.errstate(invalid="ignore"):
                constant = var <= self.n_samples_seen_ * _EPS * var + (self.n_samples_seen_ * mean * _EPS) ** 2
            scale = np.sqrt(var)
            scale[constant] = 1.0
            self.scale_ = scale
        else:
            self.scale_ = None

    def transform(self, X, copy=None):
        """Standardize ``X`` (the output container follows the input, as :meth:`Step.transform`).

        ``copy`` (None: the ``copy`` parameter): ``False`` scales a float NumPy array or a sparse
        matrix in place and returns it, as scikit-learn; a frame is never modified.
        """
        return self._transform(X, copy=self.copy if copy is None else copy)

    def inverse_transform(self, X, copy=None):
        """Scale standardized data back: ``x * scale_ + mean_`` (``copy`` as in :meth:`transform`)."""
        return self._inverse_transform(X, self.copy if copy is None else copy)

    def _sparse_refusal(self, *, inverse):
        if self.with_mean:
            return ConfigError(_CENTER_SPARSE.replace("center", "uncenter") if inverse else _CENTER_SPARSE)
        return None

    def _sparse_factors(self, *, inverse):
        if self.scale_ is None:
            return None
        return self.scale_ if inverse else 1 / self.scale_

    def _column_fn(self, i, x):
        if self.with_mean:
            x = x - float(self.mean_[i])
        if self.with_std:
            x = x / float(self.scale_[i])
        return x

    def _inverse_fn(self, i, x):
        if self.with_std:
            x = x * float(self.scale_[i])
        if self.with_mean:
            x = x + float(self.mean_[i])
        return x

    def _get_state(self):
        n = self.n_samples_seen_
        to = float if np.asarray(n).dtype.kind == "f" else int
        return {"mean": _opt_list(self.mean_), "var": _opt_list(self.var_), "scale": _opt_list(self.scale_),
                "n_samples_seen": to(n) if np.ndim(n) == 0 else [to(v) for v in n]}

    def _set_state(self, state, tables):
        self.mean_, self.var_, self.scale_ = (_opt_array(state, k) for k in ("mean", "var", "scale"))
        n = state["n_samples_seen"]
        kind = np.float64 if isinstance(n, float) or (isinstance(n, list) and n and isinstance(n[0], float)) else np.int64
        self.n_samples_seen_ = kind(n) if not isinstance(n, list) else np.asarray(n, dtype=kind)


@register_step
class MinMaxScaler(_Scaler):
    """Scale each feature to ``feature_range``: ``x * scale_ + min_`` (scikit-learn's MinMaxScaler).

    scikit-learn's parameters, methods (``partial_fit``, ``inverse_transform``) and fitted
    attributes; like scikit-learn's, it takes no sparse input (a ``TypeError``).

    Parameters
    ----------
    feature_range : tuple (min, max), default=(0, 1)
    copy : bool, default=True
        ``False``: a float NumPy array given to ``transform``/``inverse_transform`` is scaled in
        place and returned (scikit-learn's meaning); frames are never modified.
    clip : bool, default=False
        Clip transformed values of new data to ``feature_range``.

    Attributes
    ----------
    min_, scale_, data_min_, data_max_, data_range_ : ndarray of shape (n_features,)
    n_samples_seen_ : int
        Rows seen (missing values included, as scikit-learn).

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.scale import MinMaxScaler
    >>> mm = MinMaxScaler(feature_range=(-1, 1)).fit(pl.DataFrame({"a": [2.0, 4.0, 6.0]}))
    >>> mm.data_min_, mm.scale_, mm.min_
    (array([2.]), array([0.5]), array([-2.]))
    >>> mm.transform(pl.DataFrame({"a": [3.0, 8.0]}))["a"].to_list()
    [-0.5, 2.0]
    >>> mm.partial_fit(pl.DataFrame({"a": [10.0]})).data_max_, mm.n_samples_seen_
    (array([10.]), 4)
    """

    _parameter_constraints = {"feature_range": [Pair(Interval(float))], "copy": ["boolean"], "clip": ["boolean"]}

    def __init__(self, feature_range=(0, 1), *, copy=True, clip=False):
        self.feature_range = feature_range
        self.copy = copy
        self.clip = clip

    def _validate_extra(self):
        lo, hi = self.feature_range
        if lo >= hi:
            raise param_error("feature_range", "MinMaxScaler", "be increasing (minimum of desired feature range must be "
                              "smaller than maximum)", tuple(self.feature_range))

    #: sparse input is let through the dispatch only to be refused with scikit-learn's own
    #: MinMaxScaler error (``check_array``'s would read otherwise)
    _sparse_formats = ("csr", "csr")

    def _sparse_refusal(self, *, inverse):
        return TypeError("MinMaxScaler does not support sparse input. Consider using MaxAbsScaler instead.")

    def partial_fit(self, X, y=None):
        """Update ``data_min_``/``data_max_`` with the batch ``X`` (after any chunking, the state
        of one ``fit`` on all rows).

        Returns
        -------
        self
        """
        return self._partial_fit(X)

    def transform(self, X):
        """Scale ``X`` to ``feature_range`` (output container as :meth:`Step.transform`)."""
        return self._transform(X, copy=self.copy)

    def inverse_transform(self, X):
        """Undo the scaling: ``(x - min_) / scale_``."""
        return self._inverse_transform(X, self.copy)

    def fit_exprs(self, schema, columns, target):
        import polars as pl

        require_numeric(self, schema, columns)
        exprs = {"count:rows": pl.len()}
        for c in columns:
            x = float_col(c, schema[c])
            exprs[f"min:{c}"] = x.min()
            exprs[f"max:{c}"] = x.max()
        return exprs

    def _stats_so_far(self, like):
        out = {"count:rows": int(self.n_samples_seen_)}
        for c, lo, hi in zip(self._input_names(), self.data_min_, self.data_max_):
            out[f"min:{c}"], out[f"max:{c}"] = _none_if_nan(lo), _none_if_nan(hi)
        return out

    def _finalize(self, stats, schema, columns):
        check_finite(self, stats, columns, extremes=("min", "max"))
        lo, hi = float(self.feature_range[0]), float(self.feature_range[1])
        self.data_min_ = _floats(stats[f"min:{c}"] for c in columns)
        self.data_max_ = _floats(stats[f"max:{c}"] for c in columns)
        self.data_range_ = self.data_max_ - self.data_min_
        self.scale_ = (hi - lo) / _handle_zeros_in_scale(self.data_range_)
        self.min_ = lo - self.data_min_ * self.scale_
        self.n_samples_seen_ = int(stats["count:rows"])

    def _column_fn(self, i, x):
        x = x * float(self.scale_[i]) + float(self.min_[i])
        return x.clip(float(self.feature_range[0]), float(self.feature_range[1])) if self.clip else x

    def _inverse_fn(self, i, x):
        return (x - float(self.min_[i])) / float(self.scale_[i])

    def _get_state(self):
        return {k: [float(v) for v in getattr(self, f"{k}_")] for k in ("data_min", "data_max", "data_range", "scale", "min")} | {
            "n_samples_seen": int(self.n_samples_seen_)}

    def _set_state(self, state, tables):
        for k in ("data_min", "data_max", "data_range", "scale", "min"):
            setattr(self, f"{k}_", np.asarray(state[k], dtype=np.float64))
        self.n_samples_seen_ = int(state["n_samples_seen"])


@register_step
class MaxAbsScaler(_Scaler):
    """Scale each feature by its maximum absolute value (scikit-learn's MaxAbsScaler).

    scikit-learn's parameters, methods (``partial_fit``, ``inverse_transform``), fitted
    attributes and sparse input (CSR/CSC in, the same format out).

    Parameters
    ----------
    copy : bool, default=True
        ``False``: a float NumPy array or a sparse matrix given to ``transform`` or
        ``inverse_transform`` is scaled in place and returned (scikit-learn's meaning); frames
        are never modified.
    clip : bool, default=False
        Clip transformed values of new data to [-1, 1] (scikit-learn's parameter since 1.8).

    Attributes
    ----------
    max_abs_, scale_ : ndarray of shape (n_features,)
    n_samples_seen_ : int

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.scale import MaxAbsScaler
    >>> MaxAbsScaler().fit_transform(pl.DataFrame({"a": [-4.0, 2.0], "b": [0.0, 0.0]})).rows()
    [(-1.0, 0.0), (0.5, 0.0)]
    """

    _parameter_constraints = {"copy": ["boolean"], "clip": ["boolean"]}
    _sparse_formats = (("csr", "csc"), ("csr", "csc"))

    def __init__(self, *, copy=True, clip=False):
        self.copy = copy
        self.clip = clip

    def partial_fit(self, X, y=None):
        """Update ``max_abs_`` with the batch ``X`` (after any chunking, the state of one ``fit``).

        Returns
        -------
        self
        """
        return self._partial_fit(X)

    def transform(self, X):
        """Scale ``X`` by ``1 / scale_`` (output container as :meth:`Step.transform`)."""
        return self._transform(X, copy=self.copy)

    def inverse_transform(self, X):
        """Scale back: ``x * scale_``."""
        return self._inverse_transform(X, self.copy)

    def fit_exprs(self, schema, columns, target):
        import polars as pl

        require_numeric(self, schema, columns)
        exprs = {"count:rows": pl.len()}
        for c in columns:
            exprs[f"max:{c}"] = float_col(c, schema[c]).abs().max()
        return exprs

    def _stats_so_far(self, like):
        out = {"count:rows": int(self.n_samples_seen_)}
        out.update((f"max:{c}", _none_if_nan(v)) for c, v in zip(self._input_names(), self.max_abs_))
        return out

    def _sparse_factors(self, *, inverse):
        return self.scale_ if inverse else 1.0 / self.scale_

    def _transform_sparse(self, X):
        X = self._scale_sparse(X, self._sparse_factors(inverse=False))
        if self.clip:
            np.clip(X.data, -1.0, 1.0, out=X.data)
        return X

    def _finalize(self, stats, schema, columns):
        check_finite(self, stats, columns, extremes=("max",))
        self.max_abs_ = _floats(stats[f"max:{c}"] for c in columns)
        self.scale_ = _handle_zeros_in_scale(self.max_abs_)
        self.n_samples_seen_ = int(stats["count:rows"])

    def _column_fn(self, i, x):
        x = x / float(self.scale_[i])
        return x.clip(-1.0, 1.0) if self.clip else x

    def _inverse_fn(self, i, x):
        return x * float(self.scale_[i])

    def _get_state(self):
        return {"max_abs": [float(v) for v in self.max_abs_], "scale": [float(v) for v in self.scale_],
                "n_samples_seen": int(self.n_samples_seen_)}

    def _set_state(self, state, tables):
        self.max_abs_ = np.asarray(state["max_abs"], dtype=np.float64)
        self.scale_ = np.asarray(state["scale"], dtype=np.float64)
        self.n_samples_seen_ = int(state["n_samples_seen"])


@register_step
class RobustScaler(_Scaler):
    """Center by the median and scale by a quantile range (scikit-learn's RobustScaler).

    scikit-learn's parameters, methods (``inverse_transform``; no ``partial_fit``, as there),
    fitted attributes and sparse input (with ``with_centering=False``; CSC/CSR in, the same
    format out). Quantiles equal NumPy's ``nanpercentile`` (linear interpolation) bit for bit:
    the two order statistics around each quantile come from the selection kernel and the
    interpolation repeats NumPy's. Not mergeable (``mergeable = False``): in batch mode the
    selected columns are buffered and the quantiles computed exactly once.

    Parameters
    ----------
    with_centering : bool, default=True
        Center by the median (refused for sparse input at fit, as scikit-learn).
    with_scaling : bool, default=True
    quantile_range : tuple (q_min, q_max), 0 <= q_min <= q_max <= 100, default=(25.0, 75.0)
    copy : bool, default=True
        ``False``: a float NumPy array or a sparse matrix given to ``transform`` or
        ``inverse_transform`` is scaled in place and returned (scikit-learn's meaning); frames
        are never modified.
    unit_variance : bool, default=False
        Scale so that normally distributed features get variance 1.

    Attributes
    ----------
    center_ : ndarray of shape (n_features,) or None
    scale_ : ndarray of shape (n_features,) or None

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.scale import RobustScaler
    >>> rs = RobustScaler().fit(pl.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 100.0]}))
    >>> rs.center_, rs.scale_
    (array([3.]), array([2.]))
    """

    mergeable = False
    _parameter_constraints = {
        "with_centering": ["boolean"],
        "with_scaling": ["boolean"],
        "quantile_range": [Pair(Interval(float, 0, 100))],
        "copy": ["boolean"],
        "unit_variance": ["boolean"],
    }

    def __init__(self, *, with_centering=True, with_scaling=True, quantile_range=(25.0, 75.0), copy=True,
                 unit_variance=False):
        self.with_centering = with_centering
        self.with_scaling = with_scaling
        self.quantile_range = quantile_range
        self.copy = copy
        self.unit_variance = unit_variance

    _sparse_formats = ("csc", ("csr", "csc"))

    def transform(self, X):
        """Center and scale ``X`` (output container as :meth:`Step.transform`); a sparse ``X`` is
        only scaled, as scikit-learn does."""
        return self._transform(X, copy=self.copy)

    def inverse_transform(self, X):
        """Scale back: ``x * scale_ + center_`` (a sparse ``X``: ``x * scale_``)."""
        return self._inverse_transform(X, self.copy)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = not self.with_centering
        return tags

    def _check_sparse(self, data, *, inverse):
        if data.kind == "sparse" and self.with_centering:
            raise ConfigError("Cannot center sparse matrices: use `with_centering=False` instead. See docstring "
                              "for motivation and alternatives.")

    def _sparse_factors(self, *, inverse):
        if self.scale_ is None:
            return None
        return self.scale_ if inverse else 1.0 / self.scale_

    def _validate_extra(self):
        q_min, q_max = self.quantile_range
        if not 0 <= q_min <= q_max <= 100:
            raise param_error("quantile_range", "RobustScaler", "satisfy 0 <= q_min <= q_max <= 100",
                              tuple(self.quantile_range))

    def _qs(self):
        return [float(np.true_divide(q, 100)) for q in self.quantile_range]

    def fit_exprs(self, schema, columns, target):
        require_numeric(self, schema, columns)
        exprs = {}
        for c in columns:
            x = float_col(c, schema[c])
            exprs.update(infinity_exprs(x, c, schema[c]))
            exprs[f"count:{c}"] = x.count()
            qs = {"50": 0.5} if self.with_centering else {}
            if self.with_scaling:
                qs.update((str(j), q) for j, q in enumerate(self._qs()))
            if qs:  # one selection pass gives every order statistic of the column
                exprs.update(order_stat_exprs(x, qs, c))
        return exprs

    def _finalize(self, stats, schema, columns):
        check_finite(self, stats, columns)
        n = [int(stats[f"count:{c}"]) for c in columns]
        if self.with_centering:
            self.center_ = np.asarray(
                [exact_median(k, stats[f"lo50:{c}"], stats[f"hi50:{c}"]) for k, c in zip(n, columns)])
        else:
            self.center_ = None
        if self.with_scaling:
            q = self._qs()
            lo, hi = (np.asarray([exact_quantile(k, stats[f"lo{j}:{c}"], stats[f"hi{j}:{c}"], q[j])
                                  for k, c in zip(n, columns)]) for j in (0, 1))
            scale = _handle_zeros_in_scale(hi - lo)
            if self.unit_variance:
                from scipy import stats as sps

                q_min, q_max = self.quantile_range
                scale = scale / (sps.norm.ppf(q_max / 100.0) - sps.norm.ppf(q_min / 100.0))
            self.scale_ = scale
        else:
            self.scale_ = None

    def _column_fn(self, i, x):
        if self.with_centering:
            x = x - float(self.center_[i])
        if self.with_scaling:
            x = x / float(self.scale_[i])
        return x

    def _inverse_fn(self, i, x):
        if self.with_scaling:
            x = x * float(self.scale_[i])
        if self.with_centering:
            x = x + float(self.center_[i])
        return x

    def _get_state(self):
        return {"center": _opt_list(self.center_), "scale": _opt_list(self.scale_)}

    def _set_state(self, state, tables):
        self.center_, self.scale_ = _opt_array(state, "center"), _opt_array(state, "scale")
