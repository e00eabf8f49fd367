"""One input dispatch: every public function that takes a table takes it in any container.

The same rows as a Polars DataFrame/LazyFrame, a pandas DataFrame, a pyarrow Table or a 2-D NumPy
array give the same result, in the input's container (skrub's ``df_module`` fixture is the model).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from tabprep.errors import ConfigError, DataError
from tabprep.handoff import to_numpy
from tabprep.io import scan, write
from tabprep.io._dispatch import as_series, as_table
from tabprep.sample import rebalance, sample
from tabprep.split import add_fold_column, add_split_column

FRAME = pl.DataFrame({"a": np.arange(40, dtype=np.float64), "y": np.arange(40) % 3})

CONTAINERS = {
    "polars": lambda df: df,
    "lazy": lambda df: df.lazy(),
    "pandas": lambda df: df.to_pandas(),
    "arrow": lambda df: df.to_arrow(),
}
BACK = {pl.DataFrame: "polars", pl.LazyFrame: "lazy", pd.DataFrame: "pandas", pa.Table: "arrow"}


def _as_polars(out) -> pl.DataFrame:
    if isinstance(out, pl.LazyFrame):
        return out.collect()
    if isinstance(out, pd.DataFrame):
        return pl.from_pandas(out)
    if isinstance(out, pa.Table):
        return pl.from_arrow(out)
    return out


CALLS = {
    "add_split_column": lambda d: add_split_column(d, ratios=(0.5, 0.5), strategy="stratified", by="y", seed=3),
    "add_fold_column": lambda d: add_fold_column(d, 4, strategy="stratified", by="y", seed=3),
    "sample": lambda d: sample(d, 7, by="y", seed=3),
    "rebalance": lambda d: rebalance(d, "y", method="oversample", seed=3),
}


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize("kind", list(CONTAINERS))
def test_same_result_in_the_input_container(call, kind):
    want = CALLS[call](FRAME)
    got = CALLS[call](CONTAINERS[kind](FRAME))
    assert BACK[type(got)] == kind
    assert _as_polars(got).to_dicts() == want.to_dicts()


@pytest.mark.parametrize("call", ["add_split_column", "add_fold_column"])
def test_numpy_arrays_get_the_column_appended(call):
    arr = FRAME.to_numpy()
    fn = {"add_split_column": lambda d: add_split_column(d, ratios=(0.5, 0.5), strategy="stratified", by="x1", seed=3),
          "add_fold_column": lambda d: add_fold_column(d, 4, strategy="stratified", by="x1", seed=3)}[call]
    want = fn(FRAME.rename({"a": "x0", "y": "x1"}).with_columns(pl.col("x1").cast(pl.Float64)))
    got = fn(arr)
    assert isinstance(got, np.ndarray) and got.shape == (40, 3)
    np.testing.assert_array_equal(got, want.to_numpy())


@pytest.mark.parametrize("kind", list(CONTAINERS))
def test_to_numpy_and_write_take_any_container(kind, tmp_path):
    data = CONTAINERS[kind](FRAME)
    np.testing.assert_array_equal(to_numpy(data), FRAME.to_numpy().astype(np.float64))
    write(data, tmp_path / "out.parquet")
    assert scan(tmp_path / "out.parquet").collect().equals(FRAME)


@pytest.mark.parametrize("bad", [[1, 2], {"a": [1]}, pl.Series("a", [1]), pd.Series([1]), "not a path"])
@pytest.mark.parametrize("call", list(CALLS))
def test_anything_but_a_table_is_refused_with_a_config_error(call, bad):
    with pytest.raises(ConfigError, match=f"must be a table; found {type(bad).__name__}"):
        CALLS[call](bad)


def test_as_table_kinds_and_paths(tmp_path):
    FRAME.write_parquet(tmp_path / "f.parquet")
    assert as_table(tmp_path / "f.parquet", allow_path=True).kind == "path"
    with pytest.raises(ConfigError, match="found PosixPath"):
        as_table(tmp_path / "f.parquet")
    assert [as_table(CONTAINERS[k](FRAME)).kind for k in CONTAINERS] == list(CONTAINERS)


@pytest.mark.parametrize("values", [
    pl.Series("y", [1, 2, None]), np.array([1.0, 2.0, np.nan]), [1, 2, None], pd.Series([1, 2, None]),
    pa.array([1, 2, None]), pa.chunked_array([[1], [2, None]]), pl.DataFrame({"y": [1, 2, None]}),
    pd.DataFrame({"y": [1, 2, None]}), np.array([[1], [2], [3]]), np.array(["a", np.nan, "b"], dtype=object),
])
def test_as_series_takes_every_one_column_container(values):
    s = as_series(values, "y")
    assert isinstance(s, pl.Series) and s.len() == 3
    if isinstance(values, np.ndarray) and values.dtype == object:
        assert s.to_list() == ["a", None, "b"]  # NaN in an object array is missing


@pytest.mark.parametrize("values", [np.zeros((2, 2)), pl.DataFrame({"a": [1], "b": [2]}),
                                    pd.DataFrame({"a": [1], "b": [2]}), pa.table({"a": [1], "b": [2]})])
def test_as_series_refuses_two_columns(values):
    with pytest.raises(DataError, match="y must be"):
        as_series(values, what="y")


def test_a_list_of_rows_with_strings_keeps_nan_missing():
    # NumPy alone would make a '<U' array of this list, where NaN becomes the string 'nan'
    # (scikit-learn's SimpleImputer reads such lists as object arrays for the same reason)
    from tabprep.io._dispatch import coerce

    df = coerce([["a", "b"], ["c", np.nan]], array_dtype=None).lf.collect()
    assert df.to_dict(as_series=False) == {"x0": ["a", "c"], "x1": ["b", None]}
    mixed = coerce([["a", 1.5], ["b", np.nan]], array_dtype=None).lf.collect()
    assert mixed.schema == pl.Schema({"x0": pl.String, "x1": pl.Float64})
    assert mixed["x1"].to_list() == [1.5, None]


@pytest.mark.parametrize("values", [["a", 1, "b"], [1, "a", "b"], [1.5, "a", np.nan], ["a", True, None]])
def test_a_pandas_column_mixing_types_is_a_data_error_naming_it(values):
    from tabprep.io._dispatch import coerce

    frame = pd.DataFrame({"ok": [1.0, 2.0, 3.0], "m": values})
    with pytest.raises(DataError, match=r"column 'm': a column mixes value types; found .*Hint: .*astype\(str\)") as err:
        coerce(frame)
    assert err.value.column == "m"
    assert not isinstance(err.value.__cause__, DataError)  # the pyarrow/Polars error is kept as the cause
