"""Cast: target dtypes, strictness, and errors that name the column, row and value."""

from __future__ import annotations

import polars as pl
import pytest

from tabprep import Pipeline
from tabprep.clean import Cast
from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep.pipeline import Step


def test_casts_named_columns_and_default_dtype():
    df = pl.DataFrame({"a": ["1", "2"], "b": [1, 2], "c": [0.5, 1.5]})
    out = Cast({"a": "Int32"}, dtype=pl.Float32).fit_transform(df)
    assert out.schema == pl.Schema({"a": pl.Int32, "b": pl.Float32, "c": pl.Float32})
    assert Cast(dtypes={"a": pl.Int64}).fit_transform(df).schema == pl.Schema({"a": pl.Int64, "b": pl.Int64, "c": pl.Float64})


def test_strict_failure_names_column_row_and_value():
    df = pl.DataFrame({"id": [1, 2, 3, 4], "a": ["1", None, "2", "x7"]})
    with pytest.raises(DataError) as err:
        Cast({"a": "Int64"}).fit_transform(df)
    assert (err.value.column, err.value.row, err.value.found) == ("a", 3, "'x7'")
    assert "cannot cast to Int64" in str(err.value)


def test_non_strict_turns_failures_into_nulls():
    out = Cast(dtype="Int64", strict=False).fit_transform(pl.DataFrame({"a": ["1", "x"]}))
    assert out["a"].to_list() == [1, None]


def test_failure_inside_a_fitted_pipeline_is_explained():
    train = pl.DataFrame({"a": ["1", "2"], "b": [1.0, 2.0]})
    fitted = Pipeline([("cast", Cast(dtype="Float64"), ["a"])]).fit(train)
    with pytest.raises(DataError, match="column 'a', row 1: cannot cast to Float64; found 'oops'"):
        fitted.transform(pl.DataFrame({"a": ["3", "oops"], "b": [0.0, 0.0]}))
    lazy = fitted.transform(pl.LazyFrame({"a": ["3", "oops"], "b": [0.0, 0.0]}))
    with pytest.raises(pl.exceptions.PolarsError):  # lazy results raise Polars' error on collect
        lazy.collect()


def test_unknown_column_and_missing_dtype():
    with pytest.raises(SchemaError, match="column 'zz'"):
        Cast({"zz": "Int64"}).fit(pl.DataFrame({"a": [1]}))
    with pytest.raises(ConfigError, match="needs `dtypes`"):
        Cast().fit(pl.DataFrame({"a": [1]}))
    with pytest.raises(ConfigError, match="The `dtype` parameter of `Cast` must be a Polars dtype"):
        Cast(dtype="Floaty").fit(pl.DataFrame({"a": [1]}))


def test_unsupported_cast_is_explained():
    with pytest.raises(SchemaError, match="column 't': Polars cannot cast String to Datetime.*Hint: casting"):
        Cast(dtype="Datetime(ms, UTC)").fit_transform(pl.DataFrame({"t": ["2024-01-01 10:00:00"]}))


def test_state_round_trip_keeps_parametrised_dtypes():
    df = pl.DataFrame({"t": [1_700_000_000_000_000]}).cast(pl.Datetime("us"))
    step = Cast(dtype="Datetime(ms, UTC)").fit(df)
    again = Step.from_dict(step.to_dict())
    assert again.dtypes_ == {"t": pl.Datetime("ms", "UTC")}
    assert again.transform(df).equals(step.transform(df))
