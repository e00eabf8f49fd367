"""profile(): statistics against exact Polars answers, sketches within their bounds, one pass, the
saved profile (JSON + Arrow, fingerprinted), determinism over chunkings."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest
from polars.io.plugins import register_io_source

from tabprep.errors import ArtifactError, ConfigError
from tabprep.validate import load_profile, profile
from tabprep.validate._sketches import HyperLogLog, MisraGries


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    n = 30_000
    x = rng.normal(3, 2, n)
    x[rng.random(n) < 0.1] = np.nan
    return pl.DataFrame({
        "x": pl.Series(x).scatter([5, 6], None),
        "i": rng.integers(-20, 80, n),
        "c": pl.Series(rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1])).scatter([0, 9], None),
        "z": rng.zipf(1.5, n).astype(str),  # many distinct values, a few frequent ones
        "b": rng.random(n) < 0.25,
        "day": pl.date_range(pl.date(2020, 1, 1), pl.date(2020, 1, 1) + pl.duration(days=n - 1), eager=True),
    })


def test_exact_statistics_match_polars(data):
    p = profile(data)
    x, i = p.columns["x"], p.columns["i"]
    valid = data["x"].fill_nan(None).drop_nulls()
    assert p.n_rows == data.height and x.rows == data.height
    assert x.missing == data["x"].fill_nan(None).null_count()
    assert (x.min, x.max) == (valid.min(), valid.max())
    assert x.mean == pytest.approx(valid.mean(), rel=1e-12) and x.std == pytest.approx(valid.std(), rel=1e-12)
    assert (i.min, i.max, i.missing) == (data["i"].min(), data["i"].max(), 0)
    assert i.mean == pytest.approx(data["i"].mean(), rel=1e-12)
    assert p.columns["c"].missing == 2 and p.columns["day"].min == data["day"].min()


def test_distinct_and_top_values_exact_below_the_threshold(data):
    p = profile(data, max_exact=200, top_k=3)
    c, i, b = p.columns["c"], p.columns["i"], p.columns["b"]
    assert (c.distinct, c.distinct_exact) == (4, True)
    assert (i.distinct, i.distinct_exact) == (data["i"].n_unique(), True)
    vc = data["c"].drop_nulls().value_counts(sort=True)
    assert c.top == list(zip(vc["c"].to_list()[:3], vc["count"].to_list()[:3])) and c.top_error == 0
    assert dict(b.top) == {True: int(data["b"].sum()), False: int((~data["b"]).sum())}


def test_sketches_above_the_threshold_stay_within_their_bounds(data):
    p = profile(data, max_exact=50, top_k=5)
    z = p.columns["z"]
    exact_distinct = data["z"].n_unique()
    assert not z.distinct_exact
    assert abs(z.distinct - exact_distinct) / exact_distinct < 5 * z.hll.relative_error
    truth = dict(data["z"].value_counts().iter_rows())
    assert z.top_error > 0
    for value, count in z.top:
        assert truth[value] - z.top_error <= count <= truth[value]
    # the most frequent values are found (their true counts exceed the error bound)
    heavy = [v for v, c in sorted(truth.items(), key=lambda t: -t[1])[:3]]
    assert [v for v, _ in z.top[:3]] == heavy
    # quantiles: the exact rank of each returned value is within the KLL bound of its level
    x = p.columns["x"]
    valid = np.sort(data["x"].fill_nan(None).drop_nulls().to_numpy())
    for q, v in x.quantiles.items():
        lo, hi = np.searchsorted(valid, v, "left") / valid.size, np.searchsorted(valid, v, "right") / valid.size
        assert lo - x.rank_error <= q <= hi + x.rank_error
    assert sum(x.histogram["counts"]) == pytest.approx(valid.size, abs=len(x.histogram["counts"]))


def test_hyperloglog_and_misra_gries_merge_like_the_union():
    rng = np.random.default_rng(0)
    a = pl.Series("v", rng.integers(0, 5000, 20_000))
    b = pl.Series("v", rng.integers(2500, 9000, 20_000))
    merged = HyperLogLog().update(a).merge(HyperLogLog().update(b))
    whole = HyperLogLog().update(pl.concat([a, b]))
    assert np.array_equal(merged.registers, whole.registers)
    true = pl.concat([a, b]).n_unique()
    assert abs(merged.estimate() - true) / true < 0.04
    mg = MisraGries(100, pl.Int64).update(a).merge(MisraGries(100, pl.Int64).update(b))
    truth = dict(pl.concat([a, b]).value_counts().iter_rows())
    assert all(truth[v] - mg.error_bound <= c <= truth[v] for v, c in mg.frame.iter_rows())
    assert MisraGries(10_000, pl.Int64).update(a).exact


def test_one_pass_and_chunking_does_not_change_the_profile(data):
    calls = {"scans": 0}

    def source(with_columns, predicate, n_rows, batch_size):
        calls["scans"] += 1
        frame = data if with_columns is None else data.select(with_columns)
        for start in range(0, frame.height, 7_000):
            yield frame.slice(start, 7_000)

    lazy = profile(register_io_source(source, schema=data.schema))
    assert calls["scans"] == 1
    chunked = pl.concat([data.slice(0, 12_345), data.slice(12_345)], rechunk=False)
    assert lazy.fingerprint == profile(data).fingerprint == profile(chunked).fingerprint


def test_save_load_round_trip_and_tampering(data, tmp_path):
    p = profile(data)
    out = p.save(tmp_path / "prof")
    q = load_profile(out)
    assert q.fingerprint == p.fingerprint and q.to_dict() == p.to_dict()
    assert q.columns["x"].sketch.to_bytes() == p.columns["x"].sketch.to_bytes()
    assert p.save(tmp_path / "prof") == out  # replaces its own kind
    assert not any(f.suffix == ".pkl" for f in out.rglob("*"))
    table = next((out / "tables").glob("1-0.arrow"), None) or next((out / "tables").glob("*-0.arrow"))
    table.write_bytes(table.read_bytes()[:-3])
    with pytest.raises(ArtifactError, match="truncated or was changed"):
        load_profile(out)
    p.save(tmp_path / "p2")
    manifest = json.loads((tmp_path / "p2" / "manifest.json").read_text())
    manifest["n_rows"] += 1
    (tmp_path / "p2" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="manifest checksum mismatch"):
        load_profile(tmp_path / "p2")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not a tabprep profile; refusing"):
        p.save(tmp_path / "other")
    with pytest.raises(ArtifactError, match="manifest.json is missing"):
        load_profile(tmp_path / "other")


def test_empty_and_all_missing_columns():
    p = profile(pl.DataFrame({"x": pl.Series([None, None], dtype=pl.Float64), "s": pl.Series([None, None], dtype=pl.String)}))
    assert p.columns["x"].missing == 2 and p.columns["x"].mean is None and p.columns["x"].histogram is None
    assert p.columns["s"].distinct == 0 and p.columns["s"].top == []
    p = profile(pl.DataFrame({"x": pl.Series([], dtype=pl.Float64)}))
    assert p.n_rows == 0 and p.columns["x"].missing == 0
    assert math.isfinite(profile(pl.DataFrame({"x": [1.0]})).columns["x"].std)


def test_fingerprint_ignores_the_path_and_parameters_are_checked(data, tmp_path):
    from tabprep.errors import InvalidParameterError

    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    data.write_parquet(a)
    data.write_parquet(b)
    pa, pb = profile(str(a)), profile(str(b))
    assert pa.source == str(a) and pa.fingerprint == pb.fingerprint == profile(data).fingerprint
    with pytest.raises(InvalidParameterError, match="The `bins` parameter of `profile` must be an int >= 1; got 0"):
        profile(data, bins=0)


@pytest.mark.parametrize("max_exact", [10, 100_000])
def test_hyperloglog_registers_equal_one_update_over_the_whole_column(data, max_exact):
    # the profile fills the registers of a column with exact counters from their values, once;
    # the result is the same as hashing every value
    p = profile(data, max_exact=max_exact)
    for name in ("c", "i", "z", "x"):
        whole = HyperLogLog().update(data[name].fill_nan(None) if data[name].dtype.is_float() else data[name])
        assert np.array_equal(p.columns[name].hll.registers, whole.registers), name


# ---------------------------------------------------------------------------------------------
# the fast paths, each against the plain Polars way
@pytest.mark.parametrize("series", [
    pl.Series(np.random.default_rng(1).choice(["x", "y", "zz", ""], 3000)),
    pl.Series(np.random.default_rng(2).integers(-5, 5_000, 3000)),
    pl.Series(np.sort(np.random.default_rng(3).integers(0, 50, 3000))),  # sorted: runs
    pl.Series(np.random.default_rng(4).integers(0, 3, 300).astype(np.uint8)),
    pl.Series([True, False, True]),
    pl.date_range(pl.date(2020, 1, 1), pl.date(2020, 3, 1), eager=True).sample(200, with_replacement=True, seed=1),
    pl.Series(np.random.default_rng(5).normal(size=100)).round(1),
    pl.Series(["a"]),
], ids=["str", "int", "sorted", "u8", "bool", "date", "float", "one"])
def test_value_counts_equal_a_polars_group_by(series):
    from tabprep.validate._sketches import value_counts

    s = series.rename("v")
    ours = value_counts(s).sort("value")
    truth = s.rename("value").to_frame().group_by("value").agg(pl.len().cast(pl.Int64).alias("count")).sort("value")
    assert ours.equals(truth)


def test_hyperloglog_registers_equal_the_polars_expression(data):
    for name in data.columns:
        s = data[name].fill_nan(None) if data[name].dtype.is_float() else data[name]
        expected = np.zeros(1 << 14, np.uint8)
        kept = s.drop_nulls()
        idx, rank = HyperLogLog.exprs(pl.col(name))
        per = kept.to_frame().select(idx.alias("i"), rank.alias("r"))
        np.maximum.at(expected, per["i"].to_numpy(), per["r"].to_numpy())
        assert np.array_equal(HyperLogLog().update(s).registers, expected), name


def test_misra_gries_blocks_cut_before_the_merge_keep_the_bound():
    rng = np.random.default_rng(9)
    blocks = [pl.Series("v", rng.zipf(1.3, 20_000) % 5000) for _ in range(5)]
    mg = MisraGries(50, pl.Int64)
    for b in blocks:
        mg.update(b)
    truth = dict(pl.concat(blocks).value_counts().iter_rows())
    assert not mg.exact and mg.frame.height <= 50 and mg.error_bound > 0
    assert all(truth[v] - mg.error_bound <= c <= truth[v] for v, c in mg.frame.iter_rows())
    heavy = sorted(truth, key=lambda v: -truth[v])[:3]
    assert mg.frame["value"].head(3).to_list() == heavy


def test_big_blocks_go_through_the_sampler_within_the_stated_error():
    from tabprep.bin import rank_error_bound

    rng = np.random.default_rng(11)
    x = rng.standard_t(3, 600_000)
    p = profile(pl.DataFrame({"x": x}))
    col = p.columns["x"]
    assert col.rank_error > rank_error_bound(200)  # the sampler's part is stated
    assert col.sketch.num_retained < 2_000 and col.sketch.n == x.size
    xs = np.sort(x)
    for q, v in col.quantiles.items():
        lo, hi = np.searchsorted(xs, v, "left") / xs.size, np.searchsorted(xs, v, "right") / xs.size
        assert lo - col.rank_error <= q <= hi + col.rank_error
    assert (col.min, col.max, col.mean) == (x.min(), x.max(), pytest.approx(x.mean(), rel=1e-12))


# ---------------------------------------------------------------------------------------------
# the reference sample
def test_sample_is_uniform_deterministic_and_independent_of_chunking(data, tmp_path):
    p = profile(data, sample=500, seed=3)
    assert p.sample.shape == (500, data.width) and p.sample.columns == data.columns
    assert p.params["sample"] == 500 and p.params["seed"] == 3
    # rows of the data (the day column is a row id), in row order, without repeats
    rows = data["day"].search_sorted(p.sample["day"])
    assert data[rows].equals(p.sample) and (np.diff(rows.to_numpy()) > 0).all()
    chunked = pl.concat([data.slice(0, 7_777), data.slice(7_777)], rechunk=False)
    assert profile(chunked, sample=500, seed=3).sample.equals(p.sample)
    assert not profile(data, sample=500, seed=4).sample.equals(p.sample)
    assert profile(data.head(100), sample=500).sample.equals(data.head(100))  # fewer rows: all of them
    q = load_profile(p.save(tmp_path / "p"))
    assert q.sample.equals(p.sample) and q.fingerprint == p.fingerprint
    assert profile(data).sample is None and profile(data).fingerprint != p.fingerprint


def test_sample_rows_are_uniform_across_blocks(monkeypatch):
    # 300 draws of 10 rows out of 40 in blocks of 16: each row is drawn with probability 1/4
    from tabprep.validate import _profile

    monkeypatch.setattr(_profile, "BLOCK_ROWS", 16)
    df = pl.DataFrame({"i": np.arange(40)})
    hits = np.zeros(40)
    for seed in range(300):
        hits[profile(df, sample=10, seed=seed).sample["i"].to_numpy()] += 1
    assert hits.sum() == 3000
    # binomial(300, 1/4): mean 75, sd 7.5; 5 sd either way
    assert hits.min() > 75 - 5 * 7.5 and hits.max() < 75 + 5 * 7.5


@pytest.mark.parametrize("special", [[], [np.nan], [np.inf], [-np.inf, np.nan], [np.inf, -np.inf]])
def test_moments_are_over_the_finite_values_with_or_without_nan_and_inf(special, monkeypatch):
    # the plain aggregations serve blocks without NaN/inf, the filtered ones the others
    from tabprep.validate import _profile

    monkeypatch.setattr(_profile, "BLOCK_ROWS", 250)
    rng = np.random.default_rng(12)
    x = rng.normal(2, 3, 1000)
    x[rng.choice(1000, len(special), replace=False)] = special
    df = pl.DataFrame({"x": pl.Series(x).scatter([3], None), "i": rng.integers(-9, 9, 1000)})
    p = profile(df)
    finite = x[np.isfinite(x) & (np.arange(1000) != 3)]  # row 3 is null
    col = p.columns["x"]
    assert col.missing == 1 + int(np.isnan(x).sum())
    assert col.mean == pytest.approx(finite.mean(), rel=1e-12) and col.std == pytest.approx(finite.std(ddof=1), rel=1e-10)
    not_nan = x[~np.isnan(x) & (np.arange(1000) != 3)]
    assert (col.min, col.max) == (not_nan.min(), not_nan.max())
    i = df["i"].to_numpy()
    assert p.columns["i"].std == pytest.approx(i.std(ddof=1), rel=1e-12) and p.columns["i"].mean == pytest.approx(i.mean())
