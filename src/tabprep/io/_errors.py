"""The one place where Polars' (and the OS's) errors become tabprep errors.

Polars raises ``ComputeError`` for a malformed CSV row, ``InvalidOperationError`` for a failed cast,
``ColumnNotFoundError``, ``SchemaError``... with multi-paragraph messages that end in a query plan.
:func:`translate_polars_error` keeps the first paragraph, pulls out what it can (column, offending
value), adds the file name and a hint, and picks the tabprep class (and so the CLI exit code).
Everything in tabprep that collects or sinks a query on user data goes through
:func:`polars_errors`, so a user never sees a raw Polars traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tabprep.errors import ConfigError, DataError, SchemaError, TabprepError
from tabprep.io._csvtext import first_ragged_line, utf8_error

__all__ = ["translate_polars_error", "polars_errors", "sources_of"]

_PARSE = re.compile(r"could not parse `(?P<value>.*?)` as dtype `(?P<dtype>[^`]*)` at column '(?P<column>[^']*)'", re.DOTALL)
_CAST = re.compile(
    r"conversion from `(?P<src>[^`]*)` to `(?P<dst>[^`]*)` failed in column '(?P<column>[^']*)'"
    r" for (?P<n>\d+) out of (?P<total>\d+) values: \[(?P<values>.*?)\]",
    re.DOTALL,
)
_COLUMN_NOT_FOUND = re.compile(r'unable to find column "(?P<column>[^"]*)"(?:; valid columns: \[(?P<valid>.*)\])?')
_MISMATCH = re.compile(r"data type mismatch for column (?P<column>\S+): incoming: (?P<incoming>\S+) != target: (?P<target>\S+)")
_SCAN_LINE = re.compile(r"^\s*\w+ SCAN \[(?P<paths>[^\]]*)\]", re.MULTILINE)

# Polars' short dtype names in parse errors -> the names users write in schema overrides.
_SHORT = {
    "i8": "Int8", "i16": "Int16", "i32": "Int32", "i64": "Int64", "i128": "Int128",
    "u8": "UInt8", "u16": "UInt16", "u32": "UInt32", "u64": "UInt64",
    "f32": "Float32", "f64": "Float64", "str": "String", "bool": "Boolean", "date": "Date",
}  # fmt: skip


def _first_paragraph(text: str) -> str:
    head = text.strip().split("\n\n", 1)[0]
    return " ".join(line.strip() for line in head.splitlines() if line.strip())


def _dtype(short: str) -> str:
    return _SHORT.get(short, short)


def sources_of(frame) -> str | None:
    """Best-effort name of the file(s) a LazyFrame scans, from its plan (for error messages)."""
    try:
        plan = frame.explain(optimized=False)
    except Exception:  # the plan itself may be what fails; then we simply have no name
        return None
    paths = [m.group("paths") for m in _SCAN_LINE.finditer(plan)]
    if not paths:
        return None
    return paths[0] if len(paths) == 1 else "; ".join(paths)


def translate_polars_error(
    exc: BaseException,
    *,
    path: str | os.PathLike[str] | None = None,
    locate: Callable[[str, str], int | None] | None = None,
) -> TabprepError | None:
    """Translate an exception raised by Polars (or the OS while reading) into a tabprep error.

    Parameters
    ----------
    exc
        The exception caught around a Polars ``collect``/``sink_*``/``scan_*`` call.
    path
        The file (or a text naming the files) the query reads, for the message.
    locate
        Optional ``locate(column, value) -> row`` used to find the row of an unparsable value
        (Polars reports only a column); it runs only on this error path.

    Returns
    -------
    TabprepError or None
        ``None`` when ``exc`` is neither a Polars error nor an OS error (a bug: let it propagate).

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.io import translate_polars_error
    >>> try:
    ...     pl.LazyFrame({"a": ["x"]}).select(pl.col("a").cast(pl.Int64)).collect()
    ... except pl.exceptions.PolarsError as exc:
    ...     print(translate_polars_error(exc, path="in.csv"))
    in.csv: column 'a': cannot convert values from String to Int64 (1 of 1 values failed); found 'x'. Hint: fix or null the values, or read the column with another dtype (schema overrides)
    """
    if isinstance(exc, TabprepError):
        return exc
    import polars.exceptions as ple

    where = None if path is None else os.fspath(path)
    text = str(exc)
    first = _first_paragraph(text)

    if isinstance(exc, FileNotFoundError):
        missing = exc.filename or where
        if missing is None:
            m = re.search(r"\(os error 2\): (.*)$", first)
            missing = m.group(1) if m else None
        return ConfigError("file or folder not found", path=missing, hint="check the path")
    if isinstance(exc, PermissionError):
        return TabprepError("permission denied", path=exc.filename or where, hint="check the file's permissions")
    if isinstance(exc, IsADirectoryError):
        return ConfigError("expected a file, found a folder", path=exc.filename or where)
    if isinstance(exc, OSError):
        return TabprepError(f"cannot access the file ({exc.strerror or first})", path=exc.filename or where)

    if not isinstance(exc, ple.PolarsError):
        return None

    if isinstance(exc, ple.ColumnNotFoundError):
        m = _COLUMN_NOT_FOUND.search(first)
        if m:
            valid = m.group("valid")
            hint = f"available columns: {valid.replace(chr(34), '')}" if valid else "check the column names"
            return SchemaError("column not found", path=where, column=m.group("column"), hint=hint)
        return SchemaError(f"column not found ({first})", path=where)
    if isinstance(exc, (ple.SchemaError, ple.SchemaFieldNotFoundError, ple.DuplicateError)):
        m = _MISMATCH.search(first)
        if m:
            return SchemaError(
                "files disagree on the column's dtype",
                path=where,
                column=m.group("column"),
                found=f"{m.group('incoming')} in one file, {m.group('target')} in another",
                hint="make the files agree, or cast the column with schema overrides",
            )
        return SchemaError(first, path=where)
    if isinstance(exc, ple.InvalidOperationError):
        m = _CAST.search(first)
        if m:
            values = [v.strip().strip('"') for v in m.group("values").split(",") if v.strip()]
            return DataError(
                f"cannot convert values from {_dtype(m.group('src'))} to {_dtype(m.group('dst'))}"
                f" ({m.group('n')} of {m.group('total')} values failed)",
                path=where,
                column=m.group("column"),
                found=repr(values[0]) if values else None,
                hint="fix or null the values, or read the column with another dtype (schema overrides)",
            )
        return DataError(first, path=where)
    if isinstance(exc, ple.NoDataError):
        return DataError("the file is empty (no header, no rows)", path=where, hint="check the file")
    if isinstance(exc, ple.ComputeError):
        m = _PARSE.search(first)
        if m:
            column, value = m.group("column"), m.group("value")
            row = None
            if locate is not None:
                try:
                    row = locate(column, value)
                except Exception:  # locating is a courtesy; the original error is what matters
                    row = None
            target = _dtype(m.group("dtype"))
            return DataError(
                f"cannot parse value as {target}",
                path=where,
                column=column,
                row=row,
                found=repr(value),
                hint=f"fix the value, add it to the null values, or read the column as String "
                f"(schema overrides {column}=String)",
            )
        if "found more fields than defined" in first:
            located = _locate_in_files(where, first_ragged_line)
            if located is not None:
                return located
            return DataError(
                "a row has more fields than the header",
                path=where,
                hint="fix the row (a stray separator or an unclosed quote?) or pass ragged='truncate'",
                cli_hint="fix the row (a stray separator or an unclosed quote?) or pass --ragged truncate",
            )
        if "invalid utf-8" in first.lower() or "invalid utf8" in first.lower():
            located = _locate_in_files(where, utf8_error)
            if located is not None:
                return located
            return DataError(
                "the file is not valid UTF-8",
                path=where,
                hint="give the file's encoding, e.g. encoding='latin-1', or encoding='utf8-lossy'",
                cli_hint="give the file's encoding, e.g. --encoding latin-1, or --encoding utf8-lossy",
            )
        if "out of spec" in first.lower() or "out-of-spec" in first.lower():
            return DataError(
                "the file is corrupt or not in the expected format",
                path=where,
                found=first,
                hint="check the file (truncated download?) or give the right format",
            )
        if "expanded paths were empty" in first:
            return ConfigError("no files match", path=where, hint="check the path or pattern")
        return DataError(first, path=where)
    if isinstance(exc, ple.PolarsError):
        return DataError(first, path=where)
    return None


def _locate_in_files(where: str | None, find) -> TabprepError | None:
    """``find(file)`` over the files ``where`` names (a file, a glob, or "a; b"); the first error found.

    Runs only on an error path: ``find`` reads the files again.
    """
    if where is None:
        return None
    import glob

    names = [where] if os.path.isfile(where) else [n for part in where.split("; ") for n in sorted(glob.glob(part))]
    for name in names:
        if not os.path.isfile(name):
            continue
        try:
            err = find(name)
        except Exception:  # locating is a courtesy; the original error is what matters
            return None
        if err is not None:
            return err
    return None


@contextmanager
def polars_errors(
    path: str | os.PathLike[str] | None = None,
    *,
    frame=None,
    locate: Callable[[str, str], int | None] | None = None,
) -> Iterator[None]:
    """Run a block that collects/sinks Polars queries; re-raise their errors as tabprep errors.

    Parameters
    ----------
    path
        The input file(s) the block reads, named in messages.
    frame
        A LazyFrame whose scanned files name the source when ``path`` is not given.
    locate
        See :func:`translate_polars_error`.

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.errors import DataError
    >>> from tabprep.io import polars_errors
    >>> try:
    ...     with polars_errors("in.csv"):
    ...         pl.LazyFrame({"a": ["x"]}).select(pl.col("a").cast(pl.Int64)).collect()
    ... except DataError as exc:
    ...     print(exc.column)
    a
    """
    try:
        yield
    except (DataError, SchemaError) as exc:
        # a tabprep error about the data that does not name its file: the block read ``path``
        if exc.path is not None or path is None or not isinstance(path, (str, os.PathLike)):
            raise
        raise exc.with_path(path) from exc
    except TabprepError:
        raise
    except Exception as exc:
        if path is None and frame is not None:
            path = sources_of(frame)
        err = translate_polars_error(exc, path=path, locate=locate)
        if err is None:
            raise
        raise err from exc
