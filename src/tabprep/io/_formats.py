"""File formats: names, aliases, extensions, compressions; resolving a path to a list of files.

Pure Python (no Polars import) so the CLI can validate options before paying for Polars.
"""

from __future__ import annotations

import glob as _glob
import os
from pathlib import Path

from tabprep.errors import ConfigError

__all__ = [
    "FORMATS",
    "COMPRESSIONS",
    "normalize_format",
    "format_from_path",
    "compression_from_path",
    "normalize_compression",
    "expand_source",
]

#: The four formats tabprep reads and writes, by canonical name.
FORMATS: tuple[str, ...] = ("csv", "parquet", "ipc", "ndjson")

_ALIASES = {
    "csv": "csv",
    "parquet": "parquet",
    "pq": "parquet",
    "ipc": "ipc",
    "arrow": "ipc",
    "feather": "ipc",
    "ndjson": "ndjson",
    "jsonl": "ndjson",
}

_EXTENSIONS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".arrow": "ipc",
    ".ipc": "ipc",
    ".feather": "ipc",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}

# Whole-file compression is a property of the text formats only; Parquet and IPC compress inside.
_COMPRESSION_SUFFIXES = {".gz": "gzip", ".zst": "zstd"}

#: Valid ``compression`` values of :func:`tabprep.io.write`, per format (first = default).
COMPRESSIONS: dict[str, tuple[str, ...]] = {
    "csv": ("uncompressed", "gzip", "zstd"),
    "ndjson": ("uncompressed", "gzip", "zstd"),
    "parquet": ("zstd", "snappy", "lz4", "gzip", "brotli", "uncompressed"),
    "ipc": ("uncompressed", "lz4", "zstd"),
}

_GLOB_CHARS = frozenset("*?[")


def _format_list() -> str:
    return ", ".join(FORMATS)


def normalize_format(fmt: str) -> str:
    """Return the canonical format name for ``fmt`` (``"arrow"`` -> ``"ipc"``, ...).

    Raises
    ------
    ConfigError
        If ``fmt`` names no known format.

    Examples
    --------
    >>> from tabprep.io import normalize_format
    >>> normalize_format("Arrow"), normalize_format("jsonl")
    ('ipc', 'ndjson')
    """
    key = str(fmt).strip().lower().lstrip(".")
    try:
        return _ALIASES[key]
    except KeyError:
        raise ConfigError(
            "unknown file format",
            found=repr(fmt),
            hint=f"use one of {_format_list()} (aliases: arrow/feather = ipc, jsonl = ndjson, pq = parquet)",
        ) from None


def _split_suffixes(name: str) -> tuple[str, str | None]:
    """Return (format extension, compression) of a file name like ``x.csv.gz``."""
    lower = name.lower()
    for suffix, compression in _COMPRESSION_SUFFIXES.items():
        if lower.endswith(suffix):
            return os.path.splitext(lower[: -len(suffix)])[1], compression
    return os.path.splitext(lower)[1], None


def format_from_path(path: str | os.PathLike[str], *, required: bool = True) -> str | None:
    """Infer the format from a file name's extension (``.csv``, ``.csv.gz``, ``.parquet``, ...).

    Returns ``None`` when the extension is unknown and ``required`` is false.

    Raises
    ------
    ConfigError
        If the extension is unknown and ``required`` is true (the message lists the known ones).

    Examples
    --------
    >>> from tabprep.io import format_from_path
    >>> format_from_path("data/train.csv.gz"), format_from_path("x.feather")
    ('csv', 'ipc')
    >>> format_from_path("notes.txt", required=False) is None
    True
    """
    ext, compression = _split_suffixes(os.path.basename(os.fspath(path)))
    fmt = _EXTENSIONS.get(ext)
    if fmt is not None and compression is not None and fmt not in ("csv", "ndjson"):
        fmt = None  # .parquet.gz is not something Polars can read
    if fmt is None and required:
        known = ", ".join(sorted(_EXTENSIONS)) + " (csv/ndjson also .gz, .zst)"
        raise ConfigError(
            "cannot tell the file format from the extension",
            path=path,
            found=repr(ext or "no extension"),
            hint=f"name the file with one of {known}, or give the format explicitly "
            f"(format=... / --format; one of {_format_list()})",
        )
    return fmt


def compression_from_path(path: str | os.PathLike[str]) -> str | None:
    """Whole-file compression implied by the name (``.gz`` -> ``"gzip"``, ``.zst`` -> ``"zstd"``)."""
    return _split_suffixes(os.path.basename(os.fspath(path)))[1]


def normalize_compression(compression: str | None, fmt: str) -> str | None:
    """Validate ``compression`` for ``fmt``; ``"none"`` means ``"uncompressed"``."""
    if compression is None:
        return None
    value = str(compression).strip().lower()
    if value in ("none", "no", "off"):
        value = "uncompressed"
    valid = COMPRESSIONS[fmt]
    if value not in valid:
        raise ConfigError(
            f"unsupported compression for {fmt} output",
            found=repr(compression),
            hint=f"use one of {', '.join(valid)}",
        )
    return value


def _is_hidden(name: str) -> bool:
    # '.' covers our own in-progress temp files; '_' covers _SUCCESS, _metadata, _delta_log...
    return name.startswith((".", "_"))


def _has_glob(text: str) -> bool:
    return any(ch in _GLOB_CHARS for ch in text)


def _files_in_folder(folder: Path) -> list[Path]:
    files = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not _is_hidden(d))
        files.extend(Path(root, n) for n in names if not _is_hidden(n))
    return sorted(files)


def _is_hive(files: list[Path], folder: Path) -> bool:
    for f in files:
        if any("=" in part for part in f.relative_to(folder).parts[:-1]):
            return True
    return False


def expand_source(
    source: str | os.PathLike[str] | list[str | os.PathLike[str]] | tuple[str | os.PathLike[str], ...],
    fmt: str | None,
) -> tuple[list[str], str, bool, str]:
    """Resolve ``source`` to concrete files.

    Parameters
    ----------
    source
        A file, a folder (every non-hidden data file under it, recursively), a glob pattern, or a
        list of files.
    fmt
        Explicit format, or ``None`` to infer it from the extensions.

    Returns
    -------
    files, fmt, hive, label
        Sorted file paths (deterministic order), the canonical format, whether the folder uses
        ``key=value`` (hive) sub-folders, and a short text naming the source for error messages.
    """
    fmt = None if fmt is None else normalize_format(fmt)
    if isinstance(source, (list, tuple)):
        if not source:
            raise ConfigError("no input files given", hint="pass at least one file")
        files = [os.fspath(s) for s in source]
        for f in files:
            if not os.path.isfile(f):
                raise ConfigError("input file not found", path=f, hint="check the path")
        formats = {fmt} if fmt else {format_from_path(f) for f in files}
        if len(formats) > 1:
            raise ConfigError(
                "input files have different formats",
                found=", ".join(sorted(formats)),
                hint="pass files of one format, or give the format explicitly",
            )
        label = files[0] if len(files) == 1 else f"{files[0]} (+{len(files) - 1} more files)"
        return files, formats.pop(), False, label

    text = os.fspath(source)
    path = Path(text)
    if path.is_file():
        return [text], fmt or format_from_path(text), False, text
    if path.is_dir():
        candidates = _files_in_folder(path)
        by_format: dict[str, list[Path]] = {}
        for f in candidates:
            f_fmt = format_from_path(f, required=False)
            if f_fmt is not None:
                by_format.setdefault(f_fmt, []).append(f)
        if fmt is None:
            if len(by_format) > 1:
                raise ConfigError(
                    "folder holds data files of several formats",
                    path=text,
                    found=", ".join(sorted(by_format)),
                    hint="give the format explicitly to pick one, or use a glob pattern",
                )
            if not by_format:
                raise ConfigError(
                    "folder holds no data files",
                    path=text,
                    hint=f"expected files ending in one of {', '.join(sorted(_EXTENSIONS))} "
                    "(names starting with '.' or '_' are skipped)",
                )
            fmt = next(iter(by_format))
        files = by_format.get(fmt, [])
        if not files:
            raise ConfigError(f"folder holds no {fmt} files", path=text, hint="check the folder or the format")
        return [str(f) for f in files], fmt, _is_hive(files, path), text
    if _has_glob(text):
        matches = sorted(m for m in _glob.glob(text, recursive=True) if os.path.isfile(m))
        if not matches:
            raise ConfigError("no files match the pattern", path=text, hint="check the pattern and the folder")
        if fmt is None:
            fmt = format_from_path(text, required=False)
            if fmt is None:
                found = {format_from_path(m, required=False) for m in matches}
                if len(found) != 1 or None in found:
                    raise ConfigError(
                        "cannot tell the file format of the files matching the pattern",
                        path=text,
                        hint=f"end the pattern with an extension or give the format ({_format_list()})",
                    )
                fmt = found.pop()
        return matches, fmt, False, text
    hint = "check the path"
    if not path.parent.exists():
        hint = f"the folder {str(path.parent)!r} does not exist either; check the path"
    raise ConfigError("input file not found", path=text, hint=hint)


def source_files(source) -> list[Path]:
    """The files ``source`` (a file, folder, glob or list) stands for, symlinks resolved."""
    files = expand_source(source, None)[0] if not (isinstance(source, (str, os.PathLike)) and os.path.isfile(source)) \
        else [os.fspath(source)]
    return [Path(f).resolve() for f in files]


def check_not_an_input(outputs, inputs) -> None:
    """Refuse to write over input data: raise ConfigError if an output path resolves (through
    symlinks, ``..`` and globs) to one of the files the inputs stand for.

    Parameters
    ----------
    outputs : iterable of path or None
        Paths about to be written (None entries are ignored).
    inputs : iterable of source
        Files, folders, glob patterns or lists, as ``tabprep.io.scan`` takes them.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.mkdtemp()
    >>> _ = Path(folder, "d.csv").write_text("a\\n1\\n")
    >>> check_not_an_input([os.path.join(folder, ".", "d.csv")], [os.path.join(folder, "*.csv")])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tabprep.errors.ConfigError: ...d.csv: the output would overwrite an input file. Hint: write to another path (the input is read while the output is written)
    """
    taken: set[Path] = set()
    for source in inputs:
        try:
            taken.update(source_files(source))
        except ConfigError:  # an input that names no file cannot be overwritten
            continue
    for out in outputs:
        if out is not None and Path(os.path.abspath(out)).resolve() in taken:
            raise ConfigError("the output would overwrite an input file", path=out,
                              hint="write to another path (the input is read while the output is written)")
