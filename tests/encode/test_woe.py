"""WOEEncoder: category_encoders agreement (where the formulas coincide), IV, cross fitting, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from tabprep.encode import WOEEncoder
from tabprep.errors import DataError
from tabprep.pipeline import Step
from tests.oracles.target import woe_ref


def _data(n=500, seed=0):
    rng = np.random.default_rng(seed)
    cats = rng.choice(["a", "b", "c", "d", "e", None], n, p=[0.3, 0.25, 0.2, 0.15, 0.05, 0.05]).tolist()
    cats[0] = "only_once"  # a singleton
    effect = {"a": 0.1, "b": 0.3, "c": 0.5, "d": 0.7, "e": 0.2, None: 0.4, "only_once": 0.5}
    y = (rng.random(n) < np.array([effect[c] for c in cats])).astype(np.int64)
    return pl.DataFrame({"g": pl.Series(cats, dtype=pl.String)}), y


@pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated")  # inside category_encoders
@pytest.mark.parametrize("regularization", [1.0, 0.5, 3.0])
def test_equals_category_encoders(regularization):
    ce = pytest.importorskip("category_encoders")
    X, y = _data()
    ours = WOEEncoder(regularization=regularization).fit(X, y)
    Xp = X.to_pandas()
    theirs = ce.WOEEncoder(regularization=regularization).fit(Xp, pd.Series(y))
    got = ours.transform(X)["g"].to_numpy()
    want = theirs.transform(Xp)["g"].to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    # unseen categories: WoE 0 for both
    new = pl.DataFrame({"g": ["zzz", "a"]})
    np.testing.assert_allclose(ours.transform(new)["g"].to_numpy(), theirs.transform(new.to_pandas())["g"].to_numpy(),
                               atol=1e-14)


def test_matches_reference_and_information_value():
    X, y = _data(seed=1)
    enc = WOEEncoder(regularization=1.0).fit(X, y)
    woe, iv = woe_ref(X["g"].to_list(), y, regularization=1.0)
    got = dict(zip(enc.categories_[0].tolist(), enc.encodings_[0].tolist()))
    assert got.keys() == woe.keys()
    for cat, value in woe.items():
        assert got[cat] == pytest.approx(value, abs=1e-12)
    assert enc.iv_[0] == pytest.approx(iv, rel=1e-12)
    assert enc.target_mean_ == pytest.approx(y.mean())


def test_a_stronger_column_has_a_larger_information_value():
    rng = np.random.default_rng(2)
    n = 5_000
    strong = rng.integers(0, 5, n)
    weak = rng.integers(0, 5, n)
    y = (rng.random(n) < 0.1 + 0.15 * strong).astype(np.int8)
    enc = WOEEncoder().fit(pl.DataFrame({"strong": strong, "weak": weak}), y)
    assert enc.iv_[0] > 0.3 > 0.02 > enc.iv_[1] >= 0


def test_out_of_fold_uses_each_training_set():
    X, y = _data(seed=3)
    folds = np.random.default_rng(3).integers(0, 3, X.height)
    enc = WOEEncoder(cv="fold")
    oof = enc.fit_transform(X.with_columns(fold=pl.Series(folds)), y)["g"].to_numpy()
    cats = X["g"].to_list()
    for f in range(3):
        train = folds != f
        woe, _ = woe_ref([c for c, t in zip(cats, train) if t], y[train])
        for i in np.flatnonzero(~train):
            assert oof[i] == pytest.approx(woe.get(cats[i], 0.0), abs=1e-12)


def test_weights_count_as_repeated_rows():
    X = pl.DataFrame({"g": ["a", "a", "b", "b", "c", "c"]})
    y = np.array([1, 0, 1, 0, 0, 1])
    w = np.array([3, 1, 1, 2, 1, 1])
    weighted = WOEEncoder(ignore_singletons=False).fit(X, y, sample_weight=w)
    repeated = WOEEncoder(ignore_singletons=False).fit(pl.DataFrame({"g": np.repeat(X["g"].to_numpy(), w)}),
                                                       np.repeat(y, w))
    np.testing.assert_allclose(weighted.encodings_[0], repeated.encodings_[0], rtol=1e-13)
    np.testing.assert_allclose(weighted.iv_, repeated.iv_, rtol=1e-13)


def test_labels_other_than_zero_one():
    X, y = _data(seed=4)
    a = WOEEncoder().fit(X, y)
    b = WOEEncoder().fit(X, np.where(y == 1, "yes", "no"))  # "yes" > "no": the positive class
    np.testing.assert_array_equal(a.encodings_[0], b.encodings_[0])
    assert list(b.classes_) == ["no", "yes"]


def test_non_binary_targets_are_rejected():
    X = pl.DataFrame({"g": ["a", "b", "c"] * 4})
    with pytest.raises(DataError, match="WOEEncoder with a binary target needs at most 2 classes; found 3 classes"):
        WOEEncoder().fit(X, np.arange(12) % 3)
    with pytest.raises(DataError, match="WOEEncoder needs a binary target; found a continuous target"):
        WOEEncoder().fit(X, np.linspace(0, 1, 12))
    with pytest.raises(DataError, match="row 5: the target has a null"):
        WOEEncoder().fit(X, pl.Series("y", [0, 1, 0, 1, 0, None, 1, 0, 1, 0, 1, 0]))


def test_options_and_round_trip():
    X, y = _data(seed=5)
    enc = WOEEncoder(handle_unknown="null", handle_missing="prior", regularization=0.25).fit(X, y)
    out = enc.transform(pl.DataFrame({"g": ["a", None, "unseen"]}))["g"].to_list()
    assert out[1] == 0.0 and out[2] is None
    back = Step.from_dict(enc.to_dict())
    assert isinstance(back, WOEEncoder)
    np.testing.assert_array_equal(back.iv_, enc.iv_)
    assert back.transform(X).equals(enc.transform(X))
    assert back.transform({"g": "c"}) == enc.transform({"g": "c"})
