"""``BatchLoader``: split-aware, sharded, shuffled, resumable ``(X, y)`` batches from files.

The plan of an epoch is a function of (seed, epoch) and the rows per unit (:mod:`._source`),
so every rank computes the same plan without talking to the others, and a resumed loader
recomputes it and starts at the batch it stopped at:

1. the units (row groups) are put in a random order (seeded by ``(seed, epoch)``); their
   filtered rows, in that order, form the epoch's *stream* of ``N`` rows;
2. rank ``r`` of ``W`` takes stream positions ``[r * per, (r + 1) * per)`` with
   ``per = ceil(N / W)`` (positions past ``N`` wrap to the stream's start: the first rows are
   repeated, as torch's ``DistributedSampler`` pads) or ``per = N // W`` with ``drop_last``
   (the tail is dropped), so every rank yields the same number of batches;
3. a rank's rows are cut into windows of ``buffer_rows`` (a multiple of ``batch_size``); the rows
   of a window are read (only the units it overlaps), written once into a matrix, permuted
   (seeded by ``(seed, epoch, rank, window)``) and cut into batches, which are views of it.

Memory is bounded by the windows in flight (the one being built, the one being yielded, each
``buffer_rows`` rows) plus one unit, not by the file.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import polars as pl

from tabprep._constraints import ColumnName, Interval, NumpyDType, Options, Seed, check_param
from tabprep.errors import ConfigError, DataError
from tabprep.handoff._numpy import _arrow_chunks
from tabprep.handoff._source import check_columns, open_source
from tabprep.kernels._handoff import fill_matrix

__all__ = ["BatchLoader"]

_STATE_VERSION = 1

_CONSTRAINTS = {
    "batch_size": [Interval(int, 1, None)],
    "split_column": [ColumnName()],
    "shuffle": ["boolean"],
    "seed": [Seed()],
    "rank": [Interval(int, 0, None)],
    "world_size": [Interval(int, 1, None)],
    "drop_last": ["boolean"],
    "dtype": [NumpyDType(("float32", "float64"))],
    "prefetch": [Interval(int, 0, None)],
    "buffer_rows": [Interval(int, 1, None)],
    "output": [Options(("numpy", "torch"))],
}

_DONE = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class BatchLoader:
    """Iterate ``(X, y)`` training batches from Parquet/IPC files (or a LazyFrame), a window at a time.

    Parameters
    ----------
    source : path, glob, folder, list of paths, polars.LazyFrame or polars.DataFrame
        Parquet and Arrow IPC files are read by row group / record batch (a unit); CSV/NDJSON
        and frames are read in slices of 131,072 rows of a lazy scan.
    features : list of str
        Numeric or boolean columns, in matrix order (after ``pipeline`` when given).
    label : str, optional
        The target column; ``y`` keeps its dtype (no nulls allowed). None: batches are ``X`` only.
    batch_size : int
    split : object, optional
        Keep only the rows whose ``split_column`` equals this value (``"train"``); None keeps all.
    split_column : str, default "split"
    shuffle : bool, default True
        Per epoch: a random unit order, then a random permutation of each window of rows.
    seed : int, default 0
        With the epoch (:meth:`set_epoch`), fixes every random choice: same seed, epoch and
        data give the same batches, bit for bit.
    rank, world_size : int, default 0, 1
        This process' shard: disjoint rows, the same number of batches on every rank.
    drop_last : bool, default False
        False: rows are padded to a multiple of ``world_size`` (the epoch's first rows repeated,
        as torch's ``DistributedSampler``) and the last batch may be short. True: the tail rows
        that do not divide evenly between the ranks, and a short last batch, are dropped.
    dtype : {"float32", "float64"}, default "float32"
        Of ``X``; nulls become NaN.
    prefetch : int, default 2
        Batches prepared ahead by a background thread (0: none, everything on the caller's thread).
    buffer_rows : int, default 1,048,576
        Rows of a shuffle window, rounded down to a multiple of ``batch_size`` (at least one batch).
        Larger windows mix rows of more units; memory grows with it.
    pipeline : FittedPipeline, optional
        Applied to each unit when it is read (the split filter runs on the raw rows first).
        ``features`` and ``label`` then name the pipeline's outputs. A pipeline with cross-fitted
        steps (target encoders) gives its training rows in-sample encodings: load training rows
        from ``Pipeline.fit_transform``'s output instead.
    output : {"numpy", "torch"}, default "numpy"
        torch tensors share the NumPy batches' memory (no copy).
    device : str or torch.device, optional
        With ``output="torch"``: move each batch there. For CUDA the windows are allocated in
        pinned host memory and copied with ``non_blocking=True``.

    Examples
    --------
    >>> import tempfile, polars as pl
    >>> from tabprep.handoff import BatchLoader
    >>> path = tempfile.mkdtemp() + "/d.parquet"
    >>> pl.DataFrame({"x": range(10), "y": [0, 1] * 5, "split": ["train"] * 8 + ["test"] * 2}).write_parquet(path)
    >>> loader = BatchLoader(path, ["x"], "y", batch_size=3, split="train", shuffle=False)
    >>> len(loader)
    3
    >>> [b[0][:, 0].tolist() for b in loader]
    [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0]]
    >>> ranks = [BatchLoader(path, ["x"], "y", batch_size=2, split="train", rank=r, world_size=2) for r in (0, 1)]
    >>> sorted(v for r in ranks for X, _ in r for v in X[:, 0].tolist())
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    """

    def __init__(
        self,
        source: Any,
        features: Sequence[str],
        label: str | None = None,
        *,
        batch_size: int,
        split: Any = None,
        split_column: str = "split",
        shuffle: bool = True,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        drop_last: bool = False,
        dtype: Any = "float32",
        prefetch: int = 2,
        buffer_rows: int = 1 << 20,
        pipeline: Any = None,
        output: str = "numpy",
        device: Any = None,
    ) -> None:
        given = dict(batch_size=batch_size, split_column=split_column, shuffle=shuffle, seed=seed, rank=rank,
                     world_size=world_size, drop_last=drop_last, dtype=dtype, prefetch=prefetch,
                     buffer_rows=buffer_rows, output=output)
        for name, value in given.items():
            check_param(value, _CONSTRAINTS[name], name, "BatchLoader")
        if rank >= world_size:
            from tabprep._constraints import param_error

            raise param_error("rank", "BatchLoader", "be < `world_size`", shown=f"rank={rank}, world_size={world_size}")
        if isinstance(features, str):
            features = [features]
        self.features = list(features)
        if not self.features:
            raise ConfigError("no feature columns given", hint="pass features=[...] naming the matrix columns")
        if label is not None and label in self.features:
            raise ConfigError(f"column {label!r} is both a feature and the label")
        self.label = label
        self.batch_size, self.split, self.split_column = batch_size, split, split_column
        self.shuffle, self.seed, self.rank, self.world_size = shuffle, seed, rank, world_size
        self.drop_last, self.dtype, self.prefetch = drop_last, np.dtype(dtype), prefetch
        self.output, self.device = output, device
        self.window_rows = max(batch_size, buffer_rows // batch_size * batch_size)
        needed = [*self.features, *([label] if label is not None else [])]
        split_key = None if split is None else (split_column, split)
        self._units = open_source(source, needed, split_key, pipeline)
        check_columns(self._units, needed)
        if pipeline is not None and getattr(pipeline, "cross_fitted_steps", None):
            import warnings

            warnings.warn(
                f"the pipeline's steps {pipeline.cross_fitted_steps} are cross-fitted: rows it was fitted on get "
                "in-sample encodings here (a target leak); load training rows from Pipeline.fit_transform's output",
                UserWarning, stacklevel=2,
            )
        self.n_rows = int(self._units.counts.sum())
        if self.n_rows == 0:
            where = "the source has no rows" if split is None else f"no row has {split_column} == {split!r}"
            raise DataError(where, path=self._units.label, column=None if split is None else split_column,
                            hint="check split= and split_column=" if split is not None else None)
        self._y_dtype = None if label is None else _label_dtype(self._units.schema[label])
        self._epoch = 0
        self._next_batch = 0  # batches of the current epoch handed to the caller
        self._unit_cache: tuple[int, pl.DataFrame] | None = None

    # ------------------------------------------------------------------ plan
    @property
    def rows_per_rank(self) -> int:
        """Rows this rank yields per epoch (padding included, dropped rows excluded)."""
        per = self.n_rows // self.world_size if self.drop_last else -(-self.n_rows // self.world_size)
        return per // self.batch_size * self.batch_size if self.drop_last else per

    def _rank_start(self) -> int:
        per = self.n_rows // self.world_size if self.drop_last else -(-self.n_rows // self.world_size)
        return self.rank * per

    def __len__(self) -> int:
        """Batches per epoch on this rank (the same on every rank)."""
        per = self.rows_per_rank
        return per // self.batch_size if self.drop_last else -(-per // self.batch_size)

    @property
    def epoch(self) -> int:
        return self._epoch

    def set_epoch(self, epoch: int) -> None:
        """Go to epoch ``epoch`` (its own unit order and permutations), at its first batch.

        Call it before each epoch as torch's ``DistributedSampler.set_epoch``. Naming the epoch the
        loader is already in keeps its position, so the usual loop also resumes a loaded state
        mid-epoch: ``for e in range(start, n): loader.set_epoch(e); for batch in loader: ...``.
        Handing out an epoch's last batch moves the loader to the next epoch by itself.
        """
        check_param(epoch, [Interval(int, 0, None)], "epoch", "BatchLoader.set_epoch")
        if epoch != self._epoch:
            self._epoch, self._next_batch = epoch, 0

    def _stream(self, epoch: int, *, shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """The epoch's unit order and the stream position where each unit starts (file order
        when the loader does not shuffle, or ``shuffle=False``)."""
        counts = self._units.counts
        order = (np.random.default_rng([self.seed, epoch]).permutation(len(counts)) if self.shuffle and shuffle
                 else np.arange(len(counts)))
        starts = np.zeros(len(order) + 1, dtype=np.int64)
        np.cumsum(counts[order], out=starts[1:])
        return order, starts

    def _unit(self, index: int) -> pl.DataFrame:
        if self._unit_cache is None or self._unit_cache[0] != index:
            self._unit_cache = (index, self._units.read(index))
        return self._unit_cache[1]

    def _pieces(self, order: np.ndarray, starts: np.ndarray, first: int, stop: int) -> Iterator[pl.DataFrame]:
        """The stream's rows ``[first, stop)`` (positions past ``N`` wrap), as unit slices in order."""
        n = self.n_rows
        pos = first
        while pos < stop:
            p = pos % n
            q = p + min(stop - pos, n - p)
            pos += q - p
            k = int(np.searchsorted(starts, p, side="right")) - 1
            while p < q:
                lo, hi = p - starts[k], min(q, starts[k + 1]) - starts[k]
                if hi > lo:
                    yield self._unit(int(order[k])).slice(int(lo), int(hi - lo))
                p = starts[k] + hi
                k += 1

    def _fill(self, order, starts, first: int, stop: int, X: np.ndarray | None, y: np.ndarray | None) -> None:
        """Write the stream's rows ``[first, stop)`` into ``X`` (the features; None: not asked)
        and ``y`` (the label, which must not be null; None: not asked), in stream order."""
        at = 0
        for piece in self._pieces(order, starts, first, stop):
            h = piece.height
            if X is not None:
                fill_matrix(X[at:at + h], [_arrow_chunks(piece.get_column(c)) for c in self.features])
            if y is not None:
                col = piece.get_column(self.label)
                if col.null_count():
                    bad = int(col.is_null().arg_max())
                    raise DataError("the label must not be null", path=self._units.label, column=self.label,
                                    hint=f"the {bad + 1}-th row of a batch window is null; drop or fill those rows")
                y[at:at + h] = col.to_numpy()
            at += h

    def _window(self, epoch: int, order, starts, w: int, used: int):
        first = w * self.window_rows
        rows = min(self.window_rows, used - first)
        base = self._rank_start()
        X = self._alloc((rows, len(self.features)), self.dtype)
        y = None if self.label is None else self._alloc((rows,), self._y_dtype)
        self._fill(order, starts, base + first, base + first + rows, X, y)
        if self.shuffle and rows > 1:
            perm = np.random.default_rng([self.seed, epoch, self.rank, w]).permutation(rows)
            X = np.take(X, perm, axis=0, out=self._alloc(X.shape, X.dtype))
            if y is not None:
                y = np.take(y, perm, out=self._alloc(y.shape, y.dtype))
        return X, y

    def _alloc(self, shape, dtype) -> np.ndarray:
        if self.output == "torch" and self.device is not None and str(self.device).startswith("cuda"):
            import torch

            # pinned host memory: the copy to the GPU can run asynchronously
            return torch.empty(shape, dtype=_torch_dtype(dtype), pin_memory=True).numpy()
        return np.empty(shape, dtype=dtype)

    def _batches(self, epoch: int, start: int) -> Iterator[tuple]:
        order, starts = self._stream(epoch)
        used = self.rows_per_rank
        per_window = self.window_rows // self.batch_size
        n_batches = len(self)
        w = start // per_window
        b = start
        while b < n_batches:
            X, y = self._window(epoch, order, starts, w, used)
            for i in range((b - w * per_window) * self.batch_size, X.shape[0], self.batch_size):
                if b >= n_batches:
                    break
                xb = X[i:i + self.batch_size]
                yield (xb,) if y is None else (xb, y[i:i + self.batch_size])
                b += 1
            w += 1

    # ------------------------------------------------------------------ iteration
    def __iter__(self) -> Iterator:
        """The batches of the current epoch from the current position (a loaded state's, or 0)."""
        epoch, start, n_batches = self._epoch, self._next_batch, len(self)
        if n_batches == 0:
            self._epoch, self._next_batch = epoch + 1, 0
            return
        source = self._batches(epoch, start) if self.prefetch == 0 else self._prefetched(epoch, start)
        for batch in source:
            # a batch counts as done once handed out; the last one moves the loader to the next epoch
            self._next_batch += 1
            if self._next_batch == n_batches:
                self._epoch, self._next_batch = epoch + 1, 0
            out = self._convert(batch)
            yield out if self.label is not None else out[0]

    def _prefetched(self, epoch: int, start: int) -> Iterator[tuple]:
        q: queue.Queue = queue.Queue(maxsize=self.prefetch)
        stop = threading.Event()

        def produce() -> None:
            try:
                for batch in self._batches(epoch, start):
                    while not stop.is_set():
                        try:
                            q.put(batch, timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
                item: Any = _DONE
            except BaseException as exc:  # handed to the consumer, raised there
                item = _Failure(exc)
            while not stop.is_set():
                try:
                    q.put(item, timeout=0.1)
                    return
                except queue.Full:
                    continue

        thread = threading.Thread(target=produce, name="tabprep-batch-loader", daemon=True)
        thread.start()
        try:
            while True:
                item = q.get()
                if item is _DONE:
                    return
                if isinstance(item, _Failure):
                    raise item.exc
                yield item
        finally:
            stop.set()
            thread.join()

    def _convert(self, batch: tuple) -> tuple:
        if self.output == "numpy":
            return batch
        import torch

        tensors = tuple(torch.from_numpy(a) for a in batch)  # shares the memory: no copy
        if self.device is not None:
            cuda = str(self.device).startswith("cuda")
            tensors = tuple(t.to(self.device, non_blocking=cuda) for t in tensors)
        return tensors

    # ------------------------------------------------------------------ boosting on disk
    def to_xgboost(self, *, external_memory: bool = True, cache_dir: str | None = None, **kwargs: Any):
        """An XGBoost matrix of this rank's rows, read batch by batch (the current epoch's order).

        ``external_memory=True``: an ``xgboost.ExtMemQuantileDMatrix`` whose pages are cached on
        disk (in a new folder under ``cache_dir``, default the temp folder), for more rows than
        memory; False: an in-memory ``QuantileDMatrix`` built from the batches. ``kwargs`` go to
        the matrix (``max_bin=``, ...). Needs ``label``.
        """
        from tabprep.handoff._external import loader_to_xgboost

        return loader_to_xgboost(self, external_memory=external_memory, cache_dir=cache_dir, **kwargs)

    def to_lightgbm(self, **kwargs: Any):
        """A ``lightgbm.Dataset`` reading this rank's rows by range through ``lightgbm.Sequence``
        (in file order, not shuffled: LightGBM samples its bin boundaries itself), so only a batch
        of rows is in memory at a time while LightGBM bins them. ``kwargs`` go to the Dataset.
        Needs ``label`` (read into memory: one float per row).
        """
        from tabprep.handoff._external import loader_to_lightgbm

        return loader_to_lightgbm(self, **kwargs)

    # ------------------------------------------------------------------ state
    def _data_id(self) -> str:
        return hashlib.sha256(self._units.counts.tobytes()).hexdigest()[:16]

    def state_dict(self) -> dict:
        """The position to resume from: plain JSON-able data (no pickle).

        The random state is a function of (``seed``, ``epoch``): with the position (batches
        already handed out in this epoch) it fixes everything that follows, so a loader given this
        state yields exactly the batches an uninterrupted one would have.
        """
        return {
            "version": _STATE_VERSION, "epoch": self._epoch, "batches_done": self._next_batch, "seed": self.seed,
            "shuffle": self.shuffle, "batch_size": self.batch_size, "buffer_rows": self.window_rows,
            "rank": self.rank, "world_size": self.world_size, "drop_last": self.drop_last,
            "rows": self.n_rows, "data": self._data_id(),
        }

    def load_state_dict(self, state: dict) -> None:
        """Resume at ``state`` (from :meth:`state_dict`). Refuses a state of another configuration
        or of other data (ConfigError naming the difference): it could not continue the same sequence."""
        if not isinstance(state, dict) or state.get("version") != _STATE_VERSION:
            raise ConfigError("not a BatchLoader state (or of another version)", found=repr(state)[:200],
                              hint="pass what BatchLoader.state_dict() returned")
        mine = self.state_dict()
        for key in ("seed", "shuffle", "batch_size", "buffer_rows", "rank", "world_size", "drop_last", "rows", "data"):
            if state.get(key) != mine[key]:
                raise ConfigError(f"the saved loader state has {key}={state.get(key)!r}, this loader {mine[key]!r}",
                                  hint="resume with the loader configuration and data of the saved run")
        self._epoch, self._next_batch = int(state["epoch"]), int(state["batches_done"])


def _label_dtype(dtype: pl.DataType) -> np.dtype:
    if dtype == pl.Boolean:
        return np.dtype(bool)
    return pl.Series([], dtype=dtype).to_numpy().dtype


def _torch_dtype(dtype: np.dtype):
    import torch

    return torch.from_numpy(np.empty(0, dtype=dtype)).dtype
