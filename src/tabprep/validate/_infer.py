"""``infer_contract``: a contract proposed from training data, for a person to review and edit."""

from __future__ import annotations

import math

from tabprep._constraints import Interval, validate_call
from tabprep._dtypes import dtype_str
from tabprep.pipeline._contract import Column, Contract

__all__ = ["infer_contract"]

ROW = "__tabprep_rows__"  # the row count's name in the one select (no column is named so)


def _round_up(x: float, digits: int = 4) -> float:
    return min(1.0, math.ceil(x * 10 ** digits) / 10 ** digits)


@validate_call({"margin": [Interval(float, 0, None, finite=True)],
                "max_categories": [Interval(int, 0, None)]})
def infer_contract(data, *, margin: float = 0.1, max_categories: int = 20) -> Contract:
    """Propose a :class:`Contract` from (training) data, in one pass over it.

    Per column:

    - ``dtype``: the exact dtype seen;
    - ``nullable=False`` when no value is missing, else ``max_null_share`` = the share seen times
      ``1 + margin`` (rounded up to 4 decimals);
    - numbers: ``min``/``max`` = the observed range widened by ``margin`` times its width on each
      side (integers rounded outwards; a column never below 0 keeps ``min >= 0``);
    - strings, categoricals and booleans with at most ``max_categories`` distinct values:
      ``allowed`` = those values (sorted).

    Parameters
    ----------
    data : table or path
    margin : float >= 0, default 0.1
    max_categories : int >= 0, default 20

    Returns
    -------
    Contract

    Examples
    --------
    >>> import polars as pl
    >>> c = infer_contract(pl.DataFrame({"n": [1, 5, 11], "s": ["a", "b", None]}))
    >>> c.columns["n"], c.columns["s"]
    (Column(dtype='Int64', nullable=False, min=0, max=12), Column(dtype='String', max_null_share=0.3667, allowed=['a', 'b']))
    """
    import polars as pl

    from tabprep.io import polars_errors
    from tabprep.io._dispatch import as_table

    coerced = as_table(data, allow_path=True)
    lf = coerced.lf
    with polars_errors(frame=lf):
        schema = lf.collect_schema()
    exprs = [pl.len().alias(ROW)]
    for i, (name, dtype) in enumerate(schema.items()):
        c = pl.col(name)
        missing = (c.is_null() | c.is_nan()) if dtype.is_float() else c.is_null()
        exprs.append(missing.sum().alias(f"m{i}"))
        if dtype.is_numeric():
            finite = c.filter(c.is_finite()) if dtype.is_float() else c
            exprs += [finite.min().alias(f"lo{i}"), finite.max().alias(f"hi{i}")]
        elif _categorical(dtype):
            values = c.cast(pl.String) if dtype != pl.Boolean else c
            exprs.append(values.drop_nulls().unique().head(max_categories + 1).implode().alias(f"u{i}"))
    with polars_errors(frame=lf):
        out = lf.select(exprs).collect(engine="streaming").row(0, named=True)
    n = int(out[ROW])
    columns = {}
    for i, (name, dtype) in enumerate(schema.items()):
        rule: dict = {"dtype": dtype_str(dtype)}
        missing = int(out[f"m{i}"])
        if missing == 0:
            rule["nullable"] = False
        else:
            rule["max_null_share"] = _round_up(missing / n * (1 + margin))
        if dtype.is_numeric() and out[f"lo{i}"] is not None:
            lo, hi = out[f"lo{i}"], out[f"hi{i}"]
            width = (hi - lo) * margin
            new_lo, new_hi = lo - width, hi + width
            if lo >= 0:
                new_lo = max(new_lo, 0)
            if dtype.is_integer():
                new_lo, new_hi = int(math.floor(new_lo)), int(math.ceil(new_hi))
            else:
                new_lo, new_hi = float(new_lo), float(new_hi)
            rule["min"], rule["max"] = new_lo, new_hi
        elif f"u{i}" in out:
            values = out[f"u{i}"] or []
            if 0 < len(values) <= max_categories:
                rule["allowed"] = sorted(values)
        columns[name] = Column(**rule)
    return Contract(columns, description="inferred by tabprep.validate.infer_contract: review before use")


def _categorical(dtype) -> bool:
    s = dtype_str(dtype)
    return s in ("String", "Boolean") or s.startswith(("Categorical", "Enum"))
