"""The fit of a cross-fitted encoder from per-block cells (the Ray pass's, run here on slices of
a local frame) equals the local fit_transform with the same folds: state and out-of-fold
output, bit for bit where the statistics are counts, within 1e-12 for float sums."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabprep.encode import TargetEncoder, WOEEncoder
from tabprep.encode._cellfit import CellFit
from tabprep.errors import DataError
from tabprep.split import HashKFold

rng = np.random.default_rng(3)
N = 600
FRAME = pl.DataFrame({
    "cat": rng.choice(["a", "b", "c", None], N, p=[0.5, 0.3, 0.15, 0.05]),
    "num": rng.choice([1.5, -0.0, 0.0, float("nan"), 7.25], N),
    "fold": rng.integers(0, 3, N) + 5,
    "id": rng.integers(0, 90, N),
    "yb": rng.random(N) < 0.4,
    "ycat": pl.Series(rng.choice(["p", "q", "r"], N)).cast(pl.Categorical),
    "yf": rng.integers(0, 2, N).astype(float),
    "yc": rng.normal(size=N),
    "w": rng.random(N),
})

CASES = {  # encoder, target, weight, exact
    "bool": (TargetEncoder(cv="fold"), "yb", None, True),
    "categorical-multiclass": (TargetEncoder(cv="fold", smooth=1.0), "ycat", None, True),
    "float-binary": (TargetEncoder(cv=HashKFold(4, key="id")), "yf", None, True),
    "continuous": (TargetEncoder(cv="fold"), "yc", None, False),
    "continuous-m-estimate": (TargetEncoder(cv="fold", smooth=3.0), "yc", None, False),
    "weighted": (TargetEncoder(cv="fold", handle_missing="prior"), "yb", "w", False),
    "woe": (WOEEncoder(cv="fold", regularization=0.3), "yb", None, True),
}


def _fit(enc, target, weight, cuts):
    fit = CellFit(enc, ["cat", "num"], target, weight, FRAME.schema)
    pieces = [FRAME.slice(a, b - a) for a, b in zip(cuts[:-1], cuts[1:])]
    oof = fit.finish([fit.partial(p) for p in pieces], list(cuts[:-1]), True)
    return pl.concat([oof.frame(p) for p in pieces])


@settings(max_examples=15, deadline=None)
@given(case=st.sampled_from(sorted(CASES)), inner=st.lists(st.integers(0, N), max_size=4))
def test_cells_over_any_blocks_equal_the_local_fit(case, inner):
    enc, target, weight, exact = CASES[case]
    cuts = [0, *sorted(inner), N]  # empty blocks included
    local = enc.__class__(**enc.get_params(deep=False))
    X = FRAME.select("cat", "num", local.fit_columns([], None)[0])
    want = local.fit_transform(X, FRAME[target], sample_weight=None if weight is None else FRAME[weight])
    mine = enc.__class__(**enc.get_params(deep=False))
    got = _fit(mine, target, weight, cuts)
    assert got.columns == want.columns
    a, b = mine.to_dict(), local.to_dict()
    if exact:
        assert got.equals(want)
        assert a["state"] == b["state"] and all(a["tables"][t].equals(b["tables"][t]) for t in b["tables"])
        assert all(np.array_equal(x, y) for x, y in zip(mine.fold_stats_, local.fold_stats_))
    else:
        for c in want.columns:
            np.testing.assert_allclose(got[c].to_numpy(), want[c].to_numpy(), rtol=1e-12, atol=1e-12)
        for t in b["tables"]:
            np.testing.assert_allclose(a["tables"][t]["encoding_0"].to_numpy(),
                                       b["tables"][t]["encoding_0"].to_numpy(), rtol=1e-12, atol=1e-12)


def test_errors_name_the_row_of_the_whole_data():
    bad = FRAME.with_columns(yb=pl.when(pl.int_range(pl.len()) == 450).then(None).otherwise(pl.col("yb")))
    enc = TargetEncoder(cv="fold", handle_missing="error")
    fit = CellFit(enc, ["cat"], "yb", None, bad.schema)
    with pytest.raises(DataError, match="row 450"):
        fit.finish([fit.partial(bad.slice(0, 300)), fit.partial(bad.slice(300))], [0, 300], True)
    fit = CellFit(enc, ["cat"], "yb", None, FRAME.schema)
    first_null = int(FRAME["cat"].is_null().arg_true()[0])
    with pytest.raises(DataError, match=f"row {first_null}"):
        fit.finish([fit.partial(FRAME.slice(0, 2)), fit.partial(FRAME.slice(2))], [0, 2], True)
