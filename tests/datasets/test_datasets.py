import numpy as np
import polars as pl
import pytest

from tabprep.datasets import DATASETS, load, path, synthetic
from tabprep.errors import ConfigError


def test_synthetic_is_deterministic_and_seed_dependent():
    a = synthetic(5_000, seed=7)
    b = synthetic(5_000, seed=7)
    c = synthetic(5_000, seed=8)
    assert a.equals(b)
    assert not a.equals(c)
    # byte-identical once written
    assert a.write_ipc(None).getvalue() == b.write_ipc(None).getvalue()


def test_synthetic_schema_and_shape():
    df = synthetic(2_000, seed=0)
    assert df.schema == pl.Schema(
        {
            "cat_hi": pl.String, "cat_lo": pl.String,
            **{f"num_{i}": pl.Float64 for i in range(5)},
            "y_bin": pl.Int8, "y_cont": pl.Float64, "group_id": pl.Int64, "ts": pl.Datetime("us"),
        }
    )
    assert df.height == 2_000
    empty = synthetic(0)
    assert empty.height == 0 and empty.schema == df.schema


def test_synthetic_statistics_are_realistic():
    df = synthetic(200_000, seed=1, n_categories_hi=5_000, null_fraction=0.05, positive_rate=0.1)
    for i in range(5):
        share = df[f"num_{i}"].null_count() / df.height
        assert 0.045 < share < 0.055
    assert df["cat_lo"].n_unique() == 20
    assert 0.09 < df["y_bin"].mean() < 0.11
    assert set(df["y_bin"].unique().to_list()) == {0, 1}
    # Zipf: the most frequent value is far more frequent than the median one
    counts = df["cat_hi"].value_counts(sort=True)["count"].to_numpy()
    assert counts[0] > 50 * np.median(counts)
    assert df["ts"].is_sorted()
    # the binary target carries signal from the high-cardinality column
    rates = df.group_by("cat_hi").agg(pl.col("y_bin").mean(), pl.len()).filter(pl.col("len") > 200)
    assert rates["y_bin"].std() > 0.05
    # no category string is null, numeric columns are only partly null
    assert df["cat_hi"].null_count() == 0


def test_synthetic_rejects_bad_parameters():
    with pytest.raises(ConfigError, match="`n_rows` parameter of `synthetic`"):
        synthetic(-1)
    with pytest.raises(ConfigError, match="positive_rate"):
        synthetic(10, positive_rate=1.5)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TABPREP_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_load_flights(cache_dir):
    df = load("flights")
    assert df.shape == (336_776, 19)
    assert df["tailnum"].n_unique() == 4_044  # 4,043 tail numbers + null
    assert df["dest"].n_unique() == 105
    assert df["arr_delay"].null_count() > 0
    assert df.schema["time_hour"] == pl.Datetime("us", "UTC")
    cached = path("flights")
    assert cached.is_relative_to(cache_dir) and cached.suffix == ".parquet"
    # converted once: a second call reuses the same file
    mtime = cached.stat().st_mtime_ns
    assert load("flights").equals(df)
    assert cached.stat().st_mtime_ns == mtime
    assert not [p for p in cached.parent.iterdir() if p != cached]  # no temp files left


@pytest.mark.parametrize("name", sorted(set(DATASETS) - {"flights"}))
def test_load_other_tables(cache_dir, name):
    df = load(name)
    assert df.height > 100
    if DATASETS[name].target:
        assert DATASETS[name].target in df.columns
    assert "rownames" not in df.columns


def test_unknown_dataset(cache_dir):
    with pytest.raises(ConfigError, match="unknown dataset 'nope'"):
        load("nope")
