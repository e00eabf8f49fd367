"""Stub of the compiled sampling kernels (csrc/sample.pyx). Call them through tabprep.kernels._sample."""

import numpy as np
import numpy.typing as npt

def select_sorted(n_total: int, n: int, seed: int, out: npt.NDArray[np.int64]) -> None: ...
def reservoir_init(
    k: int, state: npt.NDArray[np.uint64], w: npt.NDArray[np.float64], nxt: npt.NDArray[np.int64]
) -> None: ...
def reservoir_plan(
    start: int,
    stop: int,
    k: int,
    state: npt.NDArray[np.uint64],
    w: npt.NDArray[np.float64],
    nxt: npt.NDArray[np.int64],
    slots: npt.NDArray[np.int64],
    rows: npt.NDArray[np.int64],
) -> int: ...
