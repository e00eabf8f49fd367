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

Steps with a whole-table statistic (``fits_on_table``: target/WoE encoders, whose fit is
per-(category, fold) sums) ride the same buffering path: the pass keeps their input columns,
the target and their ``fit_columns`` (a fold column), and ``Step.fit_table`` fits them once at the
end. ``Pipeline.fit_transform`` asks cross-fitting steps (``cross_fit``) for the training rows'
out-of-fold values and fits the later phases on those (scikit-learn's chained
``fit_transform``). ``Pipeline.fit`` does the same (it is ``fit_transform`` without the output,
as scikit-learn's ``Pipeline.fit`` is), so later steps are never fitted on in-sample encodings;
``FittedPipeline.transform`` on new rows uses each step's full fit.

NaN is missing, like null: before aggregating, the planner turns NaN into null in the float
columns a batch's statistics read (only in batches that contain NaN, so clean data pays one
``is_nan().any()`` per column), so ``fit_exprs`` can use plain null-skipping aggregations.
The exact (non-mergeable) statistics get their buffered float columns with NaN nulled. Steps
whose statistics skip NaN themselves (``stats_skip_nan``: the compiled moments kernel behind
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

from sklearn.base import clone

from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep.pipeline._params import validate_params
from tabprep.pipeline._select import MissingColumnError, is_static, resolve_columns
from tabprep.pipeline._step import is_step

__all__ = ["Pipeline", "DEFAULT_BATCH_ROWS", "OUT_OF_FOLD", "run_phase", "apply_step", "apply_out_of_fold", "schema_after", "fit_single_step"]

#: Rows per batch of a statistics pass when ``batch_size`` is not given.
DEFAULT_BATCH_ROWS = 1 << 20
_SEP = "\x1f"  # between a step's index and its local statistic key in the fused query
#: Key of a table-fitted step's result in :func:`run_phase`: its out-of-fold output frame or None.
OUT_OF_FOLD = "\x1fout_of_fold"


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

    def fit(self, data, target: str | None = None, *, batch_size: int | None = None, lineage: bool = True):
        """Fit every step with as few passes over ``data`` as the dependencies allow.

        Steps after a cross-fitting step (target/WoE encoders) are fitted on its out-of-fold
        values, exactly as in :meth:`fit_transform` (and scikit-learn's ``Pipeline.fit``).

        Parameters
        ----------
        data : path, polars LazyFrame/DataFrame, pandas DataFrame, pyarrow Table or 2-D array
            Paths are opened lazily with :func:`tabprep.io.scan`.
        target : str, optional
            Target column: never selected by a dynamic selector, passed to supervised steps,
            carried through ``transform`` when present.
        batch_size : int, optional
            Rows per batch of each statistics pass (default ``DEFAULT_BATCH_ROWS``). Memory of a
            pass is bounded by the batch, except for the input columns of non-mergeable steps.
        lineage : bool, default=True
            Record the training data's fingerprint in ``FittedPipeline.lineage``
            (``tabprep.pipeline._artifact.data_fingerprint``). It reads the whole data once more
            (file bytes, or every column of a frame); pass False when that pass is not wanted.

        Returns
        -------
        FittedPipeline
        """
        # Cross-fitting steps give the later phases their out-of-fold values, as in fit_transform:
        # fitting a scaler on in-sample target encodings would leak the target into it.
        return self._fit(data, target, batch_size=batch_size, lineage=lineage, cross_fit=True)[0]

    def _fit(self, data, target, *, batch_size, lineage: bool, cross_fit: bool):
        """``(FittedPipeline, source, lf)``: ``lf`` is the data after every step, with the
        out-of-fold values of cross-fitting steps when ``cross_fit`` (and None otherwise)."""
        import polars as pl

        from tabprep.pipeline._fitted import FittedPipeline
        from tabprep.pipeline._input import coerce

        batch_size = _check_batch_size(batch_size)
        source = coerce(data, allow_path=True, array_dtype=None)
        lf = source.lf
        schema = lf.collect_schema()
        if target is not None and target not in schema:
            raise SchemaError("target column not found", column=target,
                              found=f"columns {schema.names()[:20]}", hint="check the target name")
        input_schema = pl.Schema({n: d for n, d in schema.items() if n != target})
        pending = [(name, clone(step), cols) for name, step, cols in self.steps]
        fitted, phases = [], []
        while pending:
            phase = _plan_phase(pending, schema, target)
            stats = run_phase(lf, [(p[1], p[3], p[2]) for p in phase], target, batch_size, cross_fit=cross_fit)
            done, finalized = 0, []  # finalized: the statistics each step of the phase was fitted on
            for (name, step, cols, sch, planned, fused), st in zip(phase, stats):
                if fused:
                    fills = _fill_constants(phase, finalized, fused)
                    if fills is None:  # a filled column was dropped: fit this step on a later pass
                        break
                    st = _merge_fills(step, st, sch, cols, target, fills)
                if not step.fits_on_table:
                    step.fit_finalize(st, schema, cols)
                finalized.append(st)
                out = step.output_schema(schema)
                if planned is not None and planned != dict(out):
                    raise RuntimeError(f"{type(step).__name__}.planned_output_schema disagrees with its "
                                       f"output_schema for step {name!r}: {planned} vs {dict(out)}")
                oof = st.get(OUT_OF_FOLD) if step.fits_on_table else None
                lf = apply_step(lf, step, cols, schema) if oof is None else apply_out_of_fold(lf, oof, cols, out)
                schema = schema_after(schema, cols, out, name)
                fitted.append((name, step, cols))
                done += 1
            pending = pending[done:]
            phases.append([p[0] for p in phase[:done]])
        # Columns read only to fit (a TargetEncoder's fold column) are training metadata: new rows
        # need not carry them, and they are not features.
        used = {c for _, _, cols in fitted for c in cols}
        fit_only = {c for _, step, cols in fitted if step.fits_on_table
                    for c in step.fit_columns(cols, target)} - used
        input_schema = pl.Schema({n: d for n, d in input_schema.items() if n not in fit_only})
        result = FittedPipeline(fitted, input_schema, target, _lineage(data) if lineage else {})
        result.fit_phases = phases
        return result, source, lf

    def fit_transform(self, data, target: str | None = None, *, batch_size: int | None = None,
                      lineage: bool = True):
        """Fit, and return ``(fitted, transformed training data)``.

        Without cross-fitting steps this is ``fitted = fit(data, ...)``;
        ``(fitted, fitted.transform(data))``. Steps with ``cross_fit = True`` (target and WoE
        encoders) give the training rows their *out-of-fold* values instead (row ``i`` is encoded
        by the fit on the folds without it, so no row sees its own label), and every later step is
        fitted on those values -- as scikit-learn's ``Pipeline.fit_transform`` chains each step's
        ``fit_transform``. ``fitted.transform`` (new rows) uses the full fit. The out-of-fold
        values are held in memory (cross fitting reads the whole table anyway).

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
        from tabprep.pipeline._input import convert_output
        from tabprep.pipeline._step import collect_engine, collect_explained

        cross_fit = any(step.fits_on_table and step.cross_fit for _, step, _ in self.steps)
        fitted, source, lf = self._fit(data, target, batch_size=batch_size, lineage=lineage, cross_fit=cross_fit)
        if not cross_fit:
            return fitted, fitted.transform(data)
        has_target = target is not None
        lf = lf.select([*fitted.feature_names_out, *([target] if has_target else [])])
        if source.kind not in ("lazy", "path"):
            lf = collect_explained(lf, lambda: [], engine=collect_engine(s for _, s, _ in fitted.steps)).lazy()
        return fitted, convert_output(lf, source)


def _check_steps(steps) -> list:
    if not isinstance(steps, (list, tuple)) or not steps:
        raise ConfigError("Pipeline needs a non-empty list of (name, step, columns) tuples", found=repr(steps))
    out, names = [], set()
    for i, entry in enumerate(steps):
        if not isinstance(entry, tuple) or len(entry) != 3:
            raise ConfigError(f"pipeline entry {i} must be a (name, step, columns) tuple", found=repr(entry))
        name, step, cols = entry
        if not isinstance(name, str) or not name or _SEP in name:
            raise ConfigError(f"pipeline entry {i}: the name must be a non-empty string", found=repr(name))
        if name in names:
            raise ConfigError(f"step name {name!r} is used twice", hint="give every step its own name")
        if not is_step(step):
            raise ConfigError(f"step {name!r} is not a tabprep step", found=type(step).__name__,
                              hint="use a step from tabprep.clean/scale/encode/bin")
        names.add(name)
        out.append((name, step, cols))
    return out


def _check_batch_size(batch_size) -> int:
    if batch_size is None:
        return DEFAULT_BATCH_ROWS
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError("batch_size must be a positive int or None", found=repr(batch_size))
    return batch_size


def _plan_phase(pending, schema, target) -> list:
    """The longest prefix of ``pending`` that can be fitted from one pass over ``schema``'s frame.

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
        if overlap and not (_reads_fills_only(step, overlap, fills)):
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
        if not step.fits_on_table:
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
    return (step.mergeable and step.stats_skip_missing and not step.fits_on_table
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


def _merge_fills(step, stats: dict, schema, columns, target, fills: dict) -> dict:
    """``stats`` (computed on the raw columns, missing cells skipped) merged with the statistics
    of the cells an earlier step filled: ``fills`` maps a column to ``(constant, cells)``.

    The filled cells of a column are all the same value: the step's own expressions give the
    statistics of one such cell, and ``merge_stats`` builds those of ``cells`` of them by
    doubling (statistics of 2k copies = merge of two k-copy parts; O(log cells) merges, no
    block of ``cells`` rows is materialized), merged after the raw part.
    """
    import polars as pl

    from tabprep.pipeline._stats import unpack_structs

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


def schema_after(schema, columns, outputs, step_name: str = "?"):
    """Schema of the frame after a step that read ``columns`` and produced ``outputs``.

    Replaced columns keep their position, inputs that are not outputs are dropped, new columns
    are appended (Polars ``with_columns`` semantics). Creating a column that already exists but
    is not one of the step's inputs is an error (it would be overwritten silently).
    """
    import polars as pl

    cols = set(columns)
    new = {}
    for n, dt in schema.items():
        if n in cols:
            if n in outputs:
                new[n] = outputs[n]
        else:
            new[n] = dt
    for n, dt in outputs.items():
        if n in cols:
            continue
        if n in schema:
            raise SchemaError(f"step {step_name!r} creates a column that already exists", column=n,
                              hint="rename the existing column or make it an input of the step")
        new[n] = dt
    return pl.Schema(new)


def apply_step(lf, step, columns, schema):
    """``lf`` with ``step``'s outputs (``with_columns``) and its consumed inputs dropped."""
    exprs = step.transform_exprs(schema)
    outs = {e.meta.output_name() for e in exprs}
    lf = lf.with_columns(exprs)
    drop = [c for c in columns if c not in outs]
    return lf.drop(drop) if drop else lf


def apply_out_of_fold(lf, oof, columns, outputs):
    """``lf`` with a cross-fitted step's out-of-fold columns ``oof`` (an in-memory frame of the
    same rows, in order) in place of its transform, with ``apply_step``'s column placement."""
    import polars as pl

    names = list(outputs.names()) if hasattr(outputs, "names") else list(outputs)
    if oof.columns != names:
        raise RuntimeError(f"out-of-fold columns {oof.columns} differ from the step's outputs {names}")
    tmp = {n: f"{_SEP}oof{_SEP}{n}" for n in names}
    lf = pl.concat([lf, oof.rename(tmp).lazy()], how="horizontal")
    lf = lf.with_columns(pl.col(t).cast(outputs[n]).alias(n) for n, t in tmp.items())
    return lf.drop([*tmp.values(), *(c for c in columns if c not in tmp)])


def run_phase(lf, entries, target, batch_size: int = DEFAULT_BATCH_ROWS, *, cross_fit: bool = False) -> list[dict]:
    """Statistics of every ``(step, schema, columns)`` in ``entries`` from one pass over ``lf``.

    Mergeable steps: per-batch partial statistics merged in batch order. Other steps: their input
    columns are kept across batches and aggregated once (exact). Steps that fit on a table
    (``fits_on_table``) get their columns (inputs, target, ``fit_columns``) kept the same way and
    are fitted by ``fit_table`` at the end; their entry in the result is
    ``{OUT_OF_FOLD: out-of-fold output frame or None}`` (a frame only with ``cross_fit`` and a
    cross-fitting step). Raises DataError on no rows.
    """
    import polars as pl

    from tabprep.pipeline._stats import unpack_structs

    merge_exprs, exact = [], []
    shared: dict = {}  # (id(expression), mergeable) -> (its name in the fused query, expression)
    copies: list = []  # (name computed, name of the same statistic for a later step)
    nan_checked: set = set()  # float columns some mergeable statistic needs NaN-free
    nan_nulled: set = set()   # float columns some exact statistic needs NaN-free
    table_cols: list[list[str]] = []
    for k, (step, schema, cols) in enumerate(entries):
        if step.fits_on_table:
            extra = [c for c in step.fit_columns(cols, target) if c not in cols and c != target]
            for c in extra:
                if c not in schema:
                    raise SchemaError(f"{type(step).__name__} reads a column the data lacks", column=c,
                                      hint="add it to the data (or fix the step's parameters)")
            table_cols.append([*cols, *([target] if target is not None and step.uses_target else []), *extra])
            continue
        table_cols.append([])
        exprs = []
        for key, e in step.fit_exprs(schema, cols, target).items():
            name = f"{k}{_SEP}{key}"
            same = (id(e), step.mergeable)
            if same in shared:  # the same expression object as an earlier step's: computed once
                copies.append((shared[same][0], name))
                continue
            shared[same] = (name, e)  # keeps e alive, so its id is not reused in this phase
            exprs.append(e.alias(name))
        (merge_exprs if step.mergeable else exact).extend(exprs)
        if not step.stats_skip_nan:
            (nan_checked if step.mergeable else nan_nulled).update(r for e in exprs for r in e.meta.root_names())
    merge_exprs.append(pl.len().alias("__rows__"))
    schema = lf.collect_schema()
    # columns the exact (non-mergeable) statistics and the table fits read, kept across batches
    needed = {r for e in exact for r in e.meta.root_names()} | {c for t in table_cols for c in t}
    keep = [c for c in schema.names() if c in needed] or (schema.names()[:1] if exact else [])
    # NaN means missing, like null: statistics must skip it. Nulling NaN up front costs a copy
    # of the column, so each batch is checked in the same select and redone only if it has NaN.
    floats = sorted(r for r in nan_checked if r in schema and schema[r].is_float())
    nan_flags = [pl.col(c).is_nan().any().alias(f"__nan__{i}") for i, c in enumerate(floats)]
    # read only what the statistics need (projection pushdown into the scan)
    roots = {r for e in merge_exprs + exact for r in e.meta.root_names()} | set(keep)
    projected = [c for c in schema.names() if c in roots] or schema.names()[:1]
    parts, kept = [], []
    for batch in lf.select(projected).collect_batches(chunk_size=batch_size, maintain_order=True):
        if batch.height == 0:
            continue
        # Batch boundaries are fixed by row count, but a batch carries the source's chunking, and
        # Polars sums chunk by chunk: one chunk per batch makes the statistics (and so the
        # artifact) independent of how the input happened to be chunked.
        if batch.n_chunks() > 1:
            batch = batch.rechunk()
        row = batch.select(merge_exprs + nan_flags).row(0, named=True)
        with_nan = [c for i, c in enumerate(floats) if row.pop(f"__nan__{i}")]
        if with_nan:
            row = batch.with_columns(pl.col(with_nan).fill_nan(None)).select(merge_exprs).row(0, named=True)
        parts.append(unpack_structs(_copied(row, copies)))
        if keep:
            kept.append(batch.select(keep))
    n_rows = sum(p.pop("__rows__") for p in parts)
    if n_rows == 0:
        raise DataError("no rows to fit on", hint="check the data (and any filter applied to it)")
    exact_row = {}
    frame = pl.concat(kept, rechunk=False) if keep else None
    if exact:
        nulled = [c for c in keep if c in nan_nulled and schema[c].is_float()]
        exact_row = unpack_structs(_copied(frame.with_columns(pl.col(c).fill_nan(None) for c in nulled)
                                           .select(exact).row(0, named=True), copies))
    results = []
    for k, (step, _, cols) in enumerate(entries):
        prefix = f"{k}{_SEP}"
        if step.fits_on_table:
            # the raw columns (NaN as they are: the step decides what a NaN means)
            oof = step.fit_table(frame.select(table_cols[k]), list(cols), target,
                                 cross_fit=cross_fit and step.cross_fit)
            results.append({OUT_OF_FOLD: oof})
        elif step.mergeable:
            mine = [{key[len(prefix):]: v for key, v in p.items() if key.startswith(prefix)} for p in parts]
            results.append(mine[0] if len(mine) == 1 else step.merge_stats(mine))
        else:
            results.append({key[len(prefix):]: v for key, v in exact_row.items() if key.startswith(prefix)})
    return results


def _copied(row: dict, copies: list) -> dict:
    """``row`` with the value of each statistic shared by several steps under every step's name."""
    for src, dst in copies:
        if src in row:
            row[dst] = row[src]
    return row


def fit_single_step(step, data, y=None) -> None:
    """Fit one step on a coerced input (the scikit-learn ``fit`` of every step)."""
    import polars as pl

    lf, target = data.lf, None
    if step.uses_target and y is not None:
        import numpy as np

        df = lf.collect()
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != df.height:
            raise DataError(f"y must be 1-D with one value per row of X ({df.height})", found=f"shape {y.shape}")
        target = "__target__"
        lf = df.with_columns(pl.Series(target, y)).lazy()
    schema = lf.collect_schema()
    columns = [c for c in schema.names() if c != target]
    if not columns:
        raise DataError("X has no columns to fit on")
    stats = run_phase(lf, [(step, schema, columns)], target)[0]
    if not step.fits_on_table:  # a table step has set its fitted attributes in fit_table
        step.fit_finalize(stats, schema, columns)
    if not data.named:
        # scikit-learn defines feature_names_in_ only for inputs with string column names
        del step.feature_names_in_


def _lineage(data) -> dict:
    try:
        from tabprep.pipeline._artifact import data_fingerprint
    except ImportError:
        return {}
    return data_fingerprint(data)
