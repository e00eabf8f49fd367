"""Hand-off: 30 float columns (half with 5% nulls) -> one float32 C-ordered matrix, NaN for nulls.

Peers: ``np.column_stack`` of ``Series.to_numpy()`` (the plain way) and Polars' own
``cast(Float32)`` + ``DataFrame.to_numpy()``. Besides the time, each case records the peak extra
resident memory of the operation, measured in a fresh subprocess (the kernel's high-water mark,
``VmHWM`` = what ``ru_maxrss`` reports for the process itself, reset once the input frame is built), as ``extra_info["peak_rss_over_output"]``: the goal
for tabprep is <= 2 (the output itself plus at most as much again).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import polars as pl
import pytest

N_COLUMNS = 30


def make_frame(n: int, k: int = N_COLUMNS) -> pl.DataFrame:
    """k Float64 columns of n rows; every other column has ~5% nulls (fixed seed)."""
    rng = np.random.default_rng(0)
    cols = []
    for j in range(k):
        s = pl.Series(f"x{j}", rng.standard_normal(n))
        if j % 2:
            s = s.scatter(np.flatnonzero(rng.random(n) < 0.05), None)
        cols.append(s)
    return pl.DataFrame(cols)


def _column_stack(df: pl.DataFrame) -> np.ndarray:
    return np.column_stack([df.get_column(c).to_numpy() for c in df.columns]).astype(np.float32)


def _polars(df: pl.DataFrame) -> np.ndarray:
    return df.select(pl.all().cast(pl.Float32)).to_numpy(order="c")


def _tabprep(df: pl.DataFrame) -> np.ndarray:
    from tabprep.handoff import to_numpy

    return to_numpy(df, dtype=np.float32, order="C")


_IMPLS = {"tabprep": _tabprep, "numpy.column_stack": _column_stack, "polars.to_numpy": _polars}

_MEASURE = textwrap.dedent(
    """
    import gc, json, resource, sys
    sys.path.insert(0, sys.argv[3])
    from test_bench_to_numpy import _IMPLS, make_frame

    def status_kib(field):
        try:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None

    n, impl = int(sys.argv[1]), sys.argv[2]
    df = make_frame(n)
    _IMPLS[impl](df.head(10))  # imports and first-call setup are not what we measure
    gc.collect()
    try:  # reset the high-water mark so building the frame does not count
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    before = status_kib("VmRSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = _IMPLS[impl](df)
    # VmHWM is this process's own peak; ru_maxrss can also carry the parent's peak when the
    # subprocess was started by vfork (it is the max with the pre-exec address space)
    peak = status_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"extra_kib": peak - before, "output_bytes": out.nbytes}))
    """
)


def _peak_rss(n: int, impl: str) -> dict:
    import pathlib

    here = str(pathlib.Path(__file__).resolve().parent)
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(n), impl, here], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    extra = result["extra_kib"] * 1024
    return {
        "peak_rss_extra_bytes": extra,
        "output_bytes": result["output_bytes"],
        "peak_rss_over_output": round(extra / result["output_bytes"], 3),
    }


@pytest.fixture(scope="module")
def wide_frame(bench_rows) -> pl.DataFrame:
    return make_frame(bench_rows)


@pytest.mark.parametrize(
    ("impl", "role"), [("tabprep", "ours"), ("numpy.column_stack", "peer"), ("polars.to_numpy", "peer")]
)
def test_to_numpy_30_float_columns(benchmark, pair, bench_rows, wide_frame, impl, role):
    pair(benchmark, "to_numpy float32 C, 30 columns", impl, role)
    func = _IMPLS[impl]
    out = benchmark.pedantic(func, args=(wide_frame,), rounds=3, iterations=1, warmup_rounds=0)
    # correctness at every size: all three agree cell for cell (NaN where null)
    expected = _column_stack(wide_frame) if impl != "numpy.column_stack" else out
    assert out.shape == (bench_rows, N_COLUMNS) and out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, expected)
    benchmark.extra_info.update(_peak_rss(bench_rows, impl))
