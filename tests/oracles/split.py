"""Plain Python/NumPy references for tabprep.split's kernels and allocation rules.

The kernels' generator (splitmix64 + Lemire bounded draws) is written out here with Python
integers, so the sequential assignment is reproduced bit for bit on small inputs; the other
references restate scikit-learn's rules naively.
"""

from __future__ import annotations

import numpy as np

MASK = (1 << 64) - 1


class SplitMix64:
    """splitmix64 with Lemire's bounded draw, as in csrc/split.pyx and csrc/sample.pyx."""

    def __init__(self, seed: int) -> None:
        self.state = seed & MASK

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def bounded(self, bound: int) -> int:
        m = self.next() * bound
        low = m & MASK
        if low < bound:
            t = ((1 << 64) - bound) % bound
            while low < t:
                m = self.next() * bound
                low = m & MASK
        return m >> 64

    def unit(self) -> float:
        return ((self.next() >> 11) + 0.5) * 2.0**-53


def assign_shuffled(codes, places, seed: int) -> np.ndarray:
    """Row i of code c to fold f with probability places_left[c, f] / rows_left[c]."""
    places = np.array(places, dtype=np.int64)
    left = places.sum(axis=1)
    rng = SplitMix64(seed)
    out = np.empty(len(codes), dtype=np.int8)
    for i, c in enumerate(np.asarray(codes).tolist()):
        r = rng.bounded(int(left[c]))
        f = 0
        while r >= places[c, f]:
            r -= places[c, f]
            f += 1
        out[i] = f
        places[c, f] -= 1
        left[c] -= 1
    return out


def rng_stream(seed: int, index: int) -> int:
    """Start state of stream ``index`` of ``seed`` (csrc/tp_random.h ``tp_rng_stream``)."""
    if index == 0:
        return seed & MASK
    return SplitMix64((seed ^ (index * 0xD1B54A32D192ED03)) & MASK).next()


def block_places(codes, places, seed: int, block_rows: int) -> np.ndarray:
    """Each code's fold sizes split over the row blocks (block, code, fold): per block, per fold
    in turn, a univariate hypergeometric draw of the block's rows of the code left unplaced
    among the code's places left in that fold and in the later folds, from NumPy's PCG64."""
    codes = np.asarray(codes, dtype=np.int64)
    places = np.array(places, dtype=np.int64)
    n_codes, k = places.shape
    n_blocks = max(1, -(-len(codes) // block_rows))
    out = np.zeros((n_blocks, n_codes, k), dtype=np.int64)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed & MASK, 0x5B10C])))
    for b in range(n_blocks):
        in_block = np.bincount(codes[b * block_rows:(b + 1) * block_rows], minlength=n_codes)
        if b == n_blocks - 1:
            out[b] = places
            break
        sample = in_block.copy()  # one vectorized draw per fold, codes side by side
        rows = places.sum(axis=1)
        for f in range(k - 1):
            x = rng.hypergeometric(places[:, f], rows - places[:, f], sample)
            out[b, :, f] = x
            sample -= x
            rows -= places[:, f]
        out[b, :, k - 1] = sample
        places = places - out[b]
    return out


def assign_shuffled_blocked(codes, places, seed: int, block_rows: int) -> np.ndarray:
    """The blocked assignment: :func:`block_places`, then in each block of ``block_rows`` rows
    :func:`assign_shuffled` with the block's sizes from the block's own stream."""
    codes = np.asarray(codes, dtype=np.int64)
    per_block = block_places(codes, places, seed, block_rows)
    out = np.empty(len(codes), dtype=np.int8)
    for b in range(per_block.shape[0]):
        rows = slice(b * block_rows, (b + 1) * block_rows)
        out[rows] = assign_shuffled(codes[rows], per_block[b], rng_stream(seed, b))
    return out


def assign_blocks(codes, places) -> np.ndarray:
    """The rows of each code fill fold 0, then fold 1, ... (sklearn's unshuffled rule)."""
    places = np.asarray(places, dtype=np.int64)
    out = np.empty(len(codes), dtype=np.int8)
    codes = np.asarray(codes)
    for c in range(places.shape[0]):
        rows = np.flatnonzero(codes == c)
        out[rows] = np.repeat(np.arange(places.shape[1]), places[c])
    return out


def sklearn_stratified_allocation(y_encoded, n_splits: int) -> np.ndarray:
    """scikit-learn's per-class fold sizes (classes in order of first appearance): (n_classes, n_splits)."""
    y_encoded = np.asarray(y_encoded)
    n_classes = int(y_encoded.max()) + 1
    y_order = np.sort(y_encoded)
    allocation = np.asarray([np.bincount(y_order[i::n_splits], minlength=n_classes) for i in range(n_splits)])
    return allocation.T


def first_appearance_codes(y) -> np.ndarray:
    """Codes numbering the labels by first appearance (scikit-learn's StratifiedKFold encoding)."""
    _, idx, inv = np.unique(np.asarray(y), return_index=True, return_inverse=True)
    _, perm = np.unique(idx, return_inverse=True)
    return perm[inv]


def label_counts(values, lo: int, n_codes: int) -> tuple[np.ndarray, np.ndarray]:
    codes = np.asarray(values).astype(np.int64) - lo
    counts = np.bincount(codes, minlength=n_codes).astype(np.int64)
    first = np.full(n_codes, -1, dtype=np.int64)
    for i, c in enumerate(codes.tolist()):
        if first[c] < 0:
            first[c] = i
    return counts, first


def greedy_lightest(order, sizes, n_folds: int) -> np.ndarray:
    load = np.zeros(n_folds)
    out = np.full(len(sizes), -1, dtype=np.int8)
    for g in order:
        f = int(np.argmin(load))
        load[f] += sizes[g]
        out[g] = f
    return out


def check_partition(fold_ids, n_splits: int) -> None:
    """Every row in exactly one fold, every fold non-empty."""
    fold_ids = np.asarray(fold_ids)
    assert fold_ids.min() >= 0 and fold_ids.max() < n_splits
    assert (np.bincount(fold_ids, minlength=n_splits) > 0).all()


def fold_counts(folds, n_folds: int) -> np.ndarray:
    """Rows of each fold id in [0, n_folds), other ids not counted."""
    folds = np.asarray(folds, dtype=np.int64)
    return np.array([np.count_nonzero(folds == f) for f in range(n_folds)], dtype=np.int64)


def fold_indices(folds, fold: int) -> tuple[np.ndarray, np.ndarray]:
    """``(train, test)`` of one fold: the rows of other ids, the rows of ``fold``, increasing."""
    folds = np.asarray(folds)
    return np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
