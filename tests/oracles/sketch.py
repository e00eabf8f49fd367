"""Plain references for the sketch kernels: HyperLogLog registers from 64-bit hashes.

Naive on purpose (Python integers and ``int.bit_length``): no NumPy tricks, no tabprep.
"""

from __future__ import annotations


def hll_registers_ref(hashes, p: int, registers=None) -> list[int]:
    """The ``2**p`` registers after folding ``hashes`` in (register: the top ``p`` bits; rank:
    ``64 - p + 1 - bit_length`` of the other bits, i.e. their leading zeros plus 1)."""
    out = [0] * (1 << p) if registers is None else [int(r) for r in registers]
    low = 64 - p
    for h in hashes:
        h = int(h)
        idx, rest = h >> low, h & ((1 << low) - 1)
        out[idx] = max(out[idx], low + 1 - rest.bit_length())
    return out
