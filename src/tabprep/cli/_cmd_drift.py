"""``tabprep drift REFERENCE DATA [--json] [-o report.html]``: has DATA drifted from a reference?"""

from __future__ import annotations

import argparse

NAME = "drift"
EXIT_DRIFT = 1  # as `diff`: 0 no difference, 1 difference; errors keep 2/3/4


def add_parser(subparsers) -> argparse.ArgumentParser:
    from tabprep.cli._options import add_read_options

    p = subparsers.add_parser(
        NAME,
        help="compare data with a saved profile or a fitted pipeline: PSI, KS, Jensen-Shannon, chi-square, "
             "missing share",
        description="Compare DATA, feature by feature, with REFERENCE: a profile folder ('tabprep profile "
        "--save') or a fitted pipeline artifact ('tabprep fit'), whose statistics are the baseline "
        "(the training data is not read). Exit status: 0 no drift, 1 drift detected (as diff); "
        "2/3/4 for usage, data and artifact errors.",
    )
    p.add_argument("reference", metavar="REFERENCE", help="profile folder or fitted pipeline artifact folder")
    p.add_argument("data", metavar="DATA", help="current data: a file, folder or glob pattern (quote it)")
    p.add_argument("-o", "--output", metavar="REPORT.html", help="also write a self-contained HTML report")
    p.add_argument("--threshold", action="append", default=[], metavar="NAME=VALUE",
                   help="change a threshold (psi, ks, js, chi2_p, unseen_share, missing_change, mean_shift, "
                        "share); VALUE 'none' turns a metric off; repeatable")
    add_read_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print nothing: the exit code says whether a column drifted (1) or not (0)")
    return p


def _thresholds(items: list[str]) -> dict:
    from tabprep.errors import ConfigError

    out = {}
    for item in items:
        name, eq, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name or not value:
            raise ConfigError("--threshold expects NAME=VALUE", found=repr(item), hint="e.g. --threshold psi=0.25")
        if value.lower() == "none":
            out[name] = None
            continue
        try:
            out[name] = float(value)
        except ValueError:
            raise ConfigError(f"--threshold {name}: expected a number or 'none'", found=repr(value)) from None
    return out


def run(args: argparse.Namespace) -> int:
    from tabprep.cli._options import scan_input
    from tabprep.errors import ConfigError
    from tabprep.io import check_not_an_input
    from tabprep.validate import DriftThresholds, drift, write_html

    check_not_an_input([args.output], [args.data, args.reference])
    values = _thresholds(args.threshold)
    known = list(DriftThresholds.__dataclass_fields__)
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError("--threshold: unknown metric", found=", ".join(unknown), hint="one of " + ", ".join(known))
    thresholds = DriftThresholds(**values)
    data = scan_input(args, args.data)
    report = drift(args.reference, data, thresholds=thresholds)
    report.source = args.data
    if args.output is not None:
        write_html(report, args.output)
    if not args.quiet:
        print(report.to_json() if args.json else report)
    return EXIT_DRIFT if report.drifted else 0
