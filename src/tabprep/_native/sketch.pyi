"""Stub of the compiled sketch kernels (csrc/sketch.pyx).

Use them through :mod:`tabprep.kernels._sketch`. The loop releases the GIL.
"""

import numpy as np
import numpy.typing as npt

def hll_update(hashes: npt.NDArray[np.uint64], registers: npt.NDArray[np.uint8], p: int) -> None:
    """Fold 64-bit ``hashes`` into the ``2**p`` HyperLogLog ``registers`` in place (register: the
    top ``p`` bits; rank: leading zeros of the rest + 1; the maximum kept)."""
