"""Stub of the compiled hand-off kernel (csrc/handoff.pyx)."""

import numpy as np
import numpy.typing as npt

KINDS: dict[str, int]

def fill_matrix(
    out: npt.NDArray[np.float32] | npt.NDArray[np.float64],
    col_first: npt.NDArray[np.int64],
    row0: npt.NDArray[np.int64],
    length: npt.NDArray[np.int64],
    offset: npt.NDArray[np.int64],
    values: npt.NDArray[np.uint64],
    validity: npt.NDArray[np.uint64],
    kind: npt.NDArray[np.int32],
    row_lo: int,
    row_hi: int,
    block_rows: int,
) -> None: ...
