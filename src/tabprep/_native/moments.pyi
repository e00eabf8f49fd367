"""Stub of the compiled moments kernel (csrc/moments.pyx).

Use it through :mod:`tabprep.kernels._moments`, which builds the buffers (one chunk: the blocks
count from the first row). One compiled loop per dtype; the loop releases the GIL.
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
