"""The scikit-learn-compatible splitters: same folds/sizes as scikit-learn, and they plug into it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from sklearn import model_selection as ms
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import TargetEncoder

from oracles.split import first_appearance_codes, sklearn_stratified_allocation
from tabprep.errors import ConfigError, DataError
from tabprep.split import (
    GroupKFold,
    KFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    TimeSeriesSplit,
    train_test_split,
)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 300
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + rng.normal(size=n) > 1).astype(int)
    groups = rng.integers(0, 40, n)
    return X, y, groups


def _splits(cv, X, y=None, groups=None):
    return [(tr.tolist(), te.tolist()) for tr, te in cv.split(X, y, groups)]


@pytest.mark.parametrize(
    "ours,theirs,uses",
    [
        (KFold(4), ms.KFold(4), ""),
        (StratifiedKFold(4), ms.StratifiedKFold(4), "y"),
        (GroupKFold(4), ms.GroupKFold(4), "g"),
        (StratifiedGroupKFold(4), ms.StratifiedGroupKFold(4), "yg"),
        (TimeSeriesSplit(4), ms.TimeSeriesSplit(4), ""),
        (TimeSeriesSplit(3, test_size=20, gap=7, max_train_size=50), ms.TimeSeriesSplit(3, test_size=20, gap=7, max_train_size=50), ""),
    ],
    ids=["kfold", "stratified", "group", "stratified_group", "time", "time_gap"],
)
def test_unshuffled_splits_equal_sklearn(data, ours, theirs, uses):
    X, y, groups = data
    args = (X, y if "y" in uses else None, groups if "g" in uses else None)
    assert ours.get_n_splits() == theirs.get_n_splits()
    assert [(tr, sorted(te)) for tr, te in _splits(ours, *args)] == [(tr, sorted(te)) for tr, te in _splits(theirs, *args)]


def test_shuffled_stratified_has_sklearn_class_counts_and_is_seeded(data):
    X, y, _ = data
    cv = StratifiedKFold(5, shuffle=True, random_state=3)
    a, b = _splits(cv, X, y), _splits(cv, X, y)
    assert a == b
    assert a != _splits(StratifiedKFold(5, shuffle=True, random_state=4), X, y)
    codes = first_appearance_codes(y)
    alloc = sklearn_stratified_allocation(codes, 5)
    for f, (train, test) in enumerate(a):
        assert sorted(train + test) == list(range(len(y)))
        assert np.bincount(codes[test], minlength=2).tolist() == alloc[:, f].tolist()


def test_random_state_none_draws_from_numpy_global_state(data):
    X, y, _ = data
    np.random.seed(0)
    a = _splits(KFold(3, shuffle=True), X)
    np.random.seed(0)
    assert _splits(KFold(3, shuffle=True), X) == a
    rs = np.random.RandomState(1)
    cv = KFold(3, shuffle=True, random_state=rs)
    assert _splits(cv, X) != _splits(cv, X)  # a RandomState advances, as in scikit-learn


def test_repeated(data):
    X, y, _ = data
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=4, random_state=0)
    splits = _splits(cv, X, y)
    assert len(splits) == cv.get_n_splits() == 12
    assert splits[:3] != splits[3:6]
    assert RepeatedKFold(n_splits=2, n_repeats=2, random_state=1).get_n_splits() == 4
    assert _splits(RepeatedKFold(n_splits=2, n_repeats=2, random_state=1), X) == _splits(RepeatedKFold(n_splits=2, n_repeats=2, random_state=1), X)


def test_plugs_into_cross_validate_and_grid_search(data):
    X, y, groups = data
    res = ms.cross_validate(LogisticRegression(), X, y, cv=StratifiedKFold(5, shuffle=True, random_state=0))
    assert len(res["test_score"]) == 5 and np.all(res["test_score"] > 0.5)
    res = ms.cross_validate(LogisticRegression(), X, y, groups=groups, cv=GroupKFold(3))
    assert len(res["test_score"]) == 3
    search = ms.GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0))
    search.fit(X, y)
    assert search.n_splits_ == 6
    assert ms.cross_val_score(LogisticRegression(), X, y, cv=TimeSeriesSplit(3)).shape == (3,)


def test_target_encoder_accepts_our_splitter(data):
    X, y, _ = data
    cats = np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 1).astype(int)].reshape(-1, 1)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    ours = TargetEncoder(cv=cv).fit_transform(cats, y)
    # same folds -> same out-of-fold encodings as passing the folds explicitly
    ref = TargetEncoder(cv=list(cv.split(cats, y))).fit_transform(cats, y)
    np.testing.assert_array_equal(ours, ref)


def test_repr_and_params():
    assert repr(StratifiedKFold(3, shuffle=True, random_state=1)) == "StratifiedKFold(n_splits=3, random_state=1, shuffle=True)"
    assert "n_repeats=2" in repr(RepeatedKFold(n_splits=3, n_repeats=2))


def test_splitter_errors(data):
    X, y, _ = data
    with pytest.raises(ConfigError, match="shuffle is False"):
        KFold(3, random_state=0)
    with pytest.raises(ConfigError, match="n_splits"):
        StratifiedKFold(1)
    with pytest.raises(ConfigError, match="'groups' parameter should not be None"):
        list(GroupKFold(2).split(X))
    with pytest.raises(DataError, match="n_splits=5 greater than the number of samples"):
        list(KFold(5).split(np.zeros(3)))
    with pytest.raises(DataError, match=r"at least 3 rows.*class 2 with 1 row"):
        list(StratifiedKFold(3).split(np.zeros(7), [0, 0, 0, 1, 1, 1, 2]))
    with pytest.warns(UserWarning, match="groups parameter is ignored"):
        list(KFold(2).split(X, groups=y))


# ---------------------------------------------------------------- train_test_split


def test_train_test_split_sizes_follow_sklearn():
    X = np.arange(103)
    for kw in ({}, {"test_size": 0.3}, {"train_size": 0.5}, {"test_size": 10}, {"train_size": 0.6, "test_size": 0.2}):
        ours = train_test_split(X, random_state=0, **kw)
        theirs = ms.train_test_split(X, random_state=0, **kw)
        assert [len(a) for a in ours] == [len(a) for a in theirs]
        assert not set(ours[0]) & set(ours[1])
    a_train, a_test = train_test_split(X, shuffle=False, test_size=0.2)
    assert a_train.tolist() == list(range(82)) and a_test.tolist() == list(range(82, 103))


def test_train_test_split_stratified_and_types():
    y = np.array([0] * 70 + [1] * 20 + [2] * 10)
    X = np.arange(200).reshape(100, 2)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, stratify=y, random_state=1)
    sk = ms.train_test_split(X, y, test_size=0.25, stratify=y, random_state=1)
    for c in range(3):
        assert abs(np.sum(yte == c) - np.sum(sk[3] == c)) <= 1
    np.testing.assert_array_equal(Xtr[:, 0] // 2, np.sort(Xtr[:, 0] // 2))  # source order kept
    df = pl.DataFrame({"x": range(100), "y": y})
    pdf = pd.DataFrame({"x": range(100)})
    dtr, dte, ptr, pte, ltr, lte = train_test_split(df, pdf, list(range(100)), random_state=2)
    assert isinstance(dtr, pl.DataFrame) and isinstance(ptr, pd.DataFrame) and isinstance(ltr, list)
    assert dtr["x"].to_list() == ptr["x"].tolist() == ltr
    with pytest.raises(ConfigError, match="shuffle=True"):
        train_test_split(X, shuffle=False, stratify=y)
    with pytest.raises(ConfigError, match="different lengths"):
        train_test_split(X, y[:5])
    with pytest.raises(ConfigError, match="`test_size` parameter"):
        train_test_split(X, test_size=1.5)


@pytest.mark.parametrize("fmt", ["coo", "csr", "csc", "dia", "bsr", "lil", "dok"])
@pytest.mark.parametrize("array_api", [False, True], ids=["matrix", "array"])
def test_train_test_split_takes_every_sparse_format_as_scikit_learn(fmt, array_api):
    import scipy.sparse as sp

    X = sp.random(20, 4, density=0.5, format="csr", random_state=0)
    X = (sp.csr_array(X) if array_api else X).asformat(fmt)
    y = np.arange(20)
    for kw in ({}, {"shuffle": False}, {"stratify": y % 2}):
        Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0, **kw)
        sk_tr, sk_te = ms.train_test_split(X, random_state=0, **kw)
        # scikit-learn's container: CSR (a sparse array stays an array), the same sizes
        for ours, theirs in ((Xtr, sk_tr), (Xte, sk_te)):
            assert type(ours) is type(theirs) and ours.format == "csr" and ours.shape == theirs.shape
        dense = X.toarray()
        np.testing.assert_array_equal(Xtr.toarray(), dense[ytr])
        np.testing.assert_array_equal(Xte.toarray(), dense[yte])


@pytest.mark.parametrize("labels", [np.zeros(10), np.array(["only"] * 10, dtype=object), [True] * 10])
def test_a_single_class_splits_as_in_scikit_learn(labels):
    # scikit-learn stratifies one class without complaint (every fold gets its share); tabprep
    # used to refuse it ("needs at least two classes")
    X = np.zeros((10, 1))
    groups = np.arange(10) // 2
    assert _splits(StratifiedKFold(3), X, labels) == _splits(ms.StratifiedKFold(3), X, labels)
    assert _splits(StratifiedGroupKFold(3), X, labels, groups) == _splits(ms.StratifiedGroupKFold(3), X, labels, groups)
    for ours, theirs, g in ((StratifiedKFold(3, shuffle=True, random_state=0),
                             ms.StratifiedKFold(3, shuffle=True, random_state=0), None),
                            (StratifiedGroupKFold(3, shuffle=True, random_state=0),
                             ms.StratifiedGroupKFold(3, shuffle=True, random_state=0), groups)):
        got, want = _splits(ours, X, labels, g), _splits(theirs, X, labels, g)
        assert sorted(len(te) for _, te in got) == sorted(len(te) for _, te in want)
        assert sorted(i for _, te in got for i in te) == list(range(10))
    assert len(list(RepeatedStratifiedKFold(n_splits=2, n_repeats=2, random_state=0).split(X, labels))) == 4
    train, test = train_test_split(np.arange(10), stratify=labels, random_state=0)
    sk_train, sk_test = ms.train_test_split(np.arange(10), stratify=labels, random_state=0)
    assert (len(train), len(test)) == (len(sk_train), len(sk_test))
    # fewer rows than folds stays an error (scikit-learn's too)
    with pytest.raises(DataError):
        list(StratifiedKFold(3).split(np.zeros(2), np.zeros(2)))


def test_the_fold_id_functions_still_refuse_a_single_class():
    # tabprep's own functions keep the guard: stratifying on a constant column is most often
    # the wrong column (the splitter classes follow scikit-learn instead)
    from tabprep.split import stratified_kfold_ids

    with pytest.raises(DataError, match="at least two classes"):
        stratified_kfold_ids(np.zeros(10), 3)


@pytest.mark.parametrize("cv, uses", [
    (KFold(4, shuffle=True, random_state=1), ""),
    (StratifiedKFold(5, shuffle=True, random_state=2), "y"),
    (GroupKFold(3, shuffle=True, random_state=3), "g"),
    (StratifiedGroupKFold(4, shuffle=True, random_state=4), "yg"),
], ids=["kfold", "stratified", "group", "stratified_group"])
def test_shuffled_indices_are_those_of_the_fold_ids(data, cv, uses):
    # the index arrays come from the fold-id column by the compiled pass: exactly the rows of
    # each fold id (test) and the others (train), int64, increasing -- as np.flatnonzero gives
    from tabprep.split._kfold import group_kfold_ids, kfold_ids, stratified_group_kfold, stratified_kfold

    X, y, groups = data
    seed = cv._seed()
    if uses == "":
        folds = kfold_ids(len(X), cv.n_splits, shuffle=True, seed=seed)
    elif uses == "y":
        folds = stratified_kfold(y, cv.n_splits, shuffle=True, seed=seed, min_classes=1)
    elif uses == "g":
        folds = group_kfold_ids(groups, cv.n_splits, shuffle=True, seed=seed)
    else:
        folds = stratified_group_kfold(y, groups, cv.n_splits, shuffle=True, seed=seed, min_classes=1)
    got = list(cv.split(X, y if "y" in uses else None, groups if "g" in uses else None))
    assert len(got) == cv.n_splits
    for f, (train, test) in enumerate(got):
        assert train.dtype == test.dtype == np.int64
        np.testing.assert_array_equal(test, np.flatnonzero(folds == f))
        np.testing.assert_array_equal(train, np.flatnonzero(folds != f))
