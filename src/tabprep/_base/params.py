"""Parameters declared once, validated once, worded once: the step side.

Each step declares ``_parameter_constraints = {param: [constraint, ...]}`` in the style of
scikit-learn (``sklearn/utils/_param_validation.py``). :func:`validate_params` checks a step's
parameters against them at fit time; the TOML spec loader calls the same function (through
:func:`make_step`), so a library error and a CLI error read identically::

    The `strategy` parameter of `SimpleImputer` must be one of {'mean', 'median',
    'most_frequent', 'constant'}; got 'avg' instead.

The constraint kinds, :func:`check_param` (the one place that wording is written),
:func:`param_error` and the :func:`validate_call` decorator for public functions live one module
down, in :mod:`tabprep._constraints` (lowest floor, so the kernel front ends can use them too);
they are re-exported here, where steps and splitters import them from.

Cross-parameter rules (``feature_range[0] < feature_range[1]``...) live in a step's
``_validate_extra()`` hook, which :func:`validate_params` calls after the per-parameter checks;
they raise :func:`param_error`.

The JSON codec for parameter and state values is :mod:`tabprep._base.codec`.
"""

from __future__ import annotations

import difflib

from tabprep._constraints import (  # noqa: F401 - re-exported: steps import them from here
    ClassCounts,
    ColumnName,
    Constraint,
    DType,
    DTypeMapping,
    Interval,
    MissingValues,
    NumpyDType,
    Options,
    Pair,
    RandomState,
    Ratios,
    Seed,
    check_param,
    is_nan_like,
    param_error,
    validate_call,
)
from tabprep.errors import ConfigError

__all__ = [
    "Constraint",
    "Options",
    "Interval",
    "Pair",
    "MissingValues",
    "DType",
    "DTypeMapping",
    "NumpyDType",
    "ColumnName",
    "Seed",
    "RandomState",
    "Ratios",
    "ClassCounts",
    "validate_params",
    "validate_call",
    "check_param",
    "param_error",
    "check_param_names",
    "is_nan_like",
]


def validate_params(step) -> None:
    """Check every parameter of ``step`` against its class's ``_parameter_constraints``.

    Then calls ``step._validate_extra()`` if the class defines it (cross-parameter rules).

    Raises
    ------
    ConfigError
        On the first invalid parameter, worded the same for the library and the CLI.

    Examples
    --------
    >>> from tabprep.clean import SimpleImputer
    >>> validate_params(SimpleImputer(strategy="avg"))
    Traceback (most recent call last):
    ...
    tabprep.errors.InvalidParameterError: The `strategy` parameter of `SimpleImputer` must be one of {'mean', 'median', 'most_frequent', 'constant'}; got 'avg' instead.
    """
    cls = type(step)
    declared = getattr(cls, "_parameter_constraints", {})
    params = step.get_params(deep=False)
    missing = set(params) - set(declared)
    if missing:  # a developer error in the step class, not a user error
        raise TypeError(f"{cls.__name__}._parameter_constraints lacks {sorted(missing)}")
    for name, value in params.items():
        check_param(value, declared[name], name, cls.__name__)
    extra = getattr(step, "_validate_extra", None)
    if extra is not None:
        extra()


def check_param_names(cls, names) -> None:
    """Raise ConfigError if a name is not a parameter of step class ``cls`` (with a suggestion).

    Examples
    --------
    >>> from tabprep.scale import StandardScaler
    >>> check_param_names(StandardScaler, ["with_maen"])
    Traceback (most recent call last):
    ...
    tabprep.errors.ConfigError: `StandardScaler` has no parameter `with_maen`. Hint: did you mean `with_mean`? Valid parameters: copy, with_mean, with_std
    """
    valid = sorted(cls._get_param_names())
    for name in names:
        if name not in valid:
            close = difflib.get_close_matches(name, valid, n=1)
            hint = (f"did you mean `{close[0]}`? " if close else "") + "Valid parameters: " + ", ".join(valid)
            raise ConfigError(f"`{cls.__name__}` has no parameter `{name}`", hint=hint)
