"""`tabprep split` in-process: a split column, per-split files, folds, time gap, errors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from tabprep.cli import main
from tabprep.split import split_file_path as per_split_path
from tabprep.split import add_split_column


@pytest.fixture
def data(tmp_path):
    rng = np.random.default_rng(0)
    n = 1000
    df = pl.DataFrame(
        {
            "x": np.arange(n),
            "y": (rng.random(n) < 0.2).astype(np.int8),
            "g": rng.integers(0, 100, n),
            "t": pl.datetime_range(dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1) + dt.timedelta(hours=n - 1), "1h", eager=True),
        }
    )
    path = tmp_path / "d.parquet"
    df.write_parquet(path)
    return df, path


def test_split_column(data, tmp_path, capsys):
    df, path = data
    out = tmp_path / "o.parquet"
    assert main(["split", str(path), "-o", str(out), "--by", "y", "--ratios", "0.6,0.2,0.2", "--seed", "3"]) == 0
    assert capsys.readouterr() == ("", "")
    got = pl.read_parquet(out)
    want = add_split_column(df, (0.6, 0.2, 0.2), strategy="stratified", by="y", seed=3)
    assert got.equals(want)


def test_per_split_files(data, tmp_path):
    df, path = data
    out = tmp_path / "part.csv"
    assert main(["split", str(path), "-o", str(out), "--group", "g", "--per-split", "--ratios", "0.5,0.5"]) == 0
    train, test = pl.read_csv(tmp_path / "part_train.csv"), pl.read_csv(tmp_path / "part_test.csv")
    assert train.height + test.height == df.height
    assert not set(train["g"].to_list()) & set(test["g"].to_list())
    assert main(["split", str(path), "-o", str(tmp_path / "{split}.parquet"), "--per-split", "--names", "a,b,c"]) == 0
    sizes = [pl.read_parquet(tmp_path / f"{s}.parquet").height for s in "abc"]
    assert sizes == [800, 100, 100]


def test_time_gap_and_folds(data, tmp_path):
    df, path = data
    assert main(["split", str(path), "-o", str(tmp_path / "t.parquet"), "--time", "t", "--gap", "1d", "--ratios", "0.5,0.5"]) == 0
    got = pl.read_parquet(tmp_path / "t.parquet")
    assert got["split"].null_count() == 24
    assert got.filter(pl.col("split") == 0)["t"].max() + dt.timedelta(days=1) <= got.filter(pl.col("split") == 1)["t"].min()
    assert main(["split", str(path), "-o", str(tmp_path / "f.parquet"), "--folds", "4", "--by", "y", "--group", "g"]) == 0
    folds = pl.read_parquet(tmp_path / "f.parquet")
    assert sorted(folds["fold"].unique().to_list()) == [0, 1, 2, 3]
    assert folds.group_by("g").agg(pl.col("fold").n_unique())["fold"].max() == 1


def test_split_errors(data, tmp_path, capsys):
    _, path = data
    out = tmp_path / "o.parquet"
    assert main(["split", str(path), "-o", str(out), "--by", "nope"]) == 3
    assert "column 'nope'" in capsys.readouterr().err
    assert main(["split", str(path), "-o", str(out), "--ratios", "0.5,0.4"]) == 2
    assert "must sum to 1" in capsys.readouterr().err
    assert main(["split", str(path), "-o", str(out), "--folds", "3", "--per-split"]) == 2
    assert not out.exists()


def test_per_split_path():
    assert per_split_path("out/data.parquet", "train") == "out/data_train.parquet"
    assert per_split_path("a.v2.csv.gz", "test") == "a.v2_test.csv.gz"
    assert per_split_path("x/{split}/d.csv", "valid") == "x/valid/d.csv"


def test_per_split_refuses_to_write_over_its_input(data, tmp_path, capsys):
    df, path = data
    train = tmp_path / "train.parquet"
    df.write_parquet(train)
    before = train.read_bytes()
    code = main(["split", str(train), "-o", str(tmp_path / "{split}.parquet"), "--per-split", "--ratios", "0.9,0.1"])
    assert code == 2
    assert "an output file is also an input file" in capsys.readouterr().err
    assert train.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.parquet", "train.parquet"]


@pytest.mark.parametrize("argv", [
    ["split", "{data}", "-o", "{out}", "--by", "y"],
    ["split", "{data}", "-o", "{out}", "--folds", "3", "--by", "y"],
    ["sample", "{data}", "-o", "{out}", "--by", "y", "--n", "10"],
])
def test_errors_about_the_data_name_its_file(data, tmp_path, capsys, argv):
    # the library's check of the labels does not know the file; the command names it
    df, _ = data
    path = tmp_path / "nulls.parquet"
    df.with_columns(df["y"].scatter(17, None)).write_parquet(path)
    out = tmp_path / "o.parquet"
    assert main([a.format(data=path, out=out) for a in argv]) == 3
    err = capsys.readouterr().err
    assert f"tabprep: error: {path}: column 'y', row 17: " in err and "must not be null or NaN" in err
    assert not out.exists()
