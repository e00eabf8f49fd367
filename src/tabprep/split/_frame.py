"""Splits as a column of a (Lazy)Frame: ``split`` (train/valid/test by ratio) and ``fold`` (K-fold).

Nothing is computed when the column is added: the ids are a Polars expression evaluated when the
query runs. What that evaluation materializes, honestly:

- ``random``: nothing but the row count (a one-byte placeholder column feeds the kernel);
- ``stratified`` / ``group``: the whole label (or group) column, one value per row;
- ``stratified_group``: both columns;
- ``time`` (split): no Python at all -- plain Polars expressions (the cuts are read from the
  sorted time column, which Polars sorts itself);
- ``time`` (fold): the time column (it is ranked).

The ids of the non-time strategies come from a ``map_batches`` call over the needed columns, which
Polars runs once over the whole column (it is not elementwise), so the ids depend only on the
data, the parameters and the seed -- never on how the source is chunked. Filters written after
the column is added are not pushed below it (Polars keeps a non-elementwise UDF as a barrier).
"""

from __future__ import annotations

import datetime as dt
import numbers

import numpy as np
import polars as pl

from tabprep.errors import ConfigError, SchemaError
from tabprep.io._dispatch import as_table, convert_output
from tabprep._base.alloc import derive_seed
from tabprep._base.labels import BINS, _null_check
from tabprep._base.params import ColumnName, Interval, Options, param_error, validate_call
from tabprep.split._kfold import (
    N_REPEATS,
    N_SPLITS,
    SEED,
    SHUFFLE,
    group_kfold_ids,
    kfold_ids,
    stratified_group_kfold_ids,
    stratified_kfold_ids,
    time_series_fold_ids,
)
from tabprep.split._ratio import (
    RATIOS,
    as_ratios,
    group_split_ids,
    random_split_ids,
    stratified_group_split_ids,
    stratified_split_ids,
)

__all__ = ["add_split_column", "add_fold_column", "STRATEGIES"]

STRATEGIES = ("random", "stratified", "group", "stratified_group", "time")

# what add_split_column and add_fold_column share
_COMMON = {
    "strategy": [Options(STRATEGIES)],
    "by": [ColumnName(), None],
    "group": [ColumnName(), None],
    "time": [ColumnName(), None],
    "bins": BINS,
    "seed": SEED,
    "name": [ColumnName(new=True)],
}


def _as_lazy(data, owner: str):
    """``(LazyFrame, give_back)``: ``give_back(out)`` returns the lazy result in the input's
    container (a LazyFrame stays lazy; a DataFrame, pandas, pyarrow or NumPy input comes back
    as one)."""
    src = as_table(data, what=f"the data of {owner}")
    if src.kind == "lazy":
        return src.lf, lambda out: out
    return src.lf, lambda out: convert_output(out, src)


def _need_column(schema: pl.Schema, column, param: str, strategy: str, owner: str) -> str:
    if column is None:
        raise ConfigError(f"{owner}: strategy={strategy!r} needs the `{param}` column", hint=f"pass {param}='<column name>'")
    if column not in schema:
        raise SchemaError(
            f"{owner}: column not found",
            column=column,
            found=f"columns {list(schema.names())[:20]}",
            hint=f"check the `{param}` argument",
        )
    return column


def _check_name(name, lf_schema: pl.Schema, owner: str) -> str:
    if name in lf_schema:
        raise SchemaError(
            f"{owner}: the output column already exists",
            column=name,
            hint="pass another name=, or drop the existing column first",
        )
    return name


def _udf(columns: list[str], make, name: str) -> pl.Expr:
    """A non-elementwise UDF over whole columns returning an Int8 id Series."""

    def run(series):
        ids = make(*series) if isinstance(series, (list, tuple)) else make(series)
        return pl.Series(name, ids, dtype=pl.Int8)

    if not columns:
        # a one-byte placeholder carries the row count without reading any column
        return pl.repeat(0, pl.len(), dtype=pl.Int8).map_batches(run, return_dtype=pl.Int8).alias(name)
    if len(columns) == 1:
        return pl.col(columns[0]).map_batches(run, return_dtype=pl.Int8).alias(name)
    return pl.map_batches(columns, run, return_dtype=pl.Int8).alias(name)


def _gap_shift(expr: pl.Expr, gap, dtype: pl.DataType, owner: str) -> pl.Expr:
    """``expr - gap`` for a time expression of ``dtype``."""
    if gap is None:
        return expr
    if dtype.is_temporal():
        if isinstance(gap, str):
            return expr.dt.offset_by(gap[1:] if gap.startswith("-") else f"-{gap}")
        if isinstance(gap, dt.timedelta):
            return expr - pl.lit(gap)
    elif dtype.is_numeric() and isinstance(gap, numbers.Real) and not isinstance(gap, bool):
        return expr - gap
    raise param_error(
        "gap", owner, "be a duration (e.g. '7d' or a timedelta) for a temporal time column, or a number for a numeric one",
        shown=f"{gap!r} for a {dtype} column",
    )


def _time_split(lf: pl.LazyFrame, time: str, dtype, ratios, cutoffs, gap, name: str, owner: str) -> pl.LazyFrame:
    col = pl.col(time)
    if cutoffs is not None:
        cuts = [pl.lit(c, dtype=dtype) if not isinstance(c, pl.Expr) else c for c in cutoffs]
        if len(cuts) < 1:
            raise param_error("cutoffs", owner, "hold at least one cutoff", cutoffs)
        plain = [c for c in cutoffs if not isinstance(c, pl.Expr)]
        try:
            increasing = len(plain) < len(cutoffs) or all(a < b for a, b in zip(plain, plain[1:]))
        except TypeError:
            increasing = False
        if not increasing:
            raise param_error("cutoffs", owner, "be increasing", cutoffs)
    else:
        cum = np.cumsum(ratios)[:-1]
        # cut j = the time of the first row of part j in time order (row floor(cum_j * n)), so
        # distinct times give exact sizes; rows sharing a timestamp land on one side
        ordered = col.drop_nulls().sort()
        cuts = [ordered.get((col.count() * float(q) + 1e-9).floor().cast(pl.Int64), null_on_oob=True) for q in cum]
    # part j: cut_{j-1} <= t < cut_j; rows within `gap` before a cut are left out (null)
    expr = pl.when(col < _gap_shift(cuts[0], gap, dtype, owner)).then(pl.lit(0, dtype=pl.Int8))
    for j in range(1, len(cuts)):
        expr = expr.when((col >= cuts[j - 1]) & (col < _gap_shift(cuts[j], gap, dtype, owner))).then(pl.lit(j, dtype=pl.Int8))
    expr = expr.when(col >= cuts[-1]).then(pl.lit(len(cuts), dtype=pl.Int8)).otherwise(pl.lit(None, dtype=pl.Int8))
    return lf.with_columns(expr.alias(name))


@validate_call({**_COMMON, "ratios": RATIOS, "gap": [str, dt.timedelta, Interval(float), None]})
def add_split_column(
    data,
    ratios=(0.8, 0.1, 0.1),
    *,
    strategy: str = "random",
    by: str | None = None,
    group: str | None = None,
    time: str | None = None,
    gap=None,
    cutoffs=None,
    bins: int | str | None = "auto",
    seed: int = 0,
    name: str = "split",
):
    """Add a train/valid/test (or any number of parts) column, lazily, from a seed.

    The column holds the part of each row as Int8: 0 for ``ratios[0]`` (train), 1 for
    ``ratios[1]`` (valid), 2 for ``ratios[2]`` (test)...

    Parameters
    ----------
    data : polars LazyFrame/DataFrame, pandas DataFrame, pyarrow Table or 2-D NumPy array
        The data; a DataFrame gives a DataFrame back, a LazyFrame stays lazy.
    ratios : sequence of float or str, default (0.8, 0.1, 0.1)
        Share of each part, 2 to 127 numbers > 0 summing to 1 ("0.8,0.1,0.1" also accepted).
    strategy : {"random", "stratified", "group", "stratified_group", "time"}, default "random"
        - ``random``: exact part sizes (largest remainder), rows uniformly at random;
        - ``stratified``: each class of ``by`` spread over the parts in proportion (per class
          within one row of scikit-learn's StratifiedShuffleSplit sizes; a float ``by`` with
          many values is stratified on quantile bins, see ``bins``);
        - ``group``: all rows of a ``group`` in one part (sizes near the ratios);
        - ``stratified_group``: both (scikit-learn's StratifiedGroupKFold rule, unequal parts);
        - ``time``: by time: part j holds ``cut_{j-1} <= time < cut_j``, the cuts being the
          times at the ratios' positions in time order (or ``cutoffs``): exact sizes for
          distinct times; rows sharing a timestamp stay together (sizes then shift); null
          times get a null part. Polars sorts the time column to find the cuts.
    by, group, time : str, optional
        Label, group and time columns, as the strategy needs.
    gap : str, timedelta or number, optional
        ``time`` only: rows within ``gap`` before each cut get a null part (an embargo), so every
        row of a later part is at least ``gap`` after every row of an earlier one. A Polars
        duration string ("7d", "12h") or timedelta for temporal columns, a number otherwise.
    cutoffs : sequence, optional
        ``time`` only: explicit cuts (len(ratios) - 1 of them, increasing) instead of quantiles.
    bins : int, "auto" or None, default "auto"
        Stratified strategies: quantile bins for a continuous ``by`` ("auto": 10 bins when ``by``
        is a float column with more than 20 distinct values).
    seed : int, default 0
        Seed; the same data, parameters and seed always give the same column.
    name : str, default "split"
        Name of the new column.

    Returns
    -------
    polars.LazyFrame or polars.DataFrame
        ``data`` with the Int8 column ``name`` appended.

    Notes
    -----
    Materialized when the query runs: see :mod:`tabprep.split._frame` (only the columns the
    strategy needs; ``random`` needs none).

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.split import add_split_column
    >>> df = pl.DataFrame({"x": range(10), "y": [0, 1] * 5})
    >>> out = add_split_column(df, (0.6, 0.2, 0.2), strategy="stratified", by="y", seed=1)
    >>> out["split"].value_counts(sort=True)["count"].to_list()
    [6, 2, 2]
    """
    owner = "add_split_column"
    lf, give_back = _as_lazy(data, owner)
    schema = lf.collect_schema()
    name = _check_name(name, schema, owner)
    if strategy == "time":
        time = _need_column(schema, time, "time", strategy, owner)
        if cutoffs is not None:
            cutoffs = list(cutoffs)
            ratios = (1.0 / (len(cutoffs) + 1),) * (len(cutoffs) + 1)
        else:
            ratios = as_ratios(ratios)
        out = _time_split(lf, time, schema[time], ratios, cutoffs, gap, name, owner)
        return give_back(out)
    ratios = as_ratios(ratios)
    if gap is not None or cutoffs is not None:
        raise ConfigError(f"{owner}: `gap` and `cutoffs` apply to strategy='time' only; got strategy={strategy!r}")
    if strategy == "random":
        expr = _udf([], lambda s: random_split_ids(s.len(), ratios, seed=seed), name)
    elif strategy == "stratified":
        by = _need_column(schema, by, "by", strategy, owner)
        expr = _udf([by], lambda s: stratified_split_ids(s, ratios, seed=seed, bins=bins), name)
    elif strategy == "group":
        group = _need_column(schema, group, "group", strategy, owner)
        expr = _udf([group], lambda s: group_split_ids(s, ratios, seed=seed), name)
    else:
        by = _need_column(schema, by, "by", strategy, owner)
        group = _need_column(schema, group, "group", strategy, owner)
        expr = _udf([by, group], lambda s, g: stratified_group_split_ids(s, g, ratios, seed=seed, bins=bins), name)
    out = lf.with_columns(expr)
    return give_back(out)


def _time_fold_ids(t: pl.Series, n_splits: int) -> np.ndarray:
    _null_check(t, "time values", t.name)
    ids = time_series_fold_ids(t.len(), n_splits)
    order = np.argsort(t.to_physical().to_numpy(), kind="stable")
    out = np.empty_like(ids)
    out[order] = ids
    return out


@validate_call({**_COMMON, "n_splits": N_SPLITS, "shuffle": SHUFFLE, "n_repeats": N_REPEATS})
def add_fold_column(
    data,
    n_splits: int = 5,
    *,
    strategy: str = "random",
    by: str | None = None,
    group: str | None = None,
    time: str | None = None,
    bins: int | str | None = "auto",
    shuffle: bool = True,
    n_repeats: int = 1,
    seed: int = 0,
    name: str = "fold",
):
    """Add a K-fold id column (Int8, 0..n_splits-1), lazily, from a seed.

    Row r belongs to the test set of split ``fold[r]`` and to the training set of every other
    split. The K-fold family as one column: ``random`` (KFold), ``stratified``
    (StratifiedKFold), ``group`` (GroupKFold), ``stratified_group`` (StratifiedGroupKFold),
    ``time`` (TimeSeriesSplit's test blocks; rows never tested are -1; split f trains on the rows
    before block f -- use :class:`tabprep.split.TimeSeriesSplit` for ``gap``/``max_train_size``).

    Parameters
    ----------
    data : polars LazyFrame/DataFrame, pandas DataFrame, pyarrow Table or 2-D NumPy array
        The data; a DataFrame gives a DataFrame back, a LazyFrame stays lazy.
    n_splits : int, default 5
        Number of folds, in [2, 127].
    strategy : {"random", "stratified", "group", "stratified_group", "time"}, default "random"
        See above and :func:`kfold_ids`, :func:`stratified_kfold_ids`, :func:`group_kfold_ids`,
        :func:`stratified_group_kfold_ids`, :func:`time_series_fold_ids`.
    by, group, time : str, optional
        Label, group and time columns, as the strategy needs (``time`` may be omitted for
        ``strategy="time"``: then the row order is the time order).
    bins : int, "auto" or None, default "auto"
        Quantile bins for a continuous ``by`` (see :func:`add_split_column`).
    shuffle : bool, default True
        Random folds (True) or scikit-learn's unshuffled rule (False).
    n_repeats : int, default 1
        More than 1: one column per repeat, ``{name}_0`` .. ``{name}_{n_repeats-1}``, each with
        its own child seed (RepeatedKFold / RepeatedStratifiedKFold).
    seed : int, default 0
        Seed; the same data, parameters and seed always give the same column.
    name : str, default "fold"
        Name of the new column (or prefix with ``n_repeats > 1``).

    Returns
    -------
    polars.LazyFrame or polars.DataFrame

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.split import add_fold_column
    >>> df = pl.DataFrame({"y": [0, 0, 0, 1, 1, 1]})
    >>> add_fold_column(df, 3, strategy="stratified", by="y")["fold"].sort().to_list()
    [0, 0, 1, 1, 2, 2]
    """
    owner = "add_fold_column"
    lf, give_back = _as_lazy(data, owner)
    n_splits, n_repeats, shuffle = int(n_splits), int(n_repeats), bool(shuffle)
    schema = lf.collect_schema()
    names = [name] if n_repeats == 1 else [f"{name}_{r}" for r in range(n_repeats)]
    for n in names:
        _check_name(n, schema, owner)
    if strategy == "time" and n_repeats > 1:
        raise ConfigError(f"{owner}: time-series folds do not depend on a seed; n_repeats must be 1")
    exprs = []
    for r, col_name in enumerate(names):
        s = seed if n_repeats == 1 else derive_seed(seed, 100 + r)
        if strategy == "random":
            expr = _udf([], lambda x, s=s: kfold_ids(x.len(), n_splits, shuffle=shuffle, seed=s), col_name)
        elif strategy == "stratified":
            by = _need_column(schema, by, "by", strategy, owner)
            expr = _udf([by], lambda x, s=s: stratified_kfold_ids(x, n_splits, shuffle=shuffle, seed=s, bins=bins), col_name)
        elif strategy == "group":
            group = _need_column(schema, group, "group", strategy, owner)
            expr = _udf([group], lambda x, s=s: group_kfold_ids(x, n_splits, shuffle=shuffle, seed=s), col_name)
        elif strategy == "stratified_group":
            by = _need_column(schema, by, "by", strategy, owner)
            group = _need_column(schema, group, "group", strategy, owner)
            expr = _udf(
                [by, group],
                lambda x, g, s=s: stratified_group_kfold_ids(x, g, n_splits, shuffle=shuffle, seed=s, bins=bins),
                col_name,
            )
        elif time is None:
            expr = _udf([], lambda x: time_series_fold_ids(x.len(), n_splits), col_name)
        else:
            time = _need_column(schema, time, "time", strategy, owner)
            expr = _udf([time], lambda t: _time_fold_ids(t, n_splits), col_name)
        exprs.append(expr)
    out = lf.with_columns(exprs)
    return give_back(out)
