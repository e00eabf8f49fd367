"""The K-fold family as fold-id arrays: one int8 per row, 0..n_splits-1, deterministic by seed.

Every function here returns the *test fold* of each row: the rows of fold ``f`` are the test set
of split ``f`` and the other rows its training set (for :func:`time_series_fold_ids`, rows never
in a test fold are -1). The sklearn-style splitter classes and the lazy ``add_fold_column`` are
thin layers over these.
"""

from __future__ import annotations

import numpy as np

from tabprep.errors import ConfigError, DataError
from tabprep.kernels._split import (
    MAX_FOLDS,
    split_assign,
    split_assign_flat,
    split_greedy_lightest,
    split_stratified_group,
    split_take,
)
from tabprep._base.alloc import derive_seed, kfold_sizes, stratified_fold_allocation
from tabprep._base.labels import BINS, Labels, encode_labels
from tabprep._base.params import Interval, Seed, validate_call

__all__ = [
    "kfold_ids",
    "stratified_kfold_ids",
    "group_kfold_ids",
    "stratified_group_kfold_ids",
    "time_series_fold_ids",
    "repeated_fold_ids",
]


# The parameters the fold and split functions share, declared once (split._frame, split._ratio,
# split._sklearn and sample use them too).
N_ROWS = [Interval(int, 0, None)]
N_SPLITS = [Interval(int, 2, MAX_FOLDS)]
N_REPEATS = [Interval(int, 1, None)]
SHUFFLE = ["boolean"]
SEED = [Seed()]


def _check_rows(n_rows: int, n_splits: int, owner: str) -> None:
    if n_splits > n_rows:
        raise DataError(
            f"{owner}: cannot make n_splits={n_splits} folds from {n_rows} rows",
            found=f"{n_rows} rows",
            hint="lower n_splits",
        )


def check_classes(labels: Labels, n_needed: int, owner: str, *, per: str = "fold", min_classes: int = 2) -> None:
    """Stratification needs ``min_classes`` classes or more, each with at least ``n_needed`` rows.

    tabprep's own functions ask for two (one class is most often the wrong column); the
    scikit-learn splitter classes for one, as scikit-learn does.
    """
    present = labels.present()
    if present.shape[0] < max(min_classes, 1):
        found = "no rows" if present.shape[0] == 0 else (
            f"only class {labels.describe(int(present[0]))} ({int(labels.counts[present[0]])} rows)"
        )
        raise DataError(
            f"{owner}: stratification needs at least two classes",
            **labels.where(),
            found=found,
            hint="use the non-stratified strategy, or check that the right column is the target",
        )
    smallest = int(present[np.argmin(labels.counts[present])])
    n_small = int(labels.counts[smallest])
    if n_small < n_needed:
        raise DataError(
            f"{owner}: every class needs at least {n_needed} rows (one in each {per})",
            **labels.where(),
            found=f"class {labels.describe(smallest)} with {n_small} row(s)",
            hint="lower n_splits, or merge or drop the rare classes (a continuous target: stratify on "
            "quantile bins, bins=10)",
        )


@validate_call({"n_rows": N_ROWS, "n_splits": N_SPLITS, "shuffle": SHUFFLE, "seed": SEED})
def kfold_ids(n_rows: int, n_splits: int = 5, *, shuffle: bool = True, seed: int = 0) -> np.ndarray:
    """K-fold ids for ``n_rows`` rows (scikit-learn's ``KFold`` fold sizes).

    Parameters
    ----------
    n_rows : int
        Number of rows.
    n_splits : int, default 5
        Number of folds, in [2, 127]. The first ``n_rows % n_splits`` folds have one row more.
    shuffle : bool, default True
        True: rows are spread over the folds uniformly at random (exact fold sizes). False:
        contiguous blocks in row order, as ``KFold(shuffle=False)``.
    seed : int, default 0
        Seed; the same seed always gives the same ids.

    Returns
    -------
    numpy.ndarray of int8, shape (n_rows,)

    Examples
    --------
    >>> from tabprep.split import kfold_ids
    >>> kfold_ids(7, 3, shuffle=False)
    array([0, 0, 0, 1, 1, 2, 2], dtype=int8)
    >>> import numpy as np
    >>> np.bincount(kfold_ids(10, 3, seed=1))
    array([4, 3, 3])
    """
    n_rows, n_splits = int(n_rows), int(n_splits)
    _check_rows(n_rows, n_splits, "kfold_ids")
    sizes = kfold_sizes(n_rows, n_splits)
    if shuffle:
        return split_assign_flat(sizes, seed=seed)
    return np.repeat(np.arange(n_splits, dtype=np.int8), sizes)


def _stratified_ids(labels: Labels, n_splits: int, shuffle: bool, seed: int, with_pieces: bool = False):
    order = labels.by_first_appearance()
    places = np.zeros((labels.n_codes, n_splits), dtype=np.int64)
    places[order] = stratified_fold_allocation(labels.counts[order], n_splits)
    return split_assign(labels.values, labels.lo, places, shuffle=shuffle, seed=seed, check=False,
                        block_counts=labels.block_counts, with_pieces=with_pieces)


@validate_call({"n_splits": N_SPLITS, "shuffle": SHUFFLE, "seed": SEED, "bins": BINS})
def stratified_kfold_ids(
    y, n_splits: int = 5, *, shuffle: bool = True, seed: int = 0, bins: int | str | None = None
) -> np.ndarray:
    """Stratified K-fold ids: each class spread over the folds as evenly as possible.

    Per-class fold sizes are exactly scikit-learn's ``StratifiedKFold`` ones (the rows, sorted by
    class in order of first appearance, dealt round-robin over the folds: each class's fold
    sizes differ by at most one). With ``shuffle=True`` the rows of each class are assigned in
    ONE compiled pass: a row of class c goes to fold f with probability (places left in f for
    c) / (rows of c left) -- exact sizes, uniformly random, no permutation. Past 2**18 rows the
    pass runs on fixed blocks of rows in parallel, each block's share of the sizes drawn first
    (multivariate hypergeometric): the same law, and ids that do not depend on the threads.
    With ``shuffle=False`` the ids equal ``StratifiedKFold(shuffle=False)``'s test folds.

    Parameters
    ----------
    y : Series / array-like
        1-D labels (Polars Series, NumPy, pyarrow, pandas, list): integers, strings,
        categoricals, booleans, floats, dates. Factorized to codes internally (an integer column
        with a small range is used as it is).
    n_splits : int, default 5
        Number of folds, in [2, 127].
    shuffle : bool, default True
        Random assignment (True) or scikit-learn's in-order blocks (False).
    seed : int, default 0
        Seed of the assignment.
    bins : int, "auto" or None, default None
        Stratify a continuous target on this many quantile bins instead of on its values.

    Returns
    -------
    numpy.ndarray of int8, shape (len(y),)

    Raises
    ------
    DataError
        Null/NaN labels (names the column and first such row), a single class, or a class with
        fewer rows than ``n_splits`` (names the class and its row count).

    Examples
    --------
    >>> import numpy as np
    >>> from tabprep.split import stratified_kfold_ids
    >>> y = np.array([0] * 6 + [1] * 3)
    >>> folds = stratified_kfold_ids(y, 3, seed=0)
    >>> [np.bincount(folds[y == c], minlength=3).tolist() for c in (0, 1)]
    [[2, 2, 2], [1, 1, 1]]
    """
    return stratified_kfold(y, n_splits, shuffle=shuffle, seed=seed, bins=bins)


def stratified_kfold(y, n_splits: int, *, shuffle: bool, seed: int, bins=None, min_classes: int = 2,
                     owner: str = "stratified_kfold_ids", with_pieces: bool = False):
    """:func:`stratified_kfold_ids` without the parameter checks, and with the number of classes
    required (``min_classes=1``: the scikit-learn splitter classes). ``with_pieces``: also the
    rows of each fold per piece of the rows, where the assignment knows them (for
    :func:`tabprep.split._sklearn.iter_folds`; see ``split_assign``)."""
    n_splits = int(n_splits)
    labels = encode_labels(y, what="stratification labels", bins=bins)
    check_classes(labels, n_splits, owner, min_classes=min_classes)
    return _stratified_ids(labels, n_splits, bool(shuffle), seed, with_pieces)


def _group_order_sklearn(groups: Labels) -> np.ndarray:
    # GroupKFold(shuffle=False): groups in np.unique order, then largest first (stable argsort of
    # the sizes, reversed -- so equal sizes come in reverse value order)
    by_value = groups.by_value()
    sizes = groups.counts[by_value]
    return by_value[np.argsort(sizes, kind="stable")[::-1]]


@validate_call({"n_splits": N_SPLITS, "shuffle": SHUFFLE, "seed": SEED})
def group_kfold_ids(groups, n_splits: int = 5, *, shuffle: bool = True, seed: int = 0) -> np.ndarray:
    """Group K-fold ids: all rows of a group share one fold, folds balanced in rows.

    Groups are given, one at a time, to the fold with the fewest rows so far. ``shuffle=False``
    takes the groups largest first (scikit-learn's ``GroupKFold(shuffle=False)``, identical
    folds); ``shuffle=True`` takes them in an order drawn from ``seed``, so folds vary with the
    seed and stay balanced to within one group's size (scikit-learn's shuffled GroupKFold
    balances the number of groups instead, not rows).

    Parameters
    ----------
    groups : Series / array-like
        1-D group labels (any type accepted by :func:`stratified_kfold_ids`).
    n_splits : int, default 5
        Number of folds, in [2, 127]; at most the number of groups.
    shuffle : bool, default True
        Random group order (True) or largest first (False).
    seed : int, default 0
        Seed of the group order.

    Returns
    -------
    numpy.ndarray of int8, shape (len(groups),)

    Examples
    --------
    >>> from tabprep.split import group_kfold_ids
    >>> group_kfold_ids([0, 0, 2, 2, 3, 3], 2, shuffle=False)
    array([0, 0, 1, 1, 0, 0], dtype=int8)
    """
    n_splits = int(n_splits)
    g = encode_labels(groups, what="groups")
    _check_groups(g, n_splits, "group_kfold_ids")
    if shuffle:
        order = np.random.default_rng(derive_seed(seed, 1)).permutation(g.present())
    else:
        order = _group_order_sklearn(g)
    table = split_greedy_lightest(order, g.counts, n_splits)
    return split_take(g.values, g.lo, table, check=False)


def _check_groups(g: Labels, n_splits: int, owner: str) -> None:
    n_groups = int(g.present().shape[0])
    if n_groups < n_splits:
        raise DataError(
            f"{owner}: cannot make n_splits={n_splits} folds from {n_groups} group(s)",
            **g.where(),
            found=f"{n_groups} distinct group(s)",
            hint="lower n_splits or use finer groups",
        )


def group_class_counts(labels: Labels, groups: Labels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(group order, class counts, rows of each class in each group) in ``numpy.unique`` order.

    Returns the present group codes (value order), the class counts (value order) and a float64
    (n_groups, n_classes) matrix, as scikit-learn's StratifiedGroupKFold builds them.
    """
    group_codes = groups.by_value()
    class_codes = labels.by_value()
    gi = groups.compact(group_codes).astype(np.int64)
    ci = labels.compact(class_codes).astype(np.int64)
    n_g, n_c = group_codes.shape[0], class_codes.shape[0]
    matrix = np.bincount(gi * n_c + ci, minlength=n_g * n_c).reshape(n_g, n_c).astype(np.float64)
    return group_codes, labels.counts[class_codes].astype(np.float64), matrix


def stratified_group_order(matrix: np.ndarray, shuffle: bool, seed: int) -> np.ndarray:
    """Visit order of the groups: decreasing spread of their class counts (ties: value order, or
    random with ``shuffle``), as scikit-learn's StratifiedGroupKFold."""
    n_g = matrix.shape[0]
    perm = np.random.default_rng(derive_seed(seed, 2)).permutation(n_g) if shuffle else np.arange(n_g)
    return perm[np.argsort(-np.std(matrix[perm], axis=1), kind="stable")]


@validate_call({"n_splits": N_SPLITS, "shuffle": SHUFFLE, "seed": SEED, "bins": BINS})
def stratified_group_kfold_ids(
    y, groups, n_splits: int = 5, *, shuffle: bool = True, seed: int = 0, bins: int | str | None = None
) -> np.ndarray:
    """Stratified group K-fold ids: no group in two folds, class proportions kept where possible.

    scikit-learn's ``StratifiedGroupKFold`` rule, compiled: groups, taken by decreasing spread of
    their class counts, each go to the fold that keeps the per-class fold shares most even (ties:
    the fold with fewer rows). With ``shuffle=False`` the folds equal scikit-learn's.

    Parameters
    ----------
    y : Series / array-like
        1-D class labels.
    groups : Series / array-like
        1-D group labels, same length.
    n_splits : int, default 5
        Number of folds, in [2, 127].
    shuffle : bool, default True
        Shuffle the groups before the (stable) sort by spread.
    seed : int, default 0
        Seed of that shuffle.
    bins : int, "auto" or None, default None
        Stratify a continuous target on this many quantile bins.

    Returns
    -------
    numpy.ndarray of int8, shape (len(y),)

    Examples
    --------
    >>> from tabprep.split import stratified_group_kfold_ids
    >>> y = [0, 0, 1, 1, 0, 0, 1, 1]
    >>> g = [1, 1, 2, 2, 3, 3, 4, 4]
    >>> stratified_group_kfold_ids(y, g, 2, shuffle=False)
    array([0, 0, 1, 1, 1, 1, 0, 0], dtype=int8)
    """
    return stratified_group_kfold(y, groups, n_splits, shuffle=shuffle, seed=seed, bins=bins)


def stratified_group_kfold(y, groups, n_splits: int, *, shuffle: bool, seed: int, bins=None, min_classes: int = 2,
                           owner: str = "stratified_group_kfold_ids") -> np.ndarray:
    """:func:`stratified_group_kfold_ids` without the parameter checks, and with the number of
    classes required (``min_classes=1``: the scikit-learn splitter classes)."""
    n_splits = int(n_splits)
    labels = encode_labels(y, what="stratification labels", bins=bins)
    g = encode_labels(groups, what="groups")
    if g.n_rows != labels.n_rows:
        raise ConfigError(f"{owner}: y has {labels.n_rows} rows but groups has {g.n_rows}")
    check_classes(labels, n_splits, owner, min_classes=min_classes)
    _check_groups(g, n_splits, owner)
    return _stratified_group_ids(labels, g, np.ones(n_splits), bool(shuffle), seed)


def _stratified_group_ids(labels: Labels, g: Labels, fold_scale: np.ndarray, shuffle: bool, seed: int) -> np.ndarray:
    group_codes, class_counts, matrix = group_class_counts(labels, g)
    order = stratified_group_order(matrix, shuffle, seed)
    compact_fold = split_stratified_group(order, matrix, class_counts, fold_scale)
    table = np.full(g.n_codes, -1, dtype=np.int8)
    table[group_codes] = compact_fold
    return split_take(g.values, g.lo, table, check=False)


@validate_call({"n_rows": N_ROWS, "n_splits": N_SPLITS, "test_size": [Interval(int, 1, None), None],
                "gap": [Interval(int, 0, None)]})
def time_series_fold_ids(n_rows: int, n_splits: int = 5, *, test_size: int | None = None, gap: int = 0) -> np.ndarray:
    """Test-fold ids of scikit-learn's ``TimeSeriesSplit`` for rows in time order.

    The last ``n_splits * test_size`` rows form ``n_splits`` consecutive test blocks (fold
    0..n_splits-1); the earlier rows are -1 (only ever trained on). Split ``f`` trains on the
    rows before fold ``f``'s block, minus the ``gap`` rows just before it (and at most
    ``max_train_size`` of them, see :class:`tabprep.split.TimeSeriesSplit`); a fold column
    cannot express the gap itself, so use the splitter class (or these rules) to build the
    training sets.

    Parameters
    ----------
    n_rows : int
        Number of rows (in time order).
    n_splits : int, default 5
        Number of test blocks, in [2, 127].
    test_size : int, optional
        Rows per test block; default ``n_rows // (n_splits + 1)``.
    gap : int, default 0
        Rows left out between each training set and its test block (only checked here).

    Returns
    -------
    numpy.ndarray of int8, shape (n_rows,)

    Examples
    --------
    >>> from tabprep.split import time_series_fold_ids
    >>> time_series_fold_ids(8, 3)
    array([-1, -1,  0,  0,  1,  1,  2,  2], dtype=int8)
    """
    owner = "time_series_fold_ids"
    n_rows, n_splits, gap = int(n_rows), int(n_splits), int(gap)
    test_size = n_rows // (n_splits + 1) if test_size is None else int(test_size)
    if n_splits + 1 > n_rows:
        raise DataError(
            f"{owner}: cannot make n_splits={n_splits} time-series splits from {n_rows} rows",
            found=f"{n_rows} rows",
            hint=f"time-series splits need at least n_splits + 1 = {n_splits + 1} rows",
        )
    if n_rows - gap - test_size * n_splits <= 0:
        raise DataError(
            f"{owner}: too many splits ({n_splits}) for {n_rows} rows with test_size={test_size} and gap={gap}",
            found=f"{n_rows} rows",
            hint="lower n_splits, test_size or gap",
        )
    out = np.full(n_rows, -1, dtype=np.int8)
    start = n_rows - n_splits * test_size
    out[start:] = np.repeat(np.arange(n_splits, dtype=np.int8), test_size)
    return out


@validate_call({"make": [callable], "n_repeats": N_REPEATS, "seed": SEED})
def repeated_fold_ids(make, n_repeats: int, seed: int = 0) -> np.ndarray:
    """Stack ``make(seed_r)`` for ``n_repeats`` child seeds of ``seed``: shape (n_repeats, n_rows).

    ``make`` is a one-argument function of the seed, e.g.
    ``lambda s: stratified_kfold_ids(y, 5, seed=s)`` (RepeatedStratifiedKFold).

    Examples
    --------
    >>> from tabprep.split import kfold_ids, repeated_fold_ids
    >>> repeated_fold_ids(lambda s: kfold_ids(6, 3, seed=s), 2).shape
    (2, 6)
    """
    return np.stack([make(derive_seed(seed, 100 + r)) for r in range(n_repeats)])
