"""The door to the split kernels (``tabprep._native.split``).

Checks dtypes, shapes, contiguity and value ranges once, allocates outputs, copies the tables the
kernels consume, then calls the compiled loops (which trust their inputs). Every function here
has a plain Python/NumPy reference in ``tests/oracles/split.py``.

Labels are integer arrays read as ``code = value - lo`` (a dense integer label column needs no
factorize pass); ``lo = 0`` for factorized codes.
"""

from __future__ import annotations

import numpy as np

from tabprep._config import idle_threads, run_tasks
from tabprep._native import split as _k

__all__ = [
    "split_label_counts",
    "split_label_block_counts",
    "split_assign",
    "split_assign_flat",
    "split_take",
    "split_greedy_lightest",
    "split_stratified_group",
    "split_fold_counts",
    "split_fold_indices",
    "split_fold_pieces",
    "MAX_FOLDS",
    "MAX_BLOCK_CODES",
    "BLOCK_ROWS",
]

# fold ids are int8
MAX_FOLDS = 127
# up to this many codes, split_label_block_counts keeps a table of counts per block of rows
MAX_BLOCK_CODES = 4096
_LABEL_DTYPES = frozenset(
    np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32)
)
_U64 = (1 << 64) - 1

# Rows per block of the shuffled assignment: a constant (doubled for very many codes x folds, to
# keep the per-block tables small), never the thread count, so the ids never depend on the threads.
BLOCK_ROWS = 1 << 18
_SCALAR_DRAWS = 8  # up to this many codes, the hypergeometric draws are scalar calls
_ROWS_PER_CELL = 8  # a block has at least this many rows per (code, fold) cell of its table
# numpy's hypergeometric takes ngood, nbad < 10**9: more rows than that stay in one block
_MAX_BLOCKED_ROWS = 10**9 - 1
# Rows per piece of the parallel passes (counts, fold indices) and pieces per thread: small
# enough that a thread slowed down by another process leaves its queued pieces to the others
_PIECE_ROWS = 1 << 18
_PIECES_PER_THREAD = 4


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


def split_label_block_counts(values, lo: int, n_codes: int, *, check: bool = True):
    """:func:`split_label_counts` and the rows per code in each block of :data:`BLOCK_ROWS`
    rows, which the shuffled assignment needs (``block_counts=`` of :func:`split_assign`):
    the labels are counted once, block by block on the idle threads.

    Returns
    -------
    counts, first : ndarray of int64, shape (n_codes,)
    block_counts : ndarray of int64, shape (max(1, ceil(n / BLOCK_ROWS)), n_codes), or None
        None for more than :data:`MAX_BLOCK_CODES` codes (a table per block would be large
        beside the rows; :func:`split_assign` counts its own, coarser, blocks then).
    """
    values = _labels(values)
    if check:
        _check_codes(values, lo, n_codes)
    if n_codes > MAX_BLOCK_CODES:
        return (*split_label_counts(values, lo, n_codes, check=False), None)
    n_blocks = max(1, -(-values.shape[0] // BLOCK_ROWS))
    block_counts = np.zeros((n_blocks, n_codes), dtype=np.int64)
    _in_parallel(n_blocks, BLOCK_ROWS, lambda b0, b1: _k.block_label_counts(
        values, int(lo), BLOCK_ROWS, block_counts, b0, b1))
    counts = block_counts.sum(axis=0)
    first = np.full(n_codes, -1, dtype=np.int64)
    _k.label_first(values, int(lo), counts, first)
    return counts, first, block_counts


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


def split_assign(values, lo: int, places, *, shuffle: bool = True, seed: int = 0, check: bool = True,
                 block_counts: np.ndarray | None = None, with_pieces: bool = False):
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
        True: uniformly among all assignments with these sizes. The rows are cut into blocks of
        :data:`BLOCK_ROWS` (more for very many codes x folds; never a function of the threads);
        each block's share of every code's fold sizes is drawn block after block from the
        multivariate hypergeometric law (NumPy's PCG64 seeded from ``seed``), then each block,
        from its own stream of ``seed``, draws row i of code c into fold f with probability
        (places left in f for c) / (rows of c left) -- blocks on the idle threads. One block
        (``n <= BLOCK_ROWS``) is that sequential draw over all rows. False: the rows of each
        code fill fold 0 first, then fold 1, ... in row order (scikit-learn's unshuffled
        ``StratifiedKFold``).
    seed : int
        Seed (used modulo 2**64).
    check : bool
        Verify code range and per-code sums (one counting pass).
    block_counts : ndarray of int64, optional
        The rows per code in each block of :data:`BLOCK_ROWS` rows of ``values``
        (:func:`split_label_block_counts`), so that the shuffled assignment does not count
        them again. Same ids with or without.
    with_pieces : bool
        Also return the rows of each fold in each piece of the rows, as
        :func:`split_fold_pieces` counts them (the shuffled assignment knows them before its
        pass when its blocks are the pieces), or None where it does not.

    Returns
    -------
    ndarray of int8, or (ndarray of int8, ndarray of int64 or None) with ``with_pieces``
    """
    values = _labels(values)
    n_codes = np.shape(places)[0]
    counts = None
    if check:
        _check_codes(values, lo, n_codes)
        counts, _ = split_label_counts(values, lo, n_codes, check=False)
    places = _places(places, counts)
    out = np.empty(values.shape[0], dtype=np.int8)
    if not shuffle:
        _k.assign_blocks(values, int(lo), places, out)
        return (out, None) if with_pieces else out
    n, (n_codes, k) = values.shape[0], places.shape
    block_rows = _block_rows(n, n_codes, k)
    n_blocks = max(1, -(-n // block_rows))
    given = _given_block_counts(block_counts, n, n_codes, places)
    if n_blocks == 1:
        block_counts = places.sum(axis=1)[None, :]
    elif given is not None:
        # blocks of block_rows rows are runs of (block_rows / BLOCK_ROWS) blocks of BLOCK_ROWS
        block_counts = np.add.reduceat(given, np.arange(0, given.shape[0], block_rows // BLOCK_ROWS), axis=0)
    else:
        block_counts = np.zeros((n_blocks, n_codes), dtype=np.int64)
        _in_parallel(n_blocks, block_rows, lambda b0, b1: _k.block_label_counts(
            values, int(lo), block_rows, block_counts, b0, b1))
    block_places = _block_places(block_counts, places, seed)
    pieces = None
    if with_pieces and (block_rows == _PIECE_ROWS or n <= min(block_rows, _PIECE_ROWS)):
        pieces = block_places.sum(axis=1)  # before the kernel consumes the table
    left = np.ascontiguousarray(block_counts)
    _in_parallel(n_blocks, block_rows, lambda b0, b1: _k.assign_shuffled(
        values, int(lo), block_rows, block_places, left, _seed(seed), out, b0, b1))
    return (out, pieces) if with_pieces else out


def _given_block_counts(block_counts, n: int, n_codes: int, places: np.ndarray) -> np.ndarray | None:
    """The caller's per-block label counts, checked for shape and totals (the kernel trusts
    them: wrong counts give wrong ids)."""
    if block_counts is None:
        return None
    block_counts = np.asarray(block_counts)
    if block_counts.dtype != np.int64 or block_counts.shape != (max(1, -(-n // BLOCK_ROWS)), n_codes):
        raise ValueError(f"block_counts must be int64 of shape (blocks of {BLOCK_ROWS} rows, codes)")
    if not np.array_equal(block_counts.sum(axis=0), places.sum(axis=1)):
        raise ValueError("block_counts must sum, per code, to the code's row count in places")
    return block_counts


def _block_rows(n: int, n_codes: int, k: int) -> int:
    """Rows per block: :data:`BLOCK_ROWS`, doubled until the per-block tables (codes x folds)
    are small beside the block; all rows in one block past numpy's hypergeometric range."""
    if n > _MAX_BLOCKED_ROWS:
        return max(n, 1)
    rows = BLOCK_ROWS
    while rows < _ROWS_PER_CELL * n_codes * k:
        rows *= 2
    return rows


def _block_places(block_counts: np.ndarray, places: np.ndarray, seed: int) -> np.ndarray:
    """Split each code's fold sizes over the row blocks: ``out[b, c, f]`` rows of code c in
    block b go to fold f, with ``out[b, c].sum() == block_counts[b, c]`` and ``out[:, c, f].sum()
    == places[c, f]``.

    Drawn block after block from the multivariate hypergeometric distribution (each fold in turn
    from the univariate one, vectorized over the codes): the law of the block's counts when the
    rows of each code are assigned uniformly among all assignments with the sizes ``places``.
    With the uniform assignment inside each block (the kernel), the whole assignment is that
    uniform one. One block takes ``places`` as it is (no draw).
    """
    n_blocks, n_codes = block_counts.shape
    k = places.shape[1]
    out = np.empty((n_blocks, n_codes, k), dtype=np.int64)
    left_places = places.copy()
    if n_blocks > 1:
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([_seed(seed), 0x5B10C])))
        left_rows = places.sum(axis=1)
        for b in range(n_blocks - 1):
            sample = block_counts[b].copy()
            rows = left_rows.copy()
            for f in range(k - 1):
                good = left_places[:, f]
                if n_codes <= _SCALAR_DRAWS:
                    # the same draws, one code after the other (NumPy's array call costs more
                    # than a few scalar calls)
                    x = np.array([rng.hypergeometric(g, r - g, m) for g, r, m in
                                  zip(good.tolist(), rows.tolist(), sample.tolist())], dtype=np.int64)
                else:
                    x = rng.hypergeometric(good, rows - good, sample)
                out[b, :, f] = x
                sample -= x
                rows -= good
            out[b, :, k - 1] = sample
            left_places -= out[b]
            left_rows -= block_counts[b]
    out[n_blocks - 1] = left_places
    return out


def _in_parallel(n_blocks: int, block_rows: int, run) -> None:
    """``run(b0, b1)`` over contiguous ranges of the blocks, on the idle threads (each block
    writes only its own rows and table rows, so the result does not depend on the split)."""
    threads = idle_threads()
    n_tasks = min(n_blocks, threads * _PIECES_PER_THREAD) if threads > 1 else 1
    bounds = np.linspace(0, n_blocks, n_tasks + 1).round().astype(np.int64).tolist()
    run_tasks(lambda t: run(bounds[t], bounds[t + 1]), n_tasks, threads)


def split_assign_flat(sizes, *, seed: int = 0) -> np.ndarray:
    """Fold id of each of ``sum(sizes)`` rows, exactly ``sizes[f]`` in fold ``f``, uniformly at random.

    The one-class case of :func:`split_assign` (same draws as a label column of zeros).

    Returns
    -------
    ndarray of int8
    """
    places = _places(np.asarray(sizes).reshape(1, -1), None)
    n, k = int(places.sum()), places.shape[1]
    out = np.empty(n, dtype=np.int8)
    block_rows = _block_rows(n, 1, k)
    n_blocks = max(1, -(-n // block_rows))
    starts = np.arange(n_blocks, dtype=np.int64) * block_rows
    block_counts = (np.minimum(starts + block_rows, n) - starts)[:, None]
    block_places = np.ascontiguousarray(_block_places(block_counts, places, seed)[:, 0, :])
    _in_parallel(n_blocks, block_rows, lambda b0, b1: _k.assign_shuffled_flat(
        n, block_rows, block_places, _seed(seed), out, b0, b1))
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


def split_fold_pieces(folds, n_folds: int) -> np.ndarray:
    """Rows of each fold id in ``[0, n_folds)`` in each piece of the rows, for a parallel
    :func:`split_fold_indices`: int64 of shape (n_pieces, n_folds), pieces of ``2**18`` rows
    (the last shorter; one piece for no rows). Its column sums are :func:`split_fold_counts`.
    """
    folds = _folds(folds)
    if not 1 <= n_folds <= MAX_FOLDS:
        raise ValueError(f"n_folds must be in [1, {MAX_FOLDS}], got {n_folds}")
    n = folds.shape[0]
    n_pieces = max(1, -(-n // _PIECE_ROWS))
    counts = np.zeros((n_pieces, int(n_folds)), dtype=np.int64)
    _in_parallel(n_pieces, _PIECE_ROWS, lambda p0, p1: [
        _k.fold_counts(folds[p * _PIECE_ROWS:(p + 1) * _PIECE_ROWS], counts[p]) for p in range(p0, p1)])
    return counts


def split_fold_indices(folds, fold: int, n_test: int, *, pieces: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(train, test)``: ``np.flatnonzero(folds != fold)`` and ``np.flatnonzero(folds == fold)``
    (int64, increasing), built in one pass.

    ``n_test`` must be the number of rows of ``fold`` (:func:`split_fold_counts`); a wrong count
    gives wrong indices, never a write out of bounds. ``pieces`` (:func:`split_fold_pieces` of
    the same ids) lets the pieces of the rows fill their parts of the outputs on the idle threads.
    """
    folds = _folds(folds)
    if not 0 <= fold <= MAX_FOLDS:
        raise ValueError(f"fold must be in [0, {MAX_FOLDS}], got {fold}")
    n = folds.shape[0]
    if not 0 <= n_test <= n:
        raise ValueError(f"n_test must be in [0, {n}], got {n_test}")
    train = np.empty(n - int(n_test), dtype=np.int64)
    test = np.empty(int(n_test), dtype=np.int64)
    if pieces is None or fold >= pieces.shape[1] or pieces.shape[0] < 2:
        _k.fold_indices(folds, int(fold), train, test, 0, n, 0, train.shape[0], 0, test.shape[0])
        return train, test
    n_pieces = pieces.shape[0]
    starts = np.minimum(np.arange(n_pieces + 1, dtype=np.int64) * _PIECE_ROWS, n)
    test_at = np.concatenate([[0], np.cumsum(pieces[:, fold])])
    train_at = starts - test_at

    def fill(p0: int, p1: int) -> None:
        for p in range(p0, p1):
            _k.fold_indices(folds, int(fold), train, test, int(starts[p]), int(starts[p + 1]),
                            int(train_at[p]), int(train_at[p + 1]), int(test_at[p]), int(test_at[p + 1]))

    _in_parallel(n_pieces, _PIECE_ROWS, fill)
    return train, test
