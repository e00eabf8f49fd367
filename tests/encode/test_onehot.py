"""OneHotEncoder: equal to scikit-learn's (numbers, feature names, attributes, warnings) on the same data."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from sklearn import preprocessing as skp

from tabprep.encode import OneHotEncoder
from tabprep.errors import ConfigError, DataError
from tabprep.pipeline import Pipeline, Step

LEVELS = ["a", "b", "c", "d", "é", "中文", "Zed"]


def make_frame(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    p = np.array([30, 20, 12, 8, 5, 3, 2], dtype=float)
    s = rng.choice(LEVELS, size=n, p=p / p.sum()).tolist()
    f = rng.choice([0.5, -1.25, 2.0, 10.0], size=n, p=[0.5, 0.3, 0.15, 0.05]).tolist()
    for col in (s, f):
        for r in np.flatnonzero(rng.random(n) < 0.08):
            col[r] = None
    i = rng.choice([3, 1, 7, -2], size=n, p=[0.5, 0.3, 0.15, 0.05]).tolist()
    b = rng.choice(["yes", "no"], size=n).tolist()
    return pl.DataFrame({"s": s, "i": i, "f": f, "b": b},
                        schema={"s": pl.String, "i": pl.Int64, "f": pl.Float64, "b": pl.String})


def to_sklearn(df: pl.DataFrame) -> pd.DataFrame:
    """The same data for scikit-learn, as pandas holds it (NaN marks missing text and numbers)."""
    return df.to_pandas()


def with_unknowns(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(pl.col("s").str.replace("^b$", "bb"), pl.when(pl.col("i") == -2).then(99).otherwise(pl.col("i")).alias("i"))


def run(enc, fn, *args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args)
    return out, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def dense(x):
    return x.toarray() if sparse.issparse(x) else (x.to_numpy() if hasattr(x, "to_numpy") else np.asarray(x))


PARAMS = [
    {},
    {"drop": "first"},
    {"drop": "if_binary"},
    {"drop": ["c", 7, 0.5, "no"]},
    {"handle_unknown": "ignore"},
    {"handle_unknown": "ignore", "drop": "first"},
    {"handle_unknown": "infrequent_if_exist"},
    {"handle_unknown": "infrequent_if_exist", "min_frequency": 20},
    {"handle_unknown": "infrequent_if_exist", "max_categories": 3, "drop": "first"},
    {"handle_unknown": "warn", "max_categories": 2},
    {"handle_unknown": "ignore", "min_frequency": 0.1, "drop": "if_binary"},
    {"max_categories": 1},
    {"min_frequency": 30, "drop": ["a", 3, np.nan, "yes"]},
    {"dtype": np.float32},
    {"dtype": np.uint8},
]


def _id(p):
    return ",".join(f"{k}={v}" for k, v in p.items()) or "default"


@pytest.mark.parametrize("params", PARAMS, ids=_id)
@pytest.mark.parametrize("sparse_output", [True, False])
def test_equals_sklearn(params, sparse_output):
    train, test = make_frame(400, 0), with_unknowns(make_frame(120, 1))
    ours = OneHotEncoder(sparse_output=sparse_output, **params)
    theirs = skp.OneHotEncoder(sparse_output=sparse_output, **params)
    out = ours.fit_transform(train)
    ref = theirs.fit_transform(to_sklearn(train))
    assert sparse.issparse(out) == sparse_output
    np.testing.assert_array_equal(dense(out), dense(ref))
    if sparse_output:
        assert out.dtype == ref.dtype and type(out) is type(ref)
        np.testing.assert_array_equal(out.indices, ref.indices)
        np.testing.assert_array_equal(out.indptr, ref.indptr)
    else:
        assert out.columns == theirs.get_feature_names_out().tolist()
    assert ours.get_feature_names_out().tolist() == theirs.get_feature_names_out().tolist()
    for a, b in zip(ours.categories_, theirs.categories_):
        assert [None if v is None or v != v else v for v in a.tolist()] == [None if v is None or v != v else v for v in b.tolist()]
    if theirs.drop_idx_ is None:
        assert ours.drop_idx_ is None
    else:
        assert ours.drop_idx_.tolist() == theirs.drop_idx_.tolist()
    if hasattr(theirs, "infrequent_categories_"):
        assert [None if x is None else [v if v == v else None for v in x.tolist()] for x in ours.infrequent_categories_] == \
               [None if x is None else [v if v == v else None for v in x.tolist()] for x in theirs.infrequent_categories_]
    if params.get("handle_unknown", "error") != "error":
        got, w_ours = run(ours, ours.transform, test)
        exp, w_theirs = run(theirs, theirs.transform, to_sklearn(test))
        np.testing.assert_array_equal(dense(got), dense(exp))
        assert bool(w_ours) == bool(w_theirs)
    # numpy in, numpy out (C order, sklearn's values)
    arr = OneHotEncoder(sparse_output=False, **params).fit(train.to_numpy()).transform(train.to_numpy())
    assert isinstance(arr, np.ndarray) and arr.flags.c_contiguous
    np.testing.assert_array_equal(arr, dense(ref))


def test_docstring_example_and_names():
    X = [["Male", 1], ["Female", 3], ["Female", 2]]
    ours, theirs = OneHotEncoder(handle_unknown="ignore").fit(X), skp.OneHotEncoder(handle_unknown="ignore").fit(X)
    Z = [["Female", 1], ["Male", 4]]
    np.testing.assert_array_equal(ours.transform(Z).toarray(), theirs.transform(Z).toarray())
    assert ours.get_feature_names_out(["gender", "group"]).tolist() == theirs.get_feature_names_out(["gender", "group"]).tolist()

    def combiner(feature, category):
        return str(feature) + "_" + type(category).__name__ + "_" + str(category)

    a = OneHotEncoder(feature_name_combiner=combiner).fit(X).get_feature_names_out().tolist()
    assert a == ["x0_str_Female", "x0_str_Male", "x1_int_1", "x1_int_2", "x1_int_3"]


def test_null_category_names():
    df = pl.DataFrame({"s": ["a", None], "f": [1.0, float("nan")], "i": [1, None]})
    names = OneHotEncoder().fit(df).get_feature_names_out().tolist()
    assert names == ["s_a", "s_nan", "f_1.0", "f_nan", "i_1", "i_nan"]


def test_polars_dense_output_is_lazy_equal_and_typed():
    train = make_frame(300, 4)
    enc = OneHotEncoder(sparse_output=False, dtype=np.uint8, handle_unknown="infrequent_if_exist", max_categories=4).fit(train)
    eager = enc.transform(train)
    assert set(eager.dtypes) == {pl.UInt8}
    assert enc.transform(train.lazy()).collect().equals(eager)
    assert enc.output_schema(train.schema) == eager.schema
    test = with_unknowns(make_frame(50, 5))
    assert enc.transform(test.lazy()).collect().equals(enc.transform(test))
    booleans = OneHotEncoder(sparse_output=False, dtype=bool).fit(train).transform(train)
    assert set(booleans.dtypes) == {pl.Boolean}


def test_unknown_error_names_column_row_value():
    enc = OneHotEncoder().fit(pl.DataFrame({"city": ["Paris", "Oslo"]}))
    with pytest.raises(DataError) as err:
        enc.transform(pl.DataFrame({"city": ["Oslo", "Lima"]}))
    assert (err.value.column, err.value.row, err.value.found) == ("city", 1, "'Lima'")
    # lazily the row is not known (and Polars re-raises the error with its message only)
    with pytest.raises(DataError, match="column 'city'.*not seen during fit"):
        enc.transform(pl.LazyFrame({"city": ["Oslo", "Lima"]})).collect()
    with pytest.raises(DataError):
        enc.transform(pl.LazyFrame({"city": ["Oslo", None]})).collect()


@pytest.mark.parametrize("params, match", [
    ({"drop": "last"}, "`drop`"),
    ({"drop": ["zz"]}, "not found"),
    ({"drop": ["a", "b"]}, "length"),
    ({"drop": ["c"], "max_categories": 2}, "infrequent"),
    ({"handle_unknown": "raise"}, "`handle_unknown`"),
    ({"max_categories": 0}, "`max_categories`"),
    ({"dtype": "datetime64[ns]"}, "`dtype`"),
])
def test_config_errors(params, match):
    df = pl.DataFrame({"x": ["a", "b", "b", "c", "b"]})
    with pytest.raises(ConfigError, match=match):
        OneHotEncoder(**params).fit(df)


def test_sparse_with_frame_output_config_is_an_error():
    enc = OneHotEncoder().set_output(transform="pandas").fit(pl.DataFrame({"x": ["a"]}))
    with pytest.raises(ConfigError, match="sparse"):
        enc.transform(pl.DataFrame({"x": ["a"]}))


def test_single_category_dropped_gives_no_column():
    df = pl.DataFrame({"x": ["a", "a"], "y": ["p", "q"]})
    enc = OneHotEncoder(drop="first", sparse_output=False).fit(df)
    assert enc.get_feature_names_out().tolist() == ["y_q"]
    assert enc.transform(df).rows() == [(0.0,), (1.0,)]
    assert OneHotEncoder(drop="first").fit(df).transform(df).shape == (2, 1)


def test_streamed_fit_and_round_trip():
    df = make_frame(500, 9)
    params = {"max_categories": 4, "drop": "if_binary", "sparse_output": False, "handle_unknown": "infrequent_if_exist"}
    eager = OneHotEncoder(**params).fit(df)
    fitted = Pipeline([("ohe", OneHotEncoder(**params), None)]).fit(df, batch_size=33)
    assert fitted.feature_names_out == eager.get_feature_names_out().tolist()
    assert fitted.transform(df).equals(eager.transform(df))
    back = Step.from_dict(eager.to_dict())
    assert back.transform(df).equals(eager.transform(df))
    assert pickle.loads(pickle.dumps(eager)).transform(df).equals(eager.transform(df))
    with pytest.raises(ConfigError, match="cannot be saved"):
        OneHotEncoder(feature_name_combiner=lambda f, c: f"{f}{c}").fit(df).to_dict()


def test_empty_transform():
    enc = OneHotEncoder().fit(pl.DataFrame({"x": ["a", "b"]}))
    out = enc.transform(pl.DataFrame({"x": []}, schema={"x": pl.String}))
    assert out.shape == (0, 2)
    dense_out = OneHotEncoder(sparse_output=False).fit(pl.DataFrame({"x": ["a", "b"]})).transform(
        pl.DataFrame({"x": []}, schema={"x": pl.String}))
    assert dense_out.shape == (0, 2)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["x", "y", "é", "", "zz", "中"])), min_size=1, max_size=40),
       st.sampled_from([None, 2, 0.2]), st.sampled_from([None, 1, 2, 3]), st.sampled_from([None, "first", "if_binary"]))
def test_property_equals_sklearn(values, min_frequency, max_categories, drop):
    df = pl.DataFrame({"v": values}, schema={"v": pl.String})
    params = {"min_frequency": min_frequency, "max_categories": max_categories, "drop": drop}
    ours = OneHotEncoder(**params)
    theirs = skp.OneHotEncoder(**params)
    np.testing.assert_array_equal(ours.fit_transform(df).toarray(), theirs.fit_transform(df.to_pandas()).toarray())
    assert ours.get_feature_names_out().tolist() == theirs.get_feature_names_out().tolist()


@pytest.mark.parametrize("values", [
    ["only"] * 7,
    [None] * 5,
    [f"v{i % 3001}_é" for i in range(9000)],
])
@pytest.mark.parametrize("drop", [None, "first"])
def test_edge_columns_equal_sklearn(values, drop):
    df = pl.DataFrame({"x": values}, schema={"x": pl.String})
    ours, theirs = OneHotEncoder(drop=drop), skp.OneHotEncoder(drop=drop)
    got, exp = ours.fit_transform(df), theirs.fit_transform(df.to_pandas())
    assert got.shape == exp.shape
    np.testing.assert_array_equal(got.indices, exp.indices)
    np.testing.assert_array_equal(got.indptr, exp.indptr)
    assert ours.get_feature_names_out().tolist() == theirs.get_feature_names_out().tolist()


@pytest.mark.parametrize("frame", [
    pl.DataFrame({"c": ["nan", None, "a"]}),  # a null and the string "nan" both print as 'nan'
    pl.DataFrame({"a_b": ["c"], "a": ["b_c"]}),  # 'a_b' + 'c' and 'a' + 'b_c'
])
def test_clashing_output_names_are_a_schema_error(frame):
    from tabprep import Pipeline
    from tabprep.errors import SchemaError

    with pytest.raises(SchemaError, match="two output columns named"):
        OneHotEncoder(sparse_output=False).fit_transform(frame)
    with pytest.raises(SchemaError, match="two output columns named"):
        Pipeline([("oh", OneHotEncoder(sparse_output=False), frame.columns)]).fit(frame)
    # sparse output has no column names to clash: it still works
    assert OneHotEncoder(sparse_output=True).fit_transform(frame).shape[0] == frame.height


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int16, np.uint8, bool])
def test_streamed_batches_match_scikit_learn_and_free_their_blocks(tmp_path, dtype):
    # each batch of a column is encoded once for all of its outputs (one struct call, unnested;
    # its fields views of one indicator block); streamed in many batches (row groups) the frame is
    # scikit-learn's, and the encoder keeps no block alive once the output is gone
    import gc
    from sklearn.preprocessing import OneHotEncoder as SkOneHot

    train = make_frame(3_000, 6)
    train.write_parquet(tmp_path / "t.parquet", row_group_size=128)
    enc = OneHotEncoder(sparse_output=False, dtype=dtype, handle_unknown="ignore").fit(train)
    ref = SkOneHot(sparse_output=False, dtype=dtype, handle_unknown="ignore").fit(train.to_pandas())
    rows = {"block": 0, "struct": 0}
    block_of, columns_of = enc._block_of, enc._columns_of

    def counted(name, fn):
        def wrapper(*args):
            rows[name] += len(args[-1])
            return fn(*args)
        return wrapper

    enc._block_of, enc._columns_of = counted("block", block_of), counted("struct", columns_of)
    for engine in ("streaming", "in-memory"):
        got = enc.transform(pl.scan_parquet(tmp_path / "t.parquet")).collect(engine=engine)
        np.testing.assert_array_equal(got.to_numpy(), ref.transform(train.to_pandas()))
        del got
    # every row of every column encoded exactly once per run, whatever the output columns
    assert rows["struct"] == 2 * train.height * train.width
    if np.dtype(dtype).kind != "b":
        assert rows["block"] == rows["struct"]
    del enc._block_of, enc._columns_of
    gc.collect()
    live = [ref_ for _, ref_ in enc._cache._entries]
    if np.dtype(dtype).kind != "b":
        assert all(ref_() is None for ref_ in live)
