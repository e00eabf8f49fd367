"""Fitted-pipeline artifacts: a folder with a JSON manifest and Arrow IPC files, fingerprinted.

Layout (a folder, not a single-file container: every part can be read with ``cat``/``jq`` and any
Arrow reader, and a folder is written atomically by building it under a hidden temp name next to
the destination and renaming it into place)::

    ARTIFACT/
      manifest.json        format + version, schemas, steps (type/params/state), versions, lineage,
                           one entry (file, bytes, sha256) per table, fingerprint, created time
      tables/<i>-<j>.arrow one Arrow IPC file per table state (step i, its j-th table by name)

The **fingerprint** is the sha256 of the canonical JSON (sorted keys, no whitespace, floats as
Python's repr, which round-trips exactly) of the manifest without ``created`` and
``fingerprint``. The table files enter through their sha256 in the manifest, so the fingerprint
covers everything except the creation time: fitting twice on the same data gives the same
fingerprint and byte-identical files except for ``created`` (``SOURCE_DATE_EPOCH`` fixes that too).

**Loading runs no code.** :func:`load` reads JSON and Arrow IPC only; step classes come from the
step registry (built-in, registered classes) by name. Checksums catch edits, truncation and
corruption; they are not a signature against an adversary who rewrites the manifest, but such an
adversary can only change numbers, never make loading execute anything.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tabprep.errors import ArtifactError, ConfigError, TabprepError

__all__ = ["FORMAT", "FORMAT_VERSION", "save", "load", "fingerprint", "data_fingerprint", "read_manifest"]

#: Format name written in every manifest.
FORMAT = "tabprep.pipeline"
#: Newest manifest version this tabprep writes and reads.
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLES = "tables"

_TABLE_FILE = re.compile(r"^tables/[0-9]+-[0-9]+\.arrow$")
_VOLATILE = ("created", "fingerprint")  # not part of the fingerprint
_REQUIRED = ("format", "format_version", "fingerprint", "versions", "target", "input_schema",
             "output_schema", "steps", "lineage")
_STEP_KEYS = ("name", "columns", "type", "version", "params", "state", "tables")
_CHUNK = 1 << 20  # bytes per read when hashing files
_BATCH_ROWS = 1 << 20  # rows per batch when hashing a LazyFrame (bounds its memory)


def _is_replaceable_artifact(folder: Path) -> bool:
    """True only for a folder that is exactly a tabprep artifact: ``manifest.json`` whose format is
    ours, plus the ``tables/`` folder of ``.arrow`` files, and nothing else (replacing the folder
    deletes everything in it, so anything of the user's in there means no)."""
    names = {p.name for p in folder.iterdir()}
    if not names <= {MANIFEST, TABLES} or MANIFEST not in names:
        return False
    tables = folder / TABLES
    if tables.exists() and (not tables.is_dir() or any(not _TABLE_FILE.match(f"{TABLES}/{p.name}")
                                                       for p in tables.iterdir())):
        return False
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == FORMAT


# ---------------------------------------------------------------------------------------------
# canonical content
def canonical_json(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace, UTF-8, floats as ``repr``; no NaN/inf.

    Examples
    --------
    >>> canonical_json({"b": 0.1, "a": [1, "é"]})
    b'{"a":[1,"\\xc3\\xa9"],"b":0.1}'
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _ipc_file_bytes(table) -> bytes:
    """Arrow IPC file bytes of ``table`` in one record batch (chunking must not change the bytes)."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    table = table.combine_chunks()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _versions() -> dict:
    import polars as pl
    import pyarrow as pa

    from tabprep._version import __version__

    return {"tabprep": __version__, "polars": pl.__version__, "pyarrow": pa.__version__}


def _build(fitted) -> tuple[dict, dict[str, bytes]]:
    """Manifest (without ``created``/``fingerprint``) and ``{relative file: bytes}`` of the tables."""
    import pyarrow as pa

    from tabprep._dtypes import dtype_str

    d = fitted.to_dict()
    files: dict[str, bytes] = {}
    steps = []
    for i, entry in enumerate(d["steps"]):
        step = entry["step"]
        tables = {}
        for j, tname in enumerate(sorted(step.get("tables") or {})):
            table = step["tables"][tname]
            if not isinstance(table, pa.Table):
                raise ArtifactError(f"steps[{i}] {entry['name']!r}: table state {tname!r} is not a pyarrow Table",
                                    found=type(table).__name__)
            rel = f"{TABLES}/{i}-{j}.arrow"
            files[rel] = _ipc_file_bytes(table)
            tables[tname] = {"file": rel, "bytes": len(files[rel]), "sha256": _sha256(files[rel]),
                             "rows": table.num_rows}
        steps.append({"name": entry["name"], "columns": list(entry["columns"]), "type": step["type"],
                      "version": step["version"], "params": step["params"], "state": step["state"],
                      "tables": tables})
    lineage = d.get("lineage") or {}
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "seed": lineage.get("seed"),
        "target": d["target"],
        "input_schema": [list(p) for p in d["input_schema"]],
        "output_schema": [[n, dtype_str(t)] for n, t in fitted.output_schema.items()],
        "steps": steps,
        "lineage": lineage,
    }
    try:
        canonical_json(manifest)
    except (TypeError, ValueError) as exc:
        raise ArtifactError(f"the pipeline's state is not plain JSON data: {exc}",
                            hint="a step's to_dict must return JSON scalars/lists (see to_json_value)") from None
    return manifest, files


def _fingerprint_of(manifest: dict) -> str:
    content = {k: v for k, v in manifest.items() if k not in _VOLATILE}
    lineage = content.get("lineage")
    if isinstance(lineage, dict) and "paths" in lineage:
        # where the training data lay (and how its path was typed) is recorded, not fingerprinted:
        # the data's content hash is, so the same bytes give the same fingerprint from any folder
        content["lineage"] = {k: v for k, v in lineage.items() if k != "paths"}
    return _sha256(canonical_json(content))


def fingerprint(fitted) -> str:
    """sha256 (hex) of a fitted pipeline's canonical content: what :func:`save` records.

    Equal fingerprints mean equal step configs, states, schemas, lineage and library versions;
    the creation time and the training data's paths (its content hash counts) are not part of it.

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep import Pipeline
    >>> from tabprep.scale import StandardScaler
    >>> df = pl.DataFrame({"a": [1.0, 2.0, 4.0]})
    >>> f1 = Pipeline([("scale", StandardScaler(), ["a"])]).fit(df)
    >>> f2 = Pipeline([("scale", StandardScaler(), ["a"])]).fit(df)
    >>> fingerprint(f1) == fingerprint(f2) == f1.fingerprint, len(fingerprint(f1))
    (True, 64)
    """
    manifest, _ = _build(fitted)
    return _fingerprint_of(manifest)


def _created() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")  # reproducible-builds convention
    when = (_dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc) if epoch and epoch.isdigit()
            else _dt.datetime.now(_dt.timezone.utc))
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


# ---------------------------------------------------------------------------------------------
# save
def save(fitted, path: str | os.PathLike[str]) -> Path:
    """Write a fitted pipeline to the folder ``path`` (atomically; replaces an older artifact).

    Parameters
    ----------
    fitted : FittedPipeline
    path : str or os.PathLike
        Destination folder. Its parent must exist. An existing artifact there is replaced as a
        whole; any other existing file or non-empty folder is refused.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ConfigError
        The destination exists and is not a tabprep artifact, or its parent folder is missing.
    ArtifactError
        A step's state is not plain data.

    Examples
    --------
    >>> import tempfile, polars as pl
    >>> from tabprep import Pipeline, load
    >>> from tabprep.scale import StandardScaler
    >>> fitted = Pipeline([("scale", StandardScaler(), ["a"])]).fit(pl.DataFrame({"a": [1.0, 3.0]}))
    >>> out = fitted.save(tempfile.mkdtemp() + "/model")
    >>> sorted(p.name for p in out.iterdir())
    ['manifest.json', 'tables']
    >>> load(out).transform(pl.DataFrame({"a": [2.0]}))["a"].to_list()
    [0.0]
    """
    from tabprep.io import atomic_path

    dest = Path(path).resolve()
    if dest.exists() or dest.is_symlink():
        if not dest.is_dir() or (any(dest.iterdir()) and not _is_replaceable_artifact(dest)):
            raise ConfigError("the output path exists and is not a tabprep artifact (or holds other files); "
                              "refusing to replace it", path=dest,
                              hint="choose a new folder name, or remove it first")
    manifest, files = _build(fitted)
    fp = _fingerprint_of(manifest)
    manifest = {**manifest, "fingerprint": fp, "created": _created()}
    with atomic_path(dest) as tmp:
        (tmp / TABLES).mkdir(parents=True)
        for rel, data in files.items():
            (tmp / rel).write_bytes(data)
        # sorted keys and a fixed indent: deterministic bytes, still readable
        (tmp / MANIFEST).write_text(json.dumps(manifest, sort_keys=True, indent=1, ensure_ascii=False,
                                               allow_nan=False) + "\n", encoding="utf-8")
    return dest


# ---------------------------------------------------------------------------------------------
# load
def _reject_constant(name: str):
    raise ValueError(f"non-standard JSON constant {name}")


def read_manifest(path: str | os.PathLike[str], *, verify: bool = True) -> dict:
    """Read and check an artifact's manifest (format, version, fingerprint); return it as a dict.

    Parameters
    ----------
    path : str or os.PathLike
        The artifact folder.
    verify : bool, default True
        Recompute the fingerprint and compare it with the recorded one.

    Raises
    ------
    ArtifactError
        Missing folder or manifest, malformed JSON, unknown format, newer version, checksum mismatch.
    """
    root = Path(path)
    if not root.exists():
        raise ArtifactError("artifact not found", path=root, hint="check the path (an artifact is a folder)")
    if not root.is_dir():
        raise ArtifactError("not a tabprep artifact: expected a folder holding manifest.json", path=root)
    mpath = root / MANIFEST
    try:
        raw = mpath.read_bytes()
    except FileNotFoundError:
        raise ArtifactError("manifest.json is missing: not a tabprep artifact, or an incomplete copy",
                            path=root) from None
    try:
        manifest = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise ArtifactError(f"manifest.json is not UTF-8 text ({exc.reason} at byte {exc.start})", path=mpath) from None
    except RecursionError:
        raise ArtifactError("manifest.json is malformed JSON (nested too deeply)", path=mpath) from None
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"manifest.json is malformed JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
                            path=mpath, hint="the file was edited or truncated; re-create the artifact") from None
    except ValueError as exc:
        raise ArtifactError(f"manifest.json is malformed JSON ({exc})", path=mpath) from None
    if not isinstance(manifest, dict):
        raise ArtifactError("manifest.json must hold a JSON object", path=mpath, found=type(manifest).__name__)
    if manifest.get("format") != FORMAT:
        raise ArtifactError(f"unknown artifact format; expected {FORMAT!r}", path=mpath,
                            found=repr(manifest.get("format")))
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ArtifactError("invalid format_version", path=mpath, found=repr(version))
    if version > FORMAT_VERSION:
        raise ArtifactError(
            f"artifact format version {version} is newer than this tabprep supports ({FORMAT_VERSION})",
            path=mpath, hint="upgrade tabprep to load it",
        )
    missing = [k for k in _REQUIRED if k not in manifest]
    if missing:
        raise ArtifactError("manifest.json lacks required keys", path=mpath, found=", ".join(missing))
    if verify:
        try:
            actual = _fingerprint_of(manifest)
        except (TypeError, ValueError) as exc:
            raise ArtifactError(f"manifest.json holds non-canonical data ({exc})", path=mpath) from None
        if actual != manifest["fingerprint"]:
            raise ArtifactError(
                "manifest checksum mismatch: manifest.json was edited or corrupted",
                path=mpath, found=f"fingerprint {actual}, recorded {manifest['fingerprint']}",
                hint="re-create the artifact from the pipeline spec and data",
            )
    return manifest


def _read_table(root: Path, where: str, tname: str, entry: Any):
    import pyarrow as pa

    if not isinstance(entry, dict) or not {"file", "bytes", "sha256"} <= set(entry):
        raise ArtifactError(f"{where}: table {tname!r} entry needs file, bytes, sha256", path=root / MANIFEST)
    rel = entry["file"]
    if not isinstance(rel, str) or not _TABLE_FILE.match(rel):
        # only our own names: never follow a path out of the artifact folder
        raise ArtifactError(f"{where}: invalid table file name", path=root / MANIFEST, found=repr(rel))
    fpath = root / rel
    try:
        data = fpath.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise ArtifactError(f"{where}: table file {rel} is missing", path=root,
                            hint="the artifact was copied incompletely; copy the whole folder") from None
    if len(data) != entry["bytes"]:
        raise ArtifactError(f"{where}: table file is truncated or was changed", path=fpath,
                            found=f"{len(data)} bytes, expected {entry['bytes']}")
    if _sha256(data) != entry["sha256"]:
        raise ArtifactError(f"{where}: table file checksum mismatch: it was edited or corrupted", path=fpath,
                            found=f"sha256 {_sha256(data)}, expected {entry['sha256']}")
    try:
        return pa.ipc.open_file(pa.BufferReader(data)).read_all()
    except (pa.ArrowException, OSError) as exc:
        raise ArtifactError(f"{where}: table file is not valid Arrow IPC ({exc})", path=fpath) from None


def load(path: str | os.PathLike[str]):
    """Load a fitted pipeline saved by :func:`save` / ``FittedPipeline.save``.

    Reads JSON and Arrow IPC only, checks every checksum, and builds steps only from the step
    registry: loading an artifact never runs code from it.

    Parameters
    ----------
    path : str or os.PathLike
        The artifact folder.

    Returns
    -------
    FittedPipeline

    Raises
    ------
    ArtifactError
        Missing/truncated/edited files, malformed JSON, unknown format or newer version, unknown
        step type, state that does not fit its step; the message names the file and the step.

    Examples
    --------
    >>> import tempfile, polars as pl
    >>> from tabprep import Pipeline, load
    >>> from tabprep.scale import StandardScaler
    >>> fitted = Pipeline([("scale", StandardScaler(), ["a"])]).fit(pl.DataFrame({"a": [1.0, 3.0]}))
    >>> again = load(fitted.save(tempfile.mkdtemp() + "/model"))
    >>> again.fingerprint == fitted.fingerprint, again.feature_names_out
    (True, ['a'])
    """
    from tabprep._dtypes import parse_dtype
    from tabprep.pipeline._fitted import FittedPipeline
    from tabprep.pipeline._step import Step, step_registry

    root = Path(path)
    manifest = read_manifest(root)
    mpath = root / MANIFEST
    steps_in = manifest["steps"]
    if not isinstance(steps_in, list):
        raise ArtifactError("'steps' must be a list", path=mpath)
    registry = step_registry()
    steps = []
    for i, entry in enumerate(steps_in):
        name = entry.get("name") if isinstance(entry, dict) else None
        where = f"steps[{i}] {name!r}"
        if not isinstance(entry, dict) or not set(_STEP_KEYS) <= set(entry):
            found = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
            raise ArtifactError(f"{where}: a step needs the keys {', '.join(_STEP_KEYS)}", path=mpath, found=found)
        if entry["type"] not in registry:
            raise ArtifactError(f"{where}: unknown step type {entry['type']!r}", path=mpath,
                                hint="written by a newer tabprep or edited; known steps: "
                                     + ", ".join(sorted(registry)))
        tables = entry["tables"]
        if not isinstance(tables, dict):
            raise ArtifactError(f"{where}: 'tables' must be an object", path=mpath)
        step_dict = {"type": entry["type"], "version": entry["version"], "params": entry["params"],
                     "state": entry["state"],
                     "tables": {t: _read_table(root, where, t, e) for t, e in sorted(tables.items())}}
        try:
            step = Step.from_dict(step_dict)
        except ArtifactError as exc:
            raise ArtifactError(f"{where}: {exc.message}", path=mpath, found=exc.found, hint=exc.hint) from None
        columns = entry["columns"]
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise ArtifactError(f"{where}: 'columns' must be a list of names", path=mpath)
        steps.append((str(name), step, columns))
    try:
        schema = {str(n): parse_dtype(t) for n, t in manifest["input_schema"]}
        expected_out = [(str(n), parse_dtype(t)) for n, t in manifest["output_schema"]]
    except (TypeError, ValueError) as exc:  # ConfigError is a ValueError
        raise ArtifactError(f"invalid schema in the manifest ({exc})", path=mpath) from None
    lineage = manifest["lineage"]
    if not isinstance(lineage, dict):
        raise ArtifactError("'lineage' must be an object", path=mpath)
    try:
        fitted = FittedPipeline(steps, schema, manifest["target"], lineage)
    except TabprepError as exc:
        raise ArtifactError(f"the steps do not fit together: {exc}", path=mpath) from None
    if list(fitted.output_schema.items()) != expected_out:
        raise ArtifactError(
            "the rebuilt pipeline's output columns differ from the ones recorded in the manifest",
            path=mpath, found=f"{list(fitted.output_schema.items())[:10]}",
            hint="the artifact needs the tabprep version that wrote it "
                 f"({manifest['versions'].get('tabprep') if isinstance(manifest['versions'], dict) else '?'})",
        )
    return fitted


# ---------------------------------------------------------------------------------------------
# data fingerprints (lineage)
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
    from concurrent.futures import ThreadPoolExecutor

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

    # hashlib, NumPy and pyarrow release the GIL on large buffers: two threads use both cores
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        for batch in batches:
            list(pool.map(feed, columns, [batch.get_column(n) for n in names]))
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

    Files are read in 1 MiB pieces; frames are hashed column by column on two threads.

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

    from tabprep.io import scan
    from tabprep.io._formats import expand_source

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
    except TabprepError:
        raise
    except Exception:  # noqa: BLE001 - a row count is informative; the hash is what matters
        rows = None
    return {"data_fingerprint": h.hexdigest(), "kind": fmt, "paths": names, "rows": rows}


def _common_base(source, files: list[str]) -> str:
    if isinstance(source, (str, os.PathLike)) and Path(source).is_dir():
        return os.fspath(source)
    return os.path.commonpath([os.path.dirname(os.path.abspath(f)) for f in files]) if files else "."
