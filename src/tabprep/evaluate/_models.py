"""Models by name, for specs and the command line: a fixed table, never an import by name."""

from __future__ import annotations

import difflib

from tabprep.errors import ConfigError

__all__ = ["MODELS", "make_model"]

#: name -> (module, class). Only these can be built from text (a spec or ``--model``); in Python
#: any scikit-learn-compatible estimator object works.
MODELS = {
    "LogisticRegression": ("sklearn.linear_model", "LogisticRegression"),
    "Ridge": ("sklearn.linear_model", "Ridge"),
    "RidgeClassifier": ("sklearn.linear_model", "RidgeClassifier"),
    "LinearRegression": ("sklearn.linear_model", "LinearRegression"),
    "HistGradientBoostingClassifier": ("sklearn.ensemble", "HistGradientBoostingClassifier"),
    "HistGradientBoostingRegressor": ("sklearn.ensemble", "HistGradientBoostingRegressor"),
    "RandomForestClassifier": ("sklearn.ensemble", "RandomForestClassifier"),
    "RandomForestRegressor": ("sklearn.ensemble", "RandomForestRegressor"),
    "LGBMClassifier": ("lightgbm", "LGBMClassifier"),
    "LGBMRegressor": ("lightgbm", "LGBMRegressor"),
    "XGBClassifier": ("xgboost", "XGBClassifier"),
    "XGBRegressor": ("xgboost", "XGBRegressor"),
}


def make_model(name: str, params: dict | None = None, *, source: str = "the model"):
    """A model from its class name and parameters (``set_params`` names), checked.

    Examples
    --------
    >>> make_model("LogisticRegression", {"C": 0.5})
    LogisticRegression(C=0.5)
    >>> make_model("LogisticRegresion")
    Traceback (most recent call last):
    ...
    tabprep.errors.ConfigError: unknown model 'LogisticRegresion' in the model. Hint: did you mean 'LogisticRegression'? known models: HistGradientBoostingClassifier, HistGradientBoostingRegressor, LGBMClassifier, LGBMRegressor, LinearRegression, LogisticRegression, RandomForestClassifier, RandomForestRegressor, Ridge, RidgeClassifier, XGBClassifier, XGBRegressor
    """
    import importlib
    import inspect

    if name not in MODELS:
        close = difflib.get_close_matches(str(name), MODELS, n=1)
        raise ConfigError(f"unknown model {name!r} in {source}",
                          hint=(f"did you mean {close[0]!r}? " if close else "") + "known models: "
                          + ", ".join(sorted(MODELS)))
    module, cls = MODELS[name]
    try:
        est = getattr(importlib.import_module(module), cls)()
    except ImportError as exc:
        raise ConfigError(f"the model {name} needs the package {module.split('.')[0]!r}",
                          hint="pip install 'tabprep[handoff]'") from exc
    params = dict(params or {})
    valid = est.get_params(deep=False)
    # LightGBM and XGBoost take their library's other parameters as keyword arguments (LightGBM's
    # `verbose`, XGBoost's `max_cat_to_onehot`, ...): those pass through, checked by the library
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD
                    for p in inspect.signature(type(est).__init__).parameters.values())
    for key in params:
        if key not in valid and not takes_any:
            close = difflib.get_close_matches(key, valid, n=1)
            raise ConfigError(f"{name} has no parameter {key!r} ({source})",
                              hint=(f"did you mean {close[0]!r}? " if close else "") + "see its get_params()")
    return est.set_params(**params)
