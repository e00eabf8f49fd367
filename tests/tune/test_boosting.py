"""LightGBM / XGBoost in cross_validate and tune: continued training across the rungs of
``fidelity="rounds"`` (equal to one fit), early stopping on a validation share of each fold's
training rows (never its test rows), seeds, best rounds, bad values before any trial."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

optuna = pytest.importorskip("optuna")
lgb = pytest.importorskip("lightgbm")
xgb = pytest.importorskip("xgboost")

from sklearn.base import clone  # noqa: E402

from tabprep import Pipeline  # noqa: E402
from tabprep.clean import SimpleImputer  # noqa: E402
from tabprep.encode import TargetEncoder  # noqa: E402
from tabprep.errors import ConfigError  # noqa: E402
from tabprep.evaluate import _boosting, cross_validate  # noqa: E402
from tabprep.evaluate._boosting import EarlyStopping, boosted_rounds, continues, fit_boosting  # noqa: E402
from tabprep.tune import tune  # noqa: E402


def _data(n=1500, seed=0, classes=2):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    c = rng.integers(0, 30, n)
    z = a + (c % 5 - 2) * 0.5 + rng.logistic(size=n)
    y = (z > 0).astype(np.int8) if classes == 2 else np.digitize(z, [-1.0, 1.0]).astype(np.int8)
    # rid: the row number (a feature through an imputer with nothing to fill): names a matrix's rows
    return pl.DataFrame({"a": a, "c": [f"k{v}" for v in c], "rid": np.arange(n, dtype=np.float64), "y": y})


def _pipe():
    return Pipeline([("te", TargetEncoder(), ["c"])])


def _lgbm(**kw):
    return lgb.LGBMClassifier(**{"n_estimators": 45, "learning_rate": 0.3, "n_jobs": 1, "verbose": -1,
                                 "random_state": 0, **kw})


def _xgb(**kw):
    return xgb.XGBClassifier(**{"n_estimators": 45, "learning_rate": 0.3, "n_jobs": 1, "random_state": 0, **kw})


MODELS = {"lightgbm": _lgbm, "xgboost": _xgb}


def _matrix(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    z = X[:, 0] + X[:, 1] * X[:, 2] + rng.logistic(size=n)
    return X, z


# ------------------------------------------------------------------ continued training
@pytest.mark.parametrize("lib", ["lightgbm", "xgboost"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_continued_boosters_equal_one_fit_bit_for_bit(lib, task):
    X, z = _matrix()
    Xt = _matrix(500, seed=1)[0]
    y = {"binary": (z > 0).astype(int), "multiclass": np.digitize(z, [-1, 1]), "regression": z}[task]
    mod = lgb if lib == "lightgbm" else xgb
    prefix = "LGBM" if lib == "lightgbm" else "XGB"
    cls = getattr(mod, prefix + ("Regressor" if task == "regression" else "Classifier"))
    kw = {"random_state": 0, "n_jobs": 1, **({"verbose": -1} if lib == "lightgbm" else {})}
    one = cls(n_estimators=27, **kw).fit(X, y)
    grown, done = None, 0
    for asked in (3, 9, 27):  # the rungs of fidelity="rounds"
        grown = fit_boosting(cls(n_estimators=asked - done, **kw), X, y, init=grown)
        done = boosted_rounds(grown)
    assert done == 27 and continues(cls(**kw))
    predict = (lambda e: e.predict(Xt)) if task == "regression" else (lambda e: e.predict_proba(Xt))
    np.testing.assert_array_equal(predict(grown), predict(one))


@pytest.mark.parametrize(("model", "expected"), [
    (_lgbm(), True), (_lgbm(subsample=0.7, subsample_freq=1), False), (_lgbm(subsample=0.7), True),
    (_lgbm(colsample_bytree=0.8), False), (_lgbm(boosting_type="dart"), False), (_lgbm(extra_trees=True), False),
    (_xgb(), True), (_xgb(subsample=0.8), False), (_xgb(colsample_bynode=0.5), False), (_xgb(booster="dart"), False),
])
def test_subsampling_models_are_refitted_not_continued(model, expected):
    """A subsampling model's continued fit restarts the random stream (another model than one
    fit): those are refitted at each rung."""
    assert continues(model) is expected


@pytest.mark.parametrize("lib", ["lightgbm", "xgboost"])
def test_rounds_fidelity_continues_and_scores_as_one_fit(lib, monkeypatch):
    df = _data()
    asked = []
    real = _boosting.fit_boosting

    def spy(est, X, y, **kw):
        asked.append((est.get_params()["n_estimators"], kw.get("init") is not None))
        return real(est, X, y, **kw)

    monkeypatch.setattr(_boosting, "fit_boosting", spy)
    model = MODELS[lib]()
    res = tune(_pipe(), model, df, "y", space={"model__learning_rate": [0.1, 0.3]}, strategy="grid",
               fidelity="rounds", pruner="none", scoring="roc_auc", cv=3, refit=False)
    # per fold: 5 rounds, then 10 more continued, then 30 more continued (rungs of 45 rounds)
    assert asked == ([(5, False)] * 3 + [(10, True)] * 3 + [(30, True)] * 3) * 2
    for row in res.trials.iter_rows(named=True):
        cv = cross_validate(_pipe(), clone(model).set_params(learning_rate=row["model__learning_rate"]), df, "y",
                            cv=3, scoring="roc_auc")
        assert row["value"] == cv["test_score"].mean()


def test_rounds_fidelity_needs_xgboosts_rounds_given():
    with pytest.raises(ConfigError, match="n_estimators is None"):
        tune(_pipe(), xgb.XGBClassifier(), _data(n=300), "y", space={"model__max_depth": [3]}, strategy="grid",
             fidelity="rounds")


def test_rounds_fidelity_refits_a_subsampling_model(monkeypatch):
    df = _data(n=600)
    asked = []
    real = _boosting.fit_boosting
    monkeypatch.setattr(_boosting, "fit_boosting", lambda est, X, y, **kw: (
        asked.append((est.get_params()["n_estimators"], kw.get("init") is not None)), real(est, X, y, **kw))[1])
    model = _lgbm(subsample=0.7, subsample_freq=1)
    res = tune(_pipe(), model, df, "y", space={"model__learning_rate": [0.3]}, strategy="grid", fidelity="rounds",
               pruner="none", scoring="roc_auc", cv=3, refit=False)
    assert asked == [(5, False)] * 3 + [(15, False)] * 3 + [(45, False)] * 3
    cv = cross_validate(_pipe(), model, df, "y", cv=3, scoring="roc_auc")
    assert res.trials["value"][0] == cv["test_score"].mean()


# ------------------------------------------------------------------ early stopping
@pytest.mark.parametrize("lib", ["lightgbm", "xgboost"])
def test_early_stopping_callback_stops_where_the_library_does(lib):
    X, z = _matrix(4000)
    y = (z + 2 * np.random.default_rng(2).logistic(size=len(z)) > 0).astype(int)
    Xf, yf, Xv, yv = X[:3000], y[:3000], X[3000:], y[3000:]
    Xt = _matrix(500, seed=1)[0]
    model = MODELS[lib](n_estimators=300)
    if lib == "lightgbm":
        own = clone(model).fit(Xf, yf, eval_X=(Xv,), eval_y=(yv,), callbacks=[lgb.early_stopping(5, verbose=False)])
        own_best = own.best_iteration_ - 1  # LightGBM counts from 1
    else:
        own = clone(model).set_params(early_stopping_rounds=5).fit(Xf, yf, eval_set=[(Xv, yv)], verbose=False)
        own_best = own.best_iteration
    state = EarlyStopping(5)
    ours = fit_boosting(clone(model), Xf, yf, eval_set=(Xv, yv), stopping=state)
    assert state.stopped and state.best_round == own_best < 300 - 5
    # stopped 5 rounds after the best; a stopped LightGBM model keeps its rounds up to the best
    assert boosted_rounds(ours) == state.best_round + (1 if lib == "lightgbm" else 6)
    np.testing.assert_array_equal(ours.predict_proba(Xt), own.predict_proba(Xt))  # predicts with the best round
    # carried across continued fits (rungs), it stops at the same round with the same model; the
    # second rung ends just after the best round, so the third starts below the best score
    assert state.best_round > 2
    carried, grown, done = EarlyStopping(5), None, 0
    for asked in (2, state.best_round + 2, 300):
        if carried.stopped:
            break
        grown = fit_boosting(clone(model).set_params(n_estimators=asked - done), Xf, yf, eval_set=(Xv, yv),
                             stopping=carried, init=grown)
        done = boosted_rounds(grown)
    assert carried.best_round == state.best_round and done == boosted_rounds(ours)
    np.testing.assert_array_equal(grown.predict_proba(Xt), ours.predict_proba(Xt))


@pytest.mark.parametrize("lib", ["lightgbm", "xgboost"])
def test_the_validation_share_comes_from_the_training_rows_only(lib, monkeypatch):
    df = _data()
    folds = np.asarray([0, 1, 2] * 500, dtype=np.int8)
    df = df.with_columns(fold=folds)
    seen = []
    real = _boosting.fit_boosting

    def spy(est, X, y, *, eval_set=None, **kw):
        seen.append((X.copy(), eval_set[0].copy()))
        return real(est, X, y, eval_set=eval_set, **kw)

    monkeypatch.setattr(_boosting, "fit_boosting", spy)
    pipe = Pipeline([("te", TargetEncoder(), ["c"]), ("rid", SimpleImputer(), ["rid"])])
    res = cross_validate(pipe, MODELS[lib](n_estimators=300), df, "y", cv="fold", scoring="roc_auc",
                         early_stopping=3, validation_fraction=0.2, return_estimator=True)
    assert len(seen) == 3
    for k, (X_fit, X_val) in enumerate(seen):
        col = res["pipeline"][k].feature_columns.index("rid")
        fit_rid, val_rid = X_fit[:, col], X_val[:, col]
        test_rows = np.flatnonzero(folds == k)
        train_rows = np.flatnonzero(folds != k)
        assert not np.isin(val_rid, test_rows).any() and not np.isin(fit_rid, test_rows).any()
        assert not np.isin(val_rid, fit_rid).any()  # the model is not fitted on its validation share
        np.testing.assert_array_equal(np.sort(np.concatenate([fit_rid, val_rid])), train_rows)
        assert len(val_rid) == round(0.2 * len(train_rows))
        # stratified, as HistGradientBoosting's validation share
        y = df["y"].to_numpy()
        assert abs(y[val_rid.astype(int)].mean() - y[train_rows].mean()) < 0.01
    # the model predicts with its best round, which early stopping found before the 300 asked
    used = res["folds"]["rounds_used"].to_list()
    assert all(1 <= u < 300 for u in used)


@pytest.mark.parametrize("lib", ["lightgbm", "xgboost"])
def test_early_stopping_is_seeded_and_tune_equals_cross_validate(lib):
    df = _data()
    model = MODELS[lib](n_estimators=200)
    runs = [cross_validate(_pipe(), model, df, "y", cv=3, scoring="roc_auc", early_stopping=3, random_state=s,
                           return_estimator=True) for s in (5, 5)]
    np.testing.assert_array_equal(runs[0]["test_score"], runs[1]["test_score"])
    assert runs[0]["folds"]["rounds_used"].to_list() == runs[1]["folds"]["rounds_used"].to_list()
    if lib == "xgboost":  # tabprep's callback is not left on the returned models
        assert all(e.get_params()["callbacks"] is None for e in runs[0]["estimator"])
    for est, used in zip(runs[0]["estimator"], runs[0]["folds"]["rounds_used"]):  # the best round predicts
        best = est.best_iteration_ if lib == "lightgbm" else est.best_iteration + 1
        assert best == used < 200
        assert boosted_rounds(est) == (used if lib == "lightgbm" else used + 3)  # LightGBM keeps the best rounds
    res = tune(_pipe(), model, df, "y", space={"model__max_depth": [3]}, strategy="grid", cv=3, scoring="roc_auc",
               seed=5, early_stopping=3, refit=True)
    cv = cross_validate(_pipe(), clone(model).set_params(max_depth=3), df, "y", cv=3, scoring="roc_auc",
                        early_stopping=3, random_state=5)
    assert res.best_score == cv["test_score"].mean()
    # rounds fidelity with early stopping: the carried state makes a complete trial equal one fit
    rungs = tune(_pipe(), model, df, "y", space={"model__max_depth": [3]}, strategy="grid", cv=3, scoring="roc_auc",
                 seed=5, early_stopping=3, fidelity="rounds", pruner="none", refit=False)
    assert rungs.best_score == cv["test_score"].mean()
    other = cross_validate(_pipe(), model, df, "y", cv=3, scoring="roc_auc", early_stopping=3, random_state=6)
    assert not np.array_equal(other["folds"]["rounds_used"].to_list() + other["test_score"].tolist(),
                              runs[0]["folds"]["rounds_used"].to_list() + runs[0]["test_score"].tolist())
    # the refit stops on a validation share of all rows too
    assert boosted_rounds(res.best_model) < 200


@pytest.mark.parametrize(("model", "kwargs", "match"), [
    (_lgbm(), {"early_stopping": 0}, "The `early_stopping` parameter of `tune` must be an int >= 1 or None"),
    (_lgbm(), {"early_stopping": 2.5}, "`early_stopping`"),
    (_lgbm(), {"early_stopping": 3, "validation_fraction": 1.0}, "The `validation_fraction` parameter of `tune`"),
    (_lgbm(), {"early_stopping": 3, "validation_fraction": 0}, "`validation_fraction`"),
    (None, {"early_stopping": 3}, "early_stopping is for LightGBM and XGBoost models"),
    (_xgb(early_stopping_rounds=4), {"early_stopping": 3}, "its own early_stopping_rounds"),
    (_xgb(early_stopping_rounds=4), {}, "early_stopping_rounds needs a validation set"),
    (_lgbm(), {"early_stopping": 3, "validation_fraction": 0.001}, "cannot split the training rows of fold"),
])
def test_bad_early_stopping_is_a_config_error_before_any_trial(model, kwargs, match, monkeypatch):
    from sklearn.ensemble import HistGradientBoostingClassifier

    calls = []
    monkeypatch.setattr(optuna.study.Study, "optimize", lambda *a, **k: calls.append(1))
    model = HistGradientBoostingClassifier() if model is None else model
    df = _data(n=300)
    with pytest.raises(ConfigError, match=match):
        tune(_pipe(), model, df, "y", space={"model__max_depth": [3]}, strategy="grid", **kwargs)
    assert not calls
    with pytest.raises(ConfigError, match=match.replace("`tune`", "`cross_validate`")):
        cross_validate(_pipe(), model, df, "y", **kwargs)


def test_spec_and_command_line_options(tmp_path):
    import json
    import subprocess
    import sys

    from tabprep.tune import read_tune_spec

    df = _data(n=900).drop("rid")
    data = tmp_path / "d.parquet"
    df.write_parquet(data)
    spec = tmp_path / "s.toml"
    spec.write_text('target = "y"\n[[steps]]\nname = "te"\ntype = "TargetEncoder"\ncolumns = ["c"]\n'
                    '[model]\ntype = "XGBClassifier"\nparams = { n_estimators = 200, n_jobs = 1 }\n'
                    'early_stopping = 3\nvalidation_fraction = 0.2\n')
    assert read_tune_spec(spec).fit_options == {"early_stopping": 3, "validation_fraction": 0.2}
    proc = subprocess.run([sys.executable, "-m", "tabprep", "evaluate", str(spec), str(data), "--cv", "3",
                           "--scoring", "roc_auc", "--json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    ref = cross_validate(read_tune_spec(spec).pipeline, xgb.XGBClassifier(n_estimators=200, n_jobs=1), df, "y",
                         cv=3, scoring="roc_auc", early_stopping=3, validation_fraction=0.2)
    assert [f["rounds_used"] for f in out["folds"]] == ref["folds"]["rounds_used"].to_list()
    assert out["summary"]["score"]["mean"] == ref["test_score"].mean()
    proc = subprocess.run([sys.executable, "-m", "tabprep", "evaluate", str(spec), str(data), "--early-stopping",
                           "-1"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "The `early_stopping` parameter of `cross_validate` must be" in proc.stderr
    spec.write_text(spec.read_text().replace("XGBClassifier", "RandomForestClassifier").replace(
        "n_estimators = 200, n_jobs = 1", "n_estimators = 5"))
    with pytest.raises(ConfigError, match=r"\[model\]: early_stopping is for LightGBM") as err:
        read_tune_spec(spec)
    # located in the spec file, the original's finding and advice kept
    assert err.value.path == str(spec) and err.value.found == "RandomForestClassifier"
    assert err.value.hint == "use a LightGBM or XGBoost model, or early_stopping=None"


def test_rows_fidelity_and_parallel_trials_with_early_stopping():
    """Row rungs are prefixes of the fitting rows (the validation share stays whole); parallel
    trials give cross_validate's scores."""
    df = _data()
    model = _lgbm(n_estimators=100, learning_rate=0.1)
    res = tune(_pipe(), model, df, "y", space={"model__num_leaves": [4, 16]}, strategy="grid", fidelity="rows",
               pruner="none", early_stopping=5, scoring="roc_auc", cv=3, n_jobs=2, refit=False)
    assert set(res.trials["state"]) == {"COMPLETE"}
    for leaves, value in zip(res.trials["model__num_leaves"], res.trials["value"]):
        cv = cross_validate(_pipe(), clone(model).set_params(num_leaves=leaves), df, "y", cv=3, scoring="roc_auc",
                            early_stopping=5)
        assert value == cv["test_score"].mean()
