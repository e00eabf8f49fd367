"""Out-of-fold target encoding on Ray without gathering: per-(category, fold) cells per block.

A cross-fitted encoder whose folds come from each row alone (``cv`` a fold column, or
``HashKFold``: a hash of a key column) is fitted from per-block cells merged on the driver
(``tabprep.encode._cellfit``), and its training rows' out-of-fold values are computed block by
block; so later phases and ``fit_transform`` work on a Ray Dataset. Counts are exact: 0/1 and
class targets without weights give the local state and output bit for bit; float sums (weights,
a continuous target) within 1e-12.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tabprep import Pipeline
from tabprep.encode import TargetEncoder, WOEEncoder
from tabprep.errors import DataError
from tabprep.scale import StandardScaler
from tabprep.split import HashKFold

from tests.distributed.test_ray_pipeline import _close, _dataset, _ray_frame, _same_output

pytestmark = pytest.mark.usefixtures("ray_cluster")

rng = np.random.default_rng(5)
N = 2500
FRAME = pl.DataFrame({
    "cat": rng.choice(["a", "b", "c", "d", None], N, p=[0.4, 0.3, 0.2, 0.07, 0.03]),
    "code": rng.integers(0, 30, N),
    "fold": rng.integers(1, 5, N) * 10,  # fold ids need not be 0..k-1
    "id": rng.integers(0, 400, N),
    "y": (rng.random(N) < 0.3).astype(np.int64),
    "yc": rng.normal(2.0, 1.0, N),
    "ym": rng.choice(["lo", "mid", "hi"], N),
    "w": rng.random(N) + 0.1,
    "num": rng.normal(size=N),
})

CASES = {
    "binary-fold-column": (TargetEncoder(cv="fold"), "y", None, True),
    "binary-hash": (TargetEncoder(smooth=2.0, cv=HashKFold(3, key="id", seed=7)), "y", None, True),
    "multiclass-fold-column": (TargetEncoder(cv="fold", handle_missing="null"), "ym", None, True),
    "continuous-auto": (TargetEncoder(cv="fold"), "yc", None, False),
    "weighted": (TargetEncoder(cv="fold", smooth=1.5), "y", "w", False),
    "woe-hash": (WOEEncoder(cv=HashKFold(4, key="id")), "y", None, True),
}


def _frame(target, weight, extra=()):
    keep = ["cat", "code", "fold", "id", *extra, target, *([weight] if weight else [])]
    return FRAME.select(keep)


@pytest.mark.parametrize("case", sorted(CASES))
def test_fit_transform_equals_the_local_one(case):
    enc, target, weight, exact = CASES[case]
    pipe = Pipeline([("te", enc, ["cat", "code"])])
    data = _frame(target, weight)
    kw = {"sample_weight": weight} if weight else {}
    fitted, out = pipe.fit_transform(_dataset(data, 3), target=target, **kw)
    local, want = pipe.fit_transform(data, target=target, **kw)
    got = _ray_frame(out)
    if exact:
        assert fitted.to_dict()["steps"] == local.to_dict()["steps"]
        assert got.equals(want)
    else:
        _close(fitted.to_dict()["steps"], local.to_dict()["steps"])
        _same_output(got, want)
    # the full fit for new rows: the same transform
    _same_output(_ray_frame(fitted.transform(_dataset(data, 2))), local.transform(data))


def test_the_encoder_gathers_no_column():
    from tabprep._base.fit import PhasePlan

    schema = FRAME.schema
    plan = PhasePlan(schema, [(TargetEncoder(cv="fold"), schema, ["cat"])], "y", cells=True)
    assert plan._keep == [] and plan.cell_fits[0] is not None  # nothing kept: cells per block
    gathered = PhasePlan(schema, [(TargetEncoder(cv=3), schema, ["cat"])], "y", cells=True)
    assert gathered.cell_fits[0] is None and set(gathered._keep) == {"cat", "y"}


def test_later_phases_read_the_out_of_fold_values():
    from tabprep.encode import OneHotEncoder

    pipe = Pipeline([
        ("te", TargetEncoder(cv=HashKFold(4, key="id")), ["cat"]),
        ("sc", StandardScaler(), ["cat", "num"]),        # reads the encoded column: a second phase
        ("oh", OneHotEncoder(sparse_output=False), ["code"]),
    ])
    data = FRAME.select("cat", "code", "id", "num", "y")
    ds = _dataset(data, 4)
    fitted, out = pipe.fit_transform(ds, target="y")
    local, want = pipe.fit_transform(data, target="y")
    assert fitted.fit_phases == local.fit_phases and len(local.fit_phases) == 2
    _close(fitted.to_dict()["steps"], local.to_dict()["steps"])
    _same_output(_ray_frame(out), want)
    _close(pipe.fit(ds, target="y").to_dict()["steps"], local.to_dict()["steps"])


def test_errors_name_the_row_of_the_whole_dataset():
    bad = FRAME.select("cat", "fold", "y").with_columns(
        y=pl.when(pl.int_range(pl.len()) == 2100).then(None).otherwise(pl.col("y")))
    with pytest.raises(DataError, match="row 2100"):
        Pipeline([("te", TargetEncoder(cv="fold"), ["cat"])]).fit(_dataset(bad, 3), target="y")
    one_fold = FRAME.select("cat", "y").with_columns(fold=pl.lit(1))
    with pytest.raises(DataError, match="at least 2 distinct folds"):
        Pipeline([("te", TargetEncoder(cv="fold"), ["cat"])]).fit(_dataset(one_fold, 2), target="y")


def test_more_blocks_than_a_merge_holds():
    """Past MERGE_BLOCKS blocks the driver merges the mergeable partials as they come, while a
    cell-fitted encoder in the same pass keeps every block's cells (and first row)."""
    from tabprep._base.fit import MERGE_BLOCKS

    pipe = Pipeline([("te", TargetEncoder(cv="fold"), ["cat", "code"]), ("scale", StandardScaler(), ["num"])])
    data = _frame("y", None, extra=["num"])
    blocks = 2 * MERGE_BLOCKS + 3
    fitted, out = pipe.fit_transform(_dataset(data, blocks), target="y")
    local, want = pipe.fit_transform(data, target="y")
    _close(fitted.to_dict()["steps"], local.to_dict()["steps"])
    _same_output(_ray_frame(out), want)
