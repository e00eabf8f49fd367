"""OneHotEncoder passes scikit-learn's estimator checks (sklearn's own test harness)."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from tabprep.encode import OneHotEncoder


@parametrize_with_checks([
    OneHotEncoder(),
    OneHotEncoder(sparse_output=False, handle_unknown="ignore", max_categories=3),
    OneHotEncoder(sparse_output=False, drop="if_binary", min_frequency=2, handle_unknown="infrequent_if_exist"),
])
def test_sklearn_compatible(estimator, check):
    check(estimator)
