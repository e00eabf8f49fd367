"""LightGBM and XGBoost inside cross-validation and tuning: early stopping on a validation share
of each fold's training rows, and training continued across the rungs of ``fidelity="rounds"``.

**Early stopping.** Both libraries stop on a validation set given as ``eval_set``. tabprep carves
it out of each fold's *training* rows only (never the fold's test rows), as scikit-learn's
``HistGradientBoosting*(early_stopping=True)`` does with its ``validation_fraction``:
:func:`validation_rows` is scikit-learn's ``train_test_split`` of the training positions
(stratified for a classifier, ``random_state=seed``), so the same seed gives the same share.
The model is fitted on the rest, and stops when its metric on the share has not improved for
``early_stopping`` rounds. The metric is the model's own default (LightGBM: the first metric of
its objective, e.g. ``binary_logloss``; XGBoost: its last ``eval_metric``, e.g. ``logloss``), read
by :class:`EarlyStopping`, tabprep's callback: it stops where ``lightgbm.early_stopping(rounds)``
/ XGBoost's ``early_stopping_rounds`` stop (tested), and unlike theirs it can carry its state
(best round, best score) from one ``fit`` call into the next (the rungs below). The fitted model
predicts with its best round (both libraries' ``best_iteration``), as theirs do.

**Continued training.** A LightGBM / XGBoost model of a rung is not refitted from scratch at the
next rung: the next ``fit`` starts from the previous booster (LightGBM's ``init_model``,
XGBoost's ``xgb_model``) and asks only the remaining rounds. Without row or column subsampling the
continued model is *bit-identical* to one fit of all the rounds (predictions compared exactly,
binary, multiclass and regression, both libraries: each new tree is grown from the same
gradients, LightGBM's scores are float64 sums in tree order either way, XGBoost recomputes its
float32 margins from the same trees in the same order). With subsampling (LightGBM
``subsample < 1`` with ``subsample_freq > 0``, ``colsample_bytree`` / ``feature_fraction*`` < 1,
``extra_trees``, GOSS, DART; XGBoost ``subsample`` / ``colsample_by*`` < 1, DART) each ``fit``
restarts the library's random stream, so a continued model draws other rows than one fit would
(probabilities ~0.2-0.4 apart on a 5k-row test): :func:`continues` is False for those models,
and they are refitted at each rung, so a complete trial always scores as one fit.
"""

from __future__ import annotations

import numpy as np

from tabprep.errors import ConfigError

__all__ = ["library", "continues", "check_early_stopping", "validation_rows", "EarlyStopping", "fit_boosting",
           "boosted_rounds"]

#: XGBoost metrics its early stopping maximizes (its own rule, ``xgboost.callback.EarlyStopping``).
_XGB_MAXIMIZE = ("auc", "aucpr", "pre", "pre@", "map", "ndcg", "auc@", "aucpr@", "map@", "ndcg@")


def library(model) -> str | None:
    """``"lightgbm"``, ``"xgboost"`` or None: the library of ``model``'s class (or of a base
    class), read from the module names, without importing either library."""
    for cls in type(model).__mro__:
        top = (cls.__module__ or "").split(".")[0]
        if top in ("lightgbm", "xgboost"):
            return top
    return None


def continues(model) -> bool:
    """Whether a LightGBM / XGBoost model can be grown by continued training and stay equal to
    one fit of all its rounds (no subsampling, no DART: see the module docstring)."""
    lib = library(model)
    if lib is None:
        return False
    p = model.get_params()

    def below_one(*names):
        return any(p.get(n) is not None and float(p[n]) < 1.0 for n in names)

    if lib == "lightgbm":
        bagging = below_one("subsample", "bagging_fraction", "pos_bagging_fraction", "neg_bagging_fraction") and \
            int(p.get("subsample_freq") or p.get("bagging_freq") or 0) > 0
        return not (bagging or below_one("colsample_bytree", "feature_fraction", "feature_fraction_bynode")
                    or p.get("boosting_type", "gbdt") not in ("gbdt", None) or p.get("boosting") not in (None, "gbdt")
                    or p.get("extra_trees") or p.get("data_sample_strategy") == "goss")
    return not (below_one("subsample", "colsample_bytree", "colsample_bylevel", "colsample_bynode")
                or p.get("booster") not in (None, "gbtree"))


def check_early_stopping(model, early_stopping, validation_fraction, owner: str) -> None:
    """ConfigErrors for ``early_stopping`` / ``validation_fraction`` (before anything is fitted)."""
    from tabprep._constraints import Interval, check_param

    check_param(early_stopping, [None, Interval(int, 1, None)], "early_stopping", owner)
    check_param(validation_fraction, [Interval(float, 0, 1, closed="neither")], "validation_fraction", owner)
    if early_stopping is None:
        if library(model) == "xgboost" and model.get_params().get("early_stopping_rounds") is not None:
            # XGBoost would fail inside the first fold's fit: it needs an eval set tabprep gives
            raise ConfigError(f"{owner}: the XGBoost model's early_stopping_rounds needs a validation set",
                              found=f"early_stopping_rounds={model.get_params()['early_stopping_rounds']}",
                              hint=f"pass early_stopping={model.get_params()['early_stopping_rounds']} (a "
                              "validation share of each fold's training rows) and early_stopping_rounds=None")
        return
    if library(model) is None:
        hint = ("HistGradientBoosting stops by itself: set the model's early_stopping=True, n_iter_no_change "
                "and validation_fraction" if "HistGradientBoosting" in type(model).__name__
                else "use a LightGBM or XGBoost model, or early_stopping=None")
        raise ConfigError(f"{owner}: early_stopping is for LightGBM and XGBoost models", found=type(model).__name__,
                          hint=hint)
    if library(model) == "xgboost" and model.get_params().get("early_stopping_rounds") is not None:
        raise ConfigError(f"{owner}: the XGBoost model has its own early_stopping_rounds; give the rounds once",
                          found=f"early_stopping_rounds={model.get_params()['early_stopping_rounds']}",
                          hint=f"set early_stopping={model.get_params()['early_stopping_rounds']} and "
                          "early_stopping_rounds=None")


def validation_rows(y: np.ndarray, fraction: float, seed, classifier: bool, where: str = "the training rows"):
    """``(fit positions, validation positions)`` of a fold's training rows ``y``: scikit-learn's
    ``train_test_split`` (as ``HistGradientBoosting``'s ``validation_fraction``: stratified for a
    classifier, seeded), each sorted.

    Examples
    --------
    >>> fit, val = validation_rows(np.array([0, 1] * 10), 0.2, 0, classifier=True)
    >>> len(fit), len(val), sorted(set(fit) | set(val)) == list(range(20))
    (16, 4, True)
    """
    from sklearn.model_selection import train_test_split

    pos = np.arange(len(y))
    try:
        fit, val = train_test_split(pos, test_size=fraction, stratify=y if classifier else None,
                                    random_state=0 if seed is None else seed)
    except ValueError as exc:
        raise ConfigError(f"validation_fraction={fraction} cannot split {where} ({len(y)} rows) into a fitting "
                          f"and a validation share: {exc}", hint="raise validation_fraction, or use more rows") from exc
    return np.sort(fit), np.sort(val)


class EarlyStopping:
    """The early-stopping state of one model across ``fit`` calls: the best round so far (0-based,
    counted over all the model's rounds), its score, and whether training stopped.

    ``lightgbm_callback()`` / ``xgboost_callback()`` give the library's callback, which updates this
    state after each round: a round improves when its score is strictly better than the best
    (lower, or higher for a metric the library maximizes); training stops ``rounds`` rounds after
    the best. At the end of a ``fit`` the model's best round is set (LightGBM's ``best_iteration_``,
    XGBoost's ``best_iteration``), so it predicts with that round.
    """

    def __init__(self, rounds: int) -> None:
        self.rounds, self.best_round, self.best_score, self.stopped = rounds, -1, None, False

    def _update(self, done: int, score: float, maximize: bool) -> bool:
        """Record round ``done`` (0-based); whether training stops after it."""
        better = self.best_score is None or (score > self.best_score if maximize else score < self.best_score)
        if better:
            self.best_round, self.best_score = done, score
        self.stopped = done - self.best_round >= self.rounds
        return self.stopped

    def lightgbm_callback(self):
        from lightgbm.callback import EarlyStopException

        def callback(env):
            result = next(r for r in env.evaluation_result_list if r[0] != "training")
            if self._update(env.iteration, float(result[2]), bool(result[3])):
                # LightGBM sets booster.best_iteration = best_round + 1 from this and keeps only the
                # rounds up to it (a stopped model is final). At the last round without a stop it is
                # not raised, so the booster keeps every round for a continued fit (fit_boosting
                # then sets the best round)
                raise EarlyStopException(self.best_round, [(result[0], result[1], self.best_score, result[3])])

        callback.order = 30  # where lightgbm's own early stopping runs
        return callback

    def xgboost_callback(self):
        from xgboost.callback import TrainingCallback

        state = self

        class _Callback(TrainingCallback):
            def after_iteration(self, model, epoch, evals_log):
                data = evals_log[list(evals_log)[-1]]
                metric = list(data)[-1]
                score = data[metric][-1]
                score = float(score[0] if isinstance(score, tuple) else score)
                maximize = metric != "mape" and metric.startswith(_XGB_MAXIMIZE)
                # the absolute round: a continued booster counts the rounds it started with
                stop = state._update(model.num_boosted_rounds() - 1, score, maximize)
                model.set_attr(best_iteration=str(state.best_round), best_score=str(state.best_score))
                return stop

        return _Callback()


def boosted_rounds(est) -> int:
    """Rounds in a fitted LightGBM / XGBoost model's booster."""
    if library(est) == "lightgbm":
        return int(est.booster_.current_iteration())
    return int(est.get_booster().num_boosted_rounds())


def fit_boosting(est, X, y, *, eval_set=None, stopping: EarlyStopping | None = None, init=None):
    """Fit a LightGBM / XGBoost model, optionally with early stopping on ``eval_set = (X, y)``
    (state in ``stopping``, carried across calls) and continued from the fitted model ``init``
    (its booster's rounds kept; ``est`` asks only the new rounds). Returns ``est``.

    A stopped LightGBM model keeps only its rounds up to the best (LightGBM's own early stopping
    does the same); XGBoost keeps every round. Both predict with the best round."""
    import inspect

    lib = library(est)
    kwargs = {}
    if stopping is not None:
        kwargs["eval_set"] = [eval_set]
    if lib == "lightgbm":
        if stopping is not None:
            kwargs["callbacks"] = [stopping.lightgbm_callback()]
            if "eval_X" in inspect.signature(est.fit).parameters:  # LightGBM >= 4.7 deprecates eval_set
                del kwargs["eval_set"]
                kwargs["eval_X"], kwargs["eval_y"] = (eval_set[0],), (eval_set[1],)
        if init is not None:
            kwargs["init_model"] = init.booster_
        est.fit(X, y, **kwargs)
        if stopping is not None and not stopping.stopped:
            # predict with the best round, as lightgbm.early_stopping's model does at the last round
            est.booster_.best_iteration = stopping.best_round + 1
            est._best_iteration = stopping.best_round + 1  # read by best_iteration_
        return est
    own = est.get_params().get("callbacks")
    if stopping is not None:
        # XGBoost's sklearn API takes callbacks as a parameter: ours beside the user's, for this
        # fit only (a fitted model holding it would reuse its state if refitted)
        est.set_params(callbacks=[*(own or []), stopping.xgboost_callback()])
        kwargs["verbose"] = False
    if init is not None:
        kwargs["xgb_model"] = init.get_booster()
    try:
        return est.fit(X, y, **kwargs)
    finally:
        if stopping is not None:
            est.set_params(callbacks=own)
