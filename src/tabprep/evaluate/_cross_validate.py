"""``cross_validate``: a tabprep pipeline + any scikit-learn model, folds as a column, shared statistics."""

from __future__ import annotations

import time

import numpy as np

from tabprep.errors import ConfigError, SchemaError

__all__ = ["cross_validate", "resolve_folds", "load_frame"]


def load_frame(data, target: str | None, owner: str):
    """The data as an in-memory Polars DataFrame (paths are scanned), the target checked."""
    from tabprep.io._dispatch import coerce

    df = coerce(data, allow_path=True, array_dtype=None).lf.collect()
    if target is None:
        raise ConfigError(f"{owner} needs a target column", hint="pass target=... (the label column)")
    if target not in df.columns:
        raise SchemaError("target column not found", column=target, found=f"columns {df.columns[:20]}",
                          hint="check the target name")
    return df


def resolve_folds(cv, df, target: str, *, groups=None, random_state=0, owner="cross_validate", model=None):
    """``(fold id per row (int8), number of folds, data without a fold column given as cv)``.

    ``cv``: an int (tabprep's shuffled folds, stratified for a class target, seeded by
    ``random_state``), the name of a fold column of the data (dropped from the features), a
    splitter (tabprep's or scikit-learn's: ``split(X, y, groups)``) or an iterable of
    ``(train, test)`` index arrays. Each row must be tested exactly once and trained on
    everywhere else (a partition into folds). With a regressor ``model`` the target is never
    taken for classes (an int ``cv`` gives plain shuffled folds even for an integer target, as
    scikit-learn's ``check_cv`` gives a regressor ``KFold``).
    """
    from tabprep.encode._folds import fold_ids, target_from

    n = df.height
    y = df.get_column(target)
    tgt = target_from(y, n, "continuous" if _quantity(model, y) else "auto", owner=owner)
    if isinstance(groups, str):
        if groups not in df.columns:
            raise SchemaError(f"{owner}: the groups column is not in the data", column=groups)
        groups = df.get_column(groups).to_numpy()
    folds, k = fold_ids(cv, n=n, target=tgt, df=df, groups=groups, shuffle=True,
                        seed=0 if random_state is None else random_state, owner=owner)
    if isinstance(cv, str):
        df = df.drop(cv)
    return folds, k, df


def with_params(pipeline, params: dict):
    """A new Pipeline whose steps are clones with ``params`` (``<step>__<param>``) set."""
    from sklearn.base import clone

    from tabprep.pipeline import Pipeline

    by_step: dict = {}
    for key, value in params.items():
        step, param = key.split("__", 1)
        by_step.setdefault(step, {})[param] = value
    return Pipeline([(n, clone(s).set_params(**by_step.get(n, {})), c) for n, s, c in pipeline.steps])


def _quantity(model, y) -> bool:
    """Whether ``model`` reads the target ``y`` as a quantity: a regressor and a numeric target."""
    from sklearn.base import is_regressor

    return model is not None and is_regressor(model) and y.dtype.is_numeric()


def for_model(pipeline, model, y):
    """``pipeline`` as a regressor's task reads it: its target-aware steps left at
    ``target_type="auto"`` (target encoder, optimal binning) take a numeric target as continuous.

    Left to infer it from the values, an integer quantity (a price, a count) is taken for classes:
    a target encoder then writes one column per distinct value (11,602 for diamonds' price, a
    matrix of 15 GB per fold). The model says what the target is. A classifier, or any model
    that is not a regressor, leaves the pipeline as it is; so does a step given its type.
    """
    if not _quantity(model, y):
        return pipeline
    auto = {f"{name}__target_type": "continuous" for name, step, _ in pipeline.steps
            if step.get_params().get("target_type", None) == "auto"}
    return with_params(pipeline, auto) if auto else pipeline


def cross_validate(pipeline, model, data, target: str, *, cv=5, scoring=None, return_train_score: bool = False,
                   return_estimator: bool = False, groups=None, n_jobs: int = 1, dtype="float64",
                   random_state: int | None = 0, n_bootstrap: int = 0, confidence_level: float = 0.95,
                   early_stopping: int | None = None, validation_fraction: float = 0.1):
    """Cross-validate a tabprep pipeline followed by a scikit-learn-compatible model.

    The folds are one id per row (a split column). The preparation of every fold ("all folds but
    k") comes from statistics computed once (:mod:`tabprep.evaluate._prepare`): target encoders
    from one per-(category, fold) table, mergeable steps from per-fold partial statistics, exact
    quantiles per fold. Inside fold ``k``'s fit a target encoder cross-fits its training rows over
    the other outer folds (nested folds; its own ``cv`` is not used). Each fold's features
    (``FittedPipeline.feature_columns``) reach the model through :func:`tabprep.handoff.to_numpy`.

    Parameters
    ----------
    pipeline : tabprep.Pipeline
        With a regressor, its target-aware steps left at ``target_type="auto"`` encode a numeric
        target as continuous (:func:`~tabprep.evaluate._cross_validate.for_model`).
    model : scikit-learn-compatible estimator
        Cloned for each fold (HistGradientBoosting, LogisticRegression, LightGBM, XGBoost...).
    data : path or table
        Held in memory (the model needs it anyway).
    target : str
        The label column.
    cv : int, str, splitter or iterable of (train, test), default 5
        See :func:`resolve_folds`. An int makes tabprep's shuffled folds seeded by
        ``random_state``, stratified for a classifier's classes (scikit-learn's int cv is
        unshuffled).
    scoring : None, str, callable, list or dict
        As scikit-learn's ``cross_validate``: None uses ``model.score``; a single metric gives the
        key ``test_score``, several ``test_<name>``.
    return_train_score, return_estimator : bool
        Also score the training rows (``train_<name>``); also return ``estimator`` (the fitted
        models) and ``pipeline`` (the fitted ``FittedPipeline`` of each fold).
    groups : str or array-like, optional
        Groups for a splitter that uses them (a column name or one value per row).
    n_jobs : int, default 1
        Folds whose model is fitted at the same time, in threads (the models' fits release the
        GIL). With ``n_jobs > 1`` each fit's own native threads (OpenMP, BLAS) are capped at
        ``cores // n_jobs``, as scikit-learn's process workers are
        (:mod:`tabprep.evaluate._threads`). The scores do not depend on ``n_jobs``.
    dtype : "float64" or "float32"
        dtype of the feature matrices.
    random_state : int or None, default 0
        Seed of an int ``cv``'s folds and of the bootstrap.
    n_bootstrap : int, default 0
        With ``n > 0``: a percentile bootstrap (``n`` resamples of the folds) of each mean test
        score, returned as ``ci_<name>`` = ``(low, high)``.
    confidence_level : float, default 0.95
    early_stopping : int or None, default None
        LightGBM / XGBoost models only: stop each fold's model when its metric on a validation
        share of the fold's *training* rows has not improved for this many rounds; it then
        predicts with its best round (``rounds_used`` in ``folds``). The share is carved out of
        the training rows only, never the fold's test rows, seeded by ``random_state``
        (stratified for a classifier), as ``HistGradientBoosting``'s ``validation_fraction``;
        the model is fitted on the other training rows. See
        :mod:`tabprep.evaluate._boosting`. (HistGradientBoosting has its own
        ``early_stopping=True``.)
    validation_fraction : float in (0, 1), default 0.1
        The validation share of each fold's training rows, with ``early_stopping``.

    Returns
    -------
    dict
        scikit-learn's keys (``fit_time``, ``score_time``, ``test_<name>``, ...; NumPy arrays, one
        value per fold) plus ``folds``: a Polars DataFrame with one row per fold (rows, times,
        scores; with ``early_stopping``, ``rounds_used``: the rounds each fold's model predicts
        with). ``fit_time`` is the model's fit plus the fold's share of the preparation
        (``prep_time`` in ``folds``). ``n_train`` counts the fold's training rows, validation
        share included.

    Raises
    ------
    DataError
        The prepared features hold missing values (NaN) and the model does not accept them
        (scikit-learn's ``allow_nan`` tag): named columns, before any fit.

    Examples
    --------
    >>> import polars as pl
    >>> from sklearn.linear_model import LogisticRegression
    >>> from tabprep import Pipeline
    >>> from tabprep.encode import TargetEncoder
    >>> from tabprep.evaluate import cross_validate
    >>> df = pl.DataFrame({"c": ["a", "b", "c", "a"] * 25, "y": [1, 0, 0, 1] * 25})
    >>> res = cross_validate(Pipeline([("te", TargetEncoder(), "c")]), LogisticRegression(), df, "y",
    ...                      cv=4, scoring=["accuracy", "roc_auc"])
    >>> sorted(k for k in res if k != "folds"), res["test_accuracy"].tolist()
    (['fit_time', 'score_time', 'test_accuracy', 'test_roc_auc'], [1.0, 1.0, 1.0, 1.0])
    >>> res["folds"].columns[:4]
    ['fold', 'n_train', 'n_test', 'prep_time']
    """
    from tabprep._constraints import Interval, check_param
    from tabprep.evaluate._boosting import check_early_stopping

    check_param(n_jobs, [Interval(int, 1, None)], "n_jobs", "cross_validate")
    check_param(n_bootstrap, [Interval(int, 0, None)], "n_bootstrap", "cross_validate")
    check_param(confidence_level, [Interval(float, 0, 1, closed="neither")], "confidence_level", "cross_validate")
    check_early_stopping(model, early_stopping, validation_fraction, "cross_validate")
    df = load_frame(data, target, "cross_validate")
    scorers = _check(pipeline, model, scoring, df, target)
    pipeline = for_model(pipeline, model, df.get_column(target))
    folds, k, df = resolve_folds(cv, df, target, groups=groups, random_state=random_state, model=model)
    t0 = time.perf_counter()
    from tabprep.evaluate._prepare import prepare_folds

    preps = prepare_folds(pipeline, df, target, folds, k)
    prep_time = (time.perf_counter() - t0) / k
    y = df.get_column(target).to_numpy()
    matrices = [features(p, dtype) for p in preps]
    check_model_input(model, matrices, preps[0].fitted.feature_columns, "cross_validate")
    # training scores as scikit-learn's: the training rows through the fitted pipeline (in-sample
    # encodings), not the out-of-fold matrix the model was fitted on
    scored = [_transformed(p, df, dtype) for p in preps] if return_train_score else [None] * k
    stops = early_stopping_splits(model, early_stopping, validation_fraction, [y[p.train_rows] for p in preps],
                                  random_state)
    runs = _run_folds(model, preps, matrices, scored, y, scorers, n_jobs, stops)
    return _results(runs, preps, scorers, prep_time, return_train_score, return_estimator,
                    n_bootstrap, confidence_level, random_state)


def features(prep, dtype):
    """``(X_train, X_test)`` of a prepared fold: the pipeline's feature columns."""
    from tabprep.handoff import to_numpy

    cols = prep.fitted.feature_columns
    return to_numpy(prep.train, columns=cols, dtype=dtype), to_numpy(prep.test, columns=cols, dtype=dtype)


def check_model_input(model, matrices, columns, owner: str) -> None:
    """A DataError when the prepared features hold missing values (NaN) and ``model`` does not
    accept them (scikit-learn's ``allow_nan`` tag), naming the columns; before any fit, instead
    of the model's error from inside the first fold."""
    from sklearn.utils import get_tags

    from tabprep.errors import DataError

    try:
        allow_nan = get_tags(model).input_tags.allow_nan
    except (AttributeError, TypeError, ValueError):  # an estimator without scikit-learn's tags
        return
    if allow_nan:
        return
    bad = np.zeros(len(columns), dtype=bool)
    for X in (X for pair in matrices for X in pair):
        bad |= np.isnan(X).any(axis=0)
    if bad.any():
        names = [c for c, b in zip(columns, bad) if b]
        raise DataError(f"{owner}: the prepared features have missing values (NaN), which "
                        f"{type(model).__name__} does not accept", column=names[0] if len(names) == 1 else None,
                        found=f"NaN in {len(names)} feature column(s): {', '.join(names[:10])}"
                              + (" ..." if len(names) > 10 else ""),
                        hint="add an imputation step (e.g. SimpleImputer) for those columns to the pipeline, "
                             "or use a model that accepts NaN (HistGradientBoosting, LightGBM, XGBoost)")


def early_stopping_splits(model, early_stopping, fraction, ys, seed) -> list:
    """Per fold, ``None`` (no early stopping) or ``(rounds, fit positions, validation positions)``
    of its training rows ``ys[k]`` (:func:`tabprep.evaluate._boosting.validation_rows`)."""
    if early_stopping is None:
        return [None] * len(ys)
    from sklearn.base import is_classifier

    from tabprep.evaluate._boosting import validation_rows

    return [(early_stopping, *validation_rows(yk, fraction, seed, is_classifier(model),
                                              where=f"the training rows of fold {k}")) for k, yk in enumerate(ys)]


def split_validation(X, y, stop):
    """``(X_fit, y_fit, eval_set)``: all of ``(X, y)`` and None without early stopping; with
    ``stop = (rounds, fit, val)`` the rows ``fit`` and the validation share ``(X[val], y[val])``."""
    if stop is None:
        return X, y, None
    _, fit, val = stop
    return X[fit], y[fit], (X[val], y[val])


def fit_on(est, X, y, eval_set, rounds):
    """Fit ``est`` on ``(X, y)``; with an ``eval_set`` a LightGBM / XGBoost model with early
    stopping after ``rounds`` rounds without improvement on it. Returns the early-stopping state
    (:class:`tabprep.evaluate._boosting.EarlyStopping`) or None."""
    if eval_set is None:
        est.fit(X, y)
        return None
    from tabprep.evaluate._boosting import EarlyStopping, fit_boosting

    state = EarlyStopping(rounds)
    fit_boosting(est, X, y, eval_set=eval_set, stopping=state)
    return state


def fit_model(est, X, y, stop):
    """Fit ``est`` on ``(X, y)``; with ``stop = (rounds, fit, val)`` a LightGBM / XGBoost model on
    the rows ``fit`` with early stopping on the rows ``val`` (:func:`split_validation`,
    :func:`fit_on`). Returns the early-stopping state or None."""
    return fit_on(est, *split_validation(X, y, stop), None if stop is None else stop[0])


def _check(pipeline, model, scoring, df, target):
    from sklearn.base import clone

    from tabprep.evaluate._scoring import check_scoring_target, resolve_scoring
    from tabprep.pipeline import Pipeline

    if not isinstance(pipeline, Pipeline):
        raise ConfigError("pipeline must be a tabprep.Pipeline", found=type(pipeline).__name__)
    if not hasattr(model, "fit"):
        raise ConfigError("model must be a scikit-learn-compatible estimator (with fit)", found=type(model).__name__)
    try:
        clone(model)
    except Exception as exc:  # noqa: BLE001 - any failure to clone is the user's model
        raise ConfigError(f"the model cannot be cloned as a scikit-learn estimator: {exc}",
                          found=type(model).__name__) from exc
    scorers = resolve_scoring(scoring, model)
    check_scoring_target(scoring, df.get_column(target).to_numpy(), model, target)
    return scorers


def _transformed(prep, df, dtype):
    from tabprep.handoff import to_numpy

    return to_numpy(prep.fitted.transform(df[prep.train_rows]), columns=prep.fitted.feature_columns, dtype=dtype)


def _fit_and_score(model, X_train, X_test, X_scored, y_train, y_test, scorers, stop):
    from sklearn.base import clone

    est = clone(model)
    t0 = time.perf_counter()
    state = fit_model(est, X_train, y_train, stop)
    fit_time = time.perf_counter() - t0
    t0 = time.perf_counter()
    test = {n: float(s(est, X_test, y_test)) for n, s in scorers.items()}
    score_time = time.perf_counter() - t0
    train = {} if X_scored is None else {n: float(s(est, X_scored, y_train)) for n, s in scorers.items()}
    return est, fit_time, score_time, test, train, state


def _run_folds(model, preps, matrices, scored, y, scorers, n_jobs, stops):
    jobs = [(model, Xtr, Xte, Xsc, y[p.train_rows], y[p.test_rows], scorers, stop)
            for p, (Xtr, Xte), Xsc, stop in zip(preps, matrices, scored, stops)]
    if n_jobs == 1:
        return [_fit_and_score(*j) for j in jobs]
    from concurrent.futures import ThreadPoolExecutor

    from tabprep.evaluate._threads import pool_limits, worker_limits

    def run(job):
        with worker_limits(n_jobs):
            return _fit_and_score(*job)

    with pool_limits(n_jobs), ThreadPoolExecutor(max_workers=n_jobs) as pool:
        return list(pool.map(run, jobs))


def _results(runs, preps, scorers, prep_time, train_score, return_estimator, n_bootstrap, level, seed):
    import polars as pl

    out = {"fit_time": np.array([r[1] + prep_time for r in runs]),
           "score_time": np.array([r[2] for r in runs])}
    for name in scorers:
        out[f"test_{name}"] = np.array([r[3][name] for r in runs])
        if train_score:
            out[f"train_{name}"] = np.array([r[4][name] for r in runs])
    if return_estimator:
        out["estimator"] = [r[0] for r in runs]
        out["pipeline"] = [p.fitted for p in preps]
    table = {"fold": list(range(len(runs))), "n_train": [len(p.train_rows) for p in preps],
             "n_test": [len(p.test_rows) for p in preps], "prep_time": [prep_time] * len(runs),
             "model_fit_time": [r[1] for r in runs], "score_time": out["score_time"].tolist()}
    if runs and runs[0][5] is not None:  # early stopping: the rounds each fold's model predicts with
        table["rounds_used"] = [r[5].best_round + 1 for r in runs]
    for key in list(out):
        if key.startswith(("test_", "train_")):
            table[key] = out[key].tolist()
    out["folds"] = pl.DataFrame(table)
    if n_bootstrap:
        rng = np.random.default_rng(0 if seed is None else seed)
        for name in scorers:
            scores = out[f"test_{name}"]
            means = scores[rng.integers(0, len(scores), size=(n_bootstrap, len(scores)))].mean(axis=1)
            lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
            out[f"ci_{name}"] = (float(lo), float(hi))
    return out
