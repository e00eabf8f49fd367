"""Scoring: scikit-learn scorers by name, checked against the target before anything is fitted."""

from __future__ import annotations

import numpy as np

from tabprep.errors import ConfigError

__all__ = ["resolve_scoring", "check_scoring_target"]

# metrics that need two classes (their default ``average="binary"`` / one score column)
_BINARY_ONLY = {"roc_auc", "average_precision", "f1", "precision", "recall", "jaccard", "neg_brier_score"}


def resolve_scoring(scoring, model) -> dict:
    """``{name: scorer}`` from scikit-learn's ``scoring`` forms (None, str, callable, list, dict);
    the single-metric forms are named ``score`` as in ``sklearn.model_selection.cross_validate``."""
    from sklearn.metrics import check_scoring, get_scorer, get_scorer_names

    def one(value, label):
        if callable(value):
            return value
        if isinstance(value, str):
            if value not in get_scorer_names():
                import difflib

                close = difflib.get_close_matches(value, get_scorer_names(), n=1)
                raise ConfigError(f"unknown metric {value!r} in {label}", found=value,
                                  hint=(f"did you mean {close[0]!r}? " if close else "")
                                  + "any name of sklearn.metrics.get_scorer_names() works")
            return get_scorer(value)
        raise ConfigError(f"{label} must be a metric name or a scorer callable", found=repr(value))

    if scoring is None:
        if not hasattr(model, "score"):
            raise ConfigError("the model has no `score` method: pass scoring=...", found=type(model).__name__)
        return {"score": check_scoring(model)}
    if isinstance(scoring, str) or callable(scoring):
        return {"score": one(scoring, "scoring")}
    if isinstance(scoring, dict):
        if not scoring:
            raise ConfigError("scoring is an empty dict", hint="name at least one metric")
        return {str(k): one(v, f"scoring[{k!r}]") for k, v in scoring.items()}
    if isinstance(scoring, (list, tuple, set)):
        names = list(scoring)
        if not names or len(set(names)) != len(names) or not all(isinstance(n, str) for n in names):
            raise ConfigError("scoring as a list must hold distinct metric names", found=repr(scoring))
        return {n: one(n, "scoring") for n in names}
    raise ConfigError("scoring must be None, a metric name, a callable, a list of names or a dict",
                      found=repr(scoring))


def check_scoring_target(scoring, y: np.ndarray, model, target: str | None) -> str:
    """Refuse a metric that does not fit the target type (a ConfigError before any fit); returns
    the target type (scikit-learn's ``type_of_target``)."""
    from sklearn.base import is_classifier, is_regressor
    from sklearn.utils.multiclass import type_of_target

    kind = type_of_target(y)
    classification = kind in ("binary", "multiclass")
    if kind == "continuous" and is_classifier(model):
        raise ConfigError(f"the target {target!r} is continuous but the model is a classifier",
                          found=type(model).__name__, hint="use a regressor, or bin the target")
    for name in scoring if isinstance(scoring, (list, tuple, set, dict)) else [scoring]:
        if not isinstance(name, str):
            continue
        scorer = resolve_scoring(name, model)["score"]
        module = getattr(getattr(scorer, "_score_func", None), "__module__", "") or ""
        needs_classes = module.endswith(("_classification", "_ranking"))
        if needs_classes and not classification:
            raise ConfigError(f"the metric {name!r} needs a class target", column=target,
                              found=f"a {kind} target", hint="use a regression metric (r2, neg_mean_squared_error...)")
        if needs_classes and is_regressor(model):
            raise ConfigError(f"the metric {name!r} scores classes, but the model is a regressor",
                              found=type(model).__name__, hint="use a classifier or a regression metric")
        if module.endswith("_regression") and is_classifier(model):
            raise ConfigError(f"the metric {name!r} scores continuous predictions, but the model is a classifier",
                              found=type(model).__name__, hint="use a classification metric (accuracy, roc_auc, "
                              "neg_log_loss...) or a regressor")
        if name in _BINARY_ONLY and kind == "multiclass":
            raise ConfigError(f"the metric {name!r} is for two classes", column=target,
                              found=f"{len(np.unique(y))} classes",
                              hint=f"use {name}_ovr / {name}_macro / {name}_weighted where it exists, or accuracy")
    return kind
