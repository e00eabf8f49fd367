"""The registry of built-in steps, as the layers above the steps see it (specs, artifacts).

Steps register themselves (``tabprep._base.step.register_step``) when their module is imported;
:func:`step_registry` imports every built-in step package first, so a spec or an artifact can
name any of them. :func:`step_class` imports only the module of the step it is asked for (the
CLI's start-up: a three-step artifact does not import twenty step modules). Only registered
classes can be built: no import-by-name, no ``eval`` (the module of a built-in step comes from the
fixed table :data:`BUILTIN_STEPS`, never from the spec or the artifact).
"""

from __future__ import annotations

import difflib
import importlib

from tabprep._base.params import check_param_names, validate_params
from tabprep._base.step import registered_steps
from tabprep.errors import ConfigError

__all__ = ["step_registry", "step_class", "make_step", "BUILTIN_STEPS"]

#: The module defining each built-in step (tests/pipeline/test_registry.py checks it against what
#: importing the step packages registers).
BUILTIN_STEPS = {
    "KBinsDiscretizer": "tabprep.bin._kbins",
    "SupervisedBinner": "tabprep.bin._supervised",
    "Cast": "tabprep.clean._cast",
    "Cleaner": "tabprep.clean._cleaner",
    "Clipper": "tabprep.clean._clip",
    "SimpleImputer": "tabprep.clean._impute",
    "StringNormalizer": "tabprep.clean._strings",
    "CountEncoder": "tabprep.encode._count",
    "HashingEncoder": "tabprep.encode._hashing",
    "OneHotEncoder": "tabprep.encode._onehot",
    "OrdinalEncoder": "tabprep.encode._ordinal",
    "RareCategoryGrouper": "tabprep.encode._rare",
    "TargetEncoder": "tabprep.encode._target",
    "WOEEncoder": "tabprep.encode._woe",
    "CyclicalFeatures": "tabprep.features._datetime",
    "DatetimeFeatures": "tabprep.features._datetime",
    "DatetimeSubtraction": "tabprep.features._datetime",
    "LagFeatures": "tabprep.features._forecast",
    "WindowFeatures": "tabprep.features._forecast",
    "NumbaTransformer": "tabprep.features._numba",
    "MaxAbsScaler": "tabprep.scale._scalers",
    "MinMaxScaler": "tabprep.scale._scalers",
    "RobustScaler": "tabprep.scale._scalers",
    "StandardScaler": "tabprep.scale._scalers",
}


def step_registry() -> dict[str, type]:
    """``{class name: class}`` of every registered step (imports the built-in step packages).

    Examples
    --------
    >>> reg = step_registry()
    >>> reg["StandardScaler"].__module__, "SimpleImputer" in reg
    ('tabprep.scale._scalers', True)
    """
    # importing a step's module registers it
    for name in BUILTIN_STEPS:
        step_class(name)
    return registered_steps()


def step_class(type_name: str) -> type | None:
    """The registered step class named ``type_name`` (importing only its module), or None.

    Examples
    --------
    >>> step_class("OneHotEncoder").__module__
    'tabprep.encode._onehot'
    >>> step_class("OneHotEncoderX") is None
    True
    """
    # the splitters a step's parameters may hold (``cv=``) decode once their module is in
    import tabprep.split._sklearn  # noqa: F401

    cls = registered_steps().get(type_name)
    if cls is None and isinstance(type_name, str) and type_name in BUILTIN_STEPS:
        importlib.import_module(BUILTIN_STEPS[type_name])
        cls = registered_steps().get(type_name)
    return cls


def known_steps() -> list[str]:
    """Names of every step a spec or artifact may name (built-in and registered), sorted."""
    return sorted(set(BUILTIN_STEPS) | set(registered_steps()))


def make_step(type_name: str, params: dict | None = None):
    """Build and validate a registered step from its class name and parameters (for specs).

    Raises
    ------
    ConfigError
        Unknown step type, unknown parameter name, or invalid parameter value.

    Examples
    --------
    >>> make_step("MinMaxScaler", {"feature_range": (-1, 1)})
    MinMaxScaler(feature_range=(-1, 1))
    >>> make_step("MinMaxScalar")
    Traceback (most recent call last):
    ...
    tabprep.errors.ConfigError: unknown step type 'MinMaxScalar'. Hint: did you mean 'MinMaxScaler'?
    """
    cls = step_class(type_name)
    if cls is None:
        known = known_steps()
        close = difflib.get_close_matches(str(type_name), known, n=1)
        raise ConfigError(f"unknown step type {type_name!r}",
                          hint=f"did you mean {close[0]!r}?" if close else "known steps: " + ", ".join(known))
    params = dict(params or {})
    check_param_names(cls, params)
    step = cls(**params)
    validate_params(step)
    return step
