"""``tabprep schema FILE``: columns, dtypes, row count and null counts (one streaming query)."""

from __future__ import annotations

import argparse

from tabprep.cli._options import add_read_options, parse_schema_overrides_text

NAME = "schema"


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        NAME,
        help="show columns, dtypes, row count and null counts of a table",
        description="Print the columns, dtypes, row count and per-column null counts of FILE "
        "(a file, folder or glob; one streaming pass).",
    )
    p.add_argument("file", metavar="FILE", help="input file, folder or glob pattern (quote it)")
    p.add_argument("--format", dest="format", metavar="FMT", help="input format: csv, parquet, ipc, ndjson")
    add_read_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    return p


def _table(schema) -> str:
    header = ("column", "dtype", "nulls")
    rows = [(c.name, c.dtype, f"{c.null_count:,}") for c in schema.columns]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(2)]
    lines = [
        f"{schema.path} ({schema.format}): {schema.row_count:,} rows, {len(schema.columns)} columns",
        f"{header[0]:<{widths[0]}}  {header[1]:<{widths[1]}}  {header[2]}",
    ]
    lines += [f"{name:<{widths[0]}}  {dtype:<{widths[1]}}  {nulls}" for name, dtype, nulls in rows]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import json

    from tabprep.cli._options import text_options
    from tabprep.io import read_schema

    options = {} if args.infer_schema_rows == 100 else {"infer_schema_length": args.infer_schema_rows}
    schema = read_schema(args.file, format=args.format,
                         schema_overrides=parse_schema_overrides_text(args.schema_overrides),
                         **text_options(args), **options)
    if args.json:
        print(json.dumps(schema.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(_table(schema))
    return 0
