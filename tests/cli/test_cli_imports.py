"""`tabprep fit`/`transform`/`inspect` import neither scikit-learn, SciPy nor pandas (issue #10).

Importing ``sklearn.base`` costs about a second, pandas a few tenths: more than the whole command
on a small file. Each case runs in a fresh interpreter (a module imported by an earlier test
would hide an import) on a spec using every built-in step type. Tested on the imports, not on time;
the time is measured in ``benchmarks/test_bench_import.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import polars as pl
import pytest

from tabprep.datasets import synthetic

HEAVY = ("sklearn", "scipy", "pandas")

# every built-in step type (tests/pipeline/test_step.py checks that the registry holds exactly these)
SPEC = """
target = "y_bin"
[[steps]]
name = "impute"
type = "SimpleImputer"
columns = ["num_0", "num_1", "num_2", "num_3", "num_4", "n5", "n6"]
params = { strategy = "median" }
[[steps]]
name = "clip"
type = "Clipper"
columns = ["num_0"]
[[steps]]
name = "robust"
type = "RobustScaler"
columns = ["num_1"]
[[steps]]
name = "minmax"
type = "MinMaxScaler"
columns = ["num_2"]
[[steps]]
name = "maxabs"
type = "MaxAbsScaler"
columns = ["num_3"]
[[steps]]
name = "standard"
type = "StandardScaler"
columns = ["num_0"]
[[steps]]
name = "bins"
type = "KBinsDiscretizer"
columns = ["num_4"]
params = { n_bins = 8, encode = "onehot" }
[[steps]]
name = "supervised"
type = "SupervisedBinner"
columns = ["n5"]
[[steps]]
name = "cast"
type = "Cast"
columns = ["n6"]
params = { dtype = "Float32" }
[[steps]]
name = "rare"
type = "RareCategoryGrouper"
columns = ["c1"]
params = { min_count = 20 }
[[steps]]
name = "onehot"
type = "OneHotEncoder"
columns = ["cat_lo"]
params = { handle_unknown = "ignore" }
[[steps]]
name = "ordinal"
type = "OrdinalEncoder"
columns = ["c1"]
params = { handle_unknown = "use_encoded_value", unknown_value = -1 }
[[steps]]
name = "count"
type = "CountEncoder"
columns = ["c2"]
[[steps]]
name = "hashing"
type = "HashingEncoder"
columns = ["c3"]
[[steps]]
name = "target"
type = "TargetEncoder"
columns = ["cat_hi"]
[[steps]]
name = "woe"
type = "WOEEncoder"
columns = ["c4"]
"""

_PROBE = """
import contextlib, io, json, sys
from tabprep.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    codes = [main(args) for args in json.loads(sys.argv[1])]
print(json.dumps({"codes": codes, "loaded": sorted(m for m in json.loads(sys.argv[2]) if m in sys.modules)}))
"""


def run_commands(commands: list[list[str]], heavy=HEAVY) -> dict:
    proc = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(commands), json.dumps(heavy)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli_imports")
    extra = {"c1": pl.col("cat_lo"), "c2": pl.col("cat_hi"), "c3": pl.col("cat_hi"), "c4": pl.col("cat_lo"),
             "n5": pl.col("num_4"), "n6": pl.col("num_3")}
    synthetic(600, seed=0).with_columns(**extra).write_parquet(tmp / "train.parquet")
    # no `ts`: a datetime pass-through column read back from CSV is a string (a pass-through
    # column may be absent)
    synthetic(300, seed=1).with_columns(**extra).drop("ts").write_csv(tmp / "new.csv")
    (tmp / "spec.toml").write_text(SPEC)
    return tmp


def test_fit_imports_no_sklearn(files):
    got = run_commands([["fit", str(files / "spec.toml"), str(files / "train.parquet"), "-o", str(files / "model"),
                         "--transform-out", str(files / "train_out.parquet"), "--numpy", str(files / "train.npy")]])
    assert got == {"codes": [0], "loaded": []}


def test_transform_and_inspect_import_no_sklearn(files):
    model = files / "model"
    if not model.exists():
        run_commands([["fit", str(files / "spec.toml"), str(files / "train.parquet"), "-o", str(model)]])
    got = run_commands([["transform", str(model), str(files / "new.csv"), "-o", str(files / "new_out.parquet"),
                         "--numpy", str(files / "new.npy")],
                        ["inspect", str(model)],
                        ["inspect", str(model), "--json"]])
    assert got == {"codes": [0, 0, 0], "loaded": []}
    assert pl.read_parquet(files / "new_out.parquet").height == 300


def test_importing_every_step_imports_no_sklearn():
    code = ("import json, sys\nfrom tabprep.pipeline import step_registry\nfrom tabprep.split import KFold, "
            "StratifiedKFold, GroupKFold\nassert len(step_registry()) >= 16\n"
            "print(json.dumps(sorted(m for m in %r if m in sys.modules)))" % (HEAVY,))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []


def test_a_step_that_needs_sklearn_imports_it_when_used():
    # KBinsDiscretizer(strategy="kmeans") runs scikit-learn's KMeans: the import comes with the fit
    code = ("import sys\nimport numpy as np\nfrom tabprep.bin import KBinsDiscretizer\n"
            "kb = KBinsDiscretizer(3, strategy='kmeans', encode='ordinal')\nassert 'sklearn' not in sys.modules\n"
            "kb.fit(np.arange(30.0).reshape(-1, 1))\nprint('sklearn' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True"


# Modules a three-step pipeline does not need: the CLI imports the module of each step it names,
# not every step package, and of the hand-off only the matrix writer.
UNUSED = ("tabprep.features", "tabprep.bin._kbins", "tabprep.encode._target", "tabprep.encode._woe",
          "tabprep.clean._cleaner", "tabprep.handoff._loader", "tabprep.handoff._frameworks")
SMALL_SPEC = """
[[steps]]
name = "impute"
type = "SimpleImputer"
columns = ["num_0", "num_1"]
params = { strategy = "median" }
[[steps]]
name = "scale"
type = "StandardScaler"
columns = ["num_0", "num_1"]
[[steps]]
name = "onehot"
type = "OneHotEncoder"
columns = ["cat_lo"]
"""


def test_a_small_pipeline_imports_only_its_steps(files):
    (files / "small.toml").write_text(SMALL_SPEC)
    model = files / "small_model"
    got = run_commands([["fit", str(files / "small.toml"), str(files / "train.parquet"), "-o", str(model),
                         "--numpy", str(files / "small_train.npy")],
                        ["transform", str(model), str(files / "new.csv"), "-o", str(files / "small_out.parquet"),
                         "--numpy", str(files / "small_new.npy")],
                        ["inspect", str(model)]], heavy=HEAVY + UNUSED)
    assert got == {"codes": [0, 0, 0], "loaded": []}


def test_a_command_line_builds_only_its_command_parser(files):
    from tabprep.cli import COMMANDS

    modules = [f"tabprep.cli._cmd_{c.replace('-', '_')}" for c in COMMANDS]
    got = run_commands([["inspect", "--help"]], heavy=modules)
    assert got == {"codes": [0], "loaded": ["tabprep.cli._cmd_inspect"]}
    # the global options and the listing of every command still build them all
    assert run_commands([["--help"]], heavy=modules)["loaded"] == sorted(modules)
    assert run_commands([["--debug", "inspect", "--help"]], heavy=modules)["loaded"] == sorted(modules)
