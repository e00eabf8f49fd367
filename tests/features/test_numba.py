"""NumbaTransformer: every kind against a plain NumPy/Python reference, nulls, threads, errors,
saving by name + hash, and no Numba at import or load."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oracles.user_functions as fns
from tabprep import Pipeline, load, set_threads
from tabprep.errors import ArtifactError, ConfigError, DataError, SchemaError
from tabprep.features import NumbaTransformer
from tabprep.features._numba import _view


TESTS = Path(__file__).resolve().parents[1]


def haversine_ref(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2.0 * 6371.0 * np.arcsin(np.sqrt(a))


def _coords(n, seed=0, null_share=0.0):
    rng = np.random.default_rng(seed)
    cols = {c: rng.uniform(-80, 80, n) if c.startswith("lat") else rng.uniform(-179, 179, n)
            for c in ("lat1", "lon1", "lat2", "lon2")}
    df = pl.DataFrame(cols)
    if null_share:
        df = df.with_columns(pl.when(pl.lit(rng.random(n) < null_share)).then(None).otherwise(pl.col(c)).alias(c)
                             for c in ("lat1", "lon2"))
    return df


HAV = dict(inputs=["lat1", "lon1", "lat2", "lon2"], outputs={"km": "Float64"})


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 3000), st.integers(0, 2**31), st.sampled_from([0.0, 0.1, 1.0]))
def test_row_function_matches_numpy_with_nulls(n, seed, null_share):
    df = _coords(n, seed, null_share)
    out = NumbaTransformer(fns.haversine, **HAV).fit_transform(df) if n else None
    if n == 0:
        return
    valid = df.select(pl.all_horizontal(pl.all().is_not_null())).to_series().to_numpy()
    want = haversine_ref(*(df[c].fill_null(0.0).to_numpy() for c in HAV["inputs"]))
    got = out["km"]
    np.testing.assert_array_equal(got.is_not_null().to_numpy(), valid)
    np.testing.assert_allclose(got.to_numpy()[valid], want[valid], rtol=1e-13)
    assert out.columns == [*HAV["inputs"], "km"]


def test_several_outputs_of_several_dtypes_and_one_call_per_batch(monkeypatch):
    from tabprep.kernels import _numba

    calls = []
    real = _numba.CompiledFunction.run_rows
    monkeypatch.setattr(_numba.CompiledFunction, "run_rows", lambda self, a, v: calls.append(1) or real(self, a, v))
    df = pl.DataFrame({"x": [1.5, None, -2.0, 7.0], "k": np.array([1, 2, 3, 4], dtype=np.int32)})
    step = NumbaTransformer(fns.sum_and_order, inputs=["x", "k"], outputs={"s": "Float64", "gt": "Boolean"},
                            drop_original=True)
    out = step.fit_transform(df)
    assert out.schema == pl.Schema({"s": pl.Float64, "gt": pl.Boolean})
    assert out.rows() == [(2.5, True), (None, None), (1.0, False), (11.0, True)]
    assert len(calls) == 1  # the two outputs come from one run of the function
    ints = NumbaTransformer(fns.count_up, inputs="k", outputs={"k1": "Int64"}).fit_transform(df)
    assert ints["k1"].to_list() == [2, 3, 4, 5]


def test_group_function_matches_a_per_group_reference():
    rng = np.random.default_rng(4)
    n = 5000
    x = rng.normal(size=n)
    x[rng.random(n) < 0.05] = np.nan
    df = pl.DataFrame({"g": rng.integers(0, 50, n), "h": rng.integers(0, 2, n), "x": x})
    out = NumbaTransformer(fns.ewm_mean, inputs="x", outputs={"e": "Float64"}, kind="group",
                           by=["g", "h"]).fit_transform(df)
    want = np.empty(n)
    for *_, idx in df.with_row_index().group_by(["g", "h"]).agg("index").iter_rows():
        m = math.nan
        for i in idx:  # plain Python, data order
            if not math.isnan(x[i]):
                m = x[i] if math.isnan(m) else 0.3 * x[i] + 0.7 * m
            want[i] = m
    got = out["e"].to_numpy()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=1e-14, equal_nan=True)
    pdf = df.to_pandas()  # pandas' ewm gives the same numbers
    pd_want = pdf.groupby(["g", "h"])["x"].transform(lambda s: s.ewm(alpha=0.3, adjust=False, ignore_na=True).mean()
                                                     .ffill())
    np.testing.assert_allclose(got, pd_want.to_numpy(), rtol=1e-12, equal_nan=True)


def test_array_function_on_whole_columns_and_null_rows():
    df = pl.DataFrame({"x": [1.0, None, 3.0, 5.0]})
    out = NumbaTransformer(fns.centred, inputs="x", outputs={"c": "Float64"}, kind="array").fit_transform(df)
    assert out["c"].to_list() == [-2.0, None, 0.0, 2.0]  # the null row: NaN to the function, null out
    with pytest.raises(DataError, match="column 'k'.*integer or Boolean"):
        NumbaTransformer(fns.centred, inputs="k", outputs={"c": "Float64"}, kind="array").fit_transform(
            pl.DataFrame({"k": [1, None]}))


@pytest.mark.parametrize("threads", [1, 3])
def test_results_do_not_depend_on_the_thread_count(threads):
    from tabprep.kernels import _numba

    df = _coords(300_000, 1, 0.01).with_columns(g=pl.int_range(300_000) % 977)
    try:
        set_threads(threads)
        row = NumbaTransformer(fns.haversine, **HAV).fit_transform(df)
        grp = NumbaTransformer(fns.ewm_mean, inputs="lat2", outputs={"e": "Float64"}, kind="group",
                               by="g").fit_transform(df)
    finally:
        set_threads(None)
    set_threads(2)
    try:
        assert row.equals(NumbaTransformer(fns.haversine, **HAV).fit_transform(df))
        assert grp.equals(NumbaTransformer(fns.ewm_mean, inputs="lat2", outputs={"e": "Float64"}, kind="group",
                                           by="g").fit_transform(df))
    finally:
        set_threads(None)
    assert _numba.ROW_TASK_ROWS < 300_000  # several tasks did run


def test_inputs_are_views_of_the_arrow_buffers():
    s = pl.Series("x", np.arange(10.0))
    values, valid = _view(s, nan_nulls=False, owner="T")
    assert valid is None and np.shares_memory(values, s.to_numpy(allow_copy=False))
    sliced = pl.Series("x", [1.0, None, 3.0, 4.0]).slice(1)
    values, valid = _view(sliced, nan_nulls=False, owner="T")
    assert values[1:].tolist() == [3.0, 4.0] and valid.tolist() == [False, True, True]


def test_a_function_that_does_not_compile_is_a_config_error_naming_it():
    with pytest.raises(ConfigError, match=r"the function 'does_not_compile' does not compile with Numba.*Numba says:"):
        NumbaTransformer(fns.does_not_compile, inputs="x", outputs={"y": "Float64"}).fit(pl.DataFrame({"x": [1.0]}))


@pytest.mark.parametrize("func,outputs,kind,message", [
    (fns.float_for_int, {"y": "Int64"}, "row", r"'float_for_int' returns float64 for output 0, declared int64"),
    (fns.haversine, {"y": "Float64", "z": "Float64"}, "row", r"returns float64, where 2 output\(s\) are declared"),
    (fns.sum_and_order, {"y": "Float64", "z": "Int32"}, "row", None),  # a Boolean fits an integer output
    (fns.haversine, {"y": "Boolean"}, "row", r"returns float64 for output 0, declared bool"),
])
def test_a_return_type_that_does_not_fit_the_outputs_is_refused(func, outputs, kind, message):
    n_in = func.__code__.co_argcount
    df = pl.DataFrame({f"x{i}": [1.0, 2.0] for i in range(n_in)})
    step = NumbaTransformer(func, inputs=[f"x{i}" for i in range(n_in)], outputs=outputs, kind=kind)
    if message is None:
        assert step.fit_transform(df)["z"].to_list() == [0, 0]
        return
    with pytest.raises(ConfigError, match=message):
        step.fit(df)


def test_a_group_result_of_another_length_is_a_data_error():
    df = pl.DataFrame({"g": [1, 1, 2, 2, 2], "x": [1.0, 2.0, 3.0, 4.0, 5.0]})
    with pytest.raises(DataError, match=r"row 0: .*'wrong_length' returned an array of another length"):
        NumbaTransformer(fns.wrong_length, inputs="x", outputs={"y": "Float64"}, kind="group", by="g").fit_transform(df)


@pytest.mark.parametrize("params,message", [
    (dict(inputs="x", outputs={"y": "String"}), "`outputs` parameter of `NumbaTransformer` must give each output"),
    (dict(inputs="x", outputs={"y": "Float64"}, kind="group"), "`by` parameter of `NumbaTransformer` must be given"),
    (dict(inputs=["x", "x"], outputs={"y": "Float64"}), "`inputs` parameter of `NumbaTransformer` must be"),
])
def test_bad_parameters(params, message):
    with pytest.raises(ConfigError, match=message):
        NumbaTransformer(fns.haversine, **params).fit(pl.DataFrame({"x": [1.0]}))
    with pytest.raises(SchemaError, match="column 's'.*numeric or Boolean"):
        NumbaTransformer(fns.count_up, inputs="s", outputs={"y": "Int64"}).fit(pl.DataFrame({"s": ["a"]}))


def test_saved_by_name_and_hash_and_loaded_with_the_users_function(tmp_path):
    df = _coords(1000, 2, 0.05)
    fitted = Pipeline([("hav", NumbaTransformer(fns.haversine, **HAV), HAV["inputs"])]).fit(df)
    path = fitted.save(tmp_path / "m")
    manifest = (path / "manifest.json").read_text()
    assert "math.asin" not in manifest and '"name":"haversine"' in manifest.replace(" ", "")
    again = load(path, functions={"haversine": fns.haversine})
    assert again.fingerprint == fitted.fingerprint
    assert again.transform(df).equals(fitted.transform(df))
    with pytest.raises(ArtifactError, match=r"calls the function 'haversine', which was not given.*functions="):
        load(path)

    def haversine(lat1, lon1, lat2, lon2):  # same name, other code
        return 0.0
    with pytest.raises(ArtifactError, match="the function 'haversine' given differs from the one the pipeline was saved"):
        load(path, functions={"haversine": haversine})


def test_neither_import_nor_load_imports_numba(tmp_path):
    df = _coords(50)
    path = Pipeline([("hav", NumbaTransformer(fns.haversine, **HAV), HAV["inputs"])]).fit(df).save(tmp_path / "m")
    code = (
        f"import sys; sys.path.insert(0, {str(TESTS)!r})\n"
        "import tabprep\n"
        "assert 'numba' not in sys.modules, 'import tabprep'\n"
        "import oracles.user_functions as fns\n"
        f"fitted = tabprep.load({str(path)!r}, functions={{'haversine': fns.haversine}})\n"
        "assert 'numba' not in sys.modules, 'load'\n"
        "import polars as pl\n"
        f"out = fitted.transform(pl.read_parquet({str(tmp_path / 'd.parquet')!r}))\n"
        "assert 'numba' in sys.modules and out['km'].null_count() == 0\n"
    )
    df.write_parquet(tmp_path / "d.parquet")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_lazy_input_stays_lazy():
    df = _coords(100)
    step = NumbaTransformer(fns.haversine, **HAV).fit(df)
    out = step.transform(df.lazy())
    assert isinstance(out, pl.LazyFrame)
    assert out.collect().equals(step.transform(df))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 3)),
                          st.one_of(st.none(), st.just(math.nan), st.floats(-100, 100))), min_size=1, max_size=40))
def test_group_function_matches_a_reference_on_random_groups(rows):
    df = pl.DataFrame(rows, schema={"g": pl.Int64, "x": pl.Float64}, orient="row")
    out = NumbaTransformer(fns.ewm_mean, inputs="x", outputs={"e": "Float64"}, kind="group", by="g").fit_transform(df)
    want = [None] * len(rows)
    for key in {g for g, _ in rows}:  # a null key is a group of its own
        m = math.nan
        for i, (g, x) in enumerate(rows):
            if g != key:
                continue
            v = math.nan if x is None else x
            if not math.isnan(v):
                m = v if math.isnan(m) else 0.3 * v + 0.7 * m
            want[i] = None if x is None else m  # a null input gives a null output
    got = out["e"].to_list()
    for g, w in zip(got, want):
        if w is None:
            assert g is None
        elif math.isnan(w):
            assert g is not None and math.isnan(g)
        else:
            assert g == pytest.approx(w, rel=1e-12, abs=1e-12)


def test_only_functions_of_importable_modules_are_cached_on_disk(tmp_path):
    from tabprep.kernels._numba import _cacheable

    assert _cacheable(fns.haversine)
    # code run by exec (a notebook cell, a README block) may name a real file, but Numba loading
    # it back from the cache in another process would fail: it is compiled per process instead
    source = tmp_path / "cell.py"
    source.write_text("def twice(x):\n    return 2 * x\n")
    namespace = {"__name__": "cell"}
    exec(compile(source.read_text(), str(source), "exec"), namespace)
    assert not _cacheable(namespace["twice"])
    out = NumbaTransformer(namespace["twice"], inputs="x", outputs={"y": "Float64"}).fit_transform(
        pl.DataFrame({"x": [1.5]}))
    assert out["y"].to_list() == [3.0]
    assert not list(tmp_path.glob("__pycache__/*.nbi"))


def test_a_function_that_raises_names_the_row_and_its_inputs():
    df = pl.DataFrame({"a": [1, 2, 3, 4, None, 6], "b": [1, 5, 2, 0, 0, 3]})  # row 4: null, not run
    make = lambda: NumbaTransformer(fns.int_ratio, inputs=["a", "b"], outputs={"r": "Float64"})  # noqa: E731
    message = r"NumbaTransformer: the function 'int_ratio' raised ZeroDivisionError: division by zero; found a=4, b=0"
    with pytest.raises(DataError, match=message) as info:
        make().fit_transform(df)
    assert info.value.row == 3
    with pytest.raises(DataError, match=message) as info:
        Pipeline([("f", make(), ["a", "b"])]).fit_transform(df)
    assert info.value.row == 3
    fitted = Pipeline([("f", make(), ["a", "b"])]).fit(df.head(3))
    with pytest.raises(DataError, match="raised ZeroDivisionError"):  # lazy: the batch cannot know its row
        fitted.transform(df.lazy()).collect()
    got = fitted.explain_failure(df.lazy())
    assert (got.row, got.found) == (3, "a=4, b=0")
    assert fitted.explain_failure(df.head(3).lazy()) is None
