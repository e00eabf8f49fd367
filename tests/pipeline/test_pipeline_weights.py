"""Issue 12: Pipeline.fit(sample_weight=) routed to the steps whose fit takes it, and tabprep
steps inside scikit-learn's Pipeline with metadata routing."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st

from tabprep import Pipeline
from tabprep.bin import KBinsDiscretizer
from tabprep.clean import SimpleImputer
from tabprep.encode import OneHotEncoder, TargetEncoder
from tabprep.errors import ConfigError, DataError, SchemaError


def _frame(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    a[rng.random(n) < 0.1] = np.nan
    return pl.DataFrame({"a": a, "b": rng.normal(size=n), "c": rng.choice(list("abcd"), n),
                         "y": rng.integers(0, 2, n), "w": rng.choice([0.0, 0.5, 1.0, 3.0], n)},
                        nan_to_null=True)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), batch=st.sampled_from([None, 7, 64]), as_column=st.booleans())
def test_weights_reach_each_step_that_takes_them(seed, batch, as_column):
    df = _frame(200, seed)
    weights = "w" if as_column else df["w"].to_numpy()
    pipe = Pipeline([("impute", SimpleImputer(), "a"),
                     ("bins", KBinsDiscretizer(4, encode="ordinal", subsample=None), ["a", "b"]),
                     ("te", TargetEncoder(cv=3), "c")])
    fitted, out = pipe.fit_transform(df, target="y", sample_weight=weights, batch_size=batch)
    steps = dict((name, step) for name, step, _ in fitted.steps)
    # each step equals its own fit on the same (imputed) input with the same weights
    imputed = steps["impute"].transform(df.select("a"))
    kb = KBinsDiscretizer(4, encode="ordinal", subsample=None).fit(
        pl.DataFrame({"a": imputed["a"], "b": df["b"]}), sample_weight=df["w"].to_numpy())
    for got, want in zip(steps["bins"].bin_edges_, kb.bin_edges_):
        np.testing.assert_array_equal(got, want)
    te = TargetEncoder(cv=3)
    oof = te.fit_transform(df.select("c"), df["y"], sample_weight=df["w"].to_numpy())
    np.testing.assert_array_equal(steps["te"].encodings_[0], te.encodings_[0])
    np.testing.assert_array_equal(out["c"].to_numpy(), oof["c"].to_numpy())
    # a weight column is training metadata: not an input of the fitted pipeline, not an output
    assert ("w" in fitted.input_schema) is (not as_column)
    assert ("w" in out.columns) is (not as_column)


def test_a_lazy_source_reads_the_weights_in_the_same_pass(tmp_path):
    df = _frame(300, 1)
    path = tmp_path / "d.parquet"
    df.write_parquet(path)
    pipe = Pipeline([("bins", KBinsDiscretizer(3, encode="ordinal", strategy="uniform", subsample=None), ["a", "b"])])
    lazy = pipe.fit(pl.scan_parquet(path), sample_weight="w", batch_size=50, lineage=False)
    eager = pipe.fit(df, sample_weight="w", lineage=False)
    want = KBinsDiscretizer(3, encode="ordinal", strategy="uniform", subsample=None).fit(
        df.select("a", "b"), sample_weight=df["w"].to_numpy())
    for fitted in (lazy, eager):
        for got, exp in zip(fitted.steps[0][1].bin_edges_, want.bin_edges_):
            np.testing.assert_array_equal(got, exp)


def test_routing_errors():
    df = _frame(50, 2)
    with pytest.raises(ConfigError, match="no step of the Pipeline takes it"):
        Pipeline([("impute", SimpleImputer(), "a")]).fit(df, sample_weight="w")
    with pytest.raises(SchemaError, match="sample_weight column"):
        Pipeline([("bins", KBinsDiscretizer(), "b")]).fit(df, sample_weight="nope")
    with pytest.raises(DataError, match="one weight per row"):
        Pipeline([("bins", KBinsDiscretizer(), "b")]).fit(df, sample_weight=np.ones(3))
    with pytest.raises(DataError, match="finite and >= 0"):
        Pipeline([("bins", KBinsDiscretizer(), "b")]).fit(df.with_columns(w=-pl.col("w") - 1), sample_weight="w")

    class EagerWeights(SimpleImputer):  # a fit that takes weights the statistics pass cannot read
        def fit(self, X, y=None, sample_weight=None):
            return super().fit(X, y)

    with pytest.raises(ConfigError, match="statistics pass cannot read a weight column"):
        Pipeline([("x", EagerWeights(), "a"), ("bins", KBinsDiscretizer(), "b")]).fit(df, sample_weight="w")
    # declined with scikit-learn's request API: fitted unweighted
    with sklearn.config_context(enable_metadata_routing=True):
        declined = KBinsDiscretizer(3, encode="ordinal", subsample=None).set_fit_request(sample_weight=False)
        takes = KBinsDiscretizer(3, encode="ordinal", subsample=None)
    fitted = Pipeline([("no", declined, "a"), ("yes", takes, "b")]).fit(df, sample_weight="w")
    plain = KBinsDiscretizer(3, encode="ordinal", subsample=None).fit(df.select("a"))
    np.testing.assert_array_equal(fitted.steps[0][1].bin_edges_[0], plain.bin_edges_[0])


def test_tabprep_steps_in_scikit_learns_pipeline_with_metadata_routing():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import KBinsDiscretizer as SkKBins

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    w = rng.random(300)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(KBinsDiscretizer(encode="ordinal").set_fit_request(sample_weight=True),
                             OneHotEncoder(sparse_output=False),
                             LogisticRegression().set_fit_request(sample_weight=True))
        pipe.fit(X, y, sample_weight=w)
        theirs = make_pipeline(SkKBins(encode="ordinal").set_fit_request(sample_weight=True),
                               sklearn.preprocessing.OneHotEncoder(sparse_output=False),
                               LogisticRegression().set_fit_request(sample_weight=True))
        theirs.fit(X, y, sample_weight=w)
        np.testing.assert_allclose(pipe.predict_proba(X), theirs.predict_proba(X), rtol=0, atol=1e-12)
        # a consumer whose request is unset: scikit-learn's routing error
        unset = make_pipeline(KBinsDiscretizer(encode="ordinal"),
                              LogisticRegression().set_fit_request(sample_weight=True))
        with pytest.raises(sklearn.exceptions.UnsetMetadataPassedError):
            unset.fit(X, y, sample_weight=w)
        te = make_pipeline(TargetEncoder(cv=3).set_fit_request(sample_weight=True),
                           LogisticRegression().set_fit_request(sample_weight=False))
        te.fit(np.round(X).astype(int), y, sample_weight=w)


def test_weighted_scaler_after_an_imputer_is_not_fused_with_the_fill():
    """The planner fuses a scaler with the imputer before it (the filled cells merged in as one
    block); weighted, the filled cells need their weights, so the scaler gets its own pass."""
    import numpy as np
    import polars as pl

    from tabprep import Pipeline
    from tabprep.clean import SimpleImputer
    from tabprep.scale import StandardScaler

    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    x[rng.random(200) < 0.3] = np.nan
    df = pl.DataFrame({"x": x, "w": rng.random(200) * 3})
    fitted = Pipeline([("imp", SimpleImputer(strategy="mean"), ["x"]), ("sc", StandardScaler(), ["x"])]).fit(
        df, sample_weight="w")
    filled = SimpleImputer(strategy="mean").fit_transform(df.select("x"))
    alone = StandardScaler().fit(filled, sample_weight=df["w"].to_numpy())
    sc = fitted.named_steps["sc"]
    np.testing.assert_allclose(sc.mean_, alone.mean_, rtol=1e-13)
    np.testing.assert_allclose(sc.var_, alone.var_, rtol=1e-13)
