"""The door to the binning kernels (``tabprep._native.binning``).

Turns a column (Polars Series, pyarrow array, NumPy array) into the buffers the kernels read --
a contiguous float32/float64 values buffer plus the Arrow validity bitmap, without copying
float columns -- checks shapes once, allocates outputs, and splits rows between threads (the
kernels release the GIL; the threads are those of :mod:`tabprep._config`, as many as
:func:`tabprep.set_threads` allows, and the results do not depend on the split). Every function
has a plain NumPy reference in ``tests/oracles/binning.py``.

Main entry points:

- :func:`percentiles`: ``np.percentile(valid, q, method=...)`` for every NumPy method that
  scikit-learn's ``KBinsDiscretizer`` passes on, bit for bit, but by *selection* (no full sort):
  :func:`order_statistics` finds the needed ranks, then the interpolation runs NumPy's own
  formulas on a handful of values.
- :func:`bin_codes`: ``table[np.searchsorted(inner_edges, x, side="right")]`` per row, missing
  rows set to a sentinel, by a branch-free compiled search on 8 values at a time, into an
  output from Arrow's memory pool (:func:`empty_output`).
- :func:`bin_target_stats`: per-bin counts, target sums and sums of squares (supervised binning).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from tabprep._config import get_threads, run_tasks
from tabprep._native import binning as _k
from tabprep.kernels._columns import ColumnBuffers, column_buffers, column_chunks

__all__ = [
    "ColumnBuffers",
    "column_buffers",
    "column_chunks",
    "QUANTILE_METHODS",
    "quantile_plan",
    "order_statistics",
    "percentiles",
    "bin_codes",
    "empty_output",
    "bin_target_stats",
    "optimal_partition",
]

#: ``method`` values of ``numpy.percentile`` that scikit-learn's KBinsDiscretizer accepts.
QUANTILE_METHODS = (
    "inverted_cdf",
    "averaged_inverted_cdf",
    "closest_observation",
    "interpolated_inverted_cdf",
    "hazen",
    "weibull",
    "linear",
    "median_unbiased",
    "normal_unbiased",
)

# Below this many rows a plain sort of the valid values is cheaper than sample + cells + select
# (measured crossover ~8-10k rows for 33 quantiles).
_SORT_BELOW = 1 << 13
# Cells of the selection pass: 32 coarse buckets (31 splitters, the most the register-resident
# search holds) x 2**_CELL_QBITS cells each, 4096 cells of ~n/4096 rows for smooth data; a
# wanted rank then costs ~0.03% of the rows to gather. More cells per bucket shrink the gather
# but grow the per-thread histogram (32 KiB now, an L1 cache).
_CELL_QBITS = 7
_SAMPLE_SIZE = 4096
# Rows per thread below which a second thread costs more than it saves.
_MIN_ROWS_PER_THREAD = 1 << 17

_OUT_DTYPES = frozenset(np.dtype(t) for t in (np.float64, np.float32, np.int64, np.int32, np.int16, np.int8, np.uint8))

def _ranges(n: int, n_threads: int | None) -> list[tuple[int, int]]:
    # an explicit n_threads only sets the pieces: the threads running them stay within the setting
    t = get_threads() if n_threads is None else max(1, int(n_threads))
    t = max(1, min(t, n // _MIN_ROWS_PER_THREAD))
    cuts = [n * i // t for i in range(t + 1)]
    return [(cuts[i], cuts[i + 1]) for i in range(t)]


def _run(fn, ranges, *args):
    """Call ``fn(*args, start, stop)`` for every range, on threads when there are several."""
    return run_tasks(lambda i: fn(*args, *ranges[i]), len(ranges))


# ---------------------------------------------------------------------------- order statistics

def _as_chunks(col) -> list[ColumnBuffers]:
    return list(col) if isinstance(col, (list, tuple)) else [col]


def _sorted_valid(chunks: list[ColumnBuffers]) -> np.ndarray:
    parts = [c.valid_values().astype(np.float64) for c in chunks]
    return np.sort(np.concatenate(parts) if parts else np.empty(0))


def order_statistics(
    col,
    ranks_for: Callable[[int], np.ndarray],
    *,
    n_threads: int | None = None,
) -> tuple[int, np.ndarray]:
    """Exact order statistics of the valid values of a column, without sorting them.

    Below ``_SORT_BELOW`` rows: a sort. Otherwise one pass puts every row in one of 4096 ordered
    *cells* (31 splitters from a deterministic sample, each gap cut linearly into 128 cells;
    :func:`tabprep._native.binning.cell_pass`), counting them; a second pass copies the rows of
    the cells holding the wanted ranks (~1% of them) and ``nth_element`` finishes in those.
    Rows equal to a splitter get cells of their own, known without a copy, so heavy
    duplicates cost nothing. Both passes split the rows between threads; the result is the
    same values whatever the threads, chunks or sample.

    Parameters
    ----------
    col : ColumnBuffers or list of ColumnBuffers
        The column, possibly as several chunks (see :func:`column_chunks`).
    ranks_for : callable
        Called once with the number of valid values ``n``; returns the 0-based ranks wanted
        (int array, each in ``[0, n)``; any order, repeats allowed). Not called when ``n == 0``.
    n_threads : int, optional
        Pieces the rows of the two passes are cut into (default :func:`tabprep.get_threads`);
        they run on at most that many threads. The result does not depend on it.

    Returns
    -------
    n : int
        Number of valid (non-null, non-NaN) values.
    stats : ndarray of float64
        ``sorted(valid)[ranks]`` (empty when ``n == 0``).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([5.0, np.nan, 1.0, 3.0, 3.0])
    >>> order_statistics(column_buffers(x), lambda n: np.array([0, n // 2, n - 1]))
    (4, array([1., 3., 5.]))
    """
    chunks = [c for c in _as_chunks(col) if len(c)]
    n_rows = sum(len(c) for c in chunks)
    empty = (0, np.empty(0, dtype=np.float64))
    if n_rows < _SORT_BELOW:
        valid = _sorted_valid(chunks)
        if valid.size == 0:
            return empty
        return int(valid.size), valid[_check_ranks(ranks_for(valid.size), valid.size)]

    # a deterministic sample, each chunk contributing in proportion to its rows
    samples = [_k.sample_values(c.values, c.validity, c.bit0, max(1, _SAMPLE_SIZE * len(c) // n_rows), 0x7AB9E9 + i)
               for i, c in enumerate(chunks)]
    sample = np.concatenate(samples)
    if sample.size == 0:
        # the sample may miss a few valid rows hidden among many missing ones
        valid = _sorted_valid(chunks)
        if valid.size == 0:
            return empty
        return int(valid.size), valid[_check_ranks(ranks_for(valid.size), valid.size)]
    sample.sort()
    splitters, lo, scale = _cell_map(sample, _CELL_QBITS)
    q = 1 << _CELL_QBITS
    n_cells = 32 * q

    # tasks: (chunk, row range) pieces, split so every thread gets a share of the rows
    n_tasks = len(_ranges(n_rows, n_threads))
    tasks = []
    for ci, c in enumerate(chunks):
        share = max(1, round(n_tasks * len(c) / n_rows))
        tasks += [(ci, a, b) for a, b in _ranges(len(c), share if len(c) >= share * _MIN_ROWS_PER_THREAD else 1)]
    ids = [empty_output(len(c), np.uint16) for c in chunks]  # pooled memory: no page faults
    hists = np.zeros((len(tasks), n_cells + 1), dtype=np.int64)  # last column: missing rows

    def cells(t: int) -> None:
        ci, a, b = tasks[t]
        c = chunks[ci]
        _k.cell_pass(c.values, c.validity, c.bit0, splitters, lo, scale, _CELL_QBITS, ids[ci], hists[t], a, b)

    _run_tasks(cells, len(tasks))
    hists = hists[:, :n_cells]
    hist = hists.sum(axis=0)
    n = int(hist.sum())
    if n == 0:
        return empty
    ranks = _check_ranks(ranks_for(n), n)
    cum = np.cumsum(hist)
    cell_of = np.searchsorted(cum, ranks, side="right")  # cum[b - 1] <= rank < cum[b]
    first = cum[cell_of] - hist[cell_of]  # rank of the cell's first value
    out = np.empty(ranks.size, dtype=np.float64)

    # cell c * q (c >= 1) holds the values equal to splitter c - 1: known without the data
    tie = (cell_of % q == 0) & (cell_of >= q)
    out[tie] = splitters[cell_of[tie] // q - 1]
    wanted = np.unique(cell_of[~tie])
    if wanted.size:
        seg_start = np.zeros(n_cells + 1, dtype=np.int64)
        seg_start[wanted] = np.cumsum(hist[wanted]) - hist[wanted]
        buf = np.empty(int(hist[wanted].sum()), dtype=np.float64)
        # each task writes its rows of cell b after the rows of the tasks before it
        before = np.cumsum(hists, axis=0) - hists
        cursors = []
        for t in range(len(tasks)):
            cur = np.full(n_cells + 1, -1, dtype=np.int64)
            cur[wanted] = seg_start[wanted] + before[t, wanted]
            cursors.append(cur)

        def gather(t: int) -> None:
            ci, a, b = tasks[t]
            _k.gather_buckets(chunks[ci].values, ids[ci], cursors[t], buf, a, b)

        _run_tasks(gather, len(tasks))
        sel = ~tie
        lo_seg = seg_start[cell_of[sel]]
        kth = lo_seg + (ranks[sel] - first[sel])
        out[sel] = _k.select_in_segments(buf, lo_seg, lo_seg + hist[cell_of[sel]], kth)
    return n, out


def _cell_map(sample: np.ndarray, qbits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Splitters and per-bucket ``lo``/``scale`` of :func:`tabprep._native.binning.cell_pass`.

    From a sorted, NaN-free sample: up to 31 distinct splitters at its 1/32 .. 31/32 quantiles
    (a value holding more than ~1/32 of the rows becomes a splitter, its rows an exact-value
    cell), and, for each of the 32 coarse buckets, a linear cut of ``[lower, upper)`` into
    ``Q - 1`` cells, the bucket's ends taken from the splitters or the sample's min/max.
    Degenerate widths (zero, infinite, overflowing) get scale 0: one cell for the bucket.
    Only speed depends on these choices; the cells stay ordered whatever they are.
    """
    m = sample.size
    splitters = np.unique(sample[(np.arange(1, 32) * m) // 32])
    s = splitters.size
    lower = np.concatenate([sample[:1], splitters])            # bucket c starts at splitter c - 1
    upper = np.concatenate([splitters, sample[-1:]])            # and ends at splitter c
    lo = np.zeros(32, dtype=np.float64)
    scale = np.zeros(32, dtype=np.float64)
    with np.errstate(all="ignore"):
        width = upper - lower
        sc = ((1 << qbits) - 1) / width
    ok = (width > 0) & np.isfinite(width) & np.isfinite(sc)
    lo[:s + 1] = lower
    scale[:s + 1] = np.where(ok, sc, 0.0)
    return np.ascontiguousarray(splitters), lo, scale


def _run_tasks(fn, n_tasks: int) -> None:
    """Run ``fn(t)`` for every task index, on the thread pool when there are several."""
    run_tasks(fn, n_tasks)


def _check_ranks(ranks, n: int) -> np.ndarray:
    ranks = np.asarray(ranks, dtype=np.int64).ravel()
    if ranks.size and (ranks.min() < 0 or ranks.max() >= n):
        raise IndexError(f"ranks must lie in [0, {n}), got [{ranks.min()}, {ranks.max()}]")
    return ranks


# ---------------------------------------------------------------------------- NumPy's quantiles

def _discrete_boundaries(index: np.ndarray, condition) -> np.ndarray:
    # numpy.lib._function_base_impl._discrete_interpolation_to_boundaries, same operations
    previous = np.floor(index)
    nxt = previous + 1
    gamma = index - previous
    res = np.where(condition(gamma, index), previous, nxt).astype(np.intp)
    res[res < 0] = 0
    return res


def _virtual_index(n: int, q: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    return n * q + (alpha + q * (1 - alpha - beta)) - 1


_CONTINUOUS = {
    "interpolated_inverted_cdf": (0, 1),
    "hazen": (0.5, 0.5),
    "weibull": (0, 0),
    "median_unbiased": (1 / 3.0, 1 / 3.0),
    "normal_unbiased": (3 / 8.0, 3 / 8.0),
}


def quantile_plan(n: int, q: np.ndarray, method: str):
    """Which order statistics NumPy's ``quantile(a, q, method)`` reads, and how it combines them.

    Reproduces NumPy 2.x's ``_quantile`` index arithmetic operation for operation, so that
    :func:`percentiles` is bit-identical to ``np.percentile``.

    Returns
    -------
    ("take", idx) or ("lerp", prev, next, gamma)
        ``idx``/``prev``/``next``: int64 ranks in ``[0, n)``; ``gamma``: float64 weights.

    Examples
    --------
    >>> quantile_plan(4, np.array([0.0, 0.5, 1.0]), "linear")[1:3]
    (array([0, 1, 3]), array([1, 2, 3]))
    """
    q = np.asarray(q, dtype=np.float64)
    if method == "inverted_cdf":
        idx = _discrete_boundaries((n * q) - 1, lambda g, _: g == 0)
        return "take", np.minimum(idx, n - 1).astype(np.int64)
    if method == "closest_observation":
        idx = _discrete_boundaries((n * q) - 1 - 0.5, lambda g, i: (g == 0) & (np.floor(i) % 2 == 1))
        return "take", np.minimum(idx, n - 1).astype(np.int64)
    if method == "averaged_inverted_cdf":
        virtual = (n * q) - 1
    elif method == "linear":
        virtual = (n - 1) * q
    elif method in _CONTINUOUS:
        virtual = _virtual_index(n, q, *_CONTINUOUS[method])
    else:
        raise ValueError(f"unknown quantile method {method!r}; use one of {QUANTILE_METHODS}")
    virtual = np.asarray(virtual, dtype=np.float64)
    # numpy.lib._function_base_impl._get_indexes
    prev = np.floor(virtual)
    nxt = prev + 1
    above = virtual >= n - 1
    prev[above] = -1
    nxt[above] = -1
    below = virtual < 0
    prev[below] = 0
    nxt[below] = 0
    prev = prev.astype(np.intp)
    nxt = nxt.astype(np.intp)
    # _get_gamma uses the *clipped* previous index (-1 above the bounds), like NumPy
    gamma = np.asarray(virtual - prev)
    if method == "averaged_inverted_cdf":
        gamma = np.where(gamma == 0, 0.5, 1.0)
    gamma = np.asarray(gamma, dtype=np.float64)
    prev = np.where(prev < 0, n - 1, prev).astype(np.int64)
    nxt = np.where(nxt < 0, n - 1, nxt).astype(np.int64)
    return "lerp", prev, nxt, gamma


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    # numpy.lib._function_base_impl._lerp, same operations and dtypes
    diff_b_a = b - a
    out = np.add(a, diff_b_a * t)
    np.subtract(b, diff_b_a * (1 - t), out=out, where=t >= 0.5, casting="unsafe", dtype=type(out.dtype))
    return out


def percentiles(
    col: ColumnBuffers,
    percents,
    method: str = "linear",
    *,
    dtype=None,
    n_threads: int | None = None,
) -> tuple[int, np.ndarray]:
    """``np.percentile(valid_values.astype(dtype), percents, method=method)``, exactly, by selection.

    Parameters
    ----------
    col : ColumnBuffers or list of ColumnBuffers (chunks)
    percents : array-like of float in [0, 100]
    method : one of :data:`QUANTILE_METHODS`
    dtype : numpy dtype, optional
        The dtype NumPy would see (default ``col.source_dtype``): float32 data interpolates in
        float32 arithmetic first, integers in int64, as ``np.percentile`` does.

    Returns
    -------
    n : int
        Number of valid values (0: the result is all NaN).
    values : ndarray of float64

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([3.0, 1.0, np.nan, 4.0, 1.0, 5.0])
    >>> percentiles(column_buffers(x), [0, 50, 100], "averaged_inverted_cdf")
    (5, array([1., 3., 5.]))
    """
    if method not in QUANTILE_METHODS:
        raise ValueError(f"unknown quantile method {method!r}; use one of {QUANTILE_METHODS}")
    dtype = np.dtype(_as_chunks(col)[0].source_dtype if dtype is None else dtype)
    q = np.true_divide(np.asarray(percents, dtype=np.float64), 100)
    plans = {}

    def ranks_for(n: int) -> np.ndarray:
        plan = quantile_plan(n, q, method)
        plans["plan"] = plan
        return np.concatenate(plan[1:3]) if plan[0] == "lerp" else plan[1]

    n, stats = order_statistics(col, ranks_for, n_threads=n_threads)
    if n == 0:
        return 0, np.full(q.shape, np.nan)
    plan = plans["plan"]
    if plan[0] == "take":
        return n, stats.astype(dtype).astype(np.float64)
    k = q.size
    a, b = stats[:k].astype(dtype), stats[k:].astype(dtype)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf gives NaN, as np.percentile
        return n, np.asarray(_lerp(a, b, plan[3]), dtype=np.float64)


# ---------------------------------------------------------------------------- transform

def empty_output(n: int, dtype) -> np.ndarray:
    """An uninitialized writable 1-D array of ``n`` values whose memory is Arrow's.

    The buffer comes from pyarrow's default memory pool (mimalloc), which keeps freed pages for
    reuse, where ``np.empty`` of a batch-sized array maps fresh pages from the OS each time and
    pays a page fault per 4 KiB page on first write (measured on the 96 batch outputs of a
    9.5M-row transform: ~40 ms of allocation and first writes with ``np.empty``, ~4-10 ms from
    the pool, more time than the bin search itself). The array is an ordinary ndarray (Polars
    and NumPy take it without a copy); the buffer lives as long as the array.

    Examples
    --------
    >>> a = empty_output(3, np.float32)
    >>> a.shape, a.dtype, a.flags.writeable
    ((3,), dtype('float32'), True)
    """
    import pyarrow as pa

    dtype = np.dtype(dtype)
    buf = pa.allocate_buffer(max(int(n), 1) * dtype.itemsize)
    return np.frombuffer(buf, dtype=dtype, count=int(n))


def bin_codes(
    col: ColumnBuffers,
    inner_edges,
    table=None,
    *,
    dtype=np.float64,
    missing=np.nan,
    out: np.ndarray | None = None,
    n_threads: int | None = None,
    return_missing: bool = False,
):
    """``table[np.searchsorted(inner_edges, x, side="right")]`` per row; ``missing`` for null/NaN.

    Parameters
    ----------
    col : ColumnBuffers
    inner_edges : sorted 1-D float64 array (may be empty: one bin)
    table : 1-D array of ``len(inner_edges) + 1`` values, optional
        What each bin writes (default: the bin number).
    dtype : output dtype (float64, float32, int64, int32, int16, int8, uint8)
    missing : value written for null/NaN rows (cast to ``dtype``)
    out : preallocated output, optional
        Default: a new array from :func:`empty_output`.
    n_threads : int, optional
        Pieces the rows are cut into (default :func:`tabprep.get_threads`); they run on at
        most that many threads. The result does not depend on it.
    return_missing : bool
        Also return the number of missing rows: ``(out, n_missing)``.

    Examples
    --------
    >>> import numpy as np
    >>> bin_codes(column_buffers(np.array([0.5, 1.0, np.nan, 7.0])), np.array([1.0, 2.0]))
    array([ 0.,  1., nan,  2.])
    """
    edges = np.ascontiguousarray(inner_edges, dtype=np.float64)
    if edges.ndim != 1:
        raise ValueError("inner_edges must be 1-D")
    if edges.size > 1 and not np.all(edges[1:] >= edges[:-1]):
        raise ValueError("inner_edges must be sorted ascending")
    if table is None:
        table = np.arange(edges.size + 1, dtype=np.float64)
    table = np.ascontiguousarray(table, dtype=np.float64)
    if table.shape != (edges.size + 1,):
        raise ValueError(f"table needs {edges.size + 1} entries, got {table.shape}")
    dtype = np.dtype(dtype)
    if dtype not in _OUT_DTYPES:
        raise TypeError(f"output dtype {dtype} not supported; use one of {sorted(map(str, _OUT_DTYPES))}")
    n = len(col)
    if out is None:
        out = empty_output(n, dtype)
    elif out.dtype != dtype or out.shape != (n,) or not out.flags.c_contiguous:
        raise ValueError(f"out must be a contiguous {dtype} array of shape ({n},)")
    counts = _run(lambda a, b: _k.bin_codes(col.values, col.validity, col.bit0, edges, table, out, float(missing), a, b),
                  _ranges(n, n_threads))
    return (out, int(sum(counts))) if return_missing else out


def bin_target_stats(col: ColumnBuffers, inner_edges, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-bin ``(counts, sums, sums of squares)`` of target ``y``; the last slot is the missing rows.

    Single-threaded on purpose: summing in row order keeps float sums bit-reproducible.

    Examples
    --------
    >>> import numpy as np
    >>> c, s, s2 = bin_target_stats(column_buffers(np.array([0.0, 2.0, np.nan])), [1.0], [1.0, 0.0, 1.0])
    >>> c.tolist(), s.tolist()
    ([1, 1, 1], [1.0, 0.0, 1.0])
    """
    edges = np.ascontiguousarray(inner_edges, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    if y.shape != (len(col),):
        raise ValueError(f"y must have {len(col)} entries, got shape {y.shape}")
    m = edges.size
    counts = np.zeros(m + 2, dtype=np.int64)
    sums = np.zeros(m + 2, dtype=np.float64)
    sumsq = np.zeros(m + 2, dtype=np.float64)
    _k.bin_target_stats(col.values, col.validity, col.bit0, edges, y, counts, sums, sumsq, 0, len(col))
    return counts, sums, sumsq


def optimal_partition(counts, sums, max_groups: int, min_count: float, monotonic: int = 0, objective: int = 1,
                      total_events: float = 0.0, total_non_events: float = 0.0, regularization: float = 1.0):
    """Best grouping of consecutive pre-bins (exact dynamic programming; see the kernel's docstring).

    Returns the cut positions (int64 array: group ``g`` is pre-bins ``cuts[g]:cuts[g + 1]``) or
    None when no grouping gives every group ``min_count`` rows.

    Examples
    --------
    >>> import numpy as np
    >>> # four pre-bins, continuous target: the two low means and the two high means
    >>> optimal_partition(np.array([10.0, 10, 10, 10]), np.array([0.0, 1, 50, 51]), 2, 1.0)
    array([0, 2, 4])
    """
    counts = np.ascontiguousarray(counts, dtype=np.float64)
    sums = np.ascontiguousarray(sums, dtype=np.float64)
    return _k.optimal_partition(counts, sums, int(max_groups), float(min_count), int(monotonic), int(objective),
                                float(total_events), float(total_non_events), float(regularization))
