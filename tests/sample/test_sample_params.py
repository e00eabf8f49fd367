"""The sampling functions check their parameters as declared, in the house wording."""

from __future__ import annotations

import polars as pl
import pytest

from tabprep.errors import ConfigError
from tabprep.sample import rebalance, reservoir_sample, reservoir_sample_batches, sample

DF = pl.DataFrame({"x": range(10), "y": [0] * 8 + [1] * 2})


@pytest.mark.parametrize(
    "call,param,owner",
    [
        (lambda: sample(DF, -1), "n", "sample"),
        (lambda: sample(DF, 2.5), "n", "sample"),
        (lambda: sample(DF, {0: -1}, by="y"), "n", "sample"),
        (lambda: sample(DF, frac=-0.1), "frac", "sample"),
        (lambda: sample(DF, frac=float("inf"), replace=True), "frac", "sample"),
        (lambda: sample(DF, frac=1.5), "frac", "sample"),
        (lambda: sample(DF, 2, by=0), "by", "sample"),
        (lambda: sample(DF, 2, replace="no"), "replace", "sample"),
        (lambda: sample(DF, 2, by="y", per_class=1), "per_class", "sample"),
        (lambda: sample(DF, 2, by="y", bins=0), "bins", "sample"),
        (lambda: sample(DF, 2, seed=1.5), "seed", "sample"),
        (lambda: rebalance(DF, "y", ratio=0), "ratio", "rebalance"),
        (lambda: rebalance(DF, "y", ratio=True), "ratio", "rebalance"),
        (lambda: rebalance(DF, "y", method="smote"), "method", "rebalance"),
        (lambda: rebalance(DF, "y", counts=[(0, 1)]), "counts", "rebalance"),
        (lambda: rebalance(DF, None), "by", "rebalance"),
        (lambda: rebalance(DF, "y", seed=None), "seed", "rebalance"),
        (lambda: reservoir_sample(DF, 0), "k", "reservoir_sample"),
        (lambda: reservoir_sample(DF, 2, batch_size=0), "batch_size", "reservoir_sample"),
        (lambda: reservoir_sample(DF, 2, seed="1"), "seed", "reservoir_sample"),
        (lambda: reservoir_sample_batches([DF], 1.0), "k", "reservoir_sample_batches"),
    ],
)
def test_bad_values_are_worded_by_the_house(call, param, owner):
    with pytest.raises(ConfigError, match=rf"^The `{param}` parameter of `{owner}` must .+; got .+ instead"):
        call()


def test_frac_above_one_needs_replacement():
    with pytest.raises(ConfigError) as err:
        sample(DF, frac=1.5)
    assert str(err.value) == ("The `frac` parameter of `sample` must be <= 1 without replacement (any float >= 0 "
                              "with replace=True); got 1.5 instead.")
    assert sample(DF, frac=1.5, replace=True).height == 15
