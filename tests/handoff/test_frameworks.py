import importlib

import numpy as np
import polars as pl
import pytest

from oracles.handoff import to_numpy_reference
from tabprep.errors import ConfigError, DataError
from tabprep.handoff import _frameworks, to_lightgbm, to_torch, to_xgboost


@pytest.fixture
def frame() -> pl.DataFrame:
    rng = np.random.default_rng(3)
    n = 500
    return pl.DataFrame({
        "a": rng.normal(size=n),
        "b": pl.Series(rng.integers(0, 9, n), dtype=pl.Int16).scatter([3, 70], None),
        "c": rng.random(n) < 0.3,
        "w": rng.random(n) + 0.5,
        "y": (rng.random(n) < 0.4).astype(np.int8),
    })


def test_torch_shares_the_matrix_and_matches_reference(frame):
    torch = pytest.importorskip("torch")
    X = to_torch(frame, ["a", "b", "c"])
    assert X.dtype == torch.float32 and X.shape == (500, 3)
    np.testing.assert_array_equal(X.numpy(), to_numpy_reference(frame, ["a", "b", "c"]))
    # DLPack: the tensor is a view of the NumPy matrix, no copy (writing through the view shows)
    arr = X.numpy()
    X[0, 0] = 123.0
    assert arr[0, 0] == 123.0
    X64, y = to_torch(frame.lazy(), label="y", dtype=torch.float64, order="F")
    assert X64.dtype == torch.float64 and X64.shape == (500, 4)  # a, b, c, w: all but the label
    np.testing.assert_array_equal(X64.numpy(), to_numpy_reference(frame, ["a", "b", "c", "w"], dtype=np.float64))
    np.testing.assert_array_equal(y.numpy(), frame["y"].to_numpy().astype(np.float64))


def test_xgboost_dmatrix_matches_reference(frame):
    xgb = pytest.importorskip("xgboost")
    dm = to_xgboost(frame, label="y", weight="w")
    assert (dm.num_row(), dm.num_col()) == (500, 3)
    assert dm.feature_names == ["a", "b", "c"]
    np.testing.assert_array_equal(dm.get_label(), frame["y"].to_numpy().astype(np.float32))
    np.testing.assert_array_equal(dm.get_weight(), frame["w"].to_numpy().astype(np.float32))
    ref = xgb.DMatrix(to_numpy_reference(frame, ["a", "b", "c"]), missing=np.nan)
    # nulls are missing values: the stored sparse data agrees cell for cell with the reference
    np.testing.assert_array_equal(dm.get_data().toarray(), ref.get_data().toarray())
    assert dm.get_data().nnz == ref.get_data().nnz
    qdm = to_xgboost(frame.lazy(), label="y", columns=["a", "b"], quantile=True, max_bin=16)
    assert isinstance(qdm, xgb.QuantileDMatrix) and qdm.num_col() == 2
    booster = xgb.train({"max_depth": 2, "nthread": 1, "max_bin": 16}, qdm, num_boost_round=2)
    assert booster.num_features() == 2


def test_lightgbm_dataset_matches_reference(frame):
    lgb = pytest.importorskip("lightgbm")
    ds = to_lightgbm(frame, label="y", columns=["a", "b", "c"], params={"verbose": -1}, free_raw_data=False)
    assert isinstance(ds, lgb.Dataset)
    ds.construct()
    assert (ds.num_data(), ds.num_feature()) == (500, 3)
    assert ds.get_feature_name() == ["a", "b", "c"]
    np.testing.assert_array_equal(ds.get_label(), frame["y"].to_numpy().astype(np.float32))
    np.testing.assert_array_equal(ds.get_data(), to_numpy_reference(frame, ["a", "b", "c"]))


def test_null_label_raises_data_error_with_row(frame):
    pytest.importorskip("xgboost")
    bad = frame.with_columns(frame["y"].cast(pl.Float64).scatter([42], None))
    with pytest.raises(DataError, match=r"column 'y', row 42: the label must not be null or NaN; found 1"):
        to_xgboost(bad, label="y")


def test_label_cannot_also_be_a_feature(frame):
    pytest.importorskip("lightgbm")
    with pytest.raises(ConfigError, match="'y' is both a feature and the label"):
        to_lightgbm(frame, label="y", columns=["a", "y"])


@pytest.mark.parametrize(
    ("func", "module", "extra"),
    [(to_torch, "torch", "torch"), (to_xgboost, "xgboost", "handoff"), (to_lightgbm, "lightgbm", "handoff")],
)
def test_missing_library_names_the_extra(monkeypatch, frame, func, module, extra):
    real = importlib.import_module

    def fake_import(name, *args):
        if name == module:
            raise ImportError(f"No module named {name!r}")
        return real(name, *args)

    monkeypatch.setattr(_frameworks.importlib, "import_module", fake_import)
    with pytest.raises(ConfigError, match=rf"needs the '{module}' package.*pip install 'tabprep\[{extra}\]'"):
        func(frame)
