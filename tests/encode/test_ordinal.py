"""OrdinalEncoder: equal to scikit-learn's on the same data; orders, nulls, errors, lazy/streamed fits."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import preprocessing as skp
from sklearn.base import clone

from tabprep.encode import OrdinalEncoder
from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep.pipeline import Pipeline, Step

LEVELS = ["a", "b", "c", "d", "é", "中文", "Zed", "long_category_name_x"]


def make_frame(n: int, seed: int, *, nulls: bool = True) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    p = np.array([30, 20, 12, 8, 5, 3, 2, 1], dtype=float)
    s = rng.choice(LEVELS, size=n, p=p / p.sum()).tolist()
    i = rng.choice([3, 1, 7, -2, 40], size=n, p=[0.4, 0.3, 0.15, 0.1, 0.05]).tolist()
    f = rng.choice([0.5, -1.25, 2.0, 10.0], size=n).tolist()
    if nulls:
        for col in (s, i, f):
            for r in np.flatnonzero(rng.random(n) < 0.08):
                col[r] = None
    return pl.DataFrame({"s": s, "i": i, "f": f}, schema={"s": pl.String, "i": pl.Int64, "f": pl.Float64})


def to_sklearn(df: pl.DataFrame) -> pd.DataFrame:
    """The same data for scikit-learn: object columns with NaN as the missing marker."""
    return pd.DataFrame({c: pd.Series([np.nan if v is None else v for v in df[c].to_list()], dtype=object)
                         for c in df.columns})


def assert_categories_equal(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        a_missing = len(a) and (a[-1] is None or (isinstance(a[-1], float) and np.isnan(a[-1])))
        b_missing = len(b) and (b[-1] is None or (isinstance(b[-1], float) and np.isnan(b[-1])))
        assert a_missing == b_missing
        a, b = (a[:-1] if a_missing else a), (b[:-1] if b_missing else b)
        assert [x.item() if isinstance(x, np.generic) else x for x in a] == \
               [x.item() if isinstance(x, np.generic) else x for x in b]


PARAMS = [
    {},
    {"encoded_missing_value": -1},
    {"encoded_missing_value": 99, "dtype": np.int32},
    {"handle_unknown": "use_encoded_value", "unknown_value": -1},
    {"handle_unknown": "use_encoded_value", "unknown_value": np.nan},
    {"handle_unknown": "use_encoded_value", "unknown_value": 50, "encoded_missing_value": -7, "dtype": np.int64},
    {"min_frequency": 15},
    {"min_frequency": 0.1},
    {"max_categories": 1},
    {"max_categories": 3},
    {"max_categories": 3, "min_frequency": 20, "handle_unknown": "use_encoded_value", "unknown_value": -1},
    {"dtype": np.float32},
]


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()) or "default")
@pytest.mark.parametrize("seed", [0, 1])
def test_equals_sklearn(params, seed):
    train, test = make_frame(300, seed), make_frame(80, seed + 100)
    ours = OrdinalEncoder(**params)
    theirs = skp.OrdinalEncoder(**params)
    out = ours.fit_transform(train.to_numpy() if False else train)
    ref = theirs.fit_transform(to_sklearn(train))
    np.testing.assert_array_equal(out.to_numpy().astype(ref.dtype), ref)
    assert out.dtypes == [pl.Series(np.empty(0, dtype=ref.dtype)).dtype] * 3
    assert_categories_equal(ours.categories_, theirs.categories_)
    if "max_categories" in params or "min_frequency" in params:
        assert_categories_equal([x if x is not None else np.array([]) for x in ours.infrequent_categories_],
                                [x if x is not None else np.array([]) for x in theirs.infrequent_categories_])
    if params.get("handle_unknown") == "use_encoded_value":
        unseen = test.with_columns(pl.when(pl.col("i") == 40).then(12345).otherwise(pl.col("i")).alias("i"),
                                   pl.col("s").str.replace("b", "bb"))
        np.testing.assert_array_equal(ours.transform(unseen).to_numpy().astype(ref.dtype),
                                      theirs.transform(to_sklearn(unseen)))
    # numpy in -> numpy out, same numbers (NaN stays NaN)
    np.testing.assert_array_equal(OrdinalEncoder(**params).fit(train.to_pandas()).transform(train.to_pandas()).to_numpy(), ref)
    assert ours.get_feature_names_out().tolist() == theirs.get_feature_names_out().tolist()


def test_numpy_object_array_like_sklearn():
    X = np.array([["Male", 1], ["Female", 3], ["Female", 2]], dtype=object)
    ours, theirs = OrdinalEncoder().fit(X), skp.OrdinalEncoder().fit(X)
    np.testing.assert_array_equal(ours.transform(X), theirs.transform(X))
    assert_categories_equal(ours.categories_, theirs.categories_)
    assert ours.get_feature_names_out().tolist() == ["x0", "x1"]
    assert not hasattr(ours, "feature_names_in_")


def test_given_categories_like_sklearn():
    df = make_frame(200, 3, nulls=False)
    cats = [["d", "c", "b", "a", "é", "中文", "Zed", "long_category_name_x"], [-2, 1, 3, 7, 40], [-1.25, 0.5, 2.0, 10.0]]
    ours = OrdinalEncoder(categories=cats).fit(df)
    theirs = skp.OrdinalEncoder(categories=cats).fit(to_sklearn(df))
    np.testing.assert_array_equal(ours.transform(df).to_numpy(), theirs.transform(to_sklearn(df)))
    with pytest.raises(DataError, match="not in `categories`") as err:
        OrdinalEncoder(categories=[["a"], [1], [0.5]]).fit(df)
    assert err.value.column == "s"


@pytest.mark.parametrize("order, expected", [
    ("sorted", ["a", "b", "c", "é", "中文"]),
    ("first_seen", ["é", "b", "a", "中文", "c"]),
    ("frequency", ["b", "a", "é", "c", "中文"]),
    ([["c", "zz"]], ["c", "zz", "a", "b", "é", "中文"]),
])
def test_order(order, expected):
    df = pl.DataFrame({"x": ["é", "b", "a", "b", "中文", "c", None, "é", "b", "a"]})
    enc = OrdinalEncoder(order=order, encoded_missing_value=-1).fit(df)
    assert enc.categories_[0][:-1].tolist() == expected and np.isnan(enc.categories_[0][-1])
    out = enc.transform(df)["x"].to_list()
    assert out == [expected.index(v) if v is not None else -1 for v in df["x"].to_list()]


def test_nulls_are_null_in_polars_and_nan_in_numpy():
    df = pl.DataFrame({"x": ["a", None, "b"]})
    enc = OrdinalEncoder().fit(df)
    assert enc.transform(df)["x"].to_list() == [0.0, None, 1.0]
    np.testing.assert_array_equal(enc.transform(df.to_numpy()), [[0.0], [np.nan], [1.0]])


def test_unknown_error_names_column_row_value():
    enc = OrdinalEncoder().fit(pl.DataFrame({"city": ["Paris", "Oslo"]}))
    with pytest.raises(DataError) as err:
        enc.transform(pl.DataFrame({"city": ["Oslo", "Oslo", "Lima"]}))
    assert (err.value.column, err.value.row, err.value.found) == ("city", 2, "'Lima'")
    assert "handle_unknown" in str(err.value)
    # a null in a column that had none is unknown too (as NaN is in scikit-learn)
    with pytest.raises(DataError) as err:
        enc.transform(pl.DataFrame({"city": ["Oslo", None]}))
    assert (err.value.row, err.value.found) == (1, "null")
    with pytest.raises(DataError, match="not seen during fit"):
        enc.transform(pl.LazyFrame({"city": ["Lima"]})).collect()


@pytest.mark.parametrize("params, match", [
    ({"handle_unknown": "ignore"}, "`handle_unknown` parameter of `OrdinalEncoder` must be one of"),
    ({"handle_unknown": "use_encoded_value"}, "`unknown_value`"),
    ({"unknown_value": 3}, "only be set"),
    ({"handle_unknown": "use_encoded_value", "unknown_value": np.nan, "dtype": np.int64}, "float dtype"),
    ({"handle_unknown": "use_encoded_value", "unknown_value": 1}, "already used"),
    ({"encoded_missing_value": 0}, "already used"),
    ({"dtype": "U8"}, "`dtype` parameter"),
    ({"min_frequency": 1.5}, "`min_frequency`"),
    ({"order": "random"}, "`order`"),
    ({"dtype": np.int64}, "missing values"),
])
def test_config_errors(params, match):
    df = pl.DataFrame({"x": ["a", "b", None]})
    with pytest.raises(ConfigError, match=match):
        OrdinalEncoder(**params).fit(df)


def test_schema_errors():
    with pytest.raises(SchemaError, match="cannot encode"):
        OrdinalEncoder().fit(pl.DataFrame({"x": [[1], [2]]}))
    enc = OrdinalEncoder().fit(pl.DataFrame({"x": ["a", "b"]}))
    with pytest.raises(SchemaError) as err:
        enc.transform(pl.DataFrame({"x": [1, 2]}))
    assert err.value.column == "x"
    with pytest.raises(SchemaError, match="lacks"):
        enc.transform(pl.DataFrame({"y": ["a"]}))


def test_dtypes_of_inputs():
    import datetime as dt

    df = pl.DataFrame({
        "cat": pl.Series(["b", "a", None, "b"], dtype=pl.Categorical),
        "enum": pl.Series(["y", "x", "y", None], dtype=pl.Enum(["x", "y"])),
        "bool": [True, None, False, True],
        "u8": pl.Series([3, 1, 3, None], dtype=pl.UInt8),
        "date": [dt.date(2024, 1, 2), dt.date(2023, 1, 1), None, dt.date(2024, 1, 2)],
        "f32": pl.Series([1.5, float("nan"), -0.0, 0.0], dtype=pl.Float32),
        "null": pl.Series([None] * 4, dtype=pl.Null),
    })
    enc = OrdinalEncoder(encoded_missing_value=-1)
    out = enc.fit_transform(df)
    assert out.rows() == [
        (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -1.0),
        (0.0, 0.0, -1.0, 0.0, 0.0, -1.0, -1.0),
        (-1.0, 1.0, 0.0, 1.0, -1.0, 0.0, -1.0),
        (1.0, -1.0, 1.0, -1.0, 1.0, 0.0, -1.0),
    ]
    assert enc.categories_[2][:2].tolist() == [False, True] and np.isnan(enc.categories_[2][2])
    assert enc.categories_[5][:2].tolist() == [0.0, 1.5]  # -0.0 and 0.0 are one category
    assert out.equals(enc.transform(df)) and out.equals(enc.transform(df.lazy()).collect())
    # a String column transforms as the Categorical it was fitted on
    assert enc.transform(df.with_columns(pl.col("cat").cast(pl.String))).equals(out)


def test_empty_frames():
    enc = OrdinalEncoder().fit(pl.DataFrame({"x": ["a"]}))
    out = enc.transform(pl.DataFrame({"x": []}, schema={"x": pl.String}))
    assert out.shape == (0, 1) and out.schema["x"] == pl.Float64
    with pytest.raises(DataError, match="no rows"):
        OrdinalEncoder().fit(pl.DataFrame({"x": []}, schema={"x": pl.String}))


def test_lazy_streamed_and_eager_fits_agree():
    df = make_frame(500, 7)
    eager = OrdinalEncoder(order="first_seen", max_categories=4, encoded_missing_value=-1).fit(df)
    lazy = OrdinalEncoder(order="first_seen", max_categories=4, encoded_missing_value=-1).fit(df.lazy())
    fitted = Pipeline([("enc", OrdinalEncoder(order="first_seen", max_categories=4, encoded_missing_value=-1), None)]).fit(df, batch_size=37)
    streamed = fitted.named_steps["enc"]
    for other in (lazy, streamed):
        assert_categories_equal(other.categories_, eager.categories_)
        for a, b in zip(other._cats, eager._cats):
            np.testing.assert_array_equal(a.counts, b.counts)
    expected = eager.transform(df)
    assert lazy.transform(df).equals(expected)
    assert fitted.transform(df).equals(expected)
    assert fitted.transform(df.lazy()).collect().equals(expected)


def test_round_trip_pickle_clone():
    df = make_frame(100, 11)
    enc = OrdinalEncoder(max_categories=3, dtype=np.float32, handle_unknown="use_encoded_value", unknown_value=-1).fit(df)
    expected = enc.transform(df)
    d = enc.to_dict()
    # the codec stores NumPy dtypes as data and gives back the same scalar type (issue 9.6)
    assert d["params"]["dtype"] == {"$npdtype": "float32"} and enc.dtype is np.float32
    back = Step.from_dict(d)
    assert back.dtype is np.float32
    assert back.transform(df).equals(expected)
    assert_categories_equal(back.categories_, enc.categories_)
    assert pickle.loads(pickle.dumps(enc)).transform(df).equals(expected)
    assert clone(enc).fit(df).transform(df).equals(expected)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["x", "y", "é", "", "zz", "中"])), min_size=1, max_size=40),
       st.sampled_from([None, 2, 0.2]), st.sampled_from([None, 1, 2, 3]))
def test_property_equals_sklearn(values, min_frequency, max_categories):
    df = pl.DataFrame({"v": values}, schema={"v": pl.String})
    params = {"min_frequency": min_frequency, "max_categories": max_categories, "encoded_missing_value": -1}
    ours = OrdinalEncoder(**params).fit_transform(df).to_numpy()
    theirs = skp.OrdinalEncoder(**params).fit_transform(to_sklearn(df))
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("values", [
    ["only"] * 7,                                          # one category
    [None] * 5,                                            # all null
    [f"v{i % 3001}_é" for i in range(9000)],               # many categories, non-ASCII
])
def test_edge_columns_equal_sklearn(values):
    df = pl.DataFrame({"x": values}, schema={"x": pl.String})
    params = {"encoded_missing_value": -1}
    ours = OrdinalEncoder(**params).fit_transform(df).to_numpy()
    theirs = skp.OrdinalEncoder(**params).fit_transform(to_sklearn(df))
    np.testing.assert_array_equal(ours, theirs)


def test_pipeline_of_encoders_saves_and_loads(tmp_path):
    """The encoders in one pipeline: streamed fit, artifact round trip, lazy and eager transforms."""
    import tabprep
    from tabprep.datasets import synthetic
    from tabprep.encode import CountEncoder, HashingEncoder, OneHotEncoder, RareCategoryGrouper

    df = synthetic(3000, seed=3)
    pipe = Pipeline([
        ("rare", RareCategoryGrouper(min_count=5), "cat_hi"),
        ("ord", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), "cat_hi"),
        ("ohe", OneHotEncoder(sparse_output=False, dtype=np.uint8, max_categories=6), "cat_lo"),
        ("cnt", CountEncoder(normalize=True), "group_id"),
        ("hash", HashingEncoder(n_features=4), "y_bin"),
    ])
    fitted = pipe.fit(df, batch_size=700)
    out = fitted.transform(df)
    assert out.columns[-10:-4] == [f"cat_lo_level_{i:02d}" for i in range(5)] + ["cat_lo_infrequent_sklearn"]
    fitted.save(tmp_path / "model")
    back = tabprep.load(tmp_path / "model")
    assert back.transform(df).equals(out)
    assert back.transform(df.lazy()).collect().equals(out)
    # the same steps fitted one by one, in memory
    rare = RareCategoryGrouper(min_count=5).fit(df.select("cat_hi"))
    ordinal = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1).fit(rare.transform(df.select("cat_hi")))
    assert out["cat_hi"].equals(ordinal.transform(rare.transform(df.select("cat_hi")))["cat_hi"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(["a", "b", "\x00", "é", "中", "z", "0", "~"]), max_size=14),
                unique=True, max_size=60))
def test_sort_strings_is_python_order(values):
    import pyarrow as pa

    from tabprep.encode._counts import sort_strings

    arr = pa.array(values, pa.large_string())
    assert [values[i] for i in sort_strings(arr)] == sorted(values)
    # sliced input, and the shared-prefix fallback
    padded = pa.array(["pad"] + values, pa.string()).slice(1)
    assert [values[i] for i in sort_strings(padded)] == sorted(values)
    prefixed = ["same_prefix_" + v for v in values]
    assert [prefixed[i] for i in sort_strings(pa.array(prefixed))] == sorted(prefixed)


def test_sort_strings_settles_equal_prefixes():
    import pyarrow as pa

    from tabprep.encode._counts import sort_strings

    values = ["abcdefgh1", "b", "abcdefgh0", "a\x00", "abcdefgh", "a", "zzzzzzzzzz", "zzzzzzzzz"] + [f"u{i}" for i in range(40)]
    assert [values[i] for i in sort_strings(pa.array(values))] == sorted(values)
