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
from pathlib import Path
from typing import Any

from tabprep._base.codec import canonical_json
from tabprep._dtypes import dtype_str
from tabprep._version import __version__
from tabprep.errors import ArtifactError, ConfigError
from tabprep.io import atomic_path

__all__ = ["FORMAT", "FORMAT_VERSION", "MANIFEST", "save", "fingerprint", "read_manifest", "read_table"]

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
STEP_KEYS = ("name", "columns", "type", "version", "params", "state", "tables")


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


    return {"tabprep": __version__, "polars": pl.__version__, "pyarrow": pa.__version__}


def _build(fitted) -> tuple[dict, dict[str, bytes]]:
    """Manifest (without ``created``/``fingerprint``) and ``{relative file: bytes}`` of the tables."""
    import pyarrow as pa


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


def read_table(root: Path, where: str, tname: str, entry: Any):
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
