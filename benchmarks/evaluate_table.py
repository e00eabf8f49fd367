"""Issue 14's cases side by side in one process, with CPU time next to wall time.

Usage::

    python benchmarks/evaluate_table.py ROWS N_JOBS CASES
    # e.g.  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/evaluate_table.py 200000 1 grid_lr,grid_hgb
    #       python benchmarks/evaluate_table.py 1000000 2 cv_LR,cv_GaussianNB

CASES (comma-separated): ``cv_LR``, ``cv_GaussianNB`` (``tabprep.evaluate.cross_validate`` vs
scikit-learn's ``cross_validate``), ``grid_lr``, ``grid_hgb`` (``tabprep.tune.tune(strategy=
"grid")`` vs ``GridSearchCV``; for HGB also the grid with boosting-round fidelity and successive
halving), ``rounds_lgbm`` / ``rounds_xgb`` (LightGBM / XGBoost, 90 rounds, one thread each (their n_jobs=1), the 8-point
grid with boosting-round fidelity and successive halving: rungs continued from the previous
booster against the same study refitting every rung, which is what tabprep did before; both
give the same trial values, checked; plus the plain grid and the grid with ``early_stopping=10``).
Data, pipelines, spaces and folds are those of ``benchmarks/test_bench_evaluate.py``
(the same functions). One JSON line per measurement: wall seconds and the process's CPU seconds
(all its threads; scikit-learn's ``n_jobs > 1`` process workers are not counted, their wall time
is). For a grid it also prints when tabprep's study first held the grid's best score.

On a shared machine CPU time is the steadier figure: with every native pool at one thread
(``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1``) it is the work each side does, whatever the
other processes do; wall time with the default pools mixes in the contention of OpenMP and BLAS
threads with the rest of the machine.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

import test_bench_evaluate as B  # noqa: E402
from conftest import cache_dir  # noqa: E402


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _load(n: int):
    from tabprep.datasets import synthetic
    from tabprep.io import atomic_path
    from tabprep.split import kfold_ids

    path = cache_dir() / f"synthetic-{n}-seed0.parquet"
    if not path.exists():
        with atomic_path(path) as tmp:
            synthetic(n, seed=0).write_parquet(tmp)
    df = pl.read_parquet(path).select(B.COLS).rechunk()
    folds = np.asarray(kfold_ids(df.height, 5, shuffle=True, seed=0), dtype=np.int8)
    pdf = df.drop("y_bin").to_pandas()
    pdf["cat_hi"] = pdf["cat_hi"].astype(object)
    return df.with_columns(fold=folds), pdf, df["y_bin"].to_numpy(), folds


def _emit(**record) -> None:
    print(json.dumps(record, default=str), flush=True)


def _timed(name, f, *args, **kwargs):
    w, c = time.perf_counter(), _cpu()
    out = f(*args, **kwargs)
    _emit(case=name, wall=round(time.perf_counter() - w, 2), cpu=round(_cpu() - c, 2))
    return out


def _tabprep_grid(df, model, grid, n_jobs, **kwargs):
    """tabprep's grid study, and the seconds after which it first held its best score."""
    from tabprep.tune import tune

    seen = []
    start = time.perf_counter()

    def callback(done, total, best, elapsed):
        seen.append((time.perf_counter() - start, best))

    res = tune(B.tabprep_pipeline(), model, df, "y_bin", space=grid, strategy="grid", cv="fold", scoring="roc_auc",
               refit=False, n_jobs=n_jobs, callback=callback, **kwargs)
    return res, seen


def main(n: int, n_jobs: int, cases: list[str]) -> None:
    from sklearn.model_selection import PredefinedSplit
    from sklearn.model_selection import cross_validate as sk_cross_validate

    from tabprep.evaluate import cross_validate

    df, pdf, y, folds = _load(n)
    _emit(rows=n, n_jobs=n_jobs, load=os.getloadavg(), omp=os.environ.get("OMP_NUM_THREADS"),
          blas=os.environ.get("OPENBLAS_NUM_THREADS"))
    for case in cases:
        if case.startswith("cv_"):
            name = case[3:]
            ours = _timed(f"{case} tabprep", cross_validate, B.tabprep_pipeline(), B._cv_model(name), df, "y_bin",
                          cv="fold", scoring="roc_auc", n_jobs=n_jobs)
            peer = _timed(f"{case} sklearn", sk_cross_validate, B.sklearn_pipeline(folds, B._cv_model(name)), pdf, y,
                          cv=PredefinedSplit(folds), scoring="roc_auc", n_jobs=n_jobs)
            np.testing.assert_allclose(ours["test_score"], peer["test_score"], rtol=1e-9)
            _emit(case=case, prep_s=round(float(ours["folds"]["prep_time"].sum()), 2),
                  model_fit_s=round(float(ours["folds"]["model_fit_time"].sum()), 2),
                  score_s=round(float(ours["folds"]["score_time"].sum()), 2))
        elif case in ("grid_lr", "grid_hgb"):
            model, grid = {"grid_lr": (B._lr, B.LR_GRID), "grid_hgb": (B._hgb, B.HGB_GRID)}[case]
            res, seen = _timed(f"{case} tabprep", _tabprep_grid, df, model(n), grid, n_jobs)
            best = res.best_score
            sk_best = _timed(f"{case} sklearn", B._sklearn_grid, pdf, y, folds, model(n), grid, n_jobs)
            np.testing.assert_allclose(best, sk_best, rtol=1e-9 if case == "grid_lr" else 1e-4)  # see B._check
            _emit(case=case, best_tabprep=best, best_sklearn=sk_best,
                  reached_best_s=round(next(t for t, b in seen if b is not None and b >= best - 1e-12), 2))
            if case == "grid_hgb":
                res, seen = _timed(f"{case} tabprep rounds+halving", _tabprep_grid, df, model(n), grid, n_jobs,
                                   fidelity="rounds", pruner="halving")
                reached = [t for t, b in seen if b is not None and b >= best - 1e-12]
                _emit(case=f"{case} rounds+halving", reached_best_s=round(reached[0], 2) if reached else None,
                      pruned=int((res.trials["state"] == "PRUNED").sum()))
        elif case in ("rounds_lgbm", "rounds_xgb"):
            _rounds_case(case, df, n_jobs)
        else:
            raise SystemExit(f"unknown case {case!r}")


BOOST_GRID = {"te__smooth": [1.0, 20.0], "model__learning_rate": [0.05, 0.2], "model__max_depth": [4, 6]}


def _booster(case):
    if case == "rounds_lgbm":
        import lightgbm

        return lightgbm.LGBMClassifier(n_estimators=90, verbose=-1, random_state=0, n_jobs=1)
    import xgboost

    return xgboost.XGBClassifier(n_estimators=90, random_state=0, n_jobs=1)


def _rounds_case(case, df, n_jobs):
    """Continued rungs vs refitted rungs (tabprep before), same study; the plain grid; early stopping."""
    from unittest import mock

    from tabprep.evaluate import _boosting

    fit = _boosting.fit_boosting
    spent = {"s": 0.0}

    def timed_fit(*args, **kwargs):  # the model's fit calls only (rungs: the boosting's own time)
        t = time.perf_counter()
        try:
            return fit(*args, **kwargs)
        finally:
            spent["s"] += time.perf_counter() - t

    with mock.patch.object(_boosting, "fit_boosting", timed_fit):
        res, _ = _timed(f"{case} tabprep rounds+halving continued", _tabprep_grid, df, _booster(case), BOOST_GRID,
                        n_jobs, fidelity="rounds", pruner="halving")
        _emit(case=f"{case} continued", model_fit_s=round(spent["s"], 2))
        spent["s"] = 0.0
        with mock.patch.object(_boosting, "continues", lambda model: False):
            ref, _ = _timed(f"{case} tabprep rounds+halving refitted", _tabprep_grid, df, _booster(case), BOOST_GRID,
                            n_jobs, fidelity="rounds", pruner="halving")
        _emit(case=f"{case} refitted", model_fit_s=round(spent["s"], 2))
    # bit-identical rungs: the same pruning decisions and the same values
    assert res.trials.select("state", "value").equals(ref.trials.select("state", "value"))
    _emit(case=case, pruned=int((res.trials["state"] == "PRUNED").sum()), best=res.best_score)
    grid, _ = _timed(f"{case} tabprep plain grid", _tabprep_grid, df, _booster(case), BOOST_GRID, n_jobs)
    stop, _ = _timed(f"{case} tabprep grid early_stopping=10", _tabprep_grid, df, _booster(case), BOOST_GRID, n_jobs,
                     early_stopping=10)
    _emit(case=case, best_grid=grid.best_score, best_early_stopping=stop.best_score)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(int(sys.argv[1]), int(sys.argv[2]), [c for c in sys.argv[3].split(",") if c])
