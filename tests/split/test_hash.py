"""HashKFold / hash_fold_ids: the fold of a row is a function of its key alone (MurmurHash3 of
its text), checked against scikit-learn's murmurhash3_32; layout independence; refusals."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.utils import murmurhash3_32

from tabprep.errors import DataError, SchemaError
from tabprep.split import HashKFold, hash_fold_ids


@pytest.mark.parametrize("keys", [[3, -7, 10**12, 0, 3], ["a", "éé", "", "a", "zz"]])
@pytest.mark.parametrize("seed", [0, 17])
def test_folds_are_the_murmur_hash_of_the_key_text(keys, seed):
    want = [abs(murmurhash3_32(str(k), seed=seed)) % 5 for k in keys]
    assert hash_fold_ids(keys, 5, seed=seed).tolist() == want


def test_same_key_same_fold_whatever_the_layout_and_integer_type():
    rng = np.random.default_rng(0)
    keys = pl.Series("id", rng.integers(0, 10_000, 5000))
    whole = hash_fold_ids(keys, 7)
    pieces = np.concatenate([hash_fold_ids(keys.slice(a, 777), 7) for a in range(0, 5000, 777)])
    assert np.array_equal(whole, pieces)
    assert np.array_equal(whole, hash_fold_ids(keys.cast(pl.UInt32), 7))
    assert np.array_equal(whole, hash_fold_ids(keys.cast(pl.String), 7))
    assert set(np.unique(whole)) == set(range(7))


def test_split_partitions_the_rows_by_key():
    X = pl.DataFrame({"id": np.arange(300) % 40})
    cv = HashKFold(4, key="id", seed=3)
    seen = np.zeros(300, dtype=int)
    for train, test in cv.split(X):
        assert np.intersect1d(train, test).size == 0 and train.size + test.size == 300
        assert not set(X["id"][test]) & set(X["id"][train])  # a key is on one side only
        seen[test] += 1
    assert (seen == 1).all() and cv.get_n_splits() == 4


def test_refusals():
    with pytest.raises(SchemaError, match="integers or text"):
        hash_fold_ids([1.5, 2.0], 3)
    with pytest.raises(DataError, match="row 1"):
        hash_fold_ids(["a", None], 3)
    with pytest.raises(TypeError):
        HashKFold(1, key="id")


def test_target_encoder_takes_it_as_cv_and_saves_it(tmp_path):
    import tabprep
    from tabprep import Pipeline
    from tabprep.encode import TargetEncoder

    rng = np.random.default_rng(2)
    df = pl.DataFrame({"c": rng.choice(["a", "b", "c"], 400), "id": rng.integers(0, 50, 400),
                       "y": rng.integers(0, 2, 400)})
    cv = HashKFold(3, key="id")
    folds = cv.fold_ids(df["id"])
    fitted, out = Pipeline([("te", TargetEncoder(cv=cv), ["c"])]).fit_transform(df, target="y")
    _, want = Pipeline([("te", TargetEncoder(cv="fold"), ["c"])]).fit_transform(
        df.with_columns(fold=pl.Series(folds)), target="y")
    assert out.equals(want.select(out.columns))  # the same folds as a fold column holding them
    assert "id" not in fitted.input_schema  # the key column is training metadata, like a fold column
    fitted.save(tmp_path / "p")
    assert tabprep.load(tmp_path / "p").named_steps["te"].cv.get_params() == cv.get_params()
