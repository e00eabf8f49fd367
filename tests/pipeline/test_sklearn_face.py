"""The steps' scikit-learn face without a scikit-learn import (tabprep._base.estimator).

A step is defined without scikit-learn and linked to ``TransformerMixin``/``BaseEstimator`` when
``sklearn.base`` is imported. Checked here: the face itself against scikit-learn's own functions,
and, in fresh interpreters, both orders (tabprep first, then scikit-learn; and the reverse) give
the same working estimators.
"""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import polars as pl
import pytest
import sklearn
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.base import clone as sk_clone
from sklearn.utils._metadata_requests import SIMPLE_METHODS, _MetadataRequester

from tabprep._base.estimator import clone
from tabprep.encode import TargetEncoder
from tabprep.pipeline import Step, step_registry
from tabprep.scale import MinMaxScaler, StandardScaler
from tabprep.split import GroupKFold, KFold, StratifiedKFold, StratifiedGroupKFold, RepeatedKFold


def test_steps_are_sklearn_estimators_once_sklearn_is_imported():
    for cls in step_registry().values():
        assert issubclass(cls, BaseEstimator) and issubclass(cls, TransformerMixin), cls
    # the steps' own methods come first: scikit-learn's mixins only fill in what they lack
    assert StandardScaler.get_params is Step.get_params
    assert StandardScaler._sklearn_auto_wrap_output_keys == set()


def test_get_params_and_set_params_nested():
    te = TargetEncoder(cv=KFold(3), smooth=2.0)
    params = te.get_params()
    assert params["cv__n_splits"] == 3 and params["cv__shuffle"] is False and params["smooth"] == 2.0
    assert params == BaseEstimator.get_params(te)  # scikit-learn's own function gives the same
    assert te.set_params(cv__n_splits=4, smooth=1.0) is te
    assert te.cv.n_splits == 4 and te.smooth == 1.0
    with pytest.raises(ValueError, match="Invalid parameter 'nope' for estimator"):
        te.set_params(nope=1)
    assert StandardScaler.set_params(StandardScaler()) is not None  # no parameters: a no-op


def test_clone_is_sklearns():
    te = TargetEncoder(cv=StratifiedKFold(4, shuffle=True, random_state=3), smooth=0.5)
    te.set_output(transform="pandas")
    for made in (clone(te), sk_clone(te)):
        assert type(made) is TargetEncoder and made is not te
        assert made.get_params(deep=False).keys() == te.get_params(deep=False).keys()
        assert made.cv is not te.cv and made.cv.get_params() == te.cv.get_params()
        assert made._sklearn_output_config == {"transform": "pandas"}
    fitted = StandardScaler().fit(pl.DataFrame({"a": [1.0, 2.0]}))
    assert not hasattr(clone(fitted), "n_features_in_")
    assert clone([fitted, {"k": MinMaxScaler((0, 2))}], safe=True)[1]["k"].feature_range == (0, 2)
    with pytest.raises(TypeError, match="Cannot clone object"):
        clone(object())
    with pytest.raises(TypeError, match="instead of a class"):
        clone(StandardScaler)


def test_repr_and_pickle_are_sklearns():
    sc = MinMaxScaler(feature_range=(-1, 1), clip=True)
    assert repr(sc) == BaseEstimator.__repr__(sc) == "MinMaxScaler(clip=True, feature_range=(-1, 1))"
    frame = pl.DataFrame({"a": [1.0, 5.0, 3.0]})
    sc.fit(frame)
    state = sc.__getstate__()
    assert "_sklearn_version" not in state  # a step's state does not depend on scikit-learn
    again = pickle.loads(pickle.dumps(sc))
    assert again.transform(frame).equals(sc.transform(frame))


@pytest.mark.parametrize("cls", [*step_registry().values(), KFold, StratifiedKFold, GroupKFold,
                                 StratifiedGroupKFold, RepeatedKFold], ids=lambda c: c.__name__)
def test_metadata_requests_follow_sklearns_rule(cls):
    for method in SIMPLE_METHODS:
        ours = cls._get_class_level_metadata_request_values(method)
        theirs = _MetadataRequester._get_class_level_metadata_request_values.__func__(cls, method)
        assert ours == theirs, method
        assert (f"set_{method}_request" in dir(cls)) == bool(ours)


def test_sample_weight_is_routed_to_a_step_in_a_sklearn_pipeline():
    from sklearn.pipeline import make_pipeline

    X = np.array([["a"], ["b"], ["a"], ["b"], ["a"], ["b"]] * 5, dtype=object)
    y = np.tile([1.0, 0.0, 0.0, 1.0, 1.0, 1.0], 5)
    w = np.linspace(0.5, 2.0, y.size)
    with sklearn.config_context(enable_metadata_routing=True):
        te = TargetEncoder(target_type="continuous").set_fit_request(sample_weight=True)
        assert te.get_metadata_routing().fit.requests == {"sample_weight": True}
        pipe = make_pipeline(te).fit(X, y, sample_weight=w)
        direct = TargetEncoder(target_type="continuous").fit(X, y, sample_weight=w)
        np.testing.assert_array_equal(pipe[0].encodings_[0], direct.encodings_[0])
        unweighted = TargetEncoder(target_type="continuous").fit(X, y)
        assert not np.array_equal(unweighted.encodings_[0], direct.encodings_[0])
    with pytest.raises(RuntimeError, match="only available when metadata routing is enabled"):
        TargetEncoder().set_fit_request(sample_weight=True)


def test_groups_reach_a_group_splitter_through_routing():
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import cross_validate

    rng = np.random.default_rng(0)
    X, y, groups = rng.random((40, 2)), rng.random(40), np.repeat(np.arange(8), 5)
    with sklearn.config_context(enable_metadata_routing=True):
        got = cross_validate(LinearRegression(), X, y, cv=GroupKFold(4), params={"groups": groups},
                             return_indices=True)
    for test in got["indices"]["test"]:
        assert len(np.unique(groups[test])) == 2  # whole groups in each test fold


# Fresh interpreters: the order of the imports must not matter.
_LATE = """
import sys, warnings
warnings.simplefilter("error")
import numpy as np, polars as pl
from tabprep.pipeline import Step
from tabprep.scale import StandardScaler
from tabprep.split import KFold

class Doubler(Step):  # defined before scikit-learn exists in the process
    _parameter_constraints = {"factor": [float]}
    def __init__(self, factor=2.0):
        self.factor = factor
    def fit(self, X, y=None, sample_weight=None):
        self.seen_weight_ = sample_weight
        return super().fit(X, y)
    def fit_exprs(self, schema, columns, target):
        return {}
    def _finalize(self, stats, schema, columns):
        pass
    def transform_exprs(self, schema):
        return [(pl.col(c) * self.factor).alias(c) for c in self._input_names()]

assert "sklearn" not in sys.modules
before = repr(StandardScaler(with_mean=False))
import sklearn
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import check_estimator

assert isinstance(StandardScaler(), BaseEstimator) and isinstance(Doubler(), TransformerMixin)
assert before == repr(StandardScaler(with_mean=False)) == "StandardScaler(with_mean=False)"

class Tripler(Doubler):  # defined after: scikit-learn's set_output mixin must not wrap it
    def __init__(self, factor=3.0):
        self.factor = factor
assert Tripler._sklearn_auto_wrap_output_keys == set() and "transform" not in Tripler.__dict__

from sklearn.exceptions import SkipTestWarning
with warnings.catch_warnings():  # the array-API checks skip themselves; every other warning is an error
    warnings.simplefilter("ignore", SkipTestWarning)
    check_estimator(StandardScaler())
rng = np.random.default_rng(0)
X = rng.normal(size=(60, 3)); y = X @ [1.0, 2.0, 3.0]
print(round(float(cross_val_score(make_pipeline(Doubler(), LinearRegression()), X, y, cv=KFold(3)).mean()), 6))
search = GridSearchCV(make_pipeline(Doubler(), LinearRegression()), {"doubler__factor": [1.0, 4.0]}, cv=KFold(3))
search.fit(X, y)
print(sorted(search.cv_results_["param_doubler__factor"].tolist()))
ct = ColumnTransformer([("s", StandardScaler(), [0, 1])]).set_output(transform="pandas")
print(type(ct.fit_transform(X)).__name__)
print(type(StandardScaler().set_output(transform="polars").fit_transform(X)).__name__)
w = np.arange(60.0)
with sklearn.config_context(enable_metadata_routing=True):
    pipe = make_pipeline(Doubler().set_fit_request(sample_weight=True), LinearRegression().set_fit_request(sample_weight=False))
    pipe.fit(X, y, sample_weight=w)
    print(pipe[0].seen_weight_ is w)
print(type(clone(Tripler())).__name__, clone(Tripler()).factor)
"""


def run_fresh(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_sklearn_imported_after_the_steps():
    out = run_fresh(_LATE).split("\n")
    assert out[0] == "1.0"  # a perfect linear fit, the step scaling the features
    assert out[1:6] == ["[1.0, 4.0]", "DataFrame", "DataFrame", "True", "Tripler 3.0"]


def test_sklearn_imported_before_the_steps():
    # the same program with scikit-learn already imported when tabprep defines its classes
    code = _LATE.replace('assert "sklearn" not in sys.modules\n', "")
    out = run_fresh("import sklearn.base\n" + code).split("\n")
    assert out[:6] == ["1.0", "[1.0, 4.0]", "DataFrame", "DataFrame", "True", "Tripler 3.0"]
