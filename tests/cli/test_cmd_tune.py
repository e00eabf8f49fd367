"""`tabprep evaluate` and `tabprep tune` in real processes, including a study killed with -9 and resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import polars as pl
import pytest

SPEC = """
target = "y"

[[steps]]
name = "impute"
type = "SimpleImputer"
columns = ["a"]

[[steps]]
name = "te"
type = "TargetEncoder"
columns = ["c"]

[model]
type = "LogisticRegression"

[search]
te__smooth = [1.0, 10.0]
model__C = { low = 0.001, high = 10.0, log = true }
"""


def _files(tmp_path, n=2000):
    rng = np.random.default_rng(0)
    a = rng.normal(size=n)
    c = rng.integers(0, 40, n)
    y = (a + (c % 5 - 2) * 0.5 + rng.logistic(size=n) > 0).astype(np.int8)
    data = tmp_path / "d.parquet"
    pl.DataFrame({"a": a, "c": [f"k{v}" for v in c], "y": y}).write_parquet(data)
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    return str(spec), str(data)


def _tabprep(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "tabprep", *args], capture_output=True, text=True, timeout=timeout)


def test_evaluate_json_and_text(tmp_path):
    from sklearn.linear_model import LogisticRegression

    from tabprep.evaluate import cross_validate
    from tabprep.tune import read_tune_spec

    spec, data = _files(tmp_path)
    proc = _tabprep("evaluate", spec, data, "--cv", "4", "--scoring", "roc_auc,accuracy", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [f["fold"] for f in out["folds"]] == [0, 1, 2, 3]
    ref = cross_validate(read_tune_spec(spec).pipeline, LogisticRegression(), data, "y", cv=4,
                         scoring=["roc_auc", "accuracy"])
    assert out["summary"]["roc_auc"]["mean"] == ref["test_roc_auc"].mean()
    proc = _tabprep("evaluate", spec, data, "--cv", "4", "--scoring", "roc_auc,accuracy", "--json", "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["summary"] == out["summary"]  # parallel folds: the same scores
    proc = _tabprep("evaluate", spec, data, "--model", "Ridge", "--scoring", "roc_auc")
    assert proc.returncode == 2 and "scores classes, but the model is a regressor" in proc.stderr
    proc = _tabprep("evaluate", spec, data, "--model", "HistGradientBoostingClassifier",
                    "--model-params", '{"max_iter": 5}', "--cv", "3")
    assert proc.returncode == 0, proc.stderr
    assert "score: " in proc.stdout and " ± " in proc.stdout and proc.stdout.count("\n") == 6


def test_tune_writes_artifact_report_and_table(tmp_path):
    import tabprep

    spec, data = _files(tmp_path)
    out = tmp_path / "out"
    proc = _tabprep("tune", spec, data, "-o", str(out), "--trials", "4", "--strategy", "random", "--scoring", "roc_auc")
    assert proc.returncode == 0, proc.stderr
    assert "trial 4/4" in proc.stderr and "best roc_auc" in proc.stdout
    best = json.loads((out / "best.json").read_text())
    trials = pl.read_csv(out / "trials.csv")
    assert trials.height == 4 and best["best_score"] == trials["value"].max()
    fitted = tabprep.load(out / "best.tabprep")
    assert fitted.steps[1][1].smooth == best["best_params"]["te__smooth"]
    assert "<svg" in (out / "report.html").read_text()


def test_tune_bad_space_is_a_config_error_before_any_trial(tmp_path):
    spec, data = _files(tmp_path)
    (tmp_path / "s.toml").write_text(SPEC.replace("te__smooth", "te__smoth"))
    proc = _tabprep("tune", spec, data, "-o", str(tmp_path / "o"), "--trials", "2")
    assert proc.returncode == 2 and "unknown parameter 'te__smoth'" in proc.stderr
    assert not (tmp_path / "o" / "study.db").exists()
    (tmp_path / "s.toml").write_text(SPEC)
    proc = _tabprep("tune", spec, data, "-o", str(tmp_path / "o"), "--storage", "nosuch://x")
    assert proc.returncode == 2 and "storage cannot be opened" in proc.stderr
    (tmp_path / "s.toml").write_text(SPEC.replace("[1.0, 10.0]", "[]"))
    proc = _tabprep("tune", spec, data, "-o", str(tmp_path / "o"), "--trials", "2")
    assert proc.returncode == 2 and "'te__smooth' an empty list" in proc.stderr
    (tmp_path / "s.toml").write_text(SPEC + "\n[tune]\nn_jobs = 0\n")
    proc = _tabprep("tune", spec, data, "-o", str(tmp_path / "o"), "--trials", "2")
    assert proc.returncode == 2 and "n_jobs" in proc.stderr
    assert not (tmp_path / "o" / "study.db").exists()


def _kill_while_a_trial_runs(args, url, TrialState) -> None:
    """Start ``tabprep tune`` and SIGKILL it once two trials are complete and one is running."""
    import optuna

    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            try:
                trials = optuna.load_study(study_name="tabprep", storage=url).get_trials(deepcopy=False)
            except Exception:  # noqa: BLE001 - the database is being created
                continue
            done = [t for t in trials if t.state == TrialState.COMPLETE]
            running = [t for t in trials if t.state == TrialState.RUNNING and t.params]
            if len(done) >= 2 and running:
                os.kill(proc.pid, signal.SIGKILL)
                break
    finally:
        proc.wait(timeout=60)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_tune_killed_with_sigkill_resumes_to_the_asked_count(tmp_path):
    import optuna
    from optuna.trial import TrialState

    spec, data = _files(tmp_path, n=6000)
    out = tmp_path / "out"
    args = [sys.executable, "-m", "tabprep", "tune", spec, data, "-o", str(out), "--trials", "10",
            "--strategy", "random", "--scoring", "roc_auc", "-q"]
    url = f"sqlite:///{out / 'study.db'}"
    killed_running = None
    for _attempt in range(5):
        _kill_while_a_trial_runs(args, url, TrialState)
        # the trial the kill interrupted: the one still RUNNING in the database now. The trial
        # seen running before the kill may have finished in between; if the kill then fell
        # between two trials, nothing was interrupted: start the study again and kill it again.
        running = [t for t in optuna.load_study(study_name="tabprep", storage=url).get_trials()
                   if t.state == TrialState.RUNNING]
        assert len(running) <= 1
        if running:
            killed_running = running[0]
            break
    assert killed_running is not None, "no kill landed during a trial in 5 attempts"
    assert not (out / "best.json").exists()

    resumed = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    study = optuna.load_study(study_name="tabprep", storage=url)
    trials = study.get_trials()
    states = [t.state for t in trials]
    assert states.count(TrialState.COMPLETE) == 10 and TrialState.RUNNING not in states
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert [t.number for t in failed] == [killed_running.number]
    # the killed trial's parameters were run again, once; no other parameters repeat
    complete = [tuple(sorted(t.params.items())) for t in trials if t.state == TrialState.COMPLETE]
    assert len(set(complete)) == 10
    if killed_running.params:  # killed after its parameters were drawn (else there is nothing to rerun)
        # queued again once and completed, with every parameter the killed trial had drawn (a kill
        # between two draws leaves some of them: the rest are drawn afresh)
        again = [t for t in trials if t.user_attrs.get("tabprep:requeued_from") == killed_running.number]
        assert len(again) == 1 and again[0].state == TrialState.COMPLETE
        assert set(killed_running.params.items()) <= set(again[0].params.items())
    assert len({t.number for t in trials}) == len(trials)
    assert json.loads((out / "best.json").read_text())["recovered_trials"] == [killed_running.number]
