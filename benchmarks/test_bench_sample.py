"""Sampling: reservoir sample from the Parquet file (time + peak RSS) and stratified train/test split.

- ``reservoir_sample``: ``tabprep.sample.reservoir_sample`` of min(100k, rows // 100) rows,
  streaming the Parquet file, vs Polars
  ``scan_parquet().collect().sample(n)``. Peak RSS of a fresh process doing each is stored in
  ``extra_info["peak_rss_mb"]`` (goal: ours bounded by the sample, the peer by the whole table).
- ``sample_exact``: ``tabprep.sample.sample(lf, n)`` (count + streaming row filter) vs the same Polars
  ``collect().sample(n)``.
- ``train_test_split_stratified``: ours vs scikit-learn's, on row indices stratified by ``y_bin``.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

ROUNDS = 3

# Peak RSS of a command measured by a middleman process (see test_bench_convert.py for why).
_MIDDLEMAN = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "scale = 1 if sys.platform == 'darwin' else 1024\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale)\n"
    "sys.exit(code)\n"
)


def _peak_rss_mb(code: str, *args: str) -> float:
    proc = subprocess.run([sys.executable, "-c", _MIDDLEMAN, sys.executable, "-c", code, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"benchmark child failed ({proc.returncode}): {proc.stderr}")
    return round(int(proc.stdout.strip().splitlines()[-1]) / 1e6, 1)


def _k(rows: int) -> int:
    return max(1, min(100_000, rows // 100))


_BASELINE = "import polars, numpy, tabprep.sample"
_OURS = "import sys; from tabprep.sample import reservoir_sample; reservoir_sample(sys.argv[1], int(sys.argv[2]), seed=0)"
_PEER = "import sys, polars as pl; pl.scan_parquet(sys.argv[1]).collect().sample(int(sys.argv[2]), seed=0)"


def test_reservoir_sample_tabprep(benchmark, pair, synthetic_parquet, bench_rows):
    pair(benchmark, "reservoir_sample", "tabprep reservoir_sample (streaming)", "ours")
    from tabprep.sample import reservoir_sample

    k = _k(bench_rows)
    out = benchmark.pedantic(reservoir_sample, args=(str(synthetic_parquet), k), kwargs={"seed": 0}, rounds=ROUNDS, iterations=1)
    assert out.height == k
    benchmark.extra_info["peak_rss_mb"] = _peak_rss_mb(_OURS, str(synthetic_parquet), str(k))
    benchmark.extra_info["baseline_rss_mb"] = _peak_rss_mb(_BASELINE)


def test_reservoir_sample_polars(benchmark, pair, synthetic_parquet, bench_rows):
    pair(benchmark, "reservoir_sample", "polars collect().sample(n)", "peer")
    import polars as pl

    k = _k(bench_rows)
    out = benchmark.pedantic(lambda: pl.scan_parquet(synthetic_parquet).collect().sample(k, seed=0), rounds=ROUNDS, iterations=1)
    assert out.height == k
    benchmark.extra_info["peak_rss_mb"] = _peak_rss_mb(_PEER, str(synthetic_parquet), str(k))
    benchmark.extra_info["baseline_rss_mb"] = _peak_rss_mb(_BASELINE)


def test_sample_exact_tabprep(benchmark, pair, synthetic_parquet, bench_rows):
    pair(benchmark, "sample_exact", "tabprep sample(lf, n) (count + streaming filter)", "ours")
    import polars as pl

    from tabprep.sample import sample

    k = _k(bench_rows)
    out = benchmark.pedantic(lambda: sample(pl.scan_parquet(synthetic_parquet), k, seed=0).collect(), rounds=ROUNDS, iterations=1)
    assert out.height == k


def test_sample_exact_polars(benchmark, pair, synthetic_parquet, bench_rows):
    pair(benchmark, "sample_exact", "polars collect().sample(n)", "peer")
    import polars as pl

    k = _k(bench_rows)
    out = benchmark.pedantic(lambda: pl.scan_parquet(synthetic_parquet).collect().sample(k, seed=0), rounds=ROUNDS, iterations=1)
    assert out.height == k


@pytest.fixture(scope="module")
def y_np(synthetic_df):
    return synthetic_df["y_bin"].to_numpy()


def test_train_test_split_stratified_tabprep(benchmark, pair, y_np):
    pair(benchmark, "train_test_split_stratified", "tabprep train_test_split(stratify)", "ours")
    from tabprep.split import train_test_split

    idx = np.arange(y_np.size)
    tr, te = benchmark.pedantic(train_test_split, args=(idx,), kwargs={"stratify": y_np, "test_size": 0.2, "random_state": 0}, rounds=ROUNDS, iterations=1)
    assert tr.size + te.size == y_np.size


def test_train_test_split_stratified_sklearn(benchmark, pair, y_np):
    pair(benchmark, "train_test_split_stratified", "sklearn train_test_split(stratify)", "peer")
    from sklearn.model_selection import train_test_split

    idx = np.arange(y_np.size)
    tr, te = benchmark.pedantic(train_test_split, args=(idx,), kwargs={"stratify": y_np, "test_size": 0.2, "random_state": 0}, rounds=ROUNDS, iterations=1)
    assert tr.size + te.size == y_np.size
