"""The binning steps pass scikit-learn's estimator checks (scikit-learn's own harness)."""

from __future__ import annotations

import warnings

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


def _refuses_weights(estimator) -> dict:
    """Checks that configurations refusing sample weights by design cannot pass (scikit-learn's
    KBinsDiscretizer refuses weights with quantile_method='linear' too)."""
    why = None
    if isinstance(estimator, KBinsDiscretizer) and estimator.sketch:
        why = "a KLL sketch is unweighted: sketch=True refuses sample_weight"
    elif isinstance(estimator, KBinsDiscretizer) and estimator.strategy == "quantile" and \
            estimator.quantile_method not in ("inverted_cdf", "averaged_inverted_cdf"):
        why = "weighted quantiles need an inverted_cdf method (scikit-learn refuses the same)"
    if why is None:
        if isinstance(estimator, KBinsDiscretizer) and estimator.strategy == "kmeans":
            # scikit-learn's own test suite leaves k-means out of this check too: its fit is
            # stochastic (sklearn/utils/_test_common/instance_generator.py)
            return {"check_sample_weight_equivalence_on_dense_data": "k-means' fit is stochastic"}
        return {}
    return {name: why for name in (
        "check_sample_weights_pandas_series", "check_sample_weights_not_an_array", "check_sample_weights_list",
        "check_sample_weights_shape", "check_sample_weights_not_overwritten",
        "check_sample_weight_equivalence_on_dense_data")}


@parametrize_with_checks(STEPS, expected_failed_checks=_refuses_weights)
def test_sklearn_compatible_step(estimator, check):
    name = getattr(getattr(check, "func", check), "__name__", "")
    with warnings.catch_warnings():
        if name.startswith("check_sample_weight"):
            # the checks' 12-row data has 3 distinct values: 5 quantile bins collapse, and
            # KBinsDiscretizer warns, as scikit-learn's own does on the same data (with warnings
            # as errors, scikit-learn's KBinsDiscretizer fails these checks the same way)
            warnings.filterwarnings("ignore", message="Bins whose width are too small", category=UserWarning)
            # k-means on those rows: fewer distinct points than clusters (scikit-learn's KMeans warns)
            warnings.filterwarnings("ignore", message="Number of distinct clusters")
        check(estimator)
