"""Pipeline planner: phases, column selection, target handling, schema checks, round trips."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import polars as pl
import polars.selectors as cs
import pyarrow as pa
import pytest
from numpy.testing import assert_allclose

from tabprep import FittedPipeline, Pipeline
from tabprep.clean import Cast, Clipper, SimpleImputer
from tabprep.errors import ArtifactError, ConfigError, DataError, SchemaError
from tabprep.pipeline import Step
from tabprep.scale import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler


@pytest.fixture
def df():
    rng = np.random.default_rng(0)
    n = 500
    a = rng.normal(10, 3, n)
    a[rng.random(n) < 0.1] = np.nan
    return pl.DataFrame({
        "a": a, "b": rng.integers(0, 100, n), "c": rng.lognormal(size=n),
        "s": rng.choice(["x", "y", None], n), "y": rng.integers(0, 2, n).astype(np.int8),
    }).with_columns(pl.col("a").fill_nan(None))


def _sequential(df, steps, target=None):
    """Oracle: fit each step standalone on the materialized output of the previous ones."""
    out = df
    for _, step, cols in steps:
        fitted = step.__class__(**step.get_params()).fit(out.select(cols))
        res = fitted.transform(out.select(cols))
        out = out.with_columns(res).drop([c for c in cols if c not in res.columns])
    return out


def test_independent_steps_share_one_phase(df):
    pipe = Pipeline([("s1", StandardScaler(), "a"), ("s2", MinMaxScaler(), ["b"]), ("s3", RobustScaler(), "c")])
    fitted = pipe.fit(df, target="y")
    assert fitted.fit_phases == [["s1", "s2", "s3"]]


def test_dependent_steps_go_to_later_phases_and_match_sequential_fit(df):
    steps = [
        ("imp", SimpleImputer(), ["a"]),
        ("clip", Clipper(method="iqr"), ["c"]),
        ("scale_a", MinMaxScaler(), ["a"]),         # reads imp's output -> phase 2
        ("scale_b", MaxAbsScaler(), "b"),           # independent -> phase 1
        ("mm_c", MinMaxScaler(), ["c"]),            # reads clip's output -> phase 2
    ]
    fitted = Pipeline(steps).fit(df, target="y")
    assert fitted.fit_phases == [["imp", "clip"], ["scale_a", "scale_b", "mm_c"]]
    got = fitted.transform(df)
    want = _sequential(df, steps)
    assert got.columns == ["a", "b", "c", "s", "y"]
    for c in ("a", "b", "c"):
        assert_allclose(got[c].to_numpy(), want[c].to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent", "constant"])
@pytest.mark.parametrize("batch_size", [None, 7, 64])
def test_fill_then_standard_scale_is_one_phase_and_matches_sequential_fit(df, strategy, batch_size):
    # the imputer only fills a's missing cells, so the scaler's moments come from the same pass
    # (raw column + the filled cells merged in as a block) and equal a fit on the imputed column
    x = df.with_columns(pl.col("a").fill_null(float("nan")).alias("nan_a"))  # NaN is missing too
    steps = [("imp", SimpleImputer(strategy=strategy, fill_value=-2.5), ["a", "c", "nan_a"]),
             ("sc", StandardScaler(), ["a", "nan_a"]), ("mm", MinMaxScaler(), ["c"])]
    fitted = Pipeline(steps).fit(x, target="y", batch_size=batch_size, lineage=False)
    assert fitted.fit_phases == [["imp", "sc"], ["mm"]]  # mm reads c after imp: not fusable
    want = _sequential(x, steps)
    sc = fitted.steps[1][1]
    ref = StandardScaler().fit(SimpleImputer(strategy=strategy, fill_value=-2.5).fit_transform(x.select("a", "nan_a")))
    assert_allclose(sc.mean_, ref.mean_, rtol=1e-13)
    assert_allclose(sc.var_, ref.var_, rtol=1e-13)
    assert sc.n_samples_seen_ == x.height  # every cell counts once filled
    got = fitted.transform(x)
    for c in ("a", "nan_a", "c"):  # values near 0 (the filled mean) differ by rounding only
        assert_allclose(got[c].to_numpy(), want[c].to_numpy(), rtol=1e-12, atol=1e-12)


def test_fill_fusion_is_skipped_where_the_fill_is_not_plain(df):
    # an Int column imputed with its mean becomes Float64 (not the same column any more); a value
    # marker fills cells the scaler's statistics do not skip; an indicator-free imputer that
    # drops an all-missing column makes the scaler fail exactly as without fusion
    x = df.with_columns(pl.col("b").cast(pl.Int64), pl.when(pl.col("c") > 2).then(-1.0).otherwise(pl.col("c")).alias("m"))
    fitted = Pipeline([("imp", SimpleImputer(), ["b"]), ("sc", StandardScaler(), ["b"])]).fit(x, lineage=False)
    assert fitted.fit_phases == [["imp"], ["sc"]]
    fitted = Pipeline([("imp", SimpleImputer(missing_values=-1.0), ["m"]), ("sc", StandardScaler(), ["m"])]).fit(x, lineage=False)
    assert fitted.fit_phases == [["imp"], ["sc"]]
    want = StandardScaler().fit(SimpleImputer(missing_values=-1.0).fit_transform(x.select("m")))
    assert_allclose(fitted.steps[1][1].mean_, want.mean_, rtol=1e-13)


def test_fill_fusion_falls_back_to_a_later_pass_when_a_filled_column_is_dropped(df):
    # imp drops the all-missing column e: sc, fused with imp, is planned again on a later pass
    # and fails there exactly as a step that was never fused (MinMaxScaler) does
    empty = df.with_columns(pl.lit(None, dtype=pl.Float64).alias("e"))
    errors = []
    for later in (StandardScaler(), MinMaxScaler()):
        with pytest.warns(UserWarning, match="without any observed values"), pytest.raises(SchemaError) as err:
            Pipeline([("imp", SimpleImputer(), ["a", "e"]), ("later", later, ["a", "e"])]).fit(empty, lineage=False)
        errors.append(str(err.value))
    assert "'e'" in errors[0] and errors[0] == errors[1]


def test_one_to_one_steps_nested_into_one_layer_give_the_same_bits(df):
    # FittedPipeline.transform nests consecutive one-to-one steps (inline_exprs) into one
    # with_columns; the output must be bit for bit the step-by-step chain's
    from tabprep._base.fit import apply_step

    x = df.with_columns(pl.col("c").cast(pl.Float32).alias("f"), pl.col("a").fill_null(float("nan")).alias("n"))
    steps = [("imp", SimpleImputer(), ["a", "f", "n"]), ("sc", StandardScaler(), ["a", "f"]),
             ("mm", MinMaxScaler(clip=True), ["n", "c"]), ("ind", SimpleImputer(add_indicator=True), ["b"]),
             ("ma", MaxAbsScaler(), ["a", "b"]), ("rs", RobustScaler(), ["f"]),
             ("imp2", SimpleImputer(strategy="constant", fill_value="?"), "s")]
    fitted = Pipeline(steps).fit(x, target="y", lineage=False)
    lf = x.lazy().select([*fitted.input_schema.names(), "y"])
    for (_, step, cols), sch in zip(fitted.steps, fitted._schemas):
        lf = apply_step(lf, step, cols, sch)
    want = lf.select([*fitted.feature_names_out, "y"]).collect()
    got = fitted.transform(x)
    assert got.schema == want.schema
    assert got.equals(want)


def test_dynamic_selector_after_unpredictable_step_waits(df):
    steps = [("imp", SimpleImputer(add_indicator=True), ["a"]), ("mm", MinMaxScaler(), cs.numeric())]
    fitted = Pipeline(steps).fit(df, target="y")
    assert fitted.fit_phases == [["imp"], ["mm"]]
    # the numeric selector saw the frame after imputation: a, b, c (not the Boolean indicator, not y)
    assert fitted.steps[1][2] == ["a", "b", "c"]
    assert fitted.feature_names_out == ["a", "b", "c", "s", "missingindicator_a"]


def test_dynamic_selector_after_predictable_step_is_fused(df):
    steps = [("cast", Cast({"b": "Float32"}), ["b"]), ("sc", StandardScaler(), pl.Float64)]
    fitted = Pipeline(steps).fit(df, target="y")
    assert fitted.fit_phases == [["cast", "sc"]]
    assert fitted.steps[1][2] == ["a", "c"]  # b became Float32 before sc selected Float64 columns
    steps = [("cast", Cast({"b": "Float64"}), ["b"]), ("sc", StandardScaler(), pl.Float64)]
    fitted = Pipeline(steps).fit(df, target="y")
    assert fitted.fit_phases == [["cast"], ["sc"]]  # sc reads the cast column -> later phase
    assert fitted.steps[1][2] == ["a", "b", "c"]


def test_named_column_created_by_an_earlier_step(df):
    steps = [("imp", SimpleImputer(add_indicator=True), ["a"]), ("cast", Cast(dtype="Int8"), "missingindicator_a")]
    fitted = Pipeline(steps).fit(df)
    assert fitted.fit_phases == [["imp"], ["cast"]]
    assert fitted.output_schema["missingindicator_a"] == pl.Int8


def test_regex_selector_and_target_exclusion(df):
    fitted = Pipeline([("sc", StandardScaler(), "^[abc]$")]).fit(df, target="y")
    assert fitted.steps[0][2] == ["a", "b", "c"]
    fitted = Pipeline([("sc", MaxAbsScaler(), None)]).fit(df.drop("s"), target="y")
    assert fitted.steps[0][2] == ["a", "b", "c"]


def test_target_passes_through_and_is_optional(df):
    fitted = Pipeline([("sc", StandardScaler(), ["a", "c"])]).fit(df, target="y")
    assert "y" not in fitted.input_schema and fitted.target == "y"
    with_y = fitted.transform(df)
    assert with_y.columns[-1] == "y" and with_y["y"].equals(df["y"])
    without = fitted.transform(df.drop("y"))
    assert without.columns == fitted.feature_names_out == ["a", "b", "c", "s"]


def test_naming_the_target_is_an_error(df):
    with pytest.raises(ConfigError, match="'y' is the target"):
        Pipeline([("sc", StandardScaler(), ["a", "y"])]).fit(df, target="y")
    with pytest.raises(SchemaError, match="column 'nope': target column not found"):
        Pipeline([("sc", StandardScaler(), "a")]).fit(df, target="nope")


def test_transform_checks_the_schema(df):
    fitted = Pipeline([("sc", StandardScaler(), ["a"])]).fit(df, target="y")
    with pytest.raises(SchemaError, match="column 'a': column missing.*dtype Float64"):
        fitted.transform(df.drop("a"))
    # a column no step reads is passed through when present, and not required (issue 11)
    assert "b" in fitted.passthrough and "b" not in fitted.feature_columns
    without = fitted.transform(df.drop("b"))
    assert without.columns == [c for c in fitted.transform(df).columns if c != "b"]
    with pytest.raises(SchemaError, match="column 'b': dtype differs"):
        fitted.transform(df.with_columns(pl.col("b").cast(pl.Float32)))
    with pytest.raises(SchemaError, match="column 'a': dtype differs.*found Float32, expected Float64"):
        fitted.transform(df.with_columns(pl.col("a").cast(pl.Float32)))
    extra = fitted.transform(df.with_columns(z=pl.lit(1)))
    assert "z" not in extra.columns


def test_output_container_follows_input(df):
    fitted = Pipeline([("sc", StandardScaler(), ["a", "b", "c"])]).fit(df.drop("s", "y"))
    base = fitted.transform(df.drop("s", "y"))
    lazy = fitted.transform(df.drop("s", "y").lazy())
    assert isinstance(lazy, pl.LazyFrame) and lazy.collect().equals(base)
    pdf = df.drop("s", "y").to_pandas()
    pdf.index = pdf.index + 100
    out = fitted.transform(pdf)
    assert isinstance(out, pd.DataFrame) and list(out.index) == list(pdf.index)
    assert_allclose(out.to_numpy(), base.to_numpy(), equal_nan=True)
    assert isinstance(fitted.transform(df.drop("s", "y").to_arrow()), pa.Table)


def test_numpy_in_numpy_out():
    X = np.array([[1.0, 2.0], [3.0, np.nan], [5.0, 6.0]])
    fitted = Pipeline([("imp", SimpleImputer(), None), ("sc", StandardScaler(), None)]).fit(X)
    assert list(fitted.input_schema) == ["x0", "x1"]
    out = fitted.transform(X)
    from sklearn.impute import SimpleImputer as SkImp
    from sklearn.preprocessing import StandardScaler as SkSc

    assert_allclose(out, SkSc().fit_transform(SkImp().fit_transform(X)), rtol=1e-12)


def test_fit_transform_returns_fitted_and_output(df):
    fitted, out = Pipeline([("mm", MinMaxScaler(), "b")]).fit_transform(df, target="y")
    assert isinstance(fitted, FittedPipeline) and out.equals(fitted.transform(df))


def test_to_dict_round_trip_through_json(df):
    steps = [("imp", SimpleImputer(strategy="median", add_indicator=True), ["a"]),
             ("cast", Cast({"b": "Float32"}), ["b"]), ("rs", RobustScaler(unit_variance=True), ["a", "c"]),
             ("clip", Clipper(method="fixed", upper=50.0), ["b"]),
             ("mf", SimpleImputer(strategy="most_frequent"), ["s"])]
    fitted = Pipeline(steps).fit(df, target="y")
    d = fitted.to_dict()
    assert [s["name"] for s in d["steps"]] == ["imp", "cast", "rs", "clip", "mf"]
    assert d["input_schema"][:2] == [["a", "Float64"], ["b", "Int64"]] and d["target"] == "y"
    text = json.dumps(d, allow_nan=False)  # no table-valued state in these steps
    again = FittedPipeline.from_dict(json.loads(text))
    assert again.transform(df).equals(fitted.transform(df))
    assert json.dumps(again.to_dict(), allow_nan=False) == text


def test_constructor_as_the_loader_calls_it(df):
    fitted = Pipeline([("sc", StandardScaler(), ["a"])]).fit(df)
    rebuilt = FittedPipeline([(n, Step.from_dict(s.to_dict()), c) for n, s, c in fitted.steps],
                             fitted.input_schema, fitted.target, fitted.lineage)
    assert rebuilt.transform(df).equals(fitted.transform(df))
    assert rebuilt.output_schema == fitted.output_schema
    with pytest.raises(ArtifactError, match="not a fitted"):
        FittedPipeline([("sc", StandardScaler(), ["a"])], fitted.input_schema, None, {})


def test_pipeline_does_not_fit_the_given_step_objects(df):
    sc = StandardScaler()
    Pipeline([("sc", sc, "a")]).fit(df)
    assert not hasattr(sc, "mean_")


@pytest.mark.parametrize("steps, err, msg", [
    ([], ConfigError, "non-empty list"),
    ([("a", StandardScaler())], ConfigError, "must be a \\(name, step, columns\\) tuple"),
    ([("a", StandardScaler(), "a"), ("a", MinMaxScaler(), "b")], ConfigError, "used twice"),
    ([("a", object(), "a")], ConfigError, "not a tabprep step"),
])
def test_invalid_steps(steps, err, msg):
    with pytest.raises(err, match=msg):
        Pipeline(steps)


def test_selection_errors(df):
    with pytest.raises(SchemaError, match="column 'aa'.*did you mean \\['a'"):
        Pipeline([("sc", StandardScaler(), ["aa"])]).fit(df)
    with pytest.raises(ConfigError, match="matched nothing"):
        Pipeline([("sc", StandardScaler(), pl.Date)]).fit(df)
    with pytest.raises(ConfigError, match="cannot select columns with 3"):
        Pipeline([("sc", StandardScaler(), 3)]).fit(df)
    with pytest.raises(ConfigError, match="batch_size must be a positive int"):
        Pipeline([("sc", StandardScaler(), "a")]).fit(df, batch_size=0)


def test_empty_data_is_a_data_error(df):
    with pytest.raises(DataError, match="no rows to fit on"):
        Pipeline([("sc", StandardScaler(), "a")]).fit(df.clear())


def test_planned_output_schema_agrees_with_output_schema(df):
    cases = [StandardScaler(), MinMaxScaler(), MaxAbsScaler(), RobustScaler(), Clipper(), Clipper(method="fixed", lower=1),
             Cast(dtype="Float32"), SimpleImputer(keep_empty_features=True),
             SimpleImputer(strategy="most_frequent", keep_empty_features=True)]
    frame = df.select("a", "b", "c").with_columns(pl.col("c").cast(pl.Float32))
    for step in cases:
        planned = step.planned_output_schema(frame.schema, frame.columns)
        fitted = step.fit(frame)
        assert planned == dict(fitted.output_schema(frame.schema)), step


def test_from_dict_errors_are_artifact_errors(df):
    d = Pipeline([("sc", StandardScaler(), ["a"])]).fit(df).to_dict()
    with pytest.raises(ArtifactError, match="invalid dtype in input_schema"):
        FittedPipeline.from_dict(d | {"input_schema": [["a", "Float6"]]})
    with pytest.raises(ArtifactError, match="invalid pipeline description"):
        FittedPipeline.from_dict({k: v for k, v in d.items() if k != "target"})
    broken = json.loads(json.dumps(d))
    broken["steps"][0]["step"]["type"] = "Evil"
    with pytest.raises(ArtifactError, match="unknown step type 'Evil'"):
        FittedPipeline.from_dict(broken)


def test_column_names_that_look_like_statistic_keys():
    # statistics keys embed column names; a column named like a key prefix must not confuse the
    # planner's unpacking of struct statistics
    df = pl.DataFrame({"struct:x": [1.0, None, 3.0, 4.0], "n:y": [1.0, 2.0, 2.0, 5.0], "struct:z": [0.0, 2.0, 1.0, 9.0]})
    steps = [("imp", SimpleImputer(), ["struct:x"]), ("sc", StandardScaler(), ["struct:x", "n:y"]),
             ("mm", MinMaxScaler(), ["n:y"]), ("mm_z", MinMaxScaler(), ["struct:z"])]
    fitted = Pipeline(steps).fit(df, lineage=False)
    want = _sequential(df, steps)
    assert_allclose(fitted.transform(df).to_numpy(), want.to_numpy(), rtol=1e-12, atol=1e-12)


def test_a_failure_after_a_nested_layer_names_the_row_of_the_steps_real_input():
    # the imputer's fill (1000.0) is nested into a layer; the Cast after it must explain its
    # failure on the imputed column (row 1), not on the raw one (where row 1 is null)
    df = pl.DataFrame({"a": [1.0, None, 2.0]})
    steps = [("imp", SimpleImputer(strategy="constant", fill_value=1000.0), ["a"]), ("cast", Cast(dtype="Int8"), ["a"])]
    fitted = Pipeline(steps).fit(df, lineage=False)
    with pytest.raises(DataError, match="row 1"):
        fitted.transform(df)
