"""Stub of the compiled split kernels (csrc/split.pyx). Call them through tabprep.kernels._split."""

import numpy as np
import numpy.typing as npt

_Labels = (
    npt.NDArray[np.int8]
    | npt.NDArray[np.int16]
    | npt.NDArray[np.int32]
    | npt.NDArray[np.int64]
    | npt.NDArray[np.uint8]
    | npt.NDArray[np.uint16]
    | npt.NDArray[np.uint32]
)

def label_counts(values: _Labels, lo: int, counts: npt.NDArray[np.int64], first: npt.NDArray[np.int64]) -> None: ...
def label_first(values: _Labels, lo: int, counts: npt.NDArray[np.int64], first: npt.NDArray[np.int64]) -> None: ...
def block_label_counts(
    values: _Labels, lo: int, block_rows: int, counts: npt.NDArray[np.int64], b0: int, b1: int
) -> None: ...
def assign_shuffled(
    values: _Labels,
    lo: int,
    block_rows: int,
    places: npt.NDArray[np.int64],
    left: npt.NDArray[np.int64],
    seed: int,
    out: npt.NDArray[np.int8],
    b0: int,
    b1: int,
) -> None: ...
def assign_shuffled_flat(
    n: int, block_rows: int, places: npt.NDArray[np.int64], seed: int, out: npt.NDArray[np.int8], b0: int, b1: int
) -> None: ...
def assign_blocks(values: _Labels, lo: int, places: npt.NDArray[np.int64], out: npt.NDArray[np.int8]) -> None: ...
def take_table(values: _Labels, lo: int, table: npt.NDArray[np.int8], out: npt.NDArray[np.int8]) -> None: ...
def greedy_lightest(
    order: npt.NDArray[np.int64], sizes: npt.NDArray[np.int64], n_folds: int, group_fold: npt.NDArray[np.int8]
) -> None: ...
def stratified_group_greedy(
    order: npt.NDArray[np.int64],
    group_counts: npt.NDArray[np.float64],
    class_counts: npt.NDArray[np.float64],
    fold_scale: npt.NDArray[np.float64],
    group_fold: npt.NDArray[np.int8],
) -> None: ...
def fold_counts(folds: npt.NDArray[np.int8], counts: npt.NDArray[np.int64]) -> None: ...
def fold_indices(
    folds: npt.NDArray[np.int8],
    fold: int,
    train: npt.NDArray[np.int64],
    test: npt.NDArray[np.int64],
    start: int,
    end: int,
    a: int,
    a_end: int,
    b: int,
    b_end: int,
) -> None: ...
