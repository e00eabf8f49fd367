"""A pipeline's fit on every "all folds but k" from per-fold statistics, not ``k`` refits.

Cross-validation fits the preparation once per fold ``k``, on the rows outside fold ``k``. Those
``k`` training sets overlap almost entirely, so most of the work is shared. The first fitting
phase of the pipeline (every step that reads the raw columns: the planner's phase 1, including a
scaler fused behind an imputer) is fitted from statistics computed once:

- **mergeable steps** (counts, sums, moments, min/max, sketches): one pass per fold gives that
  fold's partial statistics; fold ``k``'s training statistics are the other folds' partials merged
  in fold order (``Step.merge_stats``, Chan's formula for moments), so the cost is one pass over
  the rows plus ``k * (k - 1)`` merges of a few numbers;
- **cross-fitted encoders** (target, WoE): one factorization and one per-(category, fold) table
  for all folds (:func:`tabprep.encode._foldfits.fold_fits`): each fold's fit, and its training
  rows' nested out-of-fold values, come from slices of that table;
- **exact order statistics** (median, quantiles, mode: not mergeable): computed per fold from the
  fold's training rows (one exact selection each);
- a scaler fused behind an imputer gets the filled cells merged in per fold, from that fold's fill
  constants (the planner's ``_merge_fills``).

Steps of later phases read columns that a fold's own fit has transformed, so their inputs differ
per fold: they are fitted per fold on that fold's prepared training rows (the ordinary planner).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.base import clone

from tabprep._base.fit import OUT_OF_FOLD, apply_out_of_fold, apply_step, fits_on_table, run_phase, schema_after
from tabprep.encode._crossfit import CrossFitEncoder
from tabprep.encode._foldfits import fold_fits
from tabprep.pipeline import FittedPipeline, Pipeline
from tabprep.pipeline._pipeline import _fill_constants, _merge_fills, _plan_phase

__all__ = ["FoldPrep", "prepare_folds"]


@dataclass
class FoldPrep:
    """One fold's preparation: the pipeline fitted outside the fold, its training rows' output
    (out-of-fold values for cross-fitted steps, as ``Pipeline.fit_transform``) and the fold's own
    rows through the fitted pipeline (``FittedPipeline.transform``)."""

    fitted: FittedPipeline
    train: pl.DataFrame
    test: pl.DataFrame
    train_rows: np.ndarray
    test_rows: np.ndarray


def prepare_folds(pipeline: Pipeline, df: pl.DataFrame, target: str | None, folds: np.ndarray,
                  n_folds: int, *, batch_size: int | None = None, tables: dict | None = None) -> list[FoldPrep]:
    """Fit ``pipeline`` on the rows outside each fold of ``folds`` (int8 ids in ``[0, n_folds)``).

    ``tables``: kept by the caller across calls on the same ``df``, ``target`` and ``folds`` (a
    tuning study), it holds the cross-fitted encoders' per-(category, fold) tables, which do not
    depend on their smoothing (:func:`tabprep.encode._foldfits.fold_fits`).
    """
    from tabprep._base.fit import check_batch_size

    batch_size = check_batch_size(batch_size)
    folds = np.ascontiguousarray(folds, dtype=np.int8)
    test_rows = [np.flatnonzero(folds == k) for k in range(n_folds)]
    train_rows = [np.flatnonzero(folds != k) for k in range(n_folds)]
    by_fold = [df[rows] for rows in test_rows]
    train_frames = [df[rows] for rows in train_rows]
    schema = df.collect_schema()
    input_schema = pl.Schema({n: d for n, d in schema.items() if n != target})
    pending = [(name, clone(step), cols) for name, step, cols in pipeline.steps]
    phase = _plan_phase(pending, schema, target)
    entries = [(p[1], p[3], p[2]) for p in phase]

    # statistics computed once for all folds
    merged = [i for i, (step, _, _) in enumerate(entries) if not fits_on_table(step) and step.mergeable]
    partials = [run_phase(part.lazy(), [entries[i] for i in merged], target, batch_size) if merged else []
                for part in by_fold]
    crossfit = {i: fold_fits(step, df.select([*cols, target]), list(cols), target, folds, n_folds,
                                 tables=tables)
                for i, (step, _, cols) in enumerate(entries)
                if fits_on_table(step) and isinstance(step, CrossFitEncoder) and target is not None}

    exact = [i for i, (step, _, _) in enumerate(entries)
             if i not in crossfit and (fits_on_table(step) or not step.mergeable)]
    preps = []
    for k in range(n_folds):
        # exact statistics (and table steps other than the cross-fitted encoders): per fold
        own = {i: (clone(entries[i][0]), entries[i][1], entries[i][2]) for i in exact}
        exact_stats = dict(zip(exact, run_phase(train_frames[k].lazy(), list(own.values()), target,
                                                batch_size, cross_fit=True))) if exact else {}
        lf, sch = train_frames[k].lazy(), schema
        fitted, finalized = [], []
        for i, (name, step, cols, _, _, fused) in enumerate(phase):
            oof, st = None, {}
            if i in crossfit:
                step, oof = crossfit[i][k]
            elif i in own:
                step, st = own[i][0], exact_stats[i]
                oof = st.get(OUT_OF_FOLD)
                if not fits_on_table(step):
                    step.fit_finalize(st, sch, cols)
            else:
                step = clone(step)
                parts = [partials[f][merged.index(i)] for f in range(n_folds) if f != k]
                st = parts[0] if len(parts) == 1 else step.merge_stats(parts)
                if fused:
                    fills = _fill_constants([(n_, s_) for n_, s_, _ in fitted], finalized, fused)
                    if fills is None:  # a filled column was dropped: fitted below, as the planner does
                        break
                    st = _merge_fills(step, st, entries[i][1], cols, target, fills)
                step.fit_finalize(st, sch, cols)
            finalized.append(st)
            out = step.output_schema(sch)
            lf = apply_step(lf, step, cols, sch, out) if oof is None else apply_out_of_fold(lf, oof, cols, out)
            sch = schema_after(sch, cols, out, name)
            fitted.append((name, step, cols))
        rest = [(n_, clone(s_), c_) for n_, s_, c_ in pending[len(fitted):]]
        train_out = lf.collect()
        steps, phases = list(fitted), [[n_ for n_, _, _ in fitted]]
        if rest:
            rest_fitted, train_out = Pipeline(rest).fit_transform(train_out, target, batch_size=batch_size,
                                                                  lineage=False)
            steps.extend(rest_fitted.steps)
            phases.extend(rest_fitted.fit_phases)
        used = {c for _, _, cols in steps for c in cols}
        fit_only = {c for _, step, cols in steps if fits_on_table(step)
                    for c in step.fit_columns(cols, target)} - used
        fp = FittedPipeline(steps, pl.Schema({n: d for n, d in input_schema.items() if n not in fit_only}),
                            target, {})
        fp.fit_phases = phases
        preps.append(FoldPrep(fp, train_out, fp.transform(by_fold[k]), train_rows[k], test_rows[k]))
    return preps
