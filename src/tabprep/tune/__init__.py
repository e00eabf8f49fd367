"""Hyperparameter tuning over pipeline + model with Optuna: grid, random, TPE, multi-fidelity,
resumable studies in a real database, an offline HTML report.

The point is shared work: every trial's cross-validation derives its folds' preparation from
statistics computed once (:mod:`tabprep.evaluate`), and the prepared matrices are cached per
preparation parameters, so trials that change only model parameters only fit models.
Optuna is an optional dependency (``pip install 'tabprep[tune]'``), imported on first use.
"""

from __future__ import annotations

from tabprep.tune._space import Space, check_space, with_params
from tabprep.tune._spec import TuneSpec, parse_space, read_tune_spec
from tabprep.tune._tune import TrialOutcome, TrialRunner, TuneResult, tune

__all__ = ["tune", "TuneResult", "TrialRunner", "TrialOutcome", "check_space", "Space", "with_params", "TuneSpec",
           "read_tune_spec", "parse_space", "write_report"]


def __getattr__(name: str):
    if name == "write_report":
        from tabprep.tune._report import write_report

        return write_report
    raise AttributeError(f"module 'tabprep.tune' has no attribute {name!r}")
