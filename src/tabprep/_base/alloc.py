"""How many rows (of each class) go to each fold or part: the allocation rules, in one place.

- K folds of n rows: the first ``n % K`` folds get one row more (scikit-learn's KFold).
- K stratified folds: scikit-learn's StratifiedKFold rule, restated from counts. Deal the rows,
  sorted by class (classes in order of first appearance), round-robin over the folds: the class
  whose rows sit at positions ``[s, s + n_c)`` of that order gets, in fold ``f``, the number of
  positions ``p`` in that range with ``p % K == f``. So each class's fold sizes differ by at most
  one row, and they are exactly scikit-learn's.
- Parts by ratio (train/valid/test): largest remainder: ``floor(r_j * n)`` plus one row for the
  largest fractional parts (ties: earlier part first), summing to ``n`` exactly.
- Stratified parts: part by part, as scikit-learn's StratifiedShuffleSplit does for train then
  test: the rows of part ``j`` are spread over the classes still holding rows by the approximate
  mode of the multivariate hypergeometric (floor of the proportional share, then one more row for
  the largest remainders; ties broken at random from the seed). The first part is within one row
  of proportional for every class; later parts are within one row of proportional to what the
  earlier parts left.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "kfold_sizes",
    "stratified_fold_allocation",
    "ratio_sizes",
    "approximate_mode",
    "stratified_part_allocation",
    "derive_seed",
]

_MASK = (1 << 64) - 1


def derive_seed(seed: int, *keys: int) -> int:
    """A 64-bit child seed of ``seed`` for each tuple of integer ``keys`` (splitmix64 finalizer)."""
    z = int(seed) & _MASK
    for key in keys:
        z = (z + 0x9E3779B97F4A7C15 * (int(key) + 1)) & _MASK
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        z ^= z >> 31
    return z


def kfold_sizes(n: int, n_splits: int) -> np.ndarray:
    """Rows per fold: ``n // K``, plus one for the first ``n % K`` folds."""
    sizes = np.full(n_splits, n // n_splits, dtype=np.int64)
    sizes[: n % n_splits] += 1
    return sizes


def stratified_fold_allocation(counts: np.ndarray, n_splits: int) -> np.ndarray:
    """Rows of each class in each fold, shape (n_classes, n_splits), scikit-learn's rule.

    ``counts`` lists the classes in scikit-learn's order (first appearance in the data).
    """
    counts = np.asarray(counts, dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    stop = start + counts
    f = np.arange(n_splits, dtype=np.int64)
    # positions p in [0, x) with p % K == f: (x - f + K - 1) // K, never negative since f < K
    below = lambda x: (x[:, None] - f[None, :] + n_splits - 1) // n_splits  # noqa: E731
    return below(stop) - below(start)


def ratio_sizes(n: int, ratios) -> np.ndarray:
    """Rows per part for ``ratios`` (summing to 1), exact total, by largest remainder."""
    ratios = np.asarray(ratios, dtype=np.float64)
    continuous = ratios * n
    # a product like 0.29 * 100 = 28.999999999999996 must floor to 29
    floored = np.floor(continuous + 1e-9).astype(np.int64)
    floored = np.minimum(floored, n)
    need = n - int(floored.sum())
    if need > 0:
        remainder = continuous - floored
        order = np.argsort(-remainder, kind="stable")
        floored[order[:need]] += 1
    elif need < 0:  # only through the 1e-9 nudge on ratios summing to slightly over 1
        order = np.argsort(continuous - floored, kind="stable")
        for j in order:
            if need == 0:
                break
            if floored[j] > 0:
                floored[j] -= 1
                need += 1
    return floored


def approximate_mode(counts, n_draws: int, rng: np.random.Generator) -> np.ndarray:
    """Rows drawn from each class: scikit-learn's ``_approximate_mode`` in exact integer arithmetic.

    ``floor(count_c * n_draws / total)`` for each class, then one more row for the classes with
    the largest remainders (ties in random order) until the total is ``n_draws``.
    """
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0 or n_draws == 0:
        return np.zeros_like(counts)
    # Python integers: count * n_draws may not fit int64 on very large data
    prod = [int(c) * int(n_draws) for c in counts.tolist()]
    floored = np.array([p // total for p in prod], dtype=np.int64)
    remainder = np.array([p % total for p in prod], dtype=object)
    need = int(n_draws) - int(floored.sum())
    if need > 0:
        tie = rng.permutation(counts.shape[0])
        # sort by remainder (descending), ties in the random order
        order = sorted(range(counts.shape[0]), key=lambda c: (-remainder[c], tie[c]))
        floored[np.asarray(order[:need], dtype=np.int64)] += 1
    return floored


def stratified_part_allocation(counts, sizes, rng: np.random.Generator) -> np.ndarray:
    """Rows of each class in each part, shape (n_classes, n_parts); column sums are ``sizes``."""
    counts = np.asarray(counts, dtype=np.int64)
    sizes = np.asarray(sizes, dtype=np.int64)
    alloc = np.zeros((counts.shape[0], sizes.shape[0]), dtype=np.int64)
    left = counts.copy()
    for j in range(sizes.shape[0] - 1):
        alloc[:, j] = approximate_mode(left, int(sizes[j]), rng)
        left -= alloc[:, j]
    alloc[:, -1] = left
    return alloc
