"""Model evaluation over a tabprep pipeline: cross-validation whose folds share their statistics.

:func:`cross_validate` scores a :class:`tabprep.Pipeline` followed by any scikit-learn-compatible
model, with scikit-learn's ``cross_validate`` keys and a per-fold table. The preparation of the
``k`` training sets ("all folds but k") is derived from statistics computed once: target encoders
from one per-(category, fold) table, mergeable statistics (counts, sums, moments) as the other
folds' partials merged, exact quantiles per fold (see :mod:`tabprep.evaluate._prepare`).
"""

from __future__ import annotations

from tabprep.evaluate._cross_validate import cross_validate, features, load_frame, resolve_folds
from tabprep.evaluate._models import MODELS, make_model
from tabprep.evaluate._prepare import FoldPrep, prepare_folds

__all__ = ["cross_validate", "prepare_folds", "FoldPrep", "resolve_folds", "load_frame", "features", "make_model", "MODELS"]
