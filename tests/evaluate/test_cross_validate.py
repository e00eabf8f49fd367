"""cross_validate: the per-fold fits derived from shared statistics equal refits, and the scores
equal scikit-learn's cross_validate of the equivalent scikit-learn pipeline on the same folds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer as SkImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import PredefinedSplit
from sklearn.model_selection import cross_validate as sk_cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder as SkOneHot
from sklearn.preprocessing import StandardScaler as SkScaler
from sklearn.preprocessing import TargetEncoder as SkTarget

from tabprep import Pipeline
from tabprep.clean import SimpleImputer
from tabprep.encode import OneHotEncoder, TargetEncoder
from tabprep.errors import ConfigError
from tabprep.evaluate import cross_validate, prepare_folds
from tabprep.scale import StandardScaler

NUMS = ["n0", "n1", "n2"]


def _data(n=3000, seed=0, continuous=False):
    rng = np.random.default_rng(seed)
    cat_hi = rng.integers(0, 60, n)
    cat_lo = rng.integers(0, 4, n)
    x = rng.normal(size=(n, 3))
    logit = x[:, 0] - 0.5 * x[:, 1] + (cat_hi % 7 - 3) * 0.4 + (cat_lo == 2) * 0.8
    y = logit + rng.normal(size=n) if continuous else (logit + rng.logistic(size=n) > 0).astype(np.int64)
    df = pl.DataFrame({"n0": x[:, 0], "n1": x[:, 1], "n2": x[:, 2],
                       "hi": [f"h{v}" for v in cat_hi], "lo": [f"l{v}" for v in cat_lo], "y": y})
    # missing cells in a numeric column and in the high-cardinality one
    return df.with_columns(pl.when(pl.col("n1") > 1.2).then(None).otherwise(pl.col("n1")).alias("n1"),
                           pl.when(pl.col("n2") > 1.5).then(None).otherwise(pl.col("hi")).alias("hi"))


def _pipeline(target_type="auto", strategy="mean"):
    return Pipeline([
        ("impute", SimpleImputer(strategy=strategy), NUMS),
        ("scale", StandardScaler(), NUMS),
        ("te", TargetEncoder(target_type=target_type), ["hi"]),
        ("onehot", OneHotEncoder(), ["lo"]),
    ])


class _ByOuterFold:
    """scikit-learn TargetEncoder's inner cv: the training rows split by their outer fold (read
    through the pandas index, which cross_validate and ColumnTransformer keep)."""

    def __init__(self, folds):
        self.folds = folds

    def split(self, X, y=None, groups=None):
        f = self.folds[X.index.to_numpy()]
        for u in np.unique(f):
            yield np.flatnonzero(f != u), np.flatnonzero(f == u)

    def get_n_splits(self, X=None, y=None, groups=None):
        return len(np.unique(self.folds)) - 1


def _sklearn_pipeline(folds, model, target_type="auto", strategy="mean"):
    ct = ColumnTransformer([
        ("num", make_pipeline(SkImputer(strategy=strategy), SkScaler()), NUMS),
        ("te", SkTarget(target_type=target_type, cv=_ByOuterFold(folds)), ["hi"]),
        ("onehot", SkOneHot(sparse_output=False), ["lo"]),
    ])
    return make_pipeline(ct, model)


def _pandas(df):
    pdf = df.drop("y").to_pandas()
    pdf["hi"] = pdf["hi"].astype(object).where(pdf["hi"].notna(), np.nan)
    return pdf


@pytest.mark.parametrize("strategy", ["mean", "median"])
def test_scores_equal_sklearn_cross_validate_classification(strategy):
    df = _data()
    folds = np.random.default_rng(1).integers(0, 5, df.height).astype(np.int8)
    scoring = ["accuracy", "roc_auc", "neg_log_loss"]
    ours = cross_validate(_pipeline(strategy=strategy), LogisticRegression(), df.with_columns(fold=folds), "y",
                          cv="fold", scoring=scoring, return_train_score=True)
    sk = sk_cross_validate(_sklearn_pipeline(folds, LogisticRegression(), strategy=strategy), _pandas(df),
                           df["y"].to_numpy(), cv=PredefinedSplit(folds), scoring=scoring, return_train_score=True)
    for name in scoring:
        np.testing.assert_allclose(ours[f"test_{name}"], sk[f"test_{name}"], rtol=1e-10, atol=0)
        np.testing.assert_allclose(ours[f"train_{name}"], sk[f"train_{name}"], rtol=1e-10, atol=0)
    assert set(sk) <= set(ours)
    assert ours["folds"].height == 5 and ours["folds"]["n_test"].to_list() == np.bincount(folds).tolist()


def test_scores_equal_sklearn_cross_validate_regression_with_a_splitter():
    from sklearn.model_selection import KFold

    df = _data(continuous=True)
    cv = KFold(4, shuffle=True, random_state=3)
    folds = np.empty(df.height, np.int8)
    for i, (_, test) in enumerate(cv.split(np.zeros(df.height))):
        folds[test] = i
    ours = cross_validate(_pipeline("continuous"), Ridge(alpha=0.5), df, "y", cv=cv, scoring="r2")
    sk = sk_cross_validate(_sklearn_pipeline(folds, Ridge(alpha=0.5), "continuous"), _pandas(df),
                           df["y"].to_numpy(), cv=cv, scoring="r2")
    np.testing.assert_allclose(ours["test_score"], sk["test_score"], rtol=1e-10, atol=0)


def test_fold_fits_equal_refits_on_the_training_rows():
    """Each derived fold fit transforms new rows like the pipeline refitted on the training rows
    (the target encoder cross-fitted over the other folds, given as a fold column)."""
    df = _data(n=2000)
    folds = np.random.default_rng(2).integers(0, 4, df.height).astype(np.int8)
    preps = prepare_folds(_pipeline(strategy="median"), df, "y", folds, 4)
    for k, prep in enumerate(preps):
        train = df.with_columns(fold=folds).filter(pl.col("fold") != k)
        refit = Pipeline([
            ("impute", SimpleImputer(strategy="median"), NUMS),
            ("scale", StandardScaler(), NUMS),
            ("te", TargetEncoder(cv="fold"), ["hi"]),
            ("onehot", OneHotEncoder(), ["lo"]),
        ])
        fitted, train_out = refit.fit_transform(train, "y")
        test = df.filter(pl.Series(folds == k))
        assert prep.fitted.feature_columns == fitted.feature_columns
        got, want = prep.test.select(fitted.feature_columns), fitted.transform(test).select(fitted.feature_columns)
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-13, atol=1e-15)
        # the target encoding (the shared table) is bit for bit a refit's, train and test rows
        assert prep.test["hi"].equals(want["hi"])
        assert prep.train["hi"].equals(train_out["hi"])
        np.testing.assert_allclose(prep.train.select(fitted.feature_columns).to_numpy(),
                                   train_out.select(fitted.feature_columns).to_numpy(), rtol=1e-13, atol=1e-15)


def test_later_phases_refit_per_fold():
    """A scaler reading the target encoder's output is fitted per fold on that fold's rows."""
    df = _data(n=1500)
    folds = np.random.default_rng(3).integers(0, 3, df.height).astype(np.int8)
    pipe = Pipeline([("te", TargetEncoder(), ["hi"]), ("scale", StandardScaler(), ["hi"])])
    preps = prepare_folds(pipe, df, "y", folds, 3)
    for prep in preps:
        assert prep.fitted.fit_phases == [["te"], ["scale"]]
        col = prep.train["hi"]
        assert abs(col.mean()) < 1e-12 and abs(col.std(ddof=0) - 1) < 1e-12


def test_bootstrap_interval_and_keys():
    df = _data(n=1000)
    res = cross_validate(_pipeline(), LogisticRegression(), df, "y", cv=5, scoring="accuracy",
                         n_bootstrap=200, return_estimator=True)
    lo, hi = res["ci_score"]
    assert lo <= res["test_score"].mean() <= hi
    assert len(res["estimator"]) == 5 and len(res["pipeline"]) == 5
    again = cross_validate(_pipeline(), LogisticRegression(), df, "y", cv=5, scoring="accuracy", n_bootstrap=200)
    assert again["ci_score"] == res["ci_score"] and np.array_equal(again["test_score"], res["test_score"])


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"scoring": "acuracy"}, "unknown metric 'acuracy'.*did you mean 'accuracy'"),
    ({"scoring": "r2", "model": LogisticRegression()}, "needs a class target|is continuous"),
    ({"scoring": "roc_auc", "model": Ridge(), "continuous": True}, "needs a class target"),
    ({"cv": "nope"}, "fold column"),
    ({"n_jobs": 0}, "n_jobs"),
])
def test_bad_input_is_a_config_error(kwargs, match):
    continuous = kwargs.pop("continuous", kwargs.get("scoring") == "r2")
    model = kwargs.pop("model", LogisticRegression())
    df = _data(n=300, continuous=continuous)
    with pytest.raises((ConfigError, ValueError), match=match):
        cross_validate(_pipeline(), model, df, "y", **kwargs)


def test_threads_give_the_same_scores():
    df = _data(n=1500)
    one = cross_validate(_pipeline(), LogisticRegression(), df, "y", cv=4, scoring="roc_auc")
    two = cross_validate(_pipeline(), LogisticRegression(), df, "y", cv=4, scoring="roc_auc", n_jobs=2)
    assert np.array_equal(one["test_score"], two["test_score"])


def test_a_non_partition_splitter_is_refused():
    from sklearn.model_selection import TimeSeriesSplit

    with pytest.raises(ConfigError, match="train on exactly the rows outside"):
        cross_validate(_pipeline(), LogisticRegression(), _data(n=300), "y", cv=TimeSeriesSplit(3))


@pytest.mark.parametrize("target_type", ["auto", "continuous"])
def test_shared_tables_give_the_same_folds_and_skip_the_table_pass(target_type, monkeypatch):
    """prepare_folds with a tables dict kept across calls (a tuning study): the per-(category,
    fold) table is counted once per encoder setting, whatever the smoothing, and every fold's
    output is bit for bit that of a call without it."""
    import tabprep.kernels._target as kt

    continuous = target_type == "continuous"
    df = _data(n=1500, continuous=continuous)
    folds = np.random.default_rng(4).integers(0, 4, df.height).astype(np.int8)
    passes = []
    real = kt.target_stats

    def counting(codes, *args, **kwargs):
        if codes is not None:  # a pass over a column's codes (None: the totals of a fold's rows)
            passes.append(1)
        return real(codes, *args, **kwargs)

    monkeypatch.setattr(kt, "target_stats", counting)
    tables: dict = {}
    smooths = ["auto", 1.0, 30.0, "auto"]
    for smooth in smooths:
        pipe = Pipeline([("te", TargetEncoder(smooth=smooth, target_type=target_type), ["hi"]),
                         ("scale", StandardScaler(), NUMS)])
        shared = prepare_folds(pipe, df, "y", folds, 4, tables=tables)
        plain = prepare_folds(pipe, df, "y", folds, 4)
        for a, b in zip(shared, plain):
            assert a.train.equals(b.train) and a.test.equals(b.test)
            np.testing.assert_array_equal(a.fitted.steps[0][1].target_mean_, b.fitted.steps[0][1].target_mean_)
    # one pass per call without tables; with them: one per distinct table key ("auto" needs the
    # second moments of a continuous target, a number does not: two keys, else one)
    keys = 2 if continuous else 1
    assert sum(key[0] == "table" for key in tables) == keys
    assert len(passes) == len(smooths) + keys


def test_parallel_folds_cap_the_native_threads_of_each_worker():
    """n_jobs > 1: BLAS capped around the pool, OpenMP capped in each worker thread and restored."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_info

    from tabprep.evaluate._threads import inner_threads, pool_limits, worker_limits

    def api(user_api):
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == user_api]

    assert inner_threads(1) >= 1 and inner_threads(10_000) == 1
    before_blas, before_omp = api("blas"), api("openmp")
    with pool_limits(10_000):
        assert all(n == 1 for n in api("blas"))
        with ThreadPoolExecutor(1) as pool:
            def inside():
                with worker_limits(10_000):
                    capped = api("openmp")
                return capped, api("openmp")

            capped, after = pool.submit(inside).result()
        assert all(n == 1 for n in capped)
        assert after == before_omp
    assert api("blas") == before_blas and api("openmp") == before_omp
    with pool_limits(1):  # one job: nothing capped
        assert api("blas") == before_blas


def test_multiclass_target_encoding_equals_a_refit_per_fold():
    """A multiclass target: one encoded column per class, the same as the pipeline refitted on
    each fold's training rows (before, the fold fits named their output after the input column
    and cross_validate failed)."""
    df = _data(n=1500).with_columns(y=pl.Series(np.random.default_rng(3).integers(0, 3, 1500)))
    folds = np.asarray([0, 1, 2] * 500, dtype=np.int8)
    preps = prepare_folds(Pipeline([("te", TargetEncoder(), ["hi"])]), df, "y", folds, 3)
    for k, prep in enumerate(preps):
        train = df.with_columns(fold=folds).filter(pl.col("fold") != k)
        fitted, train_out = Pipeline([("te", TargetEncoder(cv="fold"), ["hi"])]).fit_transform(train, "y")
        assert prep.fitted.feature_columns == fitted.feature_columns == ["hi_0", "hi_1", "hi_2"]
        assert prep.train.select(fitted.feature_columns).equals(train_out.select(fitted.feature_columns))
        test = df.filter(pl.Series(folds == k))
        assert prep.test.select(fitted.feature_columns).equals(fitted.transform(test).select(fitted.feature_columns))
    res = cross_validate(Pipeline([("te", TargetEncoder(), ["hi"])]), LogisticRegression(), df, "y", cv=3,
                         scoring="accuracy")
    assert res["test_score"].shape == (3,)


def test_make_model_checks_parameter_names_but_passes_a_boosting_librarys_own():
    from tabprep.errors import ConfigError
    from tabprep.evaluate._models import make_model

    assert make_model("LogisticRegression", {"C": 0.5}).C == 0.5
    with pytest.raises(ConfigError, match=r"LogisticRegression has no parameter 'penalti'.*did you mean 'penalty'"):
        make_model("LogisticRegression", {"penalti": "l2"})
    # LightGBM / XGBoost take their library's other parameters as keywords (checked there)
    assert make_model("LGBMClassifier", {"verbose": -1}).get_params()["verbose"] == -1
    assert make_model("XGBClassifier", {"max_cat_to_onehot": 4}).get_params()["max_cat_to_onehot"] == 4


def test_missing_values_a_model_refuses_are_a_clear_error_before_any_fit(monkeypatch):
    from sklearn.ensemble import HistGradientBoostingClassifier

    from tabprep.errors import DataError
    from tabprep.tune import tune

    rng = np.random.default_rng(0)
    a = rng.normal(size=300)
    a[::7] = np.nan
    df = pl.DataFrame({"a": a, "b": rng.normal(size=300), "y": rng.integers(0, 2, 300)})
    scaled = Pipeline([("sc", StandardScaler(), ["a", "b"])])
    fits = []
    fit = LogisticRegression.fit
    monkeypatch.setattr(LogisticRegression, "fit", lambda self, *a, **k: fits.append(1) or fit(self, *a, **k))
    match = r"the prepared features have missing values \(NaN\), which LogisticRegression does not accept"
    with pytest.raises(DataError, match=match) as err:
        cross_validate(scaled, LogisticRegression(), df, "y", cv=3)
    assert err.value.column == "a" and "SimpleImputer" in str(err.value) and fits == []
    with pytest.raises(DataError, match=match):
        tune(scaled, LogisticRegression(), df, "y", space={"model__C": [0.1, 1.0]}, strategy="grid", cv=3)
    assert fits == []
    # a model that takes NaN, or the same pipeline with an imputer: no error
    assert len(cross_validate(scaled, HistGradientBoostingClassifier(max_iter=5), df, "y", cv=3)["test_score"]) == 3
    imputed = Pipeline([("im", SimpleImputer(), ["a"]), ("sc", StandardScaler(), ["a", "b"])])
    cross_validate(imputed, LogisticRegression(), df, "y", cv=3)
    assert len(fits) == 3


def test_an_int_cv_stratifies_a_classifiers_classes_but_not_a_regressors_integer_target():
    """As scikit-learn's check_cv: StratifiedKFold for a classifier, KFold for a regressor (an
    integer target such as a count is a quantity there, not classes)."""
    from tabprep.evaluate import resolve_folds
    from tabprep.split import kfold_ids, stratified_kfold_ids

    df = _data(continuous=True).with_columns(pl.col("y").round().clip(-3, 3).cast(pl.Int64))
    y = df["y"].to_numpy()
    reg, k, _ = resolve_folds(5, df, "y", model=Ridge(), random_state=4)
    np.testing.assert_array_equal(reg, kfold_ids(df.height, 5, shuffle=True, seed=4))
    clf, _, _ = resolve_folds(5, df, "y", model=LogisticRegression(), random_state=4)
    np.testing.assert_array_equal(clf, stratified_kfold_ids(y, 5, shuffle=True, seed=4))
    assert not np.array_equal(reg, clf)
    # cross_validate uses those folds: the same scores as the fold column given explicitly
    ours = cross_validate(_pipeline("continuous"), Ridge(alpha=0.5), df, "y", cv=5, random_state=4, scoring="r2")
    given = cross_validate(_pipeline("continuous"), Ridge(alpha=0.5), df.with_columns(fold=reg), "y", cv="fold",
                           scoring="r2")
    np.testing.assert_array_equal(ours["test_score"], given["test_score"])


def test_a_regressor_takes_an_integer_target_as_a_quantity_in_target_aware_steps():
    """Left at target_type="auto", a target encoder would take an integer price for classes (one
    column per distinct value); under a regressor it encodes the target as continuous, the same as
    the step given target_type="continuous". A classifier keeps the inference; a given type stays."""
    from tabprep.evaluate._cross_validate import for_model
    from tabprep.tune import tune

    df = _data(continuous=True).with_columns((pl.col("y") * 100).round().cast(pl.Int64))
    assert df["y"].n_unique() > 300
    auto = cross_validate(_pipeline(), Ridge(alpha=0.5), df, "y", cv=3, scoring="r2", return_estimator=True)
    given = cross_validate(_pipeline("continuous"), Ridge(alpha=0.5), df, "y", cv=3, scoring="r2")
    np.testing.assert_array_equal(auto["test_score"], given["test_score"])
    assert auto["estimator"][0].n_features_in_ == 3 + 1 + 4  # one encoded column, not one per value
    res = tune(_pipeline(), Ridge(), df, "y", space={"model__alpha": [0.5]}, strategy="grid", cv=3, scoring="r2")
    assert res.best_score == given["test_score"].mean()
    assert res.best_pipeline.steps[2][1].target_type == "continuous"  # saved with the resolved type
    pipe = _pipeline()
    assert for_model(pipe, LogisticRegression(), df["y"]) is pipe
    typed = _pipeline("multiclass")
    assert for_model(typed, Ridge(), df["y"]).steps[2][1].target_type == "multiclass"
    assert pipe.steps[2][1].target_type == "auto"  # the caller's pipeline is not changed
