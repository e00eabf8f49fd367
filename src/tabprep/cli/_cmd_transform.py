"""``tabprep transform ARTIFACT DATA -o OUT [--numpy X.npy]``: apply a fitted pipeline to data."""

from __future__ import annotations

import argparse

NAME = "transform"


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        NAME,
        help="apply a fitted pipeline artifact to data; write a table and/or a float matrix (.npy)",
        description="Load ARTIFACT (checksums verified, no code executed), check DATA's columns and "
        "dtypes against the ones it was fitted on, and apply it. -o writes the transformed table "
        "(streaming; format from the extension); --numpy writes the feature columns as one "
        "float matrix in NumPy's .npy format (nulls as NaN). Both outputs are written atomically.",
    )
    p.add_argument("artifact", metavar="ARTIFACT", help="artifact folder written by 'tabprep fit'")
    p.add_argument("data", metavar="DATA", help="input data: a file, folder or glob pattern (quote it)")
    p.add_argument("-o", "--output", metavar="OUT", help="transformed table (.parquet, .csv, .arrow, .ndjson)")
    p.add_argument("--numpy", metavar="X.npy", help="also write the features as a float matrix (.npy)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="matrix dtype (default float32)")
    p.add_argument("--order", choices=("C", "F"), default="C", help="matrix memory order (default C, row-major)")
    p.add_argument(
        "--numpy-columns", metavar="A,B,...",
        help="matrix columns, in this order (default: every output feature; the target is never included)",
    )
    p.add_argument("--numeric-only", action="store_true",
                   help="matrix of the numeric and boolean features only (the others are listed, not an error)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    return p


def save_npy(matrix, path) -> None:
    """Write ``matrix`` as .npy atomically (temp file in the same folder, fsync, rename)."""
    import numpy as np

    from tabprep.io import atomic_path

    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        # a file object, not a name: np.save would append ".npy" to the temp name
        np.save(f, matrix, allow_pickle=False)


def numeric_features(schema, names) -> tuple[list[str], list[str]]:
    """Split ``names`` into (numeric or boolean, other) by their dtype in ``schema``."""
    import polars as pl

    keep, skipped = [], []
    for name in names:
        dtype = schema[name]
        (keep if dtype.is_numeric() or dtype in (pl.Boolean, pl.Null) else skipped).append(name)
    return keep, skipped


def matrix_columns(fitted, columns: list[str] | None, numeric_only: bool) -> tuple[list[str], list[str]]:
    """The matrix columns and the features left out, checked against the pipeline's output schema
    before any work starts (so a bad choice writes nothing)."""
    from tabprep.errors import SchemaError

    if columns is None:
        columns = [c for c in fitted.feature_names_out if c != fitted.target]
        if numeric_only:
            return numeric_features(fitted.output_schema, columns)
    schema = fitted.output_schema
    # the target may be asked for explicitly (y as a matrix); its dtype is the data's, checked later
    named = [c for c in columns if c != fitted.target]
    for name in named:
        if name not in schema:
            raise SchemaError("--numpy-columns names a column the pipeline does not output", column=name,
                              hint="output features: " + ", ".join(fitted.feature_names_out[:20]))
    _, other = numeric_features(schema, named)
    if other:
        raise SchemaError(
            "expected a numeric or boolean column for the matrix", column=other[0], found=str(schema[other[0]]),
            hint="add an encoder for it to the spec (tabprep.encode), pass --numeric-only to leave the "
                 "non-numeric features out, or choose the columns with --numpy-columns",
        )
    return columns, []


def run(args: argparse.Namespace) -> int:
    import json
    import time

    from tabprep.cli._cmd_inspect import plural, short_list
    from tabprep.cli._options import parse_column_list
    from tabprep.cli._progress import Progress, progress_enabled
    from tabprep.errors import ConfigError
    from tabprep.handoff import to_numpy
    from tabprep.io import format_from_path, polars_errors, scan, write
    from tabprep.pipeline import load

    if args.output is None and args.numpy is None:
        raise ConfigError("nothing to write: give -o OUT and/or --numpy X.npy")
    columns = parse_column_list(args.numpy_columns, "--numpy-columns")
    if columns is not None and args.numeric_only:
        raise ConfigError("--numpy-columns and --numeric-only cannot be combined")
    fitted = load(args.artifact)
    skipped: list[str] = []
    if args.numpy is not None:
        columns, skipped = matrix_columns(fitted, columns, args.numeric_only)
    start = time.perf_counter()
    result = {"artifact": str(args.artifact), "fingerprint": fitted.fingerprint}
    with Progress(f"transforming {args.data}", enabled=progress_enabled(args.quiet or args.json)):
        lf = fitted.transform(scan(args.data))  # lazy; the schema check has run already
        if args.output is not None:
            written = lf.collect_schema()
            out = write(lf, args.output)
            result["output"] = str(out)
            # The matrix comes from the written table: no second pass of the pipeline over DATA.
            # Text formats are read back with the schema just written, never with guessed types
            # (a feature that is null in its first rows would otherwise come back as String).
            text = format_from_path(out, required=False) in ("csv", "ndjson")
            lf = scan(out, schema_overrides=dict(written) if text else None)
        if args.numpy is not None:
            with polars_errors(args.data):
                matrix = to_numpy(lf, columns, dtype=args.dtype, order=args.order)
            save_npy(matrix, args.numpy)
            result.update(numpy=str(args.numpy), shape=list(matrix.shape), dtype=args.dtype, order=args.order,
                          columns=columns, skipped=skipped)
    result["seconds"] = round(time.perf_counter() - start, 3)
    if args.quiet:
        return 0
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(f"transformed {args.data} with {args.artifact} (fingerprint {result['fingerprint'][:12]}) "
          f"in {result['seconds']:.2f}s")
    if "output" in result:
        print(f"table        {result['output']}")
    if "numpy" in result:
        rows, cols = result["shape"]
        print(f"matrix       {result['numpy']}: {rows:,} x {cols} {args.dtype} ({args.order} order); "
              f"columns {short_list(result['columns'], 6)}")
        if result["skipped"]:
            print(f"             left out {plural(len(result['skipped']), 'non-numeric feature')}: "
                  f"{short_list(result['skipped'], 6)}")
    return 0
