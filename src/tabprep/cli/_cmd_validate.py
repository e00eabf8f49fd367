"""``tabprep validate CONTRACT DATA [--json] [-o report.html]``: check data against a contract."""

from __future__ import annotations

import argparse

from tabprep.cli._options import add_read_options, nonnegative_int

NAME = "validate"
EXIT_FAILED = 3  # an error-level check failed: the data is not fit to use (as a DataError)


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        NAME,
        help="check data against a contract (TOML, or the input contract of a fitted pipeline)",
        description="Run every check of CONTRACT on DATA in one streaming pass and print the failed "
        "checks with the first failing row numbers (from 0). CONTRACT is a TOML contract file, or an "
        "artifact folder written by 'tabprep fit' (then the contract its input needs: columns, "
        "dtypes, categories, finite numbers). Exit status: 0 when no error-level check fails (warnings alone "
        "exit 0), 3 when one does; 2/4 for a bad contract or artifact.",
    )
    p.add_argument("contract", metavar="CONTRACT", help="contract .toml file, or a fitted pipeline artifact folder")
    p.add_argument("data", metavar="DATA", help="input data: a file, folder or glob pattern (quote it)")
    p.add_argument("-o", "--output", metavar="REPORT.html", help="also write a self-contained HTML report")
    p.add_argument("--sample", type=nonnegative_int, default=5, metavar="N",
                   help="failing rows shown per check (default 5)")
    p.add_argument("--infer", action="store_true",
                   help="instead of checking: propose a contract from DATA and write it to CONTRACT "
                        "(a new .toml file) for you to review")
    add_read_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print nothing: the exit code says whether an error-level check failed (3) or not (0)")
    return p


def load_contract(path: str):
    """A TOML contract file, or the input contract of an artifact folder."""
    import os

    from tabprep.validate import read_contract

    if os.path.isdir(path):
        from tabprep.pipeline import load

        return load(path).input_contract()
    return read_contract(path)


def run(args: argparse.Namespace) -> int:
    import json

    from tabprep.cli._options import scan_input
    from tabprep.io import check_not_an_input

    data = scan_input(args, args.data)
    if args.infer:
        import os

        from tabprep.errors import ConfigError
        from tabprep.validate import infer_contract

        if os.path.exists(args.contract):
            raise ConfigError("--infer writes a new contract file, and CONTRACT exists", path=args.contract,
                              hint="give a new file name, or remove the old contract first")
        check_not_an_input([args.contract], [args.data])
        infer_contract(data).save(args.contract)
        if not args.quiet:
            print(json.dumps({"contract": args.contract, "data": args.data}) if args.json else
                  f"wrote a proposed contract for {args.data} to {args.contract}: review it before use")
        return 0
    contract = load_contract(args.contract)
    if args.output is not None:
        check_not_an_input([args.output], [args.data, args.contract])
    report = contract.validate(data, sample=args.sample, path=args.data)
    if args.output is not None:
        from tabprep.validate import write_html

        write_html(report, args.output)
    if not args.quiet:
        print(report.to_json() if args.json else report)
    return 0 if report.ok else EXIT_FAILED
