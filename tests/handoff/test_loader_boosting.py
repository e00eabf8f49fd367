import numpy as np
import polars as pl
import pytest

from tabprep.errors import ConfigError, DataError
from tabprep.handoff import BatchLoader


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Few distinct values per feature (below max_bin): the bin boundaries are exact either way."""
    rng = np.random.default_rng(0)
    n = 6000
    df = pl.DataFrame({
        "a": rng.integers(0, 16, n).astype(np.float64),
        "b": rng.integers(0, 8, n).astype(np.float32),
        "c": rng.integers(0, 5, n),
        "split": np.where(rng.random(n) < 0.8, "train", "test"),
    }).with_columns(y=(pl.col("a") + 2 * pl.col("b") - pl.col("c") + pl.Series(rng.normal(size=n)) > 10).cast(pl.Int8))
    path = tmp_path_factory.mktemp("boost") / "d.parquet"
    df.write_parquet(path, row_group_size=700)
    train = df.filter(pl.col("split") == "train")
    return path, train.select("a", "b", "c").to_numpy().astype(np.float32), train["y"].to_numpy()


def test_xgboost_external_memory_equals_in_memory(data, tmp_path):
    xgb = pytest.importorskip("xgboost")
    path, X, y = data
    params = {"tree_method": "hist", "max_depth": 4, "eta": 0.3, "objective": "binary:logistic", "nthread": 1,
              "max_bin": 32}
    in_memory = xgb.train(params, xgb.QuantileDMatrix(X, y, max_bin=32), num_boost_round=8)
    loader = BatchLoader(path, ["a", "b", "c"], "y", batch_size=1000, split="train", shuffle=False)
    for external in (True, False):
        dm = loader.to_xgboost(external_memory=external, cache_dir=str(tmp_path), max_bin=32)
        assert dm.num_row() == len(y)
        booster = xgb.train(params, dm, num_boost_round=8)
        np.testing.assert_array_equal(booster.predict(xgb.DMatrix(X)), in_memory.predict(xgb.DMatrix(X)))


def test_lightgbm_sequence_equals_in_memory(data):
    lgb = pytest.importorskip("lightgbm")
    path, X, y = data
    params = {"objective": "binary", "num_leaves": 15, "verbose": -1, "num_threads": 1, "deterministic": True,
              "seed": 0}
    in_memory = lgb.train(params, lgb.Dataset(X, label=y, feature_name=["a", "b", "c"]), num_boost_round=10)
    loader = BatchLoader(path, ["a", "b", "c"], "y", batch_size=512, split="train")
    ds = loader.to_lightgbm()
    booster = lgb.train(params, ds, num_boost_round=10)
    assert ds.num_data() == len(y)
    np.testing.assert_array_equal(booster.predict(X), in_memory.predict(X))


def test_boosting_needs_a_label(data):
    path, _, _ = data
    loader = BatchLoader(path, ["a", "b"], batch_size=100)
    with pytest.raises(ConfigError, match="needs a label column"):
        loader.to_lightgbm()


def test_lightgbm_refuses_a_null_label_as_the_batches_do(tmp_path):
    pytest.importorskip("lightgbm")
    df = pl.DataFrame({"a": np.arange(50.0), "y": pl.Series([1.0] * 49 + [None])})
    df.write_parquet(tmp_path / "d.parquet")
    loader = BatchLoader(tmp_path / "d.parquet", ["a"], "y", batch_size=10, shuffle=False)
    with pytest.raises(DataError, match=r"column 'y'.*label must not be null"):
        loader.to_lightgbm()
