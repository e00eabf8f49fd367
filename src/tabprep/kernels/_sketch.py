"""The door to the sketch kernels (``tabprep._native.sketch``).

``hll_update`` folds 64-bit hashes into HyperLogLog registers (the register: the top ``p`` bits;
the rank: the leading zeros of the other bits plus 1; each register keeps its largest rank).
Reference: ``tests/oracles/sketch.py`` (NumPy, ``np.maximum.at``).
"""

from __future__ import annotations

import numpy as np

from tabprep._native import sketch as _k

__all__ = ["hll_update"]


def hll_update(hashes, registers: np.ndarray, p: int) -> np.ndarray:
    """Fold ``hashes`` (uint64) into ``registers`` (uint8, ``2**p`` of them) in place; returns them.

    Examples
    --------
    >>> import numpy as np
    >>> r = np.zeros(16, dtype=np.uint8)
    >>> hll_update(np.array([0x1000_0000_0000_0000, 2**59 + 1], dtype=np.uint64), r, 4)[[0, 1]]
    array([ 1, 61], dtype=uint8)
    """
    if registers.dtype != np.uint8 or registers.ndim != 1 or not registers.flags.c_contiguous:
        raise ValueError("registers must be a contiguous 1-D uint8 array")
    _k.hll_update(np.ascontiguousarray(hashes, dtype=np.uint64), registers, int(p))
    return registers
