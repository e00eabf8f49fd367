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
__all__ = ["tune_on_ray"]

#: per worker process: run token -> the study's TrialRunner, rebuilt there from its inputs (its
#: preparation cache outlives a trial: Ray reuses the worker for the next one)
_RUNNERS: dict = {}


def _trial(config, payload=None):
    """One Ray Tune trial: the local :class:`~tabprep.tune.TrialRunner` runs it, reporting
    each rung to Ray Tune (whose ASHA scheduler stops it, not the runner)."""
    from ray import tune as ray_tune

    token = payload["token"]
    runner = _RUNNERS.get(token)
    if runner is None:
        _RUNNERS.clear()  # one study at a time per worker
        runner = _RUNNERS[token] = payload["runner"]
    params = {name: config[name] for name in runner.space.distributions}
    last = runner.n_rungs - 1

    def report(at):
        ray_tune.report({"score": at.value, "final": at.rung == last, "rung": at.rung, "prep_cached": at.prep_cached,
                         "prep_seconds": at.prep_seconds, "fold_scores": at.fold_scores})
        return False

    runner.run(params, report)


def tune_on_ray(runner, *, study, store, study_name, metric, n_trials, strategy, seed, timeout, refit, callback,
                recovered, local):
    """Run the remaining trials of ``study`` on Ray Tune (module docstring); the local
    :class:`~tabprep.tune.TuneResult`. Called by :func:`tabprep.tune.tune` after its checks
    with the study's :class:`~tabprep.tune.TrialRunner` (sent to the workers once); ``local``
    holds that function's module (``study_result``, the end of a local run too) and tune's
    ``finished`` and ``make_sampler``, passed in: ``tabprep.tune`` imports this module, so this
    one must not import ``tabprep.tune`` (no circle between packages)."""
    import os
    import tempfile
    import uuid

    import optuna
    import ray
    from ray import tune as ray_tune
    from ray.tune.schedulers import ASHAScheduler

    from tabprep.errors import ConfigError

    finished, make_sampler = local["finished"], local["make_sampler"]
    local = local["module"]
    checked = runner.space
    if not ray.is_initialized():
        raise ConfigError("backend='ray' needs a running Ray cluster: call ray.init(...) first",
                          hint="ray.init() starts a local one; ray.init(address='auto') joins a cluster")
    n_rungs = runner.n_rungs
    start = time.perf_counter()
    remaining = n_trials - finished(study)
    if remaining > 0:
        payload = {"runner": runner, "token": uuid.uuid4().hex}
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
    return local.study_result(study, runner, metric, recovered, refit)


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
