"""The table of issue 10: the whole job, file to float32 matrix, one fresh process per run.

Usage::

    python benchmarks/pipeline_table.py [--rows 1000000,10000000] [--rounds 3]
        [--impls tabprep,tabprep-frame,tabprep-lazy,polars-ds,polars,sklearn] [--json OUT.json]

Each run is a new interpreter under ``/usr/bin/time -v`` (imports and the read included; peak
RSS is the process's maximum resident set). The job and every implementation are those of
``benchmarks/test_bench_pipeline.py`` (the same functions run). Besides the process's wall time,
the child reports the time of the job itself (after its imports; the read included for the
file cases) as ``in-process``. ``tabprep-frame`` reads the Parquet file into a Polars DataFrame
first (not timed in ``in-process``) and runs the job on it; ``tabprep-lazy`` runs it on that
frame's ``.lazy()``, so the transform streams into the matrix as from a file (the eager
frame's result is a float64 DataFrame, 2 GB at 10M rows, before the matrix). Implementations
run interleaved, round by round, so a disturbance of the shared machine spreads over all of them; the table
shows medians and, for the peers, ``peer / tabprep`` of the medians (> 1: tabprep faster).

The data is the benchmarks' cached Parquet file (``synthetic(n, seed=0)``, generated on first
use into ``$TABPREP_BENCH_CACHE``, default ``.cache/bench``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
IMPLS = ("tabprep", "tabprep-frame", "tabprep-lazy", "polars-ds", "polars", "sklearn")
LABELS = {
    "tabprep": "tabprep `Pipeline.fit_transform(tabprep.scan(path))` + `to_numpy`",
    "tabprep-frame": "tabprep, from a Polars DataFrame already in memory",
    "tabprep-lazy": "tabprep, from the same DataFrame as `frame.lazy()` (output streamed into the matrix)",
    "polars-ds": "polars-ds `Blueprint` (target encoding in-sample) + `bin_quantiles`",
    "polars": "hand-written Polars (target mean in-sample)",
    "sklearn": "scikit-learn `ColumnTransformer` (TargetEncoder cv=5)",
}

_CHILD = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, sys.argv[3])
    impl, path = sys.argv[1], sys.argv[2]
    import test_bench_pipeline as job
    # the imports each job needs, before its timer (the process's wall time has them)
    if impl.startswith("tabprep"):
        import tabprep, tabprep.pipeline, tabprep.handoff, tabprep.bin, tabprep.clean, tabprep.encode, tabprep.scale
    elif impl == "polars-ds":
        import polars_ds.pipeline
    elif impl == "sklearn":
        import pandas, sklearn.compose, sklearn.impute, sklearn.pipeline, sklearn.preprocessing
        import sklearn.model_selection
        job._sklearn_classes()
    import polars as pl
    if impl in ("tabprep-frame", "tabprep-lazy"):
        frame = pl.read_parquet(path, columns=job.COLUMNS).rechunk()
        start = time.perf_counter()
        names, X = job.run_tabprep(frame if impl == "tabprep-frame" else frame.lazy())
    else:
        run = {"tabprep": job.run_tabprep_file, "polars-ds": job.run_polars_ds_file,
               "polars": job.run_polars_file, "sklearn": job.run_sklearn_file}[impl]
        start = time.perf_counter()
        names, X = run(path)
    seconds = time.perf_counter() - start
    assert X.shape[1] == job.N_FEATURES and X.dtype.name == "float32" and X.flags.c_contiguous
    print(json.dumps({"in_process": seconds, "rows": X.shape[0], "matrix_bytes": X.nbytes}))
    """
)


def data_path(rows: int) -> Path:
    sys.path.insert(0, str(HERE))
    from conftest import cache_dir

    from tabprep.datasets import synthetic
    from tabprep.io import atomic_path

    path = cache_dir() / f"synthetic-{rows}-seed0.parquet"
    if not path.exists():
        with atomic_path(path) as tmp:
            synthetic(rows, seed=0).write_parquet(tmp)
    return path


def timed_child(cmd: list[str], what: str) -> dict:
    """Run ``cmd`` under ``/usr/bin/time -v``: the JSON its last stdout line prints, plus
    ``wall``, ``peak_rss_bytes``, ``user`` and ``sys`` read from time's report where the child
    did not report them itself."""
    done = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for line in done.stderr.splitlines():
        line = line.strip()
        if line.startswith("Elapsed (wall clock) time"):
            clock = line.rsplit(" ", 1)[1].split(":")
            result.setdefault("wall", sum(float(part) * 60 ** i for i, part in enumerate(reversed(clock))))
        elif line.startswith("Maximum resident set size"):
            result.setdefault("peak_rss_bytes", int(line.rsplit(" ", 1)[1]) * 1024)
        elif line.startswith("User time"):
            result.setdefault("user", float(line.rsplit(" ", 1)[1]))
        elif line.startswith("System time"):
            result.setdefault("sys", float(line.rsplit(" ", 1)[1]))
    return result


def run_once(impl: str, path: Path) -> dict:
    """One fresh process: wall and peak RSS from ``/usr/bin/time -v``, the job's own time."""
    return timed_child([sys.executable, "-c", _CHILD, impl, str(path), str(HERE)], impl)


def _load() -> str:
    try:
        return os.getloadavg().__repr__()
    except OSError:
        return "?"


def measure(rows: int, impls: list[str], rounds: int) -> dict:
    path = data_path(rows)
    runs: dict = {impl: [] for impl in impls}
    for r in range(rounds):
        for impl in impls:
            res = run_once(impl, path)
            res["load"] = _load()
            runs[impl].append(res)
            print(f"[{rows} rows, round {r + 1}] {impl}: wall {res['wall']:.2f} s, in-process "
                  f"{res['in_process']:.2f} s, peak RSS {res['peak_rss_bytes'] / 1e9:.2f} GB, load {res['load']}",
                  file=sys.stderr)
    return {"rows": rows, "runs": runs}


def _fmt(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


def render(results: list[dict], labels: dict = LABELS) -> str:
    lines = []
    for res in results:
        rows, runs = res["rows"], res["runs"]
        med = {impl: {k: statistics.median(r[k] for r in rs) for k in ("wall", "in_process", "peak_rss_bytes", "user", "sys")}
               for impl, rs in runs.items()}
        matrix = next(iter(runs.values()))[0]["matrix_bytes"]
        ours = med.get("tabprep")
        lines.append(f"\n{rows:,} rows (output matrix {matrix / 1e9:.2f} GB; medians of {len(next(iter(runs.values())))} "
                     "rounds, one fresh process each):\n")
        lines.append("| | wall (process) | peer / tabprep | in-process | CPU user + sys | peak RSS | RSS / matrix |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        for impl in runs:
            m = med[impl]
            ratio = "" if ours is None or impl.startswith("tabprep") else f"{m['wall'] / ours['wall']:.1f}×"
            lines.append(f"| {labels[impl]} | {_fmt(m['wall'])} | {ratio} | {_fmt(m['in_process'])} | "
                         f"{m['user']:.1f} + {m['sys']:.1f} s | {m['peak_rss_bytes'] / 1e9:.2f} GB | "
                         f"{m['peak_rss_bytes'] / matrix:.2f}× |")
    return "\n".join(lines)


def table_main(argv, *, description: str, impls: tuple, labels: dict, measure, default_rows: str,
               rows_help: str | None = None) -> int:
    """The command line of a table script: ``--rows``, ``--rounds``, ``--impls``, ``--json``;
    ``measure(rows, impls, rounds)`` per row count, then the table printed."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rows", default=default_rows, help=rows_help)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--impls", default=",".join(impls))
    parser.add_argument("--json", help="also write the raw runs here")
    args = parser.parse_args(argv)
    chosen = [i for i in args.impls.split(",") if i]
    unknown = set(chosen) - set(impls)
    if unknown:
        parser.error(f"unknown implementations {sorted(unknown)}; choose from {impls}")
    results = [measure(int(n), chosen, args.rounds) for n in args.rows.split(",") if n]
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    print(render(results, labels))
    return 0


def main(argv=None) -> int:
    return table_main(argv, description=__doc__.splitlines()[0], impls=IMPLS, labels=LABELS, measure=measure,
                      default_rows="1000000,10000000")


if __name__ == "__main__":
    raise SystemExit(main())
