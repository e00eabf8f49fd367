"""``tabprep split DATA -o OUT``: add a train/valid/test (or K-fold) column, or write one file per split."""

from __future__ import annotations

import argparse

from tabprep.cli._options import add_read_options, integer, number_list

NAME = "split"
_STRATEGIES = ("random", "stratified", "group", "stratified_group", "time")


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        NAME,
        help="add a split (train/valid/test) or fold column, or write one file per split",
        description=(
            "Add an Int8 split column (0 = first ratio, e.g. train; 1 = valid; 2 = test) to DATA and "
            "write it to OUT, or with --per-split write one file per split (OUT_train.parquet, ...; "
            "or put {split} in OUT). With --folds K, add a K-fold column instead. Deterministic by "
            "--seed. Outputs are written atomically."
        ),
    )
    p.add_argument("data", metavar="DATA", help="input file, folder or glob pattern")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output file (format from its extension)")
    p.add_argument("--strategy", choices=_STRATEGIES, default=None, help="default: stratified with --by, group with --group, time with --time, else random")
    p.add_argument("--ratios", type=number_list, default="0.8,0.1,0.1", metavar="R,R,...", help="share of each split, summing to 1 (default 0.8,0.1,0.1)")
    p.add_argument("--folds", type=integer, metavar="K", help="add a K-fold column (name 'fold') instead of a split column")
    p.add_argument("--by", metavar="COL", help="label column to stratify on")
    p.add_argument("--group", metavar="COL", help="group column: no group on two sides")
    p.add_argument("--time", metavar="COL", help="time column for --strategy time")
    p.add_argument("--gap", metavar="DURATION", help="time strategy: leave out rows within this duration before each cut (e.g. 7d, 12h; a number for numeric time)")
    p.add_argument("--bins", type=integer, metavar="N", help="stratify a continuous --by column on N quantile bins")
    p.add_argument("--seed", type=integer, default=0, help="seed (default 0)")
    p.add_argument("--name", default=None, help="name of the new column (default 'split', or 'fold' with --folds)")
    p.add_argument("--names", metavar="A,B,...", help="split names for --per-split files (default train,valid,test / train,test / split0,...)")
    p.add_argument("--per-split", action="store_true", help="write one file per split instead of a column")
    add_read_options(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary line (both are only shown on a terminal anyway)")
    return p


def _gap(text: str | None):
    if text is None:
        return None
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text  # a Polars duration string, checked against the column's dtype


def run(args: argparse.Namespace) -> int:
    import sys

    import tabprep.io as tio
    from tabprep.cli._options import has_read_options, scan_input
    from tabprep.cli._progress import Progress, progress_enabled
    from tabprep.errors import ConfigError
    from tabprep.split import add_fold_column, add_split_column, default_split_names, split_file_path, write_splits

    show = progress_enabled(args.quiet)
    strategy = args.strategy or (
        "stratified_group" if args.by and args.group else
        "stratified" if args.by else "group" if args.group else "time" if args.time else "random"
    )
    bins = args.bins if args.bins is not None else "auto"
    if not args.per_split:  # write_splits checks its own outputs
        tio.check_not_an_input([args.output], [args.data])
    lf = scan_input(args, args.data)
    if args.folds is not None:
        if args.per_split:
            raise ConfigError("--per-split writes train/valid/test files; it does not apply to --folds")
        out = add_fold_column(
            lf, args.folds, strategy=strategy, by=args.by, group=args.group, time=args.time,
            bins=bins, seed=args.seed, name=args.name or "fold",
        )
        with Progress(f"writing {args.output}", enabled=show) as bar:
            bar.count_rows(args.data)
            path = tio.write(out, args.output)
        if show:
            print(f"wrote {path} with a {args.folds}-fold column {args.name or 'fold'!r} ({strategy})", file=sys.stderr)
        return 0
    name = args.name or "split"
    kwargs = dict(strategy=strategy, by=args.by, group=args.group, time=args.time, gap=_gap(args.gap), bins=bins, seed=args.seed, name=name)
    ratios = args.ratios
    # lazy: this reads the schema only, and checks every parameter (the library's own messages)
    with_split = add_split_column(lf, ratios, **kwargs)
    if not args.per_split:
        with Progress(f"writing {args.output}", enabled=show) as bar:
            bar.count_rows(args.data)
            path = tio.write(with_split, args.output)
        if show:
            print(f"wrote {path} with a split column {name!r} ({strategy})", file=sys.stderr)
        return 0
    names = None if args.names is None else [x.strip() for x in args.names.split(",") if x.strip()]
    if has_read_options(args):  # write_splits gets the scan: check its outputs against DATA here
        parts = names or default_split_names(len(ratios))
        tio.check_not_an_input([split_file_path(args.output, n) for n in parts], [args.data])
    with Progress(f"splitting {args.data}", enabled=show) as bar:
        bar.count_rows(args.data)  # the parts' rows add up to it (less a time split's gap)
        paths = write_splits(lf if has_read_options(args) else args.data, args.output, ratios, names=names,
                             strategy=strategy, by=args.by, group=args.group, time=args.time, gap=_gap(args.gap),
                             bins=bins, seed=args.seed)
    if show:
        print(f"wrote {len(paths)} files: " + ", ".join(str(p) for p in paths.values()), file=sys.stderr)
    return 0
