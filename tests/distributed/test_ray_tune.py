"""``tune(..., backend="ray")``: trials on Ray Tune (Optuna's sampler via OptunaSearch, ASHA),
the local result format, the same scores as the local tune."""

from __future__ import annotations

import pytest

optuna = pytest.importorskip("optuna")
from sklearn.linear_model import LogisticRegression  # noqa: E402

from tabprep.errors import ConfigError  # noqa: E402
from tabprep.tune import tune  # noqa: E402
from tests.tune.test_tune import _data, _pipe  # noqa: E402

pytestmark = pytest.mark.usefixtures("ray_cluster")

GRID = {"te__smooth": [1.0, 20.0], "model__C": [0.05, 1.0]}


def test_grid_on_ray_gives_the_local_scores_and_format():
    df = _data(600)
    calls = []
    res = tune(_pipe(), LogisticRegression(), df, "y", space=GRID, strategy="grid", scoring="roc_auc", cv=3,
               backend="ray", callback=lambda *a: calls.append(a))
    local = tune(_pipe(), LogisticRegression(), df, "y", space=GRID, strategy="grid", scoring="roc_auc", cv=3)
    assert res.trials.schema == local.trials.schema
    assert res.trials.height == 4 and set(res.trials["state"]) == {"COMPLETE"}
    assert res.trials["prep_cached"].null_count() == 0
    key = list(GRID)
    want = {tuple(r[k] for k in key): r["value"] for r in local.trials.iter_rows(named=True)}
    got = {tuple(r[k] for k in key): r["value"] for r in res.trials.iter_rows(named=True)}
    assert got == want  # every grid point once, with the local cross-validated score
    assert res.best_params == local.best_params and res.best_score == local.best_score
    assert res.best_pipeline.to_dict()["steps"] == local.best_pipeline.to_dict()["steps"]
    assert len(calls) == 4 and calls[-1][:2] == (4, 4)


def test_rows_fidelity_runs_asha_and_records_pruned_trials(tmp_path):
    df = _data(600)
    space = {"te__smooth": optuna.distributions.FloatDistribution(0.5, 50.0, log=True),
             "model__C": optuna.distributions.FloatDistribution(1e-3, 10.0, log=True)}
    storage = tmp_path / "study.db"
    res = tune(_pipe(), LogisticRegression(), df, "y", space=space, n_trials=3, strategy="random",
               scoring="roc_auc", cv=3, fidelity="rows", backend="ray", storage=storage, refit=False)
    states = res.trials["state"].to_list()
    assert len(states) == 3 and set(states) <= {"COMPLETE", "PRUNED"} and "COMPLETE" in states
    for row in res.trials.iter_rows(named=True):  # a pruned trial has no full-fidelity score
        assert (row["value"] is None) == (row["state"] == "PRUNED")
    assert res.best_score == res.trials["value"].max()
    # the study lives in the storage: a second call resumes it up to n_trials finished trials
    more = tune(_pipe(), LogisticRegression(), df, "y", space=space, n_trials=4, strategy="random",
                scoring="roc_auc", cv=3, fidelity="rows", backend="ray", storage=storage, refit=False)
    assert more.trials.height == 4 and more.trials.head(3).equals(res.trials)


def test_ray_refusals():
    df = _data(200)
    with pytest.raises(ConfigError, match="ASHA"):
        tune(_pipe(), LogisticRegression(), df, "y", space=GRID, backend="ray", pruner="median", fidelity="rows")
    with pytest.raises(ConfigError, match="unknown backend"):
        tune(_pipe(), LogisticRegression(), df, "y", space=GRID, backend="dask")
