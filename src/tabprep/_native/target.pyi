"""Stub of the compiled target-statistics kernels (csrc/target.pyx).

Use them through :mod:`tabprep.kernels._target`, which checks dtypes, shapes and ranges; these
loops trust their inputs. ``Codes`` is int32 or int64; ``Target`` is int8, int32, int64, float32 or
float64 (one compiled loop per dtype). Statistics cells are ``[rows, W, S_0, ..., S_{n_out-1}]``.
"""

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

Codes: TypeAlias = npt.NDArray[np.int32] | npt.NDArray[np.int64]
Target: TypeAlias = (
    npt.NDArray[np.int8]
    | npt.NDArray[np.int32]
    | npt.NDArray[np.int64]
    | npt.NDArray[np.float32]
    | npt.NDArray[np.float64]
)
F64: TypeAlias = npt.NDArray[np.float64]

MODE_MESTIMATE: int
MODE_AUTO: int
MODE_WOE: int

def accumulate(
    codes: Codes | None,
    y: Target,
    weight: F64 | None,
    folds: npt.NDArray[np.int8] | None,
    stats: F64,
    classes: bool = False,
) -> None:
    """Add every row to its ``stats[code, fold]`` cell (codes < 0 skipped; None: slot 0)."""

def accumulate_counts(
    codes: Codes,
    y: Target,
    folds: npt.NDArray[np.int8] | None,
    cells: npt.NDArray[np.uint32],
    classes: bool = False,
) -> None:
    """:func:`accumulate` for unweighted 0/1 (or class-index) targets into uint32 ``[rows, sums...]`` cells."""

def train_counts(cells: npt.NDArray[np.uint32], out: F64) -> None:
    """:func:`train_cells` of uint32 cells; ``out`` gets float64 ``[rows, rows, sums...]``."""

def accumulate_m2(
    codes: Codes | None,
    y: Target,
    weight: F64 | None,
    folds: npt.NDArray[np.int8] | None,
    stats: F64,
    m2: F64,
) -> None:
    """Fill ``m2[c, f] = [mean, sum w (y - mean)**2]`` around each cell's weighted mean."""

def check_rows(
    y: Target,
    weight: F64 | None,
    folds: npt.NDArray[np.int8] | None,
    n_folds: int,
    n_classes: int = 0,
) -> tuple[int, int, int]:
    """First non-finite/out-of-range target row, negative/non-finite weight row, bad fold row (-1: none)."""

def train_cells(stats: F64, m2: F64 | None, out: F64, out_m2: F64 | None) -> None:
    """``out[f, c]`` = merge of ``stats[c, g]`` over folds ``g != f``; ``out[n_folds, c]`` = all folds."""

def encodings(
    train: F64,
    train_m2: F64 | None,
    totals: F64,
    totals_m2: F64 | None,
    mode: int,
    param: float,
    ignore_singletons: bool,
    out: F64,
) -> None:
    """Encoding of every (set, slot, output); slot ``n_slots`` is the unknown value."""

def gather(
    codes: Codes,
    folds: npt.NDArray[np.int8] | None,
    table: F64,
    out: npt.NDArray[np.float32] | npt.NDArray[np.float64],
) -> None:
    """``out[i, j] = table[codes[i], folds[i], j]``: slot-major table (n_slots + 1, n_sets, n_out),
    Fortran-ordered ``out``; codes < 0 read the last slot."""
