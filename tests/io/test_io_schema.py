"""read_schema: dtypes, row and null counts agree with an eager Polars read (the oracle)."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tabprep.io import FORMATS, parse_dtype, read_schema, write

EXT = {"csv": "csv", "parquet": "parquet", "ipc": "arrow", "ndjson": "ndjson"}
EAGER = {"csv": pl.read_csv, "parquet": pl.read_parquet, "ipc": pl.read_ipc, "ndjson": pl.read_ndjson}


@pytest.mark.parametrize("fmt", FORMATS)
def test_counts_match_eager_read(tmp_path, mixed_frame, fmt):
    path = tmp_path / f"data.{EXT[fmt]}"
    write(mixed_frame, path)
    oracle = EAGER[fmt](path)
    got = read_schema(path)
    assert got.format == fmt and got.path == str(path)
    assert got.row_count == oracle.height
    assert [c.name for c in got.columns] == oracle.columns
    assert [c.null_count for c in got.columns] == list(oracle.null_count().row(0))
    assert [parse_dtype(c.dtype) for c in got.columns] == oracle.dtypes
    assert got.polars_schema == oracle.schema


def test_to_dict_shape_and_order(tmp_path, mixed_frame):
    path = tmp_path / "d.parquet"
    write(mixed_frame, path)
    d = read_schema(path).to_dict()
    assert list(d) == ["path", "format", "row_count", "column_count", "columns"]
    assert d["column_count"] == len(d["columns"]) == mixed_frame.width
    assert all(list(c) == ["name", "dtype", "null_count"] for c in d["columns"])
    assert {c["name"]: c["dtype"] for c in d["columns"]}["ts"] == "Datetime(us)"
    json.dumps(d)  # JSON-ready


def test_column_named_like_the_counter(tmp_path):
    path = tmp_path / "d.parquet"
    pl.DataFrame({"__tabprep_len__": [None, 1], "len": [1, None]}).write_parquet(path)
    got = read_schema(path)
    assert got.row_count == 2
    assert [(c.name, c.null_count) for c in got.columns] == [("__tabprep_len__", 1), ("len", 1)]


def test_schema_overrides_apply(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,d\n1,2024-01-02\n,2024-01-03\n")
    got = read_schema(path, schema_overrides={"a": "Float32", "d": "Date"})
    assert [(c.dtype, c.null_count) for c in got.columns] == [("Float32", 1), ("Date", 0)]


def test_empty_table_with_header(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("a,b\n")
    got = read_schema(path)
    assert got.row_count == 0 and [c.null_count for c in got.columns] == [0, 0]
