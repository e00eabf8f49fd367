"""Streaming fits: one scan per phase, batch fits equal in-memory fits, byte-identical refits."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import polars.selectors as cs
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from polars.io.plugins import register_io_source

from tabprep import Pipeline
from tabprep.clean import Clipper, SimpleImputer
from tabprep.datasets import synthetic
from tabprep.scale import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

NUM = [f"num_{i}" for i in range(5)]


@pytest.fixture(scope="module")
def data():
    return synthetic(20_000, seed=0)


@pytest.fixture(scope="module")
def parquet(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("batches") / "synthetic.parquet"
    data.write_parquet(path, row_group_size=3_000)
    return path


def counting_source(df):
    """A LazyFrame over ``df`` whose every scan increments ``calls["scans"]``."""
    calls = {"scans": 0}

    def source(with_columns, predicate, n_rows, batch_size):
        calls["scans"] += 1
        frame = df if with_columns is None else df.select(with_columns)
        step = batch_size or 4096
        for start in range(0, frame.height, step):
            yield frame.slice(start, step)

    return register_io_source(source, schema=df.schema), calls


def test_independent_steps_scan_the_source_once(data):
    lf, calls = counting_source(data)
    steps = [("sc", StandardScaler(), ["num_0", "num_1"]), ("mm", MinMaxScaler(), "num_2"),
             ("ma", MaxAbsScaler(), "num_3"), ("rs", RobustScaler(), "num_4"),
             ("imp", SimpleImputer(strategy="median"), ["y_cont"]), ("clip", Clipper(), "group_id")]
    # lineage=False: fingerprinting the training data (tabprep.pipeline._artifact) is one more
    # read of its own; here only the statistics passes are counted
    fitted = Pipeline(steps).fit(lf, target="y_bin", lineage=False)
    assert fitted.fit_phases == [["sc", "mm", "ma", "rs", "imp", "clip"]]
    assert calls["scans"] == 1
    # two dependent phases -> two scans
    lf, calls = counting_source(data)
    fitted = Pipeline([("clip", Clipper(), NUM), ("sc", StandardScaler(), NUM)]).fit(lf, lineage=False)
    assert fitted.fit_phases == [["clip"], ["sc"]]
    assert calls["scans"] == 2
    # ... but a scaler after an imputer (which only fills missing cells) shares its pass
    lf, calls = counting_source(data)
    fitted = Pipeline([("imp", SimpleImputer(), NUM), ("sc", StandardScaler(), NUM)]).fit(lf, lineage=False)
    assert fitted.fit_phases == [["imp", "sc"]]
    assert calls["scans"] == 1
    lf, calls = counting_source(data)
    Pipeline([("sc", StandardScaler(), NUM)]).fit(lf)
    assert calls["scans"] == 2  # statistics + lineage fingerprint


STEPS = [
    ("imp_mean", SimpleImputer(add_indicator=True), ["num_0", "num_1"]),
    ("imp_median", SimpleImputer(strategy="median"), ["num_2"]),
    ("imp_const", SimpleImputer(strategy="constant", fill_value=-1.0), ["num_3"]),
    ("sc", StandardScaler(), ["num_0", "num_1", "num_3"]),
    ("mm", MinMaxScaler(), ["num_4", "y_cont"]),
    ("ma", MaxAbsScaler(), ["group_id"]),
    ("rs", RobustScaler(), ["num_2"]),
    ("clip", Clipper(method="iqr"), ["num_4"]),
]


def _state(fitted):
    return {name: step.to_dict()["state"] for name, step, _ in fitted.steps}


def _close(a, b, rtol):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _close(a[k], b[k], rtol)
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y, rtol)
    elif isinstance(a, float):
        assert_allclose(a, b, rtol=rtol, atol=0)
    else:
        assert a == b


@pytest.mark.parametrize("batch_size", [1, 997, 4_096])
def test_parquet_in_batches_equals_in_memory_fit(data, parquet, batch_size):
    pipe = Pipeline(STEPS)
    memory = pipe.fit(data, target="y_bin")
    # batch_size=1 (one row per batch) on a prefix of the file, to keep the test fast
    source = str(parquet) if batch_size != 1 else pl.scan_parquet(parquet).head(400)
    ref = memory if batch_size != 1 else pipe.fit(data.head(400), target="y_bin")
    batched = pipe.fit(source, target="y_bin", batch_size=batch_size)
    assert batched.fit_phases == ref.fit_phases
    a, b = _state(ref), _state(batched)
    # counts, minima/maxima and order statistics: exact; moments: Chan merge, ~1e-15 relative
    for name in ("imp_median", "imp_const", "mm", "ma", "rs", "clip"):
        assert a[name] == b[name], name
    assert a["imp_mean"]["indicator_features"] == b["imp_mean"]["indicator_features"]
    assert a["sc"]["n_samples_seen"] == b["sc"]["n_samples_seen"]
    _close(a, b, rtol=1e-12)
    out_ref = ref.transform(data.head(400))
    out = batched.transform(data.head(400))
    assert out.columns == out_ref.columns
    assert_allclose(out.select(cs.numeric()).to_numpy(), out_ref.select(cs.numeric()).to_numpy(), rtol=1e-11, atol=1e-12)


def test_moments_merged_from_batches_match_naive_reference(data):
    fitted = Pipeline([("sc", StandardScaler(), NUM)]).fit(data.lazy(), batch_size=333)
    sc = fitted.steps[0][1]
    for i, c in enumerate(NUM):
        x = data[c].drop_nulls().to_numpy()
        assert sc.n_samples_seen_[i] == x.size
        assert_allclose(sc.mean_[i], np.mean(x), rtol=1e-13)
        assert_allclose(sc.var_[i], np.var(x), rtol=1e-12)


def test_refit_is_byte_identical(parquet):
    pipe = Pipeline(STEPS)
    texts = {json.dumps(pipe.fit(str(parquet), target="y_bin").to_dict()["steps"], allow_nan=False) for _ in range(3)}
    assert len(texts) == 1


def test_state_does_not_depend_on_how_the_input_is_chunked(data, parquet):
    """Same rows, different chunk layouts (one chunk, odd slices, Parquet row groups) -> same state."""
    pipe = Pipeline(STEPS)
    odd = pl.concat([data.slice(i, 777) for i in range(0, data.height, 777)], rechunk=False)
    assert odd.n_chunks() > 1
    texts = {
        json.dumps(pipe.fit(source, target="y_bin", lineage=False).to_dict()["steps"], allow_nan=False)
        for source in (data.rechunk(), odd, odd.lazy(), str(parquet))
    }
    assert len(texts) == 1


def test_non_mergeable_steps_are_exact_in_batch_mode(data):
    steps = [("rs", RobustScaler(quantile_range=(7.5, 92.5)), NUM), ("med", SimpleImputer(strategy="most_frequent"), ["cat_lo"])]
    whole = Pipeline(steps).fit(data)
    batched = Pipeline(steps).fit(data.lazy(), batch_size=1_000)
    rs_a, rs_b = whole.steps[0][1], batched.steps[0][1]
    assert_array_equal(rs_a.center_, rs_b.center_)
    assert_array_equal(rs_a.scale_, rs_b.scale_)
    assert list(whole.steps[1][1].statistics_) == list(batched.steps[1][1].statistics_)
    from sklearn.preprocessing import RobustScaler as SkRobust

    sk = SkRobust(quantile_range=(7.5, 92.5)).fit(data.select(NUM).to_numpy())
    assert_array_equal(rs_b.center_, sk.center_)
    assert_array_equal(rs_b.scale_, sk.scale_)


# ------------------------------------------------------------------ batch size never changes a bit
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(batch_size=st.one_of(st.none(), st.integers(1, 9000)),
       cuts=st.lists(st.integers(1, 7999), max_size=4, unique=True))
def test_any_batch_size_and_chunking_gives_the_same_state_bit_for_bit(batch_size, cuts, monkeypatch_blocks):
    """Partial statistics come from fixed blocks of the global row number, merged in order: the
    batch size and the input's chunking change no bit of the state (the README's promise)."""
    from tabprep import Pipeline
    from tabprep.clean import SimpleImputer
    from tabprep.scale import MinMaxScaler, StandardScaler

    df = _BATCH_FRAME
    pieces = [df[a:b] for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), df.height])]
    chunked = pl.concat(pieces, rechunk=False)
    pipe = Pipeline([("imp", SimpleImputer(), ["b"]), ("sc", StandardScaler(), ["a", "b", "c"]),
                     ("mm", MinMaxScaler(), ["a"])])
    want = pipe.fit(df, lineage=False)
    got = pipe.fit(chunked, batch_size=batch_size, lineage=False)
    assert got.fingerprint == want.fingerprint
    assert got.named_steps["sc"].mean_.tobytes() == want.named_steps["sc"].mean_.tobytes()


@settings(max_examples=15, deadline=None)
@given(batch_size=st.one_of(st.none(), st.integers(1, 9000)),
       cuts=st.lists(st.integers(1, 7999), max_size=4, unique=True))
def test_float_sums_of_polars_still_get_one_chunk_per_block(batch_size, cuts, monkeypatch_blocks):
    """A weighted scaler's moments are Polars sums (chunk by chunk), so its columns are copied into
    one chunk per block, for its statistics only: any batch size and chunking, the same bits,
    with the kept columns of an exact statistic (a median) in the same pass."""
    import tabprep._base.fit as fit
    from tabprep import Pipeline
    from tabprep.clean import SimpleImputer
    from tabprep.scale import StandardScaler

    df = _BATCH_FRAME.with_columns(w=pl.Series(np.random.default_rng(2).random(8000) + 0.5))
    pieces = [df[a:b] for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), df.height])]
    chunked = pl.concat(pieces, rechunk=False)
    pipe = Pipeline([("sc", StandardScaler(), ["a", "b"]), ("med", SimpleImputer(strategy="median"), ["c"])])
    plan = fit.PhasePlan(df.schema, [(StandardScaler(), df.schema, ["a", "b"])], None, {0: "w"})
    assert plan.whole == ["a", "b", "w"]  # the copy this test is about
    want = pipe.fit(df, sample_weight="w", lineage=False)
    got = pipe.fit(chunked, sample_weight="w", batch_size=batch_size, lineage=False)
    assert got.fingerprint == want.fingerprint


def test_the_moments_kernel_reads_its_columns_in_place():
    """Statistics from the moments kernel (chunk-invariant) get no one-chunk copy of their columns;
    a block keeps the source's chunks (a frame whose columns were chunked differently would be
    copied whole by Polars' next query on it)."""
    import tabprep._base.fit as fit

    df = _BATCH_FRAME
    entries = [(SimpleImputer(), df.schema, ["b"]), (StandardScaler(), df.schema, ["a", "b", "c"]),
               (SimpleImputer(strategy="median"), df.schema, ["a"])]
    plan = fit.PhasePlan(df.schema, entries, None)
    assert plan.whole == []
    chunked = pl.concat([df[:777], df[777:3000], df[3000:]], rechunk=False)
    blocks = list(fit._blocks(chunked.lazy().select(plan.projected).collect_batches(maintain_order=True),
                              fit.STATS_BLOCK_ROWS))
    row, kept = plan.partial(blocks[0])
    assert kept.get_column("a").n_chunks() == blocks[0].get_column("a").n_chunks() > 1


_rng = np.random.default_rng(11)
_BATCH_FRAME = pl.DataFrame({
    "a": _rng.normal(500, 100, 8000),
    "b": np.where(_rng.random(8000) < 0.1, np.nan, _rng.normal(size=8000)),
    "c": _rng.integers(0, 1000, 8000),
})


@pytest.fixture(scope="module")
def monkeypatch_blocks():
    """Blocks of 1,000 rows (instead of 2**18), so 8,000 rows cross many block boundaries."""
    import tabprep._base.fit as fit

    saved, fit.STATS_BLOCK_ROWS = fit.STATS_BLOCK_ROWS, 1000
    yield
    fit.STATS_BLOCK_ROWS = saved


# ------------------------------------------------------------------ a pass merges as it goes
def _mixed_steps():
    from tabprep.bin import KBinsDiscretizer
    from tabprep.encode import CountEncoder, OneHotEncoder, OrdinalEncoder

    return [("imp", SimpleImputer(), ["b"]), ("sc", StandardScaler(), ["a", "b", "c"]), ("mm", MinMaxScaler(), ["a"]),
            ("oh", OneHotEncoder(sparse_output=False), ["lo"]), ("cnt", CountEncoder(), ["hi"]),
            ("ord", OrdinalEncoder(), ["hi", "c"]),
            ("kb", KBinsDiscretizer(n_bins=8, encode="ordinal", strategy="quantile", sketch=True), ["a"])]


def _mixed_frame(n: int, seed: int, n_cats: int = 3_000):
    rng = np.random.default_rng(seed)
    hi = rng.zipf(1.3, n) % n_cats
    return pl.DataFrame({
        "a": rng.normal(500, 100, n),
        "b": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
        "c": rng.integers(0, 1000, n),
        "lo": pl.Series(rng.choice(["x", "y", None, "z"], n).tolist(), dtype=pl.String),
        "hi": pl.Series([f"k{v}" for v in hi], dtype=pl.String).set(pl.Series(rng.random(n) < 0.05), None),
    })


def _canonical(state) -> str:
    """A step's ``to_dict()`` as text, its Arrow tables as the bytes of their IPC stream."""
    import pyarrow as pa

    def default(obj):
        if isinstance(obj, pa.Table):
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, obj.schema) as writer:
                writer.write_table(obj)
            return sink.getvalue().to_pybytes().hex()
        raise TypeError(type(obj))

    return json.dumps(state, sort_keys=True, default=default)


@settings(max_examples=10, deadline=None)
@given(batch_size=st.one_of(st.none(), st.integers(50, 9000)),
       cuts=st.lists(st.integers(1, 7999), max_size=4, unique=True), seed=st.integers(0, 3),
       merge_blocks=st.integers(1, 5))
def test_merging_as_the_pass_goes_equals_merging_every_block_at_the_end(batch_size, cuts, seed, merge_blocks,
                                                                         monkeypatch_blocks):
    """The pass merges its partials every ``MERGE_BLOCKS`` blocks instead of keeping every
    block's: the state is the one the merge of all blocks' partials at once gives, bit for bit,
    for moments, category tables (first-seen order, counts) and KLL sketches; and any batch size
    or chunking gives the in-memory fit's fingerprint."""
    import tabprep._base.fit as fit
    from tabprep._base.estimator import clone

    saved, fit.MERGE_BLOCKS = fit.MERGE_BLOCKS, merge_blocks
    try:
        df = _mixed_frame(8000, seed)
        pieces = [df[a:b] for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), df.height])]
        chunked = pl.concat(pieces, rechunk=False)
        for name, step, cols in _mixed_steps():
            entries = [(step, df.schema, cols)]
            running = fit.run_phase(chunked.lazy(), entries, None, fit.check_batch_size(batch_size))[0]
            plan = fit.PhasePlan(df.schema, entries, None)
            parts, kept = [], []
            for block in fit._blocks(chunked.lazy().select(plan.projected).collect_batches(maintain_order=True),
                                     fit.STATS_BLOCK_ROWS, plan.whole):
                row, frame = plan.partial(block)
                parts.append(row)
            assert len(parts) == 8
            at_end = plan.finish(parts, kept)[0]
            a = clone(step).fit_finalize(running, df.schema, cols).to_dict()
            b = clone(step).fit_finalize(at_end, df.schema, cols).to_dict()
            assert _canonical(a) == _canonical(b), name
        pipe = Pipeline(_mixed_steps())
        assert pipe.fit(chunked, batch_size=batch_size, lineage=False).fingerprint == pipe.fit(df, lineage=False).fingerprint
    finally:
        fit.MERGE_BLOCKS = saved


def test_a_pass_holds_a_bounded_number_of_category_tables_whatever_its_length(monkeypatch_blocks):
    """Memory of a streamed fit does not grow with its length: 8x the blocks (the same
    categories in each) peak at the same Python memory. (Each block's category table was kept
    as Python lists until the end of the pass: 1.7 MB for 10 blocks, 4.9 MB for 80.)"""
    import gc
    import tracemalloc

    from tabprep.encode import CountEncoder, OneHotEncoder

    def peak(blocks: int) -> int:
        frame = pl.concat([_mixed_frame(1000, k % 4, n_cats=600) for k in range(blocks)], rechunk=False)
        pipe = Pipeline([("cnt", CountEncoder(), ["hi"]), ("oh", OneHotEncoder(sparse_output=False), ["c"])])
        gc.collect()
        tracemalloc.start()
        try:
            fitted = pipe.fit(frame.lazy(), lineage=False)
            got = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert fitted.named_steps["cnt"].to_dict()["state"]["columns"][0]["n_rows"] == frame.height
        return got

    peak(2)  # first use: imports, compiled expressions
    small, large = peak(10), peak(80)
    assert large < 1.25 * small, (small, large)
