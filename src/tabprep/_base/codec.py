"""The JSON codec of parameters and fitted state: exactly reversible, canonical when hashed.

JSON has no NaN, infinity, tuple, dtype or splitter, so those are tagged (``{"$float": "nan"}``,
``{"$tuple": [...]}``, ``{"$dtype": "Float32"}``...). Decoding builds only plain values and the
few tagged kinds listed here: it never imports or calls anything named by the data.
"""

from __future__ import annotations

import json
import math
from typing import Any

from tabprep._base.params import _is_bool, _is_int, _is_real

__all__ = ["to_json_value", "from_json_value", "canonical_json"]


def to_json_value(value):
    """Encode a parameter/state value as plain JSON data (exactly reversible).

    Finite floats, ints, strings, bools and None stay as they are (Python's ``json`` writes
    floats with ``repr``, which round-trips exactly); NaN/inf become ``{"$float": "nan"}``,
    tuples ``{"$tuple": [...]}``, Polars dtypes ``{"$dtype": str(dtype)}``, ``pandas.NA``
    ``{"$na": true}``; NumPy scalars and arrays become Python ones.

    Examples
    --------
    >>> import math, polars as pl
    >>> to_json_value({"r": (0, 1.5), "m": math.nan, "d": pl.Float32})
    {'r': {'$tuple': [0, 1.5]}, 'm': {'$float': 'nan'}, 'd': {'$dtype': 'Float32'}}
    >>> from_json_value(to_json_value((1, math.inf)))
    (1, inf)
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
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # numpy array
        return [to_json_value(v) for v in value.tolist()]
    import polars as pl

    if isinstance(value, pl.DataType) or (isinstance(value, type) and issubclass(value, pl.DataType)):
        from tabprep._dtypes import dtype_str

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
                from tabprep._dtypes import parse_dtype

                return parse_dtype(inner)
            if key == "$na" and inner is True:
                import pandas as pd

                return pd.NA
        return {k: from_json_value(v) for k, v in value.items()}
    return value


def canonical_json(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace, UTF-8, floats as ``repr``; no NaN/inf.

    Examples
    --------
    >>> canonical_json({"b": 0.1, "a": [1, "é"]})
    b'{"a":[1,"\\xc3\\xa9"],"b":0.1}'
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
