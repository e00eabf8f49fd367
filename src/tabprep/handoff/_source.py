"""A loader's source as an ordered list of *units* read one at a time.

A unit is a Parquet row group, a slice of an Arrow IPC record batch, or a slice of a LazyFrame:
the smallest piece a loader reads, so memory is bounded by a unit plus the shuffle buffer and never
by the file. ``counts[i]`` is unit ``i``'s number of rows that pass the split filter, known before
any epoch starts (one read of the split column only), so every rank can plan the same epoch.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from tabprep.errors import ConfigError, DataError, SchemaError, TabprepError
from tabprep.io import scan
from tabprep.io._formats import expand_source

__all__ = ["UnitSource", "open_source"]

# Rows of a unit cut from an IPC record batch or a LazyFrame (Parquet units are its row groups).
UNIT_ROWS = 1 << 17


class UnitSource:
    """Units of a source: ``counts`` (rows per unit after the split filter) and ``read(i)``."""

    label: str
    counts: np.ndarray
    names: list[str]
    schema: pl.Schema

    def read(self, i: int) -> pl.DataFrame:  # pragma: no cover - interface
        raise NotImplementedError

    def locate(self, i: int, row: int) -> tuple[str, int]:  # pragma: no cover - interface
        """``(file or label, row in it)`` of row ``row`` of ``read(i)`` (errors name that row)."""
        raise NotImplementedError


def _kept_row(mask: pl.Series, row: int) -> int:
    """The index in the unfiltered unit of row ``row`` of the split-filtered one."""
    return int(np.flatnonzero(mask.to_numpy())[row])


def _split_mask(frame: pl.DataFrame, column: str, value: Any) -> pl.Series:
    return (frame.get_column(column) == value).fill_null(False)


def _check_split(names: list[str], split: tuple[str, Any] | None, label: str) -> None:
    if split is not None and split[0] not in names:
        raise SchemaError("split column not found", path=label, column=split[0],
                          hint="pass split_column= naming the column that holds the split, or split=None")


class _FileUnits(UnitSource):
    """Parquet row groups or IPC record-batch slices of a list of files, in file order."""

    def __init__(self, files: list[str], fmt: str, columns: list[str] | None, split: tuple[str, Any] | None,
                 label: str) -> None:
        self.label, self.fmt, self.files = label, fmt, files
        self._handles: dict[int, Any] = {}
        self.units: list[tuple[int, int, int, int]] = []  # (file, group/batch, offset, length)
        first_schema = None
        for f_index, path in enumerate(files):
            handle = self._open(f_index)
            arrow_schema = handle.schema_arrow if fmt == "parquet" else handle.schema
            schema = pl.Schema(pl.from_arrow(arrow_schema.empty_table()).schema)
            if first_schema is None:
                first_schema = schema
            elif schema != first_schema:
                raise SchemaError("the files do not share one schema", path=path,
                                  found=f"{dict(schema)} vs {dict(first_schema)} in {files[0]}",
                                  hint="give files with the same columns and dtypes")
            if fmt == "parquet":
                meta = handle.metadata
                for g in range(meta.num_row_groups):
                    self.units.append((f_index, g, 0, meta.row_group(g).num_rows))
            else:
                for b in range(handle.num_record_batches):
                    n = handle.get_batch(b).num_rows
                    self.units.extend((f_index, b, o, min(UNIT_ROWS, n - o)) for o in range(0, n, UNIT_ROWS))
        # the file row of each unit's first row (errors name a row of a file)
        self.first_rows, seen = [], {}
        for f_index, _, _, length in self.units:
            self.first_rows.append(seen.get(f_index, 0))
            seen[f_index] = seen.get(f_index, 0) + length
        self.schema = first_schema
        self.names = first_schema.names()
        self.columns = self.names if columns is None else columns
        self.split = split
        _check_split(self.names, split, label)
        if split is None:
            self.counts = np.array([u[3] for u in self.units], dtype=np.int64)
        else:
            column, value = split
            self.counts = np.array(
                [int(_split_mask(self._raw(i, [column]), column, value).sum()) for i in range(len(self.units))],
                dtype=np.int64,
            )

    def _open(self, f_index: int):
        handle = self._handles.get(f_index)
        if handle is None:
            path = self.files[f_index]
            try:
                if self.fmt == "parquet":
                    import pyarrow.parquet as pq

                    handle = pq.ParquetFile(path, memory_map=False)
                else:
                    handle = pa.ipc.open_file(pa.memory_map(path))
            except (OSError, pa.ArrowInvalid) as exc:
                raise DataError(f"cannot read the file as {self.fmt}", path=path, found=str(exc),
                                hint="check that the file is complete and of that format") from None
            self._handles[f_index] = handle
        return handle

    def _raw(self, i: int, columns: list[str]) -> pl.DataFrame:
        f_index, part, offset, length = self.units[i]
        handle = self._open(f_index)
        if self.fmt == "parquet":
            table = handle.read_row_group(part, columns=columns)
        else:
            batch = handle.get_batch(part).slice(offset, length)
            table = pa.Table.from_batches([batch]).select(columns)
        return pl.from_arrow(table, rechunk=False)

    def read(self, i: int) -> pl.DataFrame:
        frame = self._raw(i, self.columns if self.split is None else
                          list(dict.fromkeys([*self.columns, self.split[0]])))
        if self.split is not None:
            frame = frame.filter(_split_mask(frame, *self.split))
        return frame.select(self.columns)

    def locate(self, i: int, row: int) -> tuple[str, int]:
        if self.split is not None:
            row = _kept_row(_split_mask(self._raw(i, [self.split[0]]), *self.split), row)
        return self.files[self.units[i][0]], self.first_rows[i] + row


class _LazyUnits(UnitSource):
    """Fixed slices of a LazyFrame (any source tabprep can scan: CSV, NDJSON, a query)."""

    def __init__(self, lf: pl.LazyFrame, columns: list[str], split: tuple[str, Any] | None, label: str) -> None:
        self.label, self.lf, self.columns, self.split = label, lf, columns, split
        self.schema = lf.collect_schema()
        self.names = self.schema.names()
        _check_split(self.names, split, label)
        keep = pl.lit(True) if split is None else (pl.col(split[0]) == split[1]).fill_null(False)
        per_unit = (
            lf.select(unit=pl.int_range(pl.len(), dtype=pl.Int64) // UNIT_ROWS, keep=keep.cast(pl.Int64))
            .group_by("unit").agg(pl.col("keep").sum(), pl.len().alias("rows"))
            .sort("unit").collect(engine="streaming")
        )
        self.counts = per_unit.get_column("keep").to_numpy().astype(np.int64)

    def read(self, i: int) -> pl.DataFrame:
        lf = self.lf.slice(i * UNIT_ROWS, UNIT_ROWS)
        if self.split is not None:
            lf = lf.filter((pl.col(self.split[0]) == self.split[1]).fill_null(False))
        return lf.select(self.columns).collect(engine="streaming")

    def locate(self, i: int, row: int) -> tuple[str, int]:
        if self.split is not None:
            unit = self.lf.slice(i * UNIT_ROWS, UNIT_ROWS).select(self.split[0]).collect(engine="streaming")
            row = _kept_row(_split_mask(unit, *self.split), row)
        return self.label, i * UNIT_ROWS + row


class _PipelineUnits(UnitSource):
    """Units of a raw source, each transformed by a fitted pipeline when read."""

    def __init__(self, raw: UnitSource, pipeline: Any) -> None:
        self.raw, self.pipeline = raw, pipeline
        self.label, self.counts = raw.label, raw.counts
        out = pipeline.transform(raw.read(0).head(0)) if len(raw.counts) else None
        self.schema = out.schema if out is not None else pl.Schema()
        self.names = self.schema.names()

    def read(self, i: int) -> pl.DataFrame:
        try:
            return self.pipeline.transform(self.raw.read(i))
        except TabprepError as exc:
            # the pipeline names a row of this unit: name the file's (or the frame's) row instead
            if exc.row is None or exc.path is not None:
                raise
            where, row = self.raw.locate(i, exc.row)
            raise exc.with_path(where, row=row) from exc

    def locate(self, i: int, row: int) -> tuple[str, int]:
        return self.raw.locate(i, row)



def _is_path_like(source: Any) -> bool:
    return isinstance(source, (str, os.PathLike)) or (
        isinstance(source, (list, tuple)) and bool(source) and all(isinstance(s, (str, os.PathLike)) for s in source)
    )


def open_source(source: Any, needed: Sequence[str], split: tuple[str, Any] | None, pipeline: Any) -> UnitSource:
    """The units of ``source`` (files, a LazyFrame or DataFrame), reading ``needed`` columns
    (after ``pipeline`` when given: then the raw unit holds every column)."""
    needed = list(dict.fromkeys(needed))
    if _is_path_like(source):
        files, fmt, _hive, label = expand_source(source, None)
        raw_columns = None if pipeline is not None else needed
        if fmt in ("parquet", "ipc"):
            units: UnitSource = _FileUnits(files, fmt, raw_columns, split, label)
        else:  # text formats have no random access: slices of a scan
            lf = scan(source)
            units = _LazyUnits(lf, raw_columns or lf.collect_schema().names(), split, label)
    elif isinstance(source, (pl.LazyFrame, pl.DataFrame)):
        lf = source.lazy()
        names = lf.collect_schema().names()
        units = _LazyUnits(lf, names if pipeline is not None else needed, split, "the frame")
    else:
        raise ConfigError(
            f"cannot load batches from a {type(source).__name__}",
            hint="give a Parquet/IPC file, folder, glob or list of files, or a polars LazyFrame/DataFrame",
        )
    if pipeline is not None:
        units = _PipelineUnits(units, pipeline)
    return units


def check_columns(units: UnitSource, needed: Sequence[str]) -> None:
    """Every needed column exists and is numeric or boolean (what a batch matrix can hold)."""
    names = units.names
    for name in needed:
        if name not in names:
            shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
            raise SchemaError("column not found", path=units.label, column=name, hint=f"available columns: {shown}")
        dtype = units.schema[name]
        if not (dtype.is_numeric() or dtype == pl.Boolean):
            raise SchemaError(
                "expected a numeric or boolean column for the batches", path=units.label, column=name,
                found=str(dtype),
                hint="encode it first (tabprep.encode, or a fitted pipeline via pipeline=) or leave it out",
            )
