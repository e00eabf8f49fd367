"""Bigger than memory: a pipeline fitted and applied file to file at 10M, 30M, 100M rows.

Usage::

    python benchmarks/streaming_scale.py [--rows 10000000,30000000,100000000] [--json OUT.json]

Not part of CI (the 100M-row data is ~5.4 GB of Parquet, generated on first use). The data is
generated on disk in parts of 10M rows, ``synthetic(10_000_000, seed=k)`` for part ``k``, so
no step ever holds more than one part; a size of N rows scans the first N / 10M parts (a list
of files, one lazy scan). Each size runs in a fresh process under ``/usr/bin/time -v``:

    fitted = Pipeline(STEPS).fit(tabprep.scan(parts), target="y_bin", lineage=False)
    tabprep.io.write(fitted.transform(tabprep.scan(parts)), out.parquet)

STEPS are the mergeable counterparts of the issue-10 job (their statistics merge across batches,
so the fit holds one batch at a time): mean imputation + standard scaling of ``num_0..3``, 32
quantile bins of ``num_4`` from KLL sketches (``sketch=True``), one-hot of ``cat_lo``, count
encoding of ``cat_hi``. The exact median, exact quantile bins and the out-of-fold target
encoding of the issue's job are left out on purpose: they buffer their input columns (exact
order statistics, a cross-fit over every row) and so do not run in flat memory.

Reported per size: the fit's and the transform+write's wall time, the process's CPU time, the
process's peak RSS after the fit and in all. "Linear in rows, memory flat" reads as: seconds per 10M rows constant, peak RSS the
same at every size.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
PART_ROWS = 10_000_000

_CHILD = textwrap.dedent(
    """
    import json, sys, time
    import tabprep
    from tabprep import Pipeline
    from tabprep.bin import KBinsDiscretizer
    from tabprep.clean import SimpleImputer
    from tabprep.encode import CountEncoder, OneHotEncoder
    from tabprep.io import write
    from tabprep.scale import StandardScaler

    parts, out = json.loads(sys.argv[1]), sys.argv[2]
    NUM = [f"num_{i}" for i in range(4)]
    pipe = Pipeline([
        ("impute", SimpleImputer(strategy="mean"), NUM),
        ("scale", StandardScaler(), NUM),
        ("bins", KBinsDiscretizer(n_bins=32, encode="ordinal", strategy="quantile", sketch=True), ["num_4"]),
        ("onehot", OneHotEncoder(sparse_output=False), ["cat_lo"]),
        ("count", CountEncoder(), ["cat_hi"]),
    ])
    def peak():
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))

    t0 = time.perf_counter()
    fitted = pipe.fit(tabprep.scan(parts), target="y_bin", lineage=False)
    t1 = time.perf_counter()
    peak_fit = peak()
    write(fitted.transform(tabprep.scan(parts)), out)
    t2 = time.perf_counter()
    print(json.dumps({"fit": t1 - t0, "transform_write": t2 - t1, "peak_rss_bytes": peak(),
                      "peak_rss_fit_bytes": peak_fit, "phases": fitted.fit_phases}))
    """
)


def parts_for(rows: int) -> list[Path]:
    """The data files of the first ``rows`` rows (generated on first use, one part at a time)."""
    if rows % PART_ROWS:
        raise SystemExit(f"--rows must be multiples of {PART_ROWS:,}")
    sys.path.insert(0, str(HERE))
    from conftest import cache_dir

    from tabprep.datasets import synthetic
    from tabprep.io import atomic_path

    out = []
    for k in range(rows // PART_ROWS):
        path = cache_dir() / f"stream-part-{PART_ROWS}-seed{k}.parquet"
        if not path.exists():
            print(f"generating {path} ...", file=sys.stderr)
            with atomic_path(path) as tmp:
                synthetic(PART_ROWS, seed=k).write_parquet(tmp)
        out.append(path)
    return out


def run(rows: int, out_dir: Path) -> dict:
    parts = [str(p) for p in parts_for(rows)]
    out = out_dir / f"stream-out-{rows}.parquet"
    sys.path.insert(0, str(HERE))
    from pipeline_table import timed_child  # the script beside this one

    res = timed_child([sys.executable, "-c", _CHILD, json.dumps(parts), str(out)], f"{rows} rows")
    res["rows"] = rows
    res["output_bytes"] = out.stat().st_size
    out.unlink()
    res["load"] = os.getloadavg()
    print(f"{rows:,} rows: fit {res['fit']:.1f} s, transform+write {res['transform_write']:.1f} s, "
          f"peak RSS {res['peak_rss_fit_bytes'] / 1e9:.2f} GB after the fit, {res['peak_rss_bytes'] / 1e9:.2f} GB "
          f"in all, load {res['load']}", file=sys.stderr)
    return res


def render(results: list[dict]) -> str:
    lines = ["| rows | fit | transform + write | process wall | CPU user + sys | s per 10M rows (fit + transform) "
             "| peak RSS after the fit | peak RSS |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        per = (r["fit"] + r["transform_write"]) / (r["rows"] / PART_ROWS)
        lines.append(f"| {r['rows']:,} | {r['fit']:.1f} s | {r['transform_write']:.1f} s | {r['wall']:.1f} s | "
                     f"{r['user']:.1f} + {r['sys']:.1f} s | {per:.1f} s | {r['peak_rss_fit_bytes'] / 1e9:.2f} GB | "
                     f"{r['peak_rss_bytes'] / 1e9:.2f} GB |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000000,30000000,100000000")
    parser.add_argument("--out-dir", default=None, help="where the transformed files go (deleted after each run)")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from conftest import cache_dir

    out_dir = Path(args.out_dir) if args.out_dir else cache_dir()
    results = [run(int(n), out_dir) for n in args.rows.split(",") if n]
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    print(render(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
