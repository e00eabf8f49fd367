"""Every registered step saves and loads with non-default parameters, and saving leaves it alone.

A parameter that is not plain JSON (a NumPy dtype, a splitter given as ``cv``) used to be written
by temporarily mutating the step inside ``to_dict``; a splitter the codec did not know raised a
raw ``TypeError``. The codec now knows them; this test holds every step to it.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import oracles.user_functions as user_functions
from tabprep import Pipeline, load
from tabprep.pipeline import step_registry
from tabprep.split import GroupKFold, KFold, StratifiedKFold

rng = np.random.default_rng(7)
N = 400
FRAME = pl.DataFrame({
    "num": np.where(rng.random(N) < 0.1, np.nan, rng.normal(size=N)),
    "cat": rng.choice(["a", "b", "c", "d", "e"], N, p=[0.4, 0.3, 0.2, 0.08, 0.02]),
    "grp": rng.integers(0, 40, N),
    "y": (rng.random(N) < 0.3).astype(np.int64),
    "day": np.datetime64("2024-01-01") + rng.integers(0, 90, N).astype("timedelta64[D]"),
}).with_columns(pl.col("num").fill_nan(None))

# step name -> (non-default parameters, columns, needs the target)
CASES = {
    "Cast": ({"dtype": "Float32", "strict": False}, ["num"], False),
    "CyclicalFeatures": ({"max_values": {"grp": 40}, "drop_original": True}, ["grp"], False),
    "DatetimeFeatures": ({"features_to_extract": ["week", "weekend"], "drop_original": False}, ["day"], False),
    "DatetimeSubtraction": ({"anchor": "2023-12-01", "output_unit": "h", "new_variables_names": ["since"]},
                            ["day"], False),
    "LagFeatures": ({"variables": "num", "periods": [1, 2], "by": "grp", "time": "day", "fill_value": -1.0},
                    ["num", "grp", "day"], False),
    "WindowFeatures": ({"variables": ["num"], "window": [2, "7d"], "functions": ["sum", "std"], "min_periods": 1,
                        "by": "grp", "time": "day", "drop_original": True}, ["num", "grp", "day"], False),
    "Cleaner": ({"null_strings": ["e"], "drop_if_constant": True, "min_parsed_fraction": 0.5, "parse_dates": False},
                ["cat", "num"], False),
    "StringNormalizer": ({"case": "upper", "unicode_form": "NFC", "collapse_whitespace": False}, ["cat"], False),
    "Clipper": ({"method": "iqr", "k": 2.0}, ["num"], False),
    "CountEncoder": ({"normalize": True, "handle_unknown": "error"}, ["cat"], False),
    "HashingEncoder": ({"n_features": 4, "signed": True, "dtype": np.float32}, ["cat"], False),
    "KBinsDiscretizer": ({"n_bins": 4, "encode": "ordinal", "strategy": "uniform", "dtype": np.float32}, ["num"], False),
    "MaxAbsScaler": ({"copy": False}, ["num"], False),
    "MinMaxScaler": ({"feature_range": (-2.0, 3.0), "clip": True}, ["num"], False),
    "NumbaTransformer": ({"func": user_functions.ewm_mean, "inputs": "num", "outputs": {"ewm": "Float64"},
                          "kind": "group", "by": "grp", "drop_original": True}, ["num", "grp"], False),
    "OneHotEncoder": ({"drop": "first", "dtype": np.float32, "handle_unknown": "ignore", "sparse_output": False},
                      ["cat"], False),
    "OrdinalEncoder": ({"dtype": np.int32, "handle_unknown": "use_encoded_value", "unknown_value": -1,
                        "encoded_missing_value": -2}, ["cat"], False),
    "RareCategoryGrouper": ({"min_share": 0.05, "other": "rare"}, ["cat"], False),
    "RobustScaler": ({"quantile_range": (10.0, 90.0), "unit_variance": True}, ["num"], False),
    "SimpleImputer": ({"strategy": "median", "add_indicator": True}, ["num"], False),
    "StandardScaler": ({"with_mean": False}, ["num"], False),
    "SupervisedBinner": ({"max_bins": 4, "method": "tree", "min_bin_size": 0.1}, ["num"], True),
    "TargetEncoder": ({"smooth": 3.0, "cv": StratifiedKFold(3, shuffle=True, random_state=4)}, ["cat"], True),
    "WOEEncoder": ({"regularization": 0.5, "cv": KFold(4, shuffle=True, random_state=2)}, ["cat"], True),
}


def test_every_registered_step_has_a_case():
    assert sorted(CASES) == sorted(n for n, c in step_registry().items() if c.__module__.startswith("tabprep."))


def _same_params(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for key, value in want.items():
        if hasattr(value, "get_params"):  # a splitter: an equal splitter, not the same object
            assert type(got[key]) is type(value) and got[key].get_params() == value.get_params(), key
        else:
            assert got[key] == value or (value != value and got[key] != got[key]), key
            assert type(got[key]) is type(value) or isinstance(value, float), key


@pytest.mark.parametrize("name", sorted(CASES))
def test_save_and_load_with_non_default_parameters(name, tmp_path):
    params, columns, supervised = CASES[name]
    step = step_registry()[name](**params)
    before = step.get_params(deep=False)
    data = FRAME if supervised else FRAME.drop("y")
    fitted = Pipeline([("s", step, columns)]).fit(data, target="y" if supervised else None)
    fitted_step = fitted.steps[0][1]
    kept = dict(fitted_step.__dict__)
    fitted.to_dict()
    assert fitted_step.__dict__.keys() == kept.keys()
    assert all(fitted_step.__dict__[k] is v for k, v in kept.items())  # saving changes nothing
    # user functions (NumbaTransformer) come from the caller's code, by name
    again = load(fitted.save(tmp_path / "model"), functions={"ewm_mean": user_functions.ewm_mean})
    assert again.fingerprint == fitted.fingerprint
    _same_params(again.steps[0][1].get_params(deep=False), before)
    assert again.transform(data).equals(fitted.transform(data))


def test_a_group_splitter_as_cv_is_saved_as_data():
    d = step_registry()["WOEEncoder"](cv=GroupKFold(3)).to_dict()
    assert d["params"]["cv"] == {"$object": {"type": "GroupKFold", "params": {
        "n_splits": 3, "random_state": None, "shuffle": False}}}
    from tabprep.pipeline import Step

    rebuilt = Step.from_dict(d)
    assert isinstance(rebuilt.cv, GroupKFold) and rebuilt.cv.get_params() == GroupKFold(3).get_params()


def test_a_parameter_that_is_no_data_is_named_in_the_error():
    from tabprep.errors import ConfigError

    step = step_registry()["StandardScaler"]()
    with pytest.raises(ConfigError, match=r"`StandardScaler\(copy=...\)` cannot be saved: its value is no data"):
        step._param_to_json("copy", object())


@pytest.mark.parametrize("name", ["TargetEncoder", "WOEEncoder"])
def test_a_scikit_learn_splitter_as_cv_is_recorded_as_text_without_touching_the_step(name, tmp_path):
    from sklearn.model_selection import KFold as SkKFold

    cv = SkKFold(3, shuffle=True, random_state=1)
    fitted = Pipeline([("e", step_registry()[name](cv=cv), ["cat"])]).fit(FRAME, target="y")
    step = fitted.steps[0][1]
    d = step.to_dict()
    assert step.cv is not None and isinstance(step.cv, SkKFold)  # not mutated by saving
    assert d["params"]["cv"] is None and d["state"]["cv_repr"] == repr(step.cv)
    again = load(fitted.save(tmp_path / "m"))
    assert again.transform(FRAME).equals(fitted.transform(FRAME))
