"""The JSON codec of parameters and state: NumPy dtypes, registered data classes, nothing else."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tabprep._base import codec
from tabprep._base.codec import from_json_value, register_data_class, to_json_value

NUMPY_DTYPES = [np.float64, np.float32, np.float16, np.int8, np.int16, np.int32, np.int64, np.uint8,
                np.uint16, np.uint32, np.uint64, np.bool_]


@given(st.sampled_from(NUMPY_DTYPES), st.booleans())
def test_numpy_dtypes_and_scalar_types_round_trip_through_json(dtype, as_instance):
    value = np.dtype(dtype) if as_instance else dtype
    back = from_json_value(json.loads(json.dumps(to_json_value(value))))
    assert back is np.dtype(dtype).type and back == value


def test_python_types_are_not_dtypes():
    with pytest.raises(TypeError, match="cannot store a value of type type"):
        to_json_value(float)


class _Param:
    def __init__(self, k=1, name="x"):
        self.k, self.name = k, name

    def get_params(self, deep=False):
        return {"k": self.k, "name": self.name}

    def __eq__(self, other):
        return type(other) is type(self) and other.get_params() == self.get_params()


def test_registered_data_classes_round_trip_and_others_are_refused(monkeypatch):
    monkeypatch.setattr(codec, "_DATA_CLASSES", {})
    with pytest.raises(TypeError, match="_Param"):
        to_json_value(_Param())
    encoded = {"$object": {"type": "_Param", "params": {"k": 3, "name": "y"}}}
    with pytest.raises(ValueError, match="unknown parameter object type '_Param'"):
        from_json_value(encoded)
    register_data_class(_Param)
    assert to_json_value(_Param(3, "y")) == encoded
    assert from_json_value(json.loads(json.dumps(encoded))) == _Param(3, "y")


def test_a_class_of_the_same_name_elsewhere_cannot_take_over_a_registration(monkeypatch):
    monkeypatch.setattr(codec, "_DATA_CLASSES", {})
    register_data_class(_Param)
    impostor = type("_Param", (), {"__module__": "elsewhere", "get_params": lambda self, deep=False: {}})
    with pytest.raises(TypeError, match="already registered"):
        register_data_class(impostor)
    # an instance of the impostor is not data either: the registered class must be its own type
    with pytest.raises(TypeError):
        to_json_value(impostor())


def test_decoding_names_no_module_and_runs_no_code():
    # only a bare class name is looked up, in the registry; a dotted path is just an unknown name
    with pytest.raises(ValueError, match="unknown parameter object type 'os.system'"):
        from_json_value({"$object": {"type": "os.system", "params": {}}})
