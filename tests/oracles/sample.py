"""Plain Python references for tabprep.sample's kernels (same generator, bit for bit) and rules."""

from __future__ import annotations

import math

import numpy as np

from oracles.split import SplitMix64

_MAX_SKIP = 4.0e18


def select_sorted(n_total: int, n: int, seed: int) -> np.ndarray:
    """Knuth's Algorithm S with the kernels' generator."""
    rng = SplitMix64(seed)
    out, taken, i = [], 0, 0
    while taken < n:
        if rng.bounded(n_total - i) < n - taken:
            out.append(i)
            taken += 1
        i += 1
    return np.array(out, dtype=np.int64)


def _skip(rng: SplitMix64, w: float) -> int:
    s = math.floor(math.log(rng.unit()) / math.log1p(-w))
    return int(_MAX_SKIP) if s > _MAX_SKIP else int(s)


def reservoir_indices(n_total: int, k: int, seed: int) -> np.ndarray:
    """Li's Algorithm L over ``range(n_total)`` in plain Python: the sampled indices, sorted."""
    if n_total <= k:
        return np.arange(n_total)
    res = list(range(k))
    rng = SplitMix64(seed)
    w = math.exp(math.log(rng.unit()) / k)
    nxt = k + _skip(rng, w)
    while nxt < n_total:
        slot = rng.bounded(k)
        res[slot] = nxt
        w = w * math.exp(math.log(rng.unit()) / k)
        nxt = nxt + 1 + _skip(rng, w)
    return np.sort(np.array(res, dtype=np.int64))


def approximate_mode_bounds(counts, n_draws: int) -> tuple[np.ndarray, np.ndarray]:
    """Each class gets floor or ceil of its proportional share (scikit-learn's guarantee)."""
    counts = np.asarray(counts, dtype=np.float64)
    share = counts / counts.sum() * n_draws
    return np.floor(share).astype(np.int64), np.ceil(share).astype(np.int64)
