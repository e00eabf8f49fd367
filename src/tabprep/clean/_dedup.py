"""deduplicate: drop repeated rows, lazily (a function, not a step: it changes the row count,
which a pipeline step never does -- every step maps row i to row i)."""

from __future__ import annotations

from tabprep._base.params import Options, validate_call
from tabprep.errors import SchemaError

__all__ = ["deduplicate"]


@validate_call({"subset": [str, list, None], "keep": [Options(("first", "last", "none"))],
                "order_by": [str, None]})
def deduplicate(data, subset=None, *, keep="first", order_by=None):
    """Rows of ``data`` without repeats, in their original order.

    Parameters
    ----------
    data : path, polars LazyFrame/DataFrame, pandas DataFrame or pyarrow Table
        The same kind comes back (a path or a LazyFrame: a LazyFrame).
    subset : str, list of str or None, default=None
        The key columns (None: whole rows, exact duplicates).
    keep : {"first", "last", "none"}, default="first"
        Which row of a key to keep (``"none"``: drop every row whose key repeats). With
        ``order_by``: the row with the smallest (``"first"``) or largest (``"last"``, the most
        recent) ``order_by`` value; ties go to the earliest (first) or latest (last) row in the
        data, a null ``order_by`` counts as the smallest.
    order_by : str or None, default=None
        The column that decides which row of a key is kept.

    Without ``order_by`` this is Polars' ``unique(maintain_order=True)``, which the streaming
    engine runs in bounded memory; with it, a window over the key (the key and ``order_by``
    columns are held in memory).

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.clean import deduplicate
    >>> df = pl.DataFrame({"id": [1, 2, 1, 1], "t": [5, 1, 9, 7], "v": ["a", "b", "c", "d"]})
    >>> deduplicate(df, "id")["v"].to_list()
    ['a', 'b']
    >>> deduplicate(df, "id", keep="last", order_by="t")["v"].to_list()  # the most recent per id
    ['b', 'c']
    >>> deduplicate(df, "id", keep="none")["v"].to_list()
    ['b']
    """
    import polars as pl

    from tabprep.io._dispatch import coerce, convert_output

    source = coerce(data, allow_path=True, array_dtype=None)
    lf = source.lf
    schema = lf.collect_schema()
    keys = None if subset is None else ([subset] if isinstance(subset, str) else list(subset))
    for c in [*(keys or []), *([order_by] if order_by else [])]:
        if c not in schema:
            raise SchemaError("deduplicate names a column the data lacks", column=c,
                              found=f"columns {schema.names()[:20]}")
    if order_by is None or keep == "none":
        out = lf.unique(subset=keys, keep=keep, maintain_order=True)
    else:
        row = "\x1frow"
        part = keys or [c for c in schema.names()]
        # stable sort by order_by within the key: the last of it is the largest, latest on ties
        pick = pl.col(row).sort_by(order_by, nulls_last=False, maintain_order=True)
        chosen = (pick.last() if keep == "last" else pick.first()).over(part)
        out = lf.with_row_index(row).filter(pl.col(row) == chosen).drop(row)
    if source.kind not in ("lazy", "path"):
        out = out.collect().lazy()
    return convert_output(out, source)
