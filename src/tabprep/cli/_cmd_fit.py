"""``tabprep fit SPEC DATA -o ARTIFACT``: fit a TOML pipeline spec on data, save the artifact."""

from __future__ import annotations

import argparse

from tabprep.cli._options import add_read_options, positive_int

NAME = "fit"


def add_parser(subparsers) -> argparse.ArgumentParser:
    from tabprep.cli._outputs import add_output_options

    p = subparsers.add_parser(
        NAME,
        help="fit a pipeline spec (TOML) on training data and save the fitted artifact",
        description="Fit the pipeline described by SPEC (a TOML file: the same step names and "
        "parameters as the Python API; None is written \"None\") on DATA in as few streaming "
        "passes as the steps allow, and save the fitted pipeline to the folder ARTIFACT (JSON manifest + Arrow files, "
        "fingerprinted, written atomically; an older artifact there is replaced). With "
        "--transform-out and/or --numpy, also write the training rows transformed as "
        "Pipeline.fit_transform gives them (target/WoE encodings out-of-fold, so no row sees its "
        "own target); 'tabprep transform' is for new rows.",
    )
    p.add_argument("spec", metavar="SPEC", help="pipeline spec (.toml)")
    p.add_argument("data", metavar="DATA", help="training data: a file, folder or glob pattern (quote it)")
    p.add_argument("-o", "--output", required=True, metavar="ARTIFACT", help="artifact folder to write")
    p.add_argument("--target", metavar="COL", help="target column (overrides the spec's `target`)")
    p.add_argument("--batch-size", type=positive_int, metavar="N", help="rows per batch of each statistics pass")
    add_output_options(p, "--transform-out", "also write the training rows transformed, exactly as "
                       "Pipeline.fit_transform gives them: out-of-fold values for target/WoE encoders "
                       "(format from the extension)")
    add_read_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success, and no progress bar (shown on a terminal: rows done / total, rows/s)")
    return p


def run(args: argparse.Namespace) -> int:
    import json
    import time

    from tabprep.cli._cmd_inspect import describe, plural, short_list
    from tabprep.cli._cmd_transform import report
    from tabprep.cli._options import has_read_options, parse_column_list, scan_input
    from tabprep.cli._outputs import matrix_columns, sidecar_path, write_outputs
    from tabprep.cli._progress import Progress, progress_enabled
    from tabprep.io import as_lazyframe, check_not_an_input, polars_errors
    from tabprep.pipeline import read_manifest, read_spec

    transform = args.table_out is not None or args.numpy is not None
    npy_side = None if args.numpy is None else sidecar_path(args.numpy)
    check_not_an_input([args.output, args.table_out, args.numpy, npy_side], [args.data, args.spec])
    columns = parse_column_list(args.numpy_columns, "--numpy-columns")
    spec = read_spec(args.spec)
    # the path itself unless the reading is changed, so the lineage is the file's own hash
    data = scan_input(args, args.data) if has_read_options(args) else args.data
    start = time.perf_counter()
    written: dict = {}
    with Progress(f"fitting {args.spec} on {args.data}", enabled=progress_enabled(args.quiet or args.json)) as bar:
        bar.count_rows(args.data)
        with polars_errors(args.data):
            if transform:
                fitted, rows = spec.fit_transform(data, target=args.target, batch_size=args.batch_size)
            else:
                fitted = spec.fit(data, target=args.target, batch_size=args.batch_size)
        fit_seconds = time.perf_counter() - start
        if transform:
            skipped: list[str] = []
            if args.numpy is not None:
                columns, skipped = matrix_columns(fitted, columns, args.numeric_only)
            written = write_outputs(as_lazyframe(rows), table=args.table_out,
                                    npy=args.numpy, columns=columns, dtype=args.dtype, order=args.order,
                                    label=args.data, progress=bar)
            if args.numpy is not None:
                written["skipped"] = skipped
        out = fitted.save(args.output)
    total = time.perf_counter() - start
    if args.quiet:
        return 0
    info = describe(read_manifest(out, verify=False), str(out))
    if args.json:
        info["seconds"] = {"fit": round(fit_seconds, 3), "total": round(total, 3)}
        info["training_rows"] = written
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return 0
    rows = info["lineage"].get("rows")
    phases = len(getattr(fitted, "fit_phases", []) or [])
    print(f"fitted {plural(len(fitted.steps), 'step')} on "
          f"{plural(rows, 'row') if isinstance(rows, int) else 'the data'} of {args.data} in {fit_seconds:.2f}s"
          + (f" ({phases} pass{'es' if phases != 1 else ''} over the data)" if phases else ""))
    width = max(len(n) for n, _, _ in fitted.steps)
    for name, step, cols in fitted.steps:
        print(f"  {name:<{width}}  {type(step).__name__} on {short_list(cols, 6)}")
    target = f" (target {fitted.target!r} carried through)" if fitted.target else ""
    passed = len(fitted.feature_names_out) - len(fitted.feature_columns)
    through = f"; {passed} more column{'s' if passed != 1 else ''} passed through" if passed else ""
    print(f"features     {len(fitted.feature_columns)}{through}{target}")
    print(f"fingerprint  {info['fingerprint']}")
    print(f"artifact     {out}")
    if written:
        report(written, args, "training rows (out-of-fold for cross-fitting steps):")
    return 0
