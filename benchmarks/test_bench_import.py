"""Cold start: ``import tabprep`` and ``tabprep --help`` in a fresh process vs ``python -c pass``;
``tabprep fit``/``transform``/``inspect`` on a 3k-row file.

Goals: ``import tabprep`` and ``--help`` under 0.3 s, i.e. no Polars/NumPy import on these paths;
``tabprep fit``/``transform``/``inspect`` of a 3,000-row Parquet file under 0.5 s each (issue 10:
no scikit-learn, SciPy or pandas import on the way). ``tests/cli/test_cli_subprocess.py`` and
``tests/cli/test_cli_imports.py`` check the imports deterministically; this measures the time.
``import polars`` (and, for the commands, ``import polars, numpy, pyarrow``: what any command
reading a file needs) is shown beside them for scale. The commands run the pipeline of issue 10
(median imputation + standard scaling of ``num_0``..``num_3``, 32 quantile bins of ``num_4``,
one-hot of ``cat_lo``, 5-fold target encoding of ``cat_hi`` on ``y_bin``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROUNDS = 10


# Bytecode as an installed package has it: pip compiles the .pyc files of what it installs (the
# peers' are there), and Python writes ours on first import, unless PYTHONDONTWRITEBYTECODE is
# set (as on the project's benchmark machine): then every run would compile tabprep's modules
# from source (~0.15-0.2 s of a CLI command) while Polars' are compiled. The warm-up run below
# writes them.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _cold(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_ENV)


def _tabprep_script() -> list[str]:
    # The installed console script is what users run; fall back to -m when it is not on disk.
    script = Path(sys.executable).with_name("tabprep")
    found = str(script) if script.exists() else shutil.which("tabprep")
    return [found] if found else [sys.executable, "-m", "tabprep"]


CASES = {
    "import": {
        ("import tabprep", "ours"): [sys.executable, "-c", "import tabprep"],
        ("python -c pass", "peer"): [sys.executable, "-c", "pass"],
        ("import polars", "peer"): [sys.executable, "-c", "import polars"],
    },
    "help": {
        ("tabprep --help", "ours"): [*_tabprep_script(), "--help"],
        ("python -c pass", "peer"): [sys.executable, "-c", "pass"],
    },
}


CLI_ROWS = 3000
SPEC = """
target = "y_bin"
[[steps]]
name = "impute"
type = "SimpleImputer"
columns = ["num_0", "num_1", "num_2", "num_3"]
params = { strategy = "median" }
[[steps]]
name = "scale"
type = "StandardScaler"
columns = ["num_0", "num_1", "num_2", "num_3"]
[[steps]]
name = "bins"
type = "KBinsDiscretizer"
columns = ["num_4"]
params = { n_bins = 32, strategy = "quantile", encode = "ordinal" }
[[steps]]
name = "onehot"
type = "OneHotEncoder"
columns = ["cat_lo"]
[[steps]]
name = "target"
type = "TargetEncoder"
columns = ["cat_hi"]
params = { cv = 5, shuffle = true, random_state = 0 }
"""


@pytest.fixture(scope="module")
def cli_files(tmp_path_factory):
    """A 3k-row training file, new rows, the spec, and an artifact fitted from them."""
    from tabprep.cli import main
    from tabprep.datasets import synthetic

    tmp = tmp_path_factory.mktemp("bench_cli")
    synthetic(CLI_ROWS, seed=0).write_parquet(tmp / "train.parquet")
    synthetic(CLI_ROWS, seed=1).write_parquet(tmp / "new.parquet")
    (tmp / "spec.toml").write_text(SPEC)
    assert main(["fit", str(tmp / "spec.toml"), str(tmp / "train.parquet"), "-o", str(tmp / "model"), "-q"]) == 0
    return tmp


def _cli_cases(d) -> dict:
    tabprep = _tabprep_script()
    floor = [sys.executable, "-c", "import polars, numpy, pyarrow"]
    return {
        "cli_fit_3k": {
            ("tabprep fit", "ours"): [*tabprep, "fit", str(d / "spec.toml"), str(d / "train.parquet"),
                                      "-o", str(d / "fitted"), "-q"],
            ("import polars, numpy, pyarrow", "peer"): floor,
        },
        "cli_transform_3k": {
            ("tabprep transform", "ours"): [*tabprep, "transform", str(d / "model"), str(d / "new.parquet"),
                                            "-o", str(d / "out.parquet"), "-q"],
            ("import polars, numpy, pyarrow", "peer"): floor,
        },
        "cli_inspect_3k": {
            ("tabprep inspect", "ours"): [*tabprep, "inspect", str(d / "model")],
            ("import polars, numpy, pyarrow", "peer"): floor,
        },
    }


@pytest.mark.parametrize(
    "op, impl, role",
    [(op, impl, role) for op, cases in _cli_cases(Path(".")).items() for (impl, role) in cases],
    ids=lambda v: str(v).replace(" ", "_"),
)
def test_cli_command_3k_rows(benchmark, pair, cli_files, op, impl, role):
    pair(benchmark, op, impl, role)
    benchmark.extra_info["rows"] = CLI_ROWS
    cmd = _cli_cases(cli_files)[op][(impl, role)]
    _cold(cmd)  # warm the OS file cache and write the bytecode (and check the command succeeds)
    benchmark.pedantic(_cold, args=(cmd,), rounds=ROUNDS, iterations=1)


@pytest.mark.parametrize(
    "op, impl, role",
    [(op, impl, role) for op, cases in CASES.items() for (impl, role) in cases],
    ids=lambda v: str(v).replace(" ", "_"),
)
def test_cold_start(benchmark, pair, op, impl, role):
    pair(benchmark, f"cold_{op}", impl, role)
    cmd = CASES[op][(impl, role)]
    _cold(cmd)  # warm the OS file cache and write the bytecode: we measure Python's import work, not the disk
    benchmark.pedantic(_cold, args=(cmd,), rounds=ROUNDS, iterations=1)
