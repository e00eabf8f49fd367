"""The door to the sampling kernels (``tabprep._native.sample``).

Checks arguments once and allocates outputs; the compiled loops trust them. References:
``tests/oracles/sample.py`` (bit for bit, same generator).
"""

from __future__ import annotations

import numpy as np

from tabprep._native import sample as _k

__all__ = ["sample_select_sorted", "Reservoir"]

_U64 = (1 << 64) - 1


def sample_select_sorted(n_total: int, n: int, *, seed: int = 0) -> np.ndarray:
    """``n`` distinct indices of ``range(n_total)``, uniformly at random, in increasing order.

    Knuth's selection sampling (Algorithm S): one pass, one bounded draw per row, until the
    ``n``-th pick; memory O(n).

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    n_total, n = int(n_total), int(n)
    if not 0 <= n <= n_total:
        raise ValueError(f"need 0 <= n <= n_total, got n={n}, n_total={n_total}")
    out = np.empty(n, dtype=np.int64)
    _k.select_sorted(n_total, n, int(seed) & _U64, out)
    return out


class Reservoir:
    """Skip plan of Li's Algorithm L for a reservoir of ``k`` rows (rows 0..k-1 fill it).

    :meth:`plan` returns, for rows ``[start, stop)`` of the stream, which rows enter the
    reservoir and the slot each replaces, in stream order (a later entry for the same slot wins).
    Work is O(replacements), not O(rows): the rows in between are skipped without a draw.
    """

    def __init__(self, k: int, seed: int = 0) -> None:
        if int(k) < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        self.k = int(k)
        self._state = np.array([int(seed) & _U64], dtype=np.uint64)
        self._w = np.zeros(1, dtype=np.float64)
        self._next = np.zeros(1, dtype=np.int64)
        _k.reservoir_init(self.k, self._state, self._w, self._next)
        self._stop = self.k  # the plan covers rows [k, _stop) so far

    @property
    def next_row(self) -> int:
        """Index of the next stream row that will enter the reservoir."""
        return int(self._next[0])

    def plan(self, start: int, stop: int, *, buffer: int = 4096) -> tuple[np.ndarray, np.ndarray]:
        """(slots, rows) of the replacements among stream rows [start, stop); ranges follow each
        other from row k on."""
        if stop < start:
            raise ValueError(f"need start <= stop, got start={start}, stop={stop}")
        if start != self._stop:
            raise ValueError(f"plan() must be called on consecutive row ranges: expected start={self._stop}, got {start}")
        self._stop = stop
        slots_parts, rows_parts = [], []
        while True:
            slots = np.empty(buffer, dtype=np.int64)
            rows = np.empty(buffer, dtype=np.int64)
            count = _k.reservoir_plan(int(start), int(stop), self.k, self._state, self._w, self._next, slots, rows)
            slots_parts.append(slots[:count])
            rows_parts.append(rows[:count])
            if count < buffer:
                break
        if len(slots_parts) == 1:
            return slots_parts[0], rows_parts[0]
        return np.concatenate(slots_parts), np.concatenate(rows_parts)
