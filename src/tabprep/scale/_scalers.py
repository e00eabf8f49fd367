"""Scalers with scikit-learn's names, parameters and fitted attributes, computed lazily by Polars.

Missing values: nulls and NaNs are both ignored when fitting (as scikit-learn ignores NaN) and
kept as they are by ``transform`` (a null stays null, a NaN stays NaN). Infinity is refused, at
fit and at transform alike (a :class:`~tabprep.errors.DataError` naming the column; scikit-learn
refuses it too). Integer and Boolean columns become Float64; Float32 stays Float32 (computed in
float64, rounded once at the end).
Fitted attributes are float64 arrays aligned with ``feature_names_in_``. The ``copy`` parameter
exists only so code written for scikit-learn runs unchanged (Polars never modifies its input).
Not provided: ``partial_fit`` (``Pipeline.fit(..., batch_size=)`` streams already),
``inverse_transform``, sparse input, ``sample_weight``; every difference from scikit-learn, with
its reason: ``docs/sklearn-differences.md``.
"""

from __future__ import annotations

import math

import numpy as np

from tabprep._base.params import Interval, Pair, param_error
from tabprep._base.stats import (
    check_finite,
    explain_infinity,
    infinity_exprs,
    exact_median,
    exact_quantile,
    finalize_moments,
    float_dtype_for,
    float_col,
    moment_exprs,
    order_stat_exprs,
    refuse_infinity,
    require_numeric,
)
from tabprep._base.step import Step, register_step

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


class _Scaler(Step):
    """Shared parts of the numeric one-to-one scalers."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def planned_output_schema(self, schema, columns):
        require_numeric(self, schema, columns)
        return {c: float_dtype_for(schema[c]) for c in columns}

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
            exprs.append(out.cast(float_dtype_for(schema[name])).alias(name))
        return exprs

    def explain_failure(self, lf, schema):
        return explain_infinity(self, lf, schema, self._input_names())


@register_step
class StandardScaler(_Scaler):
    """Standardize features: ``(x - mean_) / scale_`` (scikit-learn's StandardScaler).

    Statistics are mergeable (count, mean and sum of squared deviations, merged with Chan's
    formula), so fitting in batches gives the in-memory result to ~1e-15 relative; a constant
    column gets exactly its value as ``mean_`` and 0 as ``var_``, however it is batched.

    Parameters
    ----------
    copy : bool, default=True
        Ignored (kept for scikit-learn compatibility).
    with_mean : bool, default=True
        Center the data.
    with_std : bool, default=True
        Scale to unit variance.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,) or None
        Per-feature mean (None when ``with_mean=False`` and ``with_std=False``).
    var_ : ndarray of shape (n_features,) or None
        Per-feature population variance (None when ``with_std=False``).
    scale_ : ndarray of shape (n_features,) or None
        ``sqrt(var_)``, with 1 for (near-)constant features, as scikit-learn.
    n_samples_seen_ : int or ndarray of shape (n_features,)
        Non-missing values per feature; an int when equal for all features.
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
    (array([2., 0.]), array([0.81649658, 1.        ]), array([3, 4]))
    >>> sc.transform(df)["a"].to_list()
    [-1.224744871391589, 0.0, 1.224744871391589, None]
    """

    _parameter_constraints = {"copy": ["boolean"], "with_mean": ["boolean"], "with_std": ["boolean"]}

    def __init__(self, *, copy=True, with_mean=True, with_std=True):
        self.copy = copy
        self.with_mean = with_mean
        self.with_std = with_std

    #: every statistic reads one column and skips its missing cells: fitted in the same pass as
    #: an imputer before it (see tabprep.pipeline._pipeline)
    stats_skip_missing = True

    def fit_exprs(self, schema, columns, target):
        import polars as pl

        require_numeric(self, schema, columns)
        exprs = {}
        for c in columns:
            if self.with_mean or self.with_std:
                # one kernel read: count, mean, sum of squared deviations and the infinity flag
                exprs.update(moment_exprs(pl.col(c) if schema[c].is_float() else float_col(c, schema[c]), c))
            else:
                x = float_col(c, schema[c])
                exprs.update(infinity_exprs(x, c, schema[c]))
                exprs[f"count:{c}"] = x.count()
        return exprs

    def _finalize(self, stats, schema, columns):
        check_finite(self, stats, columns)
        if self.with_mean or self.with_std:
            moments = [finalize_moments(stats, c) for c in columns]
            n = np.asarray([m[0] for m in moments], dtype=np.int64)
            self.mean_ = np.asarray([m[1] for m in moments], dtype=np.float64)
            self.var_ = np.asarray([m[2] for m in moments], dtype=np.float64) if self.with_std else None
        else:
            n = np.asarray([int(stats[f"count:{c}"]) for c in columns], dtype=np.int64)
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

        ``copy`` is accepted for scikit-learn's signature and ignored: the input is never modified.
        """
        return super().transform(X)

    def _column_fn(self, i, x):
        if self.with_mean:
            x = x - float(self.mean_[i])
        if self.with_std:
            x = x / float(self.scale_[i])
        return x

    def _get_state(self):
        n = self.n_samples_seen_
        return {"mean": _opt_list(self.mean_), "var": _opt_list(self.var_), "scale": _opt_list(self.scale_),
                "n_samples_seen": int(n) if np.ndim(n) == 0 else [int(v) for v in n]}

    def _set_state(self, state, tables):
        self.mean_, self.var_, self.scale_ = (_opt_array(state, k) for k in ("mean", "var", "scale"))
        n = state["n_samples_seen"]
        self.n_samples_seen_ = np.int64(n) if isinstance(n, int) else np.asarray(n, dtype=np.int64)


@register_step
class MinMaxScaler(_Scaler):
    """Scale each feature to ``feature_range``: ``x * scale_ + min_`` (scikit-learn's MinMaxScaler).

    Parameters
    ----------
    feature_range : tuple (min, max), default=(0, 1)
    copy : bool, default=True
        Ignored (kept for scikit-learn compatibility).
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

    def fit_exprs(self, schema, columns, target):
        import polars as pl

        require_numeric(self, schema, columns)
        exprs = {"count:rows": pl.len()}
        for c in columns:
            x = float_col(c, schema[c])
            exprs[f"min:{c}"] = x.min()
            exprs[f"max:{c}"] = x.max()
        return exprs

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

    Parameters
    ----------
    copy : bool, default=True
        Ignored (kept for scikit-learn compatibility).
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

    def __init__(self, *, copy=True, clip=False):
        self.copy = copy
        self.clip = clip

    def fit_exprs(self, schema, columns, target):
        import polars as pl

        require_numeric(self, schema, columns)
        exprs = {"count:rows": pl.len()}
        for c in columns:
            exprs[f"max:{c}"] = float_col(c, schema[c]).abs().max()
        return exprs

    def _finalize(self, stats, schema, columns):
        check_finite(self, stats, columns, extremes=("max",))
        self.max_abs_ = _floats(stats[f"max:{c}"] for c in columns)
        self.scale_ = _handle_zeros_in_scale(self.max_abs_)
        self.n_samples_seen_ = int(stats["count:rows"])

    def _column_fn(self, i, x):
        x = x / float(self.scale_[i])
        return x.clip(-1.0, 1.0) if self.clip else x

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

    Quantiles equal NumPy's ``nanpercentile`` (linear interpolation) bit for bit: Polars returns
    the two order statistics around each quantile and the interpolation repeats NumPy's.
    Not mergeable (``mergeable = False``): in batch mode the selected columns are buffered and
    the quantiles computed exactly once.

    Parameters
    ----------
    with_centering : bool, default=True
    with_scaling : bool, default=True
    quantile_range : tuple (q_min, q_max), 0 <= q_min <= q_max <= 100, default=(25.0, 75.0)
    copy : bool, default=True
        Ignored (kept for scikit-learn compatibility).
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

    def _get_state(self):
        return {"center": _opt_list(self.center_), "scale": _opt_list(self.scale_)}

    def _set_state(self, state, tables):
        self.center_, self.scale_ = _opt_array(state, "center"), _opt_array(state, "scale")
