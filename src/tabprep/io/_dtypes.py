"""Polars dtype names <-> dtypes, for schema overrides and printed schemas.

The names are Polars' own (``Int64``, ``Float32``, ``String``, ``Date``...), plus parametrised
forms ``Datetime(us)``, ``Datetime(ms, UTC)``, ``Duration(ns)``, ``Decimal(10, 2)`` and
``List(Int64)``. :func:`dtype_name` and :func:`parse_dtype` are inverses on those.
"""

from __future__ import annotations

from collections.abc import Mapping

from tabprep.errors import ConfigError

__all__ = ["DTYPE_NAMES", "parse_dtype", "dtype_name", "parse_schema_overrides"]

#: Plain dtype names accepted by :func:`parse_dtype` (case-insensitive; ``Utf8`` = ``String``).
DTYPE_NAMES: tuple[str, ...] = (
    "Boolean",
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "Int128",
    "UInt8",
    "UInt16",
    "UInt32",
    "UInt64",
    "Float32",
    "Float64",
    "Decimal",
    "String",
    "Binary",
    "Categorical",
    "Date",
    "Time",
    "Datetime",
    "Duration",
    "Null",
)

_PARAMETRISED = ("Datetime(unit[, tz])", "Duration(unit)", "Decimal(precision, scale)", "List(inner)")


def _valid_names_hint() -> str:
    return "use a Polars dtype name: " + ", ".join(DTYPE_NAMES) + "; or " + ", ".join(_PARAMETRISED)


def _bad(name: object, why: str = "unknown dtype") -> ConfigError:
    return ConfigError(why, found=repr(name), hint=_valid_names_hint())


def parse_dtype(name):
    """Return the Polars dtype named by ``name``.

    Parameters
    ----------
    name : str or polars.DataType
        A Polars dtype name such as ``"Int64"``, ``"String"``, ``"Datetime(ms, UTC)"`` (case does not
        matter), or a Polars dtype, returned unchanged.

    Returns
    -------
    polars.DataType

    Raises
    ------
    ConfigError
        If the name is unknown; the message lists the valid names.

    Examples
    --------
    >>> from tabprep.io import parse_dtype
    >>> parse_dtype("Float32")
    Float32
    >>> parse_dtype("datetime(ms, UTC)")
    Datetime(time_unit='ms', time_zone='UTC')
    """
    # One dtype parser for the whole library (artifacts, specs, overrides): tabprep._dtypes.
    from tabprep._dtypes import parse_dtype as _parse

    try:
        return _parse(name)
    except ConfigError:
        raise _bad(name) from None


def dtype_name(dtype) -> str:
    """Return the name :func:`parse_dtype` reads back as ``dtype`` (``str(dtype)`` for other types).

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.io import dtype_name
    >>> dtype_name(pl.Datetime("us", "UTC")), dtype_name(pl.List(pl.Int64))
    ('Datetime(us, UTC)', 'List(Int64)')
    """
    import polars as pl

    if isinstance(dtype, type):
        dtype = dtype()
    if isinstance(dtype, pl.Datetime):
        return f"Datetime({dtype.time_unit}, {dtype.time_zone})" if dtype.time_zone else f"Datetime({dtype.time_unit})"
    if isinstance(dtype, pl.Duration):
        return f"Duration({dtype.time_unit})"
    if isinstance(dtype, pl.Decimal):
        return f"Decimal({dtype.precision}, {dtype.scale})"
    if isinstance(dtype, pl.List):
        return f"List({dtype_name(dtype.inner)})"
    if isinstance(dtype, pl.Categorical):
        return "Categorical"
    return str(dtype)


def parse_schema_overrides(overrides) -> dict:
    """Normalise ``{column: dtype or dtype name}`` to ``{column: polars dtype}``.

    Raises
    ------
    ConfigError
        On an unknown dtype name (naming the column and listing the valid names).

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.io import parse_schema_overrides
    >>> parse_schema_overrides({"id": "int32", "price": pl.Float32})
    {'id': Int32, 'price': Float32}
    """
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise ConfigError("schema_overrides must be a mapping of column name to dtype", found=type(overrides).__name__)
    out = {}
    for column, dtype in overrides.items():
        try:
            out[str(column)] = parse_dtype(dtype)
        except ConfigError as exc:
            raise ConfigError("unknown dtype in schema overrides", column=str(column), found=repr(dtype), hint=exc.hint) from None
    return out
