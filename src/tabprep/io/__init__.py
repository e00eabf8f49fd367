"""Reading and writing tables: CSV, Parquet, Arrow IPC, NDJSON; lazy scans, streaming atomic writes.

- :func:`scan` -- a file, folder or glob -> ``polars.LazyFrame`` (nothing read yet).
- :func:`write` -- a frame -> a file, streamed with Polars' sinks, atomically (temp + fsync + rename);
  :func:`write_all` -- several frames to several files, all or none.
- :func:`convert` -- both in one streaming pass (``tabprep convert``).
- :func:`read_schema` -- columns, dtypes, row and null counts (``tabprep schema``).
- :func:`atomic_path` -- the atomic-write helper every writer in tabprep uses.
- :func:`report_rows` -- rows streamed by writes, fits and samples, sent to a progress reporter.
- :func:`polars_errors` / :func:`translate_polars_error` -- the one place Polars errors become
  :mod:`tabprep.errors` errors naming the file, column and row.
"""

from __future__ import annotations

from tabprep.io._atomic import atomic_path
from tabprep.io._dtypes import DTYPE_NAMES, dtype_name, parse_dtype, parse_schema_overrides
from tabprep.io._errors import polars_errors, translate_polars_error
from tabprep.io._formats import COMPRESSIONS, FORMATS, check_not_an_input, format_from_path, normalize_format, source_files
from tabprep.io._progress import report_rows
from tabprep.io._scan import scan
from tabprep.io._schema import ColumnInfo, FileSchema, read_schema
from tabprep.io._dispatch import as_lazyframe
from tabprep.io._write import convert, write, write_all

__all__ = [
    "FORMATS",
    "COMPRESSIONS",
    "DTYPE_NAMES",
    "scan",
    "write",
    "write_all",
    "check_not_an_input",
    "source_files",
    "convert",
    "read_schema",
    "FileSchema",
    "ColumnInfo",
    "atomic_path",
    "polars_errors",
    "translate_polars_error",
    "parse_dtype",
    "dtype_name",
    "parse_schema_overrides",
    "format_from_path",
    "normalize_format",
    "as_lazyframe",
    "report_rows",
]
