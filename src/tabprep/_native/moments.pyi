"""Stub of the compiled moments kernel (csrc/moments.pyx).

Use it through :mod:`tabprep.kernels._moments`, which builds the buffers (one array, or one per
chunk: the blocks count from the column's first row either way). One compiled loop per dtype; the
loop releases the GIL.
"""

import numpy as np
import numpy.typing as npt

def moments(
    values: npt.NDArray[np.float32] | npt.NDArray[np.float64],
    validity: npt.NDArray[np.uint8] | None,
    bit0: int,
) -> tuple[int, float, float, float, bool]:
    """``(n, sum, mean, m2, has_inf)`` of the valid, non-NaN values (``mean``, ``m2``: 0.0 when
    ``n == 0``); row ``i`` is valid iff bit ``bit0 + i`` of ``validity`` is set (None: all)."""

def moments_chunks(
    values: list[npt.NDArray[np.float32]] | list[npt.NDArray[np.float64]],
    validity: list[npt.NDArray[np.uint8] | None],
    bit0: list[int],
) -> tuple[int, float, float, float, bool]:
    """``moments`` of the column made of these chunks in order (all float64 or all float32), bit
    for bit as if concatenated; each chunk is read in place."""
