"""CSV -> Parquet: ``tabprep.io.convert`` (what ``tabprep convert`` runs) vs Polars' own sink.

Goals: within 1.1x of ``pl.scan_csv(path).sink_parquet(out)`` (ours also fsyncs and renames, for an
atomic, durable output), and peak RSS of a ``tabprep convert`` process <= 400 MB on the 1.2 GB CSV
(10M rows). Peak RSS of each process is stored in ``benchmark.extra_info["peak_rss_mb"]``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROUNDS = 3


@pytest.fixture(scope="session")
def synthetic_csv(synthetic_parquet) -> Path:
    """The synthetic table as CSV, generated once and cached next to its Parquet file."""
    import polars as pl

    from tabprep.io import atomic_path

    path = Path(synthetic_parquet).with_suffix(".csv")
    if not path.exists():
        with atomic_path(path) as tmp:
            pl.scan_parquet(synthetic_parquet).sink_csv(tmp, check_extension=False)
    return path


# A small middleman process runs the command and reports its children's peak RSS. Measuring the
# command as a direct child of pytest would not work: Linux charges a child the parent's memory
# high-water mark from before its exec (pytest holds the benchmark data), hiding the real peak.
_MIDDLEMAN = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "scale = 1 if sys.platform == 'darwin' else 1024  # ru_maxrss: bytes on macOS, KiB on Linux\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale)\n"
    "sys.exit(code)\n"
)


def peak_rss_mb(cmd: list[str]) -> float:
    """Run ``cmd`` to completion in a fresh process; return its peak resident set size in MB."""
    proc = subprocess.run([sys.executable, "-c", _MIDDLEMAN, *cmd], capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"{cmd} failed ({proc.returncode}): {proc.stderr}")
    return int(proc.stdout.strip().splitlines()[-1]) / 1e6


def _check_same_output(ours: Path, peer: Path) -> None:
    import polars as pl

    a, b = pl.read_parquet(ours), pl.read_parquet(peer)
    assert a.equals(b), "tabprep and polars wrote different tables"


def test_convert_csv_to_parquet_tabprep(benchmark, pair, synthetic_csv, tmp_path):
    pair(benchmark, "csv_to_parquet", "tabprep.io.convert (atomic, fsync)", "ours")
    from tabprep.io import convert

    out = tmp_path / "ours.parquet"
    benchmark.pedantic(convert, args=(synthetic_csv, out), rounds=ROUNDS, iterations=1)
    peer = tmp_path / "peer.parquet"
    import polars as pl

    pl.scan_csv(synthetic_csv).sink_parquet(peer)
    _check_same_output(out, peer)
    benchmark.extra_info["peak_rss_mb"] = round(
        peak_rss_mb([sys.executable, "-m", "tabprep", "convert", str(synthetic_csv), str(tmp_path / "cli.parquet")]), 1
    )


def test_convert_csv_to_parquet_polars(benchmark, pair, synthetic_csv, tmp_path):
    pair(benchmark, "csv_to_parquet", "polars scan_csv().sink_parquet()", "peer")
    import polars as pl

    out = tmp_path / "peer.parquet"
    benchmark.pedantic(lambda: pl.scan_csv(synthetic_csv).sink_parquet(out), rounds=ROUNDS, iterations=1)
    code = "import sys, polars as pl; pl.scan_csv(sys.argv[1]).sink_parquet(sys.argv[2])"
    benchmark.extra_info["peak_rss_mb"] = round(
        peak_rss_mb([sys.executable, "-c", code, str(synthetic_csv), str(tmp_path / "proc.parquet")]), 1
    )


def test_convert_cli_process_tabprep(benchmark, pair, synthetic_csv, tmp_path):
    pair(benchmark, "csv_to_parquet_process", "python -m tabprep convert", "ours")
    out = tmp_path / "cli.parquet"
    cmd = [sys.executable, "-m", "tabprep", "convert", str(synthetic_csv), str(out), "--quiet"]
    benchmark.pedantic(subprocess.run, args=(cmd,), kwargs={"check": True}, rounds=ROUNDS, iterations=1)
    assert out.exists()


def test_convert_cli_process_polars(benchmark, pair, synthetic_csv, tmp_path):
    pair(benchmark, "csv_to_parquet_process", "python -c polars scan_csv().sink_parquet()", "peer")
    out = tmp_path / "proc.parquet"
    code = "import sys, polars as pl; pl.scan_csv(sys.argv[1]).sink_parquet(sys.argv[2])"
    cmd = [sys.executable, "-c", code, str(synthetic_csv), str(out)]
    benchmark.pedantic(subprocess.run, args=(cmd,), kwargs={"check": True}, rounds=ROUNDS, iterations=1)
    assert out.exists()
