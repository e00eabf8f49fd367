"""Every outer fold's fit of a cross-fitted encoder from ONE per-(category, fold) table.

Cross-validating a pipeline with a target encoder refits the encoder on the training rows of each
outer fold ``k`` (all folds but ``k``), and that fit cross-fits again inside those rows (so its
training rows get out-of-fold values). Done naively that is ``k`` factorizations and ``k``
statistics passes. Here the rows are factorized once and their per-(category, fold) cells
``[rows, weight, target sums]`` counted once (:func:`tabprep.kernels._target.target_stats`);
then, per outer fold ``k``:

- the cells of the other folds are a slice of that table, and :func:`train_stats` of the slice
  gives, per inner fold ``j != k``, the statistics of the rows outside ``{k, j}`` (the inner
  out-of-fold fit) and the statistics of all rows outside ``k`` (the fold's full fit), merged
  from the cells (no pass over the rows);
- the encodings of those training sets come from the same rule as a plain fit
  (:func:`encoding_table`), and one gather writes the training rows' nested out-of-fold values;
- the fold's fitted encoder holds the categories seen outside fold ``k`` (a category seen only in
  fold ``k`` is unknown to it, as it would be to a refit) and their full-fit encodings.

The inner folds are the outer ones: the training rows of fold ``k`` are cross-fitted over the
other ``k - 1`` outer folds, whatever the encoder's own ``cv`` says. That is what makes one table
enough, and it is the same as a scikit-learn ``TargetEncoder`` whose ``cv`` splits the training
rows by their outer fold (the equality test builds exactly that).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.base import clone

from tabprep.encode._categorical import Cats, values_from_uniques
from tabprep.encode._folds import check_output_size, target_from
from tabprep.errors import DataError

__all__ = ["fold_fits"]


def fold_fits(encoder, frame: pl.DataFrame, columns: list[str], target: str, folds: np.ndarray,
              n_folds: int, *, tables: dict | None = None) -> list[tuple[object, pl.DataFrame]]:
    """Per outer fold ``k``: ``(encoder fitted on the rows outside fold k, the out-of-fold
    output of those rows in row order)``.

    ``folds`` holds each row's outer fold in ``[0, n_folds)`` (int8); ``frame`` the input
    columns and the target.

    ``tables``: a dict the caller keeps across calls on the SAME rows, target and folds (a tuning
    study): the factorized columns and their per-(category, fold) table are stored there under a
    key of the encoder's parameters other than ``smooth`` (the table does not depend on it, only
    the encodings derived from it do), so trials that only change ``smooth`` skip the pass over
    the rows.
    """
    from tabprep.kernels._target import encoding_table, gather_encodings, target_stats, train_stats

    owner = encoder._owner()
    n = frame.height
    folds = np.ascontiguousarray(folds, dtype=np.int8)
    tables = {} if tables is None else tables
    tkey = ("target", target, encoder._target_type(), encoder._binary_only, n_folds)
    if tkey not in tables:
        tables[tkey] = target_from(frame.get_column(target), n, encoder._target_type(),
                                   binary_only=encoder._binary_only, owner=owner, warn_many=True)
    tgt = tables[tkey]
    check_output_size(tgt, n, len(columns), owner)
    key = _table_key(encoder, columns, target, n_folds, encoder._rule(tgt)[2])
    if key not in tables:
        moments = encoder._rule(tgt)[2]
        coded = [encoder._factorize(frame.get_column(c)) for c in columns]
        cells = []
        for codes, uniques, _, _, null_seen, _, _ in coded:
            n_slots = len(uniques) + (0 if null_seen else 1)
            cells.append(target_stats(codes, n_slots, tgt.values, folds=folds, n_folds=n_folds,
                                      n_classes=tgt.n_classes, moments=moments, binary=tgt.kind == "binary",
                                      compact=True, check=False))
        tables[key] = (coded, cells)
    coded, cells = tables[key]
    rule = encoder._rule(tgt)
    mode, param, moments, singletons = rule
    n_out = max(tgt.n_classes, 1)
    null_nan = encoder._layout()[0]
    results = []
    for k in range(n_folds):
        keep = np.array([f for f in range(n_folds) if f != k])
        train_rows = np.flatnonzero(folds != k)
        # inner fold of each training row: its outer fold renumbered without k
        inner = folds[train_rows].copy()
        inner[inner > k] -= 1
        # the per-fold totals from the training rows themselves (one vectorized pass): the
        # totals kernel sums in blocks, so slicing an all-rows table would round differently
        # from a refit in the last bit
        tot, tot_m2 = target_stats(None, 1, tgt.values[train_rows], folds=inner, n_folds=n_folds - 1,
                                   n_classes=tgt.n_classes, moments=moments)
        totals, totals_m2 = train_stats(tot, tot_m2)
        empty = np.flatnonzero(totals[:, 0, 1] <= 0)
        if len(empty):
            raise DataError(f"{owner}: cross-validating fold {k}: an inner training set has no rows",
                            hint="every fold needs rows: check cv / the fold column")
        out = np.empty((len(train_rows), len(columns) * n_out), dtype=np.float64, order="F")
        fitted = clone(encoder)
        cats, encs, null_encs, full_stats = [], [], [], []
        for j, ((codes, uniques, kind, vdtype, null_seen, null_slot, name), (stats, m2)) in enumerate(
                zip(coded, cells)):
            # (uint32 count cells for unweighted class targets: train_stats reads both kinds)
            train, train_m2 = train_stats(stats[:, keep], None if m2 is None else m2[:, keep])
            table = encoding_table(train, totals, mode=mode, param=param, train_m2=train_m2,
                                   totals_m2=totals_m2, ignore_singletons=singletons, slot_major=True)
            n_slots = stats.shape[0]
            if encoder.handle_missing == "prior":
                table[:, null_slot] = table[:, n_slots]
            elif encoder.handle_missing == "null":
                table[:, null_slot] = np.nan
            full = n_folds - 1  # the last training set: every row outside fold k
            gather_encodings(codes[train_rows], table, folds=inner, out=out[:, j * n_out:(j + 1) * n_out],
                             check=False)
            # the categories this fold's fit has seen: those with training rows outside fold k
            seen = train[full, :, 0] > 0
            values = values_from_uniques(uniques, kind, vdtype)
            mask = seen[:len(values)].copy()
            has_null = bool(null_seen and seen[null_slot])
            if null_seen:
                mask[null_slot] = False
            order = np.flatnonzero(mask)
            cats.append(Cats(name, kind, vdtype, values.gather(order), has_null))
            encs.append(table[full, order])
            null_encs.append(table[full, null_slot])
            full_stats.append(np.concatenate([train[full, order], train[full, [null_slot]]]))
        _set_fold_state(fitted, columns, tgt, totals[n_folds - 1, 0], n_out, cats, encs, null_encs, full_stats,
                        n_folds - 1)
        # the output names from the fitted state (a multiclass target: one column per class)
        frame_out = pl.DataFrame({nm: out[:, i] for i, nm in enumerate(fitted._names_out(list(columns)))})
        if null_nan:
            frame_out = frame_out.with_columns(pl.all().fill_nan(None))
        results.append((fitted, frame_out))
    return results


def _table_key(encoder, columns, target, n_folds, moments) -> tuple:
    """What the per-(category, fold) table depends on: the encoder's class and parameters but
    ``smooth``, whether its rule needs the target's second moments (``smooth="auto"`` for a
    continuous target), the columns, the target and the number of folds."""
    params = encoder.get_params(deep=False)
    params.pop("smooth", None)
    return ("table", type(encoder).__name__, repr(sorted(params.items())), bool(moments), tuple(columns), target,
            n_folds)


def _set_fold_state(enc, columns, tgt, totals, n_out, cats, encs, null_encs, full_stats, n_inner) -> None:
    """The fitted attributes a plain ``fit_table`` would set (see ``CrossFitEncoder._fit``)."""
    enc.feature_names_in_ = np.asarray(columns, dtype=object)
    enc.n_features_in_ = len(columns)
    enc.target_type_ = tgt.kind
    enc.classes_ = tgt.classes
    prior = totals[2:] / totals[1]
    enc.target_mean_ = prior if tgt.kind == "multiclass" else float(prior[0])
    enc._n_out = n_out
    enc._set_fitted(cats, encs, null_encs)
    enc._after_fit(full_stats, totals)
    enc.n_folds_ = n_inner
