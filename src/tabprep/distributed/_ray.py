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
and of the table fits* (median imputer, RobustScaler, exact quantile bins, mode imputer, target
encoders: their columns, their target and fold column). Those are gathered on the driver, which
must hold them in memory, exactly as the local fit buffers them; KBinsDiscretizer with
``sketch=`` is mergeable and gathers nothing. A target encoder is then fitted on the gathered rows
in row order, so its ``cv`` folds (or a split column named in ``fit_columns``) are those of the
local fit.

Floats: a Ray block boundary that is not a multiple of ``STATS_BLOCK_ROWS`` from the start splits
one of the local pass's blocks in two, so a mean or a variance can differ from the local fit in
the last bits (partials of two pieces merged instead of one); counts, sums of integers, minima,
maxima, category counts and everything gathered are identical. When every Ray block but the last
has a multiple of ``STATS_BLOCK_ROWS`` rows (a one-block dataset, or ``repartition`` to such
blocks), the state equals the local one bit for bit.

Not yet: ``sample_weight`` (refused by the pipeline), a phase after a cross-fitting step (its
out-of-fold values live on the driver and are not joined back to the blocks: a ConfigError), and
steps whose output for a row reads other rows (``LagFeatures``, ``WindowFeatures``,
``NumbaTransformer`` of kind "array"/"group": a ConfigError, as block by block they would be wrong
at every block edge).

Transform: the fitted pipeline is put in the object store once (``ray.put``) and each block is
transformed by ``FittedPipeline.transform`` of its Polars frame (``map_batches``, order kept):
the same code, hence the same values, as the local transform. The row order is the input
Dataset's (``preserve_order``); note that Ray's own ``read_parquet`` may yield a file's row groups
in another order than the file's (seen with Ray 2.60 on a 10M-row file).
"""

from __future__ import annotations

import io

from tabprep._base.fit import STATS_BLOCK_ROWS, PhasePlan, _blocks, apply_step
from tabprep.errors import ConfigError, SchemaError

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
    """``frame`` with ``step`` applied to its blocks in the next passes (after a cross-fitting
    step, ``out_of_fold`` is its training rows' values: no further pass can use them yet)."""
    from tabprep._base.fit import schema_after

    crossed = frame.crossed if out_of_fold is None else type(step).__name__
    return RayFrame(frame.ds, [*frame.applied, (step, list(columns), schema)],
                    schema_after(schema, columns, outputs, type(step).__name__), crossed)


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
            self._plan = PhasePlan(self.schema, self.entries, self.target, self.weights)
        plan = self._plan
        lf = df.lazy()
        for step, cols, sch in self.applied:
            lf = apply_step(lf, step, cols, sch)
        df = lf.select(plan.projected).collect()
        parts, kept = [], []
        for block in _blocks([df], STATS_BLOCK_ROWS, plan.whole):
            row, frame = plan.partial(block)
            parts.append(row)
            if frame is not None:
                kept.append(frame)
        data = None
        if kept:
            buf = io.BytesIO()
            pl.concat(kept, rechunk=False).write_ipc(buf)
            data = buf.getvalue()
        out_parts, out_kept = np.empty(1, dtype=object), np.empty(1, dtype=object)
        out_parts[0], out_kept[0] = parts, data
        return {"parts": out_parts, "kept": out_kept, "rows": np.array([df.height], dtype=np.int64)}


def run_phase(frame: RayFrame, entries, target, batch_size=None, *, cross_fit=False, weights=None) -> list[dict]:
    """:func:`tabprep._base.fit.run_phase` over a Ray Dataset: the partials computed per block on
    the cluster, merged on the driver in block order. ``batch_size`` is not used (Ray's blocks
    are the batches)."""
    import polars as pl

    if frame.crossed is not None:
        raise ConfigError(f"a step after the cross-fitting {frame.crossed} needs another pass over a Ray Dataset: its "
                          "out-of-fold values are not joined back to the distributed rows yet",
                          hint="fit that pipeline on a local frame, or put the steps after the encoder in the same "
                               "phase (steps that do not read its outputs)")
    for step, _, _ in entries:
        _check_row_local(step)
    plan = PhasePlan(frame.schema, entries, target, weights)  # checks the steps before any task
    out = _ordered(frame.ds.map_batches(_Partials(frame.schema, frame.applied, entries, target, weights),
                                        batch_format="pyarrow", batch_size=None))
    parts, kept = [], []
    for row in out.iter_rows():
        # merged as they come, in block order (a bounded number of partials, as the local pass
        # holds); piece by piece, as locally: merging a block's pieces on its worker first would
        # round floats differently from the local pass
        for part in row["parts"]:
            plan.add(parts, part)
        if row["kept"] is not None:
            kept.append(pl.read_ipc(io.BytesIO(row["kept"])))
    # no block at all: the plan's own error for no rows
    return plan.finish(parts, kept, cross_fit=cross_fit)


def lineage(ds) -> dict:
    """Provenance of a Dataset fit: its kind and the files it reads (no hash of the rows: that
    would be a further distributed pass)."""
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


def transform(fitted, ds):
    """``fitted.transform`` of every block of ``ds``: a lazy Dataset, in ``ds``'s row order."""
    import ray

    for _, step, _ in fitted.steps:
        _check_row_local(step)
    fitted.check_schema(_polars_schema(ds))  # a missing column or dtype fails here, not in a task
    ref = ray.put(fitted)
    return _ordered(_ordered(ds).map_batches(_Transform(ref), batch_format="pyarrow", batch_size=None))
