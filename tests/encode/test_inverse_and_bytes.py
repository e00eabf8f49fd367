"""Issue 12: inverse_transform of the one-hot and ordinal encoders, TargetEncoder(categories=),
bytes input; every number against scikit-learn's on random data."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from sklearn import preprocessing as skp
from sklearn.model_selection import KFold

from tabprep.errors import DataError
from tabprep.encode import OneHotEncoder, OrdinalEncoder, TargetEncoder
from tabprep.pipeline import Step

LETTERS = list("abcdef")


def _same(a, b) -> bool:
    """Element-wise equality of two object arrays (NaN equals NaN, None equals None)."""
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    if a.shape != b.shape:
        return False
    for x, y in zip(a.ravel(), b.ravel()):
        if x is None or y is None:
            if not (x is None and y is None):
                return False
        elif isinstance(x, float) and x != x:
            if not (isinstance(y, float) and y != y):
                return False
        elif x != y:
            return False
    return True


@st.composite
def categorical_data(draw, missing=False):
    n = draw(st.integers(4, 40))
    n_cols = draw(st.integers(1, 3))
    pool = st.sampled_from(LETTERS + ([None] if missing else []))
    cols = [draw(st.lists(pool, min_size=n, max_size=n)) for _ in range(n_cols)]
    for c in cols:  # at least one value per column
        if all(v is None for v in c):
            c[0] = "a"
    return np.array(cols, dtype=object).T


def _group_fix(theirs, want):
    """scikit-learn's inverse, except in a column whose only (grouped) category is the dropped
    infrequent group: scikit-learn 1.9 reads the ungrouped ``categories_`` at the grouped index
    there (a bug); tabprep gives the group."""
    for j, inf in enumerate(getattr(theirs, "infrequent_categories_", [None] * want.shape[1])):
        if inf is not None and theirs._n_features_outs[j] == 0:
            want = want.astype(object)
            want[:, j] = "infrequent_sklearn"
    return want


ONEHOT_CASES = [
    {}, {"handle_unknown": "ignore"}, {"drop": "first"}, {"drop": "if_binary"},
    {"drop": "first", "handle_unknown": "ignore"}, {"min_frequency": 3},
    {"max_categories": 2, "handle_unknown": "infrequent_if_exist"},
    {"min_frequency": 3, "handle_unknown": "ignore"}, {"handle_unknown": "warn"},
    {"min_frequency": 2, "drop": "first", "handle_unknown": "infrequent_if_exist"},
]


@pytest.mark.parametrize("params", ONEHOT_CASES)
@pytest.mark.parametrize("sparse_output", [True, False])
@settings(max_examples=25, deadline=None)
@given(X=categorical_data())
def test_onehot_inverse_round_trip_equals_scikit_learn(params, sparse_output, X):
    kw = dict(params, sparse_output=sparse_output)
    try:
        theirs = skp.OneHotEncoder(**kw).fit(X)
    except ValueError:  # e.g. a dropped category that is infrequent: both refuse
        with pytest.raises(ValueError):
            OneHotEncoder(**kw).fit(X)
        return
    ours = OneHotEncoder(**kw).fit(X)
    Z = ours.transform(X)
    assert sparse.issparse(Z) == sparse_output
    back = ours.inverse_transform(Z)
    if Z.shape[1] == 0:  # every column a single dropped category: scikit-learn's check_array refuses
        infrequent = getattr(theirs, "infrequent_categories_", [None] * X.shape[1])
        want = X.copy()
        for j, inf in enumerate(infrequent):
            if inf is not None:  # the one category is the infrequent group
                want[:, j] = "infrequent_sklearn"
        assert _same(back, want)
        return
    assert _same(back, _group_fix(theirs, theirs.inverse_transform(theirs.transform(X))))
    if not any(k in params for k in ("min_frequency", "max_categories")):
        assert _same(back, X)  # scikit-learn's promise without infrequent grouping
    # an all-zero row: None, the dropped category or an error, as scikit-learn
    zeros = np.zeros((1, Z.shape[1]))
    partly_dropped = theirs.drop_idx_ is not None and any(d is None for d in theirs.drop_idx_)
    try:
        want = theirs.inverse_transform(zeros)
    except ValueError:
        with pytest.raises(DataError, match="all zeros"):
            ours.inverse_transform(zeros)
    else:
        if partly_dropped and params.get("handle_unknown", "error") == "error":
            # scikit-learn indexes the categories with None there (a NumPy broadcast that
            # works for one category and fails for more): tabprep refuses, as for drop=None
            with pytest.raises(DataError, match="all zeros"):
                ours.inverse_transform(zeros)
        else:
            assert _same(ours.inverse_transform(zeros), _group_fix(theirs, want))


def test_onehot_inverse_of_a_frame_and_bad_width():
    df = pl.DataFrame({"c": ["a", "b", "a"], "d": ["x", "x", "y"]})
    enc = OneHotEncoder(sparse_output=False).fit(df)
    rows = [list(r) for r in df.rows()]
    assert enc.inverse_transform(enc.transform(df)).tolist() == rows
    assert enc.inverse_transform(enc.transform(df.to_pandas())).tolist() == rows
    with pytest.raises(DataError, match="Expected 4 columns, got 3"):
        enc.inverse_transform(np.zeros((1, 3)))


ORDINAL_CASES = [
    {}, {"handle_unknown": "use_encoded_value", "unknown_value": -1},
    {"handle_unknown": "use_encoded_value", "unknown_value": np.nan},
    {"encoded_missing_value": -2}, {"min_frequency": 3}, {"max_categories": 2},
    {"min_frequency": 2, "handle_unknown": "use_encoded_value", "unknown_value": 99},
]


@pytest.mark.parametrize("params", ORDINAL_CASES)
@settings(max_examples=25, deadline=None)
@given(X=categorical_data(), missing=st.booleans(), data=st.data())
def test_ordinal_inverse_round_trip_equals_scikit_learn(params, X, missing, data):
    if missing:  # NaN where scikit-learn treats it as missing (it keeps None as a category)
        mask = np.array(data.draw(st.lists(st.booleans(), min_size=X.size, max_size=X.size))).reshape(X.shape)
        mask[0] = False
        X = X.copy()
        X[mask] = np.nan
    theirs = skp.OrdinalEncoder(**params).fit(X)
    ours = OrdinalEncoder(**params).fit(X)
    Z = ours.transform(X)
    np.testing.assert_array_equal(Z, theirs.transform(X))
    back = ours.inverse_transform(Z)
    infrequent = any(k in params for k in ("min_frequency", "max_categories"))
    if not (infrequent and missing):  # scikit-learn 1.9 fails there (below)
        assert _same(back, theirs.inverse_transform(theirs.transform(X)))
    if not infrequent:
        assert _same(back, X)
    # codes of unknown values come back as None (use_encoded_value)
    if params.get("handle_unknown") == "use_encoded_value":
        unknown = np.full((1, X.shape[1]), params["unknown_value"], dtype=float)
        assert _same(ours.inverse_transform(unknown), theirs.inverse_transform(unknown))


def test_ordinal_inverse_with_missing_and_infrequent_where_scikit_learn_fails():
    # scikit-learn 1.9 looks the missing marker up among the frequent categories only
    # (IndexError) and takes the infrequent code to be one higher; tabprep inverts both
    X = np.array([["a"], ["b"], [np.nan], ["c"], ["c"], ["d"], ["d"]], dtype=object)
    enc = OrdinalEncoder(min_frequency=2).fit(X)
    back = enc.inverse_transform(enc.transform(X))
    assert _same(back, [["infrequent_sklearn"], ["infrequent_sklearn"], [np.nan], ["c"], ["c"], ["d"], ["d"]])
    with pytest.raises(IndexError):
        sk = skp.OrdinalEncoder(min_frequency=2).fit(X)
        sk.inverse_transform(sk.transform(X))


def test_ordinal_inverse_refuses_a_code_no_category_has():
    enc = OrdinalEncoder().fit([["a"], ["b"]])
    with pytest.raises(DataError, match="row 1"):
        enc.inverse_transform([[0.0], [5.0]])
    with pytest.raises(DataError, match="Expected 1 columns"):
        enc.inverse_transform([[0.0, 1.0]])


# ------------------------------------------------------------------------------ TargetEncoder(categories=)

@st.composite
def listed(draw):
    X = draw(categorical_data(missing=True))
    lists = []
    for _ in range(X.shape[1]):
        chosen = draw(st.lists(st.sampled_from(LETTERS), min_size=1, max_size=5, unique=True))
        if draw(st.booleans()):
            chosen = chosen + [None]
        lists.append(chosen)
    return X, lists


@pytest.mark.parametrize("target_type", ["continuous", "binary", "multiclass"])
@settings(max_examples=40, deadline=None)
@given(case=listed(), seed=st.integers(0, 2**16), smooth=st.sampled_from(["auto", 0.0, 2.5]))
def test_target_encoder_categories_equal_scikit_learn(target_type, case, seed, smooth):
    X, lists = case
    rng = np.random.default_rng(seed)
    n = len(X)
    y = {"continuous": rng.normal(size=n), "binary": np.arange(n) % 2,
         "multiclass": np.arange(n) % 3}[target_type]
    kw = dict(categories=lists, target_type=target_type, smooth=smooth)
    # scikit-learn takes None in an object array for a value: with a listed None it is missing
    # (tabprep: null is missing, the listed None makes it a category), else it is unknown, as here
    theirs = skp.TargetEncoder(**kw).fit(X, y)
    ours = TargetEncoder(**kw).fit(X, y)
    for a, b in zip(ours.categories_, theirs.categories_):
        assert _same(a, b)
    for a, b in zip(ours.encodings_, theirs.encodings_):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=0, atol=1e-12)
    # out of fold: equal for every listed value (an unlisted one: see the next test)
    cv = KFold(3, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        want = skp.TargetEncoder(cv=cv, **kw).fit_transform(X, y)
    got = TargetEncoder(cv=cv, **kw).fit_transform(X, y)
    known = np.ones(n, dtype=bool)
    for j, values in enumerate(lists):
        known &= np.isin(X[:, j], [v for v in values if v is not None]) | (
            (None in values) & np.equal(X[:, j], None))
    width = got.shape[1] // X.shape[1]
    np.testing.assert_allclose(got[known], want[known], rtol=0, atol=1e-12)
    assert got.shape == want.shape and width >= 1


def test_target_encoder_unlisted_training_rows_get_their_own_folds_prior():
    # scikit-learn 1.9 writes the *last* fold's prior into every unlisted training row (its
    # own label included); tabprep gives each row the prior of the folds without it
    X = np.array([["a"], ["a"], ["b"], ["z"], ["z"], ["z"], ["b"], ["a"]], dtype=object)
    y = np.array([0, 0, 1, 1, 1, 1, 0, 1.0])
    cv = KFold(2, shuffle=True, random_state=0)
    out = TargetEncoder(categories=[["a", "b"]], cv=cv, target_type="continuous").fit_transform(X, y)
    for train, test in cv.split(X):
        unlisted = test[X[test, 0] == "z"]
        np.testing.assert_allclose(out[unlisted, 0], y[train].mean(), rtol=0, atol=1e-12)


def test_target_encoder_categories_refused_and_saved():
    from tabprep.errors import ConfigError

    X = np.array([[1], [2], [3]])
    with pytest.raises(ConfigError, match="Unsorted categories"):
        TargetEncoder(categories=[[2, 1]]).fit(X, [0, 1, 0])
    with pytest.raises(ConfigError, match="one list per column"):
        TargetEncoder(categories=[[1], [2]]).fit(X, [0, 1, 0])
    enc = TargetEncoder(categories=[["b", "a"]], target_type="continuous").fit(
        np.array([["a"], ["b"], ["c"]], dtype=object), [1.0, 2.0, 3.0])
    back = Step.from_dict(enc.to_dict())
    assert back.categories_[0].tolist() == ["b", "a"]
    np.testing.assert_array_equal(back.transform(np.array([["a"], ["c"]], dtype=object)),
                                  enc.transform(np.array([["a"], ["c"]], dtype=object)))


# ------------------------------------------------------------------------------ bytes input

@st.composite
def bytes_data(draw):
    n = draw(st.integers(2, 40))
    pool = st.sampled_from([b"a", b"bb", b"\xff\x00", b"", b"zz"])
    cols = [draw(st.lists(pool, min_size=n, max_size=n)) for _ in range(draw(st.integers(1, 2)))]
    return np.array(cols).T  # an 'S' array


@pytest.mark.parametrize("as_object", [False, True])
@settings(max_examples=30, deadline=None)
@given(X=bytes_data(), seed=st.integers(0, 2**16))
def test_bytes_input_as_scikit_learn(as_object, X, seed):
    if as_object:
        X = X.astype(object)
    for ours, theirs in ((OneHotEncoder(sparse_output=False), skp.OneHotEncoder(sparse_output=False)),
                         (OrdinalEncoder(), skp.OrdinalEncoder())):
        ours.fit(X)
        theirs.fit(X)
        for a, b in zip(ours.categories_, theirs.categories_):
            assert a.dtype == b.dtype and a.tolist() == b.tolist()
        np.testing.assert_array_equal(ours.transform(X), theirs.transform(X))
        assert ours.get_feature_names_out().tolist() == theirs.get_feature_names_out().tolist()
        back = ours.inverse_transform(ours.transform(X))
        assert back.dtype == theirs.inverse_transform(theirs.transform(X)).dtype
        assert back.tolist() == X.tolist()
    y = np.random.default_rng(seed).normal(size=len(X))
    ours = TargetEncoder(target_type="continuous").fit(X, y)
    theirs = skp.TargetEncoder(target_type="continuous").fit(X, y)
    for a, b in zip(ours.categories_, theirs.categories_):
        assert a.dtype == b.dtype and a.tolist() == b.tolist()
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=0, atol=1e-12)


def test_bytes_unseen_values_and_a_large_batch():
    X = np.array([[b"a"], [b"b"]] * 50)  # more rows than the small-batch path takes
    enc = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(X)
    out = enc.transform(np.array([[b"a"], [b"q"]] * 20))
    assert out[:2].tolist() == [[1.0, 0.0], [0.0, 0.0]]
    with pytest.raises(DataError, match="not in the vocabulary"):
        OrdinalEncoder().fit(X).transform(np.array([[b"a"], [b"q"]] * 20))
    assert Step.from_dict(enc.to_dict()).categories_[0].dtype == np.dtype("S1")
