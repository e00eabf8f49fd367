"""The Step contract: registry, serialization, scikit-learn face, input/output containers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from tabprep.clean import Cast, Clipper, SimpleImputer
from tabprep.errors import ArtifactError, NotFittedError, SchemaError
from tabprep.pipeline import Step, register_step, step_registry
from tabprep.pipeline._registry import BUILTIN_STEPS
from tabprep.scale import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

ALL = [SimpleImputer(), SimpleImputer(strategy="most_frequent", add_indicator=True), SimpleImputer(strategy="constant"),
       StandardScaler(), StandardScaler(with_std=False), MinMaxScaler(feature_range=(-3, 3), clip=True),
       MaxAbsScaler(), RobustScaler(unit_variance=True), Clipper(), Clipper(method="fixed", lower=0),
       Cast(dtype="Float32")]


@pytest.fixture
def frame():
    rng = np.random.default_rng(5)
    a = rng.normal(size=60)
    a[::7] = np.nan
    return pl.DataFrame({"a": a, "b": rng.integers(-5, 5, 60).astype(float)}).with_columns(pl.col("a").fill_nan(None))


def test_registry_holds_exactly_the_builtin_steps():
    """Every public step class of the step packages is registered, and nothing else is."""
    import inspect

    import tabprep.bin
    import tabprep.clean
    import tabprep.encode
    import tabprep.features
    import tabprep.scale

    packages = (tabprep.bin, tabprep.clean, tabprep.encode, tabprep.features, tabprep.scale)
    public = {name: getattr(pkg, name) for pkg in packages
              for name in pkg.__all__
              if inspect.isclass(getattr(pkg, name)) and issubclass(getattr(pkg, name), Step)}
    assert len(public) >= 16
    builtin = {n: c for n, c in step_registry().items() if c.__module__.startswith("tabprep.")}
    assert builtin == public
    # the table step_class imports from names each built-in step's own module
    assert BUILTIN_STEPS == {n: c.__module__ for n, c in builtin.items()}


def test_register_step_refuses_a_second_class_of_the_same_name():
    with pytest.raises(TypeError, match="already registered"):
        register_step(type("StandardScaler", (Step,), {"__module__": "elsewhere"}))
    with pytest.raises(TypeError, match="decorates Step subclasses"):
        register_step(int)


@pytest.mark.parametrize("step", ALL, ids=repr)
def test_to_dict_from_dict_round_trip(step, frame):
    fitted = step.fit(frame)
    d = fitted.to_dict()
    assert set(d) == {"type", "version", "params", "state", "tables"}
    text = json.dumps({k: v for k, v in d.items() if k != "tables"}, allow_nan=False)
    again = Step.from_dict(json.loads(text) | {"tables": d["tables"]})
    assert type(again) is type(fitted) and repr(again.get_params()) == repr(fitted.get_params())
    assert again.transform(frame).equals(fitted.transform(frame))
    assert json.dumps({k: v for k, v in again.to_dict().items() if k != "tables"}, allow_nan=False) == text


def test_unfitted_round_trip_and_errors():
    d = MinMaxScaler(feature_range=(2, 5)).to_dict()
    assert d["state"] == {} and Step.from_dict(d).feature_range == (2, 5)
    with pytest.raises(ArtifactError, match="unknown step type 'Nope'"):
        Step.from_dict(d | {"type": "Nope"})
    with pytest.raises(ArtifactError, match="unsupported MinMaxScaler state version 2"):
        Step.from_dict(d | {"version": 2})
    with pytest.raises(ArtifactError, match="needs the keys"):
        Step.from_dict({"type": "MinMaxScaler"})
    with pytest.raises(ArtifactError, match="invalid parameters"):
        Step.from_dict(d | {"params": {"feature_range": {"$tuple": [5, 2]}}})
    with pytest.raises(ArtifactError, match="invalid parameters"):
        Step.from_dict(d | {"params": {"evil": 1}})
    with pytest.raises(ArtifactError, match="is not a StandardScaler"):
        StandardScaler.from_dict(d)
    fitted = StandardScaler().fit(np.eye(2)).to_dict()
    with pytest.raises(ArtifactError, match="invalid state"):
        Step.from_dict(fitted | {"state": {"n_features_in": 2, "feature_names_in": None}})


def test_not_fitted():
    with pytest.raises(NotFittedError, match="This StandardScaler instance is not fitted yet"):
        StandardScaler().transform(np.eye(2))
    with pytest.raises(NotFittedError):
        StandardScaler().get_feature_names_out()


def test_feature_names_follow_sklearn(frame):
    sc = StandardScaler().fit(frame)
    assert list(sc.feature_names_in_) == ["a", "b"] and sc.n_features_in_ == 2
    arr = StandardScaler().fit(frame.to_numpy())
    assert not hasattr(arr, "feature_names_in_")
    assert list(arr.get_feature_names_out()) == ["x0", "x1"]
    assert list(arr.get_feature_names_out(["p", "q"])) == ["p", "q"]
    imp = SimpleImputer(add_indicator=True).fit(frame)
    assert list(imp.get_feature_names_out()) == ["a", "b", "missingindicator_a"]


def test_positional_input_and_wrong_width(frame):
    sc = StandardScaler().fit(frame)
    by_pos = sc.transform(frame.to_numpy())
    assert_allclose(by_pos, sc.transform(frame).to_numpy(), equal_nan=True)
    with pytest.raises(SchemaError, match="X has 1 features, but StandardScaler is expecting 2 features as input."):
        sc.transform(frame.to_numpy()[:, :1])
    with pytest.raises(SchemaError, match="column 'b'"):
        sc.transform(frame.select("a"))


def test_input_kinds_give_the_same_numbers(frame):
    sc = MinMaxScaler().fit(frame)
    want = sc.transform(frame).to_numpy()
    pdf = frame.to_pandas()
    for X, kind in ((pdf, pd.DataFrame), (frame.to_arrow(), pa.Table), (frame.lazy(), pl.LazyFrame), (frame.to_numpy(), np.ndarray)):
        out = sc.transform(X)
        assert isinstance(out, kind)
        got = out.collect() if isinstance(out, pl.LazyFrame) else out
        got = got if isinstance(got, np.ndarray) else (pl.from_arrow(got) if isinstance(got, pa.Table) else pl.DataFrame(got)).to_numpy()
        assert_allclose(got, want, equal_nan=True)


def test_set_output(frame):
    sc = StandardScaler().set_output(transform="pandas").fit(frame.to_numpy())
    out = sc.transform(frame.to_numpy())
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["x0", "x1"]
    pol = StandardScaler().set_output(transform="polars").fit(frame.to_pandas())
    assert isinstance(pol.transform(frame.to_pandas()), pl.DataFrame)
    with pytest.raises(ValueError):
        StandardScaler().set_output(transform="arrow")


def test_drops_into_sklearn_pipeline_and_column_transformer(frame):
    import sklearn.impute as ski
    import sklearn.preprocessing as skp

    rng = np.random.default_rng(0)
    s = rng.choice(["u", "v", None], frame.height)
    pdf = frame.to_pandas().assign(s=pd.Series(s, dtype=object))
    y = (frame["b"].to_numpy() > 0).astype(int)

    def column_transformer(imp, sc):
        return ColumnTransformer([("num", make_pipeline(imp(), sc()), ["a", "b"]),
                                  ("cat", imp(strategy="most_frequent", missing_values=None), ["s"])])

    ours = column_transformer(SimpleImputer, StandardScaler)
    Xt = ours.fit_transform(pdf)
    ref = column_transformer(ski.SimpleImputer, skp.StandardScaler).fit_transform(pdf)
    assert Xt.shape == ref.shape == (frame.height, 3)
    assert_allclose(Xt[:, :2].astype(float), ref[:, :2].astype(float), rtol=1e-12, atol=1e-12)
    assert list(Xt[:, 2]) == list(ref[:, 2])
    assert list(ours.get_feature_names_out()) == ["num__a", "num__b", "cat__s"]
    model = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression()).fit(frame.to_pandas(), y)
    sk_model = make_pipeline(ski.SimpleImputer(), skp.StandardScaler(), LogisticRegression()).fit(frame.to_pandas(), y)
    assert_allclose(model[-1].coef_, sk_model[-1].coef_, rtol=1e-8)


def test_fit_returns_self_and_refit_resets(frame):
    sc = StandardScaler()
    assert sc.fit(frame) is sc
    sc.fit(frame.select("a"))
    assert sc.n_features_in_ == 1 and sc.mean_.shape == (1,)
    assert_array_equal(sc.mean_, StandardScaler().fit(frame.select("a")).mean_)


class _CenterByTargetMedian(Step):
    """A toy supervised, non-mergeable step: x - median(y) (exercises the target plumbing)."""

    uses_target = True
    mergeable = False
    _parameter_constraints: dict = {}

    def fit_exprs(self, schema, columns, target):
        return {"median:y": pl.col(target).median(), "count:y": pl.col(target).count()}

    def _finalize(self, stats, schema, columns):
        self.shift_ = stats["median:y"]
        self.n_target_ = stats["count:y"]

    def transform_exprs(self, schema):
        return [(pl.col(c) - self.shift_).alias(c) for c in self._input_names()]


def test_supervised_step_sees_the_target_standalone_and_in_a_pipeline():
    X = pl.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]})
    y = np.array([10.0, np.nan, 30.0, 20.0])  # NaN target = missing, like null
    step = _CenterByTargetMedian().fit(X, y)
    assert (step.shift_, step.n_target_) == (20.0, 3)
    assert step.transform(X)["a"].to_list() == [-19.0, -18.0, -17.0, -16.0]
    from tabprep import Pipeline

    fitted = Pipeline([("c", _CenterByTargetMedian(), None)]).fit(X.with_columns(t=pl.Series(y)), target="t", batch_size=2)
    assert fitted.steps[0][2] == ["a"] and fitted.steps[0][1].shift_ == 20.0


def test_eager_transforms_with_kernels_collect_in_memory():
    # kernel-per-batch transforms, and the infinity checks of scalers and imputers, are called
    # once per column by the in-memory engine (the streaming one would call them once per
    # morsel); expression chains without a call keep the default. The engine is read off the
    # transform's plan, so this pins that the calls show up in it.
    from tabprep import Pipeline
    from tabprep.bin import KBinsDiscretizer
    from tabprep.clean import SimpleImputer
    from tabprep.encode import OneHotEncoder, OrdinalEncoder
    from tabprep._base.fit import collect_engine
    from tabprep.scale import StandardScaler

    df = pl.DataFrame({"a": [1.0, None, 3.0, 4.0, 5.0, 6.0], "c": ["x", "y", "x", "z", "y", "x"]})

    def engine(*steps):
        lf = Pipeline([(f"s{i}", s, cols) for i, (s, cols) in enumerate(steps)]).fit(df).transform(df.lazy())
        return collect_engine(lf)

    assert engine((SimpleImputer(), ["a"]), (StandardScaler(), ["a"])) == "in-memory"  # the checks
    assert engine((SimpleImputer(strategy="most_frequent"), ["c"])) == "auto"  # a string column: no check
    assert engine((SimpleImputer(), ["a"]), (KBinsDiscretizer(n_bins=2, encode="ordinal"), ["a"])) == "in-memory"
    # bins one-hot by comparisons (expressions, no kernel): the imputer's check decides
    assert engine((SimpleImputer(), ["a"]), (KBinsDiscretizer(n_bins=2, encode="onehot"), ["a"])) == "in-memory"
    assert engine((OrdinalEncoder(), ["c"])) == "in-memory"
    # several outputs of one input column (one-hot): the morsels, even beside a single-output kernel
    assert engine((OneHotEncoder(sparse_output=False), ["c"])) == "auto"
    assert engine((KBinsDiscretizer(n_bins=2, encode="ordinal"), ["a"]), (OneHotEncoder(sparse_output=False), ["c"])) == "auto"
    assert engine((OrdinalEncoder(), ["c"]), (KBinsDiscretizer(n_bins=2, encode="ordinal"), ["a"])) == "in-memory"
