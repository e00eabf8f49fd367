"""Search spaces over pipeline AND model parameters, checked before any trial runs.

Names are scikit-learn's ``set_params`` names: ``<step>__<param>`` for a pipeline step,
``model__<param>`` for the model. Values are Optuna distributions (``FloatDistribution``,
``IntDistribution``, ``CategoricalDistribution``) or plain lists (a grid axis; a categorical
choice for the other strategies).
"""

from __future__ import annotations

import difflib
import math

from sklearn.base import clone

from tabprep.errors import ConfigError
from tabprep.evaluate._cross_validate import with_params  # noqa: F401 - public here (tune.with_params)

__all__ = ["MODEL", "Space", "check_space", "with_params"]

#: The prefix of the model's parameters in a space.
MODEL = "model"


class Space:
    """A checked space: ``distributions`` (name -> Optuna distribution), ``grid`` (name -> list of
    values, when every axis is a list or a categorical), the names that change the preparation."""

    def __init__(self, distributions: dict, grid: dict | None, prep_names: list[str], model_names: list[str]):
        self.distributions = distributions
        self.grid = grid
        self.prep_names = prep_names
        self.model_names = model_names

    @property
    def grid_size(self) -> int | None:
        return None if self.grid is None else math.prod(len(v) for v in self.grid.values())

    def split(self, params: dict) -> tuple[dict, dict]:
        """``(pipeline params, model params)`` of a trial's ``params`` (model names unprefixed)."""
        prep = {k: v for k, v in params.items() if k in self.prep_names}
        model = {k[len(MODEL) + 2:]: v for k, v in params.items() if k in self.model_names}
        return prep, model


def _distributions():
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    return CategoricalDistribution, FloatDistribution, IntDistribution


def check_space(space, pipeline, model, strategy: str) -> Space:
    """Check every name against the pipeline's steps and the model, every value against the
    parameter's constraints (the endpoints of a range, every value of a list), before any trial.

    Examples
    --------
    >>> from optuna.distributions import FloatDistribution
    >>> from sklearn.linear_model import LogisticRegression
    >>> from tabprep import Pipeline
    >>> from tabprep.encode import TargetEncoder
    >>> pipe = Pipeline([("te", TargetEncoder(), "c")])
    >>> s = check_space({"te__smooth": [1.0, 10.0], "model__C": [0.1, 1.0]}, pipe, LogisticRegression(), "grid")
    >>> s.grid_size, s.prep_names, s.model_names
    (4, ['te__smooth'], ['model__C'])
    >>> check_space({"te__smoth": [1.0]}, pipe, LogisticRegression(), "grid")
    Traceback (most recent call last):
    ...
    tabprep.errors.ConfigError: the search space names an unknown parameter 'te__smoth'. Hint: did you mean 'te__smooth'? names are <step>__<param> (steps: te) or model__<param>
    """
    Categorical, Float, Int = _distributions()
    if not isinstance(space, dict) or not space:
        raise ConfigError("the search space must be a non-empty dict of name -> distribution or list",
                          found=repr(space), hint='e.g. {"te__smooth": FloatDistribution(0.1, 100, log=True)}')
    steps = {name: step for name, step, _ in pipeline.steps}
    if MODEL in steps:
        raise ConfigError(f"a pipeline step is named {MODEL!r}, which the search space reserves for the model",
                          hint="rename the step")
    known = [f"{n}__{p}" for n, s in steps.items() for p in s.get_params(deep=False)]
    known += [f"{MODEL}__{p}" for p in model.get_params(deep=True)]
    dists, grid, prep, mod = {}, {}, [], []
    for name, value in space.items():
        if not isinstance(name, str) or name not in known:
            close = difflib.get_close_matches(str(name), known, n=1)
            raise ConfigError(f"the search space names an unknown parameter {name!r}",
                              hint=(f"did you mean {close[0]!r}? " if close else "")
                              + f"names are <step>__<param> (steps: {', '.join(steps)}) or {MODEL}__<param>")
        if isinstance(value, (list, tuple)):
            if not value:
                raise ConfigError(f"the search space gives {name!r} an empty list of values",
                                  hint="give at least one value")
            values = list(value)
            dists[name] = Categorical(values)
        elif isinstance(value, Categorical):
            values = list(value.choices)
            dists[name] = value
        elif isinstance(value, (Float, Int)):
            values = [value.low, value.high]
            dists[name] = value
            grid = None
        else:
            raise ConfigError(f"the search space value of {name!r} must be a list or an Optuna distribution",
                              found=repr(value), hint="FloatDistribution, IntDistribution, CategoricalDistribution or [v1, v2, ...]")
        if grid is not None:
            grid[name] = values
        (mod if name.startswith(f"{MODEL}__") else prep).append(name)
        for v in values:
            _check_value(name, v, pipeline, model)
    if strategy == "grid" and grid is None:
        ranges = [n for n, d in dists.items() if not isinstance(d, Categorical)]
        raise ConfigError(f"strategy 'grid' needs a list of values for every parameter; {ranges[0]!r} is a range",
                          hint="give the grid values as a list, or use strategy 'tpe' or 'random'")
    return Space(dists, grid, prep, mod)


def _check_value(name: str, value, pipeline, model) -> None:
    """One value set on (a clone of) its step or the model and validated there."""
    owner, param = name.split("__", 1)
    try:
        if owner == MODEL:
            est = clone(model).set_params(**{param: value})
            # scikit-learn's own estimators declare constraints; LightGBM / XGBoost inherit
            # _validate_params from BaseEstimator without any (calling it raises AttributeError)
            if hasattr(est, "_parameter_constraints") and hasattr(est, "_validate_params"):
                est._validate_params()
        else:
            from tabprep.pipeline import validate_params

            step = next(s for n, s, _ in pipeline.steps if n == owner)
            validate_params(clone(step).set_params(**{param: value}))
    except ConfigError as exc:
        raise ConfigError(f"the search space value {value!r} of {name!r} is invalid: {exc}") from exc
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"the search space value {value!r} of {name!r} is invalid: {exc}") from exc
