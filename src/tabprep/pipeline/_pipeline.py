"""The Pipeline planner: few fused statistics passes, deterministic, bigger than memory.

``Pipeline.fit`` walks the steps in order and groups them into *phases*. A step joins the current
phase unless it reads a column that an earlier step of the phase writes (or creates), or its
selector is dynamic (dtype/regex/selector/None) while an earlier step of the phase cannot say its
output schema before fitting (``planned_output_schema`` returns None). Each phase is fitted by
ONE pass over the data::

    lf.with_columns(<transform exprs of the fitted phases>)   # lazy, streaming
      .collect_batches(chunk_size=batch_size)                 # ordered batches, one scan
    per batch: batch.select(<fit_exprs of every mergeable step of the phase, prefixed>)
    merge the partial statistics in batch order (Step.merge_stats), then Step.fit_finalize

Why ordered batches instead of one ``select(...).collect(engine="streaming")``: the streaming
engine combines per-thread partial sums in a varying order, so a float mean or variance differs
in the last bits from run to run (measured on Polars 2.1). Fixed-size batches merged in order
give byte-identical state on every run, bounded memory, and the same code for ``batch_size=None``
(default chunk of 2**20 rows) and an explicit ``batch_size``.

Steps that are not ``mergeable`` (median, quantiles, mode: all order statistics or counts, hence
exact) get their statistics in the same pass from their input columns, buffered across batches
and aggregated once at the end: exact, but those columns must fit in memory. (A streaming
quantile sketch with a stated error bound comes with the binning steps.)

Steps with a whole-table statistic (they implement ``Step.fit_table``: target/WoE encoders, whose
fit is per-(category, fold) sums) ride the same buffering path: the pass keeps their input
columns, the target and their ``fit_columns`` (a fold column), and ``Step.fit_table`` fits them
once at the end. ``Pipeline.fit_transform`` asks them for the training rows' out-of-fold values and fits the later phases on those (scikit-learn's chained
``fit_transform``). ``Pipeline.fit`` does the same (it is ``fit_transform`` without the output,
as scikit-learn's ``Pipeline.fit`` is), so later steps are never fitted on in-sample encodings;
``FittedPipeline.transform`` on new rows uses each step's full fit.

NaN is missing, like null: before aggregating, the planner turns NaN into null in the float
columns a batch's statistics read (only in batches that contain NaN, so clean data pays one
``is_nan().any()`` per column), so ``fit_exprs`` can use plain null-skipping aggregations.
The exact (non-mergeable) statistics get their buffered float columns with NaN nulled.
Statistics that skip NaN themselves (marked ``skipping_nan``: the compiled moments kernel behind
``_stats.moment_exprs``, KBinsDiscretizer's kernels) are left out of both (no check, no copy).

Fills do not cost a pass. A step that only replaces missing cells by one constant per column
(``fills_missing``: SimpleImputer) does not push a later step that reads those columns into the
next phase when that step's statistics each read one column and skip missing cells
(``stats_skip_missing``: StandardScaler). The later step is fitted in the same pass on the raw
columns, and once the fill constants are known the filled cells are merged in as blocks of
identical values (``merge_stats``): the statistics of the filled column, from one scan instead
of two. If a filled column turns out to be dropped (no observed value), the later step and
those after it in the phase are fitted on a further pass, as without fusion.
"""

from __future__ import annotations

import polars as pl

from tabprep._base.backends import backend_for
from tabprep._base.estimator import clone
from tabprep._base.fit import (
    OUT_OF_FOLD,
    SEP,
    WEIGHT,
    apply_out_of_fold,
    apply_step,
    check_batch_size,
    finalize_explained,
    fits_on_table,
    run_phase,
    schema_after,
    takes_weights,
    transform_plan,
    weighs_lazily,
    weight_series,
)
from tabprep._base.lineage import data_fingerprint
from tabprep._base.params import validate_params
from tabprep._base.stats import unpack_structs
from tabprep._base.step import is_step
from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep.io._dispatch import coerce
from tabprep.pipeline._fitted import FittedPipeline
from tabprep.pipeline._select import MissingColumnError, is_static, resolve_columns

__all__ = ["Pipeline"]


class Pipeline:
    """An ordered list of steps, each applied to a selection of columns.

    Parameters
    ----------
    steps : list of (name, step, columns)
        ``name`` is a unique string; ``step`` a :class:`~tabprep.pipeline.Step`; ``columns`` what
        it applies to: a name, a list of names, a regex ``"^...$"``, a Polars dtype or selector,
        or None for every non-target column (see :mod:`tabprep.pipeline._select`). Columns a step
        does not select pass through unchanged; a step's outputs replace its inputs in place, new
        columns (e.g. missing indicators) are appended.

    Examples
    --------
    >>> import polars as pl, polars.selectors as cs
    >>> from tabprep import Pipeline
    >>> from tabprep.clean import SimpleImputer
    >>> from tabprep.scale import StandardScaler
    >>> df = pl.DataFrame({"a": [1.0, None, 3.0], "b": [10, 20, 30], "y": [0, 1, 0]})
    >>> pipe = Pipeline([("impute", SimpleImputer(), "a"), ("scale", StandardScaler(), cs.numeric())])
    >>> fitted = pipe.fit(df, target="y")
    >>> fitted.fit_phases
    [['impute'], ['scale']]
    >>> fitted.transform(df)
    shape: (3, 3)
    ┌───────────┬───────────┬─────┐
    │ a         ┆ b         ┆ y   │
    │ ---       ┆ ---       ┆ --- │
    │ f64       ┆ f64       ┆ i64 │
    ╞═══════════╪═══════════╪═════╡
    │ -1.224745 ┆ -1.224745 ┆ 0   │
    │ 0.0       ┆ 0.0       ┆ 1   │
    │ 1.224745  ┆ 1.224745  ┆ 0   │
    └───────────┴───────────┴─────┘
    """

    def __init__(self, steps) -> None:
        self.steps = _check_steps(steps)

    def __repr__(self) -> str:
        inner = ",\n ".join(f"({n!r}, {s!r}, {c!r})" for n, s, c in self.steps)
        return f"Pipeline([\n {inner}\n])"

    def fit(self, data, target: str | None = None, *, sample_weight=None, batch_size: int | None = None,
            lineage: bool = True):
        """Fit every step with as few passes over ``data`` as the dependencies allow.

        Steps after a cross-fitting step (target/WoE encoders) are fitted on its out-of-fold
        values, exactly as in :meth:`fit_transform` (and scikit-learn's ``Pipeline.fit``).

        Parameters
        ----------
        data : path, polars LazyFrame/DataFrame, pandas DataFrame, pyarrow Table, 2-D array or Ray Dataset
            Paths are opened lazily with :func:`tabprep.io.scan`. A ``ray.data.Dataset`` (extra
            ``tabprep[ray]``) is fitted on the Ray cluster, one pass per phase
            (:mod:`tabprep.distributed`).
        target : str, optional
            Target column: never selected by a dynamic selector, passed to supervised steps,
            carried through ``transform`` when present.
        sample_weight : str or array-like, optional
            Sample weights: the name of a column of ``data`` (a training-only column, like a
            fold column: not a feature, not needed by ``transform``) or one weight per row.
            They go to every step whose ``fit`` takes ``sample_weight`` (scikit-learn's test),
            read in the same pass as the step's statistics; a step that declined them with
            ``set_fit_request(sample_weight=False)`` (scikit-learn's request API, which needs
            ``sklearn.set_config(enable_metadata_routing=True)`` when it is called) is fitted
            unweighted. An error if no step takes them, or if a step's ``fit`` takes them but its
            statistics pass cannot. With a Ray Dataset, the name of one of its columns.
        batch_size : int, optional
            Rows per batch of each statistics pass (default ``DEFAULT_BATCH_ROWS``). Memory of a
            pass is bounded by the batch, except for the input columns of non-mergeable steps.
        lineage : bool, default=True
            Record the training data's fingerprint in ``FittedPipeline.lineage``
            (``tabprep._base.lineage.data_fingerprint``). It reads the whole data once more
            (file bytes, or every column of a frame); pass False when that pass is not wanted.

        Returns
        -------
        FittedPipeline
        """
        # Cross-fitting steps give the later phases their out-of-fold values, as in fit_transform:
        # fitting a scaler on in-sample target encodings would leak the target into it.
        return self._fit(data, target, batch_size=batch_size, lineage=lineage, sample_weight=sample_weight)[0]

    def _fit(self, data, target, *, batch_size, lineage: bool, sample_weight=None):
        """``(FittedPipeline, source, out_of_fold)``: ``out_of_fold`` maps the name of each step
        that cross-fitted to its training rows' out-of-fold output (an in-memory frame)."""
        batch_size = check_batch_size(batch_size)
        backend = backend_for(data)
        if backend is None:
            source, ops = coerce(data, allow_path=True, array_dtype=None), _LOCAL
            lf = source.lf
        else:  # another engine's data (a Ray Dataset): its frame runs the passes there
            source, lf, ops = None, backend.fit_frame(data), backend
            if sample_weight is not None and not isinstance(sample_weight, str):
                raise ConfigError(f"sample_weight of a {type(data).__name__} must name one of its columns",
                                  found=type(sample_weight).__name__,
                                  hint="add the weights as a column and pass its name")
        schema = lf.collect_schema()
        if target is not None and target not in schema:
            raise SchemaError("target column not found", column=target,
                              found=f"columns {schema.names()[:20]}", hint="check the target name")
        pending = [(name, clone(step), cols) for name, step, cols in self.steps]
        # (another engine checks the weights in its passes, block by block)
        lf, weight, weighted = _attach_weights(lf, schema, sample_weight, target, pending, check=backend is None)
        if weight is not None:
            schema = pl.Schema({n: d for n, d in schema.items() if n != weight})
        input_schema = pl.Schema({n: d for n, d in schema.items() if n != target})
        fitted, outputs, phases, out_of_fold = [], [], [], {}
        raw = lf
        while pending:
            try:
                phase = _plan_phase(pending, schema, target, weighted)
                weights = {k: weight for k, p in enumerate(phase) if p[0] in weighted}
                stats = ops.run_phase(lf, [(p[1], p[3], p[2]) for p in phase], target, batch_size, cross_fit=True,
                                      weights=weights)
            except SchemaError as exc:
                # a CSV of a header and no row reads every column as text: say what is wrong
                if backend is None and not fitted and _has_no_rows(raw):
                    raise DataError("no rows to fit on", hint="check the data (and any filter applied to it)") from exc
                raise
            done, finalized = 0, []  # finalized: the statistics each step of the phase was fitted on
            for (name, step, cols, sch, planned, fused), st in zip(phase, stats):
                if fused:
                    fills = _fill_constants(phase, finalized, fused)
                    if fills is None:  # a filled column was dropped: fit this step on a later pass
                        break
                    st = _merge_fills(step, st, sch, cols, target, fills)
                if not fits_on_table(step):
                    finalize_explained(step, st, schema, cols, lf if ops is _LOCAL else None)
                finalized.append(st)
                oof = st.get(OUT_OF_FOLD) if fits_on_table(step) else None
                local = ops is _LOCAL and oof is None  # the transform expressions are applied
                exprs, out = transform_plan(step, schema) if local else (None, step.output_schema(schema))
                if planned is not None and planned != dict(out):
                    raise RuntimeError(f"{type(step).__name__}.planned_output_schema disagrees with its "
                                       f"output_schema for step {name!r}: {planned} vs {dict(out)}")
                if oof is not None:
                    out_of_fold[name] = oof
                lf = apply_step(lf, step, cols, schema, out, exprs) if local else ops.apply(lf, step, cols, schema, oof, out)
                schema = schema_after(schema, cols, out, name)
                fitted.append((name, step, cols))
                outputs.append(out)
                done += 1
            pending = pending[done:]
            phases.append([p[0] for p in phase[:done]])
        # Columns read only to fit (a TargetEncoder's fold column) are training metadata: new rows
        # need not carry them, and they are not features.
        used = {c for _, _, cols in fitted for c in cols}
        fit_only = {c for _, step, cols in fitted if fits_on_table(step)
                    for c in step.fit_columns(cols, target)} - used
        input_schema = pl.Schema({n: d for n, d in input_schema.items() if n not in fit_only})
        result = FittedPipeline(fitted, input_schema, target, ops.lineage(data) if lineage else {}, outputs=outputs)
        result.fit_phases = phases
        return result, source, out_of_fold

    def fit_transform(self, data, target: str | None = None, *, sample_weight=None, batch_size: int | None = None,
                      lineage: bool = True):
        """Fit, and return ``(fitted, transformed training data)``.

        Without cross-fitting steps this is ``fitted = fit(data, ...)``;
        ``(fitted, fitted.transform(data))``. Steps that cross-fit (target and WoE
        encoders) give the training rows their *out-of-fold* values instead (row ``i`` is encoded
        by the fit on the folds without it, so no row sees its own label), and every later step is
        fitted on those values -- as scikit-learn's ``Pipeline.fit_transform`` chains each step's
        ``fit_transform``. ``fitted.transform`` (new rows) uses the full fit. The out-of-fold
        values are held in memory (cross fitting reads the whole table anyway). A Ray Dataset
        gives a Ray Dataset, its out-of-fold values computed block by block when the encoders'
        folds come from the rows (a fold column, ``HashKFold``; :mod:`tabprep.distributed`).
        ``sample_weight`` is routed as in :meth:`fit` (a weight column is left out of the output).

        Examples
        --------
        >>> import polars as pl
        >>> from tabprep import Pipeline
        >>> from tabprep.encode import TargetEncoder
        >>> df = pl.DataFrame({"c": ["a", "a", "b", "b"] * 3, "y": [1, 0, 0, 0] * 3})
        >>> fitted, out = Pipeline([("te", TargetEncoder(cv=3), "c")]).fit_transform(df, target="y")
        >>> out["c"].to_list() == TargetEncoder(cv=3).fit_transform(df.select("c"), df["y"])["c"].to_list()
        True
        """
        fitted, source, out_of_fold = self._fit(data, target, batch_size=batch_size, lineage=lineage,
                                                sample_weight=sample_weight)
        if source is None:  # another engine's data (a Ray Dataset): its backend gives the out-of-fold output
            return fitted, backend_for(data).transform(fitted, data, out_of_fold)
        # one transform plan either way (consecutive one-to-one steps nested into one layer);
        # the steps that cross-fitted give their out-of-fold output instead of their transform
        # (a weight column is no input: left out)
        return fitted, fitted._transform(source, out_of_fold)


class _LOCAL:
    """The fit loop's operations on a local LazyFrame (a backend's frame has the same three)."""

    run_phase = staticmethod(run_phase)
    lineage = staticmethod(data_fingerprint)

    @staticmethod
    def apply(lf, step, cols, schema, oof, out):
        return apply_step(lf, step, cols, schema, out) if oof is None else apply_out_of_fold(lf, oof, cols, out)


def _attach_weights(lf, schema, sample_weight, target, steps, *, check: bool = True):
    """``(lf with the weight column, its name or None, names of the steps it goes to)``;
    ``check=False`` leaves the check of a weight column's values to the passes."""
    if sample_weight is None:
        return lf, None, set()
    takers, refused = set(), []
    for name, step, _ in steps:
        if not takes_weights(step):
            continue
        if _declined(step):
            continue
        if not weighs_lazily(step):
            refused.append((name, step))
            continue
        takers.add(name)
    if refused:
        name, step = refused[0]
        raise ConfigError(f"step {name!r} ({type(step).__name__}) takes sample_weight in fit, but its statistics "
                          "pass cannot read a weight column, so the Pipeline cannot route the weights to it",
                          hint=f"decline them with {type(step).__name__}(...).set_fit_request(sample_weight=False), "
                               "or fit that step on its own")
    if not takers:
        names = [f"{name} ({type(step).__name__})" for name, step, _ in steps]
        raise ConfigError(f"sample_weight was passed, but no step of the Pipeline takes it: {names}",
                          hint="leave sample_weight out, or add a step whose fit takes sample_weight "
                               "(e.g. KBinsDiscretizer, TargetEncoder)")
    if isinstance(sample_weight, str):
        if sample_weight not in schema:
            raise SchemaError("the sample_weight column is not in the data", column=sample_weight,
                              found=f"columns {schema.names()[:20]}")
        if sample_weight == target:
            raise ConfigError("sample_weight names the target column", column=sample_weight)
        dtype = schema[sample_weight]
        if not dtype.is_numeric():
            raise SchemaError("the sample_weight column must be numeric", column=sample_weight, found=str(dtype))
        if check:
            w = lf.select(pl.col(sample_weight)).collect().get_column(sample_weight)
            weight_series(w.cast(pl.Float64).to_numpy(), w.len(), owner="Pipeline")  # checks every weight
        return lf, sample_weight, takers
    n = lf.select(pl.len()).collect().item()
    w = weight_series(sample_weight, n, owner="Pipeline", name=WEIGHT)
    return pl.concat([lf, w.to_frame().lazy()], how="horizontal"), WEIGHT, takers


def _declined(step) -> bool:
    """Whether ``step.set_fit_request(sample_weight=False)`` declined the weights."""
    request = getattr(step, "_metadata_request", None)
    fit = getattr(request, "fit", None) if request is not None else None
    requests = getattr(fit, "requests", {}) if fit is not None else {}
    return requests.get("sample_weight") is False


def _check_steps(steps) -> list:
    if not isinstance(steps, (list, tuple)) or not steps:
        raise ConfigError("Pipeline needs a non-empty list of (name, step, columns) tuples", found=repr(steps))
    out, names = [], set()
    for i, entry in enumerate(steps):
        if not isinstance(entry, tuple) or len(entry) != 3:
            raise ConfigError(f"pipeline entry {i} must be a (name, step, columns) tuple", found=repr(entry))
        name, step, cols = entry
        if not isinstance(name, str) or not name or SEP in name:
            raise ConfigError(f"pipeline entry {i}: the name must be a non-empty string", found=repr(name))
        if name in names:
            raise ConfigError(f"step name {name!r} is used twice", hint="give every step its own name")
        if not is_step(step):
            raise ConfigError(f"step {name!r} is not a tabprep step", found=type(step).__name__,
                              hint="use a step from tabprep.clean/scale/encode/bin")
        names.add(name)
        out.append((name, step, cols))
    return out



def _plan_phase(pending, schema, target, weighted=frozenset()) -> list:
    """The longest prefix of ``pending`` that can be fitted from one pass over ``schema``'s frame.

    A step named in ``weighted`` (fitted with sample weights) is never fused with a fill: the
    filled cells would enter its statistics without their weights.

    Returns ``[(name, step, columns, schema_seen, planned_outputs_or_None, fused)]``; ``fused``
    maps each column the step reads *after* an earlier step of the phase fills its missing cells
    (``Step.fills_missing``) to that step's position in the phase (empty for ordinary steps).
    """
    phase = []
    plan = schema           # schema after the phase's steps so far, as far as it is known
    written: set = set()    # columns the phase's steps read, modify or create
    fills: dict = {}        # column -> position of the phase step that only fills its missing cells
    predictable = True
    for name, step, selector in pending:
        if phase and not predictable and not is_static(selector):
            break
        try:
            cols = resolve_columns(selector, plan, target, step=name)
        except MissingColumnError:
            if phase:  # may be created by a step of this phase: resolve after fitting it
                break
            raise
        overlap = written.intersection(cols)
        if overlap and not (name not in weighted and _reads_fills_only(step, overlap, fills)):
            break
        if not cols:
            raise ConfigError(f"the columns of step {name!r} matched nothing", found=repr(selector),
                              hint=f"columns available: {[n for n in plan.names() if n != target][:20]}")
        validate_params(step)
        planned = step.planned_output_schema(plan, cols)
        fused = {c: fills[c] for c in overlap}
        phase.append((name, step, cols, plan, None if planned is None else dict(planned), fused))
        for c in cols:  # a column this step reads or writes is no plain fill for later steps
            fills.pop(c, None)
        if not fits_on_table(step):
            fills.update({c: len(phase) - 1 for c in step.fills_missing(plan, cols) if c in cols})
        written.update(cols)
        if planned is None:
            predictable = False
        else:
            after = schema_after(plan, cols, planned, name)
            written.update(n for n in after.names() if n not in plan)
            plan = after
    return phase


def _reads_fills_only(step, columns, fills) -> bool:
    """Whether ``step`` may share the phase of the steps filling ``columns`` (see ``_plan_phase``)."""
    return (step.mergeable and step.stats_skip_missing and not fits_on_table(step)
            and all(c in fills for c in columns))


def _fill_constants(phase, finalized: list, fused: dict) -> dict | None:
    """``{column: (constant, cells filled)}`` for a fused step's columns, from the fitted steps of
    ``phase`` that fill them (``finalized[i]``: the statistics step ``i`` was fitted on); None if
    one of them is not a plain fill after all (dropped)."""
    out = {}
    for c, pos in fused.items():
        got = phase[pos][1].fill_constants(finalized[pos]).get(c)
        if got is None:
            return None
        out[c] = got
    return out


def _has_no_rows(lf) -> bool:
    """Whether ``lf`` gives no row (reads at most one); False when that read fails itself."""
    try:
        return lf.head(1).collect().height == 0
    except Exception:  # noqa: BLE001 - the error being reported is the one to show
        return False


def _merge_fills(step, stats: dict, schema, columns, target, fills: dict) -> dict:
    """``stats`` (computed on the raw columns, missing cells skipped) merged with the statistics
    of the cells an earlier step filled: ``fills`` maps a column to ``(constant, cells)``.

    The filled cells of a column are all the same value: the step's own expressions give the
    statistics of one such cell, and ``merge_stats`` builds those of ``cells`` of them by
    doubling (statistics of 2k copies = merge of two k-copy parts; O(log cells) merges, no
    block of ``cells`` rows is materialized), merged after the raw part.
    """
    exprs = step.fit_exprs(schema, columns, target)
    by_root: dict = {}
    for key, expr in exprs.items():
        roots = expr.meta.root_names()
        if len(set(roots)) != 1:
            raise RuntimeError(f"{type(step).__name__} sets stats_skip_missing, but its statistic {key!r} "
                               f"reads {sorted(set(roots))} instead of one column")
        by_root.setdefault(roots[0], {})[key] = expr
    todo = {c: vc for c, vc in fills.items() if vc[1] > 0 and c in by_root}
    if not todo:
        return stats
    one_row = pl.DataFrame({c: pl.Series([value], dtype=schema[c]) for c, (value, _) in todo.items()})
    single = one_row.select(e.alias(k) for c in todo for k, e in by_root[c].items()).row(0, named=True)
    stats = dict(stats)
    for c, (_, cells) in todo.items():
        power = unpack_structs({k: single[k] for k in by_root[c]})
        filled = None
        while True:  # binary decomposition of `cells`, lowest bit first
            if cells & 1:
                filled = power if filled is None else step.merge_stats([filled, power])
            cells >>= 1
            if not cells:
                break
            power = step.merge_stats([power, power])
        raw = {k: stats[k] for k in filled}
        stats.update(step.merge_stats([raw, filled]))
    return stats
