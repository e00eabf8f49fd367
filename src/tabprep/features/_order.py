"""What the per-entity time steps share: the parameters ``by``/``time``, the order of rows within
an entity, and the refusal of a missing time.

Order. Rows of one entity (equal ``by`` values; all rows when ``by`` is None) are ordered by
``time``, rows with equal time keeping their order in the data (a stable sort; without ``time``
the data order is the order). The data need not be sorted: every step sorts within the entity
through Polars' ``over(..., order_by=time)`` / ``rolling_*_by`` and returns the rows in their
input order. A row never sees a row of a later time (no look-ahead); what it sees of rows of its
*own* time is stated by each step.

A missing time cannot be placed: it is refused (``DataError`` naming the column, and the row when
the data is collected eagerly), at fit and at transform. The check runs inside the query, on
whatever engine runs it, so a LazyFrame stays lazy.
"""

from __future__ import annotations

from functools import partial

from tabprep.errors import DataError, SchemaError

__all__ = ["as_list", "check_entity_columns", "ordered_key", "over_entity", "explain_missing_time"]


def as_list(value) -> list:
    """``value`` as a list (None → [], a string → [it])."""
    if value is None:
        return []
    return [value] if isinstance(value, (str, int)) else list(value)


def check_entity_columns(step, schema, columns) -> None:
    """``by`` and ``time`` must be input columns of ``step`` (so a fitted pipeline keeps them), of
    a sortable dtype for ``time``."""
    owner = type(step).__name__
    for c in [*as_list(step.by), *as_list(step.time)]:
        if c not in columns:
            raise SchemaError(f"{owner} orders or groups rows by a column that is not among its input columns",
                              column=c, found=f"inputs {list(columns)[:20]}",
                              hint=f"select {c!r} too: the step passes it through unchanged")
    if step.time is not None:
        dtype = schema[step.time]
        if not (dtype.is_temporal() or dtype.is_integer()):
            raise SchemaError(f"the `time` column of {owner} must hold dates, datetimes or integers",
                              column=step.time, found=str(dtype),
                              hint="parse it first (e.g. pl.col(c).str.to_datetime(), or tabprep.clean.Cast)")


def _refuse_missing_time(s, *, owner: str, column: str):
    if s.null_count():
        raise DataError(f"{owner} cannot place a row without a time", column=column,
                        hint="drop or fill the rows with a missing time first")
    return s


def ordered_key(step, schema):
    """The ``time`` column as an ordering expression that refuses a null as the query runs, or
    None without ``time``."""
    import polars as pl

    if step.time is None:
        return None
    dtype = schema[step.time]
    fn = partial(_refuse_missing_time, owner=type(step).__name__, column=step.time)
    # the no-op cast marks the call as a check in the plan (tabprep._base.stats.CHECK_IN_PLAN)
    return pl.col(step.time).map_batches(fn, return_dtype=dtype, is_elementwise=True).cast(dtype, strict=False)


def over_entity(expr, step, key):
    """``expr`` evaluated per entity (``by``), in time order (``key`` from :func:`ordered_key`)."""
    by = as_list(step.by)
    if not by and key is None:
        return expr
    return expr.over(by or None, order_by=key)


def explain_missing_time(step, lf, schema):
    """DataError naming the first row whose time is missing, or None."""
    import polars as pl

    if step.time is None or step.time not in schema:
        return None
    try:
        hit = lf.select(pl.col(step.time)).with_row_index("row").filter(pl.col(step.time).is_null()).head(1).collect()
    except pl.exceptions.PolarsError:
        return None
    if hit.height == 0:
        return None
    return DataError(f"{type(step).__name__} cannot place a row without a time", column=step.time,
                     row=int(hit["row"][0]), hint="drop or fill the rows with a missing time first")
