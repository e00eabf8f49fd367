"""``tabprep sample DATA -o OUT``: random, stratified or reservoir sample, written atomically."""

from __future__ import annotations

import argparse

from tabprep.cli._options import add_read_options, integer, number

NAME = "sample"


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        NAME,
        help="sample rows (random, stratified, or reservoir for data bigger than memory)",
        description=(
            "Write a seeded sample of DATA to OUT: exactly --n rows or a --frac of them, at random or "
            "stratified on --by (proportional; --per-class for n rows of each class). --reservoir "
            "samples --n rows in one streaming pass with memory bounded by n (for sources bigger than "
            "memory). Rows keep their source order. OUT is written atomically."
        ),
    )
    p.add_argument("data", metavar="DATA", help="input file, folder or glob pattern")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output file (format from its extension)")
    size = p.add_mutually_exclusive_group(required=True)
    size.add_argument("--n", type=integer, metavar="N", help="number of rows")
    size.add_argument("--frac", type=number, metavar="F", help="fraction of rows (rounded down)")
    p.add_argument("--by", metavar="COL", help="stratify on this label column")
    p.add_argument("--per-class", action="store_true", help="with --by: --n / --frac rows of each class")
    p.add_argument("--replace", action="store_true", help="draw with replacement")
    p.add_argument("--reservoir", action="store_true", help="streaming reservoir sample of --n rows (one pass, memory bounded by n)")
    p.add_argument("--batch-size", type=integer, metavar="ROWS", help="--reservoir: rows per streamed batch")
    p.add_argument("--seed", type=integer, default=0, help="seed (default 0)")
    add_read_options(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary line (both are only shown on a terminal anyway)")
    return p


def run(args: argparse.Namespace) -> int:
    import sys

    import tabprep.io as tio
    from tabprep.cli._options import scan_input
    from tabprep.cli._progress import Progress, progress_enabled
    from tabprep.errors import ConfigError
    from tabprep.sample import reservoir_sample, sample

    tio.check_not_an_input([args.output], [args.data])
    lf = scan_input(args, args.data)
    if args.reservoir:
        if args.n is None:
            raise ConfigError("--reservoir needs --n N")
        if args.by or args.per_class or args.replace:
            raise ConfigError("--reservoir takes a plain random sample: it cannot be combined with --by, --per-class or --replace")
        # the reservoir reads every row of DATA in batches: those are the bar's rows
        with Progress(f"sampling {args.data}", enabled=progress_enabled(args.quiet)) as bar:
            bar.count_rows(args.data)
            out = reservoir_sample(lf, args.n, seed=args.seed, batch_size=args.batch_size)
    else:
        if args.batch_size is not None:
            raise ConfigError("--batch-size applies to --reservoir only")
        out = sample(lf, args.n, frac=args.frac, by=args.by, per_class=args.per_class, replace=args.replace, seed=args.seed)
    with Progress(f"writing {args.output}", enabled=progress_enabled(args.quiet)):
        path = tio.write(out, args.output)  # rows written (the sample's size is known only once drawn)
    if progress_enabled(args.quiet):
        print(f"wrote a sample to {path}", file=sys.stderr)
    return 0
