"""Fitting and transforming a ``ray.data.Dataset``: the local statistics pass, run on Ray blocks.

Fit, one distributed pass per phase of the pipeline's planner (``tabprep.pipeline._pipeline``):

1. The driver plans the phase (:class:`tabprep._base.fit.PhasePlan`: the fused ``fit_exprs`` of
   every step, which columns the exact statistics and the table fits keep). Planning it checks
   the steps and the schema before any task starts.
2. ``ds.map_batches(_Partials(...), batch_format="pyarrow", batch_size=None)``: each Ray block
   becomes a Polars frame, gets the earlier phases' fitted steps applied (``apply_step``, as the
   local pass reads ``lf.with_columns(...)``), is cut into pieces of ``STATS_BLOCK_ROWS`` rows
   (the local pass's fixed blocks) and gives, per piece, ``PhasePlan.partial``: the mergeable
   statistics, and the columns kept for the exact statistics / table fits (Arrow IPC bytes). One
   output row per block; the dataset keeps the block order (``preserve_order``), so the driver
   reads the blocks' results in row order. No shuffle, no Ray groupby.
3. The driver merges the partials in that order as they arrive (``PhasePlan.add``: a bounded
   number held) and fits the rest (``PhasePlan.finish``): the same code as the local fit.

What crosses the network to the driver: one small dict of partial statistics per block (counts,
sums, moments, category counts, KLL sketches), plus the *input columns of the exact statistics
and of the table fits that need every row* (median imputer, RobustScaler, exact quantile bins,
mode imputer, supervised binning, and target/WoE encoders whose folds need every row: ``cv`` an
int or a splitter, or listed ``categories``). Those are gathered on the driver, which must hold
them in memory, exactly as the local fit buffers them; KBinsDiscretizer with ``sketch=`` is
mergeable and gathers nothing.

Target and WoE encoders whose folds come from each row alone -- ``cv="<fold column>"`` or
``cv=HashKFold(k, key=...)`` (a MurmurHash3 of a key column, :mod:`tabprep.split`) -- gather
nothing: each block gives its per-(category, fold) cells and the driver merges them
(:mod:`tabprep.encode._cellfit`, through ``PhasePlan(cells=True)``); their training rows'
out-of-fold values are then computed block by block (``OutOfFold.frame``), so later phases are
fitted on them (``apply`` carries the model, ``_applied`` runs it per block) and
``Pipeline.fit_transform`` of a Dataset gives them (:class:`_FitTransform`). Counts are exact, so
their state equals the local one bit for bit for class targets without weights.

``sample_weight``: the name of a weight column, read per block by the weighted steps' statistics
(as the local pass reads it) and checked per block (missing, not finite, negative: the local
error, naming the row of the whole Dataset; a zero total).

Floats: a Ray block boundary that is not a multiple of ``STATS_BLOCK_ROWS`` from the start splits
one of the local pass's blocks in two, so a mean or a variance can differ from the local fit in
the last bits (partials of two pieces merged instead of one); counts, sums of integers, minima,
maxima, category counts and everything gathered are identical. When every Ray block but the last
has a multiple of ``STATS_BLOCK_ROWS`` rows (a one-block dataset, or ``repartition`` to such
blocks), the state equals the local one bit for bit.

Not yet: sample weights given as an array (a column name is needed), a phase after (and
``fit_transform`` with) a cross-fitting encoder whose folds need every row (a ConfigError naming
it and the fold sources that work), and steps whose output for a row reads other rows
(``LagFeatures``, ``WindowFeatures``, ``NumbaTransformer`` of kind "array"/"group": a
ConfigError, as block by block they would be wrong at every block edge).

Transform: the fitted pipeline is put in the object store once (``ray.put``) and each block is
transformed by ``FittedPipeline.transform`` of its Polars frame (``map_batches``, order kept):
the same code, hence the same values, as the local transform. The row order is the input
Dataset's (``preserve_order``); note that Ray's own ``read_parquet`` may yield a file's row groups
in another order than the file's (seen with Ray 2.60 on a 10M-row file).
"""

from __future__ import annotations

import io

from tabprep._base.fit import STATS_BLOCK_ROWS, PhasePlan, _blocks, apply_step
from tabprep.errors import ConfigError, DataError, SchemaError

__all__ = ["RayFrame", "fit_frame", "run_phase", "apply", "lineage", "transform"]


class RayFrame:
    """The data of one phase of a distributed fit: the Dataset, the fitted steps to apply to
    each block first (``[(step, columns, schema seen)]``) and the schema after them."""

    def __init__(self, ds, applied, schema, crossed=None) -> None:
        self.ds, self.applied, self.schema, self.crossed = ds, list(applied), schema, crossed

    def collect_schema(self):
        return self.schema


def _polars_schema(ds):
    import polars as pl

    schema = ds.schema()
    if schema is None:
        raise SchemaError("the Ray Dataset has no schema (no rows, or not readable)",
                          hint="check the data the Dataset reads")
    arrow = getattr(schema, "base_schema", schema)
    return pl.from_arrow(arrow.empty_table()).schema


def _ordered(ds):
    """``ds`` with its blocks' order kept through the next operations (``preserve_order``)."""
    ds.context.execution_options.preserve_order = True
    return ds


def fit_frame(ds) -> RayFrame:
    """The first phase's frame of ``ds``."""
    return RayFrame(_ordered(ds), [], _polars_schema(ds))


def _check_row_local(step) -> None:
    """Refuse a step whose output for a row depends on other rows (lags, windows, a NumbaTransformer
    over whole columns or groups): applied block by block, it would be wrong at every block edge."""
    from tabprep.features._forecast import _Forecast
    from tabprep.features._numba import NumbaTransformer

    if isinstance(step, _Forecast) or (isinstance(step, NumbaTransformer) and step.kind != "row"):
        raise ConfigError(f"{type(step).__name__} reads other rows than its own (lags, windows, groups): it cannot "
                          "run block by block on a Ray Dataset yet",
                          hint="run that step on a local frame (or one whose rows of an entity are in one block)")


def apply(frame: RayFrame, step, columns, schema, out_of_fold, outputs) -> RayFrame:
    """``frame`` with ``step`` applied to its blocks in the next passes. After a cross-fitting
    step, ``out_of_fold`` gives its training rows' values: an object whose ``frame(block)``
    computes a block's (a fit from cells: the next passes apply it per block), or a frame of
    every row on the driver (a gathered fit: no further pass can use it)."""
    from tabprep._base.fit import schema_after

    gathered = out_of_fold is not None and not hasattr(out_of_fold, "frame")
    crossed = type(step).__name__ if gathered else frame.crossed
    model = out_of_fold if out_of_fold is not None and not gathered else None
    return RayFrame(frame.ds, [*frame.applied, (step, list(columns), schema, model, outputs)],
                    schema_after(schema, columns, outputs, type(step).__name__), crossed)


def _applied(df, applied):
    """The block ``df`` (a DataFrame) with the earlier phases' fitted steps applied, as the
    local pass reads ``lf.with_columns(...)``: a cross-fitted step's training rows get its
    out-of-fold values (``apply_out_of_fold``), computed for the block from its folds."""
    from tabprep._base.fit import apply_out_of_fold

    lf = df.lazy()
    for step, cols, sch, model, outputs in applied:
        if model is None:
            lf = apply_step(lf, step, cols, sch)
        else:
            cur = lf.collect()
            lf = apply_out_of_fold(cur.lazy(), model.frame(cur), cols, outputs)
    return lf


class _Partials:
    """The function each Ray block runs: its partial statistics (see the module docstring)."""

    def __init__(self, schema, applied, entries, target, weights) -> None:
        self.schema, self.applied, self.entries, self.target, self.weights = schema, applied, entries, target, weights
        self._plan = None

    def __call__(self, batch):
        import numpy as np
        import polars as pl

        df = pl.from_arrow(batch)
        if self._plan is None:  # planned once per worker: expressions are built, not shipped
            self._plan = PhasePlan(self.schema, self.entries, self.target, self.weights, cells=True)
        plan = self._plan
        df = _applied(df, self.applied).select(plan.projected).collect()
        parts, kept = [], []
        for block in _blocks([df], STATS_BLOCK_ROWS):  # plan.partial copies what must be one chunk
            row, frame = plan.partial(block)
            parts.append(row)
            if frame is not None:
                kept.append(frame)
        data = None
        if kept:
            buf = io.BytesIO()
            pl.concat(kept, rechunk=False).write_ipc(buf)
            data = buf.getvalue()
        out_parts, out_kept, out_checks = (np.empty(1, dtype=object) for _ in range(3))
        out_parts[0], out_kept[0], out_checks[0] = parts, data, _weight_checks(df, self.weights)
        return {"parts": out_parts, "kept": out_kept, "checks": out_checks,
                "rows": np.array([df.height], dtype=np.int64)}


def _weight_checks(df, weights) -> dict:
    """Per weight column of the block: ``(first row whose weight is missing, not finite or
    negative, or -1; its value; the block's weight sum)``: the local pipeline's checks of a
    weight column, made block by block (:func:`_check_weights` raises on the driver)."""
    import polars as pl

    out = {}
    for name in sorted(set((weights or {}).values())):
        w = df.get_column(name).cast(pl.Float64)
        bad = w.is_null() | ~w.is_finite() | (w < 0)
        row = int(bad.arg_true()[0]) if bad.any() else -1
        out[name] = (row, None if row < 0 else w[row], float(w.fill_null(0.0).sum()))
    return out


def _check_weights(checks: list, rows: list) -> None:
    """Raise the local pipeline's error for the first bad weight of the blocks' ``checks``
    (``rows``: rows per block, in order), or for weights that sum to zero."""
    sums: dict = {}
    offset = 0
    for check, n in zip(checks, rows):
        for name, (row, value, total) in check.items():
            if row >= 0:
                raise DataError("Pipeline: sample_weight must be finite and >= 0", column=name, row=offset + row,
                                found=repr(float("nan") if value is None else value))
            sums[name] = sums.get(name, 0.0) + total
        offset += n
    for name, total in sums.items():
        if total <= 0:
            raise DataError("Pipeline: sample_weight sums to zero: there is nothing to fit", column=name,
                            hint="give some rows a positive weight")


def run_phase(frame: RayFrame, entries, target, batch_size=None, *, cross_fit=False, weights=None) -> list[dict]:
    """:func:`tabprep._base.fit.run_phase` over a Ray Dataset: the partials computed per block on
    the cluster, merged on the driver in block order. ``batch_size`` is not used (Ray's blocks
    are the batches)."""
    import polars as pl

    if frame.crossed is not None:
        raise ConfigError(f"a step after the cross-fitting {frame.crossed} needs another pass over a Ray Dataset, but "
                          "its folds need every row at once (cv an int or a splitter, or listed categories): its "
                          "out-of-fold values are on the driver and cannot be joined back to the distributed rows",
                          hint="give it cv='<fold column>' or cv=HashKFold(k, key='<id column>') (tabprep.split), "
                               "or fit that pipeline on a local frame")
    for step, _, _ in entries:
        _check_row_local(step)
    plan = PhasePlan(frame.schema, entries, target, weights, cells=True)  # checks the steps before any task
    out = _ordered(frame.ds.map_batches(_Partials(frame.schema, frame.applied, entries, target, weights),
                                        batch_format="pyarrow", batch_size=None))
    parts, kept, checks, rows = [], [], [], []
    for row in out.iter_rows():
        # merged as they come, in block order (a bounded number of partials, as the local pass
        # holds); piece by piece, as locally: merging a block's pieces on its worker first would
        # round floats differently from the local pass
        for part in row["parts"]:
            plan.add(parts, part)
        checks.append(row["checks"])
        rows.append(row["rows"])
        if row["kept"] is not None:
            kept.append(pl.read_ipc(io.BytesIO(row["kept"])))
    _check_weights(checks, rows)
    # no block at all: the plan's own error for no rows
    return plan.finish(parts, kept, cross_fit=cross_fit)


def lineage(ds) -> dict:
    """Provenance of a Dataset fit: its kind and the files it reads (no hash of the rows: that
    would be a further distributed pass). Ray 2.60's ``input_files()`` is empty for
    ``read_parquet`` (its file-based datasource lists files when it runs), so ``paths`` is too."""
    try:
        paths = sorted(ds.input_files())
    except Exception:  # noqa: BLE001 - a Dataset without file sources
        paths = []
    return {"kind": "ray.data.Dataset", "paths": paths, "rows": None}


class _Transform:
    """The function each Ray block runs for ``FittedPipeline.transform``; the fitted pipeline is
    an object-store reference, fetched once per worker."""

    def __init__(self, ref) -> None:
        self.ref = ref
        self._fitted = None

    def __call__(self, batch):
        import polars as pl
        import ray

        if self._fitted is None:
            self._fitted = ray.get(self.ref)
        return self._fitted.transform(pl.from_arrow(batch)).to_arrow(compat_level=pl.CompatLevel.oldest())


class _FitTransform:
    """The function each Ray block runs for ``Pipeline.fit_transform``: the training rows'
    output, with each cross-fitted step's out-of-fold values (computed for the block from its
    folds) in place of its transform, through the local ``FittedPipeline._transform``."""

    def __init__(self, ref) -> None:
        self.ref = ref
        self._state = None

    def __call__(self, batch):
        import polars as pl
        import ray

        from tabprep._base.fit import apply_out_of_fold
        from tabprep.io._dispatch import coerce

        if self._state is None:
            self._state = ray.get(self.ref)
        fitted, models = self._state
        df = pl.from_arrow(batch)
        # the cross-fitted steps' inputs: the block through the steps before them (as in the fit)
        last = max(i for i, (name, _, _) in enumerate(fitted.steps) if name in models)
        lf, oof = df.lazy(), {}
        for (name, step, cols), sch in zip(fitted.steps[:last + 1], fitted._schemas):
            if name in models:
                cur = lf.collect()
                oof[name] = models[name].frame(cur)
                lf = apply_out_of_fold(cur.lazy(), oof[name], cols, step.output_schema(sch))
            else:
                lf = apply_step(lf, step, cols, sch)
        out = fitted._transform(coerce(df), oof)
        return out.to_arrow(compat_level=pl.CompatLevel.oldest())


def transform(fitted, ds, out_of_fold=None):
    """``fitted.transform`` of every block of ``ds``: a lazy Dataset, in ``ds``'s row order.

    With ``out_of_fold`` (``Pipeline.fit_transform``: the cross-fitted steps' per-block
    out-of-fold models, by step name), the training rows' output instead (:class:`_FitTransform`).
    """
    import ray

    for _, step, _ in fitted.steps:
        _check_row_local(step)
    schema = _polars_schema(ds)
    fitted.check_schema(schema)  # a missing column or dtype fails here, not in a task
    if out_of_fold:
        gathered = [name for name, model in out_of_fold.items() if not hasattr(model, "frame")]
        if gathered:
            step = type(fitted.named_steps[gathered[0]]).__name__
            raise ConfigError(f"fit_transform of a Ray Dataset with the cross-fitting {step} {gathered[0]!r}, whose folds "
                              "need every row at once (cv an int or a splitter, or listed categories): its out-of-fold "
                              "values are on the driver and cannot be joined back to the distributed rows",
                              hint="give it cv='<fold column>' or cv=HashKFold(k, key='<id column>') "
                                   "(tabprep.split), or use fit(...) then transform(...)")
        ref = ray.put((fitted, dict(out_of_fold)))
        return _ordered(_ordered(ds).map_batches(_FitTransform(ref), batch_format="pyarrow", batch_size=None))
    ref = ray.put(fitted)
    return _ordered(_ordered(ds).map_batches(_Transform(ref), batch_format="pyarrow", batch_size=None))
