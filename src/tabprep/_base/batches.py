"""Recognizing one batch handed to several Python calls of one query.

A step that gives k output columns from one input (one-hot, hashing, multiclass target encoding,
a compiled feature with several outputs) gives them as one struct per batch, unnested, and Polars
runs that call once per batch (``encode._output.unnested_outputs``). A plan collected without
common subexpression elimination runs it once per output column, so those steps also keep each
batch's result and hand it to the other calls on the same batch.

Whether the k calls get the same Arrow buffers is Polars' business, not a promise: Polars 2.1
handed every call the same buffers, Polars 2.2 hands each call its own copy of a string column's
views. Keyed by buffer addresses, every call of 2.2 missed: the one-hot of a 20-level column ran
20 times per batch (the 10M-row job of issue 10: 0.4 s -> 5.8 s, 2 GB -> 5 GB). A batch is
therefore recognized by its content, cheapest test first:

- the same buffers (addresses, offsets, lengths): the same batch, nothing read;
- byte-equal buffers at the same offsets: the same values, validity and layout (a memcmp);
- for string and binary views only, Arrow's value equality (the views of equal strings may
  point into differently laid out data buffers).

Any other difference is a different batch (a miss: the result is computed again, never wrong).
Values are never compared by numeric equality, so ``0.0`` and ``-0.0`` or two NaN payloads are
told apart. A key holds its arrays, so the buffers of a kept batch cannot be freed and reused.
"""

from __future__ import annotations

__all__ = ["BatchKey"]

_VIEW_TYPES = ("string_view", "binary_view")


class BatchKey:
    """The content of one batch's Arrow arrays (one per input column), for :meth:`same`."""

    __slots__ = ("tag", "shape", "arrays")

    def __init__(self, tag, arrays) -> None:
        self.tag = tag
        self.arrays = tuple(arrays)
        self.shape = (tag, tuple((str(a.type), len(a)) for a in self.arrays))

    @classmethod
    def of_series(cls, tag, s):
        """The key of a Polars Series (its chunks, in place)."""
        import pyarrow as pa

        return cls((tag, s.dtype), pa.chunked_array(s).chunks)

    def same(self, other: "BatchKey") -> bool:
        """Whether ``other`` holds the same batch (see the module's docstring)."""
        if self.shape != other.shape:
            return False
        return all(_same_array(a, b) for a, b in zip(self.arrays, other.arrays))


def _same_array(a, b) -> bool:
    if a.offset == b.offset:
        ours, theirs = a.buffers(), b.buffers()
        if len(ours) == len(theirs) and all(_same_buffer(x, y) for x, y in zip(ours, theirs)):
            return True
    return str(a.type) in _VIEW_TYPES and a.equals(b)


def _same_buffer(x, y) -> bool:
    if x is None or y is None:
        return x is None and y is None
    return (x.address == y.address and x.size == y.size) or x.equals(y)
