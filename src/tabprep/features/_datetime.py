"""Date and time features: DatetimeFeatures, CyclicalFeatures and DatetimeSubtraction, with
feature-engine's class names, parameters, feature names and output names, as Polars expressions.

Time zones: the parts of a zoned datetime (hour, day, weekday...) are those of its own time zone's
wall clock (pandas' ``.dt`` does the same), so a DST change shifts the hour, not the day.
Differences (DatetimeSubtraction) are absolute durations. Text columns are refused: parse them
first (``pl.col(c).str.to_datetime()``, :class:`tabprep.clean.Cast`). Missing values give
missing features.
"""

from __future__ import annotations

import math

from tabprep._base.params import Options, param_error
from tabprep._base.step import Step, register_step
from tabprep.errors import SchemaError
from tabprep.features._order import as_list

__all__ = ["DatetimeFeatures", "CyclicalFeatures", "DatetimeSubtraction", "FEATURES_SUPPORTED", "FEATURES_DEFAULT"]

#: feature-engine's names, in its order.
FEATURES_SUPPORTED = (
    "month", "quarter", "semester", "year", "week", "day_of_week", "day_of_month", "day_of_year",
    "weekend", "month_start", "month_end", "quarter_start", "quarter_end", "year_start", "year_end",
    "leap_year", "days_in_month", "hour", "minute", "second",
)
FEATURES_DEFAULT = ("month", "year", "day_of_week", "day_of_month", "hour", "minute", "second")


def _feature(name, x):
    import polars as pl

    dt = x.dt
    month, day = dt.month(), dt.day()
    days_in_month = dt.month_end().dt.day()
    exprs = {
        "month": lambda: month,
        "quarter": lambda: dt.quarter(),
        "semester": lambda: pl.when(month <= 6).then(1).otherwise(2),
        "year": lambda: dt.year(),
        "week": lambda: dt.week(),  # ISO week, as pandas' isocalendar().week
        "day_of_week": lambda: dt.weekday() - 1,  # Monday 0, as pandas
        "day_of_month": lambda: day,
        "day_of_year": lambda: dt.ordinal_day(),
        "weekend": lambda: dt.weekday() >= 6,
        "month_start": lambda: day == 1,
        "month_end": lambda: day == days_in_month,
        "quarter_start": lambda: (day == 1) & month.is_in([1, 4, 7, 10]),
        "quarter_end": lambda: (day == days_in_month) & month.is_in([3, 6, 9, 12]),
        "year_start": lambda: (day == 1) & (month == 1),
        "year_end": lambda: (day == 31) & (month == 12),
        "leap_year": lambda: dt.is_leap_year(),
        "days_in_month": lambda: days_in_month,
        "hour": lambda: dt.hour(),
        "minute": lambda: dt.minute(),
        "second": lambda: dt.second(),
    }
    return exprs[name]().cast(pl.Int32)


def _datetime_inputs(owner: str, variables, schema, columns):
    """The Date/Datetime columns named by ``variables`` (None: every such column of ``columns``)."""
    import polars as pl

    chosen = as_list(variables) if variables is not None else [
        c for c in columns if schema[c] == pl.Date or isinstance(schema[c], pl.Datetime)]
    for c in chosen:
        if c not in columns:
            raise SchemaError(f"{owner} names a column that is not among its input columns",
                              column=c, found=f"inputs {list(columns)[:20]}", hint="select the column or fix the name")
        if not (schema[c] == pl.Date or isinstance(schema[c], pl.Datetime)):
            raise SchemaError(f"{owner} needs a Date or Datetime column", column=c, found=str(schema[c]),
                              hint="parse text first (pl.col(c).str.to_datetime(), tabprep.clean.Cast)")
    if not chosen:
        raise SchemaError(f"{owner} found no Date or Datetime column", found=f"inputs {list(columns)[:20]}")
    return chosen


class _Creation(Step):
    def _array_params(self):
        return {"array_dtype": None, "ensure_all_finite": "allow-nan"}

    def fit_exprs(self, schema, columns, target):
        self._chosen(schema, columns)
        return {}

    def _finalize(self, stats, schema, columns):
        self.variables_ = self._chosen(schema, columns)

    def transform_exprs(self, schema):
        import polars as pl

        kept = [pl.col(c) for c in self._input_names() if not (self.drop_original and c in self.variables_)]
        return kept + [e.alias(n) for n, e in self._new_exprs(schema)]

    def _names_out(self, names):
        return [n for n in names if not (self.drop_original and n in self.variables_)] + [n for n, _ in self._new_exprs(None)]

    def planned_output_schema(self, schema, columns):
        """The input columns kept, then ``_planned_new(chosen variables)``; None when the
        variables cannot be chosen from ``schema`` (the fit will say why)."""
        try:
            chosen = self._chosen(schema, columns)
        except SchemaError:
            return None
        out = {c: schema[c] for c in columns if not (self.drop_original and c in chosen)}
        out.update(self._planned_new(chosen))
        return out

    def _get_state(self):
        return {"variables": list(self.variables_)}

    def _set_state(self, state, tables):
        self.variables_ = list(state["variables"])


@register_step
class DatetimeFeatures(_Creation):
    """Parts of dates and datetimes as integer columns (feature-engine's DatetimeFeatures).

    Parameters
    ----------
    variables : str, list of str or None, default=None
        Date/Datetime columns (None: every such input column).
    features_to_extract : str, list of str or None, default=None
        Among :data:`FEATURES_SUPPORTED` (``"all"``: every one); None: :data:`FEATURES_DEFAULT`
        (month, year, day_of_week, day_of_month, hour, minute, second).
    drop_original : bool, default=True
        Drop the date columns from the output.

    Outputs are ``{variable}_{feature}`` (Int32; flags 0/1), features in feature-engine's order.
    ``day_of_week`` is 0 on Monday; ``week`` is the ISO week; parts of a zoned datetime are read
    on its own time zone's clock.

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> from tabprep.features import DatetimeFeatures
    >>> df = pl.DataFrame({"t": [dt.datetime(2024, 2, 29, 13, 5), dt.datetime(2024, 3, 2, 0, 0)]})
    >>> DatetimeFeatures(features_to_extract=["day_of_week", "weekend", "month_end", "hour"]).fit_transform(df).rows()
    [(3, 0, 1, 13), (5, 1, 0, 0)]
    """

    _parameter_constraints = {
        "variables": [str, list, None],
        "features_to_extract": [str, list, None],
        "drop_original": ["boolean"],
    }

    def __init__(self, variables=None, features_to_extract=None, *, drop_original=True):
        self.variables = variables
        self.features_to_extract = features_to_extract
        self.drop_original = drop_original

    def _validate_extra(self):
        f = self.features_to_extract
        if f == "all" or f is None:
            return
        items = [f] if isinstance(f, str) else f
        if not items or any(x not in FEATURES_SUPPORTED for x in items) or len(set(items)) != len(items):
            raise param_error("features_to_extract", "DatetimeFeatures",
                              "be 'all', None or distinct names among " + ", ".join(FEATURES_SUPPORTED), f)

    def _features(self):
        f = self.features_to_extract
        if f is None:
            return list(FEATURES_DEFAULT)
        if f == "all":
            return list(FEATURES_SUPPORTED)
        items = [f] if isinstance(f, str) else f
        return [x for x in FEATURES_SUPPORTED if x in items]  # feature-engine's order

    def _chosen(self, schema, columns):
        return _datetime_inputs("DatetimeFeatures", self.variables, schema, columns)

    def _new_exprs(self, schema):
        import polars as pl

        def col(v):  # a Date as its midnight, so time parts are 0 as in pandas
            return pl.col(v).cast(pl.Datetime("us")) if schema[v] == pl.Date else pl.col(v)

        return [(f"{v}_{f}", _feature(f, col(v)) if schema is not None else None)
                for v in self.variables_ for f in self._features()]

    def _planned_new(self, chosen) -> dict:
        import polars as pl

        return {f"{v}_{f}": pl.Int32 for v in chosen for f in self._features()}


@register_step
class CyclicalFeatures(_Creation):
    """Sine and cosine of a periodic number (feature-engine's CyclicalFeatures).

    ``{v}_sin = sin(v * 2π / max)``, ``{v}_cos = cos(v * 2π / max)``, ``max`` from ``max_values``
    or, when not given, the largest value seen in fit (mergeable across batches).

    Parameters
    ----------
    variables : str, list of str or None, default=None
        Numeric columns (None: every numeric input column).
    max_values : dict {column: number} or None, default=None
        The period of each variable (e.g. ``{"hour": 24, "month": 12}``).
    drop_original : bool, default=False

    Attributes
    ----------
    max_values_ : dict {column: float}

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.features import CyclicalFeatures
    >>> out = CyclicalFeatures(max_values={"h": 24}).fit_transform(pl.DataFrame({"h": [0, 6, 12]}))
    >>> [round(v, 6) for v in out["h_sin"]], [round(v, 6) for v in out["h_cos"]]
    ([0.0, 1.0, 0.0], [1.0, 0.0, -1.0])
    """

    _parameter_constraints = {"variables": [str, list, None], "max_values": [dict, None], "drop_original": ["boolean"]}

    def __init__(self, variables=None, max_values=None, *, drop_original=False):
        self.variables = variables
        self.max_values = max_values
        self.drop_original = drop_original

    def _validate_extra(self):
        if self.max_values is not None and not all(
                isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
                and math.isfinite(v) and v != 0 for k, v in self.max_values.items()):
            raise param_error("max_values", "CyclicalFeatures", "map column names to finite, non-zero numbers",
                              self.max_values)

    def _array_params(self):
        return Step._array_params(self)  # numbers only

    def _chosen(self, schema, columns):
        chosen = as_list(self.variables) if self.variables is not None else [c for c in columns if schema[c].is_numeric()]
        for c in chosen:
            if c not in columns:
                raise SchemaError("CyclicalFeatures names a variable that is not among its input columns", column=c)
            if not schema[c].is_numeric():
                raise SchemaError("CyclicalFeatures needs numeric columns", column=c, found=str(schema[c]))
        if not chosen:
            raise SchemaError("CyclicalFeatures found no numeric column", found=f"inputs {list(columns)[:20]}")
        return chosen

    def fit_exprs(self, schema, columns, target):
        import polars as pl

        chosen = self._chosen(schema, columns)
        given = self.max_values or {}
        return {f"max:{c}": pl.col(c).cast(pl.Float64).max() for c in chosen if c not in given}

    def _finalize(self, stats, schema, columns):
        from tabprep.errors import DataError

        self.variables_ = self._chosen(schema, columns)
        given = self.max_values or {}
        self.max_values_ = {}
        for c in self.variables_:
            m = given.get(c, stats.get(f"max:{c}"))
            if m is None or not math.isfinite(m) or m == 0:
                raise DataError("CyclicalFeatures needs a finite, non-zero maximum", column=c, found=repr(m),
                                hint="give the period in max_values")
            self.max_values_[c] = float(m)

    def _new_exprs(self, schema):
        import polars as pl

        out = []
        for v in self.variables_:
            angle = pl.col(v).cast(pl.Float64) * (2.0 * math.pi / self.max_values_[v])
            out += [(f"{v}_sin", angle.sin()), (f"{v}_cos", angle.cos())]
        return out

    def _planned_new(self, chosen) -> dict:
        import polars as pl

        return {f"{v}_{t}": pl.Float64 for v in chosen for t in ("sin", "cos")}

    def _get_state(self):
        return {"variables": list(self.variables_), "max_values": dict(self.max_values_)}

    def _set_state(self, state, tables):
        self.variables_ = list(state["variables"])
        self.max_values_ = {k: float(v) for k, v in state["max_values"].items()}


_UNITS = {"W": 7 * 86_400e9, "D": 86_400e9, "h": 3_600e9, "m": 60e9, "s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0}


@register_step
class DatetimeSubtraction(_Creation):
    """Time between date columns, or since a fixed anchor date (feature-engine's DatetimeSubtraction,
    plus ``anchor``).

    Parameters
    ----------
    variables : str, list of str or None, default=None
        Date/Datetime columns to subtract from (None: every such input column but the references).
    reference : str, list of str or None, default=None
        Columns subtracted from each variable (feature-engine); give this or ``anchor``.
    anchor : str or None, default=None
        An ISO date or datetime (``"2020-01-01"``, ``"2020-01-01T06:00"``): time since it. For a
        zoned column the anchor is read on the column's time zone.
    new_variables_names : list of str or None, default=None
        Output names (default ``{variable}_sub_{reference}``, ``{variable}_sub_anchor``).
    output_unit : {"W", "D", "h", "m", "s", "ms", "us", "ns"}, default="D"
        Unit of the Float64 result (fixed-length units only: months and years have none).
    drop_original : bool, default=False
        Drop the variables (the reference columns stay).

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> from tabprep.features import DatetimeSubtraction
    >>> df = pl.DataFrame({"a": [dt.date(2024, 3, 1)], "b": [dt.date(2024, 2, 1)]})
    >>> DatetimeSubtraction(variables="a", reference="b").fit_transform(df)["a_sub_b"].to_list()
    [29.0]
    >>> DatetimeSubtraction(variables="a", anchor="2024-01-01", output_unit="W").fit_transform(df)["a_sub_anchor"].to_list()
    [8.571428571428571]
    """

    _parameter_constraints = {
        "variables": [str, list, None],
        "reference": [str, list, None],
        "anchor": [str, None],
        "new_variables_names": [list, None],
        "output_unit": [Options(tuple(_UNITS))],
        "drop_original": ["boolean"],
    }

    def __init__(self, variables=None, reference=None, *, anchor=None, new_variables_names=None,
                 output_unit="D", drop_original=False):
        self.variables = variables
        self.reference = reference
        self.anchor = anchor
        self.new_variables_names = new_variables_names
        self.output_unit = output_unit
        self.drop_original = drop_original

    def _validate_extra(self):
        if (self.reference is None) == (self.anchor is None):
            raise param_error("anchor", "DatetimeSubtraction", "be given when `reference` is None, and only then",
                              shown=f"reference={self.reference!r}, anchor={self.anchor!r}")
        if self.anchor is not None:
            import datetime as dt

            try:
                dt.datetime.fromisoformat(self.anchor)
            except ValueError:
                raise param_error("anchor", "DatetimeSubtraction", "be an ISO date or datetime such as '2020-01-01'",
                                  self.anchor) from None

    def _chosen(self, schema, columns):
        refs = as_list(self.reference)
        if refs:
            _datetime_inputs("DatetimeSubtraction", refs, schema, columns)
        inputs = _datetime_inputs("DatetimeSubtraction", self.variables, schema,
                                  [c for c in columns if c not in refs] if self.variables is None else columns)
        names = self._default_names(inputs)
        if self.new_variables_names is not None and len(self.new_variables_names) != len(names):
            raise param_error("new_variables_names", "DatetimeSubtraction",
                              f"hold one name per output ({len(names)})", self.new_variables_names)
        return inputs

    def _default_names(self, inputs):
        if self.anchor is not None:
            return [f"{v}_sub_anchor" for v in inputs]
        return [f"{v}_sub_{r}" for v in inputs for r in as_list(self.reference)]

    def _out_names(self):
        return list(self.new_variables_names or self._default_names(self.variables_))

    def _new_exprs(self, schema):
        import datetime as dt
        import polars as pl

        names = self._out_names()
        if schema is None:
            return [(n, None) for n in names]
        scale = _UNITS[self.output_unit]

        def nanos(expr, dtype):
            # absolute instants in ns (a Date as midnight), so Date - Datetime is defined
            return expr.cast(pl.Datetime("ns", getattr(dtype, "time_zone", None))).dt.epoch("ns")

        pairs = []
        for v in self.variables_:
            if self.anchor is not None:
                moment = dt.datetime.fromisoformat(self.anchor)
                tz = getattr(schema[v], "time_zone", None)
                ref = pl.lit(moment).cast(pl.Datetime("ns"))
                ref = ref.dt.replace_time_zone(tz) if tz else ref
                pairs.append((v, ref.dt.epoch("ns")))
            else:
                pairs += [(v, nanos(pl.col(r), schema[r])) for r in as_list(self.reference)]
        return [(n, ((nanos(pl.col(v), schema[v]) - r).cast(pl.Float64) / scale)) for n, (v, r) in zip(names, pairs)]

    def planned_output_schema(self, schema, columns):
        return None
