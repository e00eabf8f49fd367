"""Stub of the compiled binning kernels (csrc/binning.pyx).

Use them through :mod:`tabprep.kernels._binning`, which builds the buffers, checks shapes and splits
rows between threads. ``Values`` is a contiguous float32 or float64 array (one compiled loop per
dtype); ``Validity`` an Arrow validity bitmap (row ``i`` valid iff bit ``bit0 + i`` is set) or None.
NaN always counts as missing. Every kernel releases the GIL in its loop.
"""

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

Values: TypeAlias = npt.NDArray[np.float32] | npt.NDArray[np.float64]
Validity: TypeAlias = npt.NDArray[np.uint8] | None
Out: TypeAlias = (
    npt.NDArray[np.float64]
    | npt.NDArray[np.float32]
    | npt.NDArray[np.int64]
    | npt.NDArray[np.int32]
    | npt.NDArray[np.int16]
    | npt.NDArray[np.int8]
    | npt.NDArray[np.uint8]
)

MISSING_BUCKET: int

def simd(enabled: bool | None = None) -> bool:
    """Whether the AVX-512 search is in use; ``simd(False)`` forces the scalar search (tests)."""

def sample_values(values: Values, validity: Validity, bit0: int, m: int, seed: int) -> npt.NDArray[np.float64]:
    """Up to ``m`` valid values at pseudo-random rows (seeded xorshift, with replacement)."""

CELL_QBITS_MAX: int

def cell_pass(
    values: Values,
    validity: Validity,
    bit0: int,
    splitters: npt.NDArray[np.float64],
    lo: npt.NDArray[np.float64],
    scale: npt.NDArray[np.float64],
    qbits: int,
    ids: npt.NDArray[np.uint16],
    hist: npt.NDArray[np.int64],
    start: int,
    stop: int,
) -> None:
    """Rows -> ordered cells (coarse bucket by <= 31 splitters, then a linear cut into ``2**qbits``
    cells; cell ``c * Q`` = equal to splitter ``c - 1``); adds to ``hist`` (last entry: missing)."""

def cell_of(
    x: float,
    splitters: npt.NDArray[np.float64],
    lo: npt.NDArray[np.float64],
    scale: npt.NDArray[np.float64],
    qbits: int,
) -> int:
    """The cell ``cell_pass`` gives one non-missing value (portable code; tests)."""

def gather_buckets(
    values: Values,
    ids: npt.NDArray[np.uint16],
    cursor: npt.NDArray[np.int64],
    buf: npt.NDArray[np.float64],
    start: int,
    stop: int,
) -> None:
    """Copy the rows of wanted buckets/cells (``cursor[b] >= 0``) to ``buf[cursor[b]++]``."""

def select_in_segments(
    buf: npt.NDArray[np.float64],
    seg_lo: npt.NDArray[np.int64],
    seg_hi: npt.NDArray[np.int64],
    kth: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:
    """``nth_element`` per segment; returns ``sorted(segment)[kth - seg_lo]`` for each entry."""

def bin_codes(
    values: Values,
    validity: Validity,
    bit0: int,
    inner_edges: npt.NDArray[np.float64],
    table: npt.NDArray[np.float64],
    out: Out,
    missing: float,
    start: int,
    stop: int,
) -> int:
    """``out[i] = table[searchsorted(inner_edges, x[i], "right")]`` (``missing`` for missing rows);
    returns the number of missing rows."""

def bin_target_stats(
    values: Values,
    validity: Validity,
    bit0: int,
    inner_edges: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    counts: npt.NDArray[np.int64],
    sums: npt.NDArray[np.float64],
    sumsq: npt.NDArray[np.float64],
    start: int,
    stop: int,
) -> None:
    """Add per-bin row counts, target sums and sums of squares (last slot: missing rows)."""

def optimal_partition(
    counts: npt.NDArray[np.float64],
    sums: npt.NDArray[np.float64],
    max_groups: int,
    min_count: float,
    monotonic: int,
    objective: int,
    total_events: float = ...,
    total_non_events: float = ...,
    regularization: float = ...,
) -> npt.NDArray[np.int64] | None:
    """Exact DP grouping of consecutive pre-bins (objective 0: IV, 1: between-group sum of squares)."""
