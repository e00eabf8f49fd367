"""The constraint kinds and the one wording of a parameter error (tabprep._constraints)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tabprep._constraints import (
    ClassCounts,
    ColumnName,
    Interval,
    NumpyDType,
    Options,
    RandomState,
    Ratios,
    Seed,
    check_param,
    param_error,
    validate_call,
)
from tabprep.errors import ConfigError, InvalidParameterError


@pytest.mark.parametrize(
    "constraint,good,bad",
    [
        (Ratios(127), [(0.8, 0.1, 0.1), [0.5, 0.5], np.array([0.25, 0.75]), "0.7, 0.3"],
         [(1.0,), (0.5, 0.6), (0.5, -0.5, 1.0), (0.5, math.nan), "0.5,x", 0.5, (True, False), None]),
        (Ratios(3), [(0.5, 0.25, 0.25)], [(0.25,) * 4]),
        (Seed(), [0, -1, 2**70, np.int64(3)], [1.0, True, "1", None]),
        (RandomState(), [None, 0, np.random.RandomState(0), np.random.default_rng(0)], [1.5, False, "x"]),
        (ColumnName(), ["a", ""], [1, None, ["a"]]),
        (ColumnName(new=True), ["a"], ["", 1]),
        (NumpyDType(("float32", "float64")), [np.float32, "float64", np.dtype("f4"), float], ["int8", "nope", 3]),
        (ClassCounts(), [{}, {"a": 0, 1: 5}], [{"a": -1}, {"a": 1.5}, {"a": True}, [1]]),
        (Interval(float, 0, None, finite=True), [0, 2.5], [math.inf, math.nan, -1, np.float32("nan")]),
    ],
)
def test_constraint_kinds(constraint, good, bad):
    assert all(constraint.is_satisfied_by(v) for v in good)
    assert not any(constraint.is_satisfied_by(v) for v in bad)


def test_one_wording_and_it_is_a_config_error_and_a_type_error():
    with pytest.raises(ConfigError) as err:
        check_param(1.5, [Interval(int, 2, 127)], "n_splits", "KFold")
    assert str(err.value) == "The `n_splits` parameter of `KFold` must be an int in the range [2, 127]; got 1.5 instead."
    assert isinstance(err.value, (InvalidParameterError, TypeError, ValueError)) and err.value.exit_code == 2
    with pytest.raises(TypeError, match="must be one of {'a'} or None; got 'b'"):
        check_param("b", [None, Options(("a",))], "how", "f")


def test_ratios_say_what_is_wrong():
    with pytest.raises(ConfigError) as err:
        check_param([0.8, 0.8], [Ratios(127)], "ratios", "f")
    assert str(err.value) == "The `ratios` parameter of `f` must sum to 1; got [0.8, 0.8] (sum 1.6) instead. Hint: e.g. ratios=(0.8, 0.1, 0.1)"
    with pytest.raises(ConfigError, match=r"must be 2 to 127 numbers > 0 summing to 1; got \(1.0,\) instead\.$"):
        check_param((1.0,), [Ratios(127)], "ratios", "f")
    assert Ratios(127).values("0.5,0.5") == (0.5, 0.5)


def test_param_error_for_rules_between_parameters():
    err = param_error("lower", "Clipper", "be <= `upper`", shown="lower=2, upper=1")
    assert isinstance(err, InvalidParameterError)
    assert str(err) == "The `lower` parameter of `Clipper` must be <= `upper`; got lower=2, upper=1 instead."
    assert str(param_error("k", "f", "be even", 3, hint="try 4")) == "The `k` parameter of `f` must be even; got 3 instead. Hint: try 4"


def test_validate_call_checks_defaults_and_rejects_unknown_names():
    @validate_call({"seed": [Seed()]})
    def f(x, *, seed=0.5):
        return x

    with pytest.raises(ConfigError, match="The `seed` parameter of `f` must be an int; got 0.5 instead."):
        f(1)
    assert f(1, seed=3) == 1
    with pytest.raises(TypeError, match="no parameter"):
        validate_call({"nope": [int]})(lambda x: x)


def test_any_class_is_a_constraint():
    import datetime as dt

    with pytest.raises(ConfigError, match="must be a str, a timedelta or None; got 3 instead"):
        check_param(3, [str, dt.timedelta, None], "gap", "f")
