"""A step's ``output_schema`` is what its transform gives.

The pipeline trusts ``output_schema`` (a fit resolves it once per step and a transform drops the
inputs that are not among its names, ``apply_step``), so a step that writes its own must agree
with its transform expressions and with the frame a transform returns. Steps that do not write
one get it from their expressions (``Step.output_schema``): checked too, for one of them.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import oracles.user_functions as fns
from tabprep import Pipeline
from tabprep._base.fit import empty_frame, transform_plan
from tabprep.encode import HashingEncoder, OneHotEncoder, OrdinalEncoder, RareCategoryGrouper, TargetEncoder
from tabprep.features import NumbaTransformer
from tabprep.scale import StandardScaler


def _frame() -> pl.DataFrame:
    rng = np.random.default_rng(0)
    n = 200
    return pl.DataFrame({
        "c": rng.choice(["a", "b", "c", "d", "e"], n, p=[0.4, 0.3, 0.2, 0.07, 0.03]),
        "k": rng.integers(0, 4, n).astype(np.int32),
        "x": rng.normal(size=n),
        "y2": rng.integers(0, 2, n),
        "y3": rng.integers(0, 3, n),
    })


CASES = [
    ("one-hot", lambda: OneHotEncoder(sparse_output=False), ["c"], None),
    ("one-hot drop first uint8", lambda: OneHotEncoder(sparse_output=False, drop="first", dtype=np.uint8), ["c"], None),
    ("one-hot infrequent", lambda: OneHotEncoder(sparse_output=False, min_frequency=10,
                                                 handle_unknown="infrequent_if_exist"), ["c"], None),
    ("one-hot two columns", lambda: OneHotEncoder(sparse_output=False), ["c", "k"], None),
    ("hashing", lambda: HashingEncoder(n_features=8), ["c"], None),
    ("hashing signed int8", lambda: HashingEncoder(n_features=4, signed=True, dtype=np.int8), ["c", "k"], None),
    ("rare grouper", lambda: RareCategoryGrouper(min_count=10), ["c"], None),
    ("ordinal", lambda: OrdinalEncoder(), ["c"], None),
    ("target binary", lambda: TargetEncoder(), ["c"], "y2"),
    ("target multiclass", lambda: TargetEncoder(), ["c", "k"], "y3"),
    ("compiled feature, two outputs", lambda: NumbaTransformer(
        fns.sum_and_order, inputs=["x", "k"], outputs={"s": "Float64", "gt": "Boolean"}, drop_original=True),
     ["x", "k"], None),
    ("scaler (default output_schema)", lambda: StandardScaler(), ["x"], None),
]


@pytest.mark.parametrize("make, columns, target", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_output_schema_is_what_the_transform_gives(make, columns, target):
    df = _frame()
    fitted = Pipeline([("s", make(), columns)]).fit(df, target=target, lineage=False)
    step = fitted.named_steps["s"]
    schema = fitted.input_schema
    declared = step.output_schema(schema)
    exprs, planned = transform_plan(step, schema)
    assert planned == declared
    assert empty_frame(schema).select(exprs).collect_schema() == declared
    out = fitted.transform(df.drop(target) if target else df)
    # the step's outputs, and of its inputs only those it gives back; every other column kept
    kept = [c for c in schema.names() if c not in columns or c in declared]
    assert set(out.columns) == set(kept) | set(declared.names())
    assert out.select(declared.names()).schema == declared
