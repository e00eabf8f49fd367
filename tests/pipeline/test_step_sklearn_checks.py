"""Every built-in step passes scikit-learn's estimator checks (sklearn's own test harness)."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from tabprep.clean import Cast, Cleaner, Clipper, SimpleImputer
from tabprep.features import CyclicalFeatures
from tabprep.scale import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

STEPS = [
    SimpleImputer(),
    SimpleImputer(strategy="median"),
    SimpleImputer(strategy="most_frequent"),
    SimpleImputer(strategy="constant", fill_value=0),
    SimpleImputer(add_indicator=True, keep_empty_features=True),
    StandardScaler(),
    StandardScaler(with_mean=False),
    MinMaxScaler(),
    MinMaxScaler(feature_range=(-1, 1), clip=True),
    MaxAbsScaler(),
    RobustScaler(),
    RobustScaler(unit_variance=True, quantile_range=(10.0, 90.0)),
    Clipper(),
    Clipper(method="iqr"),
    Clipper(method="fixed", lower=-1.0, upper=1.0),
    Cast(dtype="Float64"),
    Cleaner(),
    Cleaner(drop_if_constant=True, drop_null_fraction=0.5),
    CyclicalFeatures(),
    CyclicalFeatures(max_values={"x0": 10.0}, drop_original=True),
]
# Not here, by their nature: LagFeatures and WindowFeatures (a row's output depends on the rows
# before it, so scikit-learn's subset- and order-invariance checks cannot hold); DatetimeFeatures
# and DatetimeSubtraction (they take dates, and the checks give numeric arrays only);
# StringNormalizer (text only); NumbaTransformer (its inputs are named columns and its function a
# required parameter); deduplicate is a function (it changes the row count).

# No check needs an expected-failure entry: every step passes all of scikit-learn 1.9's checks
# (the array-API checks skip themselves unless SCIPY_ARRAY_API is set).


@parametrize_with_checks(STEPS)
def test_sklearn_compatible_step(estimator, check):
    check(estimator)
