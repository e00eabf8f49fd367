"""Ordinal encoding, and the categorical core the count-based encoders share.

How every encoder of this family works (one column; each column repeats it):

1. **fit**: the values become first-seen int32 codes (:func:`tabprep.kernels.factorize`, one hash
   pass over the Arrow buffers) and one counting pass gives each distinct value's count. These
   (values, counts, null count) statistics are exact and mergeable, so a lazy or streamed fit
   (``Pipeline.fit``: one ``map_batches`` aggregation per batch, merged in batch order) gives the
   same state as an in-memory one. The categories are then put in order (sorted, first seen,
   by frequency or as given) and each encoder derives its tables from them.
2. **transform**: the values are looked up in the fitted vocabulary (a hash table built once and
   kept), giving *canonical codes*: ``k`` for the k-th category, ``-1`` for null, ``-2`` for a
   value not seen in fit. One gather pass through a small per-column table (shifted by 2 so the
   sentinels land on its first two entries) writes the output in place.
3. **fit_transform** reuses the fit's codes: no second hash pass.

Missing values: a null (or NaN in a float column) is *missing*. Encoders that keep it as a
category (one-hot, count) put it after the other categories, as scikit-learn puts ``None``/``nan``
last in ``categories_``.
"""

from __future__ import annotations

import math
import numbers
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial

import numpy as np
import polars as pl
import pyarrow as pa

from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep.io._dispatch import coerce, convert_output
from tabprep._base.params import Constraint, Interval, Options, validate_params
from tabprep._base.step import Step, register_step

__all__ = ["OrdinalEncoder"]

#: scikit-learn's name of the grouped infrequent category (in feature names and inverse maps).
INFREQUENT_NAME = "infrequent_sklearn"


# ------------------------------------------------------------------------------------------
# Column kinds: how values of a dtype become hashable keys and come back
# ------------------------------------------------------------------------------------------

def column_kind(dtype, name: str) -> str:
    """``"string"``, ``"int"``, ``"bool"``, ``"float"`` or ``"temporal"``; SchemaError otherwise."""
    if dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum)) or dtype == pl.Null:
        return "string"
    if dtype.is_integer():
        return "int"
    if dtype == pl.Boolean:
        return "bool"
    if dtype.is_float():
        return "float"
    if dtype.is_temporal():
        return "temporal"
    raise SchemaError("cannot encode a column of this dtype as categories", column=name,
                      found=str(dtype), hint="cast it to String or an integer type first")


def value_dtype(dtype, kind: str):
    """dtype of a column's categories: String for text, Float64 for floats, else the column's."""
    return {"string": pl.String, "float": pl.Float64}.get(kind, dtype)


def _keys(s: pl.Series, kind: str):
    """What the factorizer hashes for a Series of ``kind`` (no copy for strings and integers)."""
    if kind == "string":
        # Categorical/Enum as String: the factorizer cannot yet take a dictionary of string_view
        return s if s.dtype == pl.String else s.cast(pl.String)
    if kind == "int":
        return s
    if kind == "bool":
        return s.cast(pl.Int8)
    if kind == "temporal":
        return s.to_physical()
    # float: NaN is missing (as in scikit-learn) and -0.0 is 0.0; the key is the bit pattern
    f = s.cast(pl.Float64).to_numpy() + 0.0
    mask = np.isnan(f)
    return pa.array(f.view(np.int64), mask=mask if mask.any() else None)


def _values_from_uniques(uniques: pa.Array, kind: str, vdtype) -> pl.Series:
    if kind == "float":
        bits = uniques.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        return pl.Series("", bits.view(np.float64), dtype=pl.Float64)
    s = pl.Series("", uniques)
    return s if s.dtype == vdtype else s.cast(vdtype)


def conform(s: pl.Series, kind: str, vdtype, owner: str) -> pl.Series:
    """An input column made comparable with categories of ``kind``/``vdtype`` (SchemaError if not)."""
    have = s.dtype
    if have == pl.Null:
        return s.cast(vdtype)
    ok = {
        "string": have == pl.String or isinstance(have, (pl.Categorical, pl.Enum)),
        "int": have.is_integer(),  # integers compare by value across widths
        "bool": have == pl.Boolean,
        "float": have.is_float() or have.is_integer(),
        "temporal": have.is_temporal() and type(have) is type(vdtype),
    }[kind]
    if not ok:
        raise SchemaError(f"{owner} was fitted on a {vdtype} column", column=s.name, found=str(have),
                          hint=f"pass the column as {vdtype}, as in fit")
    if kind == "temporal" and have != vdtype:
        return s.cast(vdtype)
    return s


# ------------------------------------------------------------------------------------------
# Statistics: distinct values (first seen), their counts, the null count
# ------------------------------------------------------------------------------------------

@dataclass
class Seen:
    """Distinct non-null values of a column in first-seen order, their counts, the null count."""

    values: pl.Series
    counts: np.ndarray
    nulls: int


def _factorize_count(keys):
    from tabprep.kernels import bincount, factorize

    codes, uniques = factorize(keys, null="sentinel")
    return codes, uniques, bincount(codes, len(uniques) + 1, shift=1, check=False)


def seen_of(s: pl.Series, kind: str, vdtype):
    """``(Seen, first-seen codes)`` of a Series (int32 codes, -1 for null).

    One hash pass on one thread: splitting a column over threads and stitching the parts
    measured slower on 2 cores (the hash tables' growth page-faults contend).
    """
    codes, uniques, counts = _factorize_count(_keys(s, kind))
    return Seen(_values_from_uniques(uniques, kind, vdtype), counts[1:].copy(), int(counts[0])), codes


class Codes:
    """Canonical codes of one column: ``k`` for the k-th category, -1 null, -2 unseen.

    Either plain (``raw`` holds them) or the first-seen codes of a fit with a ``table`` turning
    ``raw + 1`` into canonical codes (``present`` marks the table entries that occur): lookups
    then compose that table with the output table, a table the size of the categories, so no
    canonical array of the column's length is written.
    """

    def __init__(self, raw: np.ndarray, table: np.ndarray | None = None, present: np.ndarray | None = None):
        self.raw, self.table, self.present = raw, table, present

    def __len__(self) -> int:
        return len(self.raw)

    def _occurring(self) -> np.ndarray:
        return self.raw if self.table is None else self.table[self.present]

    def min(self) -> int:
        values = self._occurring()
        return int(values.min()) if len(values) else 0

    def contains(self, code: int) -> bool:
        return bool((self._occurring() == code).any())

    def canonical(self) -> np.ndarray:
        return self.raw if self.table is None else self.lookup(self.table, shift=1)

    def lookup(self, table: np.ndarray, out: np.ndarray | None = None, shift: int = 2) -> np.ndarray:
        """``out[i] = table[canonical[i] + shift]`` (``shift=1`` on a plain ``raw`` reads the table
        directly)."""
        from tabprep.kernels import lookup

        if self.table is not None and table is not self.table:
            table, shift = table[self.table + shift], 1
        if out is None:
            out = np.empty(len(self.raw), dtype=table.dtype)
        if len(self.raw):
            lookup(self.raw, table, shift=shift, out=out, check=False)
        return out


def _stats_dtype(vdtype):
    return pl.Struct({"values": pl.List(vdtype), "counts": pl.List(pl.Int64), "nulls": pl.Int64})


def _batch_seen(kind: str, vdtype, s: pl.Series) -> pl.Series:
    """One batch's statistics as a one-row struct (the ``map_batches`` body of ``fit_exprs``)."""
    seen, _ = seen_of(s, kind, vdtype)
    frame = pl.DataFrame(
        {"values": [seen.values], "counts": [pl.Series(seen.counts)], "nulls": [seen.nulls]},
        schema={"values": pl.List(vdtype), "counts": pl.List(pl.Int64), "nulls": pl.Int64},
    )
    return frame.to_struct(s.name)


def _as_seen(raw, kind: str, vdtype) -> Seen:
    """A Seen from what a statistics pass returned: a Seen, a struct row, or a list of parts."""
    if isinstance(raw, Seen):
        return raw
    if isinstance(raw, dict):
        return Seen(pl.Series("", raw["values"] or [], dtype=vdtype),
                    np.asarray(raw["counts"] or [], dtype=np.int64), int(raw["nulls"] or 0))
    parts = [_as_seen(p, kind, vdtype) for p in raw]
    if len(parts) == 1:
        return parts[0]
    from tabprep.kernels import factorize

    # first-seen order of the concatenation = first-seen order of the batches, merged in order
    values = pl.concat([p.values for p in parts])
    codes, uniques = factorize(_keys(values, kind), null="sentinel")
    counts = np.zeros(len(uniques), dtype=np.int64)
    np.add.at(counts, codes, np.concatenate([p.counts for p in parts]))
    return Seen(_values_from_uniques(uniques, kind, vdtype), counts, sum(p.nulls for p in parts))


# ------------------------------------------------------------------------------------------
# Fitted categories of one column
# ------------------------------------------------------------------------------------------

def is_missing_marker(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or type(v).__name__ == "NAType"


class Cats:
    """The categories of one column, in output order, with their training counts.

    ``values`` holds the non-null categories; ``has_null`` says whether null is a category too
    (it then comes after them); ``counts`` has ``len(values) + has_null`` entries.
    """

    def __init__(self, name, kind, vdtype, values: pl.Series, has_null: bool, counts, n_rows: int):
        self.name, self.kind, self.vdtype = name, kind, vdtype
        self.values = values.rename(name) if values.dtype == vdtype else values.cast(vdtype).rename(name)
        self.has_null = bool(has_null)
        self.counts = np.asarray(counts, dtype=np.int64)
        self.n_rows = int(n_rows)
        self._vocab = None
        self._numpy = None
        # first-seen position -> canonical code, kept from fit until fit_transform used it
        self.from_seen = None

    def __len__(self) -> int:
        return len(self.values)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_vocab"] = None  # a compiled hash table; rebuilt on first use
        state["from_seen"] = None
        return state

    @property
    def vocab(self):
        if self._vocab is None:
            from tabprep.kernels import Vocabulary

            self._vocab = Vocabulary(_keys(self.values, self.kind))
        return self._vocab

    def encode(self, s: pl.Series) -> "Codes":
        """Canonical codes of an (already conformed) Series: k, -1 null, -2 unseen."""
        return Codes(self.vocab.encode(_keys(s, self.kind), unknown=-2, null="sentinel"))

    def as_numpy(self) -> np.ndarray:
        """scikit-learn's ``categories_[i]``: object array for text; ``nan`` (the missing marker
        pandas gives scikit-learn for text and numbers alike) last when missing is a category."""
        if self._numpy is None:
            self._numpy = self._to_numpy()
        return self._numpy

    def _to_numpy(self) -> np.ndarray:
        if self.kind == "string":
            return np.array(self.values.to_list() + ([np.nan] if self.has_null else []), dtype=object)
        values = self.values.to_numpy()
        if self.has_null:
            if self.kind == "float":
                return np.append(values, np.nan)
            return np.array(self.values.to_list() + [np.nan], dtype=object)
        return values


def order_perm(values: pl.Series, counts: np.ndarray, order: str) -> np.ndarray:
    """Permutation putting first-seen values in ``order`` ("sorted", "first_seen", "frequency")."""
    if order == "first_seen" or len(values) < 2:
        return np.arange(len(values))
    if values.dtype == pl.String:
        perm = sort_strings(values.to_arrow())
    else:
        perm = np.argsort(values.to_physical().to_numpy(), kind="stable")
    if order == "frequency":  # most frequent first; ties in sorted order
        perm = perm[np.argsort(-counts[perm], kind="stable")]
    return perm


def sort_strings(arr: pa.Array) -> np.ndarray:
    """Permutation sorting distinct, non-null strings byte-wise (= by code point, as Python
    sorts ``str``).

    Sorts 64-bit big-endian prefix keys (the first 8 bytes, zero-padded) with NumPy, then settles
    each run of equal prefixes by comparing whole strings: 2-3x faster than Arrow's string sort
    for category vocabularies, where most prefixes differ. Many shared prefixes (URLs, paths):
    Arrow's sort.
    """
    import pyarrow.compute as pc

    n = len(arr)
    if n < 2:
        return np.arange(n)
    arr = arr.cast(pa.large_string()) if arr.type != pa.large_string() else arr
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int64, count=n + 1, offset=8 * arr.offset)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, dtype=np.uint8)
    starts, lengths = offsets[:-1], np.diff(offsets)
    padded = np.concatenate([data[:offsets[-1]], np.zeros(8, dtype=np.uint8)])
    prefix = np.lib.stride_tricks.sliding_window_view(padded, 8)[starts]  # (n, 8) bytes
    prefix *= np.arange(8) < lengths[:, None]  # zero the bytes past each string's end
    keys = prefix.view(">u8").ravel().astype(np.uint64)
    perm = np.argsort(keys)
    ranked = keys[perm]
    same = np.flatnonzero(ranked[1:] == ranked[:-1])
    if same.size == 0:
        return perm
    if same.size > n // 8:
        return pc.array_sort_indices(arr).to_numpy()
    # runs of equal prefixes: [lo, hi] positions in perm, each sorted on the full bytes
    breaks = np.flatnonzero(np.diff(same) != 1)
    run_lo = same[np.concatenate([[0], breaks + 1])]
    run_hi = same[np.concatenate([breaks, [same.size - 1]])] + 1
    for lo, hi in zip(run_lo.tolist(), run_hi.tolist()):
        members = perm[lo:hi + 1]
        perm[lo:hi + 1] = sorted(members.tolist(), key=lambda i: padded[starts[i]:starts[i] + lengths[i]].tobytes())
    return perm


def given_values(spec, kind: str, vdtype, name: str, param: str, owner: str):
    """``(values Series, has_null)`` from a user list; missing marker allowed only last."""
    if not isinstance(spec, (list, tuple, np.ndarray, pl.Series, pa.Array)):
        raise ConfigError(f"`{param}` of {owner} must hold one list of values per column", column=name,
                          found=type(spec).__name__)
    items = list(spec.to_list() if isinstance(spec, (pl.Series, pa.Array)) else spec)
    items = [v.item() if isinstance(v, np.generic) else v for v in items]
    missing = [i for i, v in enumerate(items) if is_missing_marker(v)]
    if missing and missing != [len(items) - 1]:
        raise ConfigError(f"a missing-value marker (None/nan) in `{param}` of {owner} must be the last value "
                          "and appear once", column=name, found=repr(spec))
    has_null = bool(missing)
    items = items[:-1] if has_null else items
    try:
        values = pl.Series(name, items, dtype=vdtype, strict=True)
    except Exception as exc:  # noqa: BLE001 - polars raises several kinds
        raise ConfigError(f"`{param}` of {owner} has values that are not {vdtype} like the column",
                          column=name, found=repr(items[:5])) from exc
    if values.n_unique() != len(values):
        dup = values.filter(values.is_duplicated()).to_list()[0]
        raise ConfigError(f"`{param}` of {owner} repeats a value", column=name, found=repr(dup))
    return values, has_null


def build_cats(name, kind, vdtype, seen: Seen, n_rows: int, *, spec="auto", order="sorted",
               append_unlisted=False, unknown_is_error=False, owner="encoder", param="categories") -> Cats:
    """The fitted categories of one column from its statistics.

    ``spec="auto"``: the seen values in ``order`` (null last if seen). A list: those values in
    that order (with ``append_unlisted``, the seen values not listed follow, sorted; else seen
    values not listed are errors when ``unknown_is_error``).
    """
    if isinstance(spec, str):
        perm = order_perm(seen.values, seen.counts, order)
        values, counts = seen.values.gather(perm), seen.counts[perm]
        has_null = seen.nulls > 0
        from_seen = np.empty(len(perm), dtype=np.int32)
        from_seen[perm] = np.arange(len(perm), dtype=np.int32)
    else:
        values, has_null = given_values(spec, kind, vdtype, name, param, owner)
        from tabprep.kernels import Vocabulary

        idx = Vocabulary(_keys(values, kind)).encode(_keys(seen.values, kind), unknown=-2, null="sentinel")
        unlisted = idx == -2
        if append_unlisted and unlisted.any():
            extra = seen.values.filter(pl.Series(unlisted))
            extra_counts = seen.counts[unlisted]
            perm = order_perm(extra, extra_counts, "sorted")
            values = pl.concat([values, extra.gather(perm)])
            idx = idx.copy()
            idx[np.flatnonzero(unlisted)[perm]] = np.arange(len(values) - len(extra), len(values), dtype=idx.dtype)
            unlisted = np.zeros_like(unlisted)
        if unknown_is_error and (unlisted.any() or (seen.nulls > 0 and not has_null)):
            found = seen.values.filter(pl.Series(unlisted)).head(5).to_list() + ([None] if seen.nulls and not has_null else [])
            raise DataError(f"found values not in `{param}` during fit", column=name, found=repr(found),
                            hint=f"add them to `{param}` or set handle_unknown to ignore them")
        counts = np.zeros(len(values), dtype=np.int64)
        known = idx >= 0
        np.add.at(counts, idx[known], seen.counts[known])
        if append_unlisted:
            has_null = seen.nulls > 0 or has_null
        from_seen = idx.astype(np.int32)
    if has_null:
        counts = np.append(counts, seen.nulls)
    cats = Cats(name, kind, vdtype, values, has_null, counts, n_rows)
    cats.from_seen = from_seen
    return cats


def identify_infrequent(counts: np.ndarray, n_rows: int, min_frequency, max_categories):
    """Indices of infrequent categories, or None (scikit-learn's ``_identify_infrequent``)."""
    if isinstance(min_frequency, numbers.Integral):
        mask = counts < min_frequency
    elif isinstance(min_frequency, numbers.Real):
        mask = counts < n_rows * min_frequency
    else:
        mask = np.zeros(counts.shape[0], dtype=bool)
    n_current = counts.size - mask.sum() + 1
    if max_categories is not None and max_categories < n_current:
        frequent = max_categories - 1
        if frequent == 0:
            mask[:] = True
        else:
            # stable: among equal counts the earlier category stays frequent
            mask[np.argsort(counts, kind="mergesort")[:-frequent]] = True
    out = np.flatnonzero(mask)
    return out if out.size else None


def first_row(mask: np.ndarray) -> int:
    return int(np.argmax(mask))


def raise_unknown(owner: str, s: pl.Series, row: int | None, *, fix: str):
    value = s[row] if row is not None else None
    raise DataError(f"{owner} found a category not seen during fit", column=s.name, row=row,
                    found="null" if value is None else repr(value), hint=fix)


def numpy_out_dtype(dtype, owner: str, param: str = "dtype", kinds: str = "iuf") -> np.dtype:
    """The numpy dtype a ``dtype`` parameter names (numpy dtype-like or Polars numeric dtype)."""
    try:
        if isinstance(dtype, pl.DataType) or (isinstance(dtype, type) and issubclass(dtype, pl.DataType)):
            out = np.dtype(pl.Series([], dtype=dtype).to_numpy().dtype)
        else:
            out = np.dtype(dtype)
    except Exception:  # noqa: BLE001
        out = None
    if out is None or out.kind not in kinds or (out.kind == "f" and out.itemsize < 4) or out.itemsize > 8:
        raise ConfigError(f"The `{param}` parameter of `{owner}` must be a numeric NumPy or Polars dtype "
                          f"(e.g. np.float64, 'float32', pl.UInt8); got {dtype!r} instead.")
    return out


def output_float_dtypes(dtype) -> list[str]:
    """scikit-learn's ``preserves_dtype`` tag for an encoder writing ``dtype`` whatever the input."""
    try:
        out = np.dtype(dtype) if not _is_polars_dtype(dtype) else numpy_out_dtype(dtype, "encoder")
    except (TypeError, ConfigError):
        return []
    return [out.name] if out.kind == "f" else []


_POLARS_DTYPES: dict = {}


def polars_dtype(np_dtype: np.dtype):
    """The Polars dtype of a NumPy dtype (memoized: it sits on the per-call path)."""
    np_dtype = np.dtype(np_dtype)
    dt = _POLARS_DTYPES.get(np_dtype)
    if dt is None:
        dt = _POLARS_DTYPES[np_dtype] = pl.Series(np.empty(0, dtype=np_dtype)).dtype
    return dt


class BatchCache:
    """Per-batch results shared by the several output expressions of one input column.

    A lazy transform producing k columns from one input column (one-hot, hashing) needs k
    expressions, and Polars runs a Python UDF once per expression (it does not eliminate common
    UDF subexpressions): without this cache each batch would be hashed k times.

    A batch is keyed by the addresses, offsets and lengths of its Arrow buffers; the entry keeps a
    reference to the batch, so those buffers cannot be freed and their addresses reused while the
    entry lives.
    """

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict = OrderedDict()

    def __getstate__(self):
        return {"_size": self._size}

    def __setstate__(self, state) -> None:
        self.__init__(state["_size"])

    def get(self, column: int, s: pl.Series, compute):
        import pyarrow as pa

        arrow = pa.chunked_array(s)
        key = (column, s.dtype, tuple((c.offset, len(c), tuple(b.address if b is not None else 0 for b in c.buffers()))
                                     for c in arrow.chunks))
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                return hit[1]
        value = compute(s)
        with self._lock:
            self._entries[key] = (arrow, value)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value


class _NaN(Constraint):
    def is_satisfied_by(self, value) -> bool:
        return isinstance(value, float) and math.isnan(value)

    def __str__(self) -> str:
        return "np.nan"


NAN = _NaN()
MIN_FREQUENCY = [Interval(int, 1, None, closed="left"), Interval(float, 0, 1, closed="neither"), None]
MAX_CATEGORIES = [Interval(int, 1, None, closed="left"), None]


# ------------------------------------------------------------------------------------------
# The shared step
# ------------------------------------------------------------------------------------------

class CategoricalEncoder(Step):
    """Base of the count-based categorical encoders (not registered; see the module docstring).

    A subclass sets ``_cats`` through :meth:`_make_cats`, derives its tables in :meth:`_derive`,
    and writes outputs from canonical codes in :meth:`_output` (eager) and ``transform_exprs``
    (lazy).
    """

    #: transforms are a compiled lookup per batch: eager inputs are collected in memory
    kernel_transform = True

    def _array_params(self) -> dict:
        return {"array_dtype": None, "ensure_all_finite": "allow-nan"}

    def _coerce(self, X):
        # As scikit-learn's encoders: a nested list with text keeps each value's own type (an
        # object array), instead of becoming an array of strings ("1" for 1).
        if isinstance(X, (list, tuple)):
            try:
                probe = np.asarray(X)
            except ValueError:
                probe = None
            if probe is None or probe.dtype.kind in "US":
                X = np.asarray(X, dtype=object)
        return coerce(X, **self._array_params())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = output_float_dtypes(getattr(self, "dtype", np.float64))
        return tags

    # ---------------------------------------------------------------- fitted attributes
    @property
    def categories_(self) -> list:
        """Categories of each column in output order (scikit-learn's ``categories_``)."""
        if "_cats" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__} has no categories_ before fit")
        return [c.as_numpy() for c in self._cats]

    @property
    def infrequent_categories_(self) -> list:
        """Infrequent categories of each column (None where there are none); defined when
        ``min_frequency`` or ``max_categories`` is set."""
        if not self.__dict__.get("_infrequent_enabled"):
            raise AttributeError(f"{type(self).__name__} has no infrequent_categories_ (set min_frequency "
                                 "or max_categories)")
        return [None if idx is None else c.as_numpy()[idx] for c, idx in zip(self._cats, self._infrequent)]

    # ---------------------------------------------------------------- hooks
    def _make_cats(self, i: int, name: str, kind: str, vdtype, seen: Seen, n_rows: int) -> Cats:
        return build_cats(name, kind, vdtype, seen, n_rows, spec=self._spec(i), owner=type(self).__name__,
                          unknown_is_error=getattr(self, "handle_unknown", None) == "error")

    def _spec(self, i: int):
        spec = getattr(self, "categories", "auto")
        return spec if isinstance(spec, str) else spec[i]

    def _derive(self) -> None:
        """Compute the encoder's tables from ``self._cats`` (after fit and after loading)."""

    def _output(self, df: pl.DataFrame, codes: list, data):
        raise NotImplementedError

    # ---------------------------------------------------------------- fit
    def fit_exprs(self, schema, columns, target):
        exprs = {"rows": pl.len()}
        for c in columns:
            kind = column_kind(schema[c], c)
            vd = value_dtype(schema[c], kind)
            exprs[f"cats:{c}"] = pl.col(c).map_batches(partial(_batch_seen, kind, vd),
                                                       return_dtype=_stats_dtype(vd), returns_scalar=True)
        return exprs

    def merge_stats(self, parts: list[dict]) -> dict:
        # the per-column parts merge in _finalize, where the column dtypes are known
        out = {"rows": sum(int(p["rows"]) for p in parts)}
        for key in parts[0]:
            if key.startswith("cats:"):
                out[key] = [p[key] for p in parts]
        return out

    def _finalize(self, stats: dict, schema, columns: list[str]) -> None:
        spec = getattr(self, "categories", "auto")
        if not isinstance(spec, str) and len(spec) != len(columns):
            raise ConfigError(f"`categories` of {type(self).__name__} must hold one list per column",
                              found=f"{len(spec)} lists for {len(columns)} columns")
        n_rows = int(stats["rows"])
        cats = []
        for i, c in enumerate(columns):
            kind = column_kind(schema[c], c)
            vd = value_dtype(schema[c], kind)
            cats.append(self._make_cats(i, c, kind, vd, _as_seen(stats[f"cats:{c}"], kind, vd), n_rows))
        self._cats = cats
        self._derive()

    def _fit_frame(self, df: pl.DataFrame):
        """Fit on an in-memory frame; returns each column's (first-seen codes, statistics)."""
        if df.height == 0:
            raise DataError("no rows to fit on", hint="check the data (and any filter applied to it)")
        stats, kept = {"rows": df.height}, []
        for c in df.columns:
            kind = column_kind(df.schema[c], c)
            seen, codes = seen_of(df.get_column(c), kind, value_dtype(df.schema[c], kind))
            stats[f"cats:{c}"] = seen
            kept.append((codes, seen))
        self.fit_finalize(stats, df.schema, df.columns)
        return kept

    def fit(self, X, y=None):
        """Fit on ``X`` (Polars/pandas/pyarrow frame or 2-D array); every column is an input.

        Returns
        -------
        self
        """
        validate_params(self)
        data = self._coerce(X)
        if data.kind in ("lazy", "path"):
            from tabprep._base.fit import fit_single_step

            fit_single_step(self, data, y)
            return self
        self._fit_frame(data.lf.collect())
        self._forget_names(data)
        return self

    def _forget_names(self, data) -> None:
        if not data.named and hasattr(self, "feature_names_in_"):
            del self.feature_names_in_  # scikit-learn defines it only for named inputs

    def fit_transform(self, X, y=None, **fit_params):
        """Fit on ``X`` and transform it, reusing the fit's codes (one hash pass per column)."""
        validate_params(self)
        data = self._coerce(X)
        if data.kind in ("lazy", "path"):
            return self.fit(X, y).transform(X)
        df = data.lf.collect()
        kept = self._fit_frame(df)
        self._forget_names(data)
        codes = []
        for cats, (first_seen, seen) in zip(self._cats, kept):
            from_seen = cats.encode(seen.values).canonical() if cats.from_seen is None else cats.from_seen
            cats.from_seen = None
            # first-seen code + 1 -> canonical code (the null sentinel sits at position 0)
            to_canonical = np.concatenate([[-1], from_seen]).astype(np.int32)
            present = np.concatenate([[seen.nulls > 0], seen.counts > 0])
            codes.append(Codes(first_seen, to_canonical, present))
        return self._output(df, codes, data)

    # ---------------------------------------------------------------- transform
    def transform(self, X):
        """Transform ``X``; the output container follows the input unless ``set_output`` says so."""
        self._check_fitted()
        data = self._coerce(X)
        if data.kind in ("lazy", "path"):
            return super().transform(X)
        df = self._align(data).collect()
        codes = [cats.encode(self._conform(i, df.get_column(cats_name)))
                 for i, (cats, cats_name) in enumerate(zip(self._cats, df.columns))]
        return self._output(df, codes, data)

    def _conform(self, i: int, s: pl.Series) -> pl.Series:
        cats = self._cats[i]
        return conform(s, cats.kind, cats.vdtype, type(self).__name__)

    def _wrap(self, out: np.ndarray, names: list[str], data, *, null_nan: bool = False, polars_dtypes=None):
        """Give a 2-D output in the input's container; NaN becomes null in Polars with ``null_nan``."""
        config = self._output_config()
        if data.kind == "numpy" and config == "default":
            return out
        if config == "pandas" or (config == "default" and data.kind == "pandas"):
            import pandas as pd

            frame = pd.DataFrame(out, columns=names, copy=False)
            if data.index is not None and len(data.index) == len(frame):
                frame.index = data.index
            return frame
        df = frame_of(out, names)  # zero-copy for a Fortran-ordered matrix
        if null_nan and out.dtype.kind == "f":
            df = df.fill_nan(None)
        if polars_dtypes is not None and df.dtypes != list(polars_dtypes):
            df = df.cast(dict(zip(names, polars_dtypes)))
        if config in ("default", "polars") and data.kind == "polars":
            return df
        return convert_output(df.lazy(), data, config)

    # ---------------------------------------------------------------- serialization
    def _get_state(self) -> dict:
        from tabprep._dtypes import dtype_str

        return {
            "columns": [
                {"kind": c.kind, "dtype": dtype_str(c.vdtype), "has_null": c.has_null,
                 "null_count": int(c.counts[-1]) if c.has_null else 0, "n_rows": c.n_rows}
                for c in self._cats
            ],
        }

    def _get_tables(self) -> dict:
        return {
            f"categories_{i}": pa.table({"value": c.values.to_arrow(), "count": pa.array(c.counts[:len(c)], pa.int64())})
            for i, c in enumerate(self._cats)
        }

    def _set_state(self, state: dict, tables: dict) -> None:
        from tabprep._dtypes import parse_dtype

        names = self._input_names()
        cats = []
        for i, (name, col) in enumerate(zip(names, state["columns"])):
            table = tables[f"categories_{i}"]
            vdtype = parse_dtype(col["dtype"])
            values = pl.Series(name, table.column("value").combine_chunks() if table.num_rows else [], dtype=vdtype)
            counts = np.asarray(table.column("count").to_numpy(), dtype=np.int64)
            if col["has_null"]:
                counts = np.append(counts, int(col["null_count"]))
            cats.append(Cats(name, col["kind"], vdtype, values, col["has_null"], counts, int(col["n_rows"])))
        self._cats = cats
        self._derive()

    def to_dict(self) -> dict:
        # dtype parameters (np.float64 and the like) are stored as their names
        saved = self.__dict__.get("dtype")
        if saved is not None:
            self.dtype = str(np.dtype(saved)) if not _is_polars_dtype(saved) else saved
        try:
            return super().to_dict()
        finally:
            if saved is not None:
                self.dtype = saved


def frame_of(out: np.ndarray, names: list[str]) -> pl.DataFrame:
    """A Polars frame over the columns of a 2-D array (no copy when it is Fortran-ordered)."""
    if 0 < out.shape[0] <= 8:
        # serving-size frames: building from Python rows skips Polars' per-column NumPy import,
        # which costs ~10 us a column
        df = pl.DataFrame(out.tolist(), schema=names, orient="row")
        dt = polars_dtype(out.dtype)
        return df if df.dtypes[0] == dt else df.cast(dt)  # one inferred dtype for all columns
    return pl.from_numpy(out, schema=names, orient="row")


def _is_polars_dtype(d) -> bool:
    return isinstance(d, pl.DataType) or (isinstance(d, type) and issubclass(d, pl.DataType))


# ------------------------------------------------------------------------------------------
# OrdinalEncoder
# ------------------------------------------------------------------------------------------

@register_step
class OrdinalEncoder(CategoricalEncoder):
    """Encode categorical columns as integers 0 .. n_categories - 1 (scikit-learn's OrdinalEncoder).

    Same parameters, fitted attributes and numbers as ``sklearn.preprocessing.OrdinalEncoder``,
    plus ``order``. Runs on compiled kernels over Arrow buffers (one hash pass to fit, one lookup
    pass to transform); a LazyFrame stays lazy.

    Parameters
    ----------
    categories : "auto" or list of lists, default "auto"
        ``"auto"``: the values seen in fit, in ``order``. A list: ``categories[i]`` holds the
        categories of the i-th column in their code order (a missing marker ``None``/``nan`` may
        come last). Unlike scikit-learn, numeric categories need not be sorted.
    dtype : numeric dtype, default np.float64
        Output dtype (NumPy dtype-like or Polars numeric dtype).
    handle_unknown : {"error", "use_encoded_value"}, default "error"
        What a value not seen in fit becomes: an error naming the column, row and value, or
        ``unknown_value``.
    unknown_value : int or np.nan, default None
        Code of unseen values with ``handle_unknown="use_encoded_value"`` (must differ from the
        codes of the categories).
    encoded_missing_value : int or np.nan, default np.nan
        Code of missing values (null, or NaN in a float column). In Polars output NaN codes are
        nulls.
    min_frequency : int or float, default None
        Categories seen fewer times (int) or in a smaller share of rows (float in (0, 1)) are
        grouped into one infrequent category, coded after the frequent ones.
    max_categories : int, default None
        At most this many output categories (the infrequent group included); the rarest are
        grouped (ties broken as scikit-learn does).
    order : {"sorted", "first_seen", "frequency"} or list of lists, default "sorted"
        Code order of the categories with ``categories="auto"``: sorted (scikit-learn's order;
        strings by code point), order of first appearance, most frequent first (ties sorted), or
        per column a list of values that come first, in that order (values seen in fit but not
        listed follow, sorted).

    Attributes
    ----------
    categories_ : list of ndarray
        Categories of each column in code order (missing marker last if missing values were seen).
    infrequent_categories_ : list of ndarray or None
        Defined when ``min_frequency`` or ``max_categories`` is set.
    n_features_in_, feature_names_in_
        As in scikit-learn.

    Notes
    -----
    Deliberate differences from scikit-learn: a null is always a *missing* value (scikit-learn
    treats ``None`` in object arrays as a category but ``nan`` as missing; tabprep converts both
    to null, and pandas 3 gives ``nan`` for missing text); a missing value in a column that had none in fit is an unknown value (so it raises
    with ``handle_unknown="error"``, as scikit-learn does for ``nan``); in Polars output, NaN codes
    are nulls.

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.encode import OrdinalEncoder
    >>> df = pl.DataFrame({"size": ["M", "S", None, "L", "M"]})
    >>> enc = OrdinalEncoder(order=[["S", "M", "L"]], encoded_missing_value=-1)
    >>> enc.fit_transform(df)["size"].to_list()
    [1.0, 0.0, -1.0, 2.0, 1.0]
    >>> enc.categories_
    [array(['S', 'M', 'L', nan], dtype=object)]
    >>> OrdinalEncoder().fit(df).transform(pl.DataFrame({"size": ["L", None]}))["size"].to_list()
    [0.0, None]
    """

    _parameter_constraints = {
        "categories": [Options(("auto",)), list],
        "dtype": "no_validation",
        "handle_unknown": [Options(("error", "use_encoded_value"))],
        "unknown_value": [int, NAN, None],
        "encoded_missing_value": [int, NAN],
        "min_frequency": MIN_FREQUENCY,
        "max_categories": MAX_CATEGORIES,
        "order": [Options(("sorted", "first_seen", "frequency")), list],
    }

    def __init__(self, *, categories="auto", dtype=np.float64, handle_unknown="error", unknown_value=None,
                 encoded_missing_value=np.nan, min_frequency=None, max_categories=None, order="sorted"):
        self.categories = categories
        self.dtype = dtype
        self.handle_unknown = handle_unknown
        self.unknown_value = unknown_value
        self.encoded_missing_value = encoded_missing_value
        self.min_frequency = min_frequency
        self.max_categories = max_categories
        self.order = order

    def _validate_extra(self) -> None:
        dt = numpy_out_dtype(self.dtype, "OrdinalEncoder")
        if self.handle_unknown == "use_encoded_value":
            if self.unknown_value is None:
                raise ConfigError("The `unknown_value` parameter of `OrdinalEncoder` must be an int or np.nan "
                                  "when handle_unknown='use_encoded_value'; got None instead.")
            if NAN.is_satisfied_by(self.unknown_value) and dt.kind != "f":
                raise ConfigError(f"When unknown_value is np.nan, the `dtype` parameter of `OrdinalEncoder` "
                                  f"must be a float dtype; got {self.dtype!r} instead.")
        elif self.unknown_value is not None:
            raise ConfigError("The `unknown_value` parameter of `OrdinalEncoder` must only be set when "
                              f"handle_unknown='use_encoded_value'; got {self.unknown_value!r} instead.")

    # ---------------------------------------------------------------- fit
    def _make_cats(self, i, name, kind, vdtype, seen, n_rows) -> Cats:
        if not isinstance(self.categories, str):
            return super()._make_cats(i, name, kind, vdtype, seen, n_rows)
        if isinstance(self.order, str):
            return build_cats(name, kind, vdtype, seen, n_rows, order=self.order, owner="OrdinalEncoder")
        if len(self.order) != self.n_features_in_:
            raise ConfigError("`order` of OrdinalEncoder must hold one list per column",
                              found=f"{len(self.order)} lists for {self.n_features_in_} columns")
        return build_cats(name, kind, vdtype, seen, n_rows, spec=self.order[i], append_unlisted=True,
                          owner="OrdinalEncoder", param="order")

    def _derive(self) -> None:
        self._np_dtype = numpy_out_dtype(self.dtype, "OrdinalEncoder")
        enabled = self.max_categories is not None or self.min_frequency is not None
        self._infrequent = []
        self._tables = []
        use_value = self.handle_unknown == "use_encoded_value"
        missing_cols = []
        for cats in self._cats:
            n = len(cats)
            # missing values are never infrequent (scikit-learn drops them from the counts)
            infreq = identify_infrequent(cats.counts[:n], cats.n_rows, self.min_frequency, self.max_categories) \
                if enabled else None
            self._infrequent.append(infreq)
            codes = np.arange(n, dtype=np.float64)
            cardinality = n
            if infreq is not None:
                frequent = np.setdiff1d(np.arange(n), infreq)
                codes[frequent] = np.arange(len(frequent))
                codes[infreq] = len(frequent)
                cardinality = len(frequent) + 1
            if use_value and not NAN.is_satisfied_by(self.unknown_value) and 0 <= self.unknown_value < cardinality:
                raise ConfigError(f"The used value for unknown_value {self.unknown_value} is one of the values "
                                  "already used for encoding the seen categories", column=cats.name)
            if cats.has_null:
                missing_cols.append(cats.name)
                emv = self.encoded_missing_value
                if self._np_dtype.kind != "f" and NAN.is_satisfied_by(emv):
                    raise ConfigError(f"There are missing values in columns {missing_cols}: to encode them with "
                                      f"dtype {self._np_dtype}, set encoded_missing_value to an int, or use a float "
                                      "dtype", column=cats.name)
                if not NAN.is_satisfied_by(emv) and 0 <= emv < cardinality:
                    raise ConfigError(f"encoded_missing_value ({emv}) is already used to encode a known category",
                                      column=cats.name)
            unknown = float(self.unknown_value) if use_value else 0.0
            null = float(self.encoded_missing_value) if cats.has_null else unknown
            self._tables.append(np.concatenate([[unknown, null], codes]).astype(self._np_dtype))
        self._infrequent_enabled = enabled

    # ---------------------------------------------------------------- transform
    def _checked(self, i: int, codes: Codes, s: pl.Series, exact: bool) -> None:
        if self.handle_unknown != "error" or len(codes) == 0:
            return
        lowest = -2 if self._cats[i].has_null else -1
        if codes.min() <= lowest:
            raise_unknown("OrdinalEncoder", s, first_row(codes.canonical() <= lowest) if exact else None,
                          fix="pass handle_unknown='use_encoded_value' with an unknown_value to encode unseen values")

    def _output(self, df, codes, data):
        names = list(df.columns)
        out = np.empty((df.height, len(names)), dtype=self._np_dtype, order="F")
        for i, name in enumerate(names):
            self._checked(i, codes[i], df.get_column(name), exact=True)
            codes[i].lookup(self._tables[i], out=out[:, i])
        return self._wrap(out, names, data, null_nan=any(np.isnan(t).any() for t in self._tables)
                          if self._np_dtype.kind == "f" else False)

    def _udf(self, i: int, s: pl.Series) -> pl.Series:
        codes = self._cats[i].encode(self._conform(i, s))
        self._checked(i, codes, s, exact=False)
        out = pl.Series(s.name, codes.lookup(self._tables[i]))
        return out.fill_nan(None) if self._np_dtype.kind == "f" else out

    def transform_exprs(self, schema) -> list:
        """One compiled lookup per column (``map_batches``, elementwise: streams batch by batch)."""
        self._check_fitted()
        dt = polars_dtype(self._np_dtype)
        return [pl.col(name).map_batches(partial(self._udf, i), return_dtype=dt, is_elementwise=True).alias(name)
                for i, name in enumerate(self._input_names())]

    def output_schema(self, schema):
        dt = polars_dtype(self._np_dtype)
        return pl.Schema({n: dt for n in self._input_names()})

    def planned_output_schema(self, schema, columns):
        return {c: polars_dtype(numpy_out_dtype(self.dtype, "OrdinalEncoder")) for c in columns}
