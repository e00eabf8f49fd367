"""How the encoders hand their results back: output dtypes, frames from matrices, batch caches.

Shared by every encoder of :mod:`tabprep.encode` (the hashing one included, which has no
categories): the ``dtype`` parameter's constraint and its NumPy/Polars dtypes, the one
small-batch threshold, a 2-D result in the input's container, and the per-batch cache that lets
several lazy output expressions of one input column share one pass over each batch.
"""

from __future__ import annotations

import threading
import weakref
from functools import partial

import numpy as np
import polars as pl

from tabprep.errors import ConfigError
from tabprep.io._dispatch import convert_output
from tabprep._base.batches import BatchKey
from tabprep._base.params import Constraint, check_param

__all__ = ["SMALL_BATCH", "OutputDType", "numpy_out_dtype", "out_dtype", "output_float_dtypes", "polars_dtype",
           "frame_of", "wrap", "BatchCache", "is_polars_dtype", "unnested_outputs"]

#: Inputs of at most this many rows take the per-value paths (Python dict lookups, frames built
#: from Python rows): below it the fixed cost of handing buffers to a kernel or NumPy (~10 us a
#: call) is more than the work. One threshold for every encoder.
SMALL_BATCH = 16


def is_polars_dtype(d) -> bool:
    return isinstance(d, pl.DataType) or (isinstance(d, type) and issubclass(d, pl.DataType))


def _as_numpy_dtype(dtype) -> np.dtype | None:
    try:
        if is_polars_dtype(dtype):
            return np.dtype(pl.Series([], dtype=dtype).to_numpy().dtype)
        return np.dtype(dtype)
    except Exception:  # noqa: BLE001 - NumPy and Polars raise several kinds
        return None


class OutputDType(Constraint):
    """An output dtype: NumPy dtype-like or Polars dtype of the given kinds (``"iufb"``), 32 or 64
    bits for floats, at most 64 bits.

    Examples
    --------
    >>> OutputDType("iuf").is_satisfied_by("float32"), OutputDType("iuf").is_satisfied_by("U8")
    (True, False)
    """

    def __init__(self, kinds: str = "iuf", text: str = "a numeric NumPy or Polars dtype "
                 "(e.g. np.float64, 'float32', pl.UInt8)") -> None:
        self.kinds, self.text = kinds, text

    def is_satisfied_by(self, value) -> bool:
        out = _as_numpy_dtype(value)
        return (out is not None and out.kind in self.kinds and not (out.kind == "f" and out.itemsize < 4)
                and out.itemsize <= 8)

    def __str__(self) -> str:
        return self.text


def numpy_out_dtype(dtype) -> np.dtype:
    """The NumPy dtype a (validated) ``dtype`` parameter names."""
    out = _as_numpy_dtype(dtype)
    if out is None:
        raise ConfigError(f"not a dtype: {dtype!r}")  # validate_params lets none through
    return out


def out_dtype(step) -> np.dtype:
    """The NumPy output dtype of ``step``, its ``dtype`` checked against the declared constraint
    (for callers that may run before ``validate_params``, e.g. the planner)."""
    check_param(step.dtype, type(step)._parameter_constraints["dtype"], "dtype", type(step).__name__)
    return numpy_out_dtype(step.dtype)


def output_float_dtypes(dtype) -> list[str]:
    """scikit-learn's ``preserves_dtype`` tag for an encoder writing ``dtype`` whatever the input."""
    out = _as_numpy_dtype(dtype)
    return [out.name] if out is not None and out.kind == "f" else []


_POLARS_DTYPES: dict = {}


def polars_dtype(np_dtype: np.dtype):
    """The Polars dtype of a NumPy dtype (memoized: it sits on the per-call path)."""
    np_dtype = np.dtype(np_dtype)
    dt = _POLARS_DTYPES.get(np_dtype)
    if dt is None:
        dt = _POLARS_DTYPES[np_dtype] = pl.Series(np.empty(0, dtype=np_dtype)).dtype
    return dt


def frame_of(out: np.ndarray, names: list[str]) -> pl.DataFrame:
    """A Polars frame over the columns of a 2-D array (no copy when it is Fortran-ordered)."""
    if 0 < out.shape[0] <= SMALL_BATCH:
        # serving-size frames: building from Python rows skips Polars' per-column NumPy import,
        # which costs ~10 us a column
        df = pl.DataFrame(out.tolist(), schema=names, orient="row")
        dt = polars_dtype(out.dtype)
        return df if df.dtypes[0] == dt else df.cast(dt)  # one inferred dtype for all columns
    if out.flags.f_contiguous:
        # a Series over each column keeps its buffer (pl.from_numpy copies part of it)
        return pl.DataFrame([pl.Series(name, out[:, j]) for j, name in enumerate(names)])
    return pl.from_numpy(out, schema=names, orient="row")


def wrap(out: np.ndarray, names: list[str], data, config: str, *, null_nan: bool = False, polars_dtypes=None):
    """A 2-D output in the input's container (``data`` is the :class:`~tabprep.io._dispatch.Coerced`
    input, ``config`` the ``set_output`` choice); NaN becomes null in Polars with ``null_nan``."""
    if data.kind == "numpy" and config == "default":
        return out
    if config == "pandas" or (config == "default" and data.kind == "pandas"):
        import pandas as pd

        frame = pd.DataFrame(out, columns=names, copy=False)
        if data.index is not None and len(data.index) == len(frame):
            frame.index = data.index
        return frame
    df = frame_of(out, names)
    if null_nan and out.dtype.kind == "f":
        df = df.fill_nan(None)
    if polars_dtypes is not None and df.dtypes != list(polars_dtypes):
        df = df.cast(dict(zip(names, polars_dtypes)))
    if config in ("default", "polars") and data.kind == "polars":
        return df
    return convert_output(df.lazy(), data, config)


def unnested_outputs(name: str, names, dtype, columns_of) -> pl.Expr:
    """One expression giving the output columns ``names`` (each of Polars ``dtype``) of input
    column ``name``: ``columns_of(batch)`` gives a batch's output columns in order (arrays or
    Series), returned as one struct and unnested.

    Polars runs a Python call once per expression and does not merge identical calls of several
    expressions, but it merges the one call under ``struct.unnest()`` (common subexpression
    elimination): each batch is encoded once for all of its outputs, streamed (one call per
    morsel) or in memory (one call per column). A plan collected without that optimization calls
    once per output; the steps' ``BatchCache`` then still encodes each batch once.
    """
    names = tuple(names)
    return pl.col(name).map_batches(partial(_struct_batch, columns_of, names), is_elementwise=True,
                                    return_dtype=pl.Struct({n: dtype for n in names})).struct.unnest()


def _struct_batch(columns_of, names: tuple, s: pl.Series) -> pl.Series:
    fields = [v.alias(n) if isinstance(v, pl.Series) else pl.Series(n, v) for n, v in zip(names, columns_of(s))]
    return pl.DataFrame(fields).to_struct(s.name)


class BatchCache:
    """Per-batch results shared by the several output columns of one input column.

    A lazy transform producing k columns from one input column (one-hot, hashing, multiclass
    target encoding) is one expression (:func:`unnested_outputs`) whose call Polars runs once per
    batch; a plan collected without common subexpression elimination runs it once per output
    column, and this cache then encodes each batch once all the same.

    A batch is recognized by its content (:class:`tabprep._base.batches.BatchKey`: the same
    buffers, else byte-equal ones; Polars may hand each expression its own copy of a batch); the
    entry keeps a reference to the batch, so its buffers cannot be freed and their addresses
    reused while the entry lives. With ``weak=True`` an entry holds its value (a NumPy array) only
    weakly: a value whose outputs are views of it (one-hot's indicator block) lives as long as
    those outputs, not as long as the encoder.
    """

    def __init__(self, size: int = 4, weak: bool = False) -> None:
        self._size = size
        self._weak = weak
        self._lock = threading.Lock()
        self._entries: list = []  # [(BatchKey, value or weak reference)], the newest last

    def __getstate__(self):
        return {"_size": self._size, "_weak": self._weak}

    def __setstate__(self, state) -> None:
        self.__init__(state["_size"], state.get("_weak", False))

    def get(self, column: int, s: pl.Series, compute):
        key = BatchKey.of_series(column, s)
        with self._lock:
            entries = self._entries[::-1]
        for entry in entries:  # compared outside the lock: the other outputs' calls run meanwhile
            if key.same(entry[0]):
                value = entry[1]() if self._weak else entry[1]
                if value is not None:
                    with self._lock:  # the most recently used last
                        at = next((i for i, e in enumerate(self._entries) if e is entry), None)
                        if at is not None:
                            self._entries.append(self._entries.pop(at))
                    return value
        value = compute(s)
        with self._lock:
            self._entries.append((key, weakref.ref(value) if self._weak else value))
            del self._entries[:-self._size]
        return value
