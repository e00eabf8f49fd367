"""Reservoir sampling: k rows, uniformly, from a source of unknown length, in one streaming pass.

The source is read batch by batch (``LazyFrame.collect_batches``, Polars' streaming engine); the
skip plan of Li's Algorithm L (compiled, ``tabprep.kernels._sample.Reservoir``) says which rows
of each batch enter the reservoir and which slot each replaces, so the rows in between are never
touched. Picked rows are gathered out of their batch at once (the batch is then dropped) and
kept as *pending* rows; before the pending rows would exceed k they are folded into the reservoir
with one gather. Memory is bounded: at most 2k rows held (reservoir + pending; k more for a moment
while folding) plus the current batch.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

import numpy as np
import polars as pl

from tabprep.io._progress import rows_done
from tabprep.kernels._sample import Reservoir
from tabprep.split._kfold import SEED
from tabprep._base.params import Interval, validate_call

_K = [Interval(int, 1, None)]

__all__ = ["reservoir_sample", "reservoir_sample_batches"]


class _Held:
    """The reservoir: ``base`` rows plus ``pending`` frames; ``where[slot]`` locates each slot's row
    (index into base, or len(base) + offset into the concatenated pending rows)."""

    def __init__(self, base: pl.DataFrame, k: int) -> None:
        self.base = base
        self.k = k
        self.pending: list[pl.DataFrame] = []
        self.n_pending = 0
        self.where = np.arange(k, dtype=np.int64)
        self.source_row = np.arange(k, dtype=np.int64)  # stream index of each slot's row
        self.peak = k

    def replace(self, slots: np.ndarray, rows: np.ndarray, batch: pl.DataFrame, offset: int) -> None:
        """Rows ``rows`` (stream indices; batch row = row - offset) replace ``slots``, in order."""
        # a slot replaced twice within the batch keeps the later row only: gather just the winners
        _, last = np.unique(slots[::-1], return_index=True)
        keep = np.sort(slots.shape[0] - 1 - last)
        slots, rows = slots[keep], rows[keep]
        if self.n_pending + slots.shape[0] > self.k:
            self.compact()  # keeps base + pending <= 2k rows
        self.where[slots] = self.k + self.n_pending + np.arange(slots.shape[0], dtype=np.int64)
        self.source_row[slots] = rows
        self.pending.append(batch[rows - offset])
        self.n_pending += slots.shape[0]
        self.peak = max(self.peak, self.k + self.n_pending)
        if self.n_pending >= self.k:
            self.compact()

    def compact(self) -> None:
        if self.pending:
            everything = pl.concat([self.base, *self.pending], how="vertical", rechunk=False)
            self.base = everything[self.where].rechunk()
            self.pending = []
            self.n_pending = 0
            self.where = np.arange(self.k, dtype=np.int64)


@validate_call({"k": _K, "seed": SEED})
def reservoir_sample_batches(
    batches: Iterable[pl.DataFrame], k: int, *, seed: int = 0, stats: dict | None = None, schema=None
) -> pl.DataFrame:
    """Reservoir sample of ``k`` rows from an iterable of DataFrames (one pass, bounded memory).

    Parameters
    ----------
    batches : iterable of polars.DataFrame
        The stream, in order (same schema throughout).
    k : int
        Rows to keep (>= 1). A stream shorter than k gives all its rows.
    seed : int, default 0
        Seed; the same stream (whatever its batching) and seed give the same rows.
    stats : dict, optional
        Filled with ``rows_seen``, ``batches``, ``max_batch_rows``, ``peak_held_rows`` (most rows
        held by the sampler at once, reservoir + pending, excluding the current batch: at most 2k).
    schema : polars.Schema, optional
        Schema of the result when the stream has no batch at all.

    Returns
    -------
    polars.DataFrame
        The sampled rows, in stream order.

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.sample import reservoir_sample_batches
    >>> batches = (pl.DataFrame({"x": range(i, i + 10)}) for i in range(0, 100, 10))
    >>> reservoir_sample_batches(batches, 5, seed=0).height
    5
    """
    k = int(k)
    seen = 0
    n_batches = 0
    max_batch = 0
    filling: list[pl.DataFrame] = []
    n_filled = 0
    held: _Held | None = None
    plan: Reservoir | None = None
    for batch in batches:
        n_batches += 1
        b = batch.height
        max_batch = max(max_batch, b)
        start = 0
        if held is None:
            take = min(k - n_filled, b)
            if take:
                filling.append(batch.slice(0, take))
                n_filled += take
            start = take
            if n_filled == k:
                held = _Held(pl.concat(filling, how="vertical").rechunk(), k)
                filling = []
                plan = Reservoir(k, seed)
        if held is not None and start < b:
            slots, rows = plan.plan(seen + start, seen + b)
            if slots.shape[0]:
                held.replace(slots, rows, batch, seen)
        seen += b
    if stats is not None:
        stats.update(
            rows_seen=seen,
            batches=n_batches,
            max_batch_rows=max_batch,
            peak_held_rows=held.peak if held is not None else n_filled,
        )
    if held is None:
        if not filling:
            return pl.DataFrame(schema=schema)
        return pl.concat(filling, how="vertical").rechunk()
    held.compact()
    order = np.argsort(held.source_row, kind="stable")
    return held.base[order]


def _open(source):
    """The source as a LazyFrame / DataFrame (paths are scanned) or an iterable, and its schema."""
    if isinstance(source, (str, os.PathLike)):
        from tabprep.io import scan

        source = scan(source)
    if isinstance(source, pl.LazyFrame):
        return source, source.collect_schema()
    if isinstance(source, pl.DataFrame):
        return source, source.schema
    return source, None


def _batches(source, batch_size: int | None) -> Iterator[pl.DataFrame]:
    if isinstance(source, pl.LazyFrame):
        for batch in source.collect_batches(chunk_size=batch_size, maintain_order=True):
            rows_done(batch.height)  # to a progress bar, if one listens
            yield batch
    elif isinstance(source, pl.DataFrame):
        step = batch_size or 100_000
        for offset in range(0, source.height, step):
            yield source.slice(offset, step)
    else:
        yield from source


@validate_call({"k": _K, "seed": SEED, "batch_size": [Interval(int, 1, None), None]})
def reservoir_sample(source, k: int, *, seed: int = 0, batch_size: int | None = None, stats: dict | None = None) -> pl.DataFrame:
    """Sample ``k`` rows uniformly from a source of unknown length, streaming, memory bounded by k.

    Li's Algorithm L ("Reservoir-sampling algorithms of time complexity O(n(1 + log(N/n)))",
    1994): every row of the source ends up in the sample with probability k / N, every k-subset
    equally likely, without knowing N in advance and without a draw per row.

    Parameters
    ----------
    source : str, path, polars.LazyFrame, polars.DataFrame or iterable of DataFrames
        A path is scanned lazily (:func:`tabprep.io.scan`); a LazyFrame is run by Polars'
        streaming engine and read batch by batch (``collect_batches``), so the source may be
        larger than memory.
    k : int
        Rows to keep (>= 1).
    seed : int, default 0
        Seed. The sample depends on the rows' order in the source (not on the batching).
    batch_size : int, optional
        Rows per batch (``collect_batches(chunk_size=)``; Polars' default otherwise).
    stats : dict, optional
        See :func:`reservoir_sample_batches`.

    Returns
    -------
    polars.DataFrame
        ``min(k, N)`` rows in source order.

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.sample import reservoir_sample
    >>> lf = pl.LazyFrame({"x": range(1000)})
    >>> out = reservoir_sample(lf, 10, seed=0)
    >>> out.height, out["x"].is_sorted()
    (10, True)
    """
    source, schema = _open(source)
    return reservoir_sample_batches(_batches(source, batch_size), k, seed=seed, stats=stats, schema=schema)
