"""The categorical core every encoder of :mod:`tabprep.encode` stands on.

scikit-learn's ``_BaseEncoder`` (``sklearn/preprocessing/_encoders.py``) is the model: one place
finds a column's categories, conforms inputs to the fitted dtypes, tells missing from unknown
values and turns values into codes; an encoder (ordinal, one-hot, count, rare grouping, target,
weight of evidence) only says what a code becomes and which codes it refuses.

Kinds. A column is ``"string"`` (String, Categorical, Enum, Null), ``"int"``, ``"bool"``,
``"float"`` or ``"temporal"``; its categories are kept as String, the integer type, Boolean,
Float64 or the temporal type (:func:`value_dtype`). At transform an input column is *conformed*
to the fitted kind (:func:`conform`): text of any of the string dtypes, integers of any width
(compared by value), integers for a float column; anything else is a SchemaError naming the
column.

Missing values. A null, or NaN in a float column, is *missing*: never a category value, but an
encoder may keep it as a category of its own (``Cats.has_null``, after the other categories).
``-0.0`` and ``0.0`` are one category.

Codes. The values of a column become *canonical codes* (:class:`Codes`): ``k`` for the k-th
category, ``-1`` missing, ``-2`` unknown (not seen in fit). Every encoder's output is then one
gather through a small table read at ``code + 2`` (unknown, missing, the categories...).

One semantic path, Series in, codes out: :meth:`CategoricalEncoder._codes` (conform, then
:meth:`Cats.encode`). Its specializations give the same codes by construction: a batch of at
most ``SMALL_BATCH`` rows is looked up in a Python dict instead of the compiled vocabulary (the
kernel's set-up costs more than the lookups), and one value (a dict row) is looked up directly
when its Python type is one the fitted dtype holds exactly, else through a one-value Series.
Eager frames, lazy batches (``map_batches``), dict rows: the same codes, checks and tables.

How the count-based encoders fit (:class:`CountFitEncoder`): the values become first-seen int32
codes (:func:`tabprep.kernels.factorize`, one hash pass over the Arrow buffers) and one counting
pass gives each distinct value's count. These (values, counts, null count) statistics are exact
and mergeable, so a lazy or streamed fit (``map_batches`` aggregations merged in batch order)
gives the state of an in-memory one; ``fit_transform`` reuses the fit's codes (no second hash
pass). The cross-fitted encoders fit from target statistics instead (:mod:`._crossfit`).
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

import numpy as np
import polars as pl
import pyarrow as pa

from tabprep.errors import DataError, SchemaError, TabprepError
from tabprep.io._dispatch import Coerced, coerce
from tabprep._base.codec import series_from_arrow
from tabprep._base.params import is_nan_like
from tabprep._base.step import Step
from tabprep.encode._output import SMALL_BATCH, output_float_dtypes, polars_dtype, unnested_outputs, wrap

__all__ = ["CategoricalEncoder", "Cats", "Codes", "column_kind", "conform", "factorize_column", "value_dtype"]


# ------------------------------------------------------------------------------------------
# Column kinds: how values of a dtype become hashable keys and come back
# ------------------------------------------------------------------------------------------

def column_kind(dtype, name: str) -> str:
    """``"string"``, ``"int"``, ``"bool"``, ``"float"`` or ``"temporal"``; SchemaError otherwise."""
    if dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum)) or dtype == pl.Null:
        return "string"
    if dtype == pl.Binary:  # bytes (a NumPy 'S' array, or an object array of bytes)
        return "binary"
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


def keys(s: pl.Series, kind: str):
    """What the factorizer hashes for a Series of ``kind`` (no copy for strings and integers)."""
    if kind == "string":
        # Categorical/Enum as String: the factorizer cannot yet take a dictionary of string_view
        return s if s.dtype == pl.String else s.cast(pl.String)
    if kind == "int":
        return s
    if kind == "binary":
        return _as_text(s.to_arrow())
    if kind == "bool":
        return s.cast(pl.Int8)
    if kind == "temporal":
        return s.to_physical()
    # float: NaN is missing (as in scikit-learn) and -0.0 is 0.0; the key is the bit pattern
    f = s.cast(pl.Float64).to_numpy() + 0.0
    mask = np.isnan(f)
    return pa.array(f.view(np.int64), mask=mask if mask.any() else None)


def _as_text(arr) -> pa.Array:
    """A binary Arrow array viewed as ``large_string`` (no copy, no UTF-8 check): the factorizer
    hashes the bytes of strings, so bytes are keys as they are."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_large_binary(arr.type):
        arr = arr.cast(pa.large_binary())
    return pa.Array.from_buffers(pa.large_string(), len(arr), arr.buffers(), arr.null_count, arr.offset)


def _as_bytes(arr: pa.Array) -> pa.Array:
    """The inverse view of :func:`_as_text`."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.large_string())
    return pa.Array.from_buffers(pa.large_binary(), len(arr), arr.buffers(), arr.null_count, arr.offset)


def values_from_uniques(uniques: pa.Array, kind: str, vdtype) -> pl.Series:
    """The distinct keys :func:`tabprep.kernels.factorize` returned, as values of ``vdtype``
    (a null among them stays null)."""
    if kind == "binary":
        return pl.Series("", _as_bytes(uniques), dtype=pl.Binary)
    if kind == "float":
        mask = np.asarray(uniques.is_null()) if uniques.null_count else None
        if mask is not None:
            uniques = uniques.fill_null(0)
        bits = uniques.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        return pl.Series("", pa.array(bits.view(np.float64), mask=mask), dtype=pl.Float64)
    return series_from_arrow("", uniques, vdtype)


_KIND_TEXT = {"string": "strings (String, Categorical or Enum)", "binary": "bytes (Binary)", "int": "integers",
              "bool": "booleans",
              "float": "numbers", "temporal": "{} values"}


def conform(s: pl.Series, kind: str, vdtype, owner: str) -> pl.Series:
    """An input column made comparable with categories of ``kind``/``vdtype`` (SchemaError if not).

    Examples
    --------
    >>> import polars as pl
    >>> conform(pl.Series("c", ["a"], dtype=pl.Categorical), "string", pl.String, "OrdinalEncoder").dtype
    Categorical
    >>> conform(pl.Series("c", [1, 2]), "float", pl.Float64, "TargetEncoder").to_list()  # cast when hashed
    [1, 2]
    >>> conform(pl.Series("c", [1, 2]), "string", pl.String, "TargetEncoder")
    Traceback (most recent call last):
    ...
    tabprep.errors.SchemaError: column 'c': TargetEncoder was fitted on strings (String, Categorical or Enum); found Int64. Hint: pass the column as strings (String, Categorical or Enum), as in fit
    """
    have = s.dtype
    cls = type(have)  # class tests: Polars dtype equality costs ~1 us, on the per-call path
    if cls is pl.Null:
        return s.cast(vdtype)
    if kind == "string":
        ok = cls is pl.String or cls is pl.Categorical or cls is pl.Enum
    elif kind == "int":
        ok = have.is_integer()  # integers compare by value across widths
    elif kind == "bool":
        ok = cls is pl.Boolean
    elif kind == "binary":
        ok = cls is pl.Binary
    elif kind == "float":
        ok = have.is_float() or have.is_integer()
    else:
        ok = have.is_temporal() and cls is type(vdtype)
    if not ok:
        what = _KIND_TEXT[kind].format(vdtype)
        raise SchemaError(f"{owner} was fitted on {what}", column=s.name, found=str(have),
                          hint=f"pass the column as {what}, as in fit")
    if kind == "temporal" and have != vdtype:
        return s.cast(vdtype)
    return s


#: Python types whose values the fitted dtype of a kind holds exactly (the dict-lookup paths):
#: any other value goes through a one-value Series and :func:`conform`.
_EXACT_TYPES = {"string": (str,), "binary": (bytes,), "int": (int,), "float": (float,), "bool": (bool,),
                "temporal": ()}


def factorize_column(s: pl.Series, kind: str, vdtype, *, null: str = "sentinel"):
    """``(first-seen int32 codes, distinct values as a Series of vdtype)`` of a column: one hash
    pass (:func:`tabprep.kernels.factorize`; ``null="code"`` gives missing values a code and a
    null among the values)."""
    from tabprep.kernels import factorize

    codes, uniques = factorize(keys(s, kind), null=null)
    return codes, values_from_uniques(uniques, kind, vdtype)


# ------------------------------------------------------------------------------------------
# Codes and the fitted categories of one column
# ------------------------------------------------------------------------------------------

class Codes:
    """Canonical codes of one column: ``k`` for the k-th category, -1 missing, -2 unknown.

    Either plain (``raw`` holds them) or the first-seen codes of a fit with a ``table`` turning
    ``raw + 1`` into canonical codes (``present`` marks the table entries that occur): lookups
    then compose that table with the output table, a table the size of the categories, so no
    canonical array of the column's length is written.
    """

    def __init__(self, raw, table: np.ndarray | None = None, present: np.ndarray | None = None,
                 low: int | None = None):
        # raw may be a Python list (a small batch's codes): it becomes an array only if asked to
        self._raw, self.table, self.present, self._low = raw, table, present, low

    @property
    def raw(self) -> np.ndarray:
        if isinstance(self._raw, list):
            self._raw = np.array(self._raw, dtype=np.int32)
        return self._raw

    def __len__(self) -> int:
        return len(self._raw)

    def known_min(self) -> int | None:
        """The smallest code if it is known without a pass (a small batch's), else None."""
        return self._low

    def min(self) -> int:
        if self._low is None:
            values = self.raw if self.table is None else self.table[self.present]
            self._low = int(values.min()) if len(values) else 0
        return self._low

    def tolist(self) -> list:
        """The canonical codes as a Python list (the per-value output paths)."""
        return self._raw if isinstance(self._raw, list) else self.canonical().tolist()

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


class Cats:
    """The categories of one column, in output order, with their training counts.

    ``values`` holds the non-null categories; ``has_null`` says whether null is a category too
    (it then comes after them); ``counts`` has ``len(values) + has_null`` entries (None where an
    encoder keeps no counts).
    """

    def __init__(self, name, kind, vdtype, values: pl.Series, has_null: bool, counts=None, n_rows: int = 0):
        self.name, self.kind, self.vdtype = name, kind, vdtype
        self.values = values.rename(name) if values.dtype == vdtype else values.cast(vdtype).rename(name)
        self.has_null = bool(has_null)
        self.exact = _EXACT_TYPES[kind]
        self.counts = None if counts is None else np.asarray(counts, dtype=np.int64)
        self.n_rows = int(n_rows)
        self._vocab = None
        self._index = None
        self._numpy = None
        # first-seen position -> canonical code, kept from fit until fit_transform used it
        self.from_seen = None

    def __len__(self) -> int:
        return len(self.values)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_vocab"] = state["_index"] = None  # rebuilt on first use (the vocabulary is compiled)
        state["from_seen"] = None
        return state

    @property
    def vocab(self):
        if self._vocab is None:
            from tabprep.kernels import Vocabulary

            self._vocab = Vocabulary(keys(self.values, self.kind))
        return self._vocab

    @property
    def index(self) -> dict:
        """``{category: code}`` for the per-value paths."""
        if self._index is None:
            self._index = {v: k for k, v in enumerate(self.values.to_list())}
        return self._index

    def encode(self, s: pl.Series) -> Codes:
        """Canonical codes of an (already conformed) Series: k, -1 missing, -2 unseen."""
        if len(s) <= SMALL_BATCH and self.kind != "temporal":
            # Python values of these kinds compare as their keys do (floats once they are
            # Float64: -0.0 == 0.0, NaN is missing); temporal values may be finer than Python's
            if self.kind == "float" and type(s.dtype) is not pl.Float64:
                s = s.cast(pl.Float64)
            index = self.index
            codes = [-1 if v is None or v != v else index.get(v, -2) for v in s.to_list()]
            return Codes(codes, low=min(codes, default=0))
        return Codes(self.vocab.encode(keys(s, self.kind), unknown=-2, null="sentinel"))

    def code_of(self, value, owner: str) -> int:
        """Canonical code of one Python value, as :meth:`encode` gives it in a column.

        Examples
        --------
        >>> import polars as pl
        >>> cats = Cats("c", "float", pl.Float64, pl.Series([0.0, 2.5]), has_null=False)
        >>> [cats.code_of(v, "encoder") for v in (2.5, -0.0, 0, float("nan"), None, 7.0)]
        [1, 0, 0, -1, -1, -2]
        """
        if value is None:
            return -1
        if type(value) in self.exact:
            return -1 if value != value else self.index.get(value, -2)
        if is_nan_like(value):
            return -1
        s = conform(pl.Series(self.name, [value]), self.kind, self.vdtype, owner)
        return self.encode(s).tolist()[0]

    def as_numpy(self) -> np.ndarray:
        """scikit-learn's ``categories_[i]``: object array for text; ``nan`` (the missing marker
        pandas gives scikit-learn for text and numbers alike) last when missing is a category."""
        if self._numpy is None:
            self._numpy = self._to_numpy()
        return self._numpy

    def _to_numpy(self) -> np.ndarray:
        if self.kind in ("string", "binary"):
            return np.array(self.values.to_list() + ([np.nan] if self.has_null else []), dtype=object)
        values = self.values.to_numpy()
        if self.has_null:
            if self.kind == "float":
                return np.append(values, np.nan)
            return np.array(self.values.to_list() + [np.nan], dtype=object)
        return values


# ------------------------------------------------------------------------------------------
# Refused values: the errors every encoder words alike
# ------------------------------------------------------------------------------------------

def first_row(mask: np.ndarray) -> int:
    return int(np.argmax(mask))


def unknown_error(column, row: int | None, value, fix: str) -> DataError:
    return DataError("value is not in the vocabulary", column=column, row=row,
                     found="null" if value is None else repr(value), hint=f"it was not seen during fit; {fix}")


def missing_error(column, row: int | None, fix: str) -> DataError:
    return DataError("a categorical column has a missing value (null or NaN) and handle_missing='error'",
                     column=column, row=row, hint=fix)


# ------------------------------------------------------------------------------------------
# The shared step: the transform side of every categorical encoder
# ------------------------------------------------------------------------------------------

#: What the output side needs to know of an in-memory Polars input (its kind), without the lazy
#: frame :func:`~tabprep.io._dispatch.coerce` would build.
_POLARS_FRAME = Coerced(None, "polars")


class CategoricalEncoder(Step):
    """Base of the categorical encoders (not registered): fitted :class:`Cats` in ``_cats``, the
    one path from input columns to checked codes, the output container.

    A subclass fits ``_cats``, says which codes it refuses (:meth:`_unknown_fix`,
    :meth:`_missing_fix`, ``_null_is_unknown``) and writes outputs from codes in :meth:`_output`
    (eager) and ``transform_exprs`` (lazy, through :meth:`_batch_codes`).
    """

    #: whether a missing value in a column that had none in fit is an unknown value (scikit-learn's
    #: ordinal and one-hot encoders) rather than a missing one
    _null_is_unknown: ClassVar[bool] = False

    def _array_params(self) -> dict:
        return {"array_dtype": None, "ensure_all_finite": "allow-nan"}

    def _note_input(self, X) -> None:
        """Remember a fixed-width bytes input's dtype (a NumPy ``'S'`` array): scikit-learn's
        ``categories_`` of such input have that dtype."""
        self._bytes_dtype = X.dtype.str if isinstance(X, np.ndarray) and X.dtype.kind == "S" else None

    def _sk_categories(self, values: np.ndarray) -> np.ndarray:
        """``values`` (one column's categories as :meth:`Cats.as_numpy` gives them) in the dtype
        scikit-learn's ``categories_`` has for this input: fixed-width bytes for an 'S' array."""
        dt = self.__dict__.get("_bytes_dtype")
        if dt and values.dtype == object and all(isinstance(v, bytes) for v in values):
            return values.astype(dt)
        return values

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

    def _owner(self) -> str:
        return type(self).__name__

    # ---------------------------------------------------------------- policy hooks
    def _unknown_fix(self) -> str | None:
        """The hint of the error for a value not seen in fit, or None when such values are encoded."""
        return None

    def _missing_fix(self) -> str | None:
        """The hint of the error for a missing value, or None when missing values are encoded."""
        return None

    def _refusal(self, i: int, code: int):
        """``(error, hint)`` if the encoder refuses the negative canonical ``code`` in column ``i``
        (error ``"unknown"`` or ``"missing"``), else None."""
        if code == -1 and not (self._null_is_unknown and not self._cats[i].has_null):
            fix = self._missing_fix()
            return ("missing", fix) if fix else None
        fix = self._unknown_fix()
        return ("unknown", fix) if fix else None

    def _refused(self, i: int, canon: np.ndarray) -> np.ndarray | None:
        """Mask of the rows whose canonical code the encoder refuses (None: it refuses none)."""
        bad = None
        for code in (-2, -1):
            if self._refusal(i, code):
                hit = canon == code
                bad = hit if bad is None else bad | hit
        return bad

    def _raise(self, i: int, code: int, column, row: int | None, value):
        error, fix = self._refusal(i, code)
        if error == "missing":
            raise missing_error(column, row, fix)
        raise unknown_error(column, row, None if code == -1 else value, fix)

    def _check(self, i: int, codes: Codes, s: pl.Series, exact: bool = True, flag: bool = False) -> bool:
        """Raise on the first value the encoder refuses (naming its row when ``exact``: in a lazy
        batch the row would be the batch's); with ``flag``, return whether the column had unknown
        values."""
        known = codes.known_min()
        if not len(codes) or (known is not None and known >= 0):
            return False  # (a small batch's minimum is known: the serving path stops here)
        if not (flag or self._refusal(i, -2) or self._refusal(i, -1)):
            return False  # (no pass over the codes when nothing can be refused)
        low = codes.min()
        if low >= 0:
            return False
        # a -1 may hide under a -2 minimum: look when missing values are refused
        if (low == -2 and self._refusal(i, -2)) or self._refusal(i, -1):
            canon = codes.canonical()
            bad = self._refused(i, canon)
            if bad.any():
                row = first_row(bad)
                self._raise(i, int(canon[row]), s.name, row if exact else None, s[row])
        return low == -2 or (low == -1 and self._null_is_unknown and not self._cats[i].has_null)

    def _check_value(self, i: int, code: int, value, name: str) -> None:
        """:meth:`_check` of one value (the dict path)."""
        if code < 0 and self._refusal(i, code):
            self._raise(i, code, name, None, value)

    # ---------------------------------------------------------------- the semantic path
    def _codes(self, i: int, s: pl.Series) -> Codes:
        """Canonical codes of input column ``i`` (conformed to the fitted dtype)."""
        cats = self._cats[i]
        return cats.encode(conform(s, cats.kind, cats.vdtype, self._owner()))

    def _batch_codes(self, i: int, s: pl.Series) -> Codes:
        """:meth:`_codes` of a lazy batch, checked (rows unnamed: ``explain_failure`` names them)."""
        codes = self._codes(i, s)
        self._check(i, codes, s, exact=False)
        return codes

    def _columns(self, X, data) -> list[pl.Series]:
        """The fitted input columns of an eager input, in fit order."""
        if data is _POLARS_FRAME:
            try:
                return [X.get_column(n) for n in self._input_names()]
            except pl.exceptions.ColumnNotFoundError:
                missing = next(n for n in self._input_names() if n not in X.columns)
                raise SchemaError(f"{self._owner()} was fitted with this column but the data lacks it",
                                  column=missing, hint="pass the same columns as in fit") from None
        return self._align(data).collect().get_columns()

    def transform(self, X):
        """Transform ``X``; the output container follows the input unless ``set_output`` says so."""
        self._check_fitted()
        if isinstance(X, pl.DataFrame) and hasattr(self, "feature_names_in_"):
            # an in-memory Polars frame goes straight to its columns: no query plan (it would
            # cost more than the encoding of a serving-size frame)
            data = _POLARS_FRAME
        else:
            data = self._coerce(X)
            if data.kind in ("lazy", "path"):
                return super().transform(X)
        columns = self._columns(X, data)
        return self._output(columns, [self._codes(i, s) for i, s in enumerate(columns)], data)

    def _wrap(self, out: np.ndarray, names: list[str], data, *, null_nan: bool = False, polars_dtypes=None):
        """Give a 2-D output in the input's container; NaN becomes null in Polars with ``null_nan``."""
        return wrap(out, names, data, self._output_config(), null_nan=null_nan, polars_dtypes=polars_dtypes)

    # ---------------------------------------------------------------- table outputs
    # Most encoders (ordinal, count, target, WoE) write each output column through one table per
    # input column and output, read at canonical code + 2 (``self._tables[i][j]``); the one-hot
    # encoder writes indicator blocks and overrides these.

    def _layout(self) -> tuple[bool, object]:
        """``(NaN is null in frame outputs, Polars dtype of the outputs)``."""
        raise NotImplementedError

    def _output(self, columns: list[pl.Series], codes: list[Codes], data):
        null_nan, dtype = self._layout()
        names = self._names_out([s.name for s in columns])
        n = len(columns[0]) if columns else 0
        for i, s in enumerate(columns):
            self._check(i, codes[i], s)
        if data is _POLARS_FRAME and n <= SMALL_BATCH and columns and self._output_config() == "default":
            # serving-size frames: the values straight into Polars (no matrix to import, ~10 us)
            own = type(polars_dtype(self._tables[0][0].dtype))  # (Polars builds from a class 2x faster)
            cast = own != dtype
            out, k = [], 0
            for i in range(len(columns)):
                at = codes[i].tolist()
                for table in self._tables[i]:
                    values = [table.item(c + 2) for c in at]
                    if null_nan:
                        values = [None if v != v else v for v in values]
                    series = pl.Series(names[k], values, dtype=own)
                    out.append(series.cast(dtype) if cast else series)
                    k += 1
            df = out[0].to_frame()  # (pl.DataFrame(out) costs ~5 us more)
            return df.hstack(out[1:]) if len(out) > 1 else df
        width = sum(len(t) for t in self._tables)
        out = np.empty((n, width), dtype=self._tables[0][0].dtype if width else np.float64, order="F")
        k = 0
        for i in range(len(columns)):
            for table in self._tables[i]:
                codes[i].lookup(table, out=out[:, k])
                k += 1
        return self._wrap(out, names, data, null_nan=null_nan, polars_dtypes=[dtype] * width)

    def _batch_out(self, i: int, s: pl.Series) -> np.ndarray:
        codes = self._batch_codes(i, s)
        tables = self._tables[i]
        out = np.empty((len(s), len(tables)), dtype=tables[0].dtype, order="F")
        for j, table in enumerate(tables):
            codes.lookup(table, out=out[:, j])
        return out

    def _output_series(self, name: str, values: np.ndarray) -> pl.Series:
        null_nan, dtype = self._layout()
        out = pl.Series(name, values)
        if null_nan and values.dtype.kind == "f":
            out = out.fill_nan(None)
        return out if out.dtype == dtype else out.cast(dtype)

    def _udf(self, i: int, s: pl.Series) -> pl.Series:
        return self._output_series(s.name, self._batch_out(i, s)[:, 0])

    def _columns_of(self, i: int, s: pl.Series) -> list:
        """One batch of input column ``i`` with several outputs (multiclass): each output column."""
        out = self._cache.get(i, s, partial(self._batch_out, i))
        return [self._output_series(s.name, out[:, j]) for j in range(out.shape[1])]

    def transform_exprs(self, schema) -> list:
        """Per input column, a compiled lookup of each batch (``map_batches``, elementwise:
        streams batch by batch); a column with several outputs (multiclass) gives them as one
        struct per batch, unnested, so each batch is looked up once (see ``unnested_outputs``)."""
        self._check_fitted()
        dtype = self._layout()[1]
        names = self._input_names()
        out_names = iter(self._names_out(names))
        exprs = []
        for i, name in enumerate(names):
            k = len(self._tables[i])
            if k == 1:
                exprs.append(pl.col(name).map_batches(partial(self._udf, i), return_dtype=dtype, is_elementwise=True)
                             .alias(next(out_names)))
            else:
                exprs.append(unnested_outputs(name, [next(out_names) for _ in range(k)], dtype,
                                              partial(self._columns_of, i)))
        return exprs

    def output_schema(self, schema):
        dtype = self._layout()[1]
        return pl.Schema({n: dtype for n in self._names_out(self._input_names())})

    # ---------------------------------------------------------------- errors of lazy transforms
    def _bad_rows(self, i: int, s: pl.Series) -> pl.Series:
        """Which rows of a batch :meth:`_check` refuses (the filter of :meth:`explain_failure`)."""
        return pl.Series(s.name, self._refused(i, self._codes(i, s).canonical()))

    def explain_failure(self, lf, schema):
        """After a refused value in a lazy transform (whose batches cannot know their row): the
        same error, naming the row."""
        if "_cats" not in self.__dict__:
            return None
        for i, name in enumerate(self._input_names()):
            if name not in schema or not (self._refusal(i, -2) or self._refusal(i, -1)):
                continue
            flag = pl.col(name).map_batches(partial(self._bad_rows, i), return_dtype=pl.Boolean, is_elementwise=True)
            try:
                found = (lf.select(pl.col(name), flag.alias("__bad__")).with_row_index("__row__")
                         .filter(pl.col("__bad__")).head(1).collect())
            except (TabprepError, pl.exceptions.PolarsError):  # the input itself fails
                return None
            if found.height:
                s = found.get_column(name)
                try:
                    self._check(i, self._codes(i, s), s)
                except DataError as err:
                    return DataError(err.message, column=err.column, row=int(found["__row__"][0]),
                                     found=err.found, hint=err.hint)
        return None
