"""TargetEncoder: scikit-learn agreement, cross fitting without leakage, options, containers, state."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, TimeSeriesSplit
from sklearn.preprocessing import TargetEncoder as SkTargetEncoder
from sklearn.utils.estimator_checks import parametrize_with_checks

from tabprep.encode import TargetEncoder
from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep.pipeline import Step
from tests.oracles.target import target_encode_ref


def _frame(n=600, seed=0):
    rng = np.random.default_rng(seed)
    return pl.DataFrame({
        "s": pl.Series(rng.choice(["x", "y", "z", "w", None], n).tolist(), dtype=pl.String),
        "i": rng.integers(0, 25, n),
    })


def _sk_input(X: pl.DataFrame) -> pd.DataFrame:
    # scikit-learn's spelling of the same data: object columns with NaN for missing
    frame = X.to_pandas().astype(object)
    return frame.where(frame.notna(), np.nan)


def _targets(n, seed=1):
    rng = np.random.default_rng(seed)
    return {
        "binary": (rng.random(n) < 0.3).astype(np.int64),
        "continuous": rng.normal(10.0, 3.0, n),
        "multiclass": rng.choice(["lo", "mid", "hi"], n),
    }


# ------------------------------------------------------------------------- scikit-learn agreement
@pytest.mark.parametrize("kind", ["binary", "continuous", "multiclass"])
@pytest.mark.parametrize("smooth", ["auto", 0.0, 4.5])
def test_equals_scikit_learn(kind, smooth):
    X = _frame()
    y = _targets(X.height)[kind]
    make_cv = (lambda: KFold(4, shuffle=True, random_state=3)) if kind == "continuous" else \
        (lambda: StratifiedKFold(4, shuffle=True, random_state=3))
    sk = SkTargetEncoder(smooth=smooth, cv=make_cv())
    ours = TargetEncoder(smooth=smooth, cv=make_cv())
    Xs = _sk_input(X)
    # fit_transform: the same splitter object gives the same folds
    np.testing.assert_allclose(ours.fit_transform(X, y).to_numpy(), sk.fit_transform(Xs, y), rtol=0, atol=1e-12)
    # attributes
    assert ours.target_type_ == sk.target_type_
    np.testing.assert_allclose(ours.target_mean_, sk.target_mean_, atol=1e-12)
    if sk.classes_ is not None:
        assert list(ours.classes_) == list(sk.classes_)
    assert len(ours.encodings_) == len(sk.encodings_)
    for a, b in zip(ours.encodings_, sk.encodings_):
        np.testing.assert_allclose(a, b, atol=1e-12)
    for a, b in zip(ours.categories_, sk.categories_):
        assert [None if v is None or v != v else v for v in a.tolist()] == \
            [None if v != v else v for v in b.tolist()]
    assert list(ours.get_feature_names_out()) == list(sk.get_feature_names_out())
    # transform with the full-fit encodings, unseen values included
    X_new = pl.DataFrame({"s": ["x", None, "never"], "i": [3, 99, 24]})
    np.testing.assert_allclose(ours.transform(X_new).to_numpy(), sk.transform(_sk_input(X_new)), atol=1e-12)


@pytest.mark.parametrize("kind", ["binary", "continuous"])
def test_fit_then_transform_equals_scikit_learn(kind):
    X = _frame(seed=4)
    y = _targets(X.height, seed=5)[kind]
    for smooth in ("auto", 2.0):
        sk = SkTargetEncoder(smooth=smooth).fit(_sk_input(X), y)
        ours = TargetEncoder(smooth=smooth).fit(X, y)
        np.testing.assert_allclose(ours.transform(X).to_numpy(), sk.transform(_sk_input(X)), atol=1e-12)


def test_numpy_in_numpy_out_like_scikit_learn():
    rng = np.random.default_rng(6)
    X = rng.integers(0, 6, (300, 2)).astype(np.float64)
    X[::17, 1] = np.nan
    y = rng.normal(size=300)
    cv = KFold(3, shuffle=True, random_state=0)
    got = TargetEncoder(cv=cv).fit_transform(X, y)
    assert isinstance(got, np.ndarray) and got.shape == (300, 2)
    np.testing.assert_allclose(got, SkTargetEncoder(cv=cv).fit_transform(X, y), atol=1e-12)
    enc = TargetEncoder().fit(X, y)
    assert list(enc.get_feature_names_out()) == ["x0", "x1"]
    np.testing.assert_allclose(enc.transform(X), SkTargetEncoder().fit(X, y).transform(X), atol=1e-12)


def test_prior_of_each_fold_is_its_training_mean_as_in_scikit_learn():
    # "solo" appears only in the last fold: its out-of-fold value is that fold's training mean
    X = pl.DataFrame({"c": ["a", "b"] * 10 + ["solo"] * 2})
    y = np.array([1, 0] * 10 + [1, 1])
    folds = [(np.arange(11, 22), np.arange(0, 11)), (np.arange(0, 11), np.arange(11, 22))]
    ours = TargetEncoder(cv=folds).fit_transform(X, y).to_numpy()[:, 0]
    sk = SkTargetEncoder(cv=folds).fit_transform(X.to_pandas(), y)[:, 0]
    train_mean = y[:11].mean()
    assert ours[-1] == pytest.approx(train_mean, abs=1e-15)
    assert sk[-1] == pytest.approx(train_mean, abs=1e-15)  # scikit-learn does the same
    np.testing.assert_allclose(ours, sk, atol=1e-12)


# ---------------------------------------------------------------------------- leakage
def test_out_of_fold_encoding_does_not_leak_a_noise_target():
    rng = np.random.default_rng(7)
    n = 20_000
    X = pl.DataFrame({"id_like": rng.integers(0, 5_000, n).astype(str)})  # ~4 rows per category
    y = (rng.random(n) < 0.5).astype(np.int8)                           # pure noise
    oof = TargetEncoder(smooth=1.0).fit_transform(X, y)["id_like"].to_numpy()
    leaky = TargetEncoder(smooth=1.0).fit(X, y).transform(X)["id_like"].to_numpy()
    # se of the AUC at n = 20k is ~0.004: 0.03 is > 7 se away
    assert abs(roc_auc_score(y, oof) - 0.5) < 0.03
    assert roc_auc_score(y, leaky) > 0.7


# ---------------------------------------------------------------------------- weights
@pytest.mark.parametrize("smooth", ["auto", 3.0])
def test_sample_weight_matches_weighted_reference(smooth):
    rng = np.random.default_rng(8)
    n = 400
    X = pl.DataFrame({"c": rng.integers(0, 9, n)})
    y = rng.normal(2.0, 1.0, n)
    w = rng.exponential(1.0, n) * (rng.random(n) < 0.9)
    folds = rng.integers(0, 3, n)
    X = X.with_columns(fold=pl.Series(folds))
    enc = TargetEncoder(smooth=smooth, cv="fold")
    got = enc.fit_transform(X, y, sample_weight=w)["c"].to_numpy()
    ref = target_encode_ref(X["c"].to_numpy(), y, smooth=smooth, folds=folds, n_folds=3, weight=w)
    np.testing.assert_allclose(got, ref, rtol=1e-11, atol=1e-12)
    full = enc.transform(X)["c"].to_numpy()
    np.testing.assert_allclose(full, target_encode_ref(X["c"].to_numpy(), y, smooth=smooth, weight=w), rtol=1e-11)


def test_integer_weights_equal_repeated_rows():
    X = pl.DataFrame({"c": ["a", "b", "a", "c", "b"]})
    y = np.array([1.0, 0.0, 3.0, 2.0, 5.0])
    w = np.array([2, 1, 3, 1, 2])
    weighted = TargetEncoder(target_type="continuous").fit(X, y, sample_weight=w)
    repeated = TargetEncoder(target_type="continuous").fit(pl.DataFrame({"c": np.repeat(X["c"].to_numpy(), w)}), np.repeat(y, w))
    np.testing.assert_allclose(weighted.encodings_[0], repeated.encodings_[0], rtol=1e-13)
    assert weighted.target_mean_ == pytest.approx(repeated.target_mean_, rel=1e-15)


def test_zero_weight_rows_do_not_count():
    X = pl.DataFrame({"c": ["a", "a", "b", "b"]})
    y = np.array([1.0, 100.0, 2.0, 4.0])
    enc = TargetEncoder(smooth=0.0, target_type="continuous").fit(X, y, sample_weight=[1.0, 0.0, 1.0, 1.0])
    assert enc.encodings_[0].tolist() == [1.0, 3.0]
    assert enc.target_mean_ == pytest.approx(7.0 / 3.0)


# ---------------------------------------------------------------------------- folds
def test_fold_column_and_equivalent_splitter_agree():
    X = _frame(seed=9)
    y = _targets(X.height, seed=9)["binary"]
    folds = np.random.default_rng(9).integers(0, 4, X.height)
    by_column = TargetEncoder(cv="fold").fit_transform(X.with_columns(fold=pl.Series(folds)), y)
    assert by_column.columns == ["s", "i"]  # the fold column is not encoded
    splits = [(np.flatnonzero(folds != f), np.flatnonzero(folds == f)) for f in range(4)]
    by_splits = TargetEncoder(cv=splits).fit_transform(X, y)
    assert by_column.equals(by_splits)


def test_group_kfold_with_groups():
    X = _frame(seed=10)
    y = _targets(X.height, seed=10)["continuous"]
    groups = np.arange(X.height) // 7
    cv = GroupKFold(3)
    ours = TargetEncoder(cv=cv).fit_transform(X, y, groups=groups)
    # each fold's rows get the encoding fitted on the other folds (whole groups held out)
    ref = np.empty(X.height)
    for train, test in cv.split(X, y, groups):
        assert not set(groups[train]) & set(groups[test])
        sub = TargetEncoder().fit(X[train], y[train])
        ref[test] = sub.transform(X[test])["i"].to_numpy()
    np.testing.assert_allclose(ours["i"].to_numpy(), ref, atol=1e-12)


def test_int_cv_is_deterministic_and_seeded():
    X = _frame(seed=11)
    y = _targets(X.height, seed=11)["binary"]
    a = TargetEncoder(cv=5, random_state=1).fit_transform(X, y)
    b = TargetEncoder(cv=5, random_state=1).fit_transform(X, y)
    c = TargetEncoder(cv=5, random_state=2).fit_transform(X, y)
    assert a.to_numpy().tobytes() == b.to_numpy().tobytes()
    assert not a.equals(c)


def test_tabprep_splitter_as_cv():
    from tabprep.split import StratifiedKFold as TpStratifiedKFold

    X = _frame(seed=12)
    y = _targets(X.height, seed=12)["binary"]
    cv = TpStratifiedKFold(3, shuffle=True, random_state=0)
    ours = TargetEncoder(cv=cv).fit_transform(X, y)
    sk = SkTargetEncoder(cv=cv).fit_transform(_sk_input(X), y)
    np.testing.assert_allclose(ours.to_numpy(), sk, atol=1e-12)


def test_bad_folds_are_rejected():
    X = _frame(n=50)
    y = _targets(50)["continuous"]
    with pytest.raises(ConfigError, match="train on exactly"):  # its train sets are the past only
        TargetEncoder(cv=TimeSeriesSplit(3)).fit_transform(X, y)
    repeated = [(np.arange(25, 50), np.arange(0, 25))] * 2
    with pytest.raises(ConfigError, match="row 0.*exactly once.*in 2 validation folds"):
        TargetEncoder(cv=repeated).fit_transform(X, y)
    overlapping = [(np.arange(5, 50), np.arange(0, 10)), (np.arange(0, 10), np.arange(10, 50))]
    with pytest.raises(ConfigError, match="train on exactly"):
        TargetEncoder(cv=overlapping).fit_transform(X, y)
    with pytest.raises(ConfigError, match="cv=6 folds need at least 6 rows"):
        TargetEncoder(cv=6).fit_transform(X.head(5), y[:5])
    with pytest.raises(SchemaError, match="fold column"):
        TargetEncoder(cv="nope").fit_transform(X, y)
    with pytest.raises(DataError, match="at least 2 distinct folds"):
        TargetEncoder(cv="f").fit_transform(X.with_columns(f=pl.lit(1)), y)
    with pytest.raises(ConfigError, match="`cv` parameter of `TargetEncoder`"):
        TargetEncoder(cv=1).fit_transform(X, y)
    with pytest.raises(ConfigError, match="groups are only used by a splitter"):
        TargetEncoder(cv=3).fit_transform(X, y, groups=np.arange(50) // 5)


def test_fold_attributes_reuse():
    X = _frame(seed=13)
    y = _targets(X.height, seed=13)["binary"]
    folds = np.random.default_rng(13).integers(0, 3, X.height)
    enc = TargetEncoder(smooth=2.0, cv="fold")
    oof = enc.fit_transform(X.with_columns(fold=pl.Series(folds)), y)
    assert enc.n_folds_ == 3
    np.testing.assert_allclose(enc.fold_target_mean_, [y[folds != f].mean() for f in range(3)])
    # fold f's encodings equal a fit on the rows outside fold f
    for f in range(3):
        sub = TargetEncoder(smooth=2.0).fit(X.filter(pl.Series(folds != f)), y[folds != f])
        col = enc.categories_[1]  # "i" has no nulls: fold_encodings_ has one extra null column
        got = dict(zip(col.tolist(), enc.fold_encodings_[1][f, :-1].tolist()))
        want = dict(zip(sub.categories_[1].tolist(), sub.encodings_[1].tolist()))
        for cat, value in want.items():
            assert got[cat] == pytest.approx(value, abs=1e-12)
    # the statistics add up to the rows
    stats = enc.fold_stats_[1]
    assert stats.shape == (len(enc.categories_[1]) + 1, 3, 3)
    assert stats[..., 0].sum() == X.height and stats[..., 2].sum() == y.sum()
    assert oof.height == X.height


# ---------------------------------------------------------------------------- options
def test_handle_unknown_and_missing():
    X = pl.DataFrame({"c": ["a", "a", "b", None, None, "b"]})
    y = np.array([1.0, 3.0, 5.0, 10.0, 20.0, 7.0])
    new = pl.DataFrame({"c": ["a", "zz", None]})
    base = TargetEncoder(smooth=0.0, target_type="continuous").fit(X, y)
    prior = y.mean()
    assert base.transform(new)["c"].to_list() == [2.0, prior, 15.0]
    assert base.categories_[0].tolist() == ["a", "b", None]
    as_prior = TargetEncoder(smooth=0.0, handle_missing="prior", target_type="continuous").fit(X, y)
    assert as_prior.transform(new)["c"].to_list() == [2.0, prior, prior]
    as_null = TargetEncoder(smooth=0.0, handle_missing="null", handle_unknown="null",
                            target_type="continuous").fit(X, y)
    assert as_null.transform(new)["c"].to_list() == [2.0, None, None]
    strict = TargetEncoder(handle_unknown="error").fit(X, y)
    with pytest.raises(DataError, match="row 1.*not in the vocabulary"):
        strict.transform(pl.DataFrame({"c": ["a", "zz"] * 20}))
    with pytest.raises(DataError, match="not in the vocabulary"):
        strict.transform({"c": "zz"})
    with pytest.raises(DataError, match="not in the vocabulary"):
        strict.transform(pl.DataFrame({"c": ["a", "zz"]}))
    # lazy: Polars raises inside the plan; explain_failure names the column and row
    from tabprep._base.fit import collect_explained

    lf = pl.LazyFrame({"c": ["a", None, "b", "zz"]})
    out = strict.transform(lf)
    assert isinstance(out, pl.LazyFrame)
    with pytest.raises(DataError, match=r"column 'c', row 3: value is not in the vocabulary; found 'zz'"):
        collect_explained(out, lambda: [(strict, lf)])
    with pytest.raises(DataError, match="column 'c', row 3.*null"):
        TargetEncoder(handle_missing="error").fit(X, y)
    # out-of-fold values follow the same option
    oof = TargetEncoder(smooth=0.0, handle_missing="null", cv=2, target_type="continuous").fit_transform(X, y)["c"]
    assert oof.is_null().to_list() == [False, False, False, True, True, False]


def test_nulls_unseen_in_fit_get_the_prior():
    enc = TargetEncoder(smooth=0.0, target_type="continuous").fit(pl.DataFrame({"c": ["a", "b"]}), [1.0, 3.0])
    assert enc.categories_[0].tolist() == ["a", "b"]
    assert enc.transform(pl.DataFrame({"c": [None, "a"]}))["c"].to_list() == [2.0, 1.0]


@pytest.mark.parametrize("series", [
    pl.Series("c", [1.5, -0.0, 0.0, float("nan"), 2.5, 1.5]),
    pl.Series("c", [True, False, True, None, False, True]),
    pl.Series("c", ["p", "q", "p", None, "q", "p"], dtype=pl.Categorical),
    pl.Series("c", [3, 1, 3, None, 1, 3], dtype=pl.UInt16),
])
def test_category_dtypes(series):
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    X = pl.DataFrame([series])
    enc = TargetEncoder(smooth=0.0, target_type="continuous").fit(X, y)
    out = enc.transform(X)["c"].to_list()
    # the mean target of each row's category
    key = [None if (v is None or v != v) else v for v in series.to_list()]
    expect = [float(np.mean([y[j] for j in range(6) if key[j] == key[i]])) for i in range(6)]
    assert out == pytest.approx(expect, abs=1e-12)
    assert enc.transform(X.lazy()).collect()["c"].to_list() == pytest.approx(expect, abs=1e-12)


# ---------------------------------------------------------------------------- containers & paths
def test_output_follows_the_input_container():
    X = _frame(n=120, seed=14)
    y = _targets(120, seed=14)["binary"]
    enc = TargetEncoder().fit(X, y)
    expect = enc.transform(X)
    assert isinstance(expect, pl.DataFrame)
    pdf = enc.transform(X.to_pandas())
    assert isinstance(pdf, pd.DataFrame) and list(pdf.columns) == ["s", "i"]
    np.testing.assert_array_equal(pdf.to_numpy(), expect.to_numpy())
    lazy = enc.transform(X.lazy())
    assert isinstance(lazy, pl.LazyFrame)
    np.testing.assert_allclose(lazy.collect().to_numpy(), expect.to_numpy(), atol=1e-15)
    table = enc.transform(X.to_arrow())
    assert isinstance(table, pa.Table)
    assert isinstance(TargetEncoder().fit_transform(X.lazy(), y), pl.LazyFrame)
    assert isinstance(enc.set_output(transform="pandas").transform(X), pd.DataFrame)


def test_kernel_lazy_small_and_dict_paths_agree():
    X = _frame(n=400, seed=15)
    y = _targets(400, seed=15)["multiclass"]
    enc = TargetEncoder(handle_unknown="null").fit(X, y)
    new = pl.DataFrame({"s": ["x", None, "unseen", "w"] * 10, "i": [1, 2, 999, 24] * 10})
    kernel = enc.transform(new).to_numpy()                 # 40 rows: compiled path
    lazy = enc.transform(new.lazy()).collect().to_numpy()  # replace_strict expressions
    small = enc.transform(new.head(4)).to_numpy()          # dict lookups
    np.testing.assert_array_equal(kernel, lazy)
    np.testing.assert_array_equal(kernel[:4], small)
    row = enc.transform({"s": "unseen", "i": 24})
    names = list(enc.get_feature_names_out())
    assert list(row) == names and len(names) == 6
    np.testing.assert_array_equal(np.array(list(row.values())), kernel[2, :3].tolist() + kernel[3, 3:].tolist())


def test_target_given_as_a_column_name():
    X = _frame(n=100, seed=16).with_columns(target=pl.Series(_targets(100, seed=16)["continuous"]))
    enc = TargetEncoder()
    out = enc.fit_transform(X, "target")
    assert out.columns == ["s", "i"] and list(enc.feature_names_in_) == ["s", "i"]
    np.testing.assert_allclose(out.to_numpy(), TargetEncoder().fit_transform(X.drop("target"), X["target"]).to_numpy())


# ---------------------------------------------------------------------------- bad input
def test_bad_targets():
    X = _frame(n=20)
    with pytest.raises(DataError, match=r"column 'y', row 2: the target has a null"):
        TargetEncoder().fit(X, pl.Series("y", [1.0, 2.0, None] + [1.0] * 17))
    with pytest.raises(DataError, match=r"column 'y', row 3: the target must be finite; found inf"):
        TargetEncoder().fit(X, pl.Series("y", [1.5, 2.5, 3.5, np.inf] + [0.5] * 16))
    with pytest.raises(DataError, match=r"row 1: the target must be finite; found nan"):
        TargetEncoder().fit(X, np.array([1.5, np.nan] + [0.5] * 18))
    with pytest.raises(DataError, match="at most 2 classes"):
        TargetEncoder(target_type="binary").fit(X, np.arange(20) % 3)
    with pytest.raises(DataError, match="has 3 rows but X has 20"):
        TargetEncoder().fit(X, [1, 0, 1])
    with pytest.raises(DataError, match="continuous target must be numeric"):
        TargetEncoder(target_type="continuous").fit(X, ["a", "b"] * 10)
    with pytest.raises(DataError, match=r"row 4.*sample_weight must be finite and >= 0"):
        TargetEncoder().fit(X, np.arange(20) % 2, sample_weight=[1.0] * 4 + [-1.0] + [1.0] * 15)
    with pytest.raises(ConfigError, match="The `smooth` parameter of `TargetEncoder` must be"):
        TargetEncoder(smooth=-1.0).fit(X, np.arange(20) % 2)


def test_transform_errors():
    enc = TargetEncoder().fit(pl.DataFrame({"c": ["a", "b"] * 5}), np.arange(10) % 2)
    with pytest.raises(SchemaError, match="lacks it"):
        enc.transform(pl.DataFrame({"d": ["a"]}))
    with pytest.raises(SchemaError, match="fitted on strings"):
        enc.transform(pl.DataFrame({"c": list(range(40))}))
    with pytest.raises(SchemaError, match="lacks it"):
        enc.transform({"d": "a"})


# ---------------------------------------------------------------------------- serialization
def test_to_dict_round_trip():
    X = _frame(n=300, seed=17)
    y = _targets(300, seed=17)["multiclass"]
    enc = TargetEncoder(smooth=1.5, handle_unknown="null", cv=StratifiedKFold(3)).fit(X, y)
    d = enc.to_dict()
    assert set(d["tables"]) == {"encodings_0", "encodings_1"}
    assert all(isinstance(t, pa.Table) for t in d["tables"].values())
    json.dumps({k: v for k, v in d.items() if k != "tables"})  # params and state are JSON
    assert d["params"]["cv"] is None and "StratifiedKFold" in d["state"]["cv_repr"]
    back = Step.from_dict(d)
    assert isinstance(back, TargetEncoder)
    new = pl.DataFrame({"s": ["x", None, "never"], "i": [3, 99, 24]})
    assert back.transform(new).equals(enc.transform(new))
    assert back.transform(new.lazy()).collect().equals(enc.transform(new.lazy()).collect())
    assert list(back.classes_) == list(enc.classes_)
    for a, b in zip(back.encodings_, enc.encodings_):
        np.testing.assert_array_equal(a, b)


def test_refit_forgets_the_previous_fit():
    X = _frame(n=100, seed=18)
    y = _targets(100, seed=18)["binary"]
    enc = TargetEncoder(cv=3)
    enc.fit_transform(X, y)
    assert hasattr(enc, "fold_stats_")
    enc.fit(X.select("i"), y)
    assert not hasattr(enc, "fold_stats_") and enc.n_features_in_ == 1


def test_empty_and_single_category_inputs():
    # integral float targets are classes, as in scikit-learn: say "continuous"
    enc = TargetEncoder(smooth=0.0, target_type="continuous").fit(pl.DataFrame({"c": ["k"] * 4}), [1.0, 2.0, 3.0, 6.0])
    assert enc.encodings_[0].tolist() == [3.0]
    all_null = pl.DataFrame({"c": pl.Series([None] * 6, dtype=pl.String)})
    enc = TargetEncoder(smooth=0.0, cv=2).fit(all_null, np.arange(6) % 2)
    assert enc.categories_[0].tolist() == [None]
    assert enc.transform(pl.DataFrame({"c": ["new", None]}))["c"].to_list() == [0.5, 0.5]


@parametrize_with_checks([TargetEncoder()])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_a_fold_without_training_rows_is_an_error():
    X = pl.DataFrame({"c": ["a", "b", "a"]})
    with pytest.raises(DataError, match="training rows of fold 0 are empty"):
        TargetEncoder(cv=[(np.array([], dtype=int), np.arange(3)), (np.arange(3), np.array([], dtype=int))]
                      ).fit_transform(X, [0, 1, 1])
    with pytest.raises(DataError, match="training rows of fold 0 are empty or have zero weight"):
        TargetEncoder(cv="f").fit_transform(X.with_columns(f=pl.Series([0, 1, 1])), [0, 1, 1],
                                            sample_weight=[1.0, 0.0, 0.0])


def test_zero_rows_and_zero_weights():
    with pytest.raises(DataError, match="no rows to fit on"):
        TargetEncoder().fit(pl.DataFrame({"c": pl.Series([], dtype=pl.String)}), [])
    with pytest.raises(DataError, match="sums to zero"):
        TargetEncoder().fit(pl.DataFrame({"c": ["a", "b"]}), [0, 1], sample_weight=[0.0, 0.0])


def test_inside_a_pipeline_fit_is_the_full_fit_and_fit_transform_is_out_of_fold():
    from tabprep.pipeline import Pipeline

    df = pl.DataFrame({"c": ["a", "b", "a", "c"] * 10, "y": [0, 1, 1, 0] * 10})
    pipe = Pipeline([("te", TargetEncoder(cv=4), ["c"])])
    full = TargetEncoder(cv=4).fit(df.select("c"), df["y"])
    assert pipe.fit(df, target="y").transform(df)["c"].to_list() == full.transform(df.select("c"))["c"].to_list()
    oof = TargetEncoder(cv=4).fit_transform(df.select("c"), df["y"])["c"].to_list()
    assert pipe.fit_transform(df, target="y")[1]["c"].to_list() == oof
    # the lazy statistics protocol is not this step's way in: the message says which is
    with pytest.raises(ConfigError, match="fits on a table"):
        TargetEncoder().fit_exprs(df.schema, ["c"], "y")


# ---------------------------------------------------------------------------- property
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def _problems(draw):
    n = draw(st.integers(6, 40))
    cats = draw(st.lists(st.sampled_from(["a", "b", "c", "dd", None]), min_size=n, max_size=n))
    kind = draw(st.sampled_from(["binary", "continuous"]))
    if kind == "binary":
        y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    else:
        y = np.array(draw(st.lists(st.floats(-100, 100).map(lambda v: v + 0.5), min_size=n, max_size=n)))
    folds = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    assume(len(set(folds.tolist())) >= 2)  # else a fold trains on nothing (an error, tested apart)
    smooth = draw(st.sampled_from(["auto", 0.0, 1.0, 7.5]))
    return cats, y, folds, kind, smooth


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_problems())
def test_property_equals_scikit_learn(problem):
    cats, y, folds, kind, smooth = problem
    splits = [(np.flatnonzero(folds != f), np.flatnonzero(folds == f)) for f in range(3)]
    X = pl.DataFrame({"c": pl.Series(cats, dtype=pl.String)})
    Xs = pd.DataFrame({"c": np.array([np.nan if c is None else c for c in cats], dtype=object)})
    sk = SkTargetEncoder(smooth=smooth, target_type=kind, cv=splits)
    ours = TargetEncoder(smooth=smooth, target_type=kind, cv=splits)
    np.testing.assert_allclose(ours.fit_transform(X, y).to_numpy(), sk.fit_transform(Xs, y), atol=1e-9, rtol=1e-12)
    np.testing.assert_allclose(ours.transform(X).to_numpy(), sk.transform(Xs), atol=1e-9, rtol=1e-12)


def test_an_inferred_target_with_many_classes_is_warned_about():
    # diamonds' price: integers, so "auto" infers multiclass (as scikit-learn does), and every
    # encoded column would become one column per distinct price
    rng = np.random.default_rng(0)
    df = pl.DataFrame({"cut": rng.choice(["a", "b", "c"], 3000), "price": rng.integers(300, 20000, 3000)})
    with pytest.warns(UserWarning, match=r"target 'price' was inferred multiclass with [\d,]+ classes.*"
                                         r"target_type='continuous'"):
        enc = TargetEncoder(cv=2).fit(df.select("cut"), df["price"])
    assert enc.target_type_ == "multiclass" and len(enc.classes_) > 100
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert TargetEncoder(cv=2, target_type="continuous").fit(df.select("cut"), df["price"]).target_type_ \
            == "continuous"
        assert TargetEncoder(cv=2, target_type="multiclass").fit(df.select("cut"), df["price"]).target_type_ \
            == "multiclass"
        # 100 classes are labels enough: no warning
        few = df.with_columns(pl.col("price") % 100)
        assert TargetEncoder(cv=2).fit(few.select("cut"), few["price"]).target_type_ == "multiclass"


def test_a_multiclass_output_that_cannot_fit_in_memory_is_a_clear_error_before_it_is_built(monkeypatch):
    from tabprep.encode import _folds
    from tabprep.errors import DataError

    rng = np.random.default_rng(0)
    df = pl.DataFrame({"cut": rng.choice(["a", "b", "c"], 3000), "color": rng.choice(["x", "y"], 3000),
                       "price": rng.integers(0, 500, 3000)})
    n_classes = df["price"].n_unique()
    need = 3000 * n_classes * 2 * 8
    monkeypatch.setattr(_folds, "available_memory", lambda: 2 * need - 1)  # just too little
    with pytest.raises(DataError, match=rf"3,000 rows x {n_classes} classes x 2 column\(s\) x 8 bytes.*"
                                        r"target_type='continuous'") as err:
        TargetEncoder(cv=2, target_type="multiclass").fit_transform(df.select("cut", "color"), df["price"])
    assert err.value.column == "price"
    monkeypatch.setattr(_folds, "available_memory", lambda: 2 * need)  # enough: encoded
    out = TargetEncoder(cv=2, target_type="multiclass").fit_transform(df.select("cut", "color"), df["price"])
    assert out.width == 2 * n_classes
    monkeypatch.setattr(_folds, "available_memory", lambda: 1)  # a continuous or binary target: no such output
    assert TargetEncoder(cv=2, target_type="continuous").fit_transform(df.select("cut"), df["price"]).width == 1


def test_available_memory_reads_the_machine():
    from tabprep.encode._folds import available_memory

    avail = available_memory()
    assert avail is None or 0 < avail < 1 << 50
