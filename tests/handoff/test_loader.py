import json
import threading

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oracles.loader import loader_row_batches
from tabprep.errors import ConfigError, DataError, InvalidParameterError, SchemaError
from tabprep.handoff import BatchLoader

SPLITS = np.array(["train", "valid", "test"])


def make_table(n: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame({
        "row": np.arange(n, dtype=np.int64),
        "a": rng.normal(size=n),
        "b": pl.Series(rng.integers(0, 9, n), dtype=pl.Int16).scatter(list(range(0, n, 7)), None),
        "c": rng.random(n) < 0.3,
        "y": rng.integers(0, 2, n).astype(np.int8),
        "split": SPLITS[rng.choice(3, n, p=[0.6, 0.2, 0.2])],
        "name": [f"n{i % 5}" for i in range(n)],
    })


def write_parquet(df: pl.DataFrame, path, row_group_size: int) -> list[int]:
    pq.write_table(df.to_arrow(), path, row_group_size=row_group_size)
    meta = pq.ParquetFile(path).metadata
    return [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]


def rows_of(batches) -> list[np.ndarray]:
    return [X[:, 0].astype(np.int64) for X, _ in batches]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    df = make_table(1000)
    path = tmp_path_factory.mktemp("loader") / "d.parquet"
    sizes = write_parquet(df, path, 97)
    return df, path, sizes


def check_against_reference(df, path, sizes, *, split="train", epoch=0, **kw):
    loader = BatchLoader(path, ["row", "a", "b", "c"], "y", split=split, **kw)
    loader.set_epoch(epoch)
    keep = np.ones(df.height, bool) if split is None else (df["split"] == split).to_numpy()
    plan = dict(batch_size=kw["batch_size"], buffer_rows=kw.get("buffer_rows", 1 << 20), seed=kw.get("seed", 0),
                epoch=epoch, rank=kw.get("rank", 0), world_size=kw.get("world_size", 1),
                drop_last=kw.get("drop_last", False), shuffle=kw.get("shuffle", True))
    expected = loader_row_batches(sizes, keep, **plan)
    got = list(loader)
    assert len(got) == len(expected) == len(loader)
    for (X, y), rows in zip(got, expected):
        assert X.dtype == np.float32 and X.flags.c_contiguous and y.dtype == np.int8
        np.testing.assert_array_equal(X, df[rows].select("row", "a", "b", "c").cast(pl.Float32).to_numpy())
        np.testing.assert_array_equal(y, df["y"].to_numpy()[rows])
    return expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch_size=st.integers(1, 70), buffer_rows=st.integers(1, 400), seed=st.integers(0, 3),
       epoch=st.integers(0, 2), world_size=st.integers(1, 4), drop_last=st.booleans(), shuffle=st.booleans(),
       prefetch=st.integers(0, 3), split=st.sampled_from(["train", "test", None]), data_=st.data())
def test_batches_equal_the_reference_plan(data, batch_size, buffer_rows, seed, epoch, world_size, drop_last,
                                          shuffle, prefetch, split, data_):
    df, path, sizes = data
    rank = data_.draw(st.integers(0, world_size - 1))
    check_against_reference(df, path, sizes, split=split, epoch=epoch, batch_size=batch_size,
                            buffer_rows=buffer_rows, seed=seed, rank=rank, world_size=world_size,
                            drop_last=drop_last, shuffle=shuffle, prefetch=prefetch)


@pytest.mark.parametrize("world_size", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_ranks_are_disjoint_with_equal_batch_counts(data, world_size, drop_last):
    df, path, _ = data
    loaders = [BatchLoader(path, ["row"], "y", batch_size=16, split="train", rank=r, world_size=world_size,
                           drop_last=drop_last, seed=5, buffer_rows=100) for r in range(world_size)]
    assert len({len(ld) for ld in loaders}) == 1
    seen = [np.concatenate(rows_of(ld)) for ld in loaders]
    train = np.sort(df.filter(pl.col("split") == "train")["row"].to_numpy())
    union = np.concatenate(seen)
    n = train.size
    if drop_last:  # each row at most once; the dropped tail is fewer than world_size rows + short batches
        assert np.unique(union).size == union.size and set(union) <= set(train)
    else:  # every row; padding repeats fewer than world_size rows
        assert set(union) == set(train) and union.size - n < world_size
        assert union.size == world_size * -(-n // world_size)


def test_epochs_differ_and_advance(data):
    _, path, _ = data
    loader = BatchLoader(path, ["row"], "y", batch_size=50, split="train", seed=1, buffer_rows=200)
    first = np.concatenate(rows_of(loader))
    assert loader.epoch == 1  # the last batch handed out moves it on
    second = np.concatenate(rows_of(loader))
    loader.set_epoch(0)
    again = np.concatenate(rows_of(loader))
    assert np.array_equal(first, again) and not np.array_equal(first, second)
    assert np.array_equal(np.sort(first), np.sort(second))
    loader.set_epoch(1)
    assert np.array_equal(np.concatenate(rows_of(loader)), second)
    other_seed = BatchLoader(path, ["row"], "y", batch_size=50, split="train", seed=2, buffer_rows=200)
    assert not np.array_equal(first, np.concatenate(rows_of(other_seed)))


def test_no_shuffle_keeps_file_order(data):
    df, path, _ = data
    loader = BatchLoader(path, ["row", "a"], "y", batch_size=64, split="valid", shuffle=False)
    rows = np.concatenate(rows_of(loader))
    np.testing.assert_array_equal(rows, df.filter(pl.col("split") == "valid")["row"].to_numpy())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch_size=st.integers(1, 60), buffer_rows=st.integers(1, 300), world_size=st.integers(1, 3),
       prefetch=st.integers(0, 3), epochs=st.integers(1, 3), data_=st.data())
def test_resume_continues_bit_for_bit(data, batch_size, buffer_rows, world_size, prefetch, epochs, data_):
    """Interrupt at a random batch of a random epoch, save the state as JSON, resume in a new loader:
    the concatenated batches equal an uninterrupted run's."""
    _, path, _ = data
    rank = data_.draw(st.integers(0, world_size - 1))
    kw = dict(batch_size=batch_size, split="train", seed=7, rank=rank, world_size=world_size,
              buffer_rows=buffer_rows, prefetch=prefetch)

    def train(loader, first_epoch, stop=None):
        """The usual loop; ``stop=(epoch, k)`` breaks after the k-th batch of that epoch."""
        out = []
        for e in range(first_epoch, epochs):
            loader.set_epoch(e)
            if stop == (e, 0):
                return out
            for batch in loader:
                out.append(batch)  # handed out = done (the state is saved after using it)
                if stop is not None and stop[0] == e and loader.state_dict()["batches_done"] == stop[1]:
                    return out
        return out

    full = BatchLoader(path, ["row", "a"], "y", **kw)
    reference = train(full, 0)
    stop_epoch = data_.draw(st.integers(0, epochs - 1))
    stop_at = data_.draw(st.integers(0, len(full) - 1))
    first = BatchLoader(path, ["row", "a"], "y", **kw)
    got = train(first, 0, stop=(stop_epoch, stop_at))
    state = json.loads(json.dumps(first.state_dict()))
    resumed = BatchLoader(path, ["row", "a"], "y", **kw)
    resumed.load_state_dict(state)
    got.extend(train(resumed, state["epoch"]))
    assert len(got) == len(reference)
    for (X1, y1), (X2, y2) in zip(got, reference):
        assert np.array_equal(X1, X2, equal_nan=True) and np.array_equal(y1, y2)


def test_breaking_out_stops_the_prefetch_thread(data):
    _, path, _ = data
    loader = BatchLoader(path, ["row"], "y", batch_size=4, prefetch=2, buffer_rows=8)
    before = threading.active_count()
    for i, _batch in enumerate(loader):
        if i == 3:
            break
    assert threading.active_count() == before
    assert loader.state_dict()["batches_done"] == 4


def test_sources_agree(tmp_path):
    """Parquet files (a list and a glob), Arrow IPC, CSV and a LazyFrame give the same batches."""
    df = make_table(3000, seed=4).drop("name")
    write_parquet(df[:1700], tmp_path / "p1.parquet", 256)
    write_parquet(df[1700:], tmp_path / "p2.parquet", 300)
    df.write_ipc(tmp_path / "d.arrow")
    df.write_csv(tmp_path / "d.csv")
    kw = dict(batch_size=100, split="train", shuffle=False)
    reference = np.concatenate(rows_of(BatchLoader(df.lazy(), ["row", "a"], "y", **kw)))
    np.testing.assert_array_equal(reference, df.filter(pl.col("split") == "train")["row"].to_numpy())
    for source in ([tmp_path / "p1.parquet", tmp_path / "p2.parquet"], str(tmp_path / "*.parquet"),
                   tmp_path / "d.arrow", tmp_path / "d.csv", df):
        np.testing.assert_array_equal(np.concatenate(rows_of(BatchLoader(source, ["row", "a"], "y", **kw))),
                                      reference)


def test_large_ipc_batches_are_cut_into_units(tmp_path):
    from tabprep.handoff import _source

    df = make_table(300_000, seed=1).drop("name")
    df.write_ipc(tmp_path / "d.arrow")
    units = _source.open_source(tmp_path / "d.arrow", ["row"], None, None)
    assert units.counts.max() <= _source.UNIT_ROWS and units.counts.sum() == 300_000


def test_pipeline_applied_per_unit(data, tmp_path):
    from tabprep.pipeline import Pipeline
    from tabprep.scale import StandardScaler
    from tabprep.encode import OneHotEncoder

    df, path, _ = data
    fitted = Pipeline([("s", StandardScaler(), ["a"]), ("o", OneHotEncoder(), ["name"])]).fit(
        df.filter(pl.col("split") == "train"))
    features = ["a", *[c for c in fitted.feature_names_out if c.startswith("name")]]
    loader = BatchLoader(path, features, "y", batch_size=128, split="valid", shuffle=False, pipeline=fitted)
    X = np.concatenate([b[0] for b in loader])
    expected = fitted.transform(df.filter(pl.col("split") == "valid")).select(features)
    np.testing.assert_allclose(X, expected.cast(pl.Float32).to_numpy(), rtol=0, atol=0)


def test_torch_batches_share_memory(data):
    torch = pytest.importorskip("torch")
    _, path, _ = data
    loader = BatchLoader(path, ["row", "a"], "y", batch_size=32, output="torch", shuffle=False, prefetch=0)
    it = iter(loader)
    X, y = next(it)
    X2, _ = next(it)
    assert X.dtype == torch.float32 and X.shape == (32, 2) and y.dtype == torch.int8
    loader64 = BatchLoader(path, ["row", "a"], "y", batch_size=32, output="torch", device="cpu", dtype="float64")
    X64, _ = next(iter(loader64))
    assert X64.dtype == torch.float64 and X64.device.type == "cpu"
    # both batches are views of one window matrix (torch.from_numpy: no copy), back to back
    assert X2.data_ptr() - X.data_ptr() == X.numel() * X.element_size()


def test_bad_input_is_named(data, tmp_path):
    _, path, _ = data
    with pytest.raises(DataError, match=r"no row has split == 'nope'.*split="):
        BatchLoader(path, ["a"], "y", batch_size=4, split="nope")
    with pytest.raises(SchemaError, match=r"d.parquet: column 'zz'.*column not found.*available columns: row, a"):
        BatchLoader(path, ["a", "zz"], "y", batch_size=4)
    with pytest.raises(SchemaError, match=r"column 'name'.*numeric or boolean.*found String.*encode it first"):
        BatchLoader(path, ["a", "name"], "y", batch_size=4)
    with pytest.raises(SchemaError, match=r"column 'fold': split column not found"):
        BatchLoader(path, ["a"], "y", batch_size=4, split="train", split_column="fold")
    with pytest.raises(InvalidParameterError, match=r"The `rank` parameter of `BatchLoader` must be < `world_size`"):
        BatchLoader(path, ["a"], "y", batch_size=4, rank=2, world_size=2)
    with pytest.raises(InvalidParameterError, match=r"The `batch_size` parameter of `BatchLoader`"):
        BatchLoader(path, ["a"], "y", batch_size=0)
    with pytest.raises(ConfigError, match="both a feature and the label"):
        BatchLoader(path, ["a", "y"], "y", batch_size=4)
    loader = BatchLoader(path, ["a"], "y", batch_size=4, seed=1)
    other = BatchLoader(path, ["a"], "y", batch_size=8, seed=1)
    with pytest.raises(ConfigError, match=r"saved loader state has batch_size=8, this loader 4"):
        loader.load_state_dict(other.state_dict())
    with pytest.raises(ConfigError, match="not a BatchLoader state"):
        loader.load_state_dict({"epoch": 1})


def test_null_label_is_refused(tmp_path):
    df = make_table(50)
    df = df.with_columns(df["y"].cast(pl.Float64).scatter([10], None))
    df.write_parquet(tmp_path / "d.parquet")
    with pytest.raises(DataError, match=r"column 'y'.*label must not be null"):
        list(BatchLoader(tmp_path / "d.parquet", ["a"], "y", batch_size=8))


def test_memory_is_bounded_by_the_window(tmp_path, monkeypatch):
    """The loader reads unit by unit: never more rows at once than a unit."""
    from tabprep.handoff import _source

    df = make_table(20_000).drop("name")
    path = tmp_path / "d.parquet"
    write_parquet(df, path, 1000)
    biggest = []
    original = _source._FileUnits.read

    def spy(self, i):
        out = original(self, i)
        biggest.append(out.height)
        return out

    monkeypatch.setattr(_source._FileUnits, "read", spy)
    loader = BatchLoader(path, ["a"], "y", batch_size=100, buffer_rows=2000)
    assert sum(b[0].shape[0] for b in loader) == 20_000
    assert max(biggest) == 1000
    # each unit is read once per epoch, or twice when it straddles two windows
    assert len(biggest) <= 20 + 20_000 // 2000


@pytest.mark.parametrize("as_lazy", [False, True])
def test_a_pipeline_failing_on_a_window_names_the_file_and_its_row(tmp_path, as_lazy):
    # the loader transforms a unit at a time (a row group, a slice of a LazyFrame, split-filtered):
    # the pipeline's row is one of that unit; the error names the file's (the frame's) row
    from tabprep import Pipeline
    from tabprep.scale import StandardScaler

    n = 1000
    df = pl.DataFrame({"x": np.arange(n, dtype=np.float64), "split": np.arange(n) % 3})
    fitted = Pipeline([("s", StandardScaler(), ["x"])]).fit(df.head(100))
    bad = df.with_columns(df["x"].scatter(742, float("inf")))
    (tmp_path / "d").mkdir()
    df.head(500).write_parquet(tmp_path / "d" / "a.parquet", row_group_size=64)
    bad.tail(500).write_parquet(tmp_path / "d" / "b.parquet", row_group_size=64)  # its row 242
    bad.write_parquet(tmp_path / "all.parquet", row_group_size=64)
    cases = [(str(tmp_path / "d" / "*.parquet"), None, str(tmp_path / "d" / "b.parquet"), 242),
             (tmp_path / "all.parquet", 742 % 3, str(tmp_path / "all.parquet"), 742)]
    for source, split, where, row in cases:
        if as_lazy:
            source, where = pl.scan_parquet(source), "the frame"
            row = 742
        loader = BatchLoader(source, ["x"], batch_size=32, pipeline=fitted, split=split, shuffle=False,
                             buffer_rows=128)
        with pytest.raises(DataError, match="StandardScaler expects finite values") as info:
            for _ in loader:
                pass
        assert (info.value.path, info.value.column, info.value.row) == (where, "x", row)
