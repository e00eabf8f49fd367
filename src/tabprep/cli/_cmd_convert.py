"""``tabprep convert IN OUT``: streaming, atomic conversion between CSV, Parquet, Arrow IPC, NDJSON."""

from __future__ import annotations

import argparse

from tabprep.cli._options import add_text_options, nonnegative_int, parse_column_list, parse_schema_overrides_text, positive_int

NAME = "convert"


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        NAME,
        help="convert a table between CSV, Parquet, Arrow IPC and NDJSON (streaming)",
        description=(
            "Convert IN to OUT in one streaming pass (files bigger than memory are fine). Formats come "
            "from the extensions (.csv[.gz|.zst], .parquet/.pq, .arrow/.ipc/.feather, .ndjson/.jsonl) "
            "unless given. OUT is written atomically: on any error no output file is left and an "
            "existing OUT is untouched."
        ),
    )
    p.add_argument("input", metavar="IN", help="input file, folder or glob pattern (quote it)")
    p.add_argument("output", metavar="OUT", help="output file")
    p.add_argument("--format", dest="format", metavar="FMT", help="output format: csv, parquet, ipc, ndjson")
    p.add_argument("--input-format", metavar="FMT", help="input format: csv, parquet, ipc, ndjson")
    p.add_argument(
        "--compression",
        metavar="C",
        help="parquet: zstd (default), snappy, lz4, gzip, brotli, uncompressed; ipc: uncompressed "
        "(default), lz4, zstd; csv/ndjson: uncompressed (default), gzip, zstd",
    )
    p.add_argument("--row-group-size", type=positive_int, metavar="N", help="rows per Parquet row group")
    p.add_argument(
        "--schema-overrides",
        metavar="COL=DTYPE,...",
        help="read these columns with these Polars dtypes, e.g. id=Int64,day=Date,ts=Datetime(ms)",
    )
    add_text_options(p)
    p.add_argument("--columns", metavar="A,B,C", help="keep only these columns, in this order")
    p.add_argument("--limit", type=nonnegative_int, metavar="N", help="write only the first N rows")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar (on a terminal it shows rows done / total and rows/s) and no summary")
    return p


def run(args: argparse.Namespace) -> int:
    import sys

    from tabprep.cli._progress import Progress, progress_enabled

    overrides = parse_schema_overrides_text(args.schema_overrides)
    columns = parse_column_list(args.columns)

    import polars as pl

    import tabprep.io as tio

    show = progress_enabled(args.quiet)
    with Progress(f"converting {args.input} -> {args.output}", enabled=show) as progress:
        progress.count_rows(args.input, args.limit)
        out = tio.convert(
            args.input,
            args.output,
            input_format=args.input_format,
            format=args.format,
            compression=args.compression,
            row_group_size=args.row_group_size,
            schema_overrides=overrides,
            columns=columns,
            limit=args.limit,
            ragged=args.ragged,
            encoding=args.encoding,
        )
    if show:
        # Counting costs a metadata read (Parquet/IPC) or a fast line count (text): only for humans.
        fmt = args.format or tio.format_from_path(out)
        with tio.polars_errors(out):
            rows = tio.scan(out, format=fmt).select(pl.len()).collect().item()
        progress.done(f"wrote {rows:,} rows to {out} in {progress.elapsed:.1f}s")
    sys.stdout.flush()
    return 0
