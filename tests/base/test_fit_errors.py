"""A fit that refuses an infinity names the row holding it (the statistics only flag the column)."""

from __future__ import annotations

import polars as pl
import pytest

from tabprep import Pipeline
from tabprep.bin import KBinsDiscretizer
from tabprep.clean import SimpleImputer
from tabprep.errors import DataError, SchemaError
from tabprep.scale import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

DF = pl.DataFrame({"a": [1.0, 2.0, None, 4.0, 5.0], "b": [1.0, 3.0, 2.0, float("-inf"), float("inf")]})


STEPS = [StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler, SimpleImputer,
         lambda: KBinsDiscretizer(n_bins=2, subsample=None), lambda: KBinsDiscretizer(n_bins=2, strategy="uniform")]


@pytest.mark.parametrize("make", STEPS)
@pytest.mark.parametrize("lazy", [False, True])
def test_step_and_pipeline_fits_name_the_first_infinite_row(make, lazy):
    data = DF.lazy() if lazy else DF
    name = type(make()).__name__
    for fit in (lambda: make().fit(data), lambda: Pipeline([("s", make(), ["a", "b"])]).fit(data)):
        with pytest.raises(DataError, match=f"{name} expects finite values") as info:
            fit()
        assert (info.value.column, info.value.row) == ("b", 3)


def test_fused_phase_names_the_row_of_the_step_that_refuses():
    # the imputer fills 'a' and the scaler's statistics are fused into the same pass; the
    # imputer is the first to see 'b''s infinity
    with pytest.raises(DataError, match="SimpleImputer expects finite values") as info:
        Pipeline([("i", SimpleImputer(), ["a", "b"]), ("s", StandardScaler(), ["a", "b"])]).fit(DF)
    assert (info.value.column, info.value.row) == ("b", 3)


def test_other_data_errors_are_left_as_they_are():
    with pytest.raises(DataError, match="no rows to fit on"):
        StandardScaler().fit(DF.head(0))


def test_a_csv_without_rows_is_no_rows_not_text_columns(tmp_path):
    # a CSV of a header only reads every column as String: the steps' dtype check would blame it
    path = tmp_path / "empty.csv"
    path.write_text("a,b\n")
    pipe = Pipeline([("i", SimpleImputer(), ["a", "b"]), ("s", StandardScaler(), ["a", "b"])])
    with pytest.raises(DataError, match="no rows to fit on"):
        pipe.fit(path)
    path.write_text("a,b\nx,1\n")  # with a row, text is what is wrong
    with pytest.raises(SchemaError, match="SimpleImputer needs numeric columns; found String"):
        pipe.fit(path)
