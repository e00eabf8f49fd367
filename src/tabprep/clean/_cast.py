"""Cast: change column dtypes, failing loudly (column, row, value) on a value that does not fit."""

from __future__ import annotations

from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep._dtypes import dtype_str, parse_dtype
from tabprep._base.params import DType, DTypeMapping
from tabprep._base.step import Step, register_step

__all__ = ["Cast"]


@register_step
class Cast(Step):
    """Cast selected columns to new dtypes (Polars ``cast``).

    Parameters
    ----------
    dtypes : dict {column: dtype}, optional
        Per-column target dtypes (Polars dtypes or names such as ``"Int32"``,
        ``"Datetime(ms, UTC)"``). Named columns must be among the step's input columns.
    dtype : Polars dtype or name, optional
        Target dtype of every other input column (columns in neither pass through unchanged).
    strict : bool, default=True
        A value that cannot be cast raises :class:`~tabprep.errors.DataError` naming the column,
        the first failing row and its value (on eager collection; a LazyFrame result raises
        Polars' own error when collected). With ``strict=False`` such values become null.

    Attributes
    ----------
    dtypes_ : dict {column: polars dtype}
        The casts this step applies.

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.clean import Cast
    >>> df = pl.DataFrame({"a": ["1", "2"], "b": [1.5, 2.5]})
    >>> Cast(dtypes={"a": "Int32"}).fit_transform(df).schema
    Schema([('a', Int32), ('b', Float64)])
    >>> Cast(dtype="Int64").fit_transform(pl.DataFrame({"a": ["1", "x"]}))
    Traceback (most recent call last):
    ...
    tabprep.errors.DataError: column 'a', row 1: cannot cast to Int64; found 'x'. Hint: fix the value, or use Cast(strict=False) to turn values that do not fit into nulls
    """

    _parameter_constraints = {"dtypes": [DTypeMapping(), None], "dtype": [DType(), None], "strict": ["boolean"]}

    def __init__(self, dtypes=None, *, dtype=None, strict=True):
        self.dtypes = dtypes
        self.dtype = dtype
        self.strict = strict

    def _validate_extra(self):
        if self.dtypes is None and self.dtype is None:
            raise ConfigError("Cast needs `dtypes` ({column: dtype}) and/or `dtype`",
                              hint="e.g. Cast(dtype='Float64') or Cast(dtypes={'age': 'Int32'})")

    def _targets(self, columns) -> dict:
        mapping = {k: parse_dtype(v) for k, v in (self.dtypes or {}).items()}
        unknown = [k for k in mapping if k not in columns]
        if unknown:
            raise SchemaError("Cast names a column that is not among its input columns", column=unknown[0],
                              found=f"inputs {list(columns)[:20]}", hint="select the column or fix the name")
        default = None if self.dtype is None else parse_dtype(self.dtype)
        return {c: mapping.get(c, default) for c in columns if mapping.get(c, default) is not None}

    def fit_exprs(self, schema, columns, target):
        self._targets(columns)  # fail early on names that are not inputs
        return {}

    def _finalize(self, stats, schema, columns):
        self.dtypes_ = self._targets(columns)

    def transform_exprs(self, schema):
        import polars as pl

        return [pl.col(c).cast(self.dtypes_[c], strict=self.strict) if c in self.dtypes_ else pl.col(c)
                for c in self._input_names()]

    def planned_output_schema(self, schema, columns):
        targets = self._targets(columns)
        return {c: targets.get(c, schema[c]) for c in columns}

    def explain_failure(self, lf, schema):
        """Find the first row whose value does not fit its target dtype."""
        import polars as pl

        if not self.strict:
            return None
        row = "__tabprep_row__"
        for c, dt in self.dtypes_.items():
            if c not in schema:
                continue
            try:
                bad = (lf.with_row_index(row)
                       .filter(pl.col(c).is_not_null() & pl.col(c).cast(dt, strict=False).is_null())
                       .select(row, c).head(1).collect())
            except pl.exceptions.PolarsError as exc:
                # not a bad value but a cast Polars does not do at all (String -> Datetime...)
                return SchemaError(f"Polars cannot cast {schema[c]} to {dt}", column=c,
                                   hint=str(exc).strip().splitlines()[0])
            if bad.height:
                return DataError(f"cannot cast to {dt}", column=c, row=int(bad[0, 0]), found=repr(bad[0, 1]),
                                 hint="fix the value, or use Cast(strict=False) to turn values that do not fit into nulls")
        return None

    def _get_state(self):
        return {"dtypes": {c: dtype_str(d) for c, d in self.dtypes_.items()}}

    def _set_state(self, state, tables):
        self.dtypes_ = {c: parse_dtype(d) for c, d in state["dtypes"].items()}
