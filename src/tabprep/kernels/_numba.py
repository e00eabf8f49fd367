"""User functions compiled with Numba: the door to the one kind of compiled code tabprep cannot
build ahead of time (a user's own feature function).

Nothing here imports Numba at module level: :func:`compile_function` does, the first time a user
function is compiled (``import tabprep``, loading an artifact and building a step never do).

How a function is run
---------------------
The user's function is compiled with ``numba.njit(cache=True, nogil=True)`` (cached on disk
across processes, beside its source file) when it comes from an importable module's file; a
function from code run by ``exec`` (a REPL, a notebook cell, a doctest) is compiled once per
process, since Numba could not load it back from the cache. A loop around it, generated for the number of inputs
and outputs, is compiled in the process on first use (it closes over the compiled function, which
Numba does not cache). Inputs reach it as NumPy views of the Arrow buffers (no copy for numeric
columns in one chunk; Booleans, several chunks and NaN-filled nulls cost one copy of that column).

``kind="row"``: the function takes one scalar per input and returns a scalar (one output) or a
tuple (one per output). Rows are cut into ranges run on tabprep's thread pool
(:func:`tabprep._config.run_tasks`; the loop releases the GIL). A row with a null input is not
passed to the function: its outputs are null.

``kind="array"``: the function takes one 1-D array per input (the whole column, in one call) and
returns an array (or a tuple of arrays) of the same length.

``kind="group"``: as ``"array"``, once per group of rows with equal ``by`` values (in data order);
groups are run in parallel on the pool.

For ``"array"``/``"group"``, a null reaches the function as NaN in a float column (integer and
Boolean columns with nulls are refused: cast them to float first), and every output of a row with
a null input is null. A NaN the function returns stays NaN.
"""

from __future__ import annotations

import os

import numpy as np

from tabprep._config import get_threads, run_tasks
from tabprep.errors import ConfigError, DataError

__all__ = ["compile_function", "CompiledFunction", "function_name", "ROW_TASK_ROWS"]

#: Rows per task of a row-wise run (a task costs a pool hand-off; below this it does not pay).
ROW_TASK_ROWS = 1 << 16

_COMPILED: dict = {}


def function_name(func) -> str:
    """The name a function is saved and looked up by: its qualified name."""
    func = getattr(func, "py_func", func)  # a Numba dispatcher: the Python function inside
    return getattr(func, "__qualname__", None) or getattr(func, "__name__", repr(func))


def _cacheable(py) -> bool:
    """Whether Numba can cache ``py`` on disk: it must come from an importable module's file.

    Numba caches beside the source file and rebuilds the function's globals by importing its
    module when it loads the cache; a function from code run by ``exec`` (a notebook cell, a
    doctest, a README block) has no such module, and the second process would fail to load it.
    """
    import sys

    module = sys.modules.get(getattr(py, "__module__", None) or "")
    code = getattr(py, "__code__", None)
    return (module is not None and code is not None and getattr(module, "__file__", None) is not None
            and getattr(module, "__dict__", None) is py.__globals__
            and os.path.realpath(module.__file__) == os.path.realpath(code.co_filename))


def _kind_ok(ret, want: np.dtype) -> bool:
    """Whether a Numba scalar type ``ret`` may be stored into an output of NumPy dtype ``want``:
    a float output takes floats and integers, an integer output integers and Booleans, a Boolean
    output Booleans only (no silent truncation of a float)."""
    from numba.core import types

    if want.kind == "f":
        return isinstance(ret, (types.Float, types.Integer, types.Boolean))
    if want.kind in "iu":
        return isinstance(ret, (types.Integer, types.Boolean))
    return isinstance(ret, types.Boolean)


def _loop_source(kind: str, n_in: int, n_out: int, masked: bool) -> str:
    """Source of a loop factory for ``n_in`` inputs and ``n_out`` outputs (names made of
    numbers only: nothing of the user's or of an artifact enters it)."""
    ins = [f"a{k}" for k in range(n_in)]
    outs = [f"o{k}" for k in range(n_out)]
    if kind == "row":
        ind = " " * (16 if masked else 12)
        call = f"f({', '.join(x + '[i]' for x in ins)})"
        stores = [f"{ind}o0[i] = r"] if n_out == 1 else [f"{ind}o{k}[i] = r[{k}]" for k in range(n_out)]
        head = "        for i in range(start, stop):\n" + ("            if valid[i]:\n" if masked else "")
        body = f"{ind}r = {call}\n" + "\n".join(stores) + "\n"
        return (f"def make(f):\n    def loop(valid, {', '.join(ins + outs)}, start, stop):\n"
                f"{head}{body}        return -1\n    return loop\n")
    call = f"f({', '.join(x + '[s:e]' for x in ins)})"
    lines = [f"            r = {call}"]
    results = ["r"] if n_out == 1 else [f"r[{k}]" for k in range(n_out)]
    for k, r in enumerate(results):
        lines += [f"            if len({r}) != e - s:", "                return g",
                  "            for j in range(e - s):", f"                o{k}[perm[s + j]] = {r}[j]"]
    return ("def make(f):\n    def loop(perm, offsets, " + ", ".join(ins + outs) + ", g0, g1):\n"
            "        for g in range(g0, g1):\n            s = offsets[g]\n            e = offsets[g + 1]\n"
            + "\n".join(lines) + "\n        return -1\n    return loop\n")


class CompiledFunction:
    """A user function compiled for given input and output dtypes (see the module docs)."""

    def __init__(self, func, kind: str, in_dtypes, out_dtypes, owner: str):
        import numba
        from numba.core import types
        from numba.core.errors import NumbaError

        self.name = function_name(func)
        self.kind = kind
        self.in_dtypes = [np.dtype(d) for d in in_dtypes]
        self.out_dtypes = [np.dtype(d) for d in out_dtypes]
        self.owner = owner
        py = getattr(func, "py_func", func)
        self.jitted = numba.njit(cache=_cacheable(py), nogil=True)(py)
        if kind == "row":
            args = tuple(numba.from_dtype(d) for d in self.in_dtypes)
        else:
            args = tuple(types.Array(numba.from_dtype(d), 1, "C", readonly=True) for d in self.in_dtypes)
        try:
            self.jitted.compile(args)
        except NumbaError as exc:
            reason = " ".join(str(exc).strip().split("\n")[:3])
            raise ConfigError(f"{owner}: the function {self.name!r} does not compile with Numba for inputs "
                              f"({', '.join(str(a) for a in args)})",
                              hint=f"Numba says: {reason}") from None
        ret = self.jitted.overloads[args].signature.return_type
        self._check_return(ret)
        self._loops: dict = {}

    def _check_return(self, ret):
        from numba.core import types

        n = len(self.out_dtypes)
        items = list(ret.types) if isinstance(ret, (types.Tuple, types.UniTuple)) else [ret]
        what = "a scalar" if self.kind == "row" else "an array"
        if len(items) != n:
            raise ConfigError(f"{self.owner}: the function {self.name!r} returns {ret}, where {n} output(s) are declared",
                              hint=f"return {what} per output" + (" as a tuple" if n > 1 else ""))
        for k, (item, want) in enumerate(zip(items, self.out_dtypes)):
            if self.kind != "row":
                if not (isinstance(item, types.Array) and item.ndim == 1):
                    raise ConfigError(f"{self.owner}: the function {self.name!r} returns {item} for output {k}, "
                                      f"not a 1-D array", hint=f"kind={self.kind!r} functions return arrays")
                item = item.dtype
            if not _kind_ok(item, want):
                raise ConfigError(f"{self.owner}: the function {self.name!r} returns {item} for output {k}, "
                                  f"declared {want}",
                                  hint="declare the output with the type the function returns, or convert in the function")

    def _loop(self, masked: bool):
        import numba

        key = masked
        if key not in self._loops:
            namespace: dict = {}
            exec(_loop_source(self.kind, len(self.in_dtypes), len(self.out_dtypes), masked), namespace)  # noqa: S102
            self._loops[key] = numba.njit(nogil=True)(namespace["make"](self.jitted))
        return self._loops[key]

    # ------------------------------------------------------------------ running
    def run_rows(self, arrays, valid):
        """Outputs of a row-wise function: ``arrays`` (one per input), ``valid`` (bool, or None
        when no row has a null) -> list of output arrays (zeros where not valid)."""
        n = len(arrays[0]) if arrays else 0
        outs = [np.zeros(n, dtype=d) for d in self.out_dtypes]
        loop = self._loop(valid is not None)
        mask = valid if valid is not None else np.empty(0, dtype=np.bool_)
        tasks = max(1, min(-(-n // ROW_TASK_ROWS), 4 * get_threads()))
        bounds = [n * k // tasks for k in range(tasks + 1)]
        run_tasks(lambda k: loop(mask, *arrays, *outs, bounds[k], bounds[k + 1]), tasks)
        return outs

    def first_failing_row(self, arrays, valid):
        """``(row, exception)`` of the first row of ``arrays`` (``valid`` as :meth:`run_rows`)
        whose call of the row function raises, or None: the rows run compiled in blocks, and only
        the first block that raises is called again row by row (an error path only)."""
        n = len(arrays[0]) if arrays else 0
        block = 1 << 16
        for start in range(0, n, block):
            stop = min(n, start + block)
            try:
                self.run_rows([a[start:stop] for a in arrays], None if valid is None else valid[start:stop])
                continue
            except Exception:  # noqa: BLE001 - the user's function may raise anything
                pass
            for i in range(start, stop):
                if valid is not None and not valid[i]:
                    continue
                try:
                    self.jitted(*(a[i] for a in arrays))
                except Exception as exc:  # noqa: BLE001
                    return i, exc
        return None

    def run_array(self, arrays):
        """Outputs of an array function called once on whole columns."""
        n = len(arrays[0])
        result = self.jitted(*arrays)
        results = list(result) if isinstance(result, tuple) else [result]
        out = []
        for k, (r, want) in enumerate(zip(results, self.out_dtypes)):
            if len(r) != n:
                raise DataError(f"{self.owner}: the function {self.name!r} returned {len(r)} values for output {k}"
                                f" from {n} rows", hint="return one value per row")
            out.append(np.asarray(r, dtype=want))
        return out

    def run_groups(self, arrays, perm, offsets):
        """Outputs of a group function: ``perm`` lists the rows group by group, ``offsets`` (length
        groups + 1) where each group starts in it; ``arrays`` are already in ``perm`` order."""
        n = len(perm)
        outs = [np.zeros(n, dtype=d) for d in self.out_dtypes]
        loop = self._loop(False)
        groups = len(offsets) - 1
        tasks = max(1, min(groups, 4 * get_threads(), -(-n // ROW_TASK_ROWS)))
        # cut by rows, not groups: a task holds about n / tasks rows
        cuts = np.searchsorted(offsets, [n * k // tasks for k in range(tasks + 1)], side="left")
        cuts[0], cuts[-1] = 0, groups
        bad = run_tasks(lambda k: loop(perm, offsets, *arrays, *outs, int(cuts[k]), int(cuts[k + 1])), tasks)
        wrong = [int(b) for b in bad if b >= 0]
        if wrong:
            g = min(wrong)
            raise DataError(f"{self.owner}: the function {self.name!r} returned an array of another length than "
                            f"its group ({int(offsets[g + 1] - offsets[g])} rows)", row=int(perm[offsets[g]]),
                            hint="return one value per row of the group")
        return outs


def compile_function(func, kind: str, in_dtypes, out_dtypes, owner: str = "NumbaTransformer") -> CompiledFunction:
    """The compiled form of ``func`` for these dtypes (compiled once per process and signature).

    Raises
    ------
    ConfigError
        The function does not compile (Numba's reason in the hint), or returns another number
        or type of values than declared.
    """
    key = (getattr(func, "py_func", func), kind, tuple(np.dtype(d).str for d in in_dtypes),
           tuple(np.dtype(d).str for d in out_dtypes))
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _COMPILED[key] = CompiledFunction(func, kind, in_dtypes, out_dtypes, owner)
    return compiled
