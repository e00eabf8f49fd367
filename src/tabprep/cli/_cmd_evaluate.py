"""``tabprep evaluate SPEC DATA --model NAME --cv 5``: cross-validate a pipeline spec + a model."""

from __future__ import annotations

import argparse

from tabprep.cli._options import add_read_options, positive_int

NAME = "evaluate"


def add_model_options(p: argparse.ArgumentParser) -> None:
    """``--model``, ``--model-params``, ``--target``, ``--cv``, ``--scoring``, ``--seed``, ``--jobs``
    (shared with tune)."""
    p.add_argument("--model", metavar="NAME",
                   help="model class: LogisticRegression, Ridge, HistGradientBoostingClassifier/Regressor, "
                        "RandomForestClassifier/Regressor, LGBMClassifier/Regressor, XGBClassifier/Regressor "
                        "(default: the spec's [model] table)")
    p.add_argument("--model-params", metavar="JSON", help='model parameters as a JSON object, e.g. \'{"C": 0.5}\'')
    p.add_argument("--target", metavar="COL", help="target column (overrides the spec's `target`)")
    p.add_argument("--cv", default="5", metavar="K|COL",
                   help="number of folds (tabprep's shuffled, stratified for a classifier's classes) or a fold column (default 5)")
    p.add_argument("--scoring", metavar="M1,M2",
                   help="scikit-learn metric names, comma-separated (default: the model's score)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the folds (default 0)")
    p.add_argument("--jobs", type=positive_int, metavar="N",
                   help="models fitted at the same time, in threads, each with cores/N native threads "
                        "(evaluate: folds; tune: trials; default 1)")
    p.add_argument("--early-stopping", type=int, metavar="ROUNDS",
                   help="LightGBM/XGBoost: stop each fold's model after ROUNDS rounds without improvement on a "
                        "validation share of its training rows (default: [model] early_stopping, else off)")
    p.add_argument("--validation-fraction", type=float, metavar="F",
                   help="that validation share, in (0, 1) (default: [model] validation_fraction, else 0.1)")


def fit_options(args, spec) -> dict:
    """``early_stopping`` / ``validation_fraction`` for cross_validate / tune: the options, else
    the spec's ``[model]`` table (the library checks the values)."""
    opts = dict(spec.fit_options)
    if args.early_stopping is not None:
        opts["early_stopping"] = args.early_stopping
    if args.validation_fraction is not None:
        opts["validation_fraction"] = args.validation_fraction
    return opts


def model_and_spec(args):
    """``(TuneSpec, model, target, cv, scoring)`` from SPEC and the options (options win)."""
    import json

    from tabprep.errors import ConfigError
    from tabprep.evaluate import make_model
    from tabprep.tune import read_tune_spec

    spec = read_tune_spec(args.spec)
    if args.model is not None:
        params = {}
        if args.model_params:
            try:
                params = json.loads(args.model_params)
            except json.JSONDecodeError as exc:
                raise ConfigError("--model-params is not JSON", found=args.model_params,
                                  hint='write a JSON object, e.g. \'{"C": 0.5}\'') from exc
            if not isinstance(params, dict):
                raise ConfigError("--model-params must be a JSON object", found=args.model_params)
        model = make_model(args.model, params, source="--model")
    elif spec.model is not None:
        model = spec.model
    else:
        raise ConfigError("no model: pass --model NAME (or add a [model] table to the spec)", path=args.spec)
    target = args.target or spec.target
    if target is None:
        raise ConfigError("no target column: pass --target COL (or `target = ...` in the spec)", path=args.spec)
    cv = int(args.cv) if args.cv.isdigit() else args.cv
    scoring = None
    if args.scoring:
        names = [s.strip() for s in args.scoring.split(",") if s.strip()]
        scoring = names[0] if len(names) == 1 else names
    return spec, model, target, cv, scoring


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        NAME,
        help="cross-validate a pipeline spec followed by a model: per-fold scores, mean and std",
        description="Cross-validate the pipeline of SPEC followed by a scikit-learn-compatible model on "
        "DATA. Every fold's preparation comes from statistics computed once (target encoders from one "
        "per-(category, fold) table, scalers from per-fold partial statistics); the model sees each "
        "fold's feature matrix. Prints one line per fold and the mean and standard deviation of each "
        "metric.",
    )
    p.add_argument("spec", metavar="SPEC", help="pipeline spec (.toml); may hold a [model] table")
    p.add_argument("data", metavar="DATA", help="data: a file, folder or glob pattern (quote it)")
    add_model_options(p)
    p.add_argument("--bootstrap", type=int, default=0, metavar="N",
                   help="N bootstrap resamples of the folds: a 95%% interval of each mean score")
    add_read_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return p


def run(args: argparse.Namespace) -> int:
    import json

    from tabprep.cli._options import has_read_options, scan_input
    from tabprep.evaluate import cross_validate
    from tabprep.io import polars_errors

    spec, model, target, cv, scoring = model_and_spec(args)
    data = scan_input(args, args.data) if has_read_options(args) else args.data
    with polars_errors(args.data):
        res = cross_validate(spec.pipeline, model, data, target, cv=cv, scoring=scoring,
                             random_state=args.seed, n_bootstrap=args.bootstrap, n_jobs=args.jobs or 1,
                             **fit_options(args, spec))
    metrics = [k[len("test_"):] for k in res if k.startswith("test_")]
    summary = {m: {"mean": float(res[f"test_{m}"].mean()), "std": float(res[f"test_{m}"].std())} for m in metrics}
    for m in metrics:
        if f"ci_{m}" in res:
            summary[m]["ci95" if args.bootstrap else "ci"] = list(res[f"ci_{m}"])
    if args.json:
        print(json.dumps({"model": repr(model), "target": target, "folds": res["folds"].to_dicts(),
                          "summary": summary}, indent=2))
        return 0
    table = res["folds"]
    print(f"{type(model).__name__} on {args.data} (target {target!r}), {table.height} folds")
    rounds = ["rounds"] if "rounds_used" in table.columns else []  # early stopping: the rounds kept
    head = ["fold", "n_train", "n_test", "fit s", *rounds, *metrics]
    print("  ".join(f"{h:>10}" for h in head))
    for row in table.iter_rows(named=True):
        vals = [row["fold"], row["n_train"], row["n_test"], f"{row['model_fit_time'] + row['prep_time']:.2f}",
                *(row["rounds_used"] for _ in rounds), *(f"{row['test_' + m]:.6f}" for m in metrics)]
        print("  ".join(f"{v:>10}" for v in vals))
    for m in metrics:
        ci = summary[m].get("ci95")
        extra = f"  (95% interval {ci[0]:.6f} .. {ci[1]:.6f})" if ci else ""
        print(f"{m}: {summary[m]['mean']:.6f} ± {summary[m]['std']:.6f}{extra}")
    return 0
