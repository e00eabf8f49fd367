"""Data lineage: a canonical, chunking-independent fingerprint of a training data source.

A fitted pipeline records where its training data came from (``FittedPipeline.lineage``); later
layers (drift checks, the CLI's guard against transforming the training rows with in-sample
encodings) compare such fingerprints. Files are hashed by their bytes, frames column by column
from their Arrow buffers, so the same rows give the same fingerprint however they are chunked.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from tabprep._base.codec import canonical_json
from tabprep._config import run_tasks
from tabprep.errors import ArtifactError, ConfigError, DataError, TabprepError
from tabprep.io import scan
from tabprep.io._formats import expand_source

__all__ = ["data_fingerprint"]

_CHUNK = 1 << 20  # bytes per read when hashing files
_BATCH_ROWS = 1 << 20  # rows per batch when hashing a LazyFrame (bounds its memory)


def _hash_file(h, path: str) -> int:
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return size


def _canonical_type(t):
    """The Arrow type a column is hashed as: one layout per logical type."""
    import pyarrow as pa

    if pa.types.is_dictionary(t):
        return _canonical_type(t.value_type)
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.large_string()
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return pa.large_binary()
    return t


def _byte_width(t) -> int:
    """Bytes per value of a fixed-width primitive type (numbers, temporal, decimal); else 0."""
    if t.num_buffers != 2:
        return 0
    try:
        bits = t.bit_width
    except ValueError:  # variable width (lists, strings)
        return 0
    return bits // 8 if bits % 8 == 0 else 0


class _ColumnHash:
    """Streaming, canonical hash of one column, fed chunk by chunk.

    Separate streams for the null positions, the values and (variable width) the lengths make the
    digest independent of how the column is split into chunks; values under null slots are
    zeroed first (Arrow leaves them undefined); strings/binary are hashed as plain bytes whatever
    their Arrow layout (views, 32/64-bit offsets), categoricals as their strings.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.type: str | None = None
        self.rows = 0
        self.nulls = hashlib.sha256()
        self.values = hashlib.sha256()
        self.lengths = hashlib.sha256()

    def update(self, arr) -> None:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        if pa.types.is_dictionary(arr.type):
            # decode: categoricals hash as their strings (Polars exports views, which `take` lacks)
            values = arr.dictionary
            arr = values.cast(_canonical_type(values.type)).take(arr.indices)
        t = _canonical_type(arr.type)
        if t != arr.type:
            arr = arr.cast(t)
        n = len(arr)
        mask = None
        if arr.null_count and not pa.types.is_null(t):
            mask = arr.is_null().to_numpy(zero_copy_only=False)
            self.nulls.update((np.flatnonzero(mask) + self.rows).astype("<i8"))
        if pa.types.is_boolean(t):
            self.values.update(pc.fill_null(arr, False).cast(pa.uint8()).to_numpy(zero_copy_only=False))
        elif _byte_width(t):
            width = _byte_width(t)
            data = np.frombuffer(arr.buffers()[1], dtype=np.uint8, count=(arr.offset + n) * width)[arr.offset * width:]
            if mask is not None:
                data = data.reshape(n, width).copy()
                data[mask] = 0
            self.values.update(data)
        elif pa.types.is_large_string(t) or pa.types.is_large_binary(t):
            if mask is not None:
                arr = pc.fill_null(arr, "" if pa.types.is_large_string(t) else b"")
            offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64, count=arr.offset + n + 1)[arr.offset:]
            self.lengths.update(np.diff(offsets).astype("<i8"))
            if n:
                self.values.update(memoryview(arr.buffers()[2])[offsets[0]:offsets[-1]])
        elif not pa.types.is_null(t):
            # nested and other rare types: one canonical JSON line per value (slow, exact)
            for value in arr.to_pylist():
                self.values.update(json.dumps(value, sort_keys=True, default=str).encode() + b"\n")
        self.rows += n

    def digest(self) -> bytes:
        return hashlib.sha256(canonical_json([self.name, self.type, self.rows]) + self.nulls.digest()
                              + self.values.digest() + self.lengths.digest()).digest()


def _frame_digest(columns: list[_ColumnHash]) -> str:
    h = hashlib.sha256(b"tabprep frame hash 1\n")
    for col in columns:
        h.update(col.digest())
    return h.hexdigest()


def _hash_batches(names: list[str], batches: Iterator) -> tuple[str, int]:
    """Hash a stream of Polars DataFrames (same columns); columns in parallel, batches in order."""
    import polars as pl

    columns = [_ColumnHash(n) for n in names]

    def feed(col: _ColumnHash, series) -> None:
        # chunk by chunk (no rechunk copy); the oldest compat level exports strings as
        # large_string, converted by Polars faster than a pyarrow cast of the views would be
        for chunk in series.get_chunks():
            arr = chunk.to_arrow(compat_level=pl.CompatLevel.oldest())
            if col.type is None:
                col.type = str(_canonical_type(arr.type))
            col.update(arr)
        if col.type is None:
            col.type = str(_canonical_type(series.to_arrow(compat_level=pl.CompatLevel.oldest()).type))

    # hashlib, NumPy and pyarrow release the GIL on large buffers, so columns hash in parallel;
    # each column's stream sees its batches in order, whichever thread feeds it
    for batch in batches:
        series = [batch.get_column(n) for n in names]
        run_tasks(lambda j: feed(columns[j], series[j]), len(columns))
    return _frame_digest(columns), columns[0].rows if columns else 0


def data_fingerprint(source) -> dict:
    """Lineage of a training data source: a streamed sha256 of its bytes, its paths and rows.

    - a file: sha256 of the file's bytes (the same as ``sha256sum FILE``);
    - a folder, a glob pattern or a list of files: the files :func:`tabprep.io.scan` would read,
      in sorted order, each hashed as its relative name, its size and its bytes;
    - an in-memory frame (Polars, pyarrow, pandas) or a LazyFrame (collected in streaming
      batches): per column, sha256 streams of its null positions, its values (nulls zeroed) and,
      for strings, their lengths, straight from the Arrow buffers of the frame as Polars holds
      it, combined with the names and types. The result depends on the rows only, not on how they
      are chunked or which container they came in (the same rows in a file and in memory give
      different fingerprints: one hashes the file's bytes);
    - a NumPy array: sha256 of its dtype, shape and C-ordered bytes.

    Files are read in 1 MiB pieces; frames are hashed column by column, columns in parallel on
    the threads :func:`tabprep.set_threads` allows (the fingerprint does not depend on them).

    Parameters
    ----------
    source : path, list of paths, polars/pyarrow/pandas frame, LazyFrame or NumPy array

    Returns
    -------
    dict
        ``{"data_fingerprint": hex, "kind": ..., "paths": [...], "rows": int | None}``; ``paths``
        is empty for in-memory data.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"a": [1, 2, 3]})
    >>> fp = data_fingerprint(df)
    >>> fp["rows"], fp["paths"], fp == data_fingerprint(pl.concat([df[:1], df[1:]], rechunk=False))
    (3, [], True)
    """
    import numpy as np
    import polars as pl
    import pyarrow as pa

    if isinstance(source, (str, os.PathLike, list, tuple)):
        return _files_fingerprint(source)
    if isinstance(source, pl.LazyFrame):
        names = source.collect_schema().names()
        batches = source.collect_batches(chunk_size=_BATCH_ROWS, maintain_order=True)
        digest, rows = _hash_batches(names, batches)
        if rows == 0:  # perhaps no batch came at all: take the types from an empty frame
            digest, rows = _hash_batches(names, iter([source.limit(0).collect()]))
        return {"data_fingerprint": digest, "kind": "frame", "paths": [], "rows": rows}
    if isinstance(source, pl.DataFrame):
        df = source
    elif isinstance(source, (pa.Table, pa.RecordBatch)):
        df = pl.from_arrow(source)
    elif type(source).__module__.split(".")[0] == "pandas":
        df = pl.from_pandas(source)
    elif isinstance(source, np.ndarray) or hasattr(source, "__array__"):
        arr = np.ascontiguousarray(np.asarray(source))
        if arr.dtype.hasobject:
            raise ConfigError("cannot fingerprint an object array", hint="pass a numeric array or a frame")
        h = hashlib.sha256(f"ndarray:{arr.dtype.str}:{arr.shape}\n".encode())
        h.update(memoryview(arr).cast("B"))
        return {"data_fingerprint": h.hexdigest(), "kind": "array", "paths": [],
                "rows": int(arr.shape[0]) if arr.ndim else 1}
    else:
        raise ConfigError(f"cannot fingerprint a {type(source).__name__}",
                          hint="pass a path, a Polars/pyarrow/pandas frame or a NumPy array")
    digest, rows = _hash_batches(df.columns, iter([df]))
    return {"data_fingerprint": digest, "kind": "frame", "paths": [], "rows": df.height}


def _files_fingerprint(source) -> dict:
    import polars as pl

    files, fmt, _hive, _label = expand_source(source, None)
    h = hashlib.sha256()
    if isinstance(source, (str, os.PathLike)) and Path(source).is_file():
        _hash_file(h, files[0])
        names = [str(Path(source).resolve())]
    else:
        base = _common_base(source, files)
        names = []
        for f in files:
            rel = Path(os.path.relpath(f, base)).as_posix()
            names.append(rel)
            size = os.path.getsize(f)
            # name and size first, so the boundary between files is part of the hash
            h.update(rel.encode() + b"\0" + str(size).encode() + b"\0")
            if _hash_file(h, f) != size:
                raise ArtifactError("the file changed while it was being fingerprinted", path=f)
    try:
        rows = int(scan(source).select(pl.len()).collect().item())
    except DataError:  # rows the default reading refuses (a ragged CSV read with --ragged): no count
        rows = None
    except TabprepError:
        raise
    except Exception:  # noqa: BLE001 - a row count is informative; the hash is what matters
        rows = None
    return {"data_fingerprint": h.hexdigest(), "kind": fmt, "paths": names, "rows": rows}


def _common_base(source, files: list[str]) -> str:
    if isinstance(source, (str, os.PathLike)) and Path(source).is_dir():
        return os.fspath(source)
    return os.path.commonpath([os.path.dirname(os.path.abspath(f)) for f in files]) if files else "."
