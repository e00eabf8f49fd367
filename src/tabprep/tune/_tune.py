"""``tune``: search over pipeline + model parameters with Optuna, preparation cached across trials."""

from __future__ import annotations

import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tabprep.errors import ConfigError

__all__ = ["TuneResult", "TrialRunner", "TrialOutcome", "tune"]

#: Fractions of each fold's training rows at the rungs of ``fidelity="rows"`` (reduction factor 3).
ROW_RUNGS = (1 / 9, 1 / 3, 1.0)
#: Fractions of the boosting rounds at the rungs of ``fidelity="rounds"``.
ROUND_RUNGS = (1 / 9, 1 / 3, 1.0)
#: The step each rung reports to the pruner: its resource in units of the smallest rung (1, 3, 9).
RUNG_STEPS = tuple(round(f / ROW_RUNGS[0]) for f in ROW_RUNGS)
#: Model parameters that count boosting rounds, in the order they are looked for.
ROUND_PARAMS = ("max_iter", "n_estimators", "num_boost_round")


@dataclass
class TuneResult:
    """What :func:`tune` returns.

    Attributes
    ----------
    study : optuna.Study
    metric : str
        The objective's metric (the first of ``scoring``; ``score`` for the model's own).
    best_params : dict
        Space names (``<step>__<param>``, ``model__<param>``) -> values of the best trial.
    best_score : float
        Its mean test score over the folds.
    trials : polars.DataFrame
        One row per trial: number, state, value, duration, cached preparation, each parameter.
    best_pipeline : FittedPipeline or None
        The pipeline with the best parameters refitted on all rows (``refit=True``); its
        ``lineage`` is that of the data as given (a file's sha256 for a path).
    best_model : estimator or None
        The model with the best parameters fitted on the refitted pipeline's training output.
    recovered : list of int
        Trials a killed earlier run had left running (marked failed and queued again).
    """

    study: Any
    metric: str
    best_params: dict
    best_score: float
    trials: Any
    best_pipeline: Any = None
    best_model: Any = None
    recovered: list = field(default_factory=list)


class _PrepCache:
    """Prepared fold matrices per preparation parameters (LRU of ``size`` entries). Builds run
    under one lock: parallel trials asking for the same preparation build it once."""

    def __init__(self, size: int) -> None:
        import threading

        self.size, self.entries, self.hits, self.misses = size, OrderedDict(), 0, 0
        self.lock = threading.Lock()

    def get(self, key, build):
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                self.hits += 1
                return self.entries[key], True
            self.misses += 1
            value = build()
            if self.size:
                self.entries[key] = value
                while len(self.entries) > self.size:
                    self.entries.popitem(last=False)
            return value, False


@dataclass
class TrialOutcome:
    """What one trial gave: the mean test score over the folds at the last rung run, the folds'
    scores, whether a reporter stopped it early (``pruned``) and at which rung, and its preparation."""

    value: float
    fold_scores: list
    pruned: bool = False
    rung: int = 0
    prep_cached: bool = False
    prep_seconds: float = 0.0


class TrialRunner:
    """Everything fixed for a study (data, folds, scorer, fidelity, the preparation cache), and
    :meth:`run`: one trial, given its parameters. The unit a search backend calls.

    Built by :func:`tune`; any search loop (Optuna's here) only has to choose ``params`` and
    pass a ``report`` callback for multi-fidelity (see :meth:`run`). Thread-safe: trials may run
    in parallel threads (the preparation cache and the per-(category, fold) tables are shared
    under a lock).

    Examples
    --------
    >>> import polars as pl
    >>> from sklearn.linear_model import LogisticRegression
    >>> from tabprep import Pipeline
    >>> from tabprep.encode import TargetEncoder
    >>> from tabprep.evaluate import resolve_folds
    >>> from tabprep.evaluate._scoring import resolve_scoring
    >>> from tabprep.tune import TrialRunner, check_space
    >>> df = pl.DataFrame({"c": ["a", "b", "c", "a", "b"] * 40, "y": [1, 0, 0, 1, 1] * 40})
    >>> pipe, model = Pipeline([("te", TargetEncoder(), "c")]), LogisticRegression()
    >>> space = check_space({"te__smooth": [1.0, 10.0], "model__C": [0.1, 1.0]}, pipe, model, "grid")
    >>> folds, k, df = resolve_folds(4, df, "y")
    >>> runner = TrialRunner(pipe, model, space, df, "y", folds, k, resolve_scoring("accuracy", model)["score"])
    >>> out = runner.run({"te__smooth": 10.0, "model__C": 0.1})
    >>> out.value, len(out.fold_scores), out.prep_cached
    (0.8, 4, False)
    >>> runner.run({"te__smooth": 10.0, "model__C": 1.0}).prep_cached  # same preparation: cached
    True
    """

    def __init__(self, pipeline, model, space, df, target, folds, n_folds, scorer, *, fidelity=None,
                 rounds_param=None, dtype="float64", cache_size=4, seed=0, n_jobs=1, early_stopping=None,
                 validation_fraction=0.1):
        from tabprep.evaluate._cross_validate import early_stopping_splits
        from tabprep.evaluate._hist_bins import BinCache

        # what rebuilds it elsewhere (a Ray Tune worker): the inputs, never the cache or the lock
        self._given = ((pipeline, model, space, df, target, folds, n_folds, scorer),
                       {"fidelity": fidelity, "rounds_param": rounds_param, "dtype": dtype,
                        "cache_size": cache_size, "seed": seed, "n_jobs": n_jobs, "early_stopping": early_stopping,
                        "validation_fraction": validation_fraction})
        self.pipeline, self.model, self.space = pipeline, model, space
        self.df, self.target, self.folds, self.n_folds = df, target, folds, n_folds
        self.scorer, self.fidelity, self.rounds_param, self.dtype = scorer, fidelity, rounds_param, dtype
        self.n_jobs, self.seed = n_jobs, seed
        self.early_stopping, self.validation_fraction = early_stopping, validation_fraction
        self.y = df.get_column(target).to_numpy()
        # early stopping: per fold, the validation share of its training rows (fixed for the study)
        self.stops = early_stopping_splits(model, early_stopping, validation_fraction,
                                           [self.y[folds != k] for k in range(n_folds)], seed)
        self.cache = _PrepCache(cache_size)
        # HistGradientBoosting: each fold matrix's binning, shared by the trials of its preparation
        # and by the rungs (training and validation binnings, per fold and rung)
        self.bins = BinCache(2 * cache_size * n_folds * self.n_rungs)
        # per-(category, fold) tables of the cross-fitted encoders: they do not depend on the
        # smoothing, so they outlive the preparations in the cache (one per encoder setting)
        self.tables: dict = {}
        sizes = [int((folds != k).sum()) if stop is None else len(stop[1]) for k, stop in enumerate(self.stops)]
        self.subsets = _row_subsets(sizes, seed) if fidelity == "rows" else None

    def __reduce__(self):
        # sent to another process (Ray's object store) as its inputs: it starts with an empty cache
        args, kwargs = self._given
        return _rebuild_runner, (type(self), args, kwargs)

    @property
    def n_rungs(self) -> int:
        return 1 if self.fidelity is None else len(ROW_RUNGS)

    def prepared(self, prep_params: dict):
        """``(per fold (X_train, X_test, y_train, y_test, eval_set), cache hit)`` for preparation
        parameters. With early stopping the training rows are the fold's fitting rows and
        ``eval_set`` its validation share ``(X, y)``; else ``eval_set`` is None."""
        from tabprep.evaluate import features, prepare_folds
        from tabprep.tune._space import with_params

        def build():
            from tabprep.evaluate._cross_validate import check_model_input

            preps = prepare_folds(with_params(self.pipeline, prep_params), self.df, self.target, self.folds,
                                  self.n_folds, tables=self.tables)
            matrices = [features(p, self.dtype) for p in preps]
            check_model_input(self.model, matrices, preps[0].fitted.feature_columns, "tune")
            return [_split_fold(*m, self.y[p.train_rows], self.y[p.test_rows], stop)
                    for p, m, stop in zip(preps, matrices, self.stops)]

        return self.cache.get(repr(sorted(prep_params.items())), build)

    def run(self, params: dict, report=None) -> TrialOutcome:
        """Cross-validate one configuration (space names -> values).

        ``report(outcome)`` is called after each rung of a multi-fidelity trial (once, with rung
        0, without a fidelity) with the :class:`TrialOutcome` at that rung: the mean test score,
        the folds' scores, the rung, and the preparation's cache hit and seconds. If it returns
        True the trial stops there (``pruned``; never after the last rung). The same parameters always
        give the same scores (the folds and the model's seed are fixed).
        """
        from tabprep.evaluate._threads import worker_limits

        prep_params, model_params = self.space.split(params)
        t0 = time.perf_counter()
        mats, hit = self.prepared(prep_params)
        prep_seconds = round(time.perf_counter() - t0, 6)
        est = _clone_with(self.model, model_params)

        def stop(value, scores, rung) -> bool:
            """Report a rung; whether the reporter stops the trial there."""
            return report is not None and bool(report(TrialOutcome(value, list(scores), False, rung, hit,
                                                                   prep_seconds)))

        with worker_limits(self.n_jobs):
            if self.fidelity == "rows":
                value, scores, pruned, rung = self._rungs(mats, est, stop, self._rows_rung)
            elif self.fidelity == "rounds":
                value, scores, pruned, rung = self._rungs(mats, est, stop, self._rounds_rung)
            else:
                scores = [self._fit_score(_clone_with(est, {}), *fold) for fold in mats]
                value, pruned, rung = float(np.mean(scores)), False, 0
                stop(value, scores, 0)
        return TrialOutcome(value, scores, pruned, rung, hit, prep_seconds)

    def _fit_score(self, est, X, Xte, y, yte, eval_set) -> float:
        from tabprep.evaluate._cross_validate import fit_on

        with self.bins.fitting(est):
            fit_on(est, X, y, eval_set, self.early_stopping)
        return float(self.scorer(est, Xte, yte))

    def _rungs(self, mats, est, stop, fit_rung):
        state = [None] * len(mats)
        value, scores = float("nan"), []
        for rung in range(self.n_rungs):
            scores = []
            for i, fold in enumerate(mats):
                state[i], score = fit_rung(i, rung, est, fold, state[i])
                scores.append(score)
            value = float(np.mean(scores))
            last = rung == self.n_rungs - 1
            if stop(value, scores, rung) and not last:
                return value, scores, True, rung
        return value, scores, False, self.n_rungs - 1

    def _rows_rung(self, i, rung, est, fold, _state):
        """Rung ``rung`` of fold ``i`` on a seeded prefix of its training rows (all at the last)."""
        Xtr, Xte, ytr, yte, eval_set = fold
        frac = ROW_RUNGS[rung]
        rows = self.subsets[i][:max(2, int(round(frac * len(ytr))))] if frac < 1 else slice(None)
        e = _clone_with(est, {})
        return None, self._fit_score(e, Xtr[rows], Xte, ytr[rows], yte, eval_set)

    def _rounds_rung(self, i, rung, est, fold, e):
        """Rung ``rung`` of fold ``i``: the model grown to its share of the rounds. A LightGBM /
        XGBoost model continues the previous rung's booster (only the new rounds are trained;
        early stopping carries its best round and score across); with ``warm_start`` the rounds
        of the previous rung are kept and continued; a model that stopped early (fewer rounds
        than asked) is final, as one fit with all the rounds would be."""
        from tabprep.evaluate._boosting import library

        Xtr, Xte, ytr, yte, eval_set = fold
        total = est.get_params()[self.rounds_param]
        asked = max(1, int(round(ROUND_RUNGS[rung] * total)))
        if library(est) is not None:
            return self._boosting_rung(est, fold, asked, e)
        if e is None:
            e = _clone_with(est, {"warm_start": True} if "warm_start" in est.get_params() else {})
        elif _stopped_early(e, self.rounds_param):
            return e, float(self.scorer(e, Xte, yte))
        e.set_params(**{self.rounds_param: asked})
        return e, self._fit_score(e, Xtr, Xte, ytr, yte, None)

    def _boosting_rung(self, est, fold, asked, state):
        """A LightGBM / XGBoost rung: ``state`` is the previous rung's ``(model, early stopping)``.
        The booster is continued when that equals one fit (:func:`tabprep.evaluate._boosting.continues`),
        else refitted with all ``asked`` rounds."""
        from tabprep.evaluate._boosting import EarlyStopping, boosted_rounds, continues, fit_boosting

        Xtr, Xte, ytr, yte, eval_set = fold
        prev, stopping = state if state is not None else (None, None)
        if prev is not None and ((stopping is not None and stopping.stopped) or boosted_rounds(prev) >= asked):
            return state, float(self.scorer(prev, Xte, yte))
        if prev is not None and continues(est):
            e = _clone_with(est, {self.rounds_param: asked - boosted_rounds(prev)})
            fit_boosting(e, Xtr, ytr, eval_set=eval_set, stopping=stopping, init=prev)
        else:
            stopping = None if eval_set is None else EarlyStopping(self.early_stopping)
            e = _clone_with(est, {self.rounds_param: asked})
            fit_boosting(e, Xtr, ytr, eval_set=eval_set, stopping=stopping)
        return (e, stopping), float(self.scorer(e, Xte, yte))


def _rebuild_runner(cls, args, kwargs):
    return cls(*args, **kwargs)


def tune(pipeline, model, data, target: str, *, space: dict, n_trials: int | None = None, strategy: str = "tpe",
         storage=None, study_name: str = "tabprep", cv=5, scoring=None, seed: int | None = 0,
         timeout: float | None = None, fidelity: str | None = None, pruner=None, refit: bool = True,
         cache_size: int = 4, dtype: str = "float64", n_jobs: int = 1, callback=None,
         backend: str = "local", early_stopping: int | None = None, validation_fraction: float = 0.1) -> TuneResult:
    """Tune pipeline and model parameters together, by cross-validation, with Optuna.

    Each trial cross-validates as :func:`tabprep.evaluate.cross_validate` does (the same folds
    for every trial). The prepared fold matrices are cached per preparation parameters, so trials
    that change only model parameters fit only the model.

    Parameters
    ----------
    pipeline : tabprep.Pipeline
        With a regressor, its target-aware steps left at ``target_type="auto"`` encode a numeric
        target as continuous (:func:`~tabprep.evaluate._cross_validate.for_model`).
    model : scikit-learn-compatible estimator
    data : path or table
    target : str
    space : dict
        ``<step>__<param>`` / ``model__<param>`` -> an Optuna distribution or a list of values
        (see :func:`tabprep.tune.check_space`); checked before any trial.
    n_trials : int, optional
        Trials to finish (complete or pruned), counting those already in a resumed study.
        Default: the grid's size for ``strategy="grid"``, else 20.
    strategy : {"tpe", "random", "grid"}
        Optuna's TPE sampler, its random sampler or its grid sampler (every axis a list).
    storage : None, str, path or optuna storage
        None keeps the study in memory; an SQLAlchemy URL or a file path (a SQLite file) persists
        it, and calling again with the same ``study_name`` resumes it: trials a killed process left
        running are marked failed and their parameters queued again.
    study_name : str
    cv, scoring
        As :func:`tabprep.evaluate.cross_validate`; the first metric is maximized.
    seed : int or None
        Seeds the folds and the sampler (plus the number of trials already in the study).
    timeout : float, optional
        Stop starting trials after this many seconds.
    fidelity : {None, "rows", "rounds"}
        Multi-fidelity: each trial is scored at rungs of growing training rows (1/9, 1/3, all of
        each fold's training rows) or boosting rounds (1/9, 1/3, all of ``max_iter`` /
        ``n_estimators``); the pruner stops weak trials at a low rung. With rounds, a model
        that has ``warm_start`` (HistGradientBoosting, GradientBoosting) keeps the rounds of
        the previous rung and adds the next ones, so a trial that runs to the end grows the
        rounds of one fit and scores as one fit with all the rounds (tested for
        HistGradientBoosting); each rung's ``fit`` call still repeats the model's fixed work
        (HistGradientBoosting re-bins the data: three rungs cost ~1.8x one fit at 160k x 4
        rows). LightGBM and XGBoost continue training: each rung's ``fit`` starts from the
        previous rung's booster (``init_model`` / ``xgb_model``) and trains only the new rounds;
        the grown model is bit-identical to one fit of all the rounds (tested, both libraries),
        except with row/column subsampling or DART, where each ``fit`` would restart the random
        stream: those models are refitted at each rung (see :mod:`tabprep.evaluate._boosting`).
        A model's own early stopping (e.g. ``HistGradientBoostingClassifier(early_stopping=True)``,
        or ``early_stopping=`` below) works inside each fit; once it stopped a fold's model, the
        later rungs keep that model.
    pruner : {None, "median", "halving", "hyperband"} or optuna pruner
        Default: "hyperband" with a fidelity, none without.
    refit : bool, default True
        Refit the best pipeline and model on all rows.
    cache_size : int, default 4
        Preparations (each one matrix pair per fold) kept in memory. A HistGradientBoosting
        model's binning of each fold matrix is kept too (as many, one byte per value; 0 keeps
        neither): trials and rungs that share a preparation bin it once, and fit exactly the
        model an uncached fit gives (:mod:`tabprep.evaluate._hist_bins`).
    dtype : "float64" or "float32"
    n_jobs : int, default 1
        Trials run at the same time, in threads (Optuna's ``n_jobs``; the models' fits release
        the GIL). Each trial's model gets ``cores // n_jobs`` native threads (OpenMP, BLAS), as
        scikit-learn's process workers do. A trial's score does not depend on ``n_jobs``, and
        a grid study gives the same points and scores, but with ``n_jobs > 1`` the order in
        which trials finish varies, so a seeded random or TPE study is no longer repeatable
        (TPE's suggestions depend on the trials finished before; the random sampler's draws
        are shared between threads in arrival order).
    callback : callable, optional
        Called after each trial as ``callback(done, n_trials, best_value, elapsed_seconds)``.
    backend : {"local", "ray"}, default "local"
        "ray": the trials run on Ray Tune on the cluster ``ray.init`` joined (extra
        ``tabprep[ray]``), with Optuna's sampler through Ray's ``OptunaSearch`` and the ASHA
        scheduler over the fidelity's rungs (``pruner`` must then be None); same result. See
        :mod:`tabprep.distributed._tune`.
    early_stopping : int or None, default None
        LightGBM / XGBoost: each fold's model stops when its metric on a validation share of the
        fold's training rows (never its test rows) has not improved for this many rounds, and
        predicts with its best round, as :func:`tabprep.evaluate.cross_validate` (same seed:
        same share, same scores). With ``fidelity="rounds"`` the best round and score carry
        across the rungs, so a complete trial stops where one fit would. The refit uses a
        validation share of all rows.
    validation_fraction : float in (0, 1), default 0.1
        That share, with ``early_stopping``.

    Returns
    -------
    TuneResult

    Examples
    --------
    >>> import polars as pl
    >>> from sklearn.linear_model import LogisticRegression
    >>> from tabprep import Pipeline
    >>> from tabprep.encode import TargetEncoder
    >>> from tabprep.tune import tune
    >>> df = pl.DataFrame({"c": ["a", "b", "c", "a", "b"] * 40, "y": [1, 0, 0, 1, 1] * 40})
    >>> res = tune(Pipeline([("te", TargetEncoder(), "c")]), LogisticRegression(), df, "y",
    ...            space={"te__smooth": [1.0, 100.0], "model__C": [0.1, 1.0]}, strategy="grid", scoring="roc_auc")
    >>> len(res.trials), sorted(res.best_params)
    (4, ['model__C', 'te__smooth'])
    """
    import optuna

    from tabprep._constraints import Interval, check_param
    from tabprep.evaluate import load_frame, resolve_folds
    from tabprep.evaluate._cross_validate import _check, for_model
    from tabprep.tune._space import check_space
    from tabprep.tune._study import STRATEGIES, finished, make_pruner, make_sampler, open_storage, recover

    if backend not in ("local", "ray"):
        raise ConfigError(f"unknown backend {backend!r}", hint="'local' or 'ray'")
    if backend == "ray" and pruner is not None:
        raise ConfigError("backend='ray' stops trials with Ray Tune's ASHA scheduler: pruner must be None",
                          found=repr(pruner))
    if strategy not in STRATEGIES:
        raise ConfigError(f"unknown strategy {strategy!r}", hint=f"one of {', '.join(STRATEGIES)}")
    if fidelity not in (None, "rows", "rounds"):
        raise ConfigError(f"unknown fidelity {fidelity!r}", hint="None, 'rows' or 'rounds'")
    if n_trials is not None:
        check_param(n_trials, [Interval(int, 1, None)], "n_trials", "tune")
    if timeout is not None:
        check_param(timeout, [Interval(float, 0, None, closed="neither")], "timeout", "tune")
    check_param(cache_size, [Interval(int, 0, None)], "cache_size", "tune")
    check_param(n_jobs, [Interval(int, 1, None)], "n_jobs", "tune")
    if not isinstance(study_name, str) or not study_name:
        raise ConfigError("study_name must be a non-empty string", found=repr(study_name))
    checked = check_space(space, pipeline, model, strategy)
    from tabprep.evaluate._boosting import check_early_stopping

    check_early_stopping(model, early_stopping, validation_fraction, "tune")
    rounds_param = _rounds_param(model) if fidelity == "rounds" else None
    df = load_frame(data, target, "tune")
    scorers = _check(pipeline, model, scoring, df, target)
    pipeline = for_model(pipeline, model, df.get_column(target))
    key = next(iter(scorers))
    metric = scoring if isinstance(scoring, str) else key  # the metric's name, not sklearn's "score" key
    folds, k, df = resolve_folds(cv, df, target, random_state=seed, owner="tune", model=model)
    if n_trials is None:
        n_trials = checked.grid_size if strategy == "grid" else 20
    if strategy == "grid":
        n_trials = min(n_trials, checked.grid_size)
    pruner = make_pruner("hyperband" if pruner is None and fidelity else pruner, RUNG_STEPS[-1])
    store = open_storage(storage)

    # ERROR: a trial's exception is raised from here anyway (with tabprep's message); Optuna's
    # WARNING for it repeats it with a traceback
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(storage=store, study_name=study_name, direction="maximize", load_if_exists=True)
    if study.direction != optuna.study.StudyDirection.MAXIMIZE:
        raise ConfigError(f"the stored study {study_name!r} minimizes; tabprep's scores are maximized",
                          hint="use another study_name")
    recovered = recover(study, strategy)
    study.sampler = make_sampler(strategy, checked, seed, len(study.trials))
    study.pruner = pruner

    runner = TrialRunner(pipeline, model, checked, df, target, folds, k, scorers[key], fidelity=fidelity,
                         rounds_param=rounds_param, dtype=dtype, cache_size=cache_size, seed=seed, n_jobs=n_jobs,
                         early_stopping=early_stopping, validation_fraction=validation_fraction)
    if backend == "ray":  # the trials on Ray Tune (tabprep.distributed._tune), after the same checks
        from tabprep.distributed._tune import tune_on_ray

        # (tune's helpers are passed in: tabprep.distributed must not import tabprep.tune)
        local = {"module": sys.modules[__name__], "finished": finished, "make_sampler": make_sampler}
        return _with_lineage(tune_on_ray(runner, study=study, store=store, study_name=study_name, metric=metric,
                                         n_trials=n_trials, strategy=strategy, seed=seed, timeout=timeout,
                                         refit=refit, callback=callback, recovered=recovered, local=local), data)

    def objective(trial):
        params = {name: _suggest(trial, name, dist) for name, dist in checked.distributions.items()}

        def report(at):
            if fidelity is None:
                return False
            trial.report(at.value, RUNG_STEPS[at.rung])
            return trial.should_prune()

        out = runner.run(params, report)
        trial.set_user_attr("prep_cached", out.prep_cached)
        trial.set_user_attr("prep_seconds", out.prep_seconds)
        trial.set_user_attr("fold_scores", out.fold_scores)
        if out.pruned:
            raise optuna.TrialPruned()
        return out.value

    start = time.perf_counter()

    def on_trial(study_, trial_):
        if callback is not None:
            try:
                best = study_.best_value
            except ValueError:
                best = None
            callback(finished(study_), n_trials, best, time.perf_counter() - start)

    remaining = n_trials - finished(study)
    if remaining > 0:
        from tabprep.evaluate._threads import pool_limits

        with pool_limits(n_jobs):
            study.optimize(objective, n_trials=remaining, timeout=timeout, callbacks=[on_trial], catch=(),
                           n_jobs=n_jobs)
    return _with_lineage(study_result(study, runner, metric, recovered, refit), data)


def _with_lineage(result: TuneResult, data) -> TuneResult:
    """``result`` whose refitted pipeline records the lineage of ``data`` as tune was given it (a
    file's sha256 for a path, as ``Pipeline.fit`` of that path would), not of the frame read from
    it."""
    if result.best_pipeline is not None:
        from tabprep._base.lineage import data_fingerprint

        result.best_pipeline.lineage = data_fingerprint(data)
    return result


def study_result(study, runner: TrialRunner, metric: str, recovered: list, refit: bool) -> TuneResult:
    """The :class:`TuneResult` of ``study`` (its trials as a frame, the best parameters and
    score) and, with ``refit``, the best configuration fitted on all of the runner's rows
    (pipeline ``fit_transform``, then the model). Local and Ray Tune runs end here."""
    import optuna

    checked = runner.space
    trials = _trials_frame(study, checked.distributions)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        return TuneResult(study, metric, {}, float("nan"), trials, recovered=recovered)
    best = study.best_trial
    result = TuneResult(study, metric, dict(best.params), float(best.value), trials, recovered=recovered)
    if refit:
        from tabprep.evaluate._cross_validate import early_stopping_splits, fit_model
        from tabprep.handoff import to_numpy
        from tabprep.tune._space import with_params

        prep_params, model_params = checked.split(best.params)
        # (lineage=False: tune records the lineage of the data it was given, see _with_lineage)
        fitted, out = with_params(runner.pipeline, prep_params).fit_transform(runner.df, runner.target,
                                                                             lineage=False)
        est = _clone_with(runner.model, model_params)
        stop = early_stopping_splits(est, runner.early_stopping, runner.validation_fraction, [runner.y],
                                     runner.seed)[0]
        fit_model(est, to_numpy(out, columns=fitted.feature_columns, dtype=runner.dtype), runner.y, stop)
        result.best_pipeline, result.best_model = fitted, est
    return result


def _clone_with(model, params):
    from sklearn.base import clone

    return clone(model).set_params(**params)


def _suggest(trial, name, dist):
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(name, dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, CategoricalDistribution):
        return trial.suggest_categorical(name, dist.choices)
    raise TypeError(f"unsupported distribution {dist!r}")


def _rounds_param(model) -> str:
    params = model.get_params()
    # ensembles only: a linear model's max_iter counts solver steps, not members
    ensemble = any(w in type(model).__name__ for w in ("Boost", "LGBM", "XGB", "Forest", "Trees", "Bagging"))
    for name in ROUND_PARAMS:
        if ensemble and name in params and isinstance(params[name], int):
            return name
    if ensemble and params.get("n_estimators", 0) is None:  # XGBoost's default: None (100 rounds inside)
        raise ConfigError("fidelity='rounds' needs the model's number of rounds: n_estimators is None",
                          found=type(model).__name__, hint="set n_estimators (e.g. XGBClassifier(n_estimators=100))")
    raise ConfigError("fidelity='rounds' needs a boosting model with max_iter or n_estimators",
                      found=type(model).__name__, hint="use fidelity='rows' for this model")


def _stopped_early(est, rounds_param) -> bool:
    """The model's own early stopping ended its last fit before the rounds it was given."""
    # HistGradientBoosting: n_iter_; GradientBoosting: n_estimators_ (both with warm_start)
    done = getattr(est, "n_iter_", getattr(est, "n_estimators_", None))
    return isinstance(done, (int, np.integer)) and int(done) < int(est.get_params()[rounds_param])


def _row_subsets(sizes, seed):
    """Per fold, a seeded order of its training rows (``sizes[k]`` of them): rung ``r`` fits on a
    prefix of it."""
    rng = np.random.default_rng(0 if seed is None else seed)
    return [rng.permutation(n) for n in sizes]


def _split_fold(X_train, X_test, y_train, y_test, stop):
    """A fold's matrices; with early stopping ``stop = (rounds, fit, val)`` the training rows
    split into the fitting rows and the validation share ``eval_set``."""
    from tabprep.evaluate._cross_validate import split_validation

    X_fit, y_fit, eval_set = split_validation(X_train, y_train, stop)
    return X_fit, X_test, y_fit, y_test, eval_set


def _trials_frame(study, distributions):
    import polars as pl

    rows = []
    for t in study.trials:
        row = {"number": t.number, "state": t.state.name, "value": t.value,
               "seconds": None if t.duration is None else t.duration.total_seconds(),
               "prep_cached": t.user_attrs.get("prep_cached")}
        for name in distributions:
            row[name] = t.params.get(name)
        rows.append(row)
    schema = {"number": pl.Int64, "state": pl.String, "value": pl.Float64, "seconds": pl.Float64,
              "prep_cached": pl.Boolean}
    return pl.DataFrame(rows, schema_overrides=schema, infer_schema_length=None) if rows else pl.DataFrame(schema=schema)
