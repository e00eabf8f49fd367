"""Every public split function and splitter checks its parameters as declared, in the house
wording; the splitters keep scikit-learn's contract (clone, set_params, where errors are raised)."""

from __future__ import annotations

import re

import numpy as np
import polars as pl
import pytest
from sklearn.base import clone

from tabprep.errors import ConfigError
from tabprep.split import (
    GroupKFold,
    KFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    TimeSeriesSplit,
    add_fold_column,
    add_split_column,
    group_kfold_ids,
    group_split_ids,
    kfold_ids,
    random_split_ids,
    repeated_fold_ids,
    stratified_group_kfold_ids,
    stratified_group_split_ids,
    stratified_kfold_ids,
    stratified_split_ids,
    time_series_fold_ids,
    train_test_split,
)

Y = [0, 1] * 10
DF = pl.DataFrame({"y": Y, "g": list(range(20))})


def _house(param: str, owner: str) -> str:
    return rf"^The `{param}` parameter of `{owner}` must .+; got .+ instead"


@pytest.mark.parametrize(
    "call,param,owner",
    [
        (lambda: kfold_ids(-1), "n_rows", "kfold_ids"),
        (lambda: kfold_ids(10, 1), "n_splits", "kfold_ids"),
        (lambda: kfold_ids(10, 128), "n_splits", "kfold_ids"),
        (lambda: kfold_ids(10, 2.0), "n_splits", "kfold_ids"),
        (lambda: kfold_ids(10, shuffle=1), "shuffle", "kfold_ids"),
        (lambda: kfold_ids(10, seed=0.5), "seed", "kfold_ids"),
        (lambda: stratified_kfold_ids(Y, bins=1), "bins", "stratified_kfold_ids"),
        (lambda: stratified_kfold_ids(Y, True), "n_splits", "stratified_kfold_ids"),
        (lambda: group_kfold_ids(Y, seed="0"), "seed", "group_kfold_ids"),
        (lambda: stratified_group_kfold_ids(Y, Y, shuffle=None), "shuffle", "stratified_group_kfold_ids"),
        (lambda: time_series_fold_ids(10, test_size=0), "test_size", "time_series_fold_ids"),
        (lambda: time_series_fold_ids(10, gap=-1), "gap", "time_series_fold_ids"),
        (lambda: repeated_fold_ids(lambda s: kfold_ids(4, 2, seed=s), 0), "n_repeats", "repeated_fold_ids"),
        (lambda: repeated_fold_ids(None, 2), "make", "repeated_fold_ids"),
        (lambda: random_split_ids(10, (0.5, 0.6)), "ratios", "random_split_ids"),
        (lambda: random_split_ids(10, (1.0,)), "ratios", "random_split_ids"),
        (lambda: stratified_split_ids(Y, "0.5,x"), "ratios", "stratified_split_ids"),
        (lambda: group_split_ids(Y, (0.5, 0.5), seed=None), "seed", "group_split_ids"),
        (lambda: stratified_group_split_ids(Y, Y, (0.5, 0.5), bins="10"), "bins", "stratified_group_split_ids"),
        (lambda: add_split_column(DF, (0.8, 0.8)), "ratios", "add_split_column"),
        (lambda: add_split_column(DF, strategy="shuffled"), "strategy", "add_split_column"),
        (lambda: add_split_column(DF, strategy="stratified", by=1), "by", "add_split_column"),
        (lambda: add_split_column(DF, name=""), "name", "add_split_column"),
        (lambda: add_split_column(DF, strategy="time", time="g", gap=[1]), "gap", "add_split_column"),
        (lambda: add_split_column(DF, strategy="time", time="g", gap="1d"), "gap", "add_split_column"),
        (lambda: add_split_column(DF, strategy="time", time="g", cutoffs=[5, 2]), "cutoffs", "add_split_column"),
        (lambda: add_fold_column(DF, 1), "n_splits", "add_fold_column"),
        (lambda: add_fold_column(DF, n_repeats=0), "n_repeats", "add_fold_column"),
        (lambda: add_fold_column(DF, shuffle="yes"), "shuffle", "add_fold_column"),
        (lambda: add_fold_column(DF, strategy="group", group=["g"]), "group", "add_fold_column"),
        (lambda: train_test_split(np.arange(10), test_size=1.5), "test_size", "train_test_split"),
        (lambda: train_test_split(np.arange(10), train_size=10), "train_size", "train_test_split"),
        (lambda: train_test_split(np.arange(10), random_state="0"), "random_state", "train_test_split"),
        (lambda: train_test_split(np.arange(10), shuffle=None), "shuffle", "train_test_split"),
    ],
)
def test_bad_values_are_worded_by_the_house(call, param, owner):
    with pytest.raises(ConfigError, match=_house(param, owner)):
        call()


def test_ratios_that_do_not_sum_to_one_are_told_so():
    with pytest.raises(ConfigError) as err:
        add_split_column(DF, (0.8, 0.8))
    assert str(err.value) == ("The `ratios` parameter of `add_split_column` must sum to 1; got (0.8, 0.8) (sum 1.6) "
                              "instead. Hint: e.g. ratios=(0.8, 0.1, 0.1)")


# ---------------------------------------------------------------- the splitters

SPLITTERS = [
    KFold(3, shuffle=True, random_state=np.random.RandomState(0)),
    StratifiedKFold(3, shuffle=True, random_state=1),
    GroupKFold(3),
    StratifiedGroupKFold(3, True, np.random.default_rng(0)),
    TimeSeriesSplit(3, max_train_size=10, test_size=3, gap=1),
    RepeatedKFold(n_splits=3, n_repeats=2, random_state=4),
    RepeatedStratifiedKFold(n_splits=3, n_repeats=2),
]


def _folds(cv):
    X, y, groups = np.zeros(24), np.array([0, 1] * 12), np.arange(24) // 2
    if "Group" not in type(cv).__name__:
        groups = None
    return [(tr.tolist(), te.tolist()) for tr, te in cv.split(X, y, groups)]


@pytest.mark.parametrize("cv", SPLITTERS, ids=lambda cv: type(cv).__name__)
def test_clone_and_set_params_round_trip(cv):
    params = cv.get_params()
    twin = clone(cv)
    assert type(twin) is type(cv) and twin is not cv
    # clone deep-copies a RandomState or Generator; every other parameter comes back as it was
    plain = {k: v for k, v in params.items() if not isinstance(v, (np.random.RandomState, np.random.Generator))}
    assert {k: twin.get_params()[k] for k in plain} == plain
    if plain == params:
        assert repr(twin) == repr(cv)
    random_state = params.get("random_state", 0)
    if isinstance(random_state, int) or not params.get("shuffle", True):
        assert _folds(twin) == _folds(cv)
    fresh = type(cv)().set_params(**params)
    assert fresh.get_params() == params and fresh.get_n_splits() == cv.get_n_splits()
    with pytest.raises(ConfigError, match="has no parameter `n_split`.*did you mean `n_splits`"):
        clone(cv).set_params(n_split=2)


def test_init_stores_what_was_passed():
    cv = KFold(np.int64(3), shuffle=np.bool_(True), random_state=np.int32(5))
    assert [type(v) for v in cv.get_params().values()] == [np.int64, np.int32, np.bool_]


@pytest.mark.parametrize(
    "make,param",
    [
        (lambda: KFold(1), "n_splits"),
        (lambda: KFold(2.0), "n_splits"),
        (lambda: StratifiedKFold(128), "n_splits"),
        (lambda: GroupKFold(3, shuffle="no"), "shuffle"),
        (lambda: StratifiedGroupKFold(3, False, 0), "random_state"),
        (lambda: TimeSeriesSplit(0), "n_splits"),
        (lambda: RepeatedKFold(n_repeats=0), "n_repeats"),
        (lambda: RepeatedStratifiedKFold(n_repeats=1.5), "n_repeats"),
    ],
)
def test_init_checks_where_sklearn_does(make, param):
    with pytest.raises(ConfigError, match=_house(param, r"\w+")):
        make()


def test_shuffle_that_is_not_a_bool_is_a_type_error_too():
    # scikit-learn raises TypeError there; its tests say so (`pytest.raises(TypeError)`)
    with pytest.raises(TypeError, match=_house("shuffle", "KFold")):
        KFold(n_splits=4, shuffle=None)


@pytest.mark.parametrize(
    "make,param",
    [
        # scikit-learn checks these when splitting, not at construction: so do we
        (lambda: TimeSeriesSplit(3, gap=-1), "gap"),
        (lambda: TimeSeriesSplit(3, test_size=0), "test_size"),
        (lambda: TimeSeriesSplit(3, max_train_size=1.5), "max_train_size"),
        (lambda: RepeatedKFold(n_splits=1), "n_splits"),
        (lambda: KFold(3, shuffle=True, random_state="seed"), "random_state"),
        # changed after construction
        (lambda: KFold(3).set_params(n_splits=1), "n_splits"),
        (lambda: StratifiedKFold(3).set_params(random_state=0), "random_state"),
        (lambda: RepeatedStratifiedKFold().set_params(n_repeats=0), "n_repeats"),
    ],
)
def test_split_and_get_n_splits_check_everything_again(make, param):
    cv = make()
    owner = type(cv).__name__
    with pytest.raises(ConfigError, match=_house(param, owner)):
        cv.get_n_splits()
    with pytest.raises(ConfigError, match=_house(param, owner)):
        next(cv.split(np.zeros(12), np.array([0, 1] * 6), np.arange(12)))


def test_attribute_assignment_is_caught_at_split():
    cv = GroupKFold(2)
    cv.shuffle = "yes"
    with pytest.raises(ConfigError, match=re.escape("The `shuffle` parameter of `GroupKFold` must be a bool; got 'yes' instead.")):
        list(cv.split(np.zeros(4), groups=[0, 0, 1, 1]))
