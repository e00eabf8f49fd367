"""Target encoding with out-of-fold cross fitting, on compiled kernels.

``TargetEncoder`` follows scikit-learn's class of the same name (its parameters, fitted
attributes, and numbers equal to 1e-12 given the same folds: ``shuffle``/``random_state`` draw
other folds than scikit-learn's, see ``docs/sklearn-differences.md``) and
adds sample weights, a fold column or any splitter as ``cv``, options for nulls and unseen
categories, and a per-row path for serving.
The machinery (shared with :class:`~tabprep.encode.WOEEncoder`) is in
:mod:`tabprep.encode._crossfit`.

Deliberate differences from scikit-learn:

- an int ``cv`` makes tabprep's (stratified) folds, not ``StratifiedKFold``'s: pass the same
  splitter object to both to compare numbers;
- ``random_state`` defaults to 0 (deterministic), ``shuffle``/``random_state`` are not deprecated;
- ``handle_unknown``/``handle_missing`` options, ``sample_weight``, ``groups``, a fold column name
  as ``cv``; the splitter's train sets must be the complement of its validation folds;
- with listed ``categories``, a training row holding an unlisted value gets its own folds' prior
  out of fold (scikit-learn 1.9 gives every such row its last fold's prior).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from tabprep.encode._counts import ListsPerColumn
from tabprep.encode._crossfit import CrossFitEncoder
from tabprep.encode._folds import CVConstraint, Target
from tabprep._base.params import Interval, Options
from tabprep._base.step import register_step

__all__ = ["TargetEncoder"]


# ------------------------------------------------------------------------------------------
# TargetEncoder
# ------------------------------------------------------------------------------------------

@register_step
class TargetEncoder(CrossFitEncoder, auto_wrap_output_keys=None):
    """Target encoding of categorical columns, out-of-fold for training rows.

    Each category becomes a shrunk estimate of the mean target of its rows: scikit-learn's
    ``TargetEncoder`` (its parameters, its fitted attributes, and its numbers
    given the same folds -- see ``docs/sklearn-differences.md``), on compiled kernels, with sample weights, any fold source as ``cv``, and options for nulls and
    unseen categories.

    :meth:`fit_transform` gives each training row the encoding learnt on the *other* folds, whose
    own mean is the prior (no row sees its own target, not even through the prior); ``transform``
    uses the encodings learnt on all rows.

    Parameters
    ----------
    categories : "auto" or list of lists, default "auto"
        ``"auto"``: the values seen in fit (``categories_`` sorted). A list: ``categories[i]``
        holds the categories of the i-th column, in that order (numbers must be sorted, as in
        scikit-learn; a missing marker ``None``/``nan`` may come last and makes missing values a
        category). Any other value, and a missing one unless listed, is unknown: encoded by
        ``handle_unknown``. As in scikit-learn 1.9, the training rows holding such a value count
        toward the *first* listed category's statistics (scikit-learn gives them that category's
        code before fitting), so the numbers are scikit-learn's.
    target_type : {"auto", "continuous", "binary", "multiclass"}, default "auto"
        "auto": float targets with non-integer values are continuous, other targets are binary
        (<= 2 distinct values) or multiclass (one output per class, one-vs-rest), as in
        scikit-learn; inferring more than 100 classes warns (an integer quantity such as a price
        would give a column per distinct value): name the type to silence it.
    smooth : "auto" or float >= 0, default "auto"
        "auto": empirical-Bayes shrinkage (Micci-Barreca 2001, eq. 5-6; scikit-learn's).
        A float ``m``: m-estimate ``(sum_y + m * prior) / (n + m)``.
    cv : int, str, splitter or iterable, default 5
        Folds of the cross fitting in :meth:`fit_transform`. An int ``k``: ``k`` shuffled folds,
        stratified for class targets (:func:`tabprep.split.stratified_kfold_ids`; scikit-learn
        uses ``StratifiedKFold``, so its folds differ). A str: the name of a fold column of ``X``
        (e.g. from :mod:`tabprep.split`, to respect groups or time; it is not encoded). A
        splitter (``StratifiedKFold(...)``, ``GroupKFold()``, any tabprep splitter) or an
        iterable of ``(train, test)`` index arrays whose validation folds cover each row once.
        ``HashKFold(k, key="id")`` (:mod:`tabprep.split`): folds from a hash of a key column
        of ``X`` (read, not encoded), the same for a key wherever its row is. With a fold
        column or ``HashKFold``, a pipeline fitted on a Ray Dataset fits the encoder from
        per-block counts and gives out-of-fold values block by block (:mod:`tabprep.distributed`).
    shuffle : bool, default True
        Shuffle rows before an int ``cv`` makes folds.
    random_state : int or None, default 0
        Seed of an int ``cv``'s folds. Unlike scikit-learn, the default is a fixed seed
        (tabprep's outputs are deterministic); None means 0 too.
    handle_unknown : {"prior", "null", "error"}, default "prior"
        Categories unseen in fit: the target mean (scikit-learn), a null (NaN), or an error.
    handle_missing : {"category", "prior", "null", "error"}, default "category"
        Nulls (and NaN): a category of their own (scikit-learn), the target mean, a null, or an
        error.

    Attributes
    ----------
    categories_ : list of ndarray
        Per input column, the sorted categories seen in fit (null last if seen), or the listed
        ``categories`` in their order.
    encodings_ : list of ndarray
        Full-fit encodings matching ``categories_``; multiclass: feature ``i``, class ``j`` at
        ``encodings_[i * n_classes + j]`` (scikit-learn's order).
    target_type_ : str
    target_mean_ : float or ndarray
        Mean target over all rows (per class for multiclass): the prior of ``transform``.
    classes_ : ndarray or None
        Class labels (binary/multiclass targets).
    n_folds_ : int
        Folds of the last :meth:`fit_transform` (cross-fitting attributes exist only after it).
    fold_target_mean_ : ndarray, shape (n_folds,) or (n_folds, n_classes)
        Prior of each fold's encodings (the mean of the rows outside the fold).
    fold_encodings_ : list of ndarray, shape (n_folds, n_non_null_categories + 1)
        Per output (same order as ``encodings_``), row ``f``: the encodings learnt without fold
        ``f``, one per non-null category in ``categories_`` order, then the one of nulls.
    fold_stats_ : list of ndarray, shape (n_non_null_categories + 1, n_folds, 2 + n_outputs)
        Per input column, the per-(category, fold) statistics ``[rows, weight, weighted target
        sums...]`` (same category order, then nulls), so a later
        cross-validation can re-derive encodings (other smoothing, other fold subsets) without
        another pass over the rows.

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.encode import TargetEncoder
    >>> X = pl.DataFrame({"city": ["a", "a", "b", "b", "b", "c"]})
    >>> y = [1, 0, 1, 1, 1, 0]
    >>> enc = TargetEncoder(smooth=1.0).fit(X, y)
    >>> enc.categories_[0].tolist(), enc.encodings_[0].round(3).tolist()
    (['a', 'b', 'c'], [0.556, 0.917, 0.333])
    >>> enc.transform(pl.DataFrame({"city": ["b", "zzz"]}))["city"].round(3).to_list()
    [0.917, 0.667]
    >>> enc.transform({"city": "c"})
    {'city': 0.3333333333333333}
    >>> oof = TargetEncoder(cv=2).fit_transform(X, y)   # out-of-fold for training rows
    >>> oof.shape
    (6, 1)
    """

    _parameter_constraints: ClassVar[dict] = {
        "categories": [Options(("auto",)), ListsPerColumn()],
        "target_type": [Options(("auto", "continuous", "binary", "multiclass"))],
        "smooth": [Options(("auto",)), Interval(float, 0, None, closed="left")],
        "cv": [CVConstraint()],
        "shuffle": ["boolean"],
        "random_state": [Interval(int, 0, None), None],
        "handle_unknown": [Options(("prior", "null", "error"))],
        "handle_missing": [Options(("category", "prior", "null", "error"))],
    }

    def __init__(self, categories="auto", target_type="auto", smooth="auto", cv=5, shuffle=True, random_state=0,
                 handle_unknown="prior", handle_missing="category"):
        self.categories = categories
        self.target_type = target_type
        self.smooth = smooth
        self.cv = cv
        self.shuffle = shuffle
        self.random_state = random_state
        self.handle_unknown = handle_unknown
        self.handle_missing = handle_missing

    def _target_type(self) -> str:
        return self.target_type

    def _rule(self, target: Target):
        if self.smooth == "auto":
            return "auto", 0.0, target.kind == "continuous", False
        return "m-estimate", float(self.smooth), False, False

    def _unknown_value(self, prior: np.ndarray) -> np.ndarray:
        return prior.copy()

    def _restore_extra(self, state: dict) -> None:
        state.pop("cv_repr", None)
