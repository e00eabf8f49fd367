"""The binning steps pass scikit-learn's estimator checks (scikit-learn's own harness)."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from tabprep.bin import KBinsDiscretizer, SupervisedBinner

STEPS = [
    KBinsDiscretizer(),
    KBinsDiscretizer(encode="ordinal", strategy="uniform", subsample=None),
    KBinsDiscretizer(encode="onehot-dense", n_bins=4, quantile_method="linear", subsample=None),
    KBinsDiscretizer(encode="ordinal", sketch=True),
    KBinsDiscretizer(encode="midpoint", strategy="kmeans", n_bins=3),
    KBinsDiscretizer(encode="ordinal", handle_missing="bin", dtype="float32"),
    SupervisedBinner(),
    SupervisedBinner(method="tree", monotonic="auto", max_bins=4),
]


@parametrize_with_checks(STEPS)
def test_sklearn_compatible_step(estimator, check):
    check(estimator)
