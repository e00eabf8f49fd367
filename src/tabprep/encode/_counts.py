"""Finding a column's categories from value counts, and the fit of the count-based encoders.

The statistics of a column are its distinct values in first-seen order, their counts and the null
count (:class:`Seen`): exact and mergeable, so a lazy or streamed fit (``Pipeline.fit``: one
``map_batches`` aggregation per batch, merged in batch order) gives the same state as an
in-memory one. :func:`build_cats` then puts the categories in order (sorted, first seen, by
frequency or as given) and :func:`identify_infrequent` finds scikit-learn's infrequent ones.
:class:`CountFitEncoder` is the fit of the ordinal, one-hot, count and rare encoders on top of
the transform side of :class:`~tabprep.encode._categorical.CategoricalEncoder`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from functools import partial

import numpy as np
import polars as pl
import pyarrow as pa

from tabprep.errors import ConfigError, DataError
from tabprep._base.codec import arrow_from_numpy, numpy_from_arrow, series_from_arrow
from tabprep._base.params import Constraint, Interval, is_nan_like, validate_params
from tabprep.encode._categorical import (
    CategoricalEncoder,
    Cats,
    Codes,
    column_kind,
    factorize_column,
    keys,
    value_dtype,
)

__all__ = ["CountFitEncoder", "Rule", "Seen", "build_cats", "identify_infrequent", "merge_seen", "sort_strings"]


# ------------------------------------------------------------------------------------------
# Statistics: distinct values (first seen), their counts, the null count
# ------------------------------------------------------------------------------------------

@dataclass
class Seen:
    """Distinct non-null values of a column in first-seen order, their counts, the null count."""

    values: pl.Series
    counts: np.ndarray
    nulls: int


def seen_of(s: pl.Series, kind: str, vdtype):
    """``(Seen, first-seen codes)`` of a Series (int32 codes, -1 for null).

    One hash pass on one thread: splitting a column over threads and stitching the parts
    measured slower on 2 cores (the hash tables' growth page-faults contend).
    """
    from tabprep.kernels import bincount

    codes, values = factorize_column(s, kind, vdtype)
    counts = bincount(codes, len(values) + 1, shift=1, check=False)
    return Seen(values, counts[1:].copy(), int(counts[0])), codes


def stats_dtype(vdtype):
    return pl.Struct({"values": pl.List(vdtype), "counts": pl.List(pl.Int64), "nulls": pl.Int64})


def batch_seen(kind: str, vdtype, s: pl.Series) -> pl.Series:
    """One batch's statistics as a one-row struct (the ``map_batches`` body of ``fit_exprs``)."""
    seen, _ = seen_of(s, kind, vdtype)
    frame = pl.DataFrame(
        {"values": [seen.values], "counts": [pl.Series(seen.counts)], "nulls": [seen.nulls]},
        schema={"values": pl.List(vdtype), "counts": pl.List(pl.Int64), "nulls": pl.Int64},
    )
    return frame.to_struct(s.name)


def as_seen(raw, kind: str, vdtype) -> Seen:
    """A Seen from what a statistics pass returned: a Seen, a one-row struct Series (a block's
    :func:`batch_seen`), a struct row as a dict, or a list of parts (merged in order)."""
    if isinstance(raw, Seen):
        return raw
    if isinstance(raw, pl.Series):
        row = raw.struct.unnest()
        return Seen(row.get_column("values")[0].alias(""), row.get_column("counts")[0].to_numpy().astype(np.int64),
                    int(row.get_column("nulls")[0] or 0))
    if isinstance(raw, dict):
        return Seen(pl.Series("", raw["values"] or [], dtype=vdtype),
                    np.asarray(raw["counts"] or [], dtype=np.int64), int(raw["nulls"] or 0))
    return merge_seen([as_seen(p, kind, vdtype) for p in raw], kind, vdtype)


def merge_seen(parts: list[Seen], kind: str, vdtype) -> Seen:
    """The statistics of consecutive parts of a column, merged in order.

    A left fold: ``merge_seen([merge_seen(a), *b])`` equals ``merge_seen(a + b)`` (first-seen
    order of a concatenation is that of its parts, counts are exact), so a pass can merge its
    blocks as they come and hold one table, whatever its length.
    """
    if len(parts) == 1:
        return parts[0]
    # first-seen order of the concatenation = first-seen order of the batches, merged in order
    codes, values = factorize_column(pl.concat([p.values for p in parts]), kind, vdtype)
    counts = np.zeros(len(values), dtype=np.int64)
    np.add.at(counts, codes, np.concatenate([p.counts for p in parts]))
    return Seen(values, counts, sum(p.nulls for p in parts))


def _seen_dtype(raw):
    """``(kind, value dtype)`` of statistics from a pass (their values carry the dtype)."""
    if isinstance(raw, Seen):
        vdtype = raw.values.dtype
    elif isinstance(raw, pl.Series):
        vdtype = raw.dtype.to_schema()["values"].inner
    elif isinstance(raw, dict):
        return None
    else:
        return next((got for got in map(_seen_dtype, raw) if got is not None), None)
    return column_kind(vdtype, ""), vdtype


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
        import pyarrow.compute as pc  # ~0.1 s to import: only when it sorts

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
    items = list(spec.to_list() if isinstance(spec, (pl.Series, pa.Array)) else spec)
    items = [v.item() if isinstance(v, np.generic) else v for v in items]
    missing = [i for i, v in enumerate(items) if is_nan_like(v)]
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

        idx = Vocabulary(keys(values, kind)).encode(keys(seen.values, kind), unknown=-2, null="sentinel")
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


class _NaN(Constraint):
    def is_satisfied_by(self, value) -> bool:
        return isinstance(value, float) and math.isnan(value)

    def __str__(self) -> str:
        return "np.nan"


class Rule(Constraint):
    """A constraint from a predicate and its wording: how a cross-parameter rule of
    ``_validate_extra`` is said through :func:`~tabprep._base.params.check_param`."""

    def __init__(self, check, text: str) -> None:
        self.check, self.text = check, text

    def is_satisfied_by(self, value) -> bool:
        return bool(self.check(value))

    def __str__(self) -> str:
        return self.text


class ListsPerColumn(Constraint):
    """A list holding one list of values per column (``categories``, ``order``)."""

    def is_satisfied_by(self, value) -> bool:
        return isinstance(value, list) and all(isinstance(v, (list, tuple, np.ndarray, pl.Series, pa.Array))
                                               for v in value)

    def __str__(self) -> str:
        return "a list holding one list of values per column"


NAN = _NaN()
MIN_FREQUENCY = [Interval(int, 1, None, closed="left"), Interval(float, 0, 1, closed="neither"), None]
MAX_CATEGORIES = [Interval(int, 1, None, closed="left"), None]


# ------------------------------------------------------------------------------------------
# The fit of the count-based encoders
# ------------------------------------------------------------------------------------------

class CountFitEncoder(CategoricalEncoder):
    """Base of the encoders fitted from value counts (ordinal, one-hot, count, rare; not
    registered).

    A subclass sets ``_cats`` through :meth:`_make_cats` and derives its tables in
    :meth:`_derive` (after fit and after loading); the transform side is
    :class:`~tabprep.encode._categorical.CategoricalEncoder`'s.
    """

    # ---------------------------------------------------------------- fitted attributes
    @property
    def categories_(self) -> list:
        """Categories of each column in output order (scikit-learn's ``categories_``)."""
        if "_cats" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__} has no categories_ before fit")
        return [self._sk_categories(c.as_numpy()) for c in self._cats]

    @property
    def infrequent_categories_(self) -> list:
        """Infrequent categories of each column (None where there are none); defined when
        ``min_frequency`` or ``max_categories`` is set."""
        if not self.__dict__.get("_infrequent_enabled"):
            raise AttributeError(f"{type(self).__name__} has no infrequent_categories_ (set min_frequency "
                                 "or max_categories)")
        return [None if idx is None else self._sk_categories(c.as_numpy())[idx]
                for c, idx in zip(self._cats, self._infrequent)]

    # ---------------------------------------------------------------- hooks
    def _make_cats(self, i: int, name: str, kind: str, vdtype, seen: Seen, n_rows: int) -> Cats:
        return build_cats(name, kind, vdtype, seen, n_rows, spec=self._spec(i), owner=type(self).__name__,
                          unknown_is_error=getattr(self, "handle_unknown", None) == "error")

    def _spec(self, i: int):
        spec = getattr(self, "categories", "auto")
        return spec if isinstance(spec, str) else spec[i]

    def _derive(self) -> None:
        """Compute the encoder's tables from ``self._cats`` (after fit and after loading)."""

    # ---------------------------------------------------------------- fit
    def fit_exprs(self, schema, columns, target):
        exprs = {"rows": pl.len()}
        for c in columns:
            kind = column_kind(schema[c], c)
            vd = value_dtype(schema[c], kind)
            exprs[f"cats:{c}"] = pl.col(c).map_batches(partial(batch_seen, kind, vd),
                                                       return_dtype=stats_dtype(vd), returns_scalar=True)
        return exprs

    def merge_stats(self, parts: list[dict]) -> dict:
        # merged here (a pass merges as it goes: it holds one table per column, not one per
        # block); the values carry their dtype. Python-dict parts (none from a pass) wait for
        # _finalize, where the schema is known.
        out = {"rows": sum(int(p["rows"]) for p in parts)}
        for key in parts[0]:
            if key.startswith("cats:"):
                raw = [p[key] for p in parts]
                got = _seen_dtype(raw)
                out[key] = raw if got is None else merge_seen([as_seen(r, *got) for r in raw], *got)
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
            cats.append(self._make_cats(i, c, kind, vd, as_seen(stats[f"cats:{c}"], kind, vd), n_rows))
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
        self._note_input(X)
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
        self._note_input(X)
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
        return self._output(df.get_columns(), codes, data)

    # ---------------------------------------------------------------- serialization
    def _get_state(self) -> dict:
        from tabprep._dtypes import dtype_str

        return {
            "columns": [
                {"kind": c.kind, "dtype": dtype_str(c.vdtype), "has_null": c.has_null,
                 "null_count": int(c.counts[-1]) if c.has_null else 0, "n_rows": c.n_rows}
                for c in self._cats
            ],
            "bytes_dtype": self.__dict__.get("_bytes_dtype"),
        }

    def _get_tables(self) -> dict:
        return {
            f"categories_{i}": pa.table({"value": c.values.to_arrow(),
                                         "count": arrow_from_numpy(c.counts[:len(c)], pl.Int64)})
            for i, c in enumerate(self._cats)
        }

    def _set_state(self, state: dict, tables: dict) -> None:
        from tabprep._dtypes import parse_dtype

        names = self._input_names()
        cats = []
        for i, (name, col) in enumerate(zip(names, state["columns"])):
            table = tables[f"categories_{i}"]
            vdtype = parse_dtype(col["dtype"])
            values = series_from_arrow(name, table.column("value"), vdtype)
            counts = np.asarray(numpy_from_arrow(table.column("count")), dtype=np.int64)
            if col["has_null"]:
                counts = np.append(counts, int(col["null_count"]))
            cats.append(Cats(name, col["kind"], vdtype, values, col["has_null"], counts, int(col["n_rows"])))
        self._cats = cats
        self._bytes_dtype = state.get("bytes_dtype")
        self._derive()



