"""Data contracts: what a table must look like, written in Python or TOML, checked in one pass.

A :class:`Contract` holds per-column rules (:class:`Column`: dtype, presence, nulls, range,
allowed values, regex, uniqueness) and table rules (row-count bounds, named Polars expressions
that must hold on every row, :class:`Check`). Every check has a level, ``"error"`` or ``"warn"``.
:meth:`Contract.validate` runs all of them as one Polars query (see
:mod:`tabprep.pipeline._validation`).

The same names are used in TOML, and both go through the same parameter validator
(:func:`tabprep._constraints.check_param`), so a bad value reads alike from Python and from a
file (the file and the place in it are put in front, as the pipeline spec loader does)::

    min_rows = 1                      # optional table rules
    max_rows = 10_000_000

    [columns.age]
    dtype = "Int64"                   # a Polars dtype name, or a group: numeric, integer, float,
                                      # string, boolean, temporal
    nullable = false
    min = 0
    max = 120
    levels = { max = "warn" }         # per-check level; `level` sets the column's default

    [columns.city]
    allowed = ["Paris", "Lyon"]

    [checks.arrives_after_departure]
    sql = "arr_time >= dep_time"      # a SQL expression (Polars' parser: no code is run)
    level = "warn"

Why here and not in :mod:`tabprep.validate`: a fitted pipeline emits the contract its input
needs (:meth:`FittedPipeline.input_contract`), and the pipeline floor may not import the floor
above it; :mod:`tabprep.validate` re-exports everything defined here.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tabprep._constraints import Constraint, Interval, Options, check_param, param_error
from tabprep._dtypes import dtype_str, parse_dtype
from tabprep.errors import ConfigError, TabprepError
from tabprep.pipeline._toml import parse_toml, read_toml_text, toml_error as _error, unknown_keys as _unknown_keys

__all__ = ["Column", "Check", "Contract", "read_contract", "parse_contract", "contract_from_dict",
           "LEVELS", "COLUMN_CHECKS", "DTYPE_GROUPS"]

LEVELS = ("error", "warn")
#: Names of the per-column checks, in the order they are run and reported.
COLUMN_CHECKS = ("present", "dtype", "nullable", "max_null_share", "min", "max", "allowed", "regex", "unique")
#: dtype groups a contract may name instead of one dtype.
DTYPE_GROUPS = ("numeric", "integer", "float", "string", "boolean", "temporal")

_SCALAR = (bool, int, float, str, _dt.date, _dt.datetime, _dt.time, _dt.timedelta)


class _Bound(Constraint):
    """A range bound: a number (not NaN), a date/datetime/time/duration, or a str."""

    def is_satisfied_by(self, value) -> bool:
        if isinstance(value, float) and math.isnan(value):
            return False
        return isinstance(value, _SCALAR) and not isinstance(value, bool)

    def __str__(self) -> str:
        return "a number, date, datetime, time, duration or str"


class _Allowed(Constraint):
    def is_satisfied_by(self, value) -> bool:
        return (isinstance(value, (list, tuple, set, frozenset)) and len(value) > 0
                and all(v is None or isinstance(v, _SCALAR) for v in value))

    def __str__(self) -> str:
        return "a non-empty list of values"


class _Regex(Constraint):
    def is_satisfied_by(self, value) -> bool:
        if not isinstance(value, str) or not value:
            return False
        try:
            re.compile(value)
        except re.error:
            return False
        return True

    def refine(self, value):
        if isinstance(value, str) and value:
            try:
                re.compile(value)
            except re.error as exc:
                return "be a valid regular expression", f"{value!r} ({exc})", None
        return None

    def __str__(self) -> str:
        return "a non-empty regular expression (str)"


class _Levels(Constraint):
    def __init__(self, names) -> None:
        self.names = tuple(names)

    def is_satisfied_by(self, value) -> bool:
        return isinstance(value, dict) and all(k in self.names and v in LEVELS for k, v in value.items())

    def __str__(self) -> str:
        return "a dict {check: 'error' or 'warn'} with checks among " + ", ".join(self.names)


class _DTypeOrGroup(Constraint):
    def is_satisfied_by(self, value) -> bool:
        if isinstance(value, str) and value in DTYPE_GROUPS:
            return True
        try:
            parse_dtype(value)
        except (ConfigError, TypeError):
            return False
        return True

    def __str__(self) -> str:
        return "a Polars dtype or dtype name (e.g. 'Float64'), a dtype group (" + ", ".join(DTYPE_GROUPS) + ")"


_LEVEL = [Options(LEVELS)]
_COLUMN_CONSTRAINTS = {
    "dtype": [_DTypeOrGroup(), None],
    "required": ["boolean"],
    "nullable": ["boolean"],
    "max_null_share": [Interval(float, 0, 1), None],
    "min": [_Bound(), None],
    "max": [_Bound(), None],
    "min_inclusive": ["boolean"],
    "max_inclusive": ["boolean"],
    "allowed": [_Allowed(), None],
    "regex": [_Regex(), None],
    "unique": ["boolean"],
    "level": _LEVEL,
    "levels": [_Levels(COLUMN_CHECKS)],
}
_CHECK_CONSTRAINTS = {"level": _LEVEL, "description": [str, None]}


def _group_matches(group: str, dtype) -> bool:
    return {"numeric": dtype.is_numeric, "integer": dtype.is_integer, "float": dtype.is_float,
            "string": lambda: dtype_str(dtype) in ("String", "Categorical") or dtype_str(dtype).startswith("Enum"),
            "boolean": lambda: dtype_str(dtype) == "Boolean", "temporal": dtype.is_temporal}[group]()


@dataclass(frozen=True)
class Column:
    """Rules for one column; every rule left at its default checks nothing.

    Parameters
    ----------
    dtype : str or polars.DataType, optional
        The exact dtype (``"Int64"``, ``pl.Float64``), or a group (lower case): ``"numeric"``,
        ``"integer"``, ``"float"``, ``"string"`` (String, Categorical, Enum), ``"boolean"``,
        ``"temporal"``.
    required : bool, default True
        The column must be present (an absent column that is not required is skipped).
    nullable : bool, default True
        ``False``: no missing value (null, or NaN in a float column) may occur.
    max_null_share : float in [0, 1], optional
        At most this share of the rows may be missing.
    min, max : number, date, datetime, time, duration or str, optional
        Range of the non-missing values; ``min_inclusive`` / ``max_inclusive`` (default True)
        say whether the bound itself is allowed.
    allowed : list, optional
        The only values allowed (missing values are judged by ``nullable``).
    regex : str, optional
        Every non-missing value must match the whole pattern (Polars' Rust regex syntax, which
        for common patterns is Python's); the column must be a string column.
    unique : bool, default False
        No non-missing value may occur twice (every row of a repeated value fails). The only
        check that needs the whole column at once (Polars keeps it in memory for this).
    level : {"error", "warn"}, default "error"
        The level of this column's checks; ``levels`` overrides it per check
        (``levels={"max": "warn"}``).

    Examples
    --------
    >>> Column(dtype="Int64", nullable=False, min=0)
    Column(dtype='Int64', nullable=False, min=0)
    >>> Column(max_null_share=2)
    Traceback (most recent call last):
    ...
    tabprep.errors.InvalidParameterError: The `max_null_share` parameter of `Column` must be a float in the range [0, 1] or None; got 2 instead.
    """

    dtype: Any = None
    required: bool = True
    nullable: bool = True
    max_null_share: float | None = None
    min: Any = None
    max: Any = None
    min_inclusive: bool = True
    max_inclusive: bool = True
    allowed: Any = None
    regex: str | None = None
    unique: bool = False
    level: str = "error"
    levels: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, spec in _COLUMN_CONSTRAINTS.items():
            check_param(getattr(self, name), spec, name, "Column")
        if self.dtype is not None and self.dtype not in DTYPE_GROUPS:
            object.__setattr__(self, "dtype", dtype_str(parse_dtype(self.dtype)))
        if self.allowed is not None:
            object.__setattr__(self, "allowed", list(self.allowed))
        object.__setattr__(self, "levels", dict(self.levels))
        if self.min is not None and self.max is not None:
            try:
                bad = self.min > self.max
            except TypeError:
                raise param_error("min", "Column", "be of the same kind as `max`",
                                  shown=f"min={self.min!r}, max={self.max!r}") from None
            if bad:
                raise param_error("min", "Column", "be <= `max`", shown=f"min={self.min!r}, max={self.max!r}")
        if self.regex is not None and self.dtype is not None and not self._string_dtype():
            raise param_error("regex", "Column", "go with a string dtype (a regex tests text)",
                              shown=f"regex={self.regex!r}, dtype={self.dtype!r}",
                              hint="drop the regex, or check the column's text form with a custom Check")

    def _string_dtype(self) -> bool:
        return self.dtype in ("string", "String", "Categorical") or str(self.dtype).startswith(("Enum", "Categorical"))

    def level_of(self, check: str) -> str:
        """The level of one of this column's checks."""
        return self.levels.get(check, self.level)

    def dtype_matches(self, dtype) -> bool:
        """Whether ``dtype`` satisfies this column's ``dtype`` rule."""
        if self.dtype is None:
            return True
        if self.dtype in DTYPE_GROUPS:
            return _group_matches(self.dtype, dtype)
        return dtype_str(dtype) == self.dtype

    def to_dict(self) -> dict:
        """The rules that differ from the defaults (the TOML table of this column)."""
        out = {}
        for f in self.__dataclass_fields__.values():
            value = getattr(self, f.name)
            default = f.default_factory() if callable(f.default_factory) else f.default
            if value != default or type(value) is not type(default):
                if value is None and default is None:
                    continue
                out[f.name] = value
        return out

    def __repr__(self) -> str:
        return "Column(" + ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items()) + ")"


@dataclass(frozen=True, eq=False)  # a Polars expression's == builds an expression, not a bool
class Check:
    """A table rule: a boolean Polars expression that must hold on every row.

    A row fails where the expression is false; where it is null (a missing input) the row
    passes, as a SQL ``CHECK`` constraint does.

    Parameters
    ----------
    expr : polars.Expr or str
        The expression, or SQL text (``"arr_time >= dep_time"``) that Polars parses into one
        (``pl.sql_expr``: nothing is evaluated as Python). Only SQL text can be written to TOML.
    level : {"error", "warn"}, default "error"
    description : str, optional
        Shown in reports.

    Examples
    --------
    >>> Check("a < b").expr
    <Expr ['[(col("a")) < (col("b"))]'] at ...>
    """

    expr: Any
    level: str = "error"
    description: str | None = None

    def __post_init__(self) -> None:
        import polars as pl

        for name, spec in _CHECK_CONSTRAINTS.items():
            check_param(getattr(self, name), spec, name, "Check")
        if isinstance(self.expr, str):
            try:
                parsed = pl.sql_expr(self.expr)
            except Exception as exc:  # Polars raises several kinds for bad SQL
                raise ConfigError(f"invalid SQL expression {self.expr!r}: {str(exc).splitlines()[0]}",
                                  hint="write a SQL boolean expression such as \"a >= 0 AND b < a\"") from None
            object.__setattr__(self, "sql", self.expr)
            object.__setattr__(self, "expr", parsed)
        elif isinstance(self.expr, pl.Expr):
            object.__setattr__(self, "sql", None)
        else:
            check_param(self.expr, [pl.Expr, str], "expr", "Check")

    def columns(self) -> list[str]:
        """The columns the expression reads."""
        return list(dict.fromkeys(self.expr.meta.root_names()))


_TOP_KEYS = ("columns", "checks", "min_rows", "max_rows", "level", "levels", "description")
_CHECK_KEYS = ("sql", "level", "description")
_TABLE_CHECKS = ("min_rows", "max_rows")


class Contract:
    """What a table must look like: per-column rules, row-count bounds and custom checks.

    Parameters
    ----------
    columns : dict {name: Column or dict}, optional
        A dict value is passed to :class:`Column` as keywords.
    checks : dict {name: Check, polars.Expr or str}, optional
        Rules on whole rows; an expression or SQL text is a :class:`Check` at ``level``.
    min_rows, max_rows : int, optional
        Bounds on the number of rows.
    level : {"error", "warn"}, default "error"
        Level of the row-count checks; ``levels`` overrides it per check
        (``{"max_rows": "warn"}``).
    description : str, optional

    Examples
    --------
    >>> import polars as pl
    >>> contract = Contract({"age": Column(dtype="numeric", min=0, max=120),
    ...                      "city": {"allowed": ["Paris", "Lyon"]}}, min_rows=1)
    >>> report = contract.validate(pl.DataFrame({"age": [30, -1, 40], "city": ["Paris", "Rome", "Lyon"]}))
    >>> report.ok, [(c.column, c.check, c.failed, c.rows) for c in report.failures]
    (False, [('age', 'min', 1, [1]), ('city', 'allowed', 1, [1])])
    """

    def __init__(self, columns=None, *, checks=None, min_rows=None, max_rows=None, level="error",
                 levels=None, description=None) -> None:
        check_param(columns, [dict, None], "columns", "Contract")
        check_param(checks, [dict, None], "checks", "Contract")
        check_param(min_rows, [Interval(int, 0, None), None], "min_rows", "Contract")
        check_param(max_rows, [Interval(int, 0, None), None], "max_rows", "Contract")
        check_param(level, _LEVEL, "level", "Contract")
        levels = {} if levels is None else levels
        check_param(levels, [_Levels(_TABLE_CHECKS)], "levels", "Contract")
        check_param(description, [str, None], "description", "Contract")
        if min_rows is not None and max_rows is not None and min_rows > max_rows:
            raise param_error("min_rows", "Contract", "be <= `max_rows`", shown=f"min_rows={min_rows}, max_rows={max_rows}")
        self.columns: dict[str, Column] = {}
        for name, rule in (columns or {}).items():
            if not isinstance(name, str) or not name:
                raise param_error("columns", "Contract", "have column names (non-empty str) as keys", name)
            if isinstance(rule, dict):
                rule = Column(**rule)
            check_param(rule, [Column], "columns", "Contract")
            self.columns[name] = rule
        self.checks: dict[str, Check] = {}
        for name, chk in (checks or {}).items():
            if not isinstance(name, str) or not name:
                raise param_error("checks", "Contract", "have check names (non-empty str) as keys", name)
            self.checks[name] = chk if isinstance(chk, Check) else Check(chk, level=level)
        self.min_rows, self.max_rows = min_rows, max_rows
        self.level, self.levels, self.description = level, dict(levels), description

    def level_of(self, check: str) -> str:
        """The level of a table check (``min_rows``/``max_rows``)."""
        return self.levels.get(check, self.level)

    def __repr__(self) -> str:
        return (f"Contract(columns={list(self.columns)}, checks={list(self.checks)}, "
                f"min_rows={self.min_rows}, max_rows={self.max_rows})")

    def __eq__(self, other) -> bool:
        if not isinstance(other, Contract):
            return NotImplemented
        return self.to_dict(sql_only=False) == other.to_dict(sql_only=False)

    def validate(self, data, *, sample: int = 5, path=None):
        """Run every check in one pass over ``data``; see :func:`tabprep.validate.validate`."""
        from tabprep.pipeline._validation import run_contract

        return run_contract(self, data, sample=sample, path=path)

    # ------------------------------------------------------------------ plain data / TOML
    def to_dict(self, *, sql_only: bool = True) -> dict:
        """The contract as TOML-shaped data (what :func:`contract_from_dict` reads back).

        Raises
        ------
        ConfigError
            (``sql_only``) A check given as a Polars expression, which TOML cannot hold.
        """
        out: dict = {}
        if self.description is not None:
            out["description"] = self.description
        for key in ("min_rows", "max_rows"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.level != "error":
            out["level"] = self.level
        if self.levels:
            out["levels"] = dict(self.levels)
        if self.columns:
            out["columns"] = {name: col.to_dict() for name, col in self.columns.items()}
        if self.checks:
            checks = {}
            for name, chk in self.checks.items():
                if chk.sql is None and sql_only:
                    raise ConfigError(f"check {name!r} is a Polars expression; only SQL text can be written down",
                                      hint="give the check as SQL text, e.g. Check(\"a >= 0\")")
                entry = {"sql": chk.sql if chk.sql is not None else str(chk.expr)}
                if chk.level != "error":
                    entry["level"] = chk.level
                if chk.description is not None:
                    entry["description"] = chk.description
                checks[name] = entry
            out["checks"] = checks
        return out

    def to_toml(self) -> str:
        """The contract as TOML text (:func:`parse_contract` reads it back to an equal contract).

        Examples
        --------
        >>> print(Contract({"a": Column(dtype="Int64", min=0)}, min_rows=1).to_toml())
        min_rows = 1
        <BLANKLINE>
        [columns.a]
        dtype = "Int64"
        min = 0
        <BLANKLINE>
        """
        from tabprep.pipeline._toml import toml_key as _toml_key, toml_value as _toml_value

        d = self.to_dict()
        lines = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in d.items() if k not in ("columns", "checks")]
        for section in ("columns", "checks"):
            for name, table in d.get(section, {}).items():
                lines += ["", f"[{section}.{_toml_key(name)}]"]
                lines += [f"{_toml_key(k)} = {_toml_value(_toml_scalar(v))}" for k, v in table.items()]
        return "\n".join(lines).lstrip("\n") + "\n"

    def save(self, path) -> Path:
        """Write :meth:`to_toml` to ``path`` atomically."""
        from tabprep.io import atomic_path

        dest = Path(path)
        with atomic_path(dest) as tmp:
            Path(tmp).write_text(self.to_toml(), encoding="utf-8")
        return dest


def _toml_scalar(value):
    if isinstance(value, _dt.timedelta):
        raise ConfigError(f"cannot write the duration {value!r} in a TOML contract (TOML has no duration type)",
                          hint="check durations in a Python contract")
    if isinstance(value, (list, tuple)):
        if any(v is None for v in value):
            raise ConfigError("TOML cannot hold a null in `allowed`", hint="set nullable instead")
        return list(value)
    return value




def contract_from_dict(data: dict, *, path=None) -> Contract:
    """Build a :class:`Contract` from TOML-shaped data (see the module docstring).

    Errors name the file and the place (``columns 'age'``) in front of the parameter validator's
    message, as the pipeline spec loader does.

    Examples
    --------
    >>> contract_from_dict({"columns": {"age": {"min": 0, "mx": 1}}}, path="c.toml")
    Traceback (most recent call last):
    ...
    tabprep.errors.ConfigError: c.toml: columns 'age': unknown key 'mx'. Hint: did you mean 'max'? allowed keys: dtype, required, nullable, max_null_share, min, max, min_inclusive, max_inclusive, allowed, regex, unique, level, levels
    """
    label = "<contract>" if path is None else path
    if not isinstance(data, dict):
        raise _error("a contract must be a TOML table", label, found=type(data).__name__)
    _unknown_keys(data, _TOP_KEYS, "", label)
    columns = {}
    raw_columns = data.get("columns", {})
    if not isinstance(raw_columns, dict):
        raise _error("`columns` must be a table of tables ([columns.NAME])", label, found=repr(raw_columns))
    for name, entry in raw_columns.items():
        where = f"columns {name!r}"
        if not isinstance(entry, dict):
            raise _error(f"{where}: must be a table ([columns.{name}])", label, found=repr(entry))
        _unknown_keys(entry, tuple(_COLUMN_CONSTRAINTS), f"{where}: ", label)
        try:
            columns[name] = Column(**entry)
        except TabprepError as exc:
            raise _error(f"{where}: {exc.message}", label, found=exc.found, hint=exc.hint) from None
    checks = {}
    raw_checks = data.get("checks", {})
    if not isinstance(raw_checks, dict):
        raise _error("`checks` must be a table of tables ([checks.NAME])", label, found=repr(raw_checks))
    for name, entry in raw_checks.items():
        where = f"checks {name!r}"
        if not isinstance(entry, dict):
            raise _error(f"{where}: must be a table ([checks.{name}])", label, found=repr(entry))
        _unknown_keys(entry, _CHECK_KEYS, f"{where}: ", label)
        if not isinstance(entry.get("sql"), str):
            raise _error(f"{where}: `sql` must be a SQL boolean expression (a str)", label,
                         found=repr(entry.get("sql")), hint='e.g. sql = "a >= 0"')
        try:
            checks[name] = Check(entry["sql"], level=entry.get("level", "error"), description=entry.get("description"))
        except TabprepError as exc:
            raise _error(f"{where}: {exc.message}", label, found=exc.found, hint=exc.hint) from None
    try:
        return Contract(columns, checks=checks, min_rows=data.get("min_rows"), max_rows=data.get("max_rows"),
                        level=data.get("level", "error"), levels=data.get("levels"),
                        description=data.get("description"))
    except TabprepError as exc:
        raise _error(exc.message, label, found=exc.found, hint=exc.hint) from None


def parse_contract(text: str, *, path=None) -> Contract:
    """Parse a TOML contract from text (``path`` only names it in errors).

    Examples
    --------
    >>> parse_contract('[columns.a]\\nmax_null_share = 1.5', path="c.toml")
    Traceback (most recent call last):
    ...
    tabprep.errors.ConfigError: c.toml: columns 'a': The `max_null_share` parameter of `Column` must be a float in the range [0, 1] or None; got 1.5 instead.
    """
    data = parse_toml(text, path, "contract")
    return contract_from_dict(data, path=path)


def read_contract(path: str | os.PathLike[str]) -> Contract:
    """Read a TOML contract file (see the module docstring for the format).

    Raises
    ------
    ConfigError
        Missing file, invalid TOML, unknown key, invalid value; the message names the file and
        the column or check.
    """
    return parse_contract(read_toml_text(path, "contract"), path=Path(path))
