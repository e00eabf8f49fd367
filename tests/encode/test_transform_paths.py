"""Every transform path of every categorical encoder gives the same answer for the same input.

The paths: an eager Polars frame (per-value lookups up to ``SMALL_BATCH`` rows, the compiled
vocabulary above), a LazyFrame (per batch, in memory and streamed), pandas, pyarrow and NumPy
inputs, and for the target/WoE encoders a dict per row. The inputs need coercion (integers for a
float-fitted column, Categorical/Enum for a String-fitted one), hold unknown categories, nulls
and NaN, and have 1, 16, 17 or 10^5 rows. A refused value (``handle_unknown="error"``...) must be
refused on every path with the same error.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from tabprep.encode import CountEncoder, OneHotEncoder, OrdinalEncoder, TargetEncoder, WOEEncoder
from tabprep.encode._output import SMALL_BATCH
from tabprep.errors import TabprepError

NAN = float("nan")

VOCAB = {
    "string": (["a", "b", "c", "é"], ["zz", ""]),
    "float": ([0.0, -0.0, 1.0, 2.0, 0.1, 2.5], [7.0, 0.3]),  # 0.1 and 0.3 are not Float32 values
    "int": ([0, 1, 2, -3], [9]),
}
FIT_DTYPE = {"string": pl.String, "float": pl.Float64, "int": pl.Int64}
# the dtypes a transform input may come in: conformed to the fitted one, or refused alike (the
# last of each: floats for an integer column, integers for a text one)
VARIANTS = {
    "string": [pl.String, pl.Categorical, pl.Enum(["a", "b", "c", "é", "zz", ""]), pl.Int64],
    "float": [pl.Float64, pl.Float32, pl.Int64],
    "int": [pl.Int64, pl.Int16, pl.UInt8, pl.Float64],
}

ENCODERS = {
    "target": lambda: TargetEncoder(smooth=1.5, target_type="continuous"),
    "target-errors": lambda: TargetEncoder(target_type="binary", handle_unknown="error", handle_missing="error"),
    "target-null": lambda: TargetEncoder(target_type="binary", handle_unknown="null", handle_missing="null"),
    "woe": lambda: WOEEncoder(handle_missing="prior"),
    "ordinal": lambda: OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-2),
    "ordinal-errors": lambda: OrdinalEncoder(min_frequency=2),
    "onehot": lambda: OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    "count": lambda: CountEncoder(handle_unknown="return_nan"),
    "count-errors": lambda: CountEncoder(handle_unknown="error", handle_missing="error"),
}
SUPERVISED = ("target", "target-errors", "target-null", "woe")


def _is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


@st.composite
def _cases(draw):
    kind = draw(st.sampled_from(sorted(VOCAB)))
    seen, unseen = VOCAB[kind]
    missing = [None, NAN] if kind == "float" else [None]
    fit_values = draw(st.lists(st.sampled_from(seen + missing), min_size=2, max_size=30))
    y = draw(st.lists(st.integers(0, 1), min_size=len(fit_values), max_size=len(fit_values)))
    n = draw(st.sampled_from([1, SMALL_BATCH, SMALL_BATCH + 1, 100_000]))
    base = draw(st.lists(st.sampled_from(seen + unseen + missing), min_size=1, max_size=min(n, 24)))
    values = (base * (n // len(base) + 1))[:n]
    variant = draw(st.sampled_from(VARIANTS[kind]))
    return kind, fit_values, y, values, variant, draw(st.sampled_from(sorted(ENCODERS)))


def _input(kind, values, variant) -> pl.DataFrame:
    if kind != "string" and variant in (pl.Int64, pl.Int16, pl.UInt8):
        ints = [None if _is_missing(v) else int(v) for v in values]
        if kind == "int" and variant != pl.Int64:
            ints = [None if v is None else v % 7 for v in ints]  # what the narrower type holds
        return pl.DataFrame({"c": pl.Series(ints, dtype=variant)})
    if kind == "string" and variant == pl.Int64:
        return pl.DataFrame({"c": pl.Series([None if v is None else len(v) for v in values], dtype=pl.Int64)})
    if kind in ("float", "int"):
        return pl.DataFrame({"c": pl.Series(values, dtype=pl.Float64, nan_to_null=False).cast(variant)})
    return pl.DataFrame({"c": pl.Series(values, dtype=pl.String).cast(variant)})


def _pandas(df: pl.DataFrame) -> pd.DataFrame:
    s = df.get_column("c")
    if s.dtype.is_integer():  # a nullable integer column stays integer
        return pd.DataFrame({"c": pd.array(s.to_list(), dtype="Int64")})
    return df.to_pandas()


def _numpy(df: pl.DataFrame):
    s = df.get_column("c")
    if s.dtype.is_float():
        return s.cast(pl.Float64).fill_null(NAN).to_numpy().reshape(-1, 1)
    if s.dtype.is_integer():
        return None if s.null_count() else s.to_numpy().reshape(-1, 1)
    return np.array(s.cast(pl.String).to_list(), dtype=object).reshape(-1, 1)


def _as_array(out) -> np.ndarray:
    if isinstance(out, (pl.DataFrame, pl.LazyFrame)):
        out = out.collect() if isinstance(out, pl.LazyFrame) else out
        return out.cast(pl.Float64).to_numpy()
    if isinstance(out, pd.DataFrame):
        return out.to_numpy(dtype=np.float64, na_value=NAN)
    if isinstance(out, np.ndarray):
        return out.astype(np.float64)
    return _as_array(pl.from_arrow(out))  # a pyarrow Table


def _outcome(fn):
    """``("ok", array)`` or ``("error", type, message, text)`` (an error raised inside a Polars
    plan comes back as text: Polars rebuilds it from its message)."""
    try:
        return ("ok", _as_array(fn()))
    except TabprepError as err:
        return ("error", type(err).__name__, err.message, str(err))


def _dict_rows(enc, df: pl.DataFrame, limit: int):
    # the values as a dict each, in order; the first refused one raises (as in a frame)
    out = []
    for value in df.get_column("c").head(limit).to_list():
        out.append(list(enc.transform({"c": value}).values()))
    return np.array(out, dtype=np.float64).reshape(len(out), -1)


def _same(a, b, what: str, *, batched: bool = False) -> None:
    assert a[0] == b[0], f"{what}: {a[3] if a[0] == 'error' else 'ok'} vs {b[3] if b[0] == 'error' else 'ok'}"
    if a[0] == "ok":
        np.testing.assert_array_equal(a[1], b[1], err_msg=what)
    elif batched and a[1] == "DataError":
        # batches run in parallel: the first to fail may hold another refused value (an unknown
        # one where the first row is missing, say) than the first row of the frame
        assert a[1] == b[1] and "column 'c'" in a[3], f"{what}: {a[3]} vs {b[3]}"
    else:
        assert a[1] == b[1] and "column 'c'" in a[3] and (b[2] in a[3] or a[2] in b[3]), f"{what}: {a[3]} vs {b[3]}"


_LONG = (["b", None, "zz", "a", "é"] * 20_000)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_cases())
# the cases the brief names, always run: integers for a float column, Enum for a String one,
# floats for an integer column (refused alike), unknown values refused, 10^5 rows
@example(("float", [1.0, 2.0, None, NAN, -0.0], [0, 1, 0, 1, 1], [2.0, 7.0, None, 0.0] * 5, pl.Int64, "target"))
@example(("float", [1.0, 2.5, 0.1], [0, 1, 0], [0.1, 2.5, NAN, 0.3], pl.Float32, "woe"))
@example(("string", ["a", "b", None], [0, 1, 1], _LONG, pl.Enum(["a", "b", "c", "é", "zz", ""]), "target-null"))
@example(("string", ["a", "b", "é"], [0, 1, 1], _LONG, pl.Categorical, "ordinal"))
@example(("string", ["a", "b", "é"], [0, 1, 1], _LONG, pl.String, "onehot"))
@example(("string", ["a", "b"], [0, 1], ["a", "b", "zz"] * 6, pl.String, "target-errors"))
@example(("int", [0, 1, 2], [0, 1, 0], [1, 2], pl.Float64, "target"))
@example(("int", [0, 1, 2, None], [0, 1, 0, 1], [1, 2, None, 9] * 5, pl.UInt8, "count-errors"))
@example(("int", [0, 1, 2], [0, 1, 0], [1, 2, None, 9] * 5, pl.Int16, "ordinal-errors"))
def test_every_path_gives_the_same_answer(case):
    kind, fit_values, y, values, variant, name = case
    fit_frame = pl.DataFrame({"c": pl.Series(fit_values, dtype=FIT_DTYPE[kind], nan_to_null=False)})
    enc = ENCODERS[name]()
    try:
        enc.fit(fit_frame, np.asarray(y)) if name in SUPERVISED else enc.fit(fit_frame)
    except TabprepError:
        return  # a fit the encoder refuses (e.g. missing values with handle_missing="error")
    df = _input(kind, values, variant)
    reference = _outcome(lambda: enc.transform(df))
    event(f"{len(values)} rows, {reference[0]}")
    paths = {
        "lazy": lambda: enc.transform(df.lazy()).collect(),
        "streaming": lambda: enc.transform(df.lazy()).collect(engine="streaming"),
        "pandas": lambda: enc.transform(_pandas(df)),
        "pyarrow": lambda: enc.transform(df.to_arrow()),
    }
    array = _numpy(df)
    if array is not None:
        paths["numpy"] = lambda: enc.transform(array)
    for path, fn in paths.items():
        _same(_outcome(fn), reference, f"{name} {kind} as {variant}, {len(values)} rows: {path}",
              batched=path in ("lazy", "streaming"))
    # the small-batch specialization vs the compiled path on the same leading rows
    for k in (1, SMALL_BATCH, SMALL_BATCH + 1):
        if k < len(values):
            head = _outcome(lambda: enc.transform(df.head(k)))
            whole = reference if reference[0] == "error" else ("ok", reference[1][:k])
            if head[0] == "ok" and whole[0] == "error":
                continue  # the refused value lies after the first k rows
            _same(head, whole, f"{name} {kind} as {variant}: first {k} of {len(values)} rows")
    if name in SUPERVISED:
        if reference[0] == "error" and reference[1] == "SchemaError":
            # a frame is refused for its dtype before any value is read; a dict row for its value,
            # and a missing value has no dtype: the dict rows to compare are the others
            nan = pl.col("c").cast(pl.Float64, strict=False).is_nan().fill_null(False)
            df = df.filter(pl.col("c").is_not_null() & ~nan)
            if df.height == 0:
                return
        limit = min(df.height, 40)  # the values repeat with a period <= 24: every kind is seen
        rows = _outcome(lambda: _dict_rows(enc, df, limit))
        whole = reference if reference[0] == "error" else ("ok", reference[1][:limit])
        _same(rows, whole, f"{name} {kind} as {variant}: dict rows")


@pytest.mark.parametrize("value, code", [
    ("a", 0), (None, -1), (float("nan"), -1), ("zz", -2), (np.str_("b"), 1),
])
def test_one_value_codes_like_a_column(value, code):
    enc = OrdinalEncoder(encoded_missing_value=-1).fit(pl.DataFrame({"c": ["a", "b", None]}))
    assert enc._cats[0].code_of(value, "OrdinalEncoder") == code
