"""Parameter validation (one wording for library and CLI), dtype strings, and the JSON codec."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tabprep.clean import SimpleImputer
from tabprep.errors import ConfigError
from tabprep.pipeline import make_step, parse_dtype, validate_params
from tabprep._base.codec import from_json_value, to_json_value
from tabprep._base.params import Interval, Options, Pair, check_param_names
from tabprep.scale import MinMaxScaler, StandardScaler


def test_message_reads_as_specified():
    with pytest.raises(ConfigError) as err:
        validate_params(SimpleImputer(strategy="avg"))
    assert str(err.value) == ("The `strategy` parameter of `SimpleImputer` must be one of {'mean', 'median', "
                              "'most_frequent', 'constant'}; got 'avg' instead.")


def test_bool_is_not_a_number_and_numbers_are_not_bools():
    assert not Interval(int).is_satisfied_by(True)
    assert not Interval(float, 0, 1).is_satisfied_by(False)
    assert Interval(float, 0, 1).is_satisfied_by(np.float32(0.5))
    assert not Interval(float).is_satisfied_by(math.nan)
    assert not Options(("a",)).is_satisfied_by(1)
    with pytest.raises(ConfigError, match="must be a bool; got 1 instead"):
        validate_params(StandardScaler(with_mean=1))


def test_interval_and_pair_wording():
    assert str(Interval(float, 0, 1, closed="neither")) == "a float in the range (0, 1)"
    assert str(Interval(int, None, 10, closed="neither")) == "an int < 10"
    assert Pair(Interval(float)).is_satisfied_by([0, 1.5]) and not Pair(Interval(float)).is_satisfied_by((1,))


def test_make_step_checks_type_names_and_values():
    assert isinstance(make_step("StandardScaler", {"with_mean": False}), StandardScaler)
    with pytest.raises(ConfigError, match="`StandardScaler` has no parameter `with_maen`.*did you mean `with_mean`"):
        make_step("StandardScaler", {"with_maen": False})
    with pytest.raises(ConfigError, match="unknown step type 'StandardScalar'.*did you mean 'StandardScaler'"):
        make_step("StandardScalar")
    with pytest.raises(ConfigError, match="minimum of desired feature range"):
        make_step("MinMaxScaler", {"feature_range": [2, 1]})


def test_check_param_names_lists_valid_names():
    with pytest.raises(ConfigError, match="Valid parameters: clip, copy, feature_range"):
        check_param_names(MinMaxScaler, ["zzz"])


DTYPES = [
    pl.Boolean(), pl.Int8(), pl.Int64(), pl.UInt32(), pl.Float32(), pl.Float64(), pl.String(), pl.Binary(),
    pl.Date(), pl.Time(), pl.Null(), pl.Categorical(), pl.Datetime(), pl.Datetime("ms", "UTC"),
    pl.Datetime("ns", "Europe/Paris"), pl.Duration("ms"), pl.Decimal(10, 2), pl.List(pl.Int64),
    pl.List(pl.Datetime("us", "UTC")), pl.Array(pl.Float32, 3), pl.Array(pl.Int8, (2, 3)),
    pl.Struct({"a": pl.Int64, "b": pl.List(pl.String)}), pl.Enum(["a", "b c", "d'e"]),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_parse_dtype_reads_str_dtype_back(dtype):
    assert parse_dtype(str(dtype)) == dtype
    assert str(parse_dtype(str(dtype))) == str(dtype)


@pytest.mark.parametrize("text, dtype", [
    ("float64", pl.Float64), ("str", pl.String), ("Utf8", pl.String), ("Datetime(ms, UTC)", pl.Datetime("ms", "UTC")),
    ("Datetime(us)", pl.Datetime("us")), ("List(Int32)", pl.List(pl.Int32)), ("Decimal(5, 1)", pl.Decimal(5, 1)),
])
def test_parse_dtype_short_forms(text, dtype):
    assert parse_dtype(text) == dtype


@pytest.mark.parametrize("text", ["Floaty", "Int64(3)", "List(", "__import__('os')", "Datetime(ms) x", "", 3])
def test_parse_dtype_rejects(text):
    with pytest.raises(ConfigError):
        parse_dtype(text)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                            st.dictionaries(st.text().filter(lambda k: not k.startswith("$")), inner, max_size=4)),
    max_leaves=12,
)


def _same(a, b):
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@given(json_values)
def test_json_codec_round_trips_exactly_through_text(value):
    text = json.dumps(to_json_value(value), allow_nan=False)
    assert _same(from_json_value(json.loads(text)), value)


def test_json_codec_dtypes_and_numpy():
    assert from_json_value(to_json_value(pl.Datetime("ms", "UTC"))) == pl.Datetime("ms", "UTC")
    assert to_json_value(np.array([1.5, np.nan])) == [1.5, {"$float": "nan"}]
    assert to_json_value(np.int64(3)) == 3 and to_json_value(np.bool_(True)) is True
    with pytest.raises(TypeError):
        to_json_value(object())
