"""Random, stratified and rebalancing samples of a (Lazy)Frame, seeded.

What is materialized when: the row count (one ``len`` query, free for Parquet) for a random
sample, the label column for a stratified sample or a rebalance -- both at call time; the rows
themselves are selected lazily by row number (a streaming filter on ``with_row_index``), so a
LazyFrame stays lazy and the sample is read in one streaming pass. Rows keep their source order
(with replacement, the copies of a row are adjacent).
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep.io._dispatch import as_table, convert_output
from tabprep.kernels._sample import sample_select_sorted
from tabprep.kernels._split import split_assign
from tabprep._base.alloc import approximate_mode, derive_seed
from tabprep.split._kfold import SEED
from tabprep._base.labels import BINS, Labels, encode_labels
from tabprep._base.params import ClassCounts, ColumnName, Interval, Options, param_error, validate_call

__all__ = ["sample", "rebalance", "take_rows"]

_ROW = "__tabprep_row__"


def _as_lazy(data, owner: str):
    """``(LazyFrame, in-memory DataFrame or None for a LazyFrame, source)``."""
    src = as_table(data, what=f"the data of {owner}")
    return src.lf, None if src.kind == "lazy" else src.lf.collect(), src

def take_rows(lf: pl.LazyFrame, idx: np.ndarray, *, unique: bool) -> pl.LazyFrame:
    """Rows ``idx`` (increasing) of ``lf``, lazily; duplicates allowed when ``unique`` is False."""
    with_index = lf.with_row_index(_ROW)
    dtype = with_index.collect_schema()[_ROW]
    keys = pl.Series(_ROW, idx, dtype=pl.UInt64).cast(dtype)
    if unique:
        # a streaming filter: the engine never holds more than a morsel of the source
        return with_index.filter(pl.col(_ROW).is_in(keys.implode())).drop(_ROW)
    wanted = pl.LazyFrame({_ROW: keys})
    return wanted.join(with_index, on=_ROW, how="left", maintain_order="left").drop(_ROW)


def _finish(lf: pl.LazyFrame, idx: np.ndarray, df, src, *, unique: bool):
    """The rows ``idx`` of the data, in the input's container."""
    if df is None:
        return take_rows(lf, idx, unique=unique)
    return convert_output((df[idx] if len(idx) else df.clear()).lazy(), src)


def _count(lf: pl.LazyFrame) -> int:
    return int(lf.select(pl.len()).collect().item())


def _check_n_frac(n, frac, replace: bool, owner: str) -> None:
    if (n is None) == (frac is None):
        raise ConfigError(f"{owner}: pass exactly one of `n` and `frac`")
    if frac is not None and frac > 1 and not replace:
        raise param_error("frac", owner, "be <= 1 without replacement (any float >= 0 with replace=True)", frac)


def _frac_rows(frac: float, n: int) -> int:
    # floor, as Polars' DataFrame.sample(fraction=); the nudge keeps 0.29 * 100 at 29
    return int(math.floor(frac * n + 1e-9))


def _class_rows(labels: Labels) -> list[np.ndarray]:
    """Row indices of each code (increasing), from one stable argsort."""
    order = np.argsort(labels.values, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(labels.counts)])
    return [order[bounds[c] : bounds[c + 1]] for c in range(labels.n_codes)]


def _code_of(labels: Labels) -> dict:
    """Python label value -> code, for the present codes."""
    out = {}
    for code in labels.present().tolist():
        if labels._uniques is not None:
            value = labels._uniques[code]
        else:
            value = code + labels.lo
        out[value] = code
    return out


def _targets_from_dict(labels: Labels, wanted: dict, owner: str) -> np.ndarray:
    """Row targets per code from a checked ``{class: rows}`` (ClassCounts)."""
    codes = _code_of(labels)
    targets = np.zeros(labels.n_codes, dtype=np.int64)
    for key, value in wanted.items():
        if key not in codes:
            raise ConfigError(
                f"{owner}: class {key!r} is not in the data",
                **labels.where(),
                found=f"classes {sorted(codes, key=str)[:20]}",
            )
        targets[codes[key]] = int(value)
    return targets


def _draw(labels: Labels, targets: np.ndarray, replace: bool, seed: int, owner: str) -> np.ndarray:
    """Row indices (increasing) with ``targets[c]`` rows of each code c."""
    counts = labels.counts
    if not replace:
        over = np.flatnonzero(targets > counts)
        if over.size:
            c = int(over[0])
            raise DataError(
                f"{owner}: cannot draw {int(targets[c])} rows of class {labels.describe(c)} without replacement",
                **labels.where(),
                found=f"{int(counts[c])} row(s) of that class",
                hint="lower n / frac, or pass replace=True", cli_hint="lower --n / --frac, or pass --replace",
            )
        places = np.stack([targets, counts - targets], axis=1)
        ids = split_assign(labels.values, labels.lo, places, shuffle=True, seed=seed, check=False,
                           block_counts=labels.block_counts)
        return np.flatnonzero(ids == 0)
    empty = np.flatnonzero((targets > 0) & (counts == 0))
    if empty.size:
        raise DataError(f"{owner}: cannot draw rows of a class with no rows", **labels.where())
    rng = np.random.default_rng(derive_seed(seed, 5))
    rows = _class_rows(labels)
    parts = [rows[c][rng.integers(0, counts[c], int(targets[c]))] for c in np.flatnonzero(targets)]
    return np.sort(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)


def _label_column(lf: pl.LazyFrame, by, owner: str) -> pl.Series:
    schema = lf.collect_schema()
    if by not in schema:
        raise SchemaError(f"{owner}: column not found", column=by, found=f"columns {schema.names()[:20]}")
    return lf.select(by).collect().to_series()


@validate_call({
    "n": [Interval(int, 0, None), ClassCounts(), None],
    "frac": [Interval(float, 0, None, finite=True), None],
    "by": [ColumnName(), None],
    "per_class": ["boolean"],
    "replace": ["boolean"],
    "bins": BINS,
    "seed": SEED,
})
def sample(
    data,
    n: int | dict | None = None,
    *,
    frac: float | None = None,
    by: str | None = None,
    per_class: bool = False,
    replace: bool = False,
    bins: int | str | None = None,
    seed: int = 0,
):
    """Random or stratified sample of exactly ``n`` rows (or ``frac`` of them), seeded.

    Parameters
    ----------
    data : polars LazyFrame/DataFrame, pandas DataFrame, pyarrow Table or 2-D NumPy array
        A LazyFrame stays lazy (only the row count, or the ``by`` column, is read now).
    n : int or dict, optional
        Rows to draw. With ``by``: the total, spread over the classes in proportion (exact total,
        each class within one row of proportional), or per class with ``per_class=True``, or a
        dict ``{class: rows}`` (classes left out get no row).
    frac : float, optional
        Share of rows instead of ``n`` (rounded down), in [0, 1] (any >= 0 with ``replace``).
    by : str, optional
        Label column for a stratified sample.
    per_class : bool, default False
        ``n`` / ``frac`` apply to each class separately.
    replace : bool, default False
        Draw with replacement.
    bins : int, "auto" or None, default None
        Stratify a continuous ``by`` on quantile bins.
    seed : int, default 0
        Seed; the same data and seed always give the same rows.

    Returns
    -------
    polars.LazyFrame or polars.DataFrame
        The sampled rows in source order.

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.sample import sample
    >>> df = pl.DataFrame({"x": range(10), "y": [0] * 8 + [1] * 2})
    >>> sample(df, 5, by="y", seed=0)["y"].to_list()
    [0, 0, 0, 0, 1]
    >>> sample(df, frac=0.3, seed=1).height
    3
    """
    owner = "sample"
    lf, df, src = _as_lazy(data, owner)
    replace, per_class = bool(replace), bool(per_class)
    _check_n_frac(n, frac, replace, owner)
    if by is None:
        if isinstance(n, dict) or per_class:
            raise ConfigError(f"{owner}: a dict `n` and per_class=True need a `by` column")
        total = _count(lf) if df is None else df.height
        k = int(n) if n is not None else _frac_rows(frac, total)
        if replace:
            if k and not total:
                raise DataError(f"{owner}: cannot draw {k} rows from no rows")
            idx = np.sort(np.random.default_rng(derive_seed(seed, 5)).integers(0, total, k))
        else:
            if k > total:
                raise DataError(
                    f"{owner}: cannot draw {k} rows without replacement",
                    found=f"{total} rows",
                    hint="lower n, or pass replace=True", cli_hint="lower --n, or pass --replace",
                )
            idx = sample_select_sorted(total, k, seed=seed)
        return _finish(lf, idx, df, src, unique=not replace)
    labels = encode_labels(_label_column(lf, by, owner), name=by, what="labels", bins=bins)
    present = labels.present()
    targets = np.zeros(labels.n_codes, dtype=np.int64)
    if isinstance(n, dict):
        targets = _targets_from_dict(labels, n, owner)
    elif per_class:
        counts = labels.counts[present]
        targets[present] = int(n) if n is not None else [_frac_rows(frac, int(c)) for c in counts]
    else:
        k = int(n) if n is not None else _frac_rows(frac, labels.n_rows)
        if k > labels.n_rows and not replace:
            raise DataError(f"{owner}: cannot draw {k} rows without replacement", found=f"{labels.n_rows} rows")
        if replace and k > labels.n_rows:
            # proportional shares of a draw larger than the data
            whole, rest = divmod(k, labels.n_rows)
            extra = approximate_mode(labels.counts[present], rest, np.random.default_rng(derive_seed(seed, 6)))
            targets[present] = labels.counts[present] * whole + extra
        else:
            targets[present] = approximate_mode(labels.counts[present], k, np.random.default_rng(derive_seed(seed, 6)))
    idx = _draw(labels, targets, replace, seed, owner)
    return _finish(lf, idx, df, src, unique=not replace)


@validate_call({
    "by": [ColumnName()],
    "ratio": [Interval(float, 0, 1, closed="right")],
    "method": [Options(("undersample", "oversample"))],
    "counts": [ClassCounts(), None],
    "seed": SEED,
})
def rebalance(
    data,
    by: str,
    *,
    ratio: float = 1.0,
    method: str = "undersample",
    counts: dict | None = None,
    seed: int = 0,
):
    """Rebalance classes: undersample the majority or oversample the minority to a target ratio.

    Parameters
    ----------
    data : polars LazyFrame/DataFrame, pandas DataFrame, pyarrow Table or 2-D NumPy array
        A LazyFrame stays lazy (only the ``by`` column is read now).
    by : str
        Class column.
    ratio : float, default 1.0
        Wanted (smallest class rows) / (largest class rows) after resampling, in (0, 1].
        ``undersample``: every class is cut to at most ``floor(n_min / ratio)`` rows (drawn
        without replacement). ``oversample``: every class is raised to at least
        ``ceil(ratio * n_max)`` rows (all its rows kept, the extra drawn with replacement).
    method : {"undersample", "oversample"}, default "undersample"
        Which side moves.
    counts : dict, optional
        ``{class: rows}`` targets instead of ``ratio``: fewer rows than the class has are drawn
        without replacement, more keep every row and draw the extra with replacement; classes
        left out are kept whole.
    seed : int, default 0
        Seed.

    Returns
    -------
    polars.LazyFrame or polars.DataFrame
        Rows in source order; oversampled copies sit next to their original.

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.sample import rebalance
    >>> df = pl.DataFrame({"y": [0] * 8 + [1] * 2})
    >>> rebalance(df, "y")["y"].value_counts(sort=True)["count"].to_list()
    [2, 2]
    >>> rebalance(df, "y", ratio=0.5, method="oversample")["y"].value_counts(sort=True)["count"].to_list()
    [8, 4]
    """
    owner = "rebalance"
    lf, df, src = _as_lazy(data, owner)
    labels = encode_labels(_label_column(lf, by, owner), name=by, what="labels")
    present = labels.present()
    have = labels.counts
    if counts is not None:
        targets = have.copy()
        given = _targets_from_dict(labels, counts, owner)
        mask = np.zeros(labels.n_codes, dtype=bool)
        codes = _code_of(labels)
        mask[[codes[k] for k in counts]] = True
        targets[mask] = given[mask]
    elif method == "undersample":
        cap = math.floor(int(have[present].min()) / ratio + 1e-9)
        targets = np.minimum(have, cap)
    else:
        floor_ = math.ceil(ratio * int(have[present].max()) - 1e-9)
        targets = np.where(have > 0, np.maximum(have, floor_), 0)
    keep = np.minimum(targets, have)
    idx = _draw(labels, keep, False, seed, owner)
    extra = np.maximum(targets - have, 0)
    if extra.any():
        idx = np.sort(np.concatenate([idx, _draw(labels, extra, True, seed, owner)]))
        return _finish(lf, idx, df, src, unique=False)
    return _finish(lf, idx, df, src, unique=True)
