"""Running a fit: one pass of statistics over ordered batches, merged in order; applying steps.

This is the engine under both faces of a step: ``Step.fit`` (scikit-learn's, one step, all its
columns) and the pipeline planner (``tabprep.pipeline``, several steps fused into one pass per
phase). The planner decides *which* steps share a pass; :func:`run_phase` runs one.

Why ordered batches instead of one ``select(...).collect(engine="streaming")``: the streaming
engine combines per-thread partial sums in a varying order, so a float mean or variance differs
in the last bits from run to run (measured on Polars 2.1). Fixed-size batches merged in order
give byte-identical state on every run, bounded memory, and the same code for ``batch_size=None``
(default chunk of 2**20 rows) and an explicit ``batch_size``.

Steps that are not ``mergeable`` (median, quantiles, mode) get their statistics in the same pass
from their input columns, buffered across batches and aggregated once at the end: exact, but
those columns must fit in memory. Steps with a whole-table statistic (they implement
``Step.fit_table``: target and WoE encoders) ride the same buffering path and are fitted by it at
the end; asked to cross-fit, such a step returns its training rows' out-of-fold output, or None
when it does not cross-fit.

NaN is missing, like null: before aggregating, the float columns a batch's statistics read are
checked for NaN (one ``is_nan().any()`` per column in the same select) and nulled only in the
batches that have some. Statistics that skip NaN themselves (marked by
``tabprep._base.stats.skipping_nan``: the kernels) are left out of that check.
"""

from __future__ import annotations

from functools import lru_cache

from tabprep._base.stats import CHECK_IN_PLAN, is_chunk_invariant, skips_nan, unpack_structs
from tabprep.errors import ConfigError, DataError, SchemaError, TabprepError
from tabprep.io._progress import new_pass, rows_done

__all__ = [
    "DEFAULT_BATCH_ROWS", "MERGE_BLOCKS", "OUT_OF_FOLD", "SEP", "STATS_BLOCK_ROWS", "check_batch_size", "fits_on_table",
    "run_phase", "PhasePlan", "fit_single_step",
    "schema_after", "apply_step", "apply_out_of_fold", "collect_engine", "collect_explained",
    "WEIGHT", "takes_weights", "weighs_lazily", "weight_series", "check_sample_weight", "step_statistics",
    "empty_frame", "transform_plan", "explained", "finalize_explained", "explaining", "explains_failures",
    "EXPLAIN_ATTR",
]

#: Rows per batch of a statistics pass when ``batch_size`` is not given.
DEFAULT_BATCH_ROWS = 1 << 20
#: Rows per block of partial statistics (see ``_blocks``): fixed, whatever the batch size. A pass
#: holds at most one block beyond its batch. Smaller blocks cost a query each: 2**18 made the
#: 10M-row impute+scale fit ~1.5x slower; 2**20 (the default batch) costs nothing measurable.
STATS_BLOCK_ROWS = 1 << 20
#: Partials a pass holds before merging them into one (``PhasePlan.add``): memory stays bounded
#: (a block's category table is ~1 MB at 66k categories; 100M rows kept 100 of them, as Python
#: lists), and merging a category table costs a hash pass over it: merging at every block (1)
#: took 0.6 s of a 10M-row fit encoding 3 columns (one of 100k categories), every 8 blocks 0.3 s.
MERGE_BLOCKS = 8
#: Between a step's index and its local statistic key in a fused query (and in temp names).
SEP = "\x1f"
#: Name of the sample-weight column a single step's ``fit(..., sample_weight=)`` adds to its input.
WEIGHT = "\x1fsample_weight"
#: Key of a table-fitted step's result in :func:`run_phase`: its out-of-fold output frame or None.
OUT_OF_FOLD = "\x1fout_of_fold"


def check_batch_size(batch_size) -> int:
    """``batch_size`` checked (a positive int), or :data:`DEFAULT_BATCH_ROWS` for None."""
    if batch_size is None:
        return DEFAULT_BATCH_ROWS
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError("batch_size must be a positive int or None", found=repr(batch_size))
    return batch_size


def _blocks(batches, rows: int, whole=()):
    """The rows of ``batches`` re-cut into blocks of exactly ``rows`` rows (the last one shorter),
    the columns named in ``whole`` in one chunk each.

    Partial statistics are taken per block and merged in row order, so the blocks, and hence
    every rounding of a float sum or mean, are fixed by the global row number alone: the same
    state for any ``batch_size``, any chunking of the source and an in-memory fit (a batch of
    10M rows and ten of 1M gave means differing in the last bit before). A batch carries the
    source's chunking and Polars sums floats chunk by chunk; the columns named in ``whole`` are
    made one chunk per block (the statistics pass copies them in ``PhasePlan.partial`` instead,
    for its mergeable statistics only); the others keep their chunks: rechunking every column
    cost ~1.5 s of a 10M-row fit whose strings were only kept.
    """
    import polars as pl

    whole = list(whole)

    def done(block):
        split = [c for c in whole if block.get_column(c).n_chunks() > 1]
        return block.with_columns(block.get_column(c).rechunk() for c in split) if split else block

    carry = None
    for batch in batches:
        if batch.height == 0:
            continue
        buf = batch if carry is None else pl.concat([carry, batch], rechunk=False)
        start = 0
        while buf.height - start >= rows:
            yield done(buf.slice(start, rows))
            start += rows
        carry = buf.slice(start) if start < buf.height else None
    if carry is not None:
        yield done(carry)


def _reported(batches):
    """The batches, each one's rows reported to a progress reporter if one listens (``tabprep.io``)."""
    for batch in batches:
        rows_done(batch.height)
        yield batch


def fits_on_table(step) -> bool:
    """Whether ``step`` fits from a whole table (it implements ``fit_table``) rather than from
    one-value statistics (``fit_exprs``)."""
    method = getattr(type(step), "fit_table", None)
    return method is not None and not getattr(method, "default_hook", False)


def run_phase(lf, entries, target, batch_size: int = DEFAULT_BATCH_ROWS, *, cross_fit: bool = False,
              weights: dict | None = None) -> list[dict]:
    """Statistics of every ``(step, schema, columns)`` in ``entries`` from one pass over ``lf``.

    Mergeable steps: per-batch partial statistics merged in batch order. Other steps: their input
    columns are kept across batches and aggregated once (exact). Steps that fit on a table
    (``fits_on_table``) get their columns (inputs, target, ``fit_columns``) kept the same way and
    are fitted by ``fit_table`` at the end; their entry in the result is
    ``{OUT_OF_FOLD: out-of-fold output frame or None}`` (a frame only with ``cross_fit`` and a
    cross-fitting step). Raises DataError on no rows.

    ``weights`` maps the position of an entry to the name of a sample-weight column of ``lf``:
    that step's ``fit_exprs``/``fit_table`` get ``sample_weight=<column name>`` and read it in
    the same pass (see :func:`weighs_lazily`).
    """
    plan = PhasePlan(lf.collect_schema(), entries, target, weights)
    parts, kept = [], []
    new_pass()
    batches = lf.select(plan.projected).collect_batches(chunk_size=batch_size, maintain_order=True)
    for batch in _blocks(_reported(batches), STATS_BLOCK_ROWS):
        row, frame = plan.partial(batch)
        plan.add(parts, row)
        if frame is not None:
            kept.append(frame)
    return plan.finish(parts, kept, cross_fit=cross_fit)


class PhasePlan:
    """One statistics pass, planned: what :func:`run_phase` computes per block and at the end.

    ``partial(block)`` gives a block's partial statistics (a dict, the mergeable steps' values
    and ``"__rows__"``) and the columns kept for the exact statistics and the table fits (a frame,
    or None); ``merge(parts)`` merges partials of consecutive blocks into one; ``finish(parts,
    kept)`` merges the partials in the order given and fits the rest. The local pass and the
    distributed one (``tabprep.distributed``: the partials computed on the workers, merged on
    the driver in block order) run this same code, and both merge as the blocks come
    (``add(parts, part)``: every :data:`MERGE_BLOCKS` blocks, the partials so far become one),
    so a pass holds a bounded number of partials whatever its length.

    Merging as the pass goes gives the state merging the whole list gives, bit for bit,
    because every ``merge_stats`` is a left fold: ``merge_stats([merge_stats(a), *b]) ==
    merge_stats(a + b)`` for lists ``a`` (of two or more) and ``b`` (the Step contract;
    sums and Chan's moments are merged left to right, category tables keep first-seen order
    and exact counts, KLL sketches merge left to right). A statistic whose value holds lists
    (a category table) is handed over as a one-row Polars Series, never as Python lists.

    With ``cells=True`` (the distributed pass), a table step that can be fitted from per-block
    statistics (its ``cell_fit(columns, target, weight, schema)`` gives an object, e.g. a target
    encoder whose folds come from a fold column or a hash of a key:
    :mod:`tabprep.encode._cellfit`) keeps no columns: each block gives that object's
    ``partial(block)`` and ``finish`` merges them (``finish(parts, offsets, cross_fit)``), so
    only small tables reach the driver. Its ``OUT_OF_FOLD`` result is then an object whose
    ``frame(block)`` gives a block's out-of-fold output, not a frame. Such a pass keeps every
    block's partial until ``finish`` (the cells are merged there, with each block's first row
    for its errors and out-of-fold frames): its driver memory grows with categories x blocks.
    """

    def __init__(self, schema, entries, target, weights: dict | None = None, *, cells: bool = False) -> None:
        import polars as pl

        weights = weights or {}
        #: per entry, the per-block fit of a table step fitted from cells (``cells=True``), or None
        self.cell_fits: list = [None] * len(entries)
        cell_roots: set = set()
        merge_exprs, exact = [], []
        shared: dict = {}  # (id(expression), mergeable) -> (its name in the fused query, expression)
        copies: list = []  # (name computed, name of the same statistic for a later step)
        nan_checked: set = set()  # float columns some mergeable statistic needs NaN-free
        nan_nulled: set = set()   # float columns some exact statistic needs NaN-free
        chunked: set = set()  # columns some mergeable statistic needs in one chunk (see ``whole``)
        table_cols: list[list[str]] = []
        for k, (step, step_schema, cols) in enumerate(entries):
            if fits_on_table(step):
                extra = [c for c in step.fit_columns(cols, target) if c not in cols and c != target]
                for c in extra:
                    if c not in step_schema:
                        raise SchemaError(f"{type(step).__name__} reads a column the data lacks", column=c,
                                          hint="add it to the data (or fix the step's parameters)")
                if k in weights:
                    extra.append(weights[k])
                read = [*cols, *([target] if target is not None and step.uses_target else []), *extra]
                maker = getattr(step, "cell_fit", None) if cells else None
                cell_fit = None if maker is None else maker(list(cols), target, weights.get(k), step_schema)
                if cell_fit is not None:
                    self.cell_fits[k] = (cell_fit, read)
                    cell_roots.update(read)
                    read = []
                table_cols.append(read)
                continue
            table_cols.append([])
            exprs, needs_nan_check = [], []
            given = {"sample_weight": weights[k]} if k in weights else {}
            for key, e in step.fit_exprs(step_schema, cols, target, **given).items():
                if not skips_nan(e):
                    needs_nan_check.append(e)
                if step.mergeable and not is_chunk_invariant(e):
                    chunked.update(e.meta.root_names())
                name = f"{k}{SEP}{key}"
                same = (id(e), step.mergeable)
                if same in shared:  # the same expression object as an earlier step's: computed once
                    copies.append((shared[same][0], name))
                    continue
                shared[same] = (name, e)  # keeps e alive, so its id is not reused in this phase
                exprs.append(e.alias(name))
            (merge_exprs if step.mergeable else exact).extend(exprs)
            (nan_checked if step.mergeable else nan_nulled).update(r for e in needs_nan_check for r in e.meta.root_names())
        merge_exprs.append(pl.len().alias("__rows__"))
        # columns the exact (non-mergeable) statistics and the table fits read, kept across batches
        needed = {r for e in exact for r in e.meta.root_names()} | {c for t in table_cols for c in t}
        keep = [c for c in schema.names() if c in needed] or (schema.names()[:1] if exact else [])
        # NaN means missing, like null: statistics must skip it. Nulling NaN up front costs a copy
        # of the column, so each batch is checked in the same select and redone only if it has NaN.
        floats = sorted(r for r in nan_checked if r in schema and schema[r].is_float())
        nan_flags = [pl.col(c).is_nan().any().alias(f"__nan__{i}") for i, c in enumerate(floats)]
        # read only what the statistics need (projection pushdown into the scan)
        roots = {r for e in merge_exprs + exact for r in e.meta.root_names()} | set(keep) | cell_roots
        #: the columns a pass reads, in schema order
        self.projected = [c for c in schema.names() if c in roots] or schema.names()[:1]
        # only float sums depend on the chunking (integer sums, counts, minima are exact), and not
        # those of the statistics marked chunk-invariant (the moments kernel)
        merge_roots = {r for e in merge_exprs for r in e.meta.root_names()}
        #: the float columns some mergeable statistic needs in one chunk per block (``partial``)
        self.whole = [c for c in self.projected if c in chunked and schema[c].is_float()]
        self._merge_roots = [c for c in self.projected if c in merge_roots]
        self.entries, self.schema, self.target, self.weights = entries, schema, target, weights
        self._merge_exprs, self._exact, self._copies, self._nan_nulled = merge_exprs, exact, copies, nan_nulled
        self._table_cols, self._keep, self._floats, self._nan_flags = table_cols, keep, floats, nan_flags
        #: (key prefix, step) of the steps whose partial statistics are merged
        self._merged = [(f"{k}{SEP}", step) for k, (step, _, _) in enumerate(entries)
                        if not fits_on_table(step) and step.mergeable]

    def partial(self, batch):
        """``(partial statistics, kept columns or None)`` of one block (a DataFrame with at least
        the :attr:`projected` columns, as it comes: any chunking).

        The columns in :attr:`whole` are copied into one chunk for the mergeable statistics only
        (a float sum of Polars depends on the chunks); the kept columns are the block's own. A
        frame whose columns are chunked differently is made one chunk as a whole by Polars'
        next query on it (every column copied: 0.38 GB per 10M-row pass of the issue 10 job),
        so the copies never enter the frame the kept columns are selected from.
        """
        import polars as pl

        floats, merge_exprs = self._floats, self._merge_exprs
        stats_in = batch
        split = [c for c in self.whole if batch.get_column(c).n_chunks() > 1]
        if split:
            stats_in = pl.DataFrame([batch.get_column(c).rechunk() if c in split else batch.get_column(c)
                                     for c in self._merge_roots], height=batch.height)
        row = _one_row(stats_in.select(merge_exprs + self._nan_flags))
        with_nan = [c for i, c in enumerate(floats) if row.pop(f"__nan__{i}")]
        if with_nan:
            row = _one_row(stats_in.with_columns(pl.col(with_nan).fill_nan(None)).select(merge_exprs))
        row = unpack_structs(_copied(row, self._copies))
        for k, cell in enumerate(self.cell_fits):
            if cell is not None:
                row[f"{k}{SEP}cells"] = cell[0].partial(batch.select(cell[1]))
        return row, (batch.select(self._keep) if self._keep else None)

    def add(self, parts: list, part: dict) -> None:
        """Append the partial ``part`` of the next block to ``parts`` (partials of the blocks
        before, in order), merging them into one once they are more than :data:`MERGE_BLOCKS`:
        a pass holds a bounded number of partials whatever its length."""
        parts.append(part)
        if len(parts) > MERGE_BLOCKS and not any(self.cell_fits):
            parts[:] = [self.merge(parts)]

    def merge(self, parts: list) -> dict:
        """The partials ``parts`` of consecutive blocks (in row order) merged into one partial
        (``merge([merged, part])`` as a pass goes gives what merging all parts at once gives)."""
        if len(parts) == 1:
            return parts[0]
        out = {"__rows__": sum(p["__rows__"] for p in parts)}
        for prefix, step in self._merged:
            mine = [{key[len(prefix):]: v for key, v in p.items() if key.startswith(prefix)} for p in parts]
            out.update((prefix + key, v) for key, v in step.merge_stats(mine).items())
        return out

    def finish(self, parts: list, kept: list, *, cross_fit: bool = False) -> list[dict]:
        """Every step's statistics from the blocks' ``parts`` (or their running merge, see
        :meth:`merge`) and ``kept`` frames, in row order (what :func:`run_phase` returns).
        Raises DataError on no rows."""
        import polars as pl

        entries, weights, schema, copies = self.entries, self.weights, self.schema, self._copies
        merged = self.merge(parts) if parts else {"__rows__": 0}
        n_rows = merged["__rows__"]
        offsets = [0]
        for p in parts:  # each block's first row (cell fits: their errors and out-of-fold frames)
            offsets.append(offsets[-1] + p["__rows__"])
        if n_rows == 0:
            raise DataError("no rows to fit on", hint="check the data (and any filter applied to it)")
        exact_row = {}
        frame = pl.concat(kept, rechunk=False) if self._keep else None
        if self._exact:
            nulled = [c for c in self._keep if c in self._nan_nulled and schema[c].is_float()]
            exact_row = unpack_structs(_copied(frame.with_columns(pl.col(c).fill_nan(None) for c in nulled)
                                               .select(self._exact).row(0, named=True), copies))
        results = []
        for k, (step, _, cols) in enumerate(entries):
            prefix = f"{k}{SEP}"
            if self.cell_fits[k] is not None:
                oof = self.cell_fits[k][0].finish([p[f"{prefix}cells"] for p in parts], offsets[:-1], cross_fit)
                results.append({OUT_OF_FOLD: oof})
            elif fits_on_table(step):
                # the raw columns (NaN as they are: the step decides what a NaN means)
                given = {"sample_weight": weights[k]} if k in weights else {}
                oof = step.fit_table(frame.select(self._table_cols[k]), list(cols), self.target,
                                     cross_fit=cross_fit, **given)
                results.append({OUT_OF_FOLD: oof})
            elif step.mergeable:
                results.append({key[len(prefix):]: v for key, v in merged.items() if key.startswith(prefix)})
            else:
                results.append({key[len(prefix):]: v for key, v in exact_row.items() if key.startswith(prefix)})
        return results


def _holds_lists(dtype) -> bool:
    import polars as pl

    if isinstance(dtype, (pl.List, pl.Array)):
        return True
    return isinstance(dtype, pl.Struct) and any(_holds_lists(f.dtype) for f in dtype.fields)


def _one_row(frame) -> dict:
    """A one-row frame of statistics as ``{name: value}``: Python scalars (dicts for structs),
    except values holding lists (a category table), which stay one-row Series (Arrow memory,
    ~10x smaller than Python objects and merged without a conversion)."""
    nested = [c for c, dt in frame.schema.items() if _holds_lists(dt)]
    if not nested:
        return frame.row(0, named=True)
    row = frame.drop(nested).row(0, named=True) if len(nested) < frame.width else {}
    row.update((c, frame.get_column(c)) for c in nested)
    return {c: row[c] for c in frame.columns}


def _copied(row: dict, copies: list) -> dict:
    """``row`` with the value of each statistic shared by several steps under every step's name."""
    for src, dst in copies:
        if src in row:
            row[dst] = row[src]
    return row


def takes_weights(step) -> bool:
    """Whether ``step.fit`` accepts ``sample_weight`` (scikit-learn's test, on the signature)."""
    import inspect

    try:
        return "sample_weight" in inspect.signature(step.fit).parameters
    except (TypeError, ValueError):
        return False


def weighs_lazily(step) -> bool:
    """Whether the statistics pass can weigh ``step``: its ``fit_exprs`` (or ``fit_table``, for
    a table step) takes ``sample_weight``, the name of a weight column read in the same pass."""
    import inspect

    method = step.fit_table if fits_on_table(step) else step.fit_exprs
    try:
        return "sample_weight" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def weight_series(sample_weight, n: int, *, owner: str, name: str = WEIGHT):
    """``sample_weight`` checked as one finite weight >= 0 per row, not all zero: a Float64 Series
    called ``name`` (a number is one weight for every row)."""
    import numbers

    import numpy as np
    import polars as pl

    if isinstance(sample_weight, numbers.Real) and not isinstance(sample_weight, bool):
        w = np.full(n, float(sample_weight))
    else:
        if isinstance(sample_weight, pl.Series):
            sample_weight = sample_weight.to_numpy()
        try:
            w = np.asarray(sample_weight, dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError(f"{owner}: sample_weight must be numeric",
                            found=type(sample_weight).__name__) from None
        if w.ndim != 1 or len(w) != n:
            raise DataError(f"{owner}: sample_weight must be 1-D with one weight per row ({n})",
                            found=f"shape {w.shape}")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(f"{owner}: sample_weight must be finite and >= 0", row=row, found=repr(float(w[row])))
    if n and not w.any():
        raise DataError(f"{owner}: sample_weight sums to zero: there is nothing to fit",
                        hint="give some rows a positive weight")
    return pl.Series(name, w, dtype=pl.Float64)


def check_sample_weight(sample_weight, n: int):
    """``sample_weight`` for ``n`` rows as a Float64 Series named :data:`WEIGHT`, checked by
    scikit-learn's own rules (``_check_sample_weight``: a number or a 1-D array of ``n`` finite
    values, not all zero; negative weights are allowed, as there), its messages in a
    :class:`~tabprep.errors.DataError`. For steps whose scikit-learn class takes negative
    weights (``Step.negative_weights``); the others use :func:`weight_series`.

    Examples
    --------
    >>> check_sample_weight(2, 3).to_list()
    [2.0, 2.0, 2.0]
    >>> check_sample_weight([0, 0], 2)
    Traceback (most recent call last):
    ...
    tabprep.errors.DataError: Sample weights must contain at least one non-zero number.
    """
    import numpy as np
    import polars as pl
    from sklearn.utils.validation import _check_sample_weight

    try:
        w = _check_sample_weight(sample_weight, np.empty((n, 0)), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(str(exc).rstrip(".") + ".") from None
    return pl.Series(WEIGHT, np.asarray(w, dtype=np.float64))


def finalize_explained(step, stats: dict, schema, columns, lf):
    """``step.fit_finalize(stats, schema, columns)``; when it refuses an infinity (a statistic
    flags one per column, not where), the error names the first row holding it too (``lf``, the
    step's input, is read again for that, only then)."""
    from tabprep._base.stats import explain_infinity, infinity_error

    try:
        return step.fit_finalize(stats, schema, columns)
    except DataError as exc:
        if (exc.row is not None or exc.column is None or not hasattr(lf, "collect_schema")
                or exc.message != infinity_error(type(step).__name__, exc.column).message):
            raise
        better = explain_infinity(step, lf, lf.collect_schema(), [exc.column])
        if better is None:
            raise
        raise (better if exc.path is None else better.with_path(exc.path)) from exc


def fit_single_step(step, data, y=None, sample_weight=None) -> dict:
    """Fit one step on a coerced input (the scikit-learn ``fit`` of every step); returns the
    statistics it was fitted on. ``sample_weight`` (one weight per row; steps whose ``fit``
    takes it) becomes a column read in the statistics pass."""
    stats, schema, columns = step_statistics(step, data.lf, y, sample_weight)
    if not fits_on_table(step):  # a table step has set its fitted attributes in fit_table
        finalize_explained(step, stats, schema, columns, data.lf)
    if not data.named:
        # scikit-learn defines feature_names_in_ only for inputs with string column names
        del step.feature_names_in_
    return stats


def step_statistics(step, lf, y=None, sample_weight=None, *, columns=None):
    """``(stats, schema, columns)``: one step's statistics over every column of ``lf`` (or
    ``columns``), not finalized (``partial_fit`` merges them with the stored ones first)."""
    import polars as pl

    target, weights = None, None
    if step.uses_target and y is not None:
        import numpy as np

        df = lf.collect()
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != df.height:
            raise DataError(f"y must be 1-D with one value per row of X ({df.height})", found=f"shape {y.shape}")
        target = "__target__"
        lf = df.with_columns(pl.Series(target, y)).lazy()
    if sample_weight is not None:
        if not takes_weights(step):
            raise TypeError(f"{type(step).__name__}.fit() takes no sample_weight")
        n = lf.select(pl.len()).collect().item()
        w = (check_sample_weight(sample_weight, n) if getattr(step, "negative_weights", False)
             else weight_series(sample_weight, n, owner=type(step).__name__))
        lf = pl.concat([lf, w.to_frame().lazy()], how="horizontal")
        weights = {0: WEIGHT}
    schema = lf.collect_schema()
    if columns is None:
        columns = [c for c in schema.names() if c != target and c != WEIGHT]
    if not columns:
        raise DataError("X has no columns to fit on")
    return run_phase(lf, [(step, schema, columns)], target, weights=weights)[0], schema, list(columns)


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


def empty_frame(schema):
    """A LazyFrame with no rows and ``schema``: expressions resolve their output names and dtypes
    on it (``empty_frame(schema).select(exprs).collect_schema()``).

    Building one costs ~0.17 ms for 11 columns (a Series per column), about a third of a
    20k-row imputer + scaler fit, which resolved four of them; the last 64 schemas' frames are
    kept, as a frame without rows holds no data.
    """
    import polars as pl

    try:
        return _empty_of(tuple(schema.items())).lazy()
    except TypeError:  # a dtype that does not hash: build it each time
        return pl.LazyFrame(schema=schema)


@lru_cache(maxsize=64)
def _empty_of(items: tuple):
    import polars as pl

    return pl.DataFrame(schema=dict(items))


def transform_plan(step, schema):
    """``(transform expressions, output schema)`` of the fitted ``step`` on ``schema``, the
    expressions built once (a step's default ``output_schema`` builds them too: an imputer's
    5 columns cost ~0.3 ms, a fifth of a 20k-row fit when built twice per step)."""
    exprs = step.transform_exprs(schema)
    if getattr(type(step).output_schema, "default_hook", False):
        # the names these expressions give, resolved on the schema (not each expression's output
        # name: one expression may give several columns, e.g. one-hot's unnested struct)
        return exprs, empty_frame(schema).select(exprs).collect_schema()
    return exprs, step.output_schema(schema)


def apply_step(lf, step, columns, schema, outputs=None, exprs=None):
    """``lf`` with ``step``'s outputs (``with_columns``) and its consumed inputs dropped;
    ``outputs`` and ``exprs``: the step's output schema and transform expressions on ``schema``
    if the caller has them (:func:`transform_plan`)."""
    if exprs is None:
        exprs = step.transform_exprs(schema)
    if outputs is None:
        outputs = empty_frame(schema).select(exprs).collect_schema()
    outs = set(outputs)  # (a Schema or a dict: its names)
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
    # Each column as a literal of its rows, not a horizontal concat with the frame: a count of the
    # result's rows (to_numpy's, before it maps the matrix) then stays a count of lf's (Parquet
    # metadata for a scan), where the concat made Polars read a column of the file (0.1 s at
    # 10M rows); slices, filters and streamed batches take their rows of the literal alike.
    lf = lf.with_columns(pl.lit(oof.get_column(n)).cast(outputs[n]).alias(n) for n in names)
    drop = [c for c in columns if c not in names]
    return lf.drop(drop) if drop else lf


def collect_engine(lf) -> str:
    """The Polars engine to collect the lazy transform ``lf`` with.

    A transform that calls Python (a compiled kernel through ``map_batches``, or the infinity
    check of a scaler's or an imputer's input, ``refuse_infinity``) runs on the in-memory
    engine, which calls it once per column; the default streaming engine would call it once per
    ~100k-row morsel (measured ~4x slower for KBinsDiscretizer at 10M rows; mean imputation and
    standard scaling of 5 columns, whose only calls are the checks: 183-191 ms streamed against
    133-136 ms in memory at 10M rows, 21 against 17 ms at 1M, Polars 2.1 and 2.2 alike, peak
    memory 3-12% higher). Plain expression chains, without a call, stay on the default engine
    (the same speed within 10% there). Read off the plan, so no step has to declare it.

    Except when one input column feeds several outputs of a kernel call (one-hot's, hashing's,
    multiclass target encoding's: one struct per batch, unnested, which the unoptimized plan
    shows as one call per output): such a plan keeps the default. When the outputs were separate
    calls, the in-memory engine computed every one as a whole column (20-level one-hot of 10M
    rows: 15-29 s against 1.1-1.9 s streamed); with the one struct call it still lost (a 5M-row
    one-hot and a scaler: 0.14-0.98 s in memory against 0.06-0.07 s streamed, Polars 2.2).
    """
    import re
    from collections import Counter

    plan = lf.explain(optimized=False)
    if "python_udf" not in plan:
        return "auto"
    # the kernel calls per input column (a check, followed by its no-op cast, feeds no output)
    call = r'col\("((?:[^"\\]|\\.)*)"\)\.python_udf\(\)(?!' + re.escape(CHECK_IN_PLAN[len("python_udf()"):]) + ")"
    fed = Counter(m.group(1) for m in re.finditer(call, plan))
    return "auto" if fed and max(fed.values()) > 1 else "in-memory"


def collect_explained(lf, explainers, *, engine: str = "auto"):
    """``lf.collect(engine=engine)``; on a Polars error, or a tabprep error raised inside the query
    (a step's check of its batches, such as ``refuse_infinity``), ask the steps (``explainers()``
    → ``[(step, input_lf)]``, in order) for an error naming the column and row, and raise that
    one instead."""
    import polars as pl

    try:
        return lf.collect(engine=engine)
    except (pl.exceptions.PolarsError, TabprepError) as exc:
        # a tabprep error raised by a step's batch function cannot know the row: ask the steps
        better = None if isinstance(exc, TabprepError) and exc.row is not None else explained(explainers)
        if better is None:
            raise
        raise better from exc


#: Attribute of a lazy transform's output LazyFrame: a function giving the error that names the
#: row of a failure as the query runs, or None (:func:`explains_failures`).
EXPLAIN_ATTR = "_tabprep_explain_failure"


def explaining(lf, explainers):
    """``lf``, a lazy transform's output, able to explain a failure of its query later: the
    hand-offs (``to_numpy``...) that run it ask it (:func:`explains_failures`). Operations on it
    give new LazyFrames, which cannot."""
    try:
        setattr(lf, EXPLAIN_ATTR, lambda: explained(explainers))
    except (AttributeError, TypeError):  # a LazyFrame that takes no attribute: it cannot explain
        pass
    return lf


def explains_failures(func):
    """Decorate a function running a frame given as its first argument (the hand-offs:
    ``to_numpy``...): a DataError without a row, raised as the frame's query runs, is replaced by
    the one naming the row, when the frame is a lazy transform's output (:func:`explaining`)."""
    import functools

    @functools.wraps(func)
    def wrapper(frame, *args, **kwargs):
        try:
            return func(frame, *args, **kwargs)
        except DataError as exc:  # (what a step's check in the query raises)
            explain = getattr(frame, EXPLAIN_ATTR, None)
            better = None if exc.row is not None or explain is None else explain()
            if better is None:
                raise
            raise better from exc

    return wrapper


def explained(explainers):
    """The error naming the column and row that the steps (``explainers()`` → ``[(step,
    input_lf)]``, in order) give for a failure of a query they were part of, or None (no step
    can tell).

    A tabprep error raised inside a query (a step's check of its batches) cannot know its row,
    and Polars hands it back rebuilt from its message, with the expression appended and the
    column lost: only the step, reading its input again, can name them."""
    for step, step_input in explainers():
        better = step.explain_failure(step_input, step_input.collect_schema())
        if better is not None:
            return better
    return None
