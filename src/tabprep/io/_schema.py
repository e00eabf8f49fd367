"""``read_schema``: columns, dtypes, row count and null counts of a file in one streaming query."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import polars as pl

from tabprep.io._dtypes import dtype_name
from tabprep.io._errors import polars_errors
from tabprep.io._scan import Source, _prepare_text, _scan_source, resolve_source

__all__ = ["ColumnInfo", "FileSchema", "read_schema"]


@dataclass(frozen=True)
class ColumnInfo:
    """One column of a :class:`FileSchema`."""

    name: str
    dtype: str
    null_count: int


@dataclass(frozen=True)
class FileSchema:
    """What ``tabprep schema`` prints: format, row count and, per column, dtype and null count.

    Attributes
    ----------
    path : str
        The file, folder or pattern that was read.
    format : str
        ``"csv"``, ``"parquet"``, ``"ipc"`` or ``"ndjson"``.
    row_count : int
    columns : tuple of ColumnInfo
        In file order; ``dtype`` is a name :func:`tabprep.io.parse_dtype` reads back.
    polars_schema : polars.Schema
        The same dtypes as Polars objects.
    """

    path: str
    format: str
    row_count: int
    columns: tuple[ColumnInfo, ...]
    polars_schema: pl.Schema = field(repr=False, compare=False)

    def to_dict(self) -> dict:
        """A JSON-ready dict with a stable key order (what ``tabprep schema --json`` prints)."""
        return {
            "path": self.path,
            "format": self.format,
            "row_count": self.row_count,
            "column_count": len(self.columns),
            "columns": [{"name": c.name, "dtype": c.dtype, "null_count": c.null_count} for c in self.columns],
        }


def _unique_name(taken: set[str], base: str) -> str:
    name = base
    while name in taken:
        name = "_" + name
    return name


def read_schema(path, *, format: str | None = None, schema_overrides=None,  # noqa: A002
                ragged: str = "error", encoding: str = "utf8", **options) -> FileSchema:
    """Columns, dtypes, row count and null counts of a file, folder or glob.

    The counts come from one streaming query (Polars answers the row count of Parquet/IPC from the
    metadata), so files bigger than memory are fine.

    Parameters
    ----------
    path, format, schema_overrides, ragged, encoding, **options
        As for :func:`tabprep.io.scan`.

    Returns
    -------
    FileSchema

    Examples
    --------
    >>> import os, tempfile
    >>> import polars as pl
    >>> from tabprep.io import read_schema
    >>> path = os.path.join(tempfile.mkdtemp(), "a.parquet")
    >>> pl.DataFrame({"x": [1, None, 3], "y": ["a", "b", None]}).write_parquet(path)
    >>> s = read_schema(path)
    >>> s.row_count, [(c.name, c.dtype, c.null_count) for c in s.columns]
    (3, [('x', 'Int64', 1), ('y', 'String', 1)])
    """
    source: Source = _prepare_text(resolve_source(path, format, options), ragged, encoding, "read_schema")
    lf = _scan_source(source, schema_overrides=schema_overrides, prepared=True)
    with polars_errors(source.label, locate=partial(Source.locate_csv_value, source)):
        schema = lf.collect_schema()
        len_name = _unique_name(set(schema.names()), "__tabprep_len__")
        counts = lf.select(pl.len().alias(len_name), *[pl.col(c).null_count() for c in schema.names()]).collect(
            engine="streaming"
        )
    row = counts.row(0)
    columns = tuple(
        ColumnInfo(name=name, dtype=dtype_name(dtype), null_count=int(n))
        for (name, dtype), n in zip(schema.items(), row[1:], strict=True)
    )
    return FileSchema(
        path=source.label, format=source.format, row_count=int(row[0]), columns=columns, polars_schema=schema
    )
