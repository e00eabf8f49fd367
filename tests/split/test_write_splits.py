"""write_splits / write_all: one file per part, the same parts as the split column, all or none."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tabprep.errors import ConfigError, DataError
from tabprep.io import write_all
from tabprep.split import add_split_column, write_splits

rng = np.random.default_rng(3)
DF = pl.DataFrame({"x": np.arange(500), "y": rng.integers(0, 3, 500), "g": rng.integers(0, 50, 500)})


@pytest.mark.parametrize(("strategy", "kw"), [("random", {}), ("stratified", {"by": "y"}), ("group", {"group": "g"})])
@pytest.mark.parametrize("source", ["frame", "lazy", "file"])
def test_the_files_hold_the_parts_of_the_split_column(tmp_path, strategy, kw, source):
    want = add_split_column(DF, (0.7, 0.2, 0.1), strategy=strategy, seed=5, **kw)
    data = {"frame": DF, "lazy": DF.lazy()}.get(source)
    if data is None:
        data = tmp_path / "in.parquet"
        DF.write_parquet(data)
    paths = write_splits(data, tmp_path / "d.parquet",
                         (0.7, 0.2, 0.1), strategy=strategy, seed=5, **kw)
    assert list(paths) == ["train", "valid", "test"]
    for j, (name, path) in enumerate(paths.items()):
        assert path.name == f"d_{name}.parquet"
        assert pl.read_parquet(path).equals(want.filter(pl.col("split") == j).drop("split"))


def test_a_time_gap_leaves_rows_in_no_file(tmp_path):
    df = DF.with_columns(t=pl.col("x") * 10)
    want = add_split_column(df, (0.5, 0.5), strategy="time", time="t", gap=100)
    with pytest.warns(UserWarning, match=r"^10 of 500 rows are in no split and go to no file: 10 within the gap"):
        paths = write_splits(df, tmp_path / "d.csv", (0.5, 0.5), strategy="time", time="t", gap=100)
    total = sum(pl.read_csv(p).height for p in paths.values())
    assert total == want.filter(pl.col("split").is_not_null()).height == df.height - 10


def test_rows_without_a_time_go_to_no_file_with_a_warning(tmp_path):
    df = DF.with_columns(t=pl.when(pl.col("x") % 7 == 0).then(None).otherwise(pl.col("x")))
    with pytest.warns(UserWarning, match=r"^72 of 500 rows .*: 72 with a null time \('t'\)$"):
        paths = write_splits(df, tmp_path / "d.parquet", (0.8, 0.2), strategy="time", time="t")
    got = pl.concat([pl.read_parquet(p) for p in paths.values()])
    assert got.height == 428 and got["t"].null_count() == 0


def test_names_and_their_count(tmp_path):
    paths = write_splits(DF, tmp_path / "{split}.ipc", (0.5, 0.5), names=["fit", "holdout"])
    assert [p.name for p in paths.values()] == ["fit.ipc", "holdout.ipc"]
    with pytest.raises(ConfigError, match="needs 2 distinct names"):
        write_splits(DF, tmp_path / "d.csv", (0.5, 0.5), names=["a", "a"])


def test_write_all_writes_all_files_or_none(tmp_path):
    (tmp_path / "b.parquet").write_bytes(b"previous")
    bad = pl.LazyFrame({"s": ["1", "x"]}).select(pl.col("s").cast(pl.Int64))  # fails while streaming
    with pytest.raises(DataError):
        write_all([(DF, tmp_path / "a.parquet"), (bad, tmp_path / "b.parquet")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.parquet"]
    assert (tmp_path / "b.parquet").read_bytes() == b"previous"
    with pytest.raises(ConfigError, match="same file"):
        write_all([(DF, tmp_path / "a.parquet"), (DF, tmp_path / "." / "a.parquet")])
