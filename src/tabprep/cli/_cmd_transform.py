"""``tabprep transform ARTIFACT DATA -o OUT [--numpy X.npy]``: apply a fitted pipeline to data."""

from __future__ import annotations

import argparse

from tabprep.cli._options import add_read_options

NAME = "transform"


def add_parser(subparsers) -> argparse.ArgumentParser:
    from tabprep.cli._outputs import add_output_options

    p = subparsers.add_parser(
        NAME,
        help="apply a fitted pipeline artifact to new data; write a table and/or a float matrix (.npy)",
        description="Load ARTIFACT (checksums verified, no code executed), check DATA's columns and "
        "dtypes against the ones it was fitted on, and apply it. -o writes the transformed table "
        "(streaming; format from the extension); --numpy writes the pipeline's features as one "
        "float matrix in NumPy's .npy format (nulls as NaN) with a sidecar .npy.json naming its "
        "columns. The outputs are written atomically, all or none. For the training rows use "
        "'tabprep fit ... --transform-out' instead: a target or WoE encoder gives them out-of-fold "
        "values there, and in-sample ones here (a target leak), so transform refuses the training "
        "data of such a pipeline unless --allow-training-data is given.",
    )
    p.add_argument("artifact", metavar="ARTIFACT", help="artifact folder written by 'tabprep fit'")
    p.add_argument("data", metavar="DATA", help="input data: a file, folder or glob pattern (quote it)")
    add_output_options(p, "-o", "transformed table (.parquet, .csv, .arrow, .ndjson)")
    add_read_options(p)
    p.add_argument("--allow-training-data", action="store_true",
                   help="transform the pipeline's own training data even though a cross-fitting step "
                        "(target/WoE encoder) then gives those rows in-sample encodings")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success, and no progress bar (shown on a terminal: rows done / total, rows/s)")
    return p


def check_not_training_data(fitted, data, lf, allowed: bool) -> None:
    """Refuse the training data of a pipeline with a cross-fitting step (a target leak): DATA's
    fingerprint (of the file, or of the scanned rows when the pipeline was fitted on a scan)
    against the one recorded at fit."""
    from tabprep.errors import ConfigError

    crossing = fitted.cross_fitted_steps
    recorded = fitted.lineage.get("data_fingerprint")
    if allowed or not crossing or not recorded:
        return
    from tabprep.pipeline import data_fingerprint

    source = data if fitted.lineage.get("paths") else lf
    if data_fingerprint(source).get("data_fingerprint") == recorded:
        raise ConfigError(
            f"DATA is the data this pipeline was fitted on, and step {crossing[0]!r} would give its "
            "rows in-sample encodings (each row's own target leaks into its features)",
            path=data,
            hint="use 'tabprep fit SPEC DATA -o ARTIFACT --transform-out OUT' to get the training rows "
                 "out-of-fold, or pass --allow-training-data if in-sample values are really wanted",
        )


def report(result: dict, args, what: str) -> None:
    """Print what was written (text or JSON)."""
    import json

    from tabprep.cli._cmd_inspect import plural, short_list

    if args.quiet:
        return
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return
    print(what)
    if "output" in result:
        print(f"table        {result['output']}")
    if "numpy" in result:
        rows, cols = result["shape"]
        print(f"matrix       {result['numpy']}: {rows:,} x {cols} {result['dtype']} ({result['order']} order); "
              f"columns {short_list(result['columns'], 6)} (listed in {result['numpy']}.json)")
        if result.get("skipped"):
            print(f"             left out {plural(len(result['skipped']), 'non-numeric feature')}: "
                  f"{short_list(result['skipped'], 6)}")


def run(args: argparse.Namespace) -> int:
    import time

    from tabprep.cli._options import parse_column_list, scan_input
    from tabprep.cli._outputs import matrix_columns, sidecar_path, write_outputs
    from tabprep.cli._progress import Progress, progress_enabled
    from tabprep.errors import ConfigError, DataError
    from tabprep.io import check_not_an_input
    from tabprep.pipeline import load

    if args.table_out is None and args.numpy is None:
        raise ConfigError("nothing to write: give -o OUT and/or --numpy X.npy")
    npy_side = None if args.numpy is None else sidecar_path(args.numpy)
    check_not_an_input([args.table_out, args.numpy, npy_side], [args.data, args.artifact])
    columns = parse_column_list(args.numpy_columns, "--numpy-columns")
    fitted = load(args.artifact)
    skipped: list[str] = []
    if args.numpy is not None:
        columns, skipped = matrix_columns(fitted, columns, args.numeric_only)
    data = scan_input(args, args.data)
    check_not_training_data(fitted, args.data, data, args.allow_training_data)
    start = time.perf_counter()
    result = {"artifact": str(args.artifact), "fingerprint": fitted.fingerprint}
    with Progress(f"transforming {args.data}", enabled=progress_enabled(args.quiet or args.json)) as bar:
        bar.count_rows(args.data)
        # new data read with other types than the training data (a CSV guesses them) gets the
        # fitted dtypes where that is safe; the schema check then refuses the rest
        lf = fitted.transform(fitted.conform(data))  # lazy
        try:
            result.update(write_outputs(lf, table=args.table_out, npy=args.numpy, columns=columns, dtype=args.dtype,
                                        order=args.order, label=args.data, progress=bar))
        except DataError as exc:
            # a step's check inside the query cannot know the row: the steps name it (reading DATA
            # again, only then); the command names the file (cli._naming_the_data)
            better = None if exc.row is not None else fitted.explain_failure(fitted.conform(data))
            if better is None:
                raise
            raise better from exc
    if args.numpy is not None:
        result["skipped"] = skipped
    result["seconds"] = round(time.perf_counter() - start, 3)
    report(result, args, f"transformed {args.data} with {args.artifact} (fingerprint {result['fingerprint'][:12]}) "
                         f"in {result['seconds']:.2f}s")
    return 0
