"""The matrix hand-off kernel's door: Arrow chunks of many columns -> one preallocated matrix.

``tabprep._native.handoff.fill_matrix`` reads each chunk's value and validity buffers by address
(the Series' own buffers: no copy) and writes them, cast, into the column's slot of ``out``.
This module turns chunk lists into the flat descriptor arrays the kernel takes and splits the rows
between the threads of :mod:`tabprep._config`.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tabprep._config import get_threads, run_tasks
from tabprep.errors import SchemaError

__all__ = ["fill_matrix"]

# Output block of a C-ordered matrix kept in cache while its columns are written.
_BLOCK_BYTES = 256 * 1024
# Below this many cells the second thread costs more than it saves.
_THREAD_MIN_CELLS = 4_000_000


def _chunk_table(columns: list[list[pa.Array]], n_rows: int):
    from tabprep._native.handoff import KINDS

    col_first = np.zeros(len(columns) + 1, dtype=np.int64)
    row0, length, offset, values, validity, kind = [], [], [], [], [], []
    for j, chunks in enumerate(columns):
        start = 0
        for arr in chunks:
            n = len(arr)
            if n == 0:
                continue
            code = KINDS[str(arr.type)]
            bufs = arr.buffers()
            row0.append(start)
            length.append(n)
            offset.append(arr.offset)
            values.append(0 if code == KINDS["null"] else bufs[1].address)
            validity.append(bufs[0].address if bufs[0] is not None and arr.null_count else 0)
            kind.append(code)
            start += n
        if start != n_rows:  # a frame's columns always agree; this guards the kernel's reads
            raise SchemaError(f"column has {start} rows, expected {n_rows}", column=str(j))
        col_first[j + 1] = len(row0)
    return (
        col_first,
        np.asarray(row0, dtype=np.int64),
        np.asarray(length, dtype=np.int64),
        np.asarray(offset, dtype=np.int64),
        np.asarray(values, dtype=np.uint64),
        np.asarray(validity, dtype=np.uint64),
        np.asarray(kind, dtype=np.int32),
    )


def fill_matrix(out: np.ndarray, chunks: list[list[pa.Array]], n_threads: int | None = None) -> None:
    """Write column ``j``'s Arrow chunks (``chunks[j]``) into ``out[:, j]``, in place.

    ``out`` is a preallocated C- or F-ordered float32/float64 matrix with ``len(chunks)`` columns;
    every column's chunks must add up to ``out.shape[0]`` rows (checked). Nulls become NaN. The
    kernel runs without the GIL on disjoint row ranges: from 4M cells up, ``n_threads`` of
    them (default :func:`tabprep.get_threads`, and never more threads than that setting). Each
    cell is written once from its own source value, so the matrix does not depend on the split.
    """
    from tabprep._native.handoff import fill_matrix as _kernel

    n_rows, n_cols = out.shape
    table = _chunk_table(chunks, n_rows)
    if out.flags.c_contiguous and n_cols > 1:
        block = max(64, _BLOCK_BYTES // (n_cols * out.itemsize))
    else:  # column-major: each column slice is contiguous already, big blocks are fine
        block = 1 << 20
    if n_threads is None:
        n_threads = get_threads() if n_rows * n_cols >= _THREAD_MIN_CELLS else 1
    if n_threads <= 1 or n_rows < 2 * block:
        _kernel(out, *table, 0, n_rows, block)
        return
    # Disjoint row ranges, aligned to blocks; the kernel runs without the GIL.
    step = -(-n_rows // n_threads)
    step = -(-step // block) * block
    ranges = [(lo, min(lo + step, n_rows)) for lo in range(0, n_rows, step)]
    run_tasks(lambda i: _kernel(out, *table, *ranges[i], block), len(ranges))
