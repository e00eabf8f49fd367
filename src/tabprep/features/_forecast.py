"""LagFeatures and WindowFeatures: feature-engine's classes, parameters and output names, per entity
(``by``) and in time order (``time``), as lazy Polars window expressions.

What a row sees (no look-ahead). Within its entity, rows are ordered by ``time`` and, at equal
time, by their position in the data (see :mod:`tabprep.features._order`).

- ``LagFeatures(periods=k)``: the value ``k`` rows earlier in that order. A row may thus get the
  value of an earlier row *of the same time* (ties are ordered by position), never of a later
  time.
- ``WindowFeatures(window=n)`` (rows): the ``n`` rows ending ``periods`` rows before the row, in
  that order (``periods=1``: the ``n`` rows before it), as pandas' ``rolling(n).agg(f).shift(periods)``
  that feature-engine runs; the same tie rule as the lags.
- ``WindowFeatures(window="3d")`` (time): the rows of the entity whose time lies in
  ``[t - 3d, t)``: strictly earlier rows only, so rows of equal time never see each other and all
  get the same value. Durations are Polars' (``"90s"``, ``"12h"``, ``"3d"``, ``"2w"``, ``"1mo"``;
  ``"5i"`` for an integer time column); calendar units (``d``, ``w``, ``mo``, ``y``) follow the
  column's time zone, so ``"1d"`` spans a calendar day across a DST change while ``"24h"`` is 24
  hours. On evenly spaced data with one row per time this is feature-engine's window too.

Missing values. Null and NaN are missing: lags carry them, window statistics skip them and need
``min_periods`` observed values (default: the window's row count for row windows, 1 for time
windows, as pandas' ``rolling``); ``count`` counts observed values. feature-engine's
``missing_values="raise"``, ``sort_index``, ``freq`` and ``drop_na`` (which drops rows) are not
offered.

Memory: a window over entities needs the columns it reads (variables, ``by``, ``time``) in memory
at once (a Polars window expression); everything else stays lazy.
"""

from __future__ import annotations

import re

from tabprep._base.params import ColumnName, Interval, param_error
from tabprep._base.step import Step, register_step
from tabprep.errors import SchemaError
from tabprep.features._order import as_list, check_entity_columns, explain_missing_time, ordered_key, over_entity

__all__ = ["LagFeatures", "WindowFeatures"]

WINDOW_FUNCTIONS = ("count", "sum", "mean", "min", "max", "std", "var", "median")
_DURATION = re.compile(r"^(\d+(ns|us|ms|s|m|h|d|w|mo|q|y|i))+$")


def _unique_list(step, name, values, ok, rule):
    owner = type(step).__name__
    items = values if isinstance(values, list) else [values]
    if not items or not all(ok(v) for v in items):
        raise param_error(name, owner, rule, values)
    if len(set(map(str, items))) != len(items):
        raise param_error(name, owner, "hold no value twice", values)
    return items


def _check_names(step):
    owner = type(step).__name__
    for name in ("variables", "by"):
        value = getattr(step, name)
        if value is not None and not (isinstance(value, str) or
                                      (isinstance(value, list) and value and all(isinstance(v, str) for v in value))):
            raise param_error(name, owner, "be a column name, a non-empty list of names or None", value)


class _Forecast(Step):
    """Shared parts: variables and entity columns, pass-through of the inputs, state."""

    def _variables(self, schema, columns):
        keys = {*as_list(self.by), *as_list(self.time)}
        if self.variables is None:
            chosen = [c for c in columns if c not in keys and (schema[c].is_numeric() or schema[c] == _bool())]
        else:
            chosen = as_list(self.variables)
        for c in chosen:
            if c not in columns:
                raise SchemaError(f"{type(self).__name__} names a variable that is not among its input columns",
                                  column=c, found=f"inputs {list(columns)[:20]}", hint="select the column or fix the name")
            if c in keys:
                raise SchemaError(f"{type(self).__name__}: a variable cannot also be a `by` or `time` column", column=c)
            self._check_variable(c, schema[c])
        if not chosen:
            raise SchemaError(f"{type(self).__name__} found no numeric column to use",
                              found=f"inputs {list(columns)[:20]}", hint="name them with `variables`")
        return chosen

    def _check_variable(self, name, dtype):
        if not (dtype.is_numeric() or dtype == _bool()):
            raise SchemaError(f"{type(self).__name__} works on numeric columns", column=name, found=str(dtype),
                              hint="cast the column to a number first")

    def fit_exprs(self, schema, columns, target):
        import polars as pl

        check_entity_columns(self, schema, columns)
        self._variables(schema, columns)
        if self.time is None:
            return {}
        return {"count:missing_time": pl.col(self.time).null_count()}

    def _finalize(self, stats, schema, columns):
        from tabprep.errors import DataError

        if stats.get("count:missing_time"):
            raise DataError(f"{type(self).__name__} cannot place a row without a time", column=self.time,
                            found=f"{stats['count:missing_time']} missing",
                            hint="drop or fill the rows with a missing time first")
        self.variables_ = self._variables(schema, columns)

    def transform_exprs(self, schema):
        import polars as pl

        key = ordered_key(self, schema)
        kept = [pl.col(c) for c in self._input_names() if not (self.drop_original and c in self.variables_)]
        return kept + [over_entity(e, self, key).alias(n) for n, e in self._new_exprs(schema)]

    def _names_out(self, names):
        kept = [n for n in names if not (self.drop_original and n in self.variables_)]
        return kept + [n for n, _ in self._new_names()]

    def planned_output_schema(self, schema, columns):
        try:
            check_entity_columns(self, schema, columns)
            variables = self._variables(schema, columns)
        except SchemaError:
            return None  # fit raises it
        out = {c: schema[c] for c in columns if not (self.drop_original and c in variables)}
        out.update(self._new_dtypes(schema, variables))
        return out

    def explain_failure(self, lf, schema):
        return explain_missing_time(self, lf, schema)

    def _array_params(self):
        return {"array_dtype": None, "ensure_all_finite": "allow-nan"}

    def _get_state(self):
        return {"variables": list(self.variables_)}

    def _set_state(self, state, tables):
        self.variables_ = list(state["variables"])


def _bool():
    import polars as pl

    return pl.Boolean


@register_step
class LagFeatures(_Forecast):
    """Lagged values of numeric columns, per entity and in time order (feature-engine's LagFeatures).

    Parameters
    ----------
    variables : str, list of str or None, default=None
        Columns to lag (None: every numeric input column except ``by`` and ``time``).
    periods : int or list of int, default=1
        How many rows back; one output per period.
    by : str, list of str or None, default=None
        Entity columns: lags never cross from one entity to another.
    time : str or None, default=None
        Ordering column (date, datetime or integer; None: the data order). Unsorted data is
        sorted within each entity; a missing time is refused (DataError).
    fill_value : number or None, default=None
        Value of a lag that has no earlier row (None: null).
    drop_original : bool, default=False
        Drop the lagged columns from the output.

    ``by`` and ``time`` must be input columns of the step; they pass through unchanged. Outputs
    are named ``{variable}_lag_{period}``, period by period (feature-engine's order), and keep
    the variable's dtype. A lag may come from an earlier row of the same time, never from a
    later time (see :mod:`tabprep.features._forecast`).

    Attributes
    ----------
    variables_ : list of str
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.features import LagFeatures
    >>> df = pl.DataFrame({"shop": ["a", "b", "a", "a"], "day": [2, 1, 1, 3], "sales": [20, 5, 10, 30]})
    >>> LagFeatures(variables="sales", periods=[1, 2], by="shop", time="day").fit_transform(df)
    shape: (4, 5)
    ┌──────┬─────┬───────┬─────────────┬─────────────┐
    │ shop ┆ day ┆ sales ┆ sales_lag_1 ┆ sales_lag_2 │
    │ ---  ┆ --- ┆ ---   ┆ ---         ┆ ---         │
    │ str  ┆ i64 ┆ i64   ┆ i64         ┆ i64         │
    ╞══════╪═════╪═══════╪═════════════╪═════════════╡
    │ a    ┆ 2   ┆ 20    ┆ 10          ┆ null        │
    │ b    ┆ 1   ┆ 5     ┆ null        ┆ null        │
    │ a    ┆ 1   ┆ 10    ┆ null        ┆ null        │
    │ a    ┆ 3   ┆ 30    ┆ 20          ┆ 10          │
    └──────┴─────┴───────┴─────────────┴─────────────┘
    """

    _parameter_constraints = {
        "variables": [str, list, None],
        "periods": [Interval(int, 1, None), list],
        "by": [str, list, None],
        "time": [ColumnName(), None],
        "fill_value": [Interval(float, finite=True), None],
        "drop_original": ["boolean"],
    }

    def __init__(self, variables=None, periods=1, *, by=None, time=None, fill_value=None, drop_original=False):
        self.variables = variables
        self.periods = periods
        self.by = by
        self.time = time
        self.fill_value = fill_value
        self.drop_original = drop_original

    def _validate_extra(self):
        _check_names(self)
        _unique_list(self, "periods", self.periods, lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
                     "be an int >= 1 or a non-empty list of them")

    def _periods(self):
        return self.periods if isinstance(self.periods, list) else [self.periods]

    def _new_names(self):
        return [(f"{v}_lag_{p}", (v, p)) for p in self._periods() for v in self.variables_]

    def _new_exprs(self, schema):
        import polars as pl

        out = []
        for name, (v, p) in self._new_names():
            col = pl.col(v).fill_nan(None) if schema[v].is_float() else pl.col(v)
            lag = col.shift(p)
            if self.fill_value is not None:
                lag = lag.fill_null(pl.lit(self.fill_value).cast(schema[v]))
            out.append((name, lag))
        return out

    def _new_dtypes(self, schema, variables):
        return {f"{v}_lag_{p}": schema[v] for p in self._periods() for v in variables}


@register_step
class WindowFeatures(_Forecast):
    """Statistics of a window of past rows, per entity and in time order (feature-engine's
    WindowFeatures).

    Parameters
    ----------
    variables : str, list of str or None, default=None
        Numeric columns (None: every numeric input column except ``by`` and ``time``).
    window : int, str or list of them, default=3
        A row count (the ``window`` rows ending ``periods`` rows back), or a Polars duration
        such as ``"7d"`` (the rows of time in ``[t - 7d, t)``; needs ``time``). One set of
        outputs per window.
    min_periods : int or None, default=None
        Observed (non-missing) values a window needs for a value (None: the window's row count
        for row windows, 1 for time windows, as pandas).
    functions : str or list of str, default="mean"
        Among ``count``, ``sum``, ``mean``, ``min``, ``max``, ``std``, ``var`` (ddof 1), ``median``.
    periods : int, default=1
        Rows between the window's end and the row (row windows; a time window ends just before
        the row's time, so it takes only 1).
    by : str, list of str or None, default=None
        Entity columns: windows never cross from one entity to another.
    time : str or None, default=None
        Ordering column (date, datetime or integer; None: the data order).
    drop_original : bool, default=False
        Drop the variables from the output.

    Outputs are named ``{variable}_window_{window}_{function}`` (feature-engine's names and
    order: window, variable, function), Float64 (``count``: UInt32).

    Attributes
    ----------
    variables_ : list of str
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.features import WindowFeatures
    >>> df = pl.DataFrame({"shop": ["a", "a", "b", "a", "a"], "day": [1, 2, 2, 3, 3],
    ...                    "sales": [10.0, 20.0, 5.0, 30.0, 40.0]})
    >>> out = WindowFeatures(variables="sales", window=[2, "2i"], functions=["mean", "count"],
    ...                      by="shop", time="day").fit_transform(df)
    >>> out.columns[3:]
    ['sales_window_2_mean', 'sales_window_2_count', 'sales_window_2i_mean', 'sales_window_2i_count']
    >>> out["sales_window_2_mean"].to_list()  # the two rows before, ties in data order
    [None, None, None, 15.0, 25.0]
    >>> out["sales_window_2i_mean"].to_list()  # days [t-2, t): a tie never sees its twin
    [None, 10.0, None, 15.0, 15.0]
    """

    _parameter_constraints = {
        "variables": [str, list, None],
        "window": [Interval(int, 1, None), str, list],
        "min_periods": [Interval(int, 0, None), None],
        "functions": [str, list],
        "periods": [Interval(int, 1, None)],
        "by": [str, list, None],
        "time": [ColumnName(), None],
        "drop_original": ["boolean"],
    }

    def __init__(self, variables=None, window=3, *, min_periods=None, functions="mean", periods=1, by=None,
                 time=None, drop_original=False):
        self.variables = variables
        self.window = window
        self.min_periods = min_periods
        self.functions = functions
        self.periods = periods
        self.by = by
        self.time = time
        self.drop_original = drop_original

    def _validate_extra(self):
        _check_names(self)
        windows = _unique_list(
            self, "window", self.window,
            lambda v: (isinstance(v, int) and not isinstance(v, bool) and v >= 1)
            or (isinstance(v, str) and bool(_DURATION.match(v))),
            "be an int >= 1, a Polars duration such as '7d', or a non-empty list of them")
        _unique_list(self, "functions", self.functions, lambda v: v in WINDOW_FUNCTIONS,
                     "be one of " + ", ".join(WINDOW_FUNCTIONS) + " or a non-empty list of them")
        rows = [w for w in windows if isinstance(w, int)]
        if self.min_periods is not None and rows and self.min_periods > min(rows):
            raise param_error("min_periods", "WindowFeatures", "be <= every row-count window", self.min_periods,
                              hint=f"the smallest window holds {min(rows)} rows")
        if any(isinstance(w, str) for w in windows):
            if self.time is None:
                raise param_error("window", "WindowFeatures", "be a row count when `time` is None", self.window,
                                  hint="give the ordering column as time=...")
            if self.periods != 1:
                raise param_error("periods", "WindowFeatures", "be 1 with a time window (it ends just before "
                                  "the row's time)", self.periods)

    def _windows(self):
        return self.window if isinstance(self.window, list) else [self.window]

    def _functions(self):
        return self.functions if isinstance(self.functions, list) else [self.functions]

    def _new_names(self):
        return [(f"{v}_window_{w}_{f}", (v, w, f)) for w in self._windows()
                for v in self.variables_ for f in self._functions()]

    def _new_dtypes(self, schema, variables):
        import polars as pl

        return {f"{v}_window_{w}_{f}": pl.UInt32 if f == "count" else pl.Float64
                for w in self._windows() for v in variables for f in self._functions()}

    def _new_exprs(self, schema):
        import polars as pl

        key = ordered_key(self, schema)
        out = []
        for name, (v, w, f) in self._new_names():
            col = pl.col(v).cast(pl.Float64)
            col = col.fill_nan(None)  # NaN is missing, as null (Polars' rolling would carry it)
            if isinstance(w, int):
                mp = w if self.min_periods is None else self.min_periods
                if f == "count":
                    n = col.is_not_null().cast(pl.UInt32).rolling_sum(w, min_samples=1)
                    expr = pl.when(n >= mp).then(n)
                else:
                    # an all-missing window has no statistic, whatever min_periods says
                    expr = getattr(col, f"rolling_{f}")(w, min_samples=max(mp, 1))
                expr = expr.shift(self.periods)
            else:
                mp = 1 if self.min_periods is None else self.min_periods
                if f == "count":
                    n = col.is_not_null().cast(pl.UInt32).rolling_sum_by(key, w, min_samples=0, closed="left")
                    expr = pl.when(n >= mp).then(n)
                else:
                    expr = getattr(col, f"rolling_{f}_by")(key, w, min_samples=max(mp, 1), closed="left")
            out.append((name, expr.cast(pl.UInt32 if f == "count" else pl.Float64)))
        return out
