"""Cold start: ``import tabprep`` and ``tabprep --help`` in a fresh process vs ``python -c pass``.

Goal: both under 0.3 s, i.e. no Polars/NumPy import on these paths (the tests check that
deterministically; this measures it). ``import polars`` is shown beside them for scale.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROUNDS = 10


def _cold(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


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


@pytest.mark.parametrize(
    "op, impl, role",
    [(op, impl, role) for op, cases in CASES.items() for (impl, role) in cases],
    ids=lambda v: str(v).replace(" ", "_"),
)
def test_cold_start(benchmark, pair, op, impl, role):
    pair(benchmark, f"cold_{op}", impl, role)
    cmd = CASES[op][(impl, role)]
    _cold(cmd)  # warm the OS file cache: we measure Python's import work, not the disk
    benchmark.pedantic(_cold, args=(cmd,), rounds=ROUNDS, iterations=1)
