"""SimpleImputer's scikit-learn surface beyond fit/transform, against scikit-learn's numbers:
SciPy sparse input, ``inverse_transform`` (``add_indicator=True``) and ``copy``."""

from __future__ import annotations

import math
import warnings

import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp
import sklearn.impute as ski
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

from tabprep.clean import SimpleImputer
from tabprep.errors import ConfigError

# zeros (implicit in a sparse matrix), NaN and a few repeated values (ties for most_frequent)
data = arrays(
    np.float64,
    st.tuples(st.integers(1, 25), st.integers(1, 3)),
    elements=st.one_of(st.just(0.0), st.sampled_from([-1.0, 0.5, 2.0]), st.floats(-100, 100), st.just(math.nan)),
)
PARAMS = [
    {"strategy": "mean"},
    {"strategy": "median"},
    {"strategy": "most_frequent"},
    {"strategy": "constant", "fill_value": -9.0},
    {"strategy": "mean", "add_indicator": True},
    {"strategy": "median", "keep_empty_features": True},
    {"strategy": "most_frequent", "keep_empty_features": True, "add_indicator": True},
]


def _quiet(fn, *args):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args)


def _sparse_constant_differs(params, S):
    """Whether scikit-learn's sparse constant fit drops a column tabprep keeps: one whose stored
    values are all missing (or that stores none) but which has implicit zeros (documented)."""
    if params["strategy"] != "constant" or params.get("keep_empty_features"):
        return False
    S = sp.csc_matrix(S)
    for j in range(S.shape[1]):
        stored = S.data[S.indptr[j]:S.indptr[j + 1]]
        if np.isnan(stored).all() and len(stored) < S.shape[0]:
            return True
    return False


@pytest.mark.parametrize("params", PARAMS, ids=str)
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@settings(max_examples=40, deadline=None)
@given(X=data, new=data)
def test_sparse_input_gives_scikit_learns_numbers_and_format(params, fmt, X, new):
    make = sp.csr_matrix if fmt == "csr" else sp.csc_array
    if _sparse_constant_differs(params, make(X)):
        return  # test_sparse_constant_keeps_a_column_of_implicit_zeros
    sk = _quiet(ski.SimpleImputer(**params).fit, make(X))
    ours = _quiet(SimpleImputer(**params).fit, make(X))
    assert_allclose(np.asarray(ours.statistics_, dtype=np.float64), np.asarray(sk.statistics_, dtype=np.float64),
                    rtol=1e-12, atol=1e-12, equal_nan=True)
    batches = [X] + ([new] if new.shape[1] == X.shape[1] else [])
    for batch in batches:
        got, want = ours.transform(make(batch)), _quiet(sk.transform, make(batch))
        assert sp.issparse(got) and got.format == want.format == "csc" and type(got) is type(want)
        assert got.shape == want.shape
        assert_allclose(got.toarray(), want.toarray(), rtol=1e-12, atol=1e-12, equal_nan=True)
    # the statistics of the dense array, as scikit-learn's
    dense = _quiet(SimpleImputer(**params).fit, X)
    assert_array_equal(np.asarray(ours.statistics_, dtype=np.float64), np.asarray(dense.statistics_, dtype=np.float64))


def test_sparse_constant_keeps_a_column_of_implicit_zeros():
    X = sp.csc_matrix(np.array([[0.0, 1.0], [0.0, np.nan]]))
    with pytest.warns(UserWarning, match="Skipping features without any observed values"):
        sk = ski.SimpleImputer(strategy="constant", fill_value=5.0).fit(X)
        sk_out = sk.transform(X)
    ours = SimpleImputer(strategy="constant", fill_value=5.0).fit(X)
    assert sk_out.shape == (2, 1) and ours.transform(X).shape == (2, 2)  # the documented difference
    assert_array_equal(ours.transform(X).toarray(), [[0.0, 1.0], [0.0, 5.0]])


def test_sparse_with_zero_as_the_marker_is_refused_as_scikit_learn_does():
    X = sp.csr_matrix(np.eye(2))
    for imp in (SimpleImputer(missing_values=0), ski.SimpleImputer(missing_values=0)):
        with pytest.raises(ValueError, match="Imputation not possible when missing_values == 0 and input is sparse"):
            imp.fit(X)
    with pytest.raises(ConfigError, match="input is sparse"):
        SimpleImputer(missing_values=0).fit(np.eye(2)).transform(X)


def test_sparse_copy_false_fills_in_place():
    X = sp.csc_matrix(np.array([[1.0, np.nan], [np.nan, 3.0], [5.0, 0.0]]))
    out = SimpleImputer().fit(X).transform(X)
    assert out is not X and np.isnan(X.data).sum() == 2
    same = SimpleImputer(copy=False).fit(X).transform(X)
    assert same is X and not np.isnan(X.data).any()
    assert_array_equal(X.toarray(), out.toarray())


# ------------------------------------------------------------------------------ inverse_transform
INDICATED = [{"strategy": s, "add_indicator": True} for s in ("mean", "median", "most_frequent")] + [
    {"strategy": "constant", "fill_value": 7.0, "add_indicator": True},
    {"strategy": "mean", "add_indicator": True, "keep_empty_features": True}]


@pytest.mark.parametrize("params", INDICATED, ids=str)
@settings(max_examples=40, deadline=None)
@given(X=data, new=data)
def test_inverse_transform_round_trip_and_scikit_learns_numbers(params, X, new):
    sk = _quiet(ski.SimpleImputer(**params).fit, X)
    for source in (X, pl.from_numpy(X, schema=["a", "b", "c"][:X.shape[1]], orient="row")):
        ours = _quiet(SimpleImputer(**params).fit, source)
        out = ours.inverse_transform(ours.transform(source))
        back = out if isinstance(out, np.ndarray) else out.to_numpy()
        # every cell comes back (missing ones as missing), except in a column dropped at fit,
        # which comes back all missing (it was all missing: the round trip is exact)
        assert_array_equal(back, X)
    ours = _quiet(SimpleImputer(**params).fit, X)
    for batch in (X, new):
        if batch.shape[1] != X.shape[1]:
            continue
        # scikit-learn's inverse_transform tells a dropped column from the indicators of the
        # data given (all set), so a kept column that is all missing in it breaks its guess
        # (a documented difference): compare where that cannot happen
        dropped = np.asarray([isinstance(v, float) and math.isnan(v) for v in ours.statistics_])
        if (np.isnan(batch).all(axis=0) != dropped).any():
            continue
        z = _quiet(sk.transform, batch)
        assert_allclose(ours.transform(batch), z, rtol=1e-12, atol=1e-12, equal_nan=True)  # a mean: rounding
        assert_allclose(ours.inverse_transform(z), _quiet(sk.inverse_transform, z), rtol=1e-12, atol=1e-12,
                        equal_nan=True)


def test_inverse_transform_of_frames_and_markers():
    df = pl.DataFrame({"a": [1.0, None, 3.0], "b": [4, 5, None], "c": [1.0, 2.0, 3.0]})
    imp = SimpleImputer(add_indicator=True).fit(df)
    out = imp.inverse_transform(imp.transform(df))
    assert out.columns == ["a", "b", "c"]
    assert out["a"].to_list() == [1.0, None, 3.0] and out["b"].to_list() == [4.0, 5.0, None]
    assert out["c"].to_list() == [1.0, 2.0, 3.0]
    assert isinstance(imp.inverse_transform(imp.transform(df.lazy())), pl.LazyFrame)
    # a value marker comes back as the marker, as scikit-learn
    X = np.array([[1.0, -1.0], [-1.0, 4.0], [3.0, 6.0]])
    ours, sk = SimpleImputer(missing_values=-1, add_indicator=True).fit(X), ski.SimpleImputer(missing_values=-1, add_indicator=True).fit(X)
    assert_array_equal(ours.inverse_transform(ours.transform(X)), sk.inverse_transform(sk.transform(X)))
    assert_array_equal(ours.inverse_transform(ours.transform(X)), X)


def test_inverse_transform_needs_add_indicator_as_in_scikit_learn():
    X = np.array([[1.0], [np.nan]])
    for imp in (SimpleImputer(), ski.SimpleImputer()):
        with pytest.raises(ValueError, match="'inverse_transform' works only when 'SimpleImputer' is instantiated "
                                             "with 'add_indicator=True'"):
            imp.fit(X).inverse_transform(X)


def test_copy_false_fills_a_float_array_in_place_as_scikit_learn():
    X = np.array([[1.0, np.nan], [np.nan, 3.0], [5.0, 1.0]])
    mine, theirs = X.copy(), X.copy()
    got = SimpleImputer(copy=False).fit(X).transform(mine)
    want = ski.SimpleImputer(copy=False).fit(X).transform(theirs)
    assert got is mine and want is theirs
    assert_array_equal(mine, theirs)
    kept = X.copy()
    SimpleImputer().fit(X).transform(kept)
    assert_array_equal(kept, X)
    # with indicator columns the output is another array, in scikit-learn too
    assert SimpleImputer(copy=False, add_indicator=True).fit(X).transform(X.copy()).shape == (3, 4)
