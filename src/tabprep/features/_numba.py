"""NumbaTransformer: a user's own feature function, compiled with Numba, as a lazy step.

The function is compiled the first time the step is fitted or run (never at import, never when an
artifact is loaded); how it is run, in parallel and on the Arrow buffers, and what it sees of
nulls is in :mod:`tabprep.kernels._numba`.

Saving: the artifact records the function's qualified name and a hash of its source
(:func:`tabprep._base.codec.function_ref`), not its code. ``tabprep.load(path, functions={name:
func})`` takes the function from the caller's own code and refuses one whose hash differs; a load
without it raises an ArtifactError naming the function. Loading still runs no code from the
artifact.
"""

from __future__ import annotations

from tabprep._base.codec import FUNCTION_TAG, function_ref
from tabprep._base.params import Options, param_error
from tabprep._base.step import Step, register_step
from tabprep._dtypes import parse_dtype
from tabprep.errors import ConfigError, DataError, SchemaError, TabprepError
from tabprep.features._order import as_list

__all__ = ["NumbaTransformer"]

_ROW = "\x1frow"


def _numpy_dtype(dtype):
    """The NumPy dtype a Polars numeric/Boolean dtype is handed over as, or None."""
    import numpy as np
    import polars as pl

    if dtype == pl.Boolean:
        return np.dtype(np.bool_)
    if dtype.is_float() or dtype.is_integer():
        try:
            return np.dtype(str(dtype).lower())
        except TypeError:  # Float16, Int128...
            return None
    return None


def _view(s, *, nan_nulls: bool, owner: str):
    """``(values, valid)``: a read-only NumPy view of the column's Arrow data buffer (a copy for
    Booleans, several chunks, or nulls turned into NaN), and its validity (None: no null)."""
    import numpy as np
    import polars as pl

    valid = s.is_not_null().to_numpy() if s.null_count() else None
    if s.dtype == pl.Boolean:
        values = s.fill_null(False).to_numpy()
    else:
        if s.n_chunks() > 1:
            s = s.rechunk()
        arr = s.to_arrow()
        dtype = _numpy_dtype(s.dtype)
        data = arr.buffers()[1]
        values = (np.empty(0, dtype=dtype) if data is None
                  else np.frombuffer(data, dtype=dtype, count=arr.offset + len(arr))[arr.offset:])
    if nan_nulls and valid is not None:
        if values.dtype.kind != "f":
            raise DataError(f"{owner} cannot hand a null of an integer or Boolean column to an array "
                            "function", column=s.name, hint="fill the nulls, or cast the column to Float64")
        values = np.where(valid, values, np.nan)
    if values.flags.writeable:
        values.flags.writeable = False
    return values, valid


def _raised(step, exc: BaseException, **where) -> DataError:
    """The error of ``step``'s user function raising ``exc`` (``where``: its row and inputs)."""
    return DataError(f"NumbaTransformer: the function {step._name()!r} raised {type(exc).__name__}: {exc}",
                     hint="fix the function (or the rows it fails on) and run again", **where)


def _series(name, values, valid):
    """A Polars Series of ``values`` with nulls where ``valid`` is False (no copy of the values)."""
    import numpy as np
    import polars as pl
    import pyarrow as pa

    if valid is None:
        return pl.Series(name, values)
    bits = pa.py_buffer(np.packbits(valid, bitorder="little"))
    data = pa.py_buffer(np.packbits(values, bitorder="little") if values.dtype == np.bool_ else values)
    arr = pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values), [bits, data])
    return pl.Series(name, arr)


class _Runner:
    """The batch function of one step's transform: compiles on first call, then runs.

    The outputs are the fields of this call's struct, unnested in one expression, whose call
    Polars runs once per batch (common subexpression elimination). A plan collected without that
    optimization calls once per output, so the runner also keeps the last results by their
    inputs' content (:class:`tabprep._base.batches.BatchKey`: the same buffers, else byte-equal
    ones; Polars may hand each call its own copy of a batch) and hands the same result to the
    other outputs' calls on the same batch.
    """

    _KEEP = 8  # results kept at most (a pruned output never asks for its copy)

    def __init__(self, step, in_dtypes, out_dtypes):
        import threading

        self.step = step
        self.in_dtypes = in_dtypes
        self.out_dtypes = out_dtypes
        self._memo: list = []  # [key, done, result or error, calls left], the newest last
        self._lock = threading.Lock()

    def _key(self, s):
        """The batch's inputs as a :class:`BatchKey` (None: not single-chunk, not memoized)."""
        from tabprep._base.batches import BatchKey

        fields = []
        for c in dict.fromkeys([*self.step._inputs(), *as_list(self.step.by)]):
            f = s.struct.field(c)
            if f.n_chunks() != 1:
                return None
            fields.append(f.to_arrow())
        return BatchKey(None, fields)

    def __call__(self, s):
        import threading

        n_out = len(self.out_dtypes)
        key = self._key(s) if n_out > 1 else None
        if key is None:
            return self._run(s)
        with self._lock:
            entry = next((e for e in self._memo if key.same(e[0])), None)
            first = entry is None
            if first:
                entry = [key, threading.Event(), None, n_out]
                self._memo.append(entry)
                del self._memo[:-self._KEEP]
            entry[3] -= 1
            if entry[3] <= 0:
                self._memo = [e for e in self._memo if e is not entry]
        if first:
            try:
                entry[2] = self._run(s)
            except BaseException as exc:
                entry[2] = exc
                raise
            finally:
                entry[1].set()
        else:  # the other outputs' calls may run at the same time, on Polars' threads
            entry[1].wait()
        if isinstance(entry[2], BaseException):
            raise entry[2]
        return entry[2].alias(s.name)

    def compiled(self):
        from tabprep.kernels._numba import compile_function

        return compile_function(self.step.func, self.step.kind, self.in_dtypes, self.out_dtypes,
                                owner="NumbaTransformer")

    def inputs_of(self, s):
        """``(arrays, valid)`` the function gets from a struct of its input columns."""
        views = [_view(s.struct.field(c), nan_nulls=self.step.kind != "row", owner="NumbaTransformer")
                 for c in self.step._inputs()]
        valid = None
        for _, m in views:
            if m is not None:
                valid = m if valid is None else valid & m
        return [v for v, _ in views], valid

    def _run(self, s):
        import polars as pl

        fn = self.compiled()
        arrays, valid = self.inputs_of(s)
        outs = self._outputs(s, fn, arrays, valid)
        names = list(self.step.outputs)
        return pl.DataFrame([_series(n, o, valid) for n, o in zip(names, outs)]).to_struct(s.name)

    def _calling(self, run, *args):
        """``run(*args)``, a run of the user's compiled function: what it raises becomes a
        DataError naming the function (its row: ``NumbaTransformer.explain_failure``)."""
        try:
            return run(*args)
        except TabprepError:
            raise
        except Exception as exc:  # noqa: BLE001 - the user's function raised: say whose, and what
            raise _raised(self.step, exc) from exc

    def _outputs(self, s, fn, arrays, valid):
        """The compiled function's output arrays on one batch."""
        import numpy as np
        import polars as pl

        step, kind = self.step, self.step.kind
        if kind == "row":
            outs = self._calling(fn.run_rows, arrays, valid)
        elif kind == "array":
            outs = self._calling(fn.run_array, arrays)
        else:
            keys = pl.DataFrame([s.struct.field(b) for b in as_list(step.by)]).with_row_index(_ROW)
            groups = keys.group_by(as_list(step.by), maintain_order=True).agg(pl.col(_ROW))
            lengths = groups[_ROW].list.len().to_numpy()
            perm = groups[_ROW].explode().to_numpy().astype(np.int64)
            offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
            np.cumsum(lengths, out=offsets[1:])
            gathered = []
            for a in arrays:
                g = a[perm]
                g.flags.writeable = False
                gathered.append(g)
            outs = self._calling(fn.run_groups, gathered, perm, offsets)
        return outs


@register_step
class NumbaTransformer(Step):
    """New columns from a user's own Python function, compiled with Numba.

    Parameters
    ----------
    func : callable
        A plain Python function Numba can compile in nopython mode (or a ``numba.njit``
        function). ``kind="row"``: one scalar per input in, one scalar per output out (a tuple
        for several). ``kind="array"``/``"group"``: one 1-D array per input in, one array of the
        same length per output out.
    inputs : str or list of str
        The columns passed to ``func``, in order (numeric or Boolean).
    outputs : dict {name: dtype}
        The new columns and their dtypes (``"Float64"``, ``"Int32"``, ``"Boolean"``...).
    kind : {"row", "array", "group"}, default="row"
        Row by row (in parallel over row ranges), on the whole columns (one call), or once per
        group of equal ``by`` values (rows in data order; groups in parallel).
    by : str, list of str or None, default=None
        Group columns (``kind="group"`` only).
    drop_original : bool, default=False
        Drop the ``inputs`` from the output.

    Nulls: a row with a null input gets null outputs; a row function is not called on it; an
    array/group function sees NaN there (integer/Boolean inputs with nulls are refused). A
    function that does not compile is a ConfigError naming it with Numba's reason; so is a
    return type that does not fit the declared output (a float into an integer output...).
    The step saves the function's qualified name and source hash; load it back with
    ``tabprep.load(path, functions={"name": func})``.

    Examples
    --------
    >>> import math, polars as pl
    >>> from tabprep.features import NumbaTransformer
    >>> def hypot(x, y):
    ...     return math.sqrt(x * x + y * y)
    >>> step = NumbaTransformer(hypot, inputs=["x", "y"], outputs={"r": "Float64"})
    >>> step.fit_transform(pl.DataFrame({"x": [3.0, None], "y": [4.0, 1.0]}))["r"].to_list()
    [5.0, None]
    """

    _parameter_constraints = {
        "func": [callable],
        "inputs": [str, list],
        "outputs": [dict],
        "kind": [Options(("row", "array", "group"))],
        "by": [str, list, None],
        "drop_original": ["boolean"],
    }

    def __init__(self, func, inputs, outputs, kind="row", *, by=None, drop_original=False):
        self.func = func
        self.inputs = inputs
        self.outputs = outputs
        self.kind = kind
        self.by = by
        self.drop_original = drop_original

    def _validate_extra(self):
        inputs = as_list(self.inputs)
        if not inputs or not all(isinstance(c, str) for c in inputs) or len(set(inputs)) != len(inputs):
            raise param_error("inputs", "NumbaTransformer", "be a column name or a list of distinct names", self.inputs)
        if not self.outputs or not all(isinstance(k, str) and k for k in self.outputs):
            raise param_error("outputs", "NumbaTransformer", "be a non-empty dict {name: dtype}", self.outputs)
        for name, dtype in self.outputs.items():
            try:
                parsed = parse_dtype(dtype)
            except ConfigError:
                parsed = None
            if parsed is None or _numpy_dtype(parsed) is None:
                raise param_error("outputs", "NumbaTransformer", "give each output a numeric or Boolean dtype",
                                  shown=f"{name!r}: {dtype!r}")
        if (self.kind == "group") != (self.by is not None):
            raise param_error("by", "NumbaTransformer", "be given with kind='group', and only then",
                              shown=f"kind={self.kind!r}, by={self.by!r}")

    def _inputs(self):
        return as_list(self.inputs)

    def _out_dtypes(self):
        return {n: parse_dtype(d) for n, d in self.outputs.items()}

    def _check(self, schema, columns):
        for c in [*self._inputs(), *as_list(self.by)]:
            if c not in columns:
                raise SchemaError("NumbaTransformer reads a column that is not among its input columns", column=c,
                                  found=f"inputs {list(columns)[:20]}", hint=f"select {c!r} too")
        for c in self._inputs():
            if _numpy_dtype(schema[c]) is None:
                raise SchemaError("NumbaTransformer passes numeric or Boolean columns to the function", column=c,
                                  found=str(schema[c]), hint="cast the column first")

    def _runner(self, schema):
        return _Runner(self, [_numpy_dtype(schema[c]) for c in self._inputs()],
                       [_numpy_dtype(d) for d in self._out_dtypes().values()])

    def fit_exprs(self, schema, columns, target):
        self._check(schema, columns)
        self._runner(schema).compiled()  # compile now: a bad function fails at fit, not later
        return {}

    def _finalize(self, stats, schema, columns):
        pass

    def transform_exprs(self, schema):
        import polars as pl

        names = self._input_names()
        source = pl.struct(list(dict.fromkeys([*self._inputs(), *as_list(self.by)])))
        result = source.map_batches(self._runner(schema), return_dtype=pl.Struct(self._out_dtypes()),
                                    is_elementwise=self.kind == "row")
        kept = [pl.col(c) for c in names if not (self.drop_original and c in self._inputs())]
        # one expression for all outputs: Polars merges the call under `struct.unnest()` (common
        # subexpression elimination), so a batch runs once; without that optimization each output
        # calls again and the runner's memo hands them the first call's result
        return [*kept, result.struct.unnest()]

    def _names_out(self, names):
        return [n for n in names if not (self.drop_original and n in self._inputs())] + list(self.outputs)

    def _name(self) -> str:
        from tabprep.kernels._numba import function_name

        return function_name(self.func)

    def explain_failure(self, lf, schema):
        """The row whose call of a row function raised (the batch's error cannot know it): the
        inputs are read again and run in blocks, the failing block row by row. None for array
        and group functions, whose failure is not one row's."""
        import polars as pl

        if self.kind != "row":
            return None
        cols = self._inputs()
        if any(c not in schema for c in cols):
            return None
        try:
            frame = lf.select(cols).collect()
        except (pl.exceptions.PolarsError, TabprepError):
            return None
        runner = self._runner(schema)
        arrays, valid = runner.inputs_of(frame.select(pl.struct(cols).alias("s")).to_series())
        hit = runner.compiled().first_failing_row(arrays, valid)
        if hit is None:
            return None
        row, exc = hit
        return _raised(self, exc, row=row, found=", ".join(f"{c}={frame[c][row]!r}" for c in cols))

    def planned_output_schema(self, schema, columns):
        out = {c: schema[c] for c in columns if not (self.drop_original and c in self._inputs())}
        out.update(self._out_dtypes())
        return out

    def output_schema(self, schema):
        import polars as pl

        return pl.Schema(self.planned_output_schema(schema, self._input_names()))

    def _array_params(self):
        return {"array_dtype": None, "ensure_all_finite": "allow-nan"}

    def _param_to_json(self, name, value):
        if name == "func":
            return {FUNCTION_TAG: function_ref(value)}
        return super()._param_to_json(name, value)
