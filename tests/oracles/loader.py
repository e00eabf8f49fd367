"""Reference for ``tabprep.handoff.BatchLoader``: the documented epoch plan on whole in-memory arrays.

Row numbers instead of streamed windows: the stream is the kept rows of the units in the epoch's
unit order, rank ``r`` takes its contiguous range (wrapping past the end), each window of rows is
permuted, batches are consecutive slices.
"""

import numpy as np


def loader_row_batches(unit_sizes, keep, *, batch_size, buffer_rows, seed, epoch, rank, world_size,
                       drop_last, shuffle):
    """Row numbers (into the file's rows) of each batch this rank yields in ``epoch``."""
    bounds = np.concatenate([[0], np.cumsum(unit_sizes)])
    unit_rows = [np.flatnonzero(keep[bounds[u]:bounds[u + 1]]) + bounds[u] for u in range(len(unit_sizes))]
    order = np.random.default_rng([seed, epoch]).permutation(len(unit_sizes)) if shuffle else np.arange(len(unit_sizes))
    stream = np.concatenate([unit_rows[u] for u in order]) if len(order) else np.zeros(0, np.int64)
    n = len(stream)
    per = n // world_size if drop_last else -(-n // world_size)
    idx = stream[np.arange(rank * per, (rank + 1) * per) % n]
    if drop_last:
        idx = idx[: len(idx) // batch_size * batch_size]
    window = max(batch_size, buffer_rows // batch_size * batch_size)
    parts = []
    for w, s in enumerate(range(0, len(idx), window)):
        chunk = idx[s:s + window]
        if shuffle and len(chunk) > 1:
            chunk = chunk[np.random.default_rng([seed, epoch, rank, w]).permutation(len(chunk))]
        parts.append(chunk)
    idx = np.concatenate(parts) if parts else idx
    return [idx[i:i + batch_size] for i in range(0, len(idx), batch_size)]
