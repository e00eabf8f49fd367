"""``tabprep profile DATA [-o report.html] [--save PROFILE] [--sample N] [--json]``: per-column statistics."""

from __future__ import annotations

import argparse

from tabprep.cli._options import add_read_options, integer

NAME = "profile"


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        NAME,
        help="profile a table: missing values, distinct counts, ranges, quantiles, top values (one pass)",
        description="Read DATA once and print per column the rows, missing values, distinct values "
        "(exact up to --max-exact, else a HyperLogLog estimate), min/max/mean/std, quantiles (KLL "
        "sketch) and the most frequent values. -o writes a self-contained HTML report (a plot per "
        "column); --save writes the profile as a folder (JSON + Arrow, fingerprinted) that "
        "'tabprep drift' takes as its reference.",
    )
    p.add_argument("data", metavar="DATA", help="input data: a file, folder or glob pattern (quote it)")
    p.add_argument("-o", "--output", metavar="REPORT.html", help="write a self-contained HTML report")
    p.add_argument("--save", metavar="PROFILE", help="save the profile to this folder (a drift reference)")
    p.add_argument("--max-exact", type=integer, default=10_000, metavar="N",
                   help="exact distinct counts and top values up to N distinct values per column (default 10000)")
    p.add_argument("--top-k", type=integer, default=10, metavar="K", help="top values kept per column (default 10)")
    p.add_argument("--sample", type=integer, default=0, metavar="N",
                   help="keep a uniform sample of N rows with the profile: 'tabprep drift' then computes the "
                   "exact two-sample KS statistic against it (default 0: none)")
    p.add_argument("--seed", type=integer, default=0, metavar="S", help="seed of --sample (default 0)")
    add_read_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing (-o and --save still write)")
    return p


def run(args: argparse.Namespace) -> int:
    from tabprep.cli._options import scan_input
    from tabprep.io import check_not_an_input
    from tabprep.validate import profile, write_html

    check_not_an_input([args.output, args.save], [args.data])
    data = scan_input(args, args.data)
    prof = profile(data, max_exact=args.max_exact, top_k=args.top_k, sample=args.sample, seed=args.seed)
    prof.source = args.data
    if args.save is not None:
        prof.save(args.save)
    if args.output is not None:
        write_html(prof, args.output)
    if not args.quiet:
        print(prof.to_json() if args.json else prof)
    return 0
