"""A mergeable quantile sketch (KLL) for streaming and distributed binning.

:class:`KLLSketch` summarizes a stream of numbers in ``O(k log(n / k))`` space so that any rank
query is answered within a small *normalized rank error* ``eps`` (the error divided by ``n``), and
two sketches of two partitions merge into a sketch of their union with the same guarantee. It is
the compactor hierarchy of Karnin, Lang & Liberty ("Optimal Quantile Approximation in Streams",
FOCS 2016) with the parameters of Apache DataSketches' ``kll_doubles_sketch`` (level capacities
``max(8, ceil(k * (2/3)**depth))``), written in NumPy.

Why not DataSketches itself: its Python package installs and serializes fine, but seeds its coin
flips from the OS, so the same data gives different sketches (and edges) on every run; tabprep
promises byte-identical outputs for the same input, config and seed. Here every compaction's coin
is derived from ``(seed, number of compactions so far)``.

Error bound
-----------
:func:`rank_error_bound` states ``eps(k) = 2.296 / k**0.9723``: the DataSketches bound (from
their published error tables) for *all quantiles at once* ("double-sided"/PMF bound) at 99%
confidence. With ``k=200`` that is 1.33% of ``n``. The tests check it empirically on repeated
seeds, for one sketch and for merged partition sketches, for every edge of 32-bin binning.

Batch updates append a whole batch to level 0 and compact levels that exceed their capacity;
compacting a bigger buffer at once means fewer compactions per level than item-by-item updates,
and the KLL error analysis bounds the error by the number and weight of compactions, so the
bound carries over.

Serialization (:meth:`KLLSketch.to_bytes`) is a small fixed little-endian layout -- never pickle --
and artifacts store it in an Arrow ``binary`` column.
"""

from __future__ import annotations

import math
import struct

import numpy as np

from tabprep.errors import ArtifactError

__all__ = ["KLLSketch", "rank_error_bound", "sampling_error_bound", "DEFAULT_K"]

DEFAULT_K = 200
_MIN_CAPACITY = 8
_DECAY = 2.0 / 3.0
_MAGIC = b"TPKLL\x00"
_FORMAT_VERSION = 1
_HEADER = struct.Struct("<6sHIqqqddI")  # magic, version, k, seed, n, n_compactions, min, max, n_levels
# Updates are fed in chunks so level 0 never holds more than this many unsorted values (bounds
# the sort cost per chunk and the memory of a huge batch).
_CHUNK = 1 << 16


def rank_error_bound(k: int) -> float:
    """Normalized rank error bound of a :class:`KLLSketch` with parameter ``k`` (99% confidence).

    ``2.296 / k**0.9723`` (Apache DataSketches' all-quantiles bound). A quantile ``v`` returned for
    level ``q`` has an exact rank interval ``[#{x < v}, #{x <= v}]`` within ``eps * n`` of ``q * n``.

    Examples
    --------
    >>> round(rank_error_bound(200), 4)
    0.0133
    """
    if k < _MIN_CAPACITY:
        raise ValueError(f"k must be >= {_MIN_CAPACITY}, got {k}")
    return 2.296 / k ** 0.9723


def sampling_error_bound(n: int, log2_weight: int, confidence: float = 0.99) -> float:
    """Normalized rank error added by :meth:`KLLSketch.update_sampled` (per queried value).

    ``sqrt(ln(2 / (1 - confidence)) * 2**log2_weight / (2 n))`` (Hoeffding: ``n / g`` independent
    group terms, each in a range of width ``g``); 0 without sampling.

    Examples
    --------
    >>> sampling_error_bound(1000, 0), round(sampling_error_bound(10_000_000, 4), 5)
    (0.0, 0.00206)
    """
    if log2_weight <= 0 or n <= 0:
        return 0.0
    return math.sqrt(math.log(2.0 / (1.0 - confidence)) * (1 << log2_weight) / (2.0 * n))


def _mix(seed: int, counter: int) -> int:
    # splitmix64 of (seed, counter): the coin of compaction number `counter`
    z = (seed * 0x9E3779B97F4A7C15 + counter * 0xBF58476D1CE4E5B9 + 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


def _merge_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.size == 0:
        return b
    if b.size == 0:
        return a
    out = np.concatenate([a, b])
    out.sort(kind="stable")  # timsort: two runs, linear merge
    return out


class KLLSketch:
    """Mergeable quantile sketch of float64 values (NaN ignored).

    Parameters
    ----------
    k : int, default=200
        Accuracy/size trade-off; the normalized rank error is about ``rank_error_bound(k)``.
    seed : int, default=0
        Seed of the compaction coins (same data + same seed = same sketch, byte for byte).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=100_000)
    >>> a = KLLSketch(k=200).update(x[:50_000])
    >>> b = KLLSketch(k=200).update(x[50_000:])
    >>> ab = a.merge(b)
    >>> ab.n, ab.min == float(x.min()), ab.max == float(x.max())
    (100000, True, True)
    >>> bool(abs(ab.quantiles([0.5])[0] - np.median(x)) < 0.05)
    True
    >>> KLLSketch.from_bytes(ab.to_bytes()).to_bytes() == ab.to_bytes()
    True
    """

    def __init__(self, k: int = DEFAULT_K, seed: int = 0) -> None:
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not _MIN_CAPACITY <= k <= 65535:
            raise ValueError(f"k must be an int in [{_MIN_CAPACITY}, 65535], got {k!r}")
        self.k = int(k)
        self.seed = int(seed) & 0x7FFFFFFFFFFFFFFF
        self.n = 0
        self.min = math.nan
        self.max = math.nan
        self.n_compactions = 0
        self.levels: list[np.ndarray] = [np.empty(0, dtype=np.float64)]  # each sorted

    # ------------------------------------------------------------------ building
    def _capacity(self, level: int) -> int:
        depth = len(self.levels) - 1 - level
        return max(_MIN_CAPACITY, int(math.ceil(self.k * _DECAY ** depth)))

    def _compress(self) -> None:
        while True:
            over = [h for h, lv in enumerate(self.levels) if lv.size >= self._capacity(h)]
            total = sum(lv.size for lv in self.levels)
            budget = sum(self._capacity(h) for h in range(len(self.levels)))
            if total <= budget or not over:
                return
            self._compact(over[0])

    def _compact(self, h: int) -> None:
        items = self.levels[h]
        keep = items[:0]
        if items.size % 2 == 1:  # an odd item stays behind (the largest: any fixed choice is fine)
            keep, items = items[-1:], items[:-1]
        offset = _mix(self.seed, self.n_compactions) & 1
        self.n_compactions += 1
        promoted = items[offset::2]
        if h + 1 == len(self.levels):
            self.levels.append(np.empty(0, dtype=np.float64))
        self.levels[h] = keep.copy()
        self.levels[h + 1] = _merge_sorted(self.levels[h + 1], promoted)

    def update(self, values) -> "KLLSketch":
        """Add values (array-like of numbers; NaN skipped). Returns ``self``."""
        x = np.asarray(values, dtype=np.float64).ravel()
        x = x[~np.isnan(x)]
        if x.size == 0:
            return self
        lo, hi = float(x.min()), float(x.max())
        self.min = lo if math.isnan(self.min) else min(self.min, lo)
        self.max = hi if math.isnan(self.max) else max(self.max, hi)
        for start in range(0, x.size, _CHUNK):
            chunk = np.sort(x[start:start + _CHUNK])
            self.levels[0] = _merge_sorted(self.levels[0], chunk)
            self.n += chunk.size
            self._compress()
        return self

    def update_sampled(self, values, log2_weight: int) -> "KLLSketch":
        """Add values through a sampler: one value of every ``2**log2_weight`` consecutive ones,
        at weight ``2**log2_weight`` (level ``log2_weight``); returns ``self``.

        The sampler of Karnin, Lang & Liberty (2016, section 3.3) in front of the compactors: the
        values are cut into groups of ``g = 2**log2_weight`` in order, and one value per group,
        at a position drawn from ``(seed, n)``, enters the sketch at weight ``g`` (the values
        after the last whole group enter at weight 1). Only ``1/g`` of the values are sorted,
        which is what costs in :meth:`update`. Each rank estimate gains an error that is a sum
        of independent terms, one per group, each within a range of width ``g``; by Hoeffding's
        inequality it stays within :func:`sampling_error_bound` ``(n, log2_weight)`` of ``n``
        with 99% confidence per queried value, on top of :attr:`rank_error`.
        ``log2_weight=0`` is :meth:`update`.
        """
        x = np.asarray(values, dtype=np.float64).ravel()
        g = 1 << int(log2_weight)
        if g == 1 or x.size < g:
            return self.update(x)
        lo, hi = float(x.min()), float(x.max())
        if math.isnan(lo) or math.isnan(hi):  # min/max propagate NaN: filter only then
            return self.update_sampled(x[~np.isnan(x)], log2_weight)
        self.min = lo if math.isnan(self.min) else min(self.min, lo)
        self.max = hi if math.isnan(self.max) else max(self.max, hi)
        whole = x.size // g * g
        rng = np.random.default_rng([self.seed, self.n, 0x5A])
        picked = np.sort(x[np.arange(0, whole, g) + rng.integers(0, g, whole // g)])
        while len(self.levels) <= log2_weight:
            self.levels.append(np.empty(0, dtype=np.float64))
        self.levels[log2_weight] = _merge_sorted(self.levels[log2_weight], picked)
        self.n += whole
        self._compress()
        return self.update(x[whole:])

    def merge(self, other: "KLLSketch") -> "KLLSketch":
        """Sketch of the union of both inputs (a new object; inputs unchanged).

        Both must have the same ``k``. The result's coin sequence continues from the seed of
        ``self`` and the total number of compactions, so merging is deterministic.
        """
        if not isinstance(other, KLLSketch):
            raise TypeError(f"can only merge a KLLSketch, got {type(other).__name__}")
        if other.k != self.k:
            raise ValueError(f"cannot merge sketches with different k ({self.k} and {other.k})")
        out = KLLSketch(self.k, self.seed)
        out.n = self.n + other.n
        mins = [v for v in (self.min, other.min) if not math.isnan(v)]
        maxs = [v for v in (self.max, other.max) if not math.isnan(v)]
        out.min = min(mins) if mins else math.nan
        out.max = max(maxs) if maxs else math.nan
        out.n_compactions = self.n_compactions + other.n_compactions
        depth = max(len(self.levels), len(other.levels))
        out.levels = []
        for h in range(depth):
            a = self.levels[h] if h < len(self.levels) else np.empty(0)
            b = other.levels[h] if h < len(other.levels) else np.empty(0)
            out.levels.append(_merge_sorted(a, b).copy())
        out._compress()
        return out

    @classmethod
    def merge_all(cls, sketches) -> "KLLSketch":
        """Merge a non-empty sequence of sketches, left to right."""
        sketches = list(sketches)
        if not sketches:
            raise ValueError("merge_all needs at least one sketch")
        out = sketches[0]
        for s in sketches[1:]:
            out = out.merge(s)
        return out

    # ------------------------------------------------------------------ queries
    @property
    def num_retained(self) -> int:
        """Number of values stored."""
        return int(sum(lv.size for lv in self.levels))

    @property
    def rank_error(self) -> float:
        """The normalized rank error bound for this ``k`` (:func:`rank_error_bound`)."""
        return rank_error_bound(self.k)

    def _weighted(self) -> tuple[np.ndarray, np.ndarray]:
        values = np.concatenate(self.levels) if self.levels else np.empty(0)
        weights = np.concatenate([np.full(lv.size, 1 << h, dtype=np.int64) for h, lv in enumerate(self.levels)])
        order = np.argsort(values, kind="stable")
        return values[order], np.cumsum(weights[order])

    def quantiles(self, qs) -> np.ndarray:
        """Approximate quantiles: for each level ``q``, the smallest retained value whose weighted
        rank reaches ``q * n`` (``q = 0`` gives the exact minimum, ``q = 1`` the exact maximum).

        Returns NaN for an empty sketch.
        """
        qs = np.asarray(qs, dtype=np.float64)
        if np.any((qs < 0) | (qs > 1)) or np.isnan(qs).any():
            raise ValueError("quantile levels must lie in [0, 1]")
        if self.n == 0:
            return np.full(qs.shape, np.nan)
        values, cum = self._weighted()
        total = cum[-1]
        idx = np.searchsorted(cum, qs * total, side="left")
        out = values[np.minimum(idx, values.size - 1)]
        out = np.where(qs <= 0, self.min, out)
        out = np.where(qs >= 1, self.max, out)
        return out

    def rank(self, value: float) -> float:
        """Approximate normalized rank: fraction of values ``<= value``."""
        if self.n == 0:
            return math.nan
        values, cum = self._weighted()
        i = np.searchsorted(values, value, side="right")
        return float(cum[i - 1] / cum[-1]) if i > 0 else 0.0

    # ------------------------------------------------------------------ bytes
    def to_bytes(self) -> bytes:
        """Serialize (little-endian header + per-level sizes + float64 values; no pickle)."""
        sizes = np.asarray([lv.size for lv in self.levels], dtype="<u4")
        head = _HEADER.pack(_MAGIC, _FORMAT_VERSION, self.k, self.seed, self.n, self.n_compactions,
                            self.min, self.max, len(self.levels))
        body = np.concatenate(self.levels).astype("<f8") if self.levels else np.empty(0, "<f8")
        return head + sizes.tobytes() + body.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> "KLLSketch":
        """Rebuild a sketch from :meth:`to_bytes` output; raises ArtifactError on bad input."""
        data = bytes(data)
        if len(data) < _HEADER.size or not data.startswith(_MAGIC):
            raise ArtifactError("not a tabprep KLL sketch", found=f"{len(data)} bytes")
        magic, version, k, seed, n, n_comp, lo, hi, n_levels = _HEADER.unpack_from(data)
        if version != _FORMAT_VERSION:
            raise ArtifactError(f"unsupported KLL sketch format version {version}",
                                hint=f"this tabprep reads version {_FORMAT_VERSION}")
        off = _HEADER.size
        if len(data) < off + 4 * n_levels:
            raise ArtifactError("truncated KLL sketch", found=f"{len(data)} bytes")
        sizes = np.frombuffer(data, dtype="<u4", count=n_levels, offset=off).astype(np.int64)
        off += 4 * n_levels
        if len(data) != off + 8 * int(sizes.sum()):
            raise ArtifactError("truncated or padded KLL sketch",
                                found=f"{len(data)} bytes for {int(sizes.sum())} values")
        values = np.frombuffer(data, dtype="<f8", offset=off).astype(np.float64)
        weight = int(sum(int(s) << h for h, s in enumerate(sizes)))
        if weight != n or (n_levels < 1):
            raise ArtifactError("inconsistent KLL sketch (level sizes do not add up to n)")
        out = cls(int(k), int(seed))
        out.n, out.n_compactions, out.min, out.max = int(n), int(n_comp), float(lo), float(hi)
        out.levels = np.split(values, np.cumsum(sizes)[:-1]) if n_levels else []
        out.levels = [np.ascontiguousarray(lv) for lv in out.levels]
        if any(lv.size > 1 and np.any(lv[1:] < lv[:-1]) for lv in out.levels):
            raise ArtifactError("inconsistent KLL sketch (a level is not sorted)")
        return out

    def __repr__(self) -> str:
        return f"KLLSketch(k={self.k}, n={self.n}, retained={self.num_retained}, levels={len(self.levels)})"
