"""Values → int32 codes: the door to the compiled ``tabprep._native.factorize`` kernel.

Python validates the input, takes its Arrow buffers without copying (a Polars Series goes through
the Arrow C stream, so a String column arrives as ``string_view`` chunks and is neither rechunked
nor converted), allocates the outputs once with NumPy and hands everything to the kernel, which
loops without the GIL.

Conventions shared by every function here:

* Codes are ``int32`` and dense: ``0 .. len(uniques) - 1`` in order of first appearance (or in
  sorted order of the uniques with ``order="sorted"``). They do not depend on how the input is
  chunked or on its layout (``string``, ``large_string``, ``string_view``, dictionary, Polars).
* Nulls are a value like any other with ``null="code"``: they get one code, allocated at the
  first null row, and ``uniques`` holds a null at that position (pandas' ``use_na_sentinel=False``
  and pyarrow's ``null_encoding="encode"`` do the same); sorted, the null goes last. So
  ``uniques.take(codes)`` gives back the input, nulls included. With ``null="sentinel"`` nulls get
  -1 (as in pandas and scikit-learn) and ``uniques`` has no null.
* ``uniques`` is a ``pyarrow.Array``: ``large_string`` for every string-like input (one canonical
  type, so a vocabulary does not depend on where the strings came from) and the input's own
  integer type for integers.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from tabprep._config import idle_threads, submit
from tabprep._native import factorize as _native
from tabprep._constraints import Interval, Options, check_param
from tabprep.errors import ConfigError, DataError, SchemaError

__all__ = ["Vocabulary", "encode_with", "factorize"]

_ACCEPTED = (
    "pyarrow string, large_string, string_view, dictionary or integer (int8..int64, "
    "uint8..uint64) Array/ChunkedArray; polars String, Categorical, Enum or integer Series; "
    "1-D NumPy integer array"
)
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


# ------------------------------------------------------------------------------------------
# Input normalization
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    chunks: list[Any]  # pyarrow Arrays, or one 1-D NumPy integer array
    kind: Literal["string", "int"]
    value_type: pa.DataType  # type of the uniques
    name: str | None
    length: int


def _value_kind(typ: pa.DataType) -> tuple[str, pa.DataType] | None:
    if pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_string_view(typ):
        return "string", pa.large_string()
    if pa.types.is_integer(typ):
        return "int", typ
    if pa.types.is_dictionary(typ) and not pa.types.is_dictionary(typ.value_type):
        return _value_kind(typ.value_type)
    return None


def _polars_module(values: object):
    """The polars module if `values` is a polars Series (polars is never imported here)."""
    pl = sys.modules.get("polars")
    return pl if pl is not None and isinstance(values, pl.Series) else None


def _column(values: object, what: str) -> _Column:
    name = None
    if isinstance(values, pa.ChunkedArray):
        chunks, typ, found = values.chunks, values.type, f"pyarrow {values.type}"
    elif isinstance(values, pa.Array):
        chunks, typ, found = [values], values.type, f"pyarrow {values.type}"
    elif isinstance(values, np.ndarray):
        dtype = values.dtype
        if values.ndim != 1 or dtype.kind not in "iu":
            raise SchemaError(
                f"{what} must be one of: {_ACCEPTED}",
                found=f"NumPy array of dtype {dtype} with shape {values.shape}",
            )
        if not dtype.isnative:
            raise SchemaError(
                f"{what} must be in native byte order",
                found=f"NumPy dtype {dtype.str}",
                hint="convert with values.astype(values.dtype.newbyteorder('='))",
            )
        typ = pa.from_numpy_dtype(dtype)
        return _Column([values], "int", typ, None, len(values))
    elif (pl := _polars_module(values)) is not None:
        name = values.name
        dtype = values.dtype
        ok = (
            dtype == pl.String
            or isinstance(dtype, (pl.Categorical, pl.Enum))
            or dtype in (pl.Int8, pl.Int16, pl.Int32, pl.Int64)
            or dtype in (pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)
        )
        if not ok:
            raise SchemaError(f"{what} must be one of: {_ACCEPTED}", column=name, found=f"polars {dtype}")
        found = f"polars {dtype}"
        if isinstance(dtype, pl.Categorical) and len(values) >= _CATEGORICAL_PHYSICAL_ROWS:
            chunks = _categorical_chunks(values)
            typ = chunks[0].type
        else:
            # The Arrow C stream exports Polars' own chunks (string_view for String) without
            # the rechunk and large_string copy that Series.to_arrow() makes.
            ca = pa.chunked_array(values)
            chunks, typ = ca.chunks, ca.type
    else:
        raise SchemaError(f"{what} must be one of: {_ACCEPTED}", found=type(values).__name__)
    vk = _value_kind(typ)
    if vk is None:
        raise SchemaError(f"{what} must be one of: {_ACCEPTED}", column=name, found=found)
    length = sum(len(c) for c in chunks)
    return _Column(list(chunks), vk[0], vk[1], name, length)


_CATEGORICAL_PHYSICAL_ROWS = 2_000_000


def _categorical_chunks(values) -> list[pa.DictionaryArray]:
    """A polars Categorical as Arrow dictionary chunks: its physical ids (zero-copy) over the
    strings of its Categories, which lists them by id.

    Exporting the Categorical through the C stream makes polars build a compact dictionary,
    which costs more than the whole factorization on a long column (0.23 s for 10M rows against
    0.02 s to list 100k categories); but listing the categories costs as much as the Categories
    holds (it may be shared with other columns), so short columns still take the export.
    """
    categories = pa.chunked_array(values.dtype.categories.to_series())
    dictionary = categories.combine_chunks() if categories.num_chunks != 1 else categories.chunk(0)
    if len(dictionary) == 0:
        dictionary = pa.array([], type=pa.string())
    physical = pa.chunked_array(values.to_physical())
    return [pa.DictionaryArray.from_arrays(c, dictionary, safe=False) for c in physical.chunks] or [
        pa.DictionaryArray.from_arrays(pa.array([], type=physical.type), dictionary)
    ]


def _new_table(col: _Column, dense_factor: int = 2):
    """An empty table for the column's kind; an integer one indexes a small value range
    directly (dense_factor <= 0: never)."""
    if col.kind == "string":
        return _native.StringTable()
    table = _native.IntTable(signed=pa.types.is_signed_integer(col.value_type))
    if dense_factor <= 0:
        return table
    span = _value_range(col.chunks)
    # A small value range is indexed directly instead of hashed: at most `dense_factor` int32
    # per row (or per value of a vocabulary), so the array costs about what the output does.
    if span is not None and span[1] - span[0] < min(max(dense_factor * col.length, 1 << 16), _DENSE_MAX):
        table.set_dense(*span)
    return table


_DENSE_MAX = 1 << 26


def _value_range(chunks: list) -> tuple[int, int] | None:
    """(min, max) of the non-null integer values (dictionary values for dictionary chunks)."""
    lo = hi = None
    for chunk in chunks:
        if isinstance(chunk, np.ndarray):
            if len(chunk) == 0:
                continue
            a, b = int(chunk.min()), int(chunk.max())
        else:
            import pyarrow.compute as pc  # ~0.1 s to import: only where it is used

            values = chunk.dictionary if pa.types.is_dictionary(chunk.type) else chunk
            mm = pc.min_max(values)
            a, b = mm["min"].as_py(), mm["max"].as_py()
            if a is None:
                continue
        lo = a if lo is None else min(lo, a)
        hi = b if hi is None else max(hi, b)
    return None if lo is None else (lo, hi)


# ------------------------------------------------------------------------------------------
# Feeding chunks to a table
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Op:
    lookup: bool = False
    null_code: bool = True  # insert: nulls get a code (else -1)
    unknown: int = -1  # lookup: code of unknown values
    null_value: int = -1  # lookup: code of nulls
    null_unknown: bool = False  # lookup: nulls count as unknown (reported as first unknown row)


_INSERT_NULL_CODE = _Op()


def _u8(buf: pa.Buffer | None) -> np.ndarray | None:
    return None if buf is None else np.frombuffer(buf, dtype=np.uint8)


def _typed(buf: pa.Buffer, dtype: type) -> np.ndarray:
    itemsize = np.dtype(dtype).itemsize
    return np.frombuffer(buf, dtype=dtype, count=buf.size // itemsize)


def _feed(table, chunk, out: np.ndarray, op: _Op, rows: np.ndarray | None = None) -> int:
    """Run one chunk through `table`, writing its codes to `out`; returns the chunk's first
    unknown row (lookups) or -1. With `rows`, gathers those buffer rows (-1 = null) instead."""
    if len(out) == 0:
        return -1
    if isinstance(chunk, np.ndarray):
        args = (chunk, None, 0, out)
        if op.lookup:
            return table.lookup(*args, op.unknown, op.null_value, op.null_unknown)
        table.add(*args, op.null_code)
        return -1
    typ = chunk.type
    if pa.types.is_dictionary(typ):
        return _feed_dictionary(table, chunk, out, op)
    bufs = chunk.buffers()
    valid = _u8(bufs[0]) if bufs[0] is not None and chunk.null_count > 0 else None
    if pa.types.is_integer(typ):
        args = (_typed(bufs[1], typ.to_pandas_dtype()), valid, chunk.offset, out)
        if op.lookup:
            return table.lookup(*args, op.unknown, op.null_value, op.null_unknown, rows)
        table.add(*args, op.null_code, rows)
        return -1
    if pa.types.is_string_view(typ):
        addresses = np.array([b.address for b in bufs[2:]], dtype=np.intp)
        args = (_typed(bufs[1], np.uint64), addresses, valid, chunk.offset, out)
        if op.lookup:
            return table.lookup_views(*args, op.unknown, op.null_value, op.null_unknown, rows)
        table.add_views(*args, op.null_code, rows)
        return -1
    offsets = _typed(bufs[1], np.int64 if pa.types.is_large_string(typ) else np.int32)
    args = (offsets, _u8(bufs[2]), valid, chunk.offset, out)
    if op.lookup:
        return table.lookup_binary(*args, op.unknown, op.null_value, op.null_unknown, rows)
    table.add_binary(*args, op.null_code, rows)
    return -1


def _feed_dictionary(table, chunk: pa.DictionaryArray, out: np.ndarray, op: _Op) -> int:
    # 1. first-seen codes of the dictionary indices (a null index is a value too), written to out
    local = _native.IntTable(signed=pa.types.is_signed_integer(chunk.type.index_type))
    n_dict = len(chunk.dictionary)
    if 0 < n_dict <= max(2 * len(chunk), 1 << 16):
        local.set_dense(0, n_dict - 1)
    _feed(local, chunk.indices, out, _INSERT_NULL_CODE)
    # 2. the dictionary values at those indices, in that order, through the real table (gathered
    #    in place, no take): new values get codes in first-seen row order, and duplicate or
    #    unused dictionary entries cannot leak into the result
    keys, null_code = local.uniques()
    dictionary = chunk.dictionary
    rows = keys.view(np.int64) + dictionary.offset
    if null_code >= 0:
        rows[null_code] = -1
    in_range = (rows - dictionary.offset < len(dictionary)) & (rows - dictionary.offset >= 0)
    if null_code >= 0:
        in_range[null_code] = True
    if not in_range.all():  # the kernels trust indices; a malformed dictionary array stops here
        bad = int(keys.view(np.int64)[np.argmin(in_range)])
        raise DataError(
            "dictionary index out of range", found=f"index {bad} for a dictionary of {len(dictionary)} values"
        )
    mapping = np.empty(len(rows), dtype=np.int32)
    first_local = _feed(table, dictionary, mapping, op, rows)
    first = -1 if first_local < 0 else int(np.argmax(out == first_local))
    # 3. local codes → table codes
    _native.remap(out, mapping)
    return first


# ------------------------------------------------------------------------------------------
# Splitting the rows over threads
#
# The kernels run without the GIL, so plain threads use every core. The rows are cut into
# consecutive parts; this thread factorizes part 0 into the main table while helper threads each
# factorize a later part, block by block, into a table of their own. When this thread is done
# with part k - 1 it stops helper k (after its current block), merges what the helper did into
# the main table (the helper's distinct values, in their first-seen order, go through the main
# table, new ones getting the next codes; the helper's codes are remapped) and factorizes the
# rest of part k itself. Every value new to the main table is thus numbered at its first
# appearance in row order: the result is identical to a serial run. And a helper that gets
# little CPU (a busy machine) or never leaves the pool's queue delays nothing: its unfinished
# rows are taken over. Lookups work the same way on one shared, read-only table, without the
# merge. The helpers come from the shared pool (tabprep._config); inside a pool thread (a
# per-column job) a call runs alone.
# ------------------------------------------------------------------------------------------

_MIN_ROWS_PER_THREAD = 250_000
_BLOCK_ROWS = 1 << 18  # a helper checks for a stop request between blocks of this many rows


def _n_parts(length: int) -> int:
    """Threads for `length` rows: only as many as there are idle cores, counting this one
    (:func:`tabprep._config.idle_threads`). On a busy machine a helper thread only takes CPU
    from this one, and the merge costs extra: measured at 2 CPUs, one helper made a 10M-row
    factorization 1.3x faster when they were free and 1.4x slower when other processes kept
    them busy."""
    return max(1, min(idle_threads(), length // _MIN_ROWS_PER_THREAD))


def _rows(col: _Column, start: int, stop: int) -> list:
    """The chunks of rows [start, stop), sliced in place."""
    pieces, pos = [], 0
    for chunk in col.chunks:
        n = len(chunk)
        a, b = max(start - pos, 0), min(stop - pos, n)
        if a < b:
            pieces.append(chunk if (a, b) == (0, n) else _slice(chunk, a, b))
        pos += n
        if pos >= stop:
            break
    return pieces


def _slice(chunk, a: int, b: int):
    return chunk[a:b] if isinstance(chunk, np.ndarray) else chunk.slice(a, b - a)


def _fill(table, chunks: list, out: np.ndarray, op: _Op) -> int:
    """Feed consecutive chunks into `out`; returns the first unknown row (index into out) or -1."""
    pos, first = 0, -1
    for chunk in chunks:
        n = len(chunk)
        f = _feed(table, chunk, out[pos : pos + n], op)
        if f >= 0 and first < 0:
            first = pos + f
        pos += n
    return first


def _helper(table, col: _Column, start: int, stop: int, codes: np.ndarray, op: _Op, halt: threading.Event):
    """Rows [start, stop) block by block until `halt`; returns (rows done, first unknown row of
    the column, or -1)."""
    pos, first = start, -1
    while pos < stop and not halt.is_set():
        end = min(pos + _BLOCK_ROWS, stop)
        f = _fill(table, _rows(col, pos, end), codes[pos:end], op)
        if f >= 0 and first < 0:
            first = pos + f
        pos = end
    return pos - start, first


def _run_split(col: _Column, codes: np.ndarray, main, op: _Op, parts: int, merge) -> int:
    """Codes of every row into `codes`, `parts`-way parallel (see the section comment). `main`
    is the table of this thread; ``merge(table_k, start, done)`` folds helper k's table (rows
    [start, start + done)) into it, or is None for lookups, where the helpers share `main`.
    Returns the first unknown row or -1."""
    bounds = [col.length * k // parts for k in range(parts + 1)]
    if parts == 1:
        return _fill(main, col.chunks, codes, op)
    halts = [threading.Event() for _ in range(parts)]
    tables = [main if merge is None else _new_table(col, dense_factor=0) for _ in range(parts)]
    futures = {
        k: submit(_helper, tables[k], col, bounds[k], bounds[k + 1], codes, op, halts[k])
        for k in range(1, parts)
    }
    try:
        first = _fill(main, _rows(col, 0, bounds[1]), codes[: bounds[1]], op)
        for k in range(1, parts):
            halts[k].set()
            future = futures.pop(k)
            # a helper still queued (the pool is busy elsewhere) is not waited for: dropped
            done, f = (0, -1) if future.cancel() else future.result()
            if done and merge is not None:
                merge(tables[k], bounds[k], done)
            if f >= 0 and first < 0:
                first = f
            start, stop = bounds[k] + done, bounds[k + 1]
            if start < stop:  # the rest of part k, taken over
                f = _fill(main, _rows(col, start, stop), codes[start:stop], op)
                if f >= 0 and first < 0:
                    first = start + f
    finally:
        for k, future in futures.items():  # after an error: stop and wait for the helpers
            halts[k].set()
            if not future.cancel():
                future.exception()
    return first


def _merge(table, part_table, col: _Column, null_code: bool) -> np.ndarray:
    """Insert the distinct values of `part_table` into `table`, in code order; returns the map
    from part codes to table codes."""
    mapping = np.empty(part_table.size, dtype=np.int32)
    if col.kind == "string":
        offsets, data, nc = part_table.uniques()
        table.add_binary(offsets, data, _null_bits(len(mapping), nc), 0, mapping, null_code)
    else:
        keys, nc = part_table.uniques()
        table.add(keys, _null_bits(len(mapping), nc), 0, mapping, null_code)
    return mapping


def _null_bits(n: int, null_code: int) -> np.ndarray | None:
    """Validity bitmap (NumPy uint8) with only `null_code` unset, or None."""
    if null_code < 0:
        return None
    bits = np.ones(n, dtype=bool)
    bits[null_code] = False
    return np.packbits(bits, bitorder="little")


def _factorize_rows(col: _Column, codes: np.ndarray, null_code: bool, dense_factor: int = 2):
    """The column's codes into `codes`; returns the table."""
    table = _new_table(col, dense_factor)

    def merge(part_table, start, done):
        mapping = _merge(table, part_table, col, null_code)
        _native.remap(codes[start : start + done], mapping)

    # a directly indexed table costs a load per row: splitting it would not pay for the merge
    parts = 1 if table.is_dense else _n_parts(col.length)
    _run_split(col, codes, table, _Op(null_code=null_code), parts, merge)
    return table


def _lookup_rows(table, col: _Column, codes: np.ndarray, op: _Op) -> int:
    """Codes of the column in a read-only table; returns the first unknown row or -1."""
    return _run_split(col, codes, table, op, _n_parts(col.length), None)


def _uniques(table, col: _Column) -> pa.Array:
    if col.kind == "string":
        offsets, data, null_code = table.uniques()
        n = len(offsets) - 1
        bits = _null_bits(n, null_code)
        bitmap = None if bits is None else pa.py_buffer(bits)
        return pa.Array.from_buffers(
            pa.large_string(),
            n,
            [bitmap, pa.py_buffer(offsets), pa.py_buffer(data)],
            null_count=int(null_code >= 0),
        )
    keys, null_code = table.uniques()
    dtype = col.value_type.to_pandas_dtype()
    values = (keys.view(np.int64) if pa.types.is_signed_integer(col.value_type) else keys).astype(dtype)
    mask = None
    if null_code >= 0:
        mask = np.zeros(len(values), dtype=bool)
        mask[null_code] = True
    return pa.array(values, type=col.value_type, mask=mask)


def _check_choice(func: str, param: str, value: object, choices: tuple[str, ...]) -> None:
    check_param(value, [Options(choices)], param, func)


# ------------------------------------------------------------------------------------------
# Public API
# ------------------------------------------------------------------------------------------


def factorize(
    values: object,
    *,
    null: Literal["code", "sentinel"] = "code",
    order: Literal["first_seen", "sorted"] = "first_seen",
) -> tuple[np.ndarray, pa.Array]:
    """Encode values as dense int32 codes.

    Parameters
    ----------
    values : pyarrow Array or ChunkedArray, polars Series, or 1-D NumPy integer array
        Strings (pyarrow ``string``, ``large_string``, ``string_view``, ``dictionary``; polars
        ``String``, ``Categorical``, ``Enum``) or integers (``int8`` .. ``uint64``). Sliced arrays
        and chunked arrays are read in place; codes are global across chunks.
    null : {"code", "sentinel"}, default "code"
        ``"code"``: nulls get a code of their own and ``uniques`` holds one null at that position
        (the first null's position in first-seen order, last in sorted order). ``"sentinel"``:
        nulls get -1 and ``uniques`` has no null.
    order : {"first_seen", "sorted"}, default "first_seen"
        Order of ``uniques`` (and so of the codes): order of first appearance, or sorted
        (byte-wise for strings, i.e. by Unicode code point; numerically for integers).

    Returns
    -------
    codes : numpy.ndarray of int32, shape (len(values),)
        ``uniques.take(codes)`` reproduces ``values`` (with ``null="code"``).
    uniques : pyarrow.Array
        The distinct values: ``large_string`` for string input, the input's integer type for
        integer input.

    Raises
    ------
    SchemaError
        The input's type is not one of those accepted.
    ConfigError
        ``null`` or ``order`` is not one of the documented choices.

    Notes
    -----
    The input is read in place: a polars String Series through its Arrow C stream export
    (``string_view`` chunks, no rechunk, no ``large_string`` copy), short strings straight from
    their views. Long inputs are split over the idle CPUs, at most :func:`tabprep.set_threads`
    of them; the result is the same as with one thread. Integers with a small value range are
    indexed directly instead of hashed.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from tabprep.kernels import factorize
    >>> codes, uniques = factorize(pa.array(["b", "a", None, "b"]))
    >>> codes
    array([0, 1, 2, 0], dtype=int32)
    >>> uniques.to_pylist()
    ['b', 'a', None]
    >>> codes, uniques = factorize(pa.array(["b", "a", None, "b"]), null="sentinel", order="sorted")
    >>> codes
    array([ 1,  0, -1,  1], dtype=int32)
    >>> uniques.to_pylist()
    ['a', 'b']
    """
    _check_choice("factorize", "null", null, ("code", "sentinel"))
    _check_choice("factorize", "order", order, ("first_seen", "sorted"))
    col = _column(values, "values")
    codes = np.empty(col.length, dtype=np.int32)
    try:
        table = _factorize_rows(col, codes, null_code=null == "code")
    except OverflowError as exc:
        raise DataError(str(exc), column=col.name, hint="factorize fewer rows at a time") from None
    uniques = _uniques(table, col)
    if order == "sorted" and len(uniques) > 1:
        import pyarrow.compute as pc  # ~0.1 s to import: only where it is used

        perm = pc.array_sort_indices(uniques, null_placement="at_end").to_numpy()
        mapping = np.empty(len(perm), dtype=np.int32)
        mapping[perm] = np.arange(len(perm), dtype=np.int32)
        _native.remap(codes, mapping)
        uniques = uniques.take(pa.array(perm))
    return codes, uniques


class Vocabulary:
    """A fixed list of distinct values, hashed once, that encodes values into their positions.

    Build it once from the ``uniques`` of :func:`factorize` (at fit time) and call
    :meth:`encode` as often as needed (at transform time): the hash table is not rebuilt, and
    :meth:`encode` runs without the GIL, so threads can share one vocabulary.

    Parameters
    ----------
    uniques : pyarrow Array or ChunkedArray, polars Series, or 1-D NumPy integer array
        Distinct values (strings or integers, as :func:`factorize` accepts); at most one null,
        which then is the code of nulls. The code of a value is its position.

    Raises
    ------
    SchemaError
        The type is not one of those accepted.
    ConfigError
        A value (or the null) appears twice.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from tabprep.kernels import Vocabulary
    >>> vocab = Vocabulary(pa.array(["b", "a"]))
    >>> vocab.encode(pa.array(["a", "z", None, "b"]))
    array([ 1, -1, -1,  0], dtype=int32)
    >>> len(vocab), vocab.null_code is None
    (2, True)
    """

    def __init__(self, uniques: object) -> None:
        col = _column(uniques, "the vocabulary")
        codes = np.empty(col.length, dtype=np.int32)
        table = _factorize_rows(col, codes, null_code=True, dense_factor=4)
        if table.size != col.length:
            # first-seen codes of distinct values are 0, 1, 2, ...: the first break is a repeat
            row = int(np.argmax(codes != np.arange(col.length, dtype=np.int32)))
            value = _scalar(col, row)
            raise ConfigError(
                "a vocabulary must not repeat a value",
                column=col.name,
                row=row,
                found=f"{value!r} again (first at position {int(codes[row])})",
                hint="pass the uniques returned by factorize()",
            )
        self._table = table
        self._kind = col.kind
        self._value_type = col.value_type
        self._uniques = _uniques(table, col)
        self.null_code: int | None = table.null_code if table.null_code >= 0 else None
        """Code of nulls, or None if the vocabulary has no null."""

    @property
    def uniques(self) -> pa.Array:
        """The values in code order (``large_string`` or the integer type)."""
        return self._uniques

    def __len__(self) -> int:
        return len(self._uniques)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} values of type {self._value_type})"

    def encode(
        self,
        values: object,
        *,
        unknown: int | Literal["error"] = -1,
        null: Literal["code", "sentinel"] = "code",
    ) -> np.ndarray:
        """Codes of `values` in this vocabulary.

        Parameters
        ----------
        values : pyarrow Array or ChunkedArray, polars Series, or 1-D NumPy integer array
            Same kind as the vocabulary (strings for a string vocabulary, any integer type for an
            integer one: integers compare by value).
        unknown : int or "error", default -1
            Code of values not in the vocabulary, or ``"error"`` to raise :class:`DataError`
            naming the first one and its row.
        null : {"code", "sentinel"}, default "code"
            ``"code"``: nulls get the vocabulary's null code; a vocabulary without a null treats
            them as unknown. ``"sentinel"``: nulls get -1.

        Returns
        -------
        numpy.ndarray of int32, shape (len(values),)

        Examples
        --------
        >>> import pyarrow as pa
        >>> from tabprep.kernels import Vocabulary
        >>> vocab = Vocabulary(pa.array([10, None, 30]))
        >>> vocab.encode(pa.array([30, None, 99]), unknown=-2)
        array([ 2,  1, -2], dtype=int32)
        """
        check_param(unknown, [Interval(int, _INT32_MIN, _INT32_MAX), Options(("error",))], "unknown", "encode")
        error = isinstance(unknown, str)
        _check_choice("encode", "null", null, ("code", "sentinel"))
        col = _column(values, "values")
        if col.kind != self._kind:
            raise SchemaError(
                f"values must be {self._kind}s to match the vocabulary ({self._value_type})",
                column=col.name,
                found=str(col.value_type),
            )
        unknown_value = -1 if error else int(unknown)
        if null == "sentinel":
            op = _Op(lookup=True, unknown=unknown_value, null_value=-1)
        elif self.null_code is not None:
            op = _Op(lookup=True, unknown=unknown_value, null_value=self.null_code)
        else:
            op = _Op(lookup=True, unknown=unknown_value, null_value=unknown_value, null_unknown=True)
        codes = np.empty(col.length, dtype=np.int32)
        first = _lookup_rows(self._table, col, codes, op)
        if error and first >= 0:
            self._raise_unknown(col, first)
        return codes

    def _raise_unknown(self, col: _Column, row: int):
        value = _scalar(col, row)
        if value is None:
            raise DataError(
                "null is not in the vocabulary (it had no null when it was built)",
                column=col.name,
                row=row,
                hint="pass null='sentinel' to give nulls -1, or build the vocabulary with "
                "null='code' from data with nulls",
            )
        raise DataError(
            "value is not in the vocabulary",
            column=col.name,
            row=row,
            found=repr(value),
            hint="pass unknown=-1 (or another code) to encode unseen values instead of raising",
        )


def _scalar(col: _Column, row: int) -> object:
    for chunk in col.chunks:
        if row < len(chunk):
            value = chunk[row]
            return value.item() if isinstance(value, np.generic) else value.as_py()
        row -= len(chunk)
    raise IndexError(row)


def encode_with(
    values: object,
    vocabulary: Vocabulary | object,
    *,
    unknown: int | Literal["error"] = -1,
    null: Literal["code", "sentinel"] = "code",
) -> np.ndarray:
    """Codes of `values` in a fixed vocabulary (transform time).

    Parameters
    ----------
    values : pyarrow Array or ChunkedArray, polars Series, or 1-D NumPy integer array
        As for :func:`factorize`.
    vocabulary : Vocabulary or array of distinct values
        Typically the ``uniques`` returned by :func:`factorize` at fit time. Pass a
        :class:`Vocabulary` to reuse its hash table across calls.
    unknown : int or "error", default -1
        Code of values not in the vocabulary, or ``"error"`` to raise :class:`DataError` naming
        the first one and its row.
    null : {"code", "sentinel"}, default "code"
        ``"code"``: nulls get the vocabulary's null code (unknown if it has none);
        ``"sentinel"``: -1.

    Returns
    -------
    numpy.ndarray of int32, shape (len(values),)

    Examples
    --------
    >>> import pyarrow as pa
    >>> from tabprep.kernels import encode_with, factorize
    >>> _, uniques = factorize(pa.array(["x", "y", None]))
    >>> encode_with(pa.array(["y", None, "w"]), uniques)
    array([ 1,  2, -1], dtype=int32)
    >>> encode_with(pa.array(["y", "w"]), uniques, unknown="error")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tabprep.errors.DataError: row 1: value is not in the vocabulary; found 'w'. Hint: ...
    """
    vocab = vocabulary if isinstance(vocabulary, Vocabulary) else Vocabulary(vocabulary)
    return vocab.encode(values, unknown=unknown, null=null)
