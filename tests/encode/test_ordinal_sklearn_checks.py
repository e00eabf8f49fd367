"""OrdinalEncoder passes scikit-learn's estimator checks (sklearn's own test harness)."""

from __future__ import annotations

import numpy as np
from sklearn.utils.estimator_checks import parametrize_with_checks

from tabprep.encode import OrdinalEncoder


@parametrize_with_checks([
    OrdinalEncoder(),
    OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, max_categories=3),
    OrdinalEncoder(order="frequency", dtype=np.float32),
])
def test_sklearn_compatible(estimator, check):
    check(estimator)
