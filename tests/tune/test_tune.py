"""tune: equal configurations give cross_validate's scores, the cache, seeds, storage, bad input."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

optuna = pytest.importorskip("optuna")
from optuna.distributions import FloatDistribution, IntDistribution  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from tabprep import Pipeline  # noqa: E402
from tabprep.clean import SimpleImputer  # noqa: E402
from tabprep.encode import TargetEncoder  # noqa: E402
from tabprep.errors import ConfigError  # noqa: E402
from tabprep.evaluate import cross_validate  # noqa: E402
from tabprep.scale import StandardScaler  # noqa: E402
from tabprep.tune import tune, with_params, write_report  # noqa: E402


def _data(n=1200, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    c = rng.integers(0, 30, n)
    y = (a + (c % 5 - 2) * 0.5 + rng.logistic(size=n) > 0).astype(np.int8)
    df = pl.DataFrame({"a": a, "c": [f"k{v}" for v in c], "y": y})
    return df.with_columns(pl.when(pl.col("a") > 1.5).then(None).otherwise(pl.col("a")).alias("a"))


def _pipe():
    return Pipeline([("imp", SimpleImputer(), ["a"]), ("sc", StandardScaler(), ["a"]), ("te", TargetEncoder(), ["c"])])


GRID = {"te__smooth": [1.0, 20.0], "imp__strategy": ["mean", "median"], "model__C": [0.05, 1.0]}


def test_grid_trials_equal_cross_validate_and_reuse_the_cache():
    df = _data()
    res = tune(_pipe(), LogisticRegression(), df, "y", space=GRID, strategy="grid", scoring="roc_auc", cv=4)
    assert res.trials.height == 8 and set(res.trials["state"]) == {"COMPLETE"}
    seen = {(r["te__smooth"], r["imp__strategy"], r["model__C"]) for r in res.trials.iter_rows(named=True)}
    assert len(seen) == 8  # every grid point once
    # 4 preparations for 8 trials: the second C of each preparation reuses its matrices
    assert res.trials["prep_cached"].sum() == 4
    for row in res.trials.iter_rows(named=True):
        params = {k: row[k] for k in GRID}
        prep = {k: v for k, v in params.items() if not k.startswith("model__")}
        cv = cross_validate(with_params(_pipe(), prep), LogisticRegression(C=params["model__C"]), df, "y",
                            cv=4, scoring="roc_auc")
        assert row["value"] == cv["test_score"].mean()
    assert res.best_score == res.trials["value"].max()
    assert res.best_pipeline is not None and res.best_model is not None
    assert res.best_pipeline.steps[0][1].strategy == res.best_params["imp__strategy"]


@pytest.mark.parametrize("strategy", ["tpe", "random"])
def test_seeded_studies_repeat(strategy):
    df = _data()
    space = {"te__smooth": FloatDistribution(0.1, 100.0, log=True), "model__C": FloatDistribution(1e-3, 10.0, log=True)}
    runs = [tune(_pipe(), LogisticRegression(), df, "y", space=space, n_trials=5, strategy=strategy, seed=3,
                 scoring="roc_auc", refit=False).trials.select("te__smooth", "model__C", "value") for _ in range(2)]
    assert runs[0].equals(runs[1])
    other = tune(_pipe(), LogisticRegression(), df, "y", space=space, n_trials=5, strategy=strategy, seed=4,
                 scoring="roc_auc", refit=False).trials.select("te__smooth", "model__C", "value")
    assert not other.equals(runs[0])


def test_multi_fidelity_rows_prunes_and_finishes_the_asked_count():
    df = _data(n=2000)
    res = tune(_pipe(), LogisticRegression(), df, "y", space={"model__C": FloatDistribution(1e-4, 10.0, log=True)},
               n_trials=12, strategy="random", fidelity="rows", pruner="median", scoring="roc_auc", refit=False)
    states = res.trials["state"].to_list()
    assert len(states) == 12 and set(states) <= {"COMPLETE", "PRUNED"}
    assert "PRUNED" in states  # C=1e-4..1e-3 trials are far below the median at the first rung
    # a complete trial's value is its full-data cross-validation score
    row = res.trials.filter(pl.col("state") == "COMPLETE").row(0, named=True)
    cv = cross_validate(_pipe(), LogisticRegression(C=row["model__C"]), df, "y", cv=5, scoring="roc_auc")
    assert row["value"] == cv["test_score"].mean()


def test_multi_fidelity_rounds_with_warm_start():
    df = _data(n=600)
    model = HistGradientBoostingClassifier(max_iter=18, early_stopping=False, random_state=0)
    res = tune(_pipe(), model, df, "y", space={"model__learning_rate": [0.05, 0.2]}, strategy="grid",
               fidelity="rounds", pruner="none", scoring="roc_auc", cv=3, refit=False)
    assert res.trials.height == 2 and set(res.trials["state"]) == {"COMPLETE"}
    for row in res.trials.iter_rows(named=True):  # warm-started rounds: the same model as one fit
        cv = cross_validate(_pipe(), HistGradientBoostingClassifier(
            max_iter=18, early_stopping=False, random_state=0, learning_rate=row["model__learning_rate"]),
            df, "y", cv=3, scoring="roc_auc")
        np.testing.assert_allclose(row["value"], cv["test_score"].mean(), rtol=1e-12)


def test_storage_resumes_and_counts_trials(tmp_path):
    df = _data()
    db = tmp_path / "study.db"
    space = {"model__C": FloatDistribution(1e-3, 10.0, log=True)}
    first = tune(_pipe(), LogisticRegression(), df, "y", space=space, n_trials=3, storage=str(db), refit=False)
    assert first.trials.height == 3
    again = tune(_pipe(), LogisticRegression(), df, "y", space=space, n_trials=5, storage=f"sqlite:///{db}",
                 refit=False)
    assert again.trials.height == 5 and again.trials["number"].to_list() == [0, 1, 2, 3, 4]
    # a RUNNING trial (a killed process) is marked failed and its parameters are run again
    study = optuna.load_study(study_name="tabprep", storage=f"sqlite:///{db}")
    t = study.ask({"model__C": FloatDistribution(1e-3, 10.0, log=True)})
    resumed = tune(_pipe(), LogisticRegression(), df, "y", space=space, n_trials=6, storage=str(db), refit=False)
    assert resumed.recovered == [t.number]
    states = resumed.trials["state"].to_list()
    assert states.count("COMPLETE") == 6 and states.count("FAIL") == 1
    assert resumed.trials.filter(pl.col("state") == "COMPLETE")["model__C"].to_list()[-1] == t.params["model__C"]


def test_report_is_self_contained(tmp_path):
    pytest.importorskip("matplotlib")
    res = tune(_pipe(), LogisticRegression(), _data(), "y", space=GRID, strategy="grid", scoring="roc_auc", refit=False)
    path = write_report(res, tmp_path / "report.html")
    from pathlib import Path

    text = Path(path).read_text(encoding="utf-8")
    assert text.count("<svg") == 3 and "not available" not in text
    assert "<script" not in text and 'src="http' not in text and 'href="http' not in text
    assert "Optimization history" in text and "te__smooth" in text


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"space": {"te__smoth": [1.0]}}, "unknown parameter 'te__smoth'.*did you mean 'te__smooth'"),
    ({"space": {"model__C": []}}, "empty list"),
    ({"space": {}}, "non-empty dict"),
    ({"space": {"imp__strategy": ["mean", "meen"]}}, "'meen' of 'imp__strategy' is invalid"),
    ({"space": {"model__C": [1.0, -1.0]}}, "-1.0 of 'model__C' is invalid"),
    ({"space": {"model__C": FloatDistribution(0.1, 1.0)}, "strategy": "grid"}, "grid.*is a range"),
    ({"storage": "nosuchdriver://x/y"}, "storage cannot be opened"),
    ({"storage": "/nonexistent/folder/study.db"}, "folder of the study file does not exist"),
    ({"scoring": "r2"}, "needs a class target|is continuous|scores"),
    ({"scoring": "neg_mean_squared_eror"}, "unknown metric"),
    ({"strategy": "bayes"}, "unknown strategy"),
    ({"fidelity": "rounds"}, "boosting model"),
    ({"storage": "sqlite:////nonexistent/folder/study.db"}, "storage cannot be opened"),
    ({"n_jobs": 0}, "n_jobs"),
    ({"space": {"model__C": [1.0]}, "scoring": ["roc_auc", "r2"]}, "'r2' scores continuous"),
    ({"space": {"model__C": [1.0]}, "scoring": "roc_auc", "target": "k"}, "for two classes"),
])
def test_bad_input_fails_before_any_trial(kwargs, match, monkeypatch):
    calls = []
    monkeypatch.setattr(optuna.study.Study, "optimize", lambda *a, **k: calls.append(1))
    kwargs = {"space": {"model__C": [1.0]}, **kwargs}
    target = kwargs.pop("target", "y")
    df = _data(n=200).with_columns(k=pl.Series([0, 1, 2, 3] * 50))  # a multiclass target
    with pytest.raises(ConfigError, match=match):
        tune(_pipe(), LogisticRegression(), df, target, **kwargs)
    assert not calls


def test_regressor_metrics_are_checked_before_any_trial(monkeypatch):
    calls = []
    monkeypatch.setattr(optuna.study.Study, "optimize", lambda *a, **k: calls.append(1))
    from sklearn.linear_model import Ridge

    df = _data(n=200).with_columns(t=pl.Series(np.linspace(0, 1, 200)))
    with pytest.raises(ConfigError, match="'roc_auc' needs a class target"):
        tune(_pipe(), Ridge(), df.drop("y"), "t", space={"model__alpha": [1.0]}, scoring="roc_auc")
    with pytest.raises(ConfigError, match="continuous but the model is a classifier"):
        tune(_pipe(), LogisticRegression(), df.drop("y"), "t", space={"model__C": [1.0]}, scoring="accuracy")
    assert not calls


def test_parallel_trials_give_the_grid_points_and_scores_of_one_thread():
    df = _data()
    one = tune(_pipe(), LogisticRegression(), df, "y", space=GRID, strategy="grid", scoring="roc_auc", cv=4,
               refit=False)
    two = tune(_pipe(), LogisticRegression(), df, "y", space=GRID, strategy="grid", scoring="roc_auc", cv=4,
               refit=False, n_jobs=2)
    cols = [*GRID, "value"]
    assert two.trials.height == 8 and set(two.trials["state"]) == {"COMPLETE"}
    assert two.trials.select(cols).sort(cols).equals(one.trials.select(cols).sort(cols))
    assert two.best_score == one.best_score
    # the shared cache built each of the 4 preparations once, whichever thread asked first
    assert two.trials["prep_cached"].sum() == 4


def test_trial_runner_is_a_unit_a_search_loop_can_call():
    """TrialRunner.run: params in, score out; a report callback sees each rung and may stop it."""
    from tabprep.evaluate import load_frame, resolve_folds
    from tabprep.evaluate._scoring import resolve_scoring
    from tabprep.tune import TrialRunner, check_space

    df = load_frame(_data(n=800), "y", "test")
    folds, k, df = resolve_folds(3, df, "y")
    model = HistGradientBoostingClassifier(max_iter=9, early_stopping=False, random_state=0)
    space = check_space({"model__learning_rate": [0.1, 0.3]}, _pipe(), model, "grid")
    runner = TrialRunner(_pipe(), model, space, df, "y", folds, k, resolve_scoring("roc_auc", model)["score"],
                         fidelity="rounds", rounds_param="max_iter")
    seen = []
    full = runner.run({"model__learning_rate": 0.3},
                      lambda at: seen.append((at.rung, at.value, at.fold_scores, at.prep_cached)) and False)
    assert [r for r, _, _, _ in seen] == [0, 1, 2] and not full.pruned and full.value == seen[-1][1]
    assert all(v == np.mean(scores) and len(scores) == k and not cached for _, v, scores, cached in seen)
    assert full.fold_scores == seen[-1][2]
    stopped = runner.run({"model__learning_rate": 0.3}, lambda at: True)
    assert stopped.pruned and stopped.rung == 0 and stopped.value == seen[0][1]
    assert stopped.prep_cached and not full.prep_cached
    cv = cross_validate(_pipe(), HistGradientBoostingClassifier(max_iter=9, early_stopping=False, random_state=0,
                                                                learning_rate=0.3), df, "y", cv=3, scoring="roc_auc")
    np.testing.assert_allclose(full.fold_scores, cv["test_score"], rtol=1e-12)


def test_rounds_fidelity_keeps_a_model_its_own_early_stopping_ended():
    """HGB early_stopping=True: the warm-started rungs end where one fit with all the rounds ends."""
    df = _data(n=3000)
    model = HistGradientBoostingClassifier(max_iter=90, early_stopping=True, n_iter_no_change=2,
                                           validation_fraction=0.2, learning_rate=0.5, random_state=0)
    res = tune(_pipe(), model, df, "y", space={"model__max_leaf_nodes": [31]}, strategy="grid",
               fidelity="rounds", pruner="none", scoring="roc_auc", cv=3, refit=False)
    cv = cross_validate(_pipe(), model, df, "y", cv=3, scoring="roc_auc", return_estimator=True)
    assert all(e.n_iter_ < 30 for e in cv["estimator"])  # stopped before the second rung (30 rounds)
    np.testing.assert_allclose(res.trials["value"][0], cv["test_score"].mean(), rtol=1e-12)


def test_int_distribution_and_model_only_space():
    df = _data(n=500)
    res = tune(_pipe(), HistGradientBoostingClassifier(max_iter=5, early_stopping=False), df, "y",
               space={"model__max_leaf_nodes": IntDistribution(4, 16)}, n_trials=3, strategy="random",
               scoring="accuracy", cv=3, refit=False)
    assert res.trials["prep_cached"].to_list() == [False, True, True]
    assert all(4 <= v <= 16 for v in res.trials["model__max_leaf_nodes"])


@pytest.mark.parametrize("pruner", ["halving", "hyperband"])
def test_rungs_are_pruning_points_of_halving_and_hyperband(pruner):
    """Rungs report their resource (1, 3, 9 ninths): successive halving / Hyperband can stop a
    trial at the first rung, after a ninth of the rows."""
    df = _data(n=2000)
    res = tune(_pipe(), LogisticRegression(), df, "y", space={"model__C": FloatDistribution(1e-4, 10.0, log=True)},
               n_trials=10, strategy="random", fidelity="rows", pruner=pruner, scoring="roc_auc", refit=False)
    pruned = [t for t in res.study.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert pruned and all(set(t.intermediate_values) <= {1, 3} for t in pruned)
    assert any(set(t.intermediate_values) == {1} for t in pruned)
    complete = [t for t in res.study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert complete and all(set(t.intermediate_values) == {1, 3, 9} for t in complete)


def test_the_refitted_pipeline_records_the_lineage_of_the_data_tune_was_given(tmp_path):
    # a path: the file's sha256, as Pipeline.fit of that path records (not the frame read from it)
    import hashlib

    from tabprep._base.lineage import data_fingerprint

    df = _data(600)
    path = tmp_path / "train.parquet"
    df.write_parquet(path)
    space = {"model__C": [0.1, 1.0]}
    res = tune(_pipe(), LogisticRegression(), path, "y", space=space, strategy="grid", cv=3)
    lineage = res.best_pipeline.lineage
    assert lineage["data_fingerprint"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert lineage == _pipe().fit(path, "y").lineage
    # an in-memory frame: that frame's fingerprint, its fold column included
    folded = df.with_columns((pl.int_range(pl.len()) % 3).alias("fold"))
    res = tune(_pipe(), LogisticRegression(), folded, "y", space=space, strategy="grid", cv="fold")
    assert res.best_pipeline.lineage == data_fingerprint(folded)
    assert res.best_pipeline.lineage != data_fingerprint(folded.drop("fold"))
