"""Parameter constraints and the one wording of a parameter error.

A parameter is declared once, as a list of constraints (any one satisfied is enough), in the style
of scikit-learn (``sklearn/utils/_param_validation.py``): ``_parameter_constraints`` on a class,
:func:`validate_call` on a public function. :func:`check_param` checks a value against its list
and is the one place the wording of the error is written::

    The `strategy` parameter of `SimpleImputer` must be one of {'mean', 'median',
    'most_frequent', 'constant'}; got 'avg' instead.

Rules that tie two parameters together, or a parameter to the data, raise :func:`param_error`
(same wording, their own "must ..." clause).

This module sits on the lowest floor (it needs :mod:`tabprep.errors` and, lazily,
:mod:`tabprep._dtypes` only) so that every floor can declare its parameters, the compiled-kernel
front ends included. Steps reach it through :mod:`tabprep._base.params`, which adds the
step-level :func:`~tabprep._base.params.validate_params`.

A constraint is one of:

- ``"boolean"`` (``bool`` or ``numpy.bool_``), ``None``, ``"no_validation"``, ``callable``;
- a type: ``int`` (not ``bool``), ``float`` (any real number, not ``bool``), ``str``, ``dict``,
  ``list``, ``tuple``, or any other class (``isinstance``);
- a :class:`Constraint` instance: :class:`Options`, :class:`Interval`, :class:`Pair`,
  :class:`MissingValues`, :class:`DType`, :class:`DTypeMapping`, :class:`NumpyDType`,
  :class:`ColumnName`, :class:`Seed`, :class:`RandomState`, :class:`Ratios`,
  :class:`ClassCounts`.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers

import numpy as np

from tabprep.errors import ConfigError, InvalidParameterError

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
    "check_param",
    "param_error",
    "validate_call",
    "is_nan_like",
]


class Constraint:
    """One allowed kind of value; ``str()`` is the phrase used in error messages.

    A subclass may also define ``refine(value)``: for a value of the right shape that still fails
    (ratios that do not sum to 1), a narrower ``(rule, shown, hint)`` than the generic phrase.
    """

    def is_satisfied_by(self, value) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def refine(self, value):
        return None


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
    """A real or integer number within bounds (``None`` = unbounded; NaN never is).

    ``finite=True`` also refuses infinities (an unbounded side otherwise accepts them, as
    scikit-learn's ``Interval``).

    Examples
    --------
    >>> str(Interval(float, 0, 1, closed="right")), str(Interval(int, 1, None))
    ('a float in the range (0, 1]', 'an int >= 1')
    >>> Interval(float, 0, None).is_satisfied_by(float("inf")), str(Interval(float, 0, None, finite=True))
    (True, 'a finite float >= 0')
    """

    def __init__(self, kind: type, left=None, right=None, *, closed: str = "both", finite: bool = False) -> None:
        if kind not in (int, float) or closed not in ("both", "left", "right", "neither"):
            raise ValueError("Interval(kind=int|float, ..., closed='both'|'left'|'right'|'neither')")
        self.kind, self.left, self.right, self.closed, self.finite = kind, left, right, closed, finite

    def is_satisfied_by(self, value) -> bool:
        if not (_is_int(value) if self.kind is int else _is_real(value)):
            return False
        if not _is_int(value):  # NaN of any float type (np.float32's too) is no number here
            f = float(value)
            if math.isnan(f) or (self.finite and math.isinf(f)):
                return False
        lo_ok = self.left is None or (value >= self.left if self.closed in ("both", "left") else value > self.left)
        hi_ok = self.right is None or (value <= self.right if self.closed in ("both", "right") else value < self.right)
        return lo_ok and hi_ok

    def __str__(self) -> str:
        noun = "an int" if self.kind is int else ("a finite float" if self.finite else "a float")
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


class NumpyDType(Constraint):
    """Anything ``numpy.dtype()`` reads as one of ``names`` (``np.float32``, ``"float32"``, ...).

    Examples
    --------
    >>> c = NumpyDType(("float32", "float64"))
    >>> str(c), c.is_satisfied_by(np.float32), c.is_satisfied_by("float"), c.is_satisfied_by("int8")
    ('float32 or float64', True, True, False)
    """

    def __init__(self, names) -> None:
        self.names = tuple(names)

    def is_satisfied_by(self, value) -> bool:
        try:
            return np.dtype(value).name in self.names
        except (TypeError, ValueError):
            return False

    def __str__(self) -> str:
        return " or ".join(self.names)


class ColumnName(Constraint):
    """A column name: a str (``new=True``: the name of a column to add, so not empty).

    Examples
    --------
    >>> str(ColumnName()), str(ColumnName(new=True)), ColumnName(new=True).is_satisfied_by("")
    ('a column name (str)', 'a non-empty str', False)
    """

    def __init__(self, *, new: bool = False) -> None:
        self.new = new

    def is_satisfied_by(self, value) -> bool:
        return isinstance(value, str) and (bool(value) or not self.new)

    def __str__(self) -> str:
        return "a non-empty str" if self.new else "a column name (str)"


class Seed(Constraint):
    """A seed: any int (NumPy's too, not a bool); the kernels use it modulo 2**64.

    Examples
    --------
    >>> str(Seed()), Seed().is_satisfied_by(np.int64(-3)), Seed().is_satisfied_by(1.0)
    ('an int', True, False)
    """

    def is_satisfied_by(self, value) -> bool:
        return _is_int(value)

    def __str__(self) -> str:
        return "an int"


class RandomState(Constraint):
    """scikit-learn's ``random_state``: None, an int, a ``numpy.random.RandomState`` or ``Generator``.

    Examples
    --------
    >>> str(RandomState()), RandomState().is_satisfied_by(np.random.default_rng(0))
    ('an int, a numpy RandomState or Generator, or None', True)
    """

    def is_satisfied_by(self, value) -> bool:
        return value is None or _is_int(value) or isinstance(value, (np.random.RandomState, np.random.Generator))

    def __str__(self) -> str:
        return "an int, a numpy RandomState or Generator, or None"


class Ratios(Constraint):
    """Shares of 2 to ``max_parts`` parts: finite numbers > 0 summing to 1 (within 1e-6), as a
    tuple, list or 1-D array, or a str of them separated by commas ("0.8,0.1,0.1").

    :meth:`values` gives them as a tuple of floats once checked.

    Examples
    --------
    >>> r = Ratios(127)
    >>> str(r), r.values("0.8, 0.1,0.1")
    ('2 to 127 numbers > 0 summing to 1', (0.8, 0.1, 0.1))
    >>> check_param((0.8, 0.8), [r], "ratios", "split")
    Traceback (most recent call last):
    ...
    tabprep.errors.InvalidParameterError: The `ratios` parameter of `split` must sum to 1; got (0.8, 0.8) (sum 1.6) instead. Hint: e.g. ratios=(0.8, 0.1, 0.1)
    """

    def __init__(self, max_parts: int) -> None:
        self.max_parts = max_parts

    def _shares(self, value):
        """The shares as floats if ``value`` has the right shape (the sum is not checked)."""
        if isinstance(value, str):
            try:
                value = [float(x) for x in value.split(",") if x.strip()]
            except ValueError:
                return None
        elif isinstance(value, np.ndarray) and value.ndim == 1:
            value = value.tolist()
        if not isinstance(value, (tuple, list)) or not 2 <= len(value) <= self.max_parts:
            return None
        if not all(_is_real(r) and math.isfinite(r) and r > 0 for r in value):
            return None
        return tuple(float(r) for r in value)

    def values(self, value) -> tuple[float, ...]:
        shares = self._shares(value)
        if shares is None or abs(sum(shares) - 1.0) > 1e-6:
            raise ValueError(f"not valid ratios: {value!r}")  # callers check first
        return shares

    def is_satisfied_by(self, value) -> bool:
        shares = self._shares(value)
        return shares is not None and abs(sum(shares) - 1.0) <= 1e-6

    def refine(self, value):
        shares = self._shares(value)
        if shares is None:
            return None
        return "sum to 1", f"{value!r} (sum {sum(shares):.6g})", "e.g. ratios=(0.8, 0.1, 0.1)"

    def __str__(self) -> str:
        return f"2 to {self.max_parts} numbers > 0 summing to 1"


class ClassCounts(Constraint):
    """A dict ``{class: rows}``, each count an int >= 0 (which classes exist is the data's to say).

    Examples
    --------
    >>> str(ClassCounts()), ClassCounts().is_satisfied_by({"a": 3, "b": -1})
    ('a dict {class: rows} of ints >= 0', False)
    """

    def is_satisfied_by(self, value) -> bool:
        return isinstance(value, dict) and all(_is_int(v) and v >= 0 for v in value.values())

    def __str__(self) -> str:
        return "a dict {class: rows} of ints >= 0"


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
    if isinstance(constraint, str) and constraint == "boolean":
        return _Simple(_is_bool, "a bool")
    if constraint is callable:
        return _Simple(callable, "a callable")
    if constraint in _TYPE_CONSTRAINTS:
        return _TYPE_CONSTRAINTS[constraint]
    if isinstance(constraint, type):
        return _Simple(lambda v: isinstance(v, constraint), f"a {constraint.__name__}")
    raise TypeError(f"unknown parameter constraint {constraint!r}")


def _describe(constraints: list[Constraint]) -> str:
    texts = [str(c) for c in constraints]
    # "None" reads best last: "a float in the range [0, 1] or None"
    texts.sort(key=lambda t: t == "None")
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " or " + texts[-1]


_NOT_GIVEN = object()


def param_error(name: str, owner: str, rule: str, value=_NOT_GIVEN, *, shown: str | None = None,
                hint: str | None = None) -> InvalidParameterError:
    """The error for a parameter that breaks ``rule`` (what follows "must"), to be raised.

    For rules :func:`check_param` cannot see: between two parameters, or between a parameter
    and the data. ``shown`` replaces ``repr(value)`` after "got" (e.g. both parameters).

    Examples
    --------
    >>> raise param_error("q_low", "Clipper", "be <= `q_high`", shown="q_low=0.9, q_high=0.1")
    Traceback (most recent call last):
    ...
    tabprep.errors.InvalidParameterError: The `q_low` parameter of `Clipper` must be <= `q_high`; got q_low=0.9, q_high=0.1 instead.
    """
    got = shown if shown is not None else repr(value)
    end = "" if hint else "."  # the hint is appended as ". Hint: ..."
    return InvalidParameterError(f"The `{name}` parameter of `{owner}` must {rule}; got {got} instead{end}", hint=hint)


def check_param(value, spec, name: str, owner: str):
    """Check one value against its declared constraints (a list, or ``"no_validation"``);
    returns the value unchanged.

    Raises
    ------
    InvalidParameterError
        A :class:`~tabprep.errors.ConfigError` (and ``TypeError``) in the house wording.

    Examples
    --------
    >>> check_param(3, [Interval(int, 2, None)], "n_splits", "KFold")
    3
    >>> check_param(1, [Interval(int, 2, None)], "n_splits", "KFold")
    Traceback (most recent call last):
    ...
    tabprep.errors.InvalidParameterError: The `n_splits` parameter of `KFold` must be an int >= 2; got 1 instead.
    """
    if isinstance(spec, str) and spec == "no_validation":
        return value
    constraints = [_make(c) for c in spec]
    if any(c.is_satisfied_by(value) for c in constraints):
        return value
    for c in constraints:
        narrower = c.refine(value)
        if narrower is not None:
            rule, shown, hint = narrower
            raise param_error(name, owner, rule, shown=shown, hint=hint)
    raise param_error(name, owner, "be " + _describe(constraints), value)


def validate_call(constraints: dict):
    """Decorator: check a public function's arguments against declared constraints on every
    call (scikit-learn's ``validate_params`` for functions), with the same wording as the steps.

    ``constraints`` maps parameter names to lists of constraints (as ``_parameter_constraints``);
    parameters not named are not checked. A name that is not a parameter of the function is a
    developer error, raised when the module is imported. The owner named in messages is the
    function's ``__name__``.

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
    tabprep.errors.InvalidParameterError: The `n` parameter of `pick` must be an int >= 1; got 0 instead.
    """

    def decorate(fn):
        signature = inspect.signature(fn)
        unknown = set(constraints) - set(signature.parameters)
        if unknown:
            raise TypeError(f"validate_call on {fn.__qualname__}: no parameter {sorted(unknown)}")
        checks = {name: spec if isinstance(spec, str) else [_make(c) for c in spec]
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
