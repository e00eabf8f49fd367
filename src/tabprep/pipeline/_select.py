"""Column selection: what the third element of a ``(name, step, columns)`` tuple may be.

- a column name (``"age"``) or a list/tuple of names;
- a regex string starting with ``^`` and ending with ``$`` (``"^num_.*$"``);
- a Polars dtype or dtype class (``pl.Float64``, ``pl.Datetime``) or a set of them;
- a Polars selector (``polars.selectors.numeric()``, ``cs.by_name(...) | cs.string()``...);
- ``None``: all columns except the target.

Names are *static*: the planner knows them before anything is fitted. Everything else is
*dynamic* (resolved against the schema the step will see) and never selects the target column.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from tabprep.errors import ConfigError, SchemaError

__all__ = ["resolve_columns", "is_static", "MissingColumnError"]


class MissingColumnError(SchemaError):
    """A named column is not (yet) in the schema; the planner may retry after earlier steps."""


def _is_regex(sel) -> bool:
    return isinstance(sel, str) and len(sel) >= 2 and sel.startswith("^") and sel.endswith("$")


def is_static(selector) -> bool:
    """True when ``selector`` names columns explicitly (its result does not depend on dtypes)."""
    if isinstance(selector, str):
        return not _is_regex(selector)
    return isinstance(selector, (list, tuple)) and all(isinstance(s, str) for s in selector)


def _dtype_matches(dtype, wanted) -> bool:
    # Polars: a dtype class equals every parametrisation (pl.Datetime == pl.Datetime("ms")).
    return dtype == wanted


def resolve_columns(selector, schema, target: str | None = None, *, step: str | None = None) -> list[str]:
    """Resolve ``selector`` against ``schema`` (a ``pl.Schema`` or ``{name: dtype}``).

    Returns the selected names in schema order for dynamic selectors and in the given order for
    explicit names.

    Raises
    ------
    MissingColumnError
        A named column is not in the schema (the message suggests close names).
    ConfigError
        The selector is of an unknown kind, names a column twice, or names the target.

    Examples
    --------
    >>> import polars as pl, polars.selectors as cs
    >>> schema = pl.Schema({"a": pl.Int64, "num_1": pl.Float64, "num_2": pl.Float32, "y": pl.Int8})
    >>> resolve_columns(cs.float(), schema), resolve_columns("^num_.*$", schema)
    (['num_1', 'num_2'], ['num_1', 'num_2'])
    >>> resolve_columns(None, schema, target="y"), resolve_columns(pl.Int64, schema)
    (['a', 'num_1', 'num_2'], ['a'])
    """
    import polars as pl
    import polars.selectors as cs

    names = list(schema.keys()) if hasattr(schema, "keys") else list(schema)
    where = f" (step {step!r})" if step else ""
    if is_static(selector):
        wanted = [selector] if isinstance(selector, str) else list(selector)
        seen = set()
        for name in wanted:
            if name in seen:
                raise ConfigError(f"column {name!r} is selected twice{where}")
            seen.add(name)
            if target is not None and name == target:
                raise ConfigError(f"column {name!r} is the target; steps cannot transform it{where}",
                                  hint="remove it from the step's columns")
            if name not in schema:
                close = difflib.get_close_matches(name, names, n=3)
                raise MissingColumnError(
                    f"column not found{where}", column=name,
                    found=f"columns {names[:20]}{' ...' if len(names) > 20 else ''}",
                    hint=f"did you mean {close}?" if close else "check the column names of the data")
        return wanted
    candidates = [n for n in names if n != target]
    if selector is None:
        return candidates
    if _is_regex(selector):
        pattern = re.compile(selector)
        return [n for n in candidates if pattern.fullmatch(n)]
    if cs.is_selector(selector):
        sub = {n: schema[n] for n in candidates}
        return list(cs.expand_selector(pl.Schema(sub), selector))
    dtypes = selector if isinstance(selector, (set, frozenset)) else [selector]
    if all(isinstance(d, pl.DataType) or (isinstance(d, type) and issubclass(d, pl.DataType)) for d in dtypes):
        return [n for n in candidates if any(_dtype_matches(schema[n], d) for d in dtypes)]
    if isinstance(selector, Sequence):
        raise ConfigError(f"a list of columns must hold only column names{where}", found=repr(selector))
    raise ConfigError(
        f"cannot select columns with {selector!r}{where}",
        hint="use a column name, a list of names, a regex '^...$', a Polars dtype, a "
             "polars.selectors selector, or None for all non-target columns")
