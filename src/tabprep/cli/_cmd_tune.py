"""``tabprep tune SPEC DATA --trials N -o OUT``: tune pipeline + model parameters with Optuna."""

from __future__ import annotations

import argparse
import sys

from tabprep.cli._options import add_read_options, positive_int

NAME = "tune"


def add_parser(subparsers) -> argparse.ArgumentParser:
    from tabprep.cli._cmd_evaluate import add_model_options

    p = subparsers.add_parser(
        NAME,
        help="tune pipeline and model parameters (Optuna: grid, random, TPE; resumable)",
        description="Search the [search] space of SPEC (set_params names: <step>__<param>, "
        "model__<param>) by cross-validation on DATA. Trials that change only model parameters reuse "
        "the prepared fold matrices. The study lives in a database (default OUT/study.db, SQLite): "
        "run the same command again to resume a stopped or killed study up to --trials finished "
        "trials. Writes OUT/best.tabprep (the best pipeline refitted on all rows), OUT/best.json "
        "(best parameters and score), OUT/trials.csv and OUT/report.html (self-contained, offline).",
    )
    p.add_argument("spec", metavar="SPEC", help="spec (.toml) with [[steps]], [search] and optionally [model], [tune]")
    p.add_argument("data", metavar="DATA", help="data: a file, folder or glob pattern (quote it)")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output folder (created if missing)")
    p.add_argument("--trials", type=positive_int, metavar="N",
                   help="finished trials wanted, counting those of a resumed study (default: [tune] "
                        "trials, the grid's size, or 20)")
    p.add_argument("--strategy", choices=("tpe", "random", "grid"), help="sampler (default tpe)")
    p.add_argument("--storage", metavar="URL", help="SQLAlchemy URL or SQLite file (default OUT/study.db)")
    p.add_argument("--study-name", metavar="NAME", help="study name in the storage (default 'tabprep')")
    p.add_argument("--timeout", type=float, metavar="S", help="start no trial after S seconds")
    p.add_argument("--fidelity", choices=("rows", "rounds"), help="multi-fidelity: prune weak trials early")
    p.add_argument("--pruner", choices=("none", "median", "halving", "hyperband"),
                   help="pruner (default hyperband with --fidelity)")
    add_model_options(p)
    add_read_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    return p


def _progress(stream, tty: bool):
    def show(done, total, best, elapsed):
        best_text = "-" if best is None else f"{best:.6g}"
        line = f"trial {done}/{total}  best {best_text}  elapsed {elapsed:.1f}s"
        stream.write(("\r\033[K" + line) if tty else line + "\n")
        stream.flush()
    return show


def run(args: argparse.Namespace) -> int:
    import json
    import os

    from tabprep.cli._cmd_evaluate import fit_options, model_and_spec
    from tabprep.cli._options import has_read_options, scan_input
    from tabprep.errors import ConfigError
    from tabprep.io import atomic_path, check_not_an_input, polars_errors
    from tabprep.tune import tune, write_report

    spec, model, target, cv, scoring = model_and_spec(args)
    if not spec.space:
        raise ConfigError("the spec has no [search] table: nothing to tune", path=args.spec,
                          hint='add e.g. [search] model__C = { low = 0.001, high = 10.0, log = true }')
    opts = spec.options
    out = os.path.abspath(args.output)
    if not os.path.isdir(os.path.dirname(out)):
        raise ConfigError("the parent folder of the output does not exist", path=out)
    check_not_an_input([out], [args.data, args.spec])
    os.makedirs(out, exist_ok=True)
    storage = args.storage or os.path.join(out, "study.db")
    data = scan_input(args, args.data) if has_read_options(args) else args.data
    tty = bool(getattr(sys.stderr, "isatty", lambda: False)())
    show = None if args.quiet or args.json else _progress(sys.stderr, tty)
    with polars_errors(args.data):
        res = tune(spec.pipeline, model, data, target, space=spec.space,
                   n_trials=args.trials or opts.get("trials"), strategy=args.strategy or opts.get("strategy", "tpe"),
                   storage=storage, study_name=args.study_name or opts.get("study_name", "tabprep"),
                   cv=cv if args.cv != "5" or "cv" not in opts else opts["cv"],
                   scoring=scoring if scoring is not None else opts.get("scoring"),
                   seed=args.seed if args.seed != 0 or "seed" not in opts else opts["seed"],
                   timeout=args.timeout or opts.get("timeout"), fidelity=args.fidelity or opts.get("fidelity"),
                   pruner=args.pruner or opts.get("pruner"), n_jobs=args.jobs or opts.get("n_jobs", 1),
                   callback=show, **fit_options(args, spec))
    if show is not None and tty:
        sys.stderr.write("\n")
    if not res.best_params:
        raise ConfigError("no trial completed", hint="see the trials table; raise --trials or --timeout")
    artifact = res.best_pipeline.save(os.path.join(out, "best.tabprep"))
    with atomic_path(os.path.join(out, "trials.csv")) as tmp:
        res.trials.write_csv(tmp)
    best = {"metric": res.metric, "best_score": res.best_score, "best_params": res.best_params,
            "best_trial": res.study.best_trial.number, "model": repr(res.best_model),
            "trials": res.trials.height, "recovered_trials": res.recovered}
    with atomic_path(os.path.join(out, "best.json")) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(best, f, indent=2, sort_keys=True, default=str)
    report = write_report(res, os.path.join(out, "report.html"), title=f"tabprep tune: {os.path.basename(args.spec)}")
    if args.json:
        print(json.dumps({**best, "artifact": str(artifact), "report": report}, indent=2, default=str))
        return 0
    if res.recovered:
        print(f"resumed: trials {res.recovered} of a stopped run were marked failed and run again")
    print(f"best {res.metric}: {res.best_score:.6g} (trial {res.study.best_trial.number})")
    for k, v in sorted(res.best_params.items()):
        print(f"  {k} = {v!r}")
    finished = res.trials.filter(res.trials["state"].is_in(["COMPLETE", "PRUNED"]))
    print(f"{finished.height} trials finished ({res.trials.height} in the study):")
    import polars as pl

    with pl.Config(tbl_rows=30, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
        print(finished.sort("value", descending=True, nulls_last=True).head(30))
    print(f"artifact  {artifact}")
    print(f"report    {report}")
    return 0
