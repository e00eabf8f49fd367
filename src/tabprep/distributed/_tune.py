"""``tabprep.tune.tune(..., backend="ray")``: the trials on Ray Tune, Optuna's sampler, ASHA.

:func:`tabprep.tune.tune` checks everything first (space, scoring, folds, storage), opens the
Optuna study and recovers what a killed run left (as locally), then hands over to
:func:`tune_on_ray`:

- the searcher is Ray's ``OptunaSearch`` over the *same* study (same storage and name) with the
  same sampler (``make_sampler``: TPE, random or grid, seeded as locally), so trials land in the
  study as local trials do and a resumed study continues where it stopped;
- the scheduler is ``ASHAScheduler`` over the rungs of ``fidelity`` (1/9, 1/3, all of the
  training rows or boosting rounds: ``max_t`` = 3 rungs, grace period 1, reduction factor 3);
  without a fidelity a trial has one rung and nothing is stopped early, as locally;
- each trial is a Ray Tune function trainable (one CPU) that cross-validates exactly as a
  local trial does (the same folds, ``prepare_folds``, the model cloned with the trial's
  parameters) and reports ``score`` (the mean test score) after each rung, plus ``final`` on
  the last one. A trial ASHA stops before its last rung is told to the study as PRUNED (its
  last result has no final score), so the study's COMPLETE trials are all full-fidelity ones;
- the data, folds, pipeline and model go to the object store once (``tune.with_parameters``);
  a worker process keeps the prepared fold matrices of its last ``cache_size`` preparation
  parameters (actors are reused), so ``prep_cached`` says whether that worker had them.

The result is the local :class:`~tabprep.tune.TuneResult` (trials frame read off the study,
best parameters, refit on the driver). Differences: with several trials running at once, a
TPE sampler sees the finished trials in completion order, so a TPE or random study is not
repeatable run to run the way a local one is (a grid is: every point once); ``timeout`` is Ray
Tune's ``time_budget_s``. Ray Tune's own files go to a temporary folder, deleted at the end.
"""

from __future__ import annotations

import time
from collections import OrderedDict

import numpy as np

__all__ = ["tune_on_ray"]

#: per worker process: (run token, preparation key) -> prepared fold matrices, LRU
_PREPARED: OrderedDict = OrderedDict()


def _trial(config, payload=None):
    """One Ray Tune trial: cross-validate the trial's parameters, reporting each rung."""
    from ray import tune as ray_tune

    from tabprep.evaluate import features, prepare_folds

    p = payload
    _clone_with, with_params = p["clone_with"], p["with_params"]
    params = {name: config[name] for name in p["names"]}
    prep_params, model_params = p["split"](params)
    t0 = time.perf_counter()
    key = (p["token"], repr(sorted(prep_params.items())))
    hit = key in _PREPARED
    if hit:
        _PREPARED.move_to_end(key)
        mats = _PREPARED[key]
    else:
        y = p["df"].get_column(p["target"]).to_numpy()
        preps = prepare_folds(with_params(p["pipeline"], prep_params), p["df"], p["target"], p["folds"], p["k"])
        mats = [(*features(q, p["dtype"]), y[q.train_rows], y[q.test_rows]) for q in preps]
        if p["cache_size"]:
            _PREPARED[key] = mats
            while len(_PREPARED) > p["cache_size"]:
                _PREPARED.popitem(last=False)
    prep_seconds = round(time.perf_counter() - t0, 6)
    scorer = p["scorer"]
    est = _clone_with(p["model"], model_params)
    fidelity = p["fidelity"]
    rungs = p["rungs"]
    fitted = None
    if fidelity == "rounds":
        total = est.get_params()[p["rounds_param"]]
        fitted = [_clone_with(est, {"warm_start": True} if "warm_start" in est.get_params() else {}) for _ in mats]
    for step, frac in enumerate(rungs):
        scores = []
        for i, (Xtr, Xte, ytr, yte) in enumerate(mats):
            if fidelity == "rounds":
                e = fitted[i]
                e.set_params(**{p["rounds_param"]: max(1, int(round(frac * total)))})
                e.fit(Xtr, ytr)
            else:
                rows = p["subsets"][i][:max(2, int(round(frac * len(ytr))))] if frac < 1 else slice(None)
                e = _clone_with(est, {})
                e.fit(Xtr[rows], ytr[rows])
            scores.append(float(scorer(e, Xte, yte)))
        final = step == len(rungs) - 1
        ray_tune.report({"score": float(np.mean(scores)), "final": final, "rung": step, "prep_cached": hit,
                         "prep_seconds": prep_seconds, "fold_scores": scores})


def tune_on_ray(pipeline, model, df, target, *, study, store, study_name, checked, folds, k, scorer, key, metric,
                n_trials, strategy, seed, timeout, fidelity, rounds_param, refit, cache_size, dtype, callback,
                recovered, local):
    """Run the remaining trials of ``study`` on Ray Tune (module docstring); the local
    :class:`~tabprep.tune.TuneResult`. Called by :func:`tabprep.tune.tune` after its checks;
    ``local`` holds that function's module (its rungs, result type and helpers) and tune's
    ``finished``, ``make_sampler`` and ``with_params``, passed in: ``tabprep.tune`` imports this
    module, so this one must not import ``tabprep.tune`` (no circle between packages)."""
    import os
    import tempfile
    import uuid

    import optuna
    import ray
    from ray import tune as ray_tune
    from ray.tune.schedulers import ASHAScheduler

    from tabprep.errors import ConfigError

    finished, make_sampler, with_params = local["finished"], local["make_sampler"], local["with_params"]
    local = local["module"]
    TuneResult, _trials_frame = local.TuneResult, local._trials_frame
    rungs = {"rows": local.ROW_RUNGS, "rounds": local.ROUND_RUNGS}.get(fidelity, (1.0,))
    if not ray.is_initialized():
        raise ConfigError("backend='ray' needs a running Ray cluster: call ray.init(...) first",
                          hint="ray.init() starts a local one; ray.init(address='auto') joins a cluster")
    n_rungs = len(rungs)
    start = time.perf_counter()
    remaining = n_trials - finished(study)
    if remaining > 0:
        payload = {
            "names": list(checked.distributions), "split": checked.split, "pipeline": pipeline, "model": model,
            "df": df, "target": target, "folds": folds, "k": k, "scorer": scorer,
            "fidelity": fidelity, "rounds_param": rounds_param, "dtype": dtype, "cache_size": cache_size,
            "subsets": local._row_subsets(folds, k, seed) if fidelity == "rows" else None, "token": uuid.uuid4().hex,
            "rungs": rungs, "clone_with": local._clone_with, "with_params": with_params,
        }
        searcher = _Search(space=dict(checked.distributions), metric="score", mode="max",
                           sampler=make_sampler(strategy, checked, seed, len(study.trials)),
                           study_name=study_name, storage=store)
        scheduler = ASHAScheduler(metric="score", mode="max", max_t=n_rungs, grace_period=1, reduction_factor=3)
        from ray.tune.logger import JsonLoggerCallback

        # the results' own file only (the result grid reads it): no CSV, no TensorBoard
        progress = [] if callback is None else [_Progress(callback, study, n_trials, start, finished)]
        callbacks = [JsonLoggerCallback(), *progress]
        with tempfile.TemporaryDirectory(prefix="tabprep-ray-tune-") as tmp:
            tuner = ray_tune.Tuner(
                ray_tune.with_parameters(_trial, payload=payload),
                tune_config=ray_tune.TuneConfig(search_alg=searcher, scheduler=scheduler, num_samples=remaining,
                                                time_budget_s=timeout, reuse_actors=True),
                run_config=ray_tune.RunConfig(name="tabprep", storage_path=os.path.abspath(tmp), verbose=0,
                                              callbacks=callbacks),
            )
            with _quiet_tune():
                grid = tuner.fit()
            errors = [r.error for r in grid if r.error is not None]
        if errors:
            raise errors[0]
    study = optuna.load_study(study_name=study_name, storage=store)
    trials = _trials_frame(study, checked.distributions)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        return TuneResult(study, metric, {}, float("nan"), trials, recovered=recovered)
    best = study.best_trial
    result = TuneResult(study, metric, dict(best.params), float(best.value), trials, recovered=recovered)
    if refit:
        from tabprep.handoff import to_numpy

        prep_params, model_params = checked.split(best.params)
        fitted, out = with_params(pipeline, prep_params).fit_transform(df, target)
        est = local._clone_with(model, model_params)
        est.fit(to_numpy(out, columns=fitted.feature_columns, dtype=dtype), df.get_column(target).to_numpy())
        result.best_pipeline, result.best_model = fitted, est
    return result


def _grid_done(record) -> bool:
    """Drop OptunaSearch's log of the RuntimeError Optuna's GridSampler raises when its last
    point is told outside ``Study.optimize`` (it calls ``study.stop()``); the trial is recorded."""
    return "`Study.stop` is supposed to be invoked" not in record.getMessage()


class _quiet_tune:
    """Ray Tune silent: its new output engine prints a configuration box and the results'
    folder even with ``verbose=0``; the legacy one (``RAY_AIR_NEW_OUTPUT=0``, read when
    ``Tuner.fit`` starts) prints nothing at ``verbose=0``. The variables are restored after."""

    #: the legacy output engine (silent at verbose=0); no default loggers but the JSON one given
    #: (TensorBoard's warns when tensorboardX is absent; their files go to a deleted folder)
    VARIABLES = {"RAY_AIR_NEW_OUTPUT": "0", "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS": "1"}

    def __enter__(self):
        import logging
        import os

        self.old = {name: os.environ.get(name) for name in self.VARIABLES}
        os.environ.update(self.VARIABLES)
        logging.getLogger("ray.tune.search.optuna.optuna_search").addFilter(_grid_done)

    def __exit__(self, *exc):
        import logging
        import os

        logging.getLogger("ray.tune.search.optuna.optuna_search").removeFilter(_grid_done)
        for name, value in self.old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _search_class():
    from ray.tune.search.optuna import OptunaSearch

    return OptunaSearch


class _Search:
    """Ray's ``OptunaSearch`` telling the study what a local run would: a trial stopped before
    its last rung is PRUNED (Ray would tell its last, low-rung score as COMPLETE), and each
    trial's ``prep_cached`` / ``prep_seconds`` / ``fold_scores`` become user attributes."""

    def __new__(cls, **kwargs):
        base = _search_class()

        class Search(base):
            def on_trial_complete(self, trial_id, result=None, error=False):
                ot_trial = getattr(self, "_ot_trials", {}).get(trial_id)
                if ot_trial is not None and result:
                    for name in ("prep_cached", "prep_seconds", "fold_scores"):
                        if name in result:
                            ot_trial.set_user_attr(name, result[name])
                if result and not result.get("final", False):
                    result = {k: v for k, v in result.items() if k != self.metric}  # no score: PRUNED
                super().on_trial_complete(trial_id, result, error)

        return Search(**kwargs)


class _Progress:
    """Ray Tune callback calling ``callback(done, n_trials, best_value, elapsed_seconds)`` after
    each trial, as the local tune does."""

    def __new__(cls, callback, study, n_trials, start, finished):
        from ray.tune import Callback

        class Progress(Callback):
            def on_trial_complete(self, iteration, trials, trial, **info):
                try:
                    best = study.best_value
                except ValueError:
                    best = None
                callback(finished(study), n_trials, best, time.perf_counter() - start)

        return Progress()
