"""Parameters declared once, validated once, worded once.

Each step declares ``_parameter_constraints = {param: [constraint, ...]}`` in the style of
scikit-learn (``sklearn/utils/_param_validation.py``). :func:`validate_params` checks a step's
parameters against them at fit time; the TOML spec loader calls the same function (through
:func:`make_step`), so a library error and a CLI error read identically::

    The `strategy` parameter of `SimpleImputer` must be one of {'mean', 'median',
    'most_frequent', 'constant'}; got 'avg' instead.

A constraint is one of:

- ``"boolean"`` (``bool`` or ``numpy.bool_``), ``None``, ``"no_validation"``, ``callable``;
- a type: ``int`` (not ``bool``), ``float`` (any real number, not ``bool``), ``str``, ``dict``,
  ``list``, ``tuple``;
- a :class:`Constraint` instance: :class:`Options`, :class:`Interval`, :class:`Pair`,
  :class:`MissingValues`, :class:`DType`, :class:`DTypeMapping`.

Cross-parameter rules (``feature_range[0] < feature_range[1]``...) live in a step's
``_validate_extra()`` hook, which :func:`validate_params` calls after the per-parameter checks.

The JSON codec for parameter and state values is :mod:`tabprep._base.codec`.
"""

from __future__ import annotations

import difflib
import math
import numbers

import numpy as np

from tabprep.errors import ConfigError

__all__ = [
    "Constraint",
    "Options",
    "Interval",
    "Pair",
    "MissingValues",
    "DType",
    "DTypeMapping",
    "validate_params",
    "validate_call",
    "check_param",
    "check_param_names",
]


class Constraint:
    """One allowed kind of value; ``str()`` is the phrase used in error messages."""

    def is_satisfied_by(self, value) -> bool:  # pragma: no cover - interface
        raise NotImplementedError


def _is_bool(v) -> bool:
    return isinstance(v, (bool, np.bool_))


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not _is_bool(v)


def _is_real(v) -> bool:
    return isinstance(v, numbers.Real) and not _is_bool(v)


class _Simple(Constraint):
    def __init__(self, check, text: str) -> None:
        self.check, self.text = check, text

    def is_satisfied_by(self, value) -> bool:
        return self.check(value)

    def __str__(self) -> str:
        return self.text


class Options(Constraint):
    """The value must be one of a fixed set (compared with ``==``, type-checked).

    Examples
    --------
    >>> str(Options(("mean", "median")))
    "one of {'mean', 'median'}"
    """

    def __init__(self, options) -> None:
        self.options = tuple(options)

    def is_satisfied_by(self, value) -> bool:
        return any(type(value) is type(o) and value == o for o in self.options)

    def __str__(self) -> str:
        return "one of {" + ", ".join(repr(o) for o in self.options) + "}"


class Interval(Constraint):
    """A real or integer number within bounds (``None`` = unbounded).

    Examples
    --------
    >>> str(Interval(float, 0, 1, closed="right")), str(Interval(int, 1, None))
    ('a float in the range (0, 1]', 'an int >= 1')
    """

    def __init__(self, kind: type, left=None, right=None, *, closed: str = "both") -> None:
        if kind not in (int, float) or closed not in ("both", "left", "right", "neither"):
            raise ValueError("Interval(kind=int|float, ..., closed='both'|'left'|'right'|'neither')")
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def is_satisfied_by(self, value) -> bool:
        if not (_is_int(value) if self.kind is int else _is_real(value)):
            return False
        if isinstance(value, float) and math.isnan(value):
            return False
        lo_ok = self.left is None or (value >= self.left if self.closed in ("both", "left") else value > self.left)
        hi_ok = self.right is None or (value <= self.right if self.closed in ("both", "right") else value < self.right)
        return lo_ok and hi_ok

    def __str__(self) -> str:
        noun = "an int" if self.kind is int else "a float"
        if self.left is None and self.right is None:
            return noun
        if self.right is None:
            return f"{noun} {'>=' if self.closed in ('both', 'left') else '>'} {self.left}"
        if self.left is None:
            return f"{noun} {'<=' if self.closed in ('both', 'right') else '<'} {self.right}"
        lb = "[" if self.closed in ("both", "left") else "("
        rb = "]" if self.closed in ("both", "right") else ")"
        return f"{noun} in the range {lb}{self.left}, {self.right}{rb}"


class Pair(Constraint):
    """A tuple or list of two values, each satisfying ``item`` (e.g. ``feature_range``).

    Examples
    --------
    >>> str(Pair(Interval(float, 0, 100)))
    'a pair (tuple of 2) of a float in the range [0, 100]'
    """

    def __init__(self, item: Constraint) -> None:
        self.item = item

    def is_satisfied_by(self, value) -> bool:
        return (isinstance(value, (tuple, list)) and len(value) == 2
                and all(self.item.is_satisfied_by(v) for v in value))

    def __str__(self) -> str:
        return f"a pair (tuple of 2) of {self.item}"


def is_nan_like(value) -> bool:
    """True for the markers that mean "null or NaN" in tabprep: ``nan``, ``None``, ``pandas.NA``."""
    if value is None:
        return True
    if isinstance(value, numbers.Real) and not _is_bool(value):
        return math.isnan(value)
    return type(value).__name__ == "NAType"


class MissingValues(Constraint):
    """A missing-value marker: a number, NaN, a string, ``None`` or ``pandas.NA``."""

    def is_satisfied_by(self, value) -> bool:
        return is_nan_like(value) or _is_real(value) or isinstance(value, str)

    def __str__(self) -> str:
        return "a number, NaN, a str, None or pandas.NA"


class DType(Constraint):
    """A Polars dtype (class or instance) or a dtype string :func:`parse_dtype` reads."""

    def is_satisfied_by(self, value) -> bool:
        from tabprep._dtypes import parse_dtype

        try:
            parse_dtype(value)
        except ConfigError:
            return False
        return True

    def __str__(self) -> str:
        return "a Polars dtype or dtype name (e.g. 'Float64')"


class DTypeMapping(Constraint):
    """A non-empty dict ``{column name: dtype}``."""

    def is_satisfied_by(self, value) -> bool:
        return (isinstance(value, dict) and len(value) > 0
                and all(isinstance(k, str) and DType().is_satisfied_by(v) for k, v in value.items()))

    def __str__(self) -> str:
        return "a non-empty dict of {column name: Polars dtype or dtype name}"


_TYPE_CONSTRAINTS = {
    int: _Simple(_is_int, "an int"),
    float: _Simple(_is_real, "a float"),
    str: _Simple(lambda v: isinstance(v, str), "a str"),
    dict: _Simple(lambda v: isinstance(v, dict), "a dict"),
    list: _Simple(lambda v: isinstance(v, list), "a list"),
    tuple: _Simple(lambda v: isinstance(v, tuple), "a tuple"),
}


def _make(constraint) -> Constraint:
    if isinstance(constraint, Constraint):
        return constraint
    if constraint is None:
        return _Simple(lambda v: v is None, "None")
    if constraint == "boolean":
        return _Simple(_is_bool, "a bool")
    if constraint is callable:
        return _Simple(callable, "a callable")
    if constraint in _TYPE_CONSTRAINTS:
        return _TYPE_CONSTRAINTS[constraint]
    raise TypeError(f"unknown parameter constraint {constraint!r}")


def _describe(constraints: list[Constraint]) -> str:
    texts = [str(c) for c in constraints]
    # "None" reads best last: "a float in the range [0, 1] or None"
    texts.sort(key=lambda t: t == "None")
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " or " + texts[-1]


def check_param(value, spec, name: str, owner: str):
    """Check one value against its declared constraints (a list, or ``"no_validation"``);
    returns the value. The one place the house wording of a parameter error is written.

    Examples
    --------
    >>> check_param(3, [Interval(int, 2, None)], "n_splits", "KFold")
    3
    >>> check_param(1, [Interval(int, 2, None)], "n_splits", "KFold")
    Traceback (most recent call last):
    ...
    tabprep.errors.ConfigError: The `n_splits` parameter of `KFold` must be an int >= 2; got 1 instead.
    """
    if spec == "no_validation":
        return value
    constraints = [_make(c) for c in spec]
    if not any(c.is_satisfied_by(value) for c in constraints):
        raise ConfigError(f"The `{name}` parameter of `{owner}` must be {_describe(constraints)}; got {value!r} instead.")
    return value


def validate_call(constraints: dict):
    """Decorator: check a public function's arguments against declared constraints on every
    call (scikit-learn's ``validate_params`` for functions), with the same wording as the steps.

    ``constraints`` maps parameter names to lists of constraints (as ``_parameter_constraints``);
    parameters not named are not checked. A name that is not a parameter of the function is a
    developer error, raised when the module is imported.

    Examples
    --------
    >>> @validate_call({"n": [Interval(int, 1, None)], "how": [Options(("a", "b"))]})
    ... def pick(n, how="a"):
    ...     return n, how
    >>> pick(2, how="b")
    (2, 'b')
    >>> pick(0)
    Traceback (most recent call last):
    ...
    tabprep.errors.ConfigError: The `n` parameter of `pick` must be an int >= 1; got 0 instead.
    """
    import functools
    import inspect

    def decorate(fn):
        signature = inspect.signature(fn)
        unknown = set(constraints) - set(signature.parameters)
        if unknown:
            raise TypeError(f"validate_call on {fn.__qualname__}: no parameter {sorted(unknown)}")
        checks = {name: [_make(c) for c in spec] if spec != "no_validation" else spec
                  for name, spec in constraints.items()}

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            for name, spec in checks.items():
                check_param(bound.arguments[name], spec, name, fn.__name__)
            return fn(*args, **kwargs)

        wrapper.__tabprep_constraints__ = dict(constraints)
        return wrapper

    return decorate


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
    tabprep.errors.ConfigError: The `strategy` parameter of `SimpleImputer` must be one of {'mean', 'median', 'most_frequent', 'constant'}; got 'avg' instead.
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
