"""The door to the split kernels (``tabprep._native.split``).

Checks dtypes, shapes, contiguity and value ranges once, allocates outputs, copies the tables the
kernels consume, then calls the compiled loops (which trust their inputs). Every function here
has a plain Python/NumPy reference in ``tests/oracles/split.py``.

Labels are integer arrays read as ``code = value - lo`` (a dense integer label column needs no
factorize pass); ``lo = 0`` for factorized codes.
"""

from __future__ import annotations

import numpy as np

from tabprep._native import split as _k

__all__ = [
    "split_label_counts",
    "split_assign",
    "split_assign_flat",
    "split_take",
    "split_greedy_lightest",
    "split_stratified_group",
    "split_fold_counts",
    "split_fold_indices",
    "MAX_FOLDS",
]

# fold ids are int8
MAX_FOLDS = 127
_LABEL_DTYPES = frozenset(
    np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32)
)
_U64 = (1 << 64) - 1


def _labels(values) -> np.ndarray:
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {values.shape}")
    if values.dtype not in _LABEL_DTYPES:
        raise TypeError(f"labels must be an integer array of one of {sorted(map(str, _LABEL_DTYPES))}, got {values.dtype}")
    return np.ascontiguousarray(values)


def _check_codes(values: np.ndarray, lo: int, n_codes: int) -> None:
    if values.size:
        vmin, vmax = int(values.min()) - lo, int(values.max()) - lo
        if vmin < 0 or vmax >= n_codes:
            raise IndexError(f"labels - lo span [{vmin}, {vmax}], outside [0, {n_codes})")


def _seed(seed: int) -> int:
    return int(seed) & _U64


def split_label_counts(values, lo: int, n_codes: int, *, check: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Rows per code and first row of each code (-1 when absent), in one pass.

    Parameters
    ----------
    values : ndarray of int8/16/32/64 or uint8/16/32
        Labels; ``values - lo`` must lie in ``[0, n_codes)``.
    lo : int
        Offset subtracted from each value.
    n_codes : int
        Size of the code tables.
    check : bool
        Verify the range (one min/max pass).

    Returns
    -------
    counts, first : ndarray of int64, shape (n_codes,)
    """
    values = _labels(values)
    if check:
        _check_codes(values, lo, n_codes)
    counts = np.zeros(n_codes, dtype=np.int64)
    first = np.full(n_codes, -1, dtype=np.int64)
    _k.label_counts(values, int(lo), counts, first)
    return counts, first


def _places(places, counts: np.ndarray | None) -> np.ndarray:
    places = np.array(places, dtype=np.int64, order="C", copy=True)  # the kernels consume it
    if places.ndim != 2:
        raise ValueError(f"places must be 2-D (codes x folds), got shape {places.shape}")
    if not 1 <= places.shape[1] <= MAX_FOLDS:
        raise ValueError(f"the number of folds must be in [1, {MAX_FOLDS}], got {places.shape[1]}")
    if (places < 0).any():
        raise ValueError("places must be >= 0")
    if counts is not None and not np.array_equal(places.sum(axis=1), counts):
        raise ValueError("places must sum, per code, to the code's row count")
    return places


def split_assign(values, lo: int, places, *, shuffle: bool = True, seed: int = 0, check: bool = True) -> np.ndarray:
    """Fold id of each row with exactly ``places[c, f]`` rows of code ``c`` in fold ``f``.

    Parameters
    ----------
    values : ndarray of int8/16/32/64 or uint8/16/32
        Labels; ``values - lo`` are the codes.
    lo : int
        Offset subtracted from each value.
    places : array-like of int, shape (n_codes, n_folds)
        Rows of each code in each fold; row ``c`` must sum to the number of rows of code ``c``.
    shuffle : bool
        True: one sequential pass drawing row i of code c into fold f with probability
        (places left in f for c) / (rows of c left), i.e. uniformly among all assignments with
        these sizes. False: the rows of each code fill fold 0 first, then fold 1, ... in row
        order (scikit-learn's unshuffled ``StratifiedKFold``).
    seed : int
        Seed (used modulo 2**64).
    check : bool
        Verify code range and per-code sums (one counting pass).

    Returns
    -------
    ndarray of int8
    """
    values = _labels(values)
    n_codes = np.shape(places)[0]
    counts = None
    if check:
        _check_codes(values, lo, n_codes)
        counts, _ = split_label_counts(values, lo, n_codes, check=False)
    places = _places(places, counts)
    out = np.empty(values.shape[0], dtype=np.int8)
    if shuffle:
        left = places.sum(axis=1)
        _k.assign_shuffled(values, int(lo), places, left, _seed(seed), out)
    else:
        _k.assign_blocks(values, int(lo), places, out)
    return out


def split_assign_flat(sizes, *, seed: int = 0) -> np.ndarray:
    """Fold id of each of ``sum(sizes)`` rows, exactly ``sizes[f]`` in fold ``f``, uniformly at random.

    The one-class case of :func:`split_assign` (same draws as a label column of zeros).

    Returns
    -------
    ndarray of int8
    """
    places = _places(np.asarray(sizes).reshape(1, -1), None)[0]
    n = int(places.sum())
    out = np.empty(n, dtype=np.int8)
    _k.assign_shuffled_flat(places, n, _seed(seed), out)
    return out


def split_take(values, lo: int, table, *, check: bool = True) -> np.ndarray:
    """``out[i] = table[values[i] - lo]`` for an int8 table (per-group fold ids to rows)."""
    values = _labels(values)
    table = np.ascontiguousarray(table, dtype=np.int8)
    if check:
        _check_codes(values, lo, table.shape[0])
    out = np.empty(values.shape[0], dtype=np.int8)
    _k.take_table(values, int(lo), table, out)
    return out


def split_greedy_lightest(order, sizes, n_folds: int) -> np.ndarray:
    """Each group (in ``order``) to the fold with the fewest rows so far (lowest fold on ties).

    Returns the int8 fold of every group (``-1`` for groups not in ``order``).
    """
    order = np.ascontiguousarray(order, dtype=np.int64)
    sizes = np.ascontiguousarray(sizes, dtype=np.int64)
    if not 1 <= n_folds <= MAX_FOLDS:
        raise ValueError(f"n_folds must be in [1, {MAX_FOLDS}], got {n_folds}")
    if order.size and (order.min() < 0 or order.max() >= sizes.shape[0]):
        raise IndexError("order holds a group outside [0, len(sizes))")
    group_fold = np.full(sizes.shape[0], -1, dtype=np.int8)
    _k.greedy_lightest(order, sizes, int(n_folds), group_fold)
    return group_fold


def split_stratified_group(order, group_counts, class_counts, fold_scale) -> np.ndarray:
    """scikit-learn's StratifiedGroupKFold greedy rule (see the kernel's docstring).

    Parameters
    ----------
    order : array-like of int, shape (n_visit,)
        Groups in the order they are placed.
    group_counts : array-like of float, shape (n_groups, n_classes)
        Rows of each class in each group.
    class_counts : array-like of float, shape (n_classes,)
        Rows of each class (> 0).
    fold_scale : array-like of float, shape (n_folds,)
        1.0 for equal folds; ``1 / (n_folds * share_f)`` for unequal shares.

    Returns
    -------
    ndarray of int8, shape (n_groups,)
    """
    order = np.ascontiguousarray(order, dtype=np.int64)
    group_counts = np.ascontiguousarray(group_counts, dtype=np.float64)
    class_counts = np.ascontiguousarray(class_counts, dtype=np.float64)
    fold_scale = np.ascontiguousarray(fold_scale, dtype=np.float64)
    if group_counts.ndim != 2 or group_counts.shape[1] != class_counts.shape[0]:
        raise ValueError("group_counts must be (n_groups, n_classes) with n_classes = len(class_counts)")
    if (class_counts <= 0).any():
        raise ValueError("class_counts must be > 0")
    if not 1 <= fold_scale.shape[0] <= MAX_FOLDS:
        raise ValueError(f"the number of folds must be in [1, {MAX_FOLDS}]")
    if order.size and (order.min() < 0 or order.max() >= group_counts.shape[0]):
        raise IndexError("order holds a group outside [0, n_groups)")
    group_fold = np.full(group_counts.shape[0], -1, dtype=np.int8)
    _k.stratified_group_greedy(order, group_counts, class_counts, fold_scale, group_fold)
    return group_fold


def _folds(folds) -> np.ndarray:
    folds = np.asarray(folds)
    if folds.ndim != 1 or folds.dtype != np.int8:
        raise TypeError(f"fold ids must be a 1-D int8 array, got {folds.dtype} of shape {folds.shape}")
    return np.ascontiguousarray(folds)


def split_fold_counts(folds, n_folds: int) -> np.ndarray:
    """Rows of each fold id in ``[0, n_folds)`` (int64; other ids, e.g. -1, are not counted)."""
    folds = _folds(folds)
    if not 1 <= n_folds <= MAX_FOLDS:
        raise ValueError(f"n_folds must be in [1, {MAX_FOLDS}], got {n_folds}")
    counts = np.zeros(int(n_folds), dtype=np.int64)
    _k.fold_counts(folds, counts)
    return counts


def split_fold_indices(folds, fold: int, n_test: int) -> tuple[np.ndarray, np.ndarray]:
    """``(train, test)``: ``np.flatnonzero(folds != fold)`` and ``np.flatnonzero(folds == fold)``
    (int64, increasing), built in one pass.

    ``n_test`` must be the number of rows of ``fold`` (:func:`split_fold_counts`); a wrong count
    gives wrong indices, never a write out of bounds.
    """
    folds = _folds(folds)
    if not 0 <= fold <= MAX_FOLDS:
        raise ValueError(f"fold must be in [0, {MAX_FOLDS}], got {fold}")
    n = folds.shape[0]
    if not 0 <= n_test <= n:
        raise ValueError(f"n_test must be in [0, {n}], got {n_test}")
    train = np.empty(n - int(n_test), dtype=np.int64)
    test = np.empty(int(n_test), dtype=np.int64)
    _k.fold_indices(folds, int(fold), train, test)
    return train, test
