"""Weight-of-evidence encoding (binary targets) with out-of-fold cross fitting."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from tabprep.encode._crossfit import CrossFitEncoder
from tabprep.encode._folds import CVConstraint, Target
from tabprep._base.params import Interval, Options
from tabprep._base.step import register_step

__all__ = ["WOEEncoder"]


@register_step
class WOEEncoder(CrossFitEncoder, auto_wrap_output_keys=None):
    """Weight of evidence of each category for a binary target, out-of-fold for training rows.

    ``woe = ln(((pos + r) / (P + 2r)) / ((neg + r) / (N + 2r)))`` where ``pos``/``neg`` are the
    category's positive/negative rows (weights summed with ``sample_weight``), ``P``/``N`` those
    of all training rows and ``r`` the additive ``regularization``: category_encoders'
    ``WOEEncoder`` formula, including its rule that a category seen once gets 0. The information
    value of each column is kept as ``iv_``.

    Differences from category_encoders: :meth:`fit_transform` cross-fits (each training row gets
    the WoE learnt on the other folds, with that training set's own ``P`` and ``N``) instead of
    the optional multiplicative noise (``randomized``); ``fit(X, y).transform(X)`` gives
    category_encoders' numbers. The target may be any two labels (the larger one is "positive",
    as with scikit-learn's ``LabelEncoder``), not only 0/1.

    Parameters
    ----------
    regularization : float >= 0, default 1.0
        Added to the positive and negative counts (``0`` gives infinite WoE for pure categories).
    cv, shuffle, random_state
        Folds of the cross fitting, as in :class:`~tabprep.encode.TargetEncoder`.
    handle_unknown : {"prior", "null", "error"}, default "prior"
        Categories unseen in fit: WoE 0 (no evidence), a null, or an error.
    handle_missing : {"category", "prior", "null", "error"}, default "category"
        Nulls: a category of their own, WoE 0, a null, or an error.
    ignore_singletons : bool, default True
        A category seen in exactly one (training) row gets WoE 0 (category_encoders' rule, against
        overfitting id-like columns).

    Attributes
    ----------
    categories_, encodings_, classes_, target_mean_, n_folds_, fold_encodings_, fold_stats_
        As in :class:`~tabprep.encode.TargetEncoder` (``encodings_`` hold WoE values;
        ``target_mean_`` is the share of positives).
    iv_ : ndarray of shape (n_features,)
        Information value of each column: ``sum((pos/P - neg/N) * woe)`` over its categories
        (the null category included when it is one), with the full-fit WoE.

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.encode import WOEEncoder
    >>> X = pl.DataFrame({"grade": ["a", "a", "a", "b", "b", "b", "c"]})
    >>> y = [1, 1, 0, 0, 0, 1, 1]
    >>> enc = WOEEncoder().fit(X, y)
    >>> enc.encodings_[0].round(3).tolist()   # "c" is seen once: 0
    [0.223, -0.588, 0.0]
    >>> enc.iv_.round(3).tolist()
    [0.282]
    """

    _binary_only: ClassVar[bool] = True
    _parameter_constraints: ClassVar[dict] = {
        "regularization": [Interval(float, 0, None, closed="left")],
        "cv": [CVConstraint()],
        "shuffle": ["boolean"],
        "random_state": [Interval(int, 0, None), None],
        "handle_unknown": [Options(("prior", "null", "error"))],
        "handle_missing": [Options(("category", "prior", "null", "error"))],
        "ignore_singletons": ["boolean"],
    }

    def __init__(self, regularization=1.0, cv=5, shuffle=True, random_state=0, handle_unknown="prior",
                 handle_missing="category", ignore_singletons=True):
        self.regularization = regularization
        self.cv = cv
        self.shuffle = shuffle
        self.random_state = random_state
        self.handle_unknown = handle_unknown
        self.handle_missing = handle_missing
        self.ignore_singletons = ignore_singletons

    def _rule(self, target: Target):
        return "woe", float(self.regularization), False, bool(self.ignore_singletons)

    def _unknown_value(self, prior: np.ndarray) -> np.ndarray:
        return np.zeros_like(prior)

    def _after_fit(self, full_stats: list[np.ndarray], totals: np.ndarray) -> None:
        W, P = totals[1], totals[2]
        N = W - P
        iv = []
        for i, stats in enumerate(full_stats):
            # rows: the sorted non-null categories, then the null slot
            woe = np.concatenate([self._encs[i][:, 0], self._null_encs[i][:1]])
            pos, neg = stats[:, 2], stats[:, 1] - stats[:, 2]
            share = (pos / P if P > 0 else 0.0) - (neg / N if N > 0 else 0.0)
            used = (stats[:, 0] > 0) & np.isfinite(woe)
            iv.append(float(np.sum(share[used] * woe[used])))
        self.iv_ = np.asarray(iv)

    def _extra_state(self) -> dict:
        return {**super()._extra_state(), "iv": self.iv_.tolist()}

    def _restore_extra(self, state: dict) -> None:
        self.iv_ = np.asarray(state["iv"], dtype=np.float64)
