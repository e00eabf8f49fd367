"""The JSON codec of parameters and fitted state: exactly reversible, canonical when hashed.

JSON has no NaN, infinity, tuple, dtype or splitter, so those are tagged (``{"$float": "nan"}``,
``{"$tuple": [...]}``, ``{"$dtype": "Float32"}``, ``{"$npdtype": "float64"}``, ``{"$object":
{"type": "KFold", "params": {...}}}``...). Decoding builds only plain values, the tagged kinds
listed here and instances of the classes registered with :func:`register_data_class` (built-in
parameter objects such as tabprep's splitters, rebuilt from their parameters): it never imports or
calls anything named by the data.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import polars as pl

from tabprep._constraints import _is_bool, _is_int, _is_real
from tabprep._dtypes import dtype_str, parse_dtype

__all__ = ["to_json_value", "from_json_value", "canonical_json", "register_data_class", "function_ref",
           "FUNCTION_TAG", "arrow_from_numpy", "numpy_from_arrow", "series_from_arrow"]

#: Tag of a user function in saved parameters: ``{"$function": {"name", "sha256"}}``. Decoding
#: leaves it as it is; ``tabprep.load(path, functions=...)`` puts the user's function in its place.
FUNCTION_TAG = "$function"

# class name -> class whose instances are data: rebuilt as cls(**params) from get_params()
_DATA_CLASSES: dict[str, type] = {}


def register_data_class(cls):
    """Class decorator: instances of ``cls`` may be parameter values in saved artifacts.

    ``cls`` must have scikit-learn's ``get_params(deep=False)`` whose values are themselves
    storable, and ``cls(**params)`` must rebuild an equal object (tabprep's splitters do).
    """
    other = _DATA_CLASSES.get(cls.__name__)
    if other is not None and (other.__module__, other.__qualname__) != (cls.__module__, cls.__qualname__):
        raise TypeError(f"a data class named {cls.__name__!r} is already registered ({other.__module__})")
    _DATA_CLASSES[cls.__name__] = cls
    return cls


def _is_dtype_like(value) -> bool:
    """A NumPy dtype or scalar type (``np.float32``, ``np.dtype("int8")``), not a Python type."""
    return isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic))


def to_json_value(value):
    """Encode a parameter/state value as plain JSON data (exactly reversible).

    Finite floats, ints, strings, bools and None stay as they are (Python's ``json`` writes
    floats with ``repr``, which round-trips exactly); NaN/inf become ``{"$float": "nan"}``,
    tuples ``{"$tuple": [...]}``, Polars dtypes ``{"$dtype": str(dtype)}``, NumPy dtypes and
    scalar types ``{"$npdtype": name}`` (read back as the scalar type, ``numpy.float32``, which
    compares equal to its dtype), ``pandas.NA`` ``{"$na": true}``, instances of registered data classes
    ``{"$object": {"type", "params"}}``; NumPy scalars and arrays become Python ones.

    Raises
    ------
    TypeError
        A value of any other type (the caller turns it into an error naming the parameter).

    Examples
    --------
    >>> import math, numpy as np, polars as pl
    >>> to_json_value({"r": (0, 1.5), "m": math.nan, "d": pl.Float32, "n": np.float32})
    {'r': {'$tuple': [0, 1.5]}, 'm': {'$float': 'nan'}, 'd': {'$dtype': 'Float32'}, 'n': {'$npdtype': 'float32'}}
    >>> from_json_value(to_json_value((1, math.inf)))
    (1, inf)
    >>> from_json_value(to_json_value(np.int8)) == np.int8
    True
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if _is_bool(value):
        return bool(value)
    if _is_int(value):
        return int(value)
    if _is_real(value):
        v = float(value)
        if math.isfinite(v):
            return v
        return {"$float": "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")}
    if type(value).__name__ == "NAType":
        return {"$na": True}
    if isinstance(value, tuple):
        return {"$tuple": [to_json_value(v) for v in value]}
    if isinstance(value, list):
        return [to_json_value(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("only dicts with str keys can be stored")
        return {k: to_json_value(v) for k, v in value.items()}
    if _is_dtype_like(value):
        return {"$npdtype": np.dtype(value).name}
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # numpy array
        return [to_json_value(v) for v in value.tolist()]
    if _DATA_CLASSES.get(type(value).__name__) is type(value):
        return {"$object": {"type": type(value).__name__,
                            "params": to_json_value(value.get_params(deep=False))}}
    if isinstance(value, pl.DataType) or (isinstance(value, type) and issubclass(value, pl.DataType)):
        return {"$dtype": dtype_str(value)}
    raise TypeError(f"cannot store a value of type {type(value).__name__} as JSON: {value!r}")


_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def from_json_value(value):
    """Decode what :func:`to_json_value` produced."""
    if isinstance(value, list):
        return [from_json_value(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            (key, inner), = value.items()
            if key == "$float" and inner in _FLOATS:
                return _FLOATS[inner]
            if key == "$tuple" and isinstance(inner, list):
                return tuple(from_json_value(v) for v in inner)
            if key == "$dtype" and isinstance(inner, str):
                return parse_dtype(inner)
            if key == "$npdtype" and isinstance(inner, str):
                return np.dtype(inner).type
            if key == "$object" and isinstance(inner, dict) and set(inner) == {"type", "params"}:
                cls = _DATA_CLASSES.get(inner["type"])
                if cls is None or not isinstance(inner["params"], dict):
                    raise ValueError(f"unknown parameter object type {inner['type']!r}")
                return cls(**from_json_value(inner["params"]))
            if key == "$na" and inner is True:
                import pandas as pd

                return pd.NA
        return {k: from_json_value(v) for k, v in value.items()}
    return value


def function_ref(func) -> dict:
    """``{"name": qualified name, "sha256": hash}`` of a user function: what an artifact records
    instead of its code.

    The hash is over the function's source text (dedented), or, when Python has no source for it
    (defined in an interactive session), over its bytecode, constants and names. Reading source
    runs nothing.

    Examples
    --------
    >>> def double(x):
    ...     return 2 * x
    >>> ref = function_ref(double)
    >>> ref["name"], len(ref["sha256"])
    ('double', 64)
    """
    import hashlib
    import inspect
    import textwrap

    py = getattr(func, "py_func", func)  # a Numba dispatcher: the Python function inside
    try:
        text = textwrap.dedent(inspect.getsource(py)).encode()
    except (OSError, TypeError):
        code = py.__code__
        text = code.co_code + repr((code.co_consts, code.co_names, code.co_varnames)).encode()
    return {"name": getattr(py, "__qualname__", getattr(py, "__name__", "?")),
            "sha256": hashlib.sha256(text).hexdigest()}


def canonical_json(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace, UTF-8, floats as ``repr``; no NaN/inf.

    Examples
    --------
    >>> canonical_json({"b": 0.1, "a": [1, "é"]})
    b'{"a":[1,"\\xc3\\xa9"],"b":0.1}'
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


# Saved tables: pyarrow's own NumPy conversions (pa.array of an ndarray, Array.to_numpy) import
# pandas when it is installed (~0.2 s of a 0.5 s command), and pl.Series(pyarrow array) imports
# pyarrow.compute (~0.1 s); Polars converts the same buffers without either, through a table.

def arrow_from_numpy(values, dtype):
    """A 1-D NumPy array as a pyarrow Array of the Polars dtype ``dtype`` (NaN stays NaN).

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> arrow_from_numpy(np.array([1.5, np.nan]), pl.Float64).to_pylist()
    [1.5, nan]
    """
    return pl.Series(np.asarray(values), dtype=dtype).to_arrow()


def series_from_arrow(name: str, column, dtype=None) -> pl.Series:
    """``pl.Series(name, column, dtype=dtype)`` for a pyarrow Array or ChunkedArray.

    Examples
    --------
    >>> import polars as pl
    >>> series_from_arrow("a", pl.Series([1, None]).to_arrow(), pl.Float64).to_list()
    [1.0, None]
    """
    import pyarrow as pa

    s = pl.DataFrame(pa.table({name: column})).to_series()
    return s if dtype is None or s.dtype == dtype else s.cast(dtype)


def numpy_from_arrow(column) -> np.ndarray:
    """A pyarrow Array or ChunkedArray of numbers as a NumPy array (nulls, if any, as NaN)."""
    return series_from_arrow("", column).to_numpy()
