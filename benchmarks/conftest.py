"""Shared benchmark fixtures: sizes, cached synthetic data, and pairing of each case with its peer.

Sizes: by default (the normal test suite) every benchmark runs once at a small smoke size, timing
disabled (``--benchmark-disable`` in pyproject). A measured run::

    TABPREP_BENCH_SCALE=full python -m pytest benchmarks --benchmark-enable \
        --benchmark-json=.benchmarks/full.json
    python benchmarks/report.py .benchmarks/full.json > BENCHMARKS.md

``TABPREP_BENCH_SCALE=full`` means 1M and 10M rows; ``TABPREP_BENCH_ROWS=100000,1000000`` picks
sizes explicitly. Generated data is cached as Parquet in ``$TABPREP_BENCH_CACHE``
(default ``.cache/bench`` at the repository root).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SMOKE_ROWS = [20_000]
FULL_ROWS = [1_000_000, 10_000_000]
ROOT = Path(__file__).resolve().parent.parent


def bench_sizes() -> list[int]:
    explicit = os.environ.get("TABPREP_BENCH_ROWS")
    if explicit:
        return [int(x) for x in explicit.split(",") if x.strip()]
    return FULL_ROWS if os.environ.get("TABPREP_BENCH_SCALE") == "full" else SMOKE_ROWS


def cache_dir() -> Path:
    path = Path(os.environ.get("TABPREP_BENCH_CACHE", ROOT / ".cache" / "bench"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


@pytest.fixture(scope="session", params=bench_sizes(), ids=_label)
def bench_rows(request) -> int:
    """Number of rows of the benchmark data (parametrized: smoke size, or 1M and 10M in a full run)."""
    return request.param


@pytest.fixture(scope="session")
def synthetic_parquet(bench_rows) -> Path:
    """Parquet file of ``tabprep.datasets.synthetic(bench_rows, seed=0)``, generated once and cached."""
    from tabprep.datasets import synthetic
    from tabprep.io import atomic_path

    path = cache_dir() / f"synthetic-{bench_rows}-seed0.parquet"
    if not path.exists():
        with atomic_path(path) as tmp:
            synthetic(bench_rows, seed=0).write_parquet(tmp)
    return path


@pytest.fixture(scope="session")
def synthetic_df(synthetic_parquet):
    """The synthetic frame, read once per session and rechunked (one chunk per column)."""
    import polars as pl

    return pl.read_parquet(synthetic_parquet).rechunk()


@pytest.fixture(autouse=True)
def _record_rows(request):
    # Lets `pair` and the report put the size into each case's group.
    if "benchmark" in request.fixturenames and "bench_rows" in request.fixturenames:
        request.getfixturevalue("benchmark").extra_info["rows"] = request.getfixturevalue("bench_rows")


def label_case(benchmark, op: str, impl: str, role: str) -> None:
    """Label a benchmark case so the report can compare ours with the peer in the same run.

    ``op`` names the operation (cases with the same op and size form one group), ``impl`` the
    implementation ("tabprep", "pyarrow.dictionary_encode", ...), ``role`` is "ours" or "peer".
    """
    if role not in ("ours", "peer"):
        raise ValueError(f"role must be 'ours' or 'peer', got {role!r}")
    rows = benchmark.extra_info.get("rows")
    benchmark.group = f"{op} @ {_label(rows)}" if rows else op
    benchmark.extra_info.update(op=op, impl=impl, role=role)


@pytest.fixture(name="pair")
def pair_fixture():
    """``pair(benchmark, op, impl, role)``: see :func:`label_case` (a fixture, so no import is needed)."""
    return label_case


pair = label_case
