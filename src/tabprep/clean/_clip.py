"""Clipper: clip (winsorize) numeric columns to fixed, quantile or IQR bounds."""

from __future__ import annotations

import math

import numpy as np

from tabprep.errors import ConfigError
from tabprep._base.params import Interval, Options, param_error
from tabprep._base.stats import exact_quantile, float_col, float_dtype_for, order_stat_exprs, require_numeric
from tabprep._base.step import Step, register_step

__all__ = ["Clipper"]


@register_step
class Clipper(Step):
    """Clip each numeric column to ``[lower_, upper_]`` (winsorizing).

    Parameters
    ----------
    method : {"quantile", "fixed", "iqr"}, default="quantile"
        ``"fixed"``: the bounds ``lower``/``upper`` as given (mergeable, nothing to compute).
        ``"quantile"``: the ``q_low``/``q_high`` quantiles of each column (NumPy's linear
        interpolation, bit-identical to ``np.nanquantile``). ``"iqr"``: Tukey's fences
        ``[Q1 - k * IQR, Q3 + k * IQR]``. Quantile methods are not mergeable (exact one-pass).
    lower, upper : float or None, default=None
        Bounds of ``method="fixed"`` (None = unbounded on that side; at least one is needed).
    q_low, q_high : float in [0, 1], default=0.01, 0.99
        Quantiles of ``method="quantile"``.
    k : float >= 0, default=1.5
        Fence width of ``method="iqr"``.

    Attributes
    ----------
    lower_, upper_ : ndarray of shape (n_features,)
        Bounds per column (-inf/inf = unbounded; NaN when the column had no value in fit, in
        which case it is not clipped).

    Notes
    -----
    Nulls and NaNs are ignored when fitting and left as they are. Float columns keep their
    dtype; integer columns stay integer only with ``method="fixed"`` and integral bounds,
    otherwise they become Float64.

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.clean import Clipper
    >>> df = pl.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 100.0]})
    >>> c = Clipper(method="iqr").fit(df)
    >>> c.lower_, c.upper_
    (array([-1.]), array([7.]))
    >>> c.transform(df)["a"].to_list()
    [1.0, 2.0, 3.0, 4.0, 7.0]
    >>> Clipper(method="fixed", upper=2).fit_transform(pl.DataFrame({"n": [1, 5]}))["n"].to_list()
    [1, 2]
    """

    _parameter_constraints = {
        "method": [Options(("quantile", "fixed", "iqr"))],
        "lower": [Interval(float), None],
        "upper": [Interval(float), None],
        "q_low": [Interval(float, 0, 1)],
        "q_high": [Interval(float, 0, 1)],
        "k": [Interval(float, 0, None)],
    }

    def __init__(self, method="quantile", *, lower=None, upper=None, q_low=0.01, q_high=0.99, k=1.5):
        self.method = method
        self.lower = lower
        self.upper = upper
        self.q_low = q_low
        self.q_high = q_high
        self.k = k

    @property
    def mergeable(self) -> bool:
        """Only fixed bounds need no order statistics."""
        return self.method == "fixed"

    def _validate_extra(self):
        if self.method == "fixed":
            if self.lower is None and self.upper is None:
                raise ConfigError("Clipper(method='fixed') needs `lower` and/or `upper`",
                                  hint="give a bound, or use method='quantile' or 'iqr'")
            if self.lower is not None and self.upper is not None and self.lower > self.upper:
                raise param_error("lower", "Clipper", "be <= `upper`", shown=f"lower={self.lower!r}, upper={self.upper!r}")
        if self.method == "quantile" and self.q_low > self.q_high:
            raise param_error("q_low", "Clipper", "be <= `q_high`", shown=f"q_low={self.q_low!r}, q_high={self.q_high!r}")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _qs(self):
        return (self.q_low, self.q_high) if self.method == "quantile" else (0.25, 0.75)

    def fit_exprs(self, schema, columns, target):
        require_numeric(self, schema, columns, allow_bool=False)
        if self.method == "fixed":
            return {}
        exprs = {}
        for c in columns:
            x = float_col(c, schema[c])
            exprs[f"count:{c}"] = x.count()
            exprs.update(order_stat_exprs(x, {str(j): float(q) for j, q in enumerate(self._qs())}, c))
        return exprs

    def _finalize(self, stats, schema, columns):
        if self.method == "fixed":
            lo = -math.inf if self.lower is None else float(self.lower)
            hi = math.inf if self.upper is None else float(self.upper)
            self.lower_ = np.full(len(columns), lo)
            self.upper_ = np.full(len(columns), hi)
            return
        qs = [float(q) for q in self._qs()]
        n = [int(stats[f"count:{c}"] or 0) for c in columns]
        q1, q2 = (np.asarray([exact_quantile(k, stats[f"lo{j}:{c}"], stats[f"hi{j}:{c}"], qs[j])
                              for k, c in zip(n, columns)], dtype=np.float64) for j in (0, 1))
        if self.method == "iqr":
            iqr = q2 - q1
            q1, q2 = q1 - self.k * iqr, q2 + self.k * iqr
        self.lower_, self.upper_ = q1, q2

    def _keeps_int(self) -> bool:
        return self.method == "fixed" and all(b is None or float(b).is_integer() for b in (self.lower, self.upper))

    def _out_dtype(self, dtype):
        return dtype if (dtype.is_integer() and self._keeps_int()) else float_dtype_for(dtype)

    def transform_exprs(self, schema):
        import polars as pl

        exprs = []
        for i, name in enumerate(self._input_names()):
            dtype = schema[name]
            out = self._out_dtype(dtype)
            lo, hi = float(self.lower_[i]), float(self.upper_[i])
            col = pl.col(name)
            if math.isnan(lo) or math.isnan(hi):
                exprs.append(col.cast(out).alias(name))
                continue
            if out.is_integer():
                bounds = [None if math.isinf(b) else int(b) for b in (lo, hi)]
            else:
                col = col.cast(pl.Float64)
                bounds = [None if math.isinf(b) else b for b in (lo, hi)]
            if bounds != [None, None]:
                col = col.clip(*bounds)
            exprs.append(col.cast(out).alias(name))
        return exprs

    def planned_output_schema(self, schema, columns):
        require_numeric(self, schema, columns, allow_bool=False)
        return {c: self._out_dtype(schema[c]) for c in columns}

    def _get_state(self):
        return {"lower": [float(v) for v in self.lower_], "upper": [float(v) for v in self.upper_]}

    def _set_state(self, state, tables):
        self.lower_ = np.asarray(state["lower"], dtype=np.float64)
        self.upper_ = np.asarray(state["upper"], dtype=np.float64)
