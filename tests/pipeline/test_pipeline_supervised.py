"""Target-using and table-statistic steps inside a Pipeline: fit_table, cross fitting, artifacts."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from tabprep import Pipeline
from tabprep.bin import KBinsDiscretizer, SupervisedBinner
from tabprep.cli import main
from tabprep.encode import TargetEncoder, WOEEncoder
from tabprep.errors import ConfigError
from tabprep.pipeline import load
from tabprep.pipeline._spec import parse_spec
from tabprep.scale import StandardScaler


def _frame(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    cats = np.array([f"k{i}" for i in range(60)])
    c = rng.choice(cats, n)
    effect = {k: rng.normal() for k in cats}
    signal = np.array([effect[v] for v in c])
    x = rng.normal(size=n)
    return pl.DataFrame({
        "c": pl.Series(c).scatter([3, 10], None),
        "d": rng.choice(list("abcd"), n),
        "x": x,
        "z": rng.gamma(2.0, size=n),
        "fold": rng.integers(0, 4, n),
        "y": (signal + x + rng.normal(size=n) > 0).astype(np.int8),
        "y_cont": signal + rng.normal(size=n),
        "y_multi": rng.choice(["p", "q", "r"], n),
    })


@pytest.mark.parametrize("target", ["y", "y_cont", "y_multi"])
@pytest.mark.parametrize("cv", [5, "fold"])
def test_fit_transform_gives_the_encoders_own_out_of_fold_values(target, cv):
    df = _frame()
    step = TargetEncoder(cv=cv, shuffle=True, random_state=3)
    fitted, out = Pipeline([("te", step, ["c", "d"])]).fit_transform(df, target=target)
    X = df.select("c", "d", *(["fold"] if cv == "fold" else []))
    alone = TargetEncoder(cv=cv, shuffle=True, random_state=3)
    ref = alone.fit_transform(X, df[target])
    encoded = [n for n in ref.columns if n != "fold"]
    for name in encoded:
        np.testing.assert_array_equal(out[name].to_numpy(), ref[name].to_numpy())
    # the fitted step is the full fit: transform equals the encoder's own transform
    fitted_te = fitted.named_steps["te"]
    new = _frame(seed=1)
    full = alone.transform(new.select("c", "d"))
    got = fitted.transform(new)
    for name in full.columns:
        np.testing.assert_array_equal(got[name].to_numpy(), full[name].to_numpy())
    assert fitted_te.n_features_in_ == 2 and list(fitted_te.feature_names_in_) == ["c", "d"]
    # the other columns pass through; a fold column is training metadata: read to fit, but
    # neither a feature nor something new rows must carry
    assert {"x", "z"} <= set(out.columns) and out[target].to_list() == df[target].to_list()
    if cv == "fold":
        assert "fold" not in fitted.feature_names_out and "fold" not in fitted.input_schema
        served = fitted.transform(new.drop("fold", target))
        for name in full.columns:
            np.testing.assert_array_equal(served[name].to_numpy(), full[name].to_numpy())


def test_the_lazy_output_gives_each_row_its_own_out_of_fold_value(tmp_path):
    """The out-of-fold columns of a lazy fit_transform output (a file in, so a LazyFrame out) stay
    with their rows through slices, filters, streamed batches and a row count."""
    df = _frame()
    path = tmp_path / "train.parquet"
    df.write_parquet(path, row_group_size=700)
    steps = [("te", TargetEncoder(cv=5, shuffle=True, random_state=3), ["c", "d"]), ("sc", StandardScaler(), ["x"])]
    fitted, out = Pipeline(steps).fit_transform(str(path), target="y")
    assert isinstance(out, pl.LazyFrame)
    whole = out.collect()
    _, eager = Pipeline(steps).fit_transform(df, target="y")
    assert whole.equals(eager)
    assert out.select(pl.len()).collect().item() == df.height
    assert out.slice(1234, 50).collect().equals(whole.slice(1234, 50))
    assert out.tail(3).collect().equals(whole.tail(3))
    assert out.filter(pl.col("z") > 3).collect().equals(whole.filter(pl.col("z") > 3))
    batches = list(out.collect_batches(chunk_size=333, maintain_order=True))
    assert pl.concat(batches).equals(whole)


def test_later_phases_are_fitted_on_the_out_of_fold_values():
    df = _frame()
    pipe = Pipeline([("te", TargetEncoder(cv=4), "c"), ("scale", StandardScaler(), ["c", "x"])])
    fitted, out = pipe.fit_transform(df, target="y")
    assert fitted.fit_phases == [["te"], ["scale"]]
    oof = TargetEncoder(cv=4).fit_transform(df.select("c"), df["y"])["c"].to_numpy()
    scaler = fitted.named_steps["scale"]
    assert scaler.mean_[0] == pytest.approx(oof.mean(), rel=1e-12)
    np.testing.assert_allclose(out["c"].to_numpy(), (oof - oof.mean()) / oof.std(), rtol=1e-10)
    # Pipeline.fit is fit_transform without the output (scikit-learn's Pipeline.fit chains
    # fit_transform too): the scaler never sees the in-sample, leaky encodings
    full = TargetEncoder(cv=4).fit(df.select("c"), df["y"]).transform(df.select("c"))["c"].to_numpy()
    fitted_only = pipe.fit(df, target="y", lineage=False)
    assert fitted_only.named_steps["scale"].mean_[0] == pytest.approx(oof.mean(), rel=1e-12)
    assert fitted_only.named_steps["scale"].mean_[0] != pytest.approx(full.mean(), rel=1e-6)
    assert fitted_only.fingerprint == pipe.fit_transform(df, target="y", lineage=False)[0].fingerprint


def test_lazy_input_and_small_batches_give_the_same_result():
    df = _frame()
    pipe = Pipeline([("te", TargetEncoder(cv=5), ["c", "d"]), ("scale", StandardScaler(), ["c", "x"])])
    f1, out1 = pipe.fit_transform(df, target="y")
    f2, out2 = pipe.fit_transform(df.lazy(), target="y")
    assert isinstance(out2, pl.LazyFrame)
    assert out2.collect().equals(out1)
    assert f1.fingerprint == f2.fingerprint
    # batches: the buffered encoder columns give the same encodings; the scaler's merged moments
    # agree to rounding (Chan's merge)
    f3, out3 = pipe.fit_transform(df, target="y", batch_size=256)
    np.testing.assert_array_equal(out3["d"].to_numpy(), out1["d"].to_numpy())
    np.testing.assert_allclose(out3["c"].to_numpy(), out1["c"].to_numpy(), rtol=1e-12, atol=1e-12)


def test_no_leak_on_a_noise_target():
    # 1500 categories of ~2 rows each and a pure-noise target: the full fit memorizes each row's
    # label (high in-sample AUC), the out-of-fold values carry nothing (AUC ~ 0.5)
    rng = np.random.default_rng(7)
    n = 3000
    df = pl.DataFrame({"c": rng.integers(0, 1500, n).astype(str), "y": rng.integers(0, 2, n)})
    pipe = Pipeline([("te", TargetEncoder(cv=5, smooth=1.0), "c")])
    _, out = pipe.fit_transform(df, target="y")
    auc_oof = roc_auc_score(df["y"].to_numpy(), out["c"].to_numpy())
    leaky = pipe.fit(df, target="y").transform(df)
    auc_leak = roc_auc_score(df["y"].to_numpy(), leaky["c"].to_numpy())
    assert abs(auc_oof - 0.5) < 0.05
    assert auc_leak > 0.7


def test_supervised_binner_then_woe_chains_as_the_steps_alone():
    df = _frame()
    pipe = Pipeline([("bins", SupervisedBinner(max_bins=6), ["x", "z"]), ("woe", WOEEncoder(cv=5), ["x", "z"])])
    fitted, out = pipe.fit_transform(df, target="y")
    codes = SupervisedBinner(max_bins=6).fit(df.select("x", "z"), df["y"]).transform(df.select("x", "z"))
    ref = WOEEncoder(cv=5).fit_transform(codes, df["y"])
    for name in ("x", "z"):
        np.testing.assert_array_equal(out[name].to_numpy(), ref[name].to_numpy())
    assert fitted.fit_phases == [["bins"], ["woe"]]


def test_errors_name_the_problem():
    df = _frame()
    with pytest.raises(ConfigError, match="needs a target column"):
        Pipeline([("te", TargetEncoder(), "c")]).fit(df.drop("y", "y_cont", "y_multi"))
    with pytest.raises(ConfigError, match="fold column given as cv is also selected"):
        Pipeline([("te", TargetEncoder(cv="fold"), ["c", "fold"])]).fit(df, target="y")


def _all_steps():
    return Pipeline([
        ("bins", SupervisedBinner(max_bins=5), ["x"]),
        ("woe", WOEEncoder(cv=5), ["x"]),
        ("kbins", KBinsDiscretizer(4, encode="ordinal"), ["z"]),
        ("te", TargetEncoder(cv="fold"), ["c", "d"]),
    ])


def test_artifact_round_trip(tmp_path):
    df = _frame()
    fitted = _all_steps().fit(df.drop("y_cont", "y_multi"), target="y")
    loaded = load(fitted.save(tmp_path / "model"))
    assert loaded.fingerprint == fitted.fingerprint
    new = _frame(seed=2).drop("y_cont", "y_multi")
    assert loaded.transform(new).equals(fitted.transform(new))
    # fit_transform's fitted pipeline is the same data as fit's (only the returned rows differ)
    again, _ = _all_steps().fit_transform(df.drop("y_cont", "y_multi"), target="y")
    assert again.fingerprint == fitted.fingerprint


SPEC = """
target = "y"

[[steps]]
name = "bins"
type = "SupervisedBinner"
columns = ["x"]
params = { max_bins = 5 }

[[steps]]
name = "woe"
type = "WOEEncoder"
columns = ["x"]
params = { cv = 5 }

[[steps]]
name = "kbins"
type = "KBinsDiscretizer"
columns = ["z"]
params = { n_bins = 4, encode = "ordinal" }

[[steps]]
name = "te"
type = "TargetEncoder"
columns = ["c", "d"]
params = { cv = "fold" }
"""


def test_spec_through_the_cli(tmp_path, capsys):
    df = _frame().drop("y_cont", "y_multi")
    data = tmp_path / "train.parquet"
    df.write_parquet(data)
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    assert main(["fit", str(spec), str(data), "-o", str(tmp_path / "model"), "-q"]) == 0
    fitted = load(tmp_path / "model")
    python = _all_steps().fit(df, target="y")
    assert fitted.fingerprint == parse_spec(SPEC).fit(str(data)).fingerprint
    assert [type(s).__name__ for _, s, _ in fitted.steps] == [type(s).__name__ for _, s, _ in python.steps]
    out = tmp_path / "out.parquet"
    assert main(["transform", str(tmp_path / "model"), str(data), "-o", str(out), "-q",
                 "--allow-training-data"]) == 0  # in-sample on purpose: compared with Python
    assert pl.read_parquet(out).equals(python.transform(df))
    capsys.readouterr()


def test_a_minimal_table_step_fits_through_the_hook_in_both_faces():
    # a step with a whole-table statistic (here: the most frequent value per column, with ties
    # broken by value) written against the hook only: fit_table + transform_exprs
    from tabprep.pipeline import Step

    class FillMode(Step):
        fits_on_table = True
        mergeable = False

        def fit_table(self, frame, columns, target, *, cross_fit=False):
            self.feature_names_in_ = np.asarray(columns, dtype=object)
            self.n_features_in_ = len(columns)
            self.mode_ = [frame[c].drop_nulls().value_counts().sort(["count", c], descending=[True, False])[c][0]
                          for c in columns]
            return None

        def transform_exprs(self, schema):
            return [pl.col(c).fill_null(m) for c, m in zip(self._input_names(), self.mode_)]

    df = pl.DataFrame({"a": [1, 2, 2, None, 3], "b": ["u", None, "v", "v", "u"]})
    out = FillMode().fit_transform(df)
    assert out.rows() == [(1, "u"), (2, "u"), (2, "v"), (2, "v"), (3, "u")]
    fitted, piped = Pipeline([("mode", FillMode(), ["a", "b"])]).fit_transform(df.lazy(), batch_size=2)
    assert piped.collect().equals(out) and fitted.named_steps["mode"].mode_ == [2, "u"]
    # scikit-learn's set_output wrapping is off for every Step subclass (steps convert themselves)
    assert not hasattr(FillMode.transform, "__wrapped__") and FillMode._sklearn_auto_wrap_output_keys == set()
