"""HashingEncoder: equal to scikit-learn's FeatureHasher per column; eager, lazy and numpy paths agree."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from oracles.encode import hashed_dense_ref
from sklearn.utils.estimator_checks import parametrize_with_checks

from tabprep.encode import HashingEncoder
from tabprep.errors import ConfigError, SchemaError
from tabprep.pipeline import Pipeline, Step

VALUES = ["Oslo", "Lima", None, "é", "", "a_long_city_name_over_12", "中文"]


@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("n_features", [1, 4, 16])
def test_equals_feature_hasher(signed, n_features):
    from sklearn.feature_extraction import FeatureHasher

    df = pl.DataFrame({"a": VALUES, "b": list(reversed(VALUES))})
    enc = HashingEncoder(n_features=n_features, signed=signed).fit(df)
    out = enc.transform(df).to_numpy()
    hasher = FeatureHasher(n_features=n_features, input_type="string", alternate_sign=signed)
    for i, c in enumerate(df.columns):
        ref = hasher.transform([[v] if v is not None else [] for v in df[c].to_list()]).toarray()
        np.testing.assert_array_equal(out[:, i * n_features:(i + 1) * n_features], ref)
        np.testing.assert_array_equal(ref, hashed_dense_ref(df[c].to_list(), n_features, signed))


def test_paths_agree():
    df = pl.DataFrame({"a": VALUES * 50, "n": list(range(350))})
    enc = HashingEncoder(n_features=8, signed=True, dtype=np.int8).fit(df)
    eager = enc.transform(df)
    assert set(eager.dtypes) == {pl.Int8}
    assert enc.get_feature_names_out().tolist() == eager.columns
    assert enc.transform(df.lazy()).collect().equals(eager)
    assert enc.transform(df.lazy()).collect(engine="streaming").equals(eager)
    np.testing.assert_array_equal(enc.transform(df.to_pandas()).to_numpy(), eager.to_numpy())
    arr = HashingEncoder(n_features=8, signed=True, dtype=np.int8).fit(df.to_numpy()).transform(df.to_numpy())
    np.testing.assert_array_equal(arr, eager.to_numpy())
    # integers hash through their text
    np.testing.assert_array_equal(eager.select(pl.selectors.starts_with("n_")).to_numpy(),
                                  hashed_dense_ref([str(v) for v in range(350)], 8, True).astype(np.int8))
    fitted = Pipeline([("h", HashingEncoder(n_features=8, signed=True, dtype=np.int8), None)]).fit(df)
    assert fitted.transform(df).equals(eager)
    assert Step.from_dict(enc.to_dict()).transform(df).equals(eager)


def test_one_row_and_empty():
    enc = HashingEncoder(n_features=4).fit(pl.DataFrame({"city": ["x"]}))
    assert enc.transform(pl.DataFrame({"city": ["Oslo"]})).shape == (1, 4)
    assert enc.transform(pl.DataFrame({"city": []}, schema={"city": pl.String})).shape == (0, 4)


def test_errors():
    with pytest.raises(ConfigError, match="`n_features`"):
        HashingEncoder(n_features=0).fit(pl.DataFrame({"x": ["a"]}))
    with pytest.raises(SchemaError, match="cannot encode"):
        HashingEncoder().fit(pl.DataFrame({"x": [[1]]}))
    enc = HashingEncoder().fit(pl.DataFrame({"x": ["a"]}))
    with pytest.raises(SchemaError, match="lacks"):
        enc.transform(pl.DataFrame({"y": ["a"]}))


@parametrize_with_checks([HashingEncoder(), HashingEncoder(n_features=3, signed=True, dtype=np.float32)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("dtype", [np.float64, np.int8, np.uint8, np.float32])
@pytest.mark.parametrize("signed", [False, True])
def test_small_frame_path_equals_kernel_path(dtype, signed):
    if signed and np.dtype(dtype).kind == "u":
        pytest.skip("negative signs do not fit an unsigned dtype")
    big = pl.DataFrame({"a": VALUES * 3, "b": ["x", None, "中"] * 7})
    enc = HashingEncoder(n_features=5, signed=signed, dtype=dtype).fit(big)
    full = enc.transform(big)  # 21 rows: the kernel path
    for n in (1, 2, 8):
        assert enc.transform(big.head(n)).equals(full.head(n))
