"""``write`` and ``convert``: stream a frame to a file with Polars' sinks, atomically."""

from __future__ import annotations

import errno
import inspect
import os
import shutil
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from functools import partial
from pathlib import Path

import polars as pl

from tabprep.errors import ConfigError, DataError, TabprepError
from tabprep.io._atomic import atomic_path
from tabprep.io._dispatch import as_lazyframe
from tabprep.io._errors import polars_errors
from tabprep.io._formats import (
    check_not_an_input,
    COMPRESSIONS,
    compression_from_path,
    format_from_path,
    normalize_compression,
    normalize_format,
)
from tabprep.io._csvtext import warn_ragged
from tabprep.io._progress import counted
from tabprep.io._scan import Source, _prepare_text, _scan_source, check_text, resolve_source

__all__ = ["write", "write_all", "convert"]



#: Rows per Parquet row group / Arrow IPC record batch when none is asked for. A fixed size
#: makes the bytes independent of the thread count (Polars sizes them by threads otherwise);
#: 2**17 rows rather than ``write_parquet``'s 512 * 512 because the streaming sink buffers a row
#: group per column: converting the 10M-row benchmark CSV peaks at ~417 MB with 2**17 rows,
#: ~455 MB with 512 * 512 (Polars' own sizing: ~395 MB), for a file 0.1% larger.
DEFAULT_ROW_GROUP_ROWS = 1 << 17


def _sink_options(
    fmt: str,
    dest: Path,
    compression: str | None,
    compression_level: int | None,
    row_group_size: int | None,
) -> dict:
    implied = compression_from_path(dest) if fmt in ("csv", "ndjson") else None
    compression = normalize_compression(compression, fmt)
    if implied and compression and implied != compression:
        raise ConfigError(
            f"the file name says {implied} but compression={compression!r} was asked",
            path=dest,
            hint="drop the compression option or rename the file",
        )
    compression = compression or implied or COMPRESSIONS[fmt][0]
    opts: dict = {"compression": compression}
    if compression_level is not None:
        if fmt == "ipc":
            raise ConfigError("compression_level does not apply to ipc output", path=dest, hint="drop it")
        opts["compression_level"] = int(compression_level)
    if row_group_size is None and fmt in ("parquet", "ipc"):
        # Polars' own default depends on the thread count, so the same data written on a machine
        # with more cores gave other bytes; a fixed size keeps outputs byte-identical everywhere.
        row_group_size = DEFAULT_ROW_GROUP_ROWS
    if row_group_size is not None:
        if int(row_group_size) <= 0:
            raise ConfigError("row_group_size must be a positive integer", path=dest, found=row_group_size)
        if fmt == "parquet":
            opts["row_group_size"] = int(row_group_size)
        elif fmt == "ipc":
            opts["record_batch_size"] = int(row_group_size)
        else:
            raise ConfigError(
                f"row_group_size applies to parquet and ipc output, not {fmt}", path=dest, hint="drop it"
            )
    if fmt in ("csv", "ndjson"):
        # The temp file's name does not end in .csv/.gz; the real name was checked above.
        opts["check_extension"] = False
    return opts


# errno values that can only come from writing; other OS errors name the file they are about.
_WRITE_ERRNOS = frozenset(getattr(errno, n) for n in ("ENOSPC", "EDQUOT", "EROFS", "EFBIG") if hasattr(errno, n))


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _is_output_error(exc: OSError, tmp: Path) -> bool:
    """Whether an OS error raised while sinking is about the output rather than the input."""
    if exc.errno in _WRITE_ERRNOS or tmp.name in str(exc) or (exc.filename and tmp.name in str(exc.filename)):
        return True
    return any(f"(os error {n})" in str(exc) for n in _WRITE_ERRNOS)


def _sink(lf: pl.LazyFrame, fmt: str, target: Path, options: dict) -> None:
    sink = getattr(lf, f"sink_{fmt}")
    try:
        sink(target, engine="streaming", maintain_order=True, **options)
    except TypeError as exc:
        bad = sorted(set(options) - set(inspect.signature(sink).parameters))
        if not bad:
            raise
        raise ConfigError(
            f"unknown {fmt} writer option(s): {', '.join(bad)}",
            hint=f"see the options of polars.LazyFrame.sink_{fmt}",
        ) from None


def _write(
    lf: pl.LazyFrame,
    path,
    *,
    fmt: str | None,
    compression: str | None,
    compression_level: int | None,
    row_group_size: int | None,
    fsync: bool,
    label: str | None,
    locate: Callable[[str, str], int | None] | None,
    options: dict,
) -> Path:
    dest, fmt, sink_opts = _plan_output(path, fmt, compression, compression_level, row_group_size, options)
    with atomic_path(dest, fsync=fsync) as tmp:
        _sink_into(lf, dest, tmp, fmt, sink_opts, label, locate)
    return dest


def _plan_output(path, fmt, compression, compression_level, row_group_size, options):
    """``(destination, format, sink options)``, checked before anything is written."""
    dest = Path(os.fspath(path))
    fmt = normalize_format(fmt) if fmt is not None else format_from_path(dest)
    sink_opts = {**_sink_options(fmt, dest, compression, compression_level, row_group_size), **options}
    if dest.is_dir():
        raise ConfigError("the output path is an existing folder", path=dest, hint="give a file name")
    return dest, fmt, sink_opts


def _sink_into(lf, dest: Path, tmp: Path, fmt: str, sink_opts: dict, label, locate) -> None:
    """Stream ``lf`` into the temp file ``tmp`` standing for ``dest`` (errors name ``dest``).

    The sink writes inside a hidden folder of its own, moved to ``tmp`` once complete: when a
    sink fails, a Polars writer thread may still create its file after the error has reached us
    (measured: 10 of 300 failed writes on a loaded machine left the file behind). Removing the
    folder leaves such a writer nowhere to create it.
    """
    work = tmp.with_name(tmp.name + ".d")
    target = work / tmp.name
    try:  # (an interrupt between any two of these lines still removes the folder)
        work.mkdir()
        with polars_errors(label, frame=None if label else lf, locate=locate):
            _sink(counted(lf), fmt, target, sink_opts)
        os.replace(target, tmp)
    except TabprepError as exc:
        cause = exc.__cause__
        if isinstance(cause, OSError) and _is_output_error(cause, target):
            raise TabprepError(
                f"cannot write the output ({cause.strerror or _first_line(cause)})",
                path=dest,
                hint="check the free space and the folder's permissions",
            ) from cause
        raise
    finally:
        _remove_folder(work)


def _remove_folder(work: Path, patience: float = 5.0) -> None:
    """Remove ``work`` even while a late writer thread creates a file in it (tries for up to
    ``patience`` seconds: once the folder is gone nothing can be created in it; a loaded machine
    can delay an interrupted writer thread by more than a second)."""
    deadline = time.monotonic() + patience
    while True:
        shutil.rmtree(work, ignore_errors=True)
        if not work.exists() or time.monotonic() > deadline:
            return
        time.sleep(0.01)


def write_all(
    parts,
    *,
    format: str | None = None,  # noqa: A002
    compression: str | None = None,
    compression_level: int | None = None,
    row_group_size: int | None = None,
    fsync: bool = True,
    **options,
) -> list[Path]:
    """Write several frames, each to its own file, as a set: all files or none.

    Each frame is streamed to a hidden temp file beside its destination (as :func:`write` does);
    only when every one has been written are they renamed into place. On any error (or Ctrl-C)
    every temp file is removed and no destination is touched.

    Parameters
    ----------
    parts : iterable of (frame, path)
        Frames in any container :func:`write` takes, and their destinations (distinct).
    format, compression, compression_level, row_group_size, fsync, **options
        As for :func:`write`, the same for every part.

    Returns
    -------
    list of pathlib.Path
        The destinations, in order.

    Examples
    --------
    >>> import os, tempfile
    >>> import polars as pl
    >>> from tabprep.io import scan, write_all
    >>> folder = tempfile.mkdtemp()
    >>> df = pl.DataFrame({"x": [1, 2, 3]})
    >>> paths = write_all([(df.head(2), os.path.join(folder, "a.csv")), (df.tail(1), os.path.join(folder, "b.csv"))])
    >>> [scan(p).collect()["x"].to_list() for p in paths]
    [[1, 2], [3]]
    """
    planned = []
    for frame, path in parts:
        dest, fmt, sink_opts = _plan_output(path, format, compression, compression_level, row_group_size, options)
        planned.append((as_lazyframe(frame), dest, fmt, sink_opts))
    dests = [p[1] for p in planned]
    if len({d.resolve() for d in dests}) != len(dests):
        raise ConfigError("two parts would be written to the same file", found=[str(d) for d in dests])
    with ExitStack() as stack:  # leaving it renames every temp file, or removes them all on error
        for lf, dest, fmt, sink_opts in planned:
            tmp = stack.enter_context(atomic_path(dest, fsync=fsync))
            _sink_into(lf, dest, tmp, fmt, sink_opts, None, None)
    return dests


def write(
    frame,
    path,
    *,
    format: str | None = None,  # noqa: A002 - the natural name, as in polars/pandas writers
    compression: str | None = None,
    compression_level: int | None = None,
    row_group_size: int | None = None,
    fsync: bool = True,
    **options,
) -> Path:
    """Write a frame to CSV, Parquet, Arrow IPC or NDJSON, streaming and atomically.

    A LazyFrame is streamed with Polars' ``sink_*`` (streaming engine), so the data need not fit in
    memory. The output is written to a hidden temp file in the destination folder, fsynced and
    renamed over ``path``: on any error (or Ctrl-C) the temp file is removed and an existing file
    at ``path`` is left as it was.

    Parameters
    ----------
    frame : polars.LazyFrame or polars.DataFrame
        Also accepted: a pyarrow Table and a pandas DataFrame.
    path : str or os.PathLike
        Destination file; its folder must exist.
    format : {"csv", "parquet", "ipc", "ndjson"}, optional
        Default: inferred from the extension of ``path`` (see :func:`tabprep.io.scan`).
    compression : str, optional
        Parquet: zstd (default), snappy, lz4, gzip, brotli, uncompressed. IPC: uncompressed
        (default), lz4, zstd. CSV/NDJSON: uncompressed (default), gzip, zstd; a ``.gz``/``.zst``
        file name implies it.
    compression_level : int, optional
        Codec level (Parquet, CSV, NDJSON).
    row_group_size : int, optional
        Rows per Parquet row group (per record batch for IPC).
    fsync : bool, default True
        Flush to disk before the rename (durable across a crash).
    **options
        Passed to the Polars sink (``statistics=``, ``separator=``, ``metadata=``...).

    Returns
    -------
    pathlib.Path
        The written path.

    Raises
    ------
    ConfigError
        Unknown format/extension, unsupported compression, missing output folder.
    DataError, SchemaError
        The input data failed while streaming (unparsable value, failed cast...); nothing written.

    Examples
    --------
    >>> import os, tempfile
    >>> import polars as pl
    >>> from tabprep.io import scan, write
    >>> out = os.path.join(tempfile.mkdtemp(), "frame.parquet")
    >>> _ = write(pl.DataFrame({"x": [1, 2, 3]}), out, row_group_size=2)
    >>> scan(out).collect()["x"].to_list()
    [1, 2, 3]
    """
    return _write(
        as_lazyframe(frame),
        path,
        fmt=format,
        compression=compression,
        compression_level=compression_level,
        row_group_size=row_group_size,
        fsync=fsync,
        label=None,
        locate=None,
        options=options,
    )


def convert(
    source,
    dest,
    *,
    input_format: str | None = None,
    format: str | None = None,  # noqa: A002
    compression: str | None = None,
    compression_level: int | None = None,
    row_group_size: int | None = None,
    schema_overrides=None,
    columns: Sequence[str] | None = None,
    limit: int | None = None,
    read_options: dict | None = None,
    write_options: dict | None = None,
    fsync: bool = True,
    ragged: str = "error",
    encoding: str = "utf8",
) -> Path:
    """Convert between CSV, Parquet, Arrow IPC and NDJSON in one streaming pass (``tabprep convert``).

    Equivalent to ``write(scan(source, ...).head(limit), dest, ...)`` except that errors name the
    input file and, for an unparsable CSV value, the row (found by a second read on that error path
    only).

    Parameters
    ----------
    source
        Input file, folder, glob or list of files (see :func:`tabprep.io.scan`).
    dest
        Output file (see :func:`tabprep.io.write`); written atomically.
    input_format, format
        Input and output formats; default: from the extensions.
    compression, compression_level, row_group_size
        See :func:`tabprep.io.write`.
    schema_overrides, columns
        See :func:`tabprep.io.scan`.
    limit : int, optional
        Write only the first ``limit`` rows.
    read_options, write_options : dict, optional
        Extra options for the Polars reader / sink.
    fsync : bool, default True
        See :func:`tabprep.io.write`.
    ragged, encoding
        CSV input: rows of another length than the header, and the text encoding; see
        :func:`tabprep.io.scan`.

    Returns
    -------
    pathlib.Path
        The written path.

    Examples
    --------
    >>> import os, tempfile
    >>> import polars as pl
    >>> from tabprep.io import convert, scan
    >>> folder = tempfile.mkdtemp()
    >>> pl.DataFrame({"x": [1, 2, 3]}).write_csv(os.path.join(folder, "in.csv"))
    >>> out = convert(os.path.join(folder, "in.csv"), os.path.join(folder, "out.arrow"), limit=2)
    >>> scan(out).collect()["x"].to_list()
    [1, 2]
    """
    if limit is not None and (isinstance(limit, bool) or int(limit) < 0):
        raise ConfigError("limit must be an integer >= 0", found=limit)
    src: Source = resolve_source(source, input_format, read_options or {})
    check_not_an_input([dest], [source])  # the input is read while the output is written
    # The ragged-row check of a CSV runs beside the sink (a thread: NumPy and the sink both release
    # the GIL), not before it, so a valid file costs no extra wall time where there is a spare core.
    src = _prepare_text(src, ragged, encoding, "convert", check=False)
    lf = _scan_source(src, schema_overrides=schema_overrides, columns=columns, prepared=True)
    if limit is not None:
        lf = lf.head(int(limit))
    dest, fmt, sink_opts = _plan_output(dest, format, compression, compression_level, row_group_size,
                                        write_options or {})
    check = _Beside(check_text, src)
    with atomic_path(dest, fsync=fsync) as tmp:
        try:
            _sink_into(lf, dest, tmp, fmt, sink_opts, src.label, partial(Source.locate_csv_value, src))
        except BaseException as exc:
            found = check.result(cancel=not isinstance(exc, DataError))
            if isinstance(exc, DataError) and isinstance(found, DataError):
                raise found from None  # the line of a ragged row says more than Polars' error
            raise
        found = check.result()
        if isinstance(found, BaseException):
            raise found
    warn_ragged(found)
    return dest


class _Beside:
    """``fn(*args, stop=event)`` in a thread; :meth:`result` joins it (its return value or exception)."""

    def __init__(self, fn, *args) -> None:
        import threading

        self._stop = threading.Event()
        self._value = None
        self._thread = threading.Thread(target=self._run, args=(fn, args), name="tabprep-csv-check", daemon=True)
        self._thread.start()

    def _run(self, fn, args) -> None:
        try:
            self._value = fn(*args, stop=self._stop)
        except BaseException as exc:  # handed to the caller by result()
            self._value = exc

    def result(self, cancel: bool = False):
        if cancel:
            self._stop.set()
        self._thread.join()
        return self._value
