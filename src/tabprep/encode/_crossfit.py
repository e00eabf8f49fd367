"""The machinery shared by the supervised (cross-fitted) encoders: target, folds, kernels, state.

How a fit runs (one column; every column repeats steps 2-4):

1. the target becomes a NumPy vector (0/1 int8, class indices, or floats), checked once;
   each row gets a fold id (int8) from ``cv``;
2. the strings (or integers) become int32 codes (:func:`tabprep.kernels.factorize`), in a
   worker thread on big inputs, overlapping step 1 (both run compiled code without the GIL);
3. one pass over the rows adds each row to its (category, fold) cell: rows, weight, weighted
   target sums (a second pass adds the M2 of a continuous target for ``smooth="auto"``);
4. per category, the training statistics of every fold (all folds but that one) are merged,
   turned into encodings, and one gather pass writes every row's out-of-fold value in place.

Transform: the compiled path (vocabulary lookup + gather) for eager frames, Polars
``replace_strict`` expressions for LazyFrames, Python dict lookups for a dict or a few rows.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep.io._dispatch import as_series
from tabprep._base.params import Constraint
from tabprep._base.step import Step

__all__ = ["CrossFitEncoder", "CVConstraint"]

# Frames with at most this many rows are transformed through Python dict lookups (no hash
# table probe set-up, no output allocation through NumPy): the serving path.
_SMALL_BATCH = 16


class CVConstraint(Constraint):
    """``cv``: an int >= 2, a fold column name, a splitter (``.split``) or an iterable of splits."""

    def is_satisfied_by(self, value) -> bool:
        if value is None or isinstance(value, str):
            return True
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return value >= 2
        return hasattr(value, "split") or (hasattr(value, "__iter__") and not isinstance(value, (dict, bytes)))

    def __str__(self) -> str:
        return ("an int >= 2, a fold column name, a cross-validation splitter (an object with "
                "`split`), an iterable of (train, test) index arrays, or None")


# ------------------------------------------------------------------------------------------
# Inputs: the target, the folds, the category columns
# ------------------------------------------------------------------------------------------

@dataclass
class _Target:
    values: np.ndarray          # int8 0/1, int32 class index, or float32/float64
    kind: str                   # "binary", "multiclass", "continuous"
    classes: np.ndarray | None  # sorted labels (classification)
    name: str | None            # column name for messages
    counts: np.ndarray | None = None  # rows per class (classification)

    @property
    def n_classes(self) -> int:
        """Number of one-vs-rest outputs for the kernels (0: one output)."""
        return len(self.classes) if self.kind == "multiclass" else 0



def _first_true(mask) -> int:
    return int(mask.arg_true()[0])


def _target_from(y, n: int, target_type: str, *, binary_only: bool = False, owner: str) -> _Target:
    """Check the target once and turn it into the vector the kernels read."""
    import polars as pl

    s = as_series(y, "y", "y")
    name = s.name or None
    if s.len() != n:
        raise DataError(f"the target has {s.len()} rows but X has {n}", column=name,
                        hint="pass one target value per row of X")
    if s.null_count():
        raise DataError("the target has a null", column=name, row=_first_true(s.is_null()),
                        hint="drop the rows without a target, or impute it, before encoding")
    dtype = s.dtype
    if dtype.is_float():
        bad = ~s.is_finite()
        if bad.any():
            row = _first_true(bad)
            raise DataError("the target must be finite", column=name, row=row, found=repr(s[row]),
                            hint="drop or fix rows whose target is NaN or infinite")
    if isinstance(dtype, (pl.Categorical, pl.Enum)):
        s = s.cast(pl.String)
        dtype = pl.String
    numeric = dtype.is_numeric()
    if not (numeric or dtype in (pl.Boolean, pl.String)):
        raise DataError("the target must be numeric, boolean or string labels", column=name, found=str(dtype))

    kind = target_type
    # Integer and boolean labels spanning at most two adjacent values (0/1, the common case)
    # need no unique(): two reductions tell the classes.
    narrow = None
    if (dtype.is_integer() or dtype == pl.Boolean) and n and kind in ("auto", "binary", "multiclass"):
        ints = s.cast(pl.Int8) if dtype == pl.Boolean else s
        lo, hi = ints.min(), ints.max()
        if hi - lo <= 1:
            narrow = (lo, hi)
    if kind == "auto":
        if narrow is not None:
            kind = "binary"
        elif dtype.is_float() and n and not bool((s == s.floor()).all()):
            kind = "continuous"
        else:
            kind = "binary" if s.n_unique() <= 2 else "multiclass"
    if binary_only:
        if kind == "continuous":
            raise DataError(f"{owner} needs a binary target", column=name,
                            found="a continuous target", hint="binarize the target first (e.g. y > threshold)")
        kind = "binary"

    if kind == "continuous":
        if not numeric:
            raise DataError("a continuous target must be numeric", column=name, found=str(dtype),
                            hint="pass target_type='binary' or 'multiclass' for labels")
        if dtype not in (pl.Float32, pl.Float64):
            s = s.cast(pl.Float64)
        return _Target(s.to_numpy(), "continuous", None, name)

    if narrow is not None and kind == "binary":
        lo, hi = narrow
        if dtype in (pl.Int8, pl.UInt8, pl.Boolean) and lo == 0 and hi == 1:
            values = s.to_numpy()  # already the 0/1 index: no copy
            values = values.view(np.int8) if values.dtype != np.int8 else values
        else:
            values = (s == hi).cast(pl.Int8).to_numpy() if hi != lo else np.zeros(n, dtype=np.int8)
        labels = [lo, hi] if hi != lo else [lo]
        classes = pl.Series(labels, dtype=pl.Int64 if dtype != pl.Boolean else pl.Int8)
        classes = classes.cast(dtype).to_numpy()
        positives = int(np.count_nonzero(values))
        counts = np.array([n - positives, positives]) if hi != lo else np.array([n])
        return _Target(values, "binary", classes, name, counts)
    classes = s.unique().sort()
    if kind == "binary":
        if classes.len() > 2:
            found = f"{classes.len()} classes" + (f" ({classes.head(5).to_list()}...)" if classes.len() > 5
                                                  else f" {classes.to_list()}")
            raise DataError(f"{owner} with a binary target needs at most 2 classes", column=name, found=found,
                            hint=("WoE is defined for binary targets only" if binary_only
                                  else "use target_type='multiclass' (one output per class)"))
        if classes.len() == 2 and classes.to_list() == [0, 1] and dtype in (pl.Int8, pl.Boolean, pl.UInt8):
            values = s.to_numpy()  # already the 0/1 index: no copy
            values = values.view(np.int8) if values.dtype != np.int8 else values
        else:
            values = (s == classes[-1]).cast(pl.Int8).to_numpy() if classes.len() == 2 \
                else np.zeros(n, dtype=np.int8)
        positives = int(np.count_nonzero(values))
        counts = np.array([n - positives, positives]) if classes.len() == 2 else np.array([n])
        return _Target(values, "binary", classes.to_numpy(), name, counts)
    # multiclass: class index of each row
    values = s.replace_strict(classes, pl.int_range(classes.len(), eager=True), return_dtype=pl.Int32).to_numpy()
    return _Target(values, "multiclass", classes.to_numpy(), name, np.bincount(values, minlength=classes.len()))


def _as_weights(sample_weight, n: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Real) and not isinstance(sample_weight, bool):
        return np.full(n, float(sample_weight))
    s = as_series(sample_weight, "sample_weight", "sample_weight")
    if s.len() != n:
        raise DataError(f"sample_weight has {s.len()} values but X has {n} rows")
    if not s.dtype.is_numeric():
        raise DataError("sample_weight must be numeric", found=str(s.dtype))
    if s.null_count():
        raise DataError("sample_weight has a null", column=s.name or None, row=_first_true(s.is_null()))
    return np.ascontiguousarray(s.to_numpy(), dtype=np.float64)


def _check_weights(weight: np.ndarray) -> None:
    from tabprep.kernels._target import check_target_rows

    _, bad, _ = check_target_rows(np.empty(0), weight=weight)
    if bad >= 0:
        raise DataError("sample_weight must be finite and >= 0", row=bad, found=repr(float(weight[bad])))
    if len(weight) and not weight.any():
        raise DataError("sample_weight sums to zero: there is nothing to fit",
                        hint="give some rows a positive weight")


def _fold_ids(cv, *, n: int, target: _Target, df, groups, shuffle: bool, seed, owner: str):
    """One int8 fold id per row from ``cv``, and the number of folds."""
    import polars as pl

    from tabprep.kernels._split import MAX_FOLDS

    if cv is None:
        cv = 5
    if groups is not None and not hasattr(cv, "split"):
        raise ConfigError(f"{owner}: groups are only used by a splitter given as cv",
                          hint="pass cv=GroupKFold(...) (or a fold column built from the groups)")
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        k = int(cv)
        if k > n:
            raise ConfigError(f"{owner}: cv={k} folds need at least {k} rows", found=f"{n} rows",
                              hint="lower cv or pass more rows")
        if k > MAX_FOLDS:
            raise ConfigError(f"{owner}: at most {MAX_FOLDS} folds are supported", found=k)
        from tabprep.split import kfold_ids, stratified_kfold_ids

        seed = 0 if seed is None else seed
        folds = None
        if target.kind != "continuous":
            counts = target.counts[target.counts > 0]
            # stratify when every class can be spread over all folds (scikit-learn would warn
            # and stratify as it can; plain k-fold is the honest fallback)
            if len(counts) >= 2 and counts.min() >= k:
                folds = stratified_kfold_ids(target.values, k, shuffle=shuffle, seed=seed)
        if folds is None:
            folds = kfold_ids(n, k, shuffle=shuffle, seed=seed)
        return np.ascontiguousarray(np.asarray(folds), dtype=np.int8), k
    if isinstance(cv, str):
        if cv not in df.columns:
            raise SchemaError(f"{owner}: the fold column given as cv is not in X", column=cv,
                              hint=f"columns are {df.columns[:10]}")
        col = df.get_column(cv)
        if col.null_count():
            raise DataError("the fold column has a null", column=cv, row=_first_true(col.is_null()))
        uniques = col.unique().sort()
        k = uniques.len()
        if k < 2:
            raise DataError("the fold column needs at least 2 distinct folds", column=cv, found=k)
        if k > MAX_FOLDS:
            raise DataError(f"the fold column has more than {MAX_FOLDS} folds", column=cv, found=k)
        folds = col.replace_strict(uniques, pl.int_range(k, eager=True), return_dtype=pl.Int8)
        return np.ascontiguousarray(folds.to_numpy()), k
    # a splitter (sklearn-style) or an iterable of (train, test)
    if hasattr(cv, "split"):
        # split() only needs X's length; y (class indices stratify like the labels) and groups
        placeholder = np.broadcast_to(np.float32(0), (n, 1))
        splits = cv.split(placeholder, target.values, groups)
    else:
        splits = cv
    folds = np.full(n, -1, dtype=np.int8)
    seen = np.zeros(n, dtype=np.int32)
    in_train = np.zeros(n, dtype=bool)
    k = 0
    for train, test in splits:  # consumed once; no split is kept
        if k == MAX_FOLDS:
            raise ConfigError(f"{owner}: cv gives more than {MAX_FOLDS} splits")
        train, test = np.asarray(train), np.asarray(test)
        in_train[:] = False
        in_train[train] = True
        # cross fitting trains fold k's encoding on every row outside it: train = complement
        if in_train[test].any() or int(in_train.sum()) != len(train) or len(train) + len(test) != n:
            raise ConfigError(f"{owner}: split {k} of cv does not train on exactly the rows outside "
                              "its validation fold", hint="cross fitting needs train = all other rows "
                              "(KFold, StratifiedKFold, GroupKFold, a fold column...)")
        folds[test] = k
        np.add.at(seen, test, 1)
        k += 1
    if k < 2:
        raise ConfigError(f"{owner}: cv must give at least 2 splits", found=k)
    if not (seen == 1).all():
        row = int(np.flatnonzero(seen != 1)[0])
        raise ConfigError(
            f"{owner}: the validation folds of cv must cover each row exactly once",
            row=row, found=f"a row in {int(seen[row])} validation folds",
            hint="pass a splitter with non-overlapping validation folds (KFold, StratifiedKFold, "
                 "GroupKFold, a fold column...)")
    return folds, k


def _category_values(s):
    """(values factorize accepts, how to turn its uniques back into the column's dtype).

    Strings, Categorical/Enum and integers go as they are; booleans as int8; temporal types as
    their physical integers; floats as the int64 bit pattern of the value with NaN as null (as
    scikit-learn, NaN is a missing value) and -0.0 as 0.0.
    """
    import polars as pl

    dtype = s.dtype
    if dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum)) or dtype.is_integer():
        return s, None
    if dtype == pl.Boolean:
        return s.cast(pl.Int8), pl.Boolean
    if dtype.is_temporal():
        return s.to_physical(), dtype
    if dtype.is_float():
        return _float_bits(s.cast(pl.Float64).fill_nan(None)), "float"
    if dtype == pl.Null:
        return s.cast(pl.Int8), pl.Null
    raise SchemaError("cannot encode a column of this dtype as categories", column=s.name,
                      found=str(dtype), hint="cast it to String or an integer type first")


def _float_bits(f):
    import polars as pl
    import pyarrow as pa

    mask = f.is_null().to_numpy()
    # NumPy adds IEEE-wise (-0.0 + 0.0 == +0.0: one category); Polars folds "+ 0.0" away
    bits = (f.fill_null(0.0).to_numpy() + 0.0).view(np.int64)
    return pl.Series(f.name, pa.array(bits, mask=mask if mask.any() else None))


def _decode_uniques(uniques, back, name: str):
    """The uniques from factorize as a Polars Series of the column's own dtype."""
    import polars as pl
    import pyarrow as pa

    if isinstance(back, str):  # "float": int64 bit patterns back to float64
        mask = np.asarray(uniques.is_null())
        bits = uniques.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        return pl.Series(name, pa.array(bits.view(np.float64), mask=mask if mask.any() else None))
    s = pl.Series(name, uniques)
    return s if back is None else s.cast(back)


_PARALLEL_ROWS = 200_000  # below this, threads cost more than they save


class _LazyMatrix:
    """A Fortran-ordered float64 matrix allocated on first use."""

    def __init__(self, shape) -> None:
        self.shape, self._m = shape, None

    def get(self) -> np.ndarray:
        if self._m is None:
            self._m = np.empty(self.shape, dtype=np.float64, order="F")
        return self._m


def _expand_counts(stats: np.ndarray) -> np.ndarray:
    """uint32 ``[rows, sums...]`` cells back to float64 ``[rows, W, sums...]`` (W == rows)."""
    if stats.dtype == np.float64:
        return stats
    s = stats.astype(np.float64)
    return np.concatenate([s[..., :1], s], axis=-1)


def _pool(n_rows: int, n_columns: int):
    from tabprep._config import JobGroup, idle_threads

    # Overlap only with a core really idle: two busy vCPUs factorizing and assigning folds at
    # once slow each other down. Without one the jobs run as their results are asked for, in
    # this thread, so errors come in the same order either way.
    idle = idle_threads(n_columns + 1) if n_rows >= _PARALLEL_ROWS else 1
    return JobGroup(workers=idle - 1)


def _submit(pool, fn, *args):
    return fn(*args) if pool is None else pool.submit(fn, *args)


def _result(value):
    return value.result() if hasattr(value, "result") else value


# ------------------------------------------------------------------------------------------
# The cross-fitting encoder base
# ------------------------------------------------------------------------------------------

class CrossFitEncoder(Step, auto_wrap_output_keys=None):
    """Shared machinery of the supervised encoders: target, folds, kernels, state, transform.

    Subclasses set ``_binary_only`` and implement ``_rule(target) -> (mode, param, moments,
    ignore_singletons)`` (the :func:`tabprep.kernels._target.encoding_table` rule) and
    ``_unknown_value(prior)``.

    Fit-time statistics are per (category, fold) sums: a ``group_by``, not a one-row
    aggregation, so the lazy ``fit_exprs`` protocol cannot carry them. In a
    :class:`~tabprep.Pipeline` the step fits through the table hook (``fits_on_table``): the
    planner buffers the input columns, the target and the fold column (``cv`` given as a name)
    in its pass and calls :meth:`fit_table`, which runs the same kernels as ``fit`` /
    ``fit_transform`` (``cross_fit = True``: ``Pipeline.fit_transform`` gets the out-of-fold
    values of the training rows).
    """

    uses_target: ClassVar[bool] = True
    mergeable: ClassVar[bool] = False
    fits_on_table: ClassVar[bool] = True
    cross_fit: ClassVar[bool] = True
    _binary_only: ClassVar[bool] = False

    # ---------------------------------------------------------------- subclass hooks
    def _rule(self, target: _Target) -> tuple[str, float, bool, bool]:
        raise NotImplementedError

    def _unknown_value(self, prior: np.ndarray) -> np.ndarray:
        """Encoding of unseen categories for the given per-output prior."""
        raise NotImplementedError

    def _target_type(self) -> str:
        return "auto"

    def _after_fit(self, full_stats: list[np.ndarray], totals: np.ndarray) -> None:
        """Extra fitted attributes from the full-fit statistics (sorted category order)."""

    # ---------------------------------------------------------------- sklearn face
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    def _array_params(self) -> dict:
        # object arrays (strings) stay object: they are categories, not numbers
        return {"array_dtype": None, "ensure_all_finite": "allow-nan"}

    def fit_exprs(self, schema, columns, target):
        raise ConfigError(
            f"{type(self).__name__} has no one-row statistics: it fits on a table (fit_table)",
            hint=f"put it in a tabprep Pipeline, or call {type(self).__name__}(...).fit_transform(X, y)")

    def fit_columns(self, columns, target) -> list[str]:
        """The fold column when ``cv`` names one (read by :meth:`fit_table`)."""
        return [self.cv] if isinstance(self.cv, str) else []

    def fit_table(self, frame, columns, target, *, cross_fit: bool = False):
        """Fit from the planner's buffered table: ``columns`` are the categorical inputs,
        ``target`` the label column, plus the fold column when ``cv`` names one.

        Returns the out-of-fold encodings of the rows (a Polars DataFrame, as
        :meth:`fit_transform` gives) when ``cross_fit``, else None (a full fit, as :meth:`fit`).
        """
        import polars as pl

        from tabprep._base.params import validate_params

        validate_params(self)
        owner = self._owner()
        if target is None:
            raise ConfigError(f"{owner} needs a target column",
                              hint="pass target=... to Pipeline.fit / fit_transform (or `target = ...` in the spec)")
        if isinstance(self.cv, str) and self.cv in columns:
            raise ConfigError(f"{owner}: the fold column given as cv is also selected as an input",
                              column=self.cv, hint="leave the fold column out of the step's columns")
        extra = [self.cv] if isinstance(self.cv, str) else []
        out = self._fit(frame.select([*columns, *extra]), frame.get_column(target), None, None,
                        cross_fit=cross_fit)
        if out is None or isinstance(out, pl.DataFrame):
            return out
        return pl.from_pandas(out) if not isinstance(out, pl.LazyFrame) else out.collect()

    def fit(self, X, y, sample_weight=None):
        """Fit the encodings on all rows (no cross fitting).

        ``fit(X, y).transform(X)`` leaks each row's own target into its encoding: for training
        rows use :meth:`fit_transform`.

        Parameters
        ----------
        X : Polars/pandas/pyarrow frame or 2-D array
            Every column is a categorical input (``y`` given as a column name is left out).
        y : array-like, Series, or the name of a column of ``X``
        sample_weight : array-like of float, optional

        Returns
        -------
        self
        """
        self._fit(X, y, sample_weight, None, cross_fit=False)
        return self

    def fit_transform(self, X, y, sample_weight=None, groups=None):
        """Fit on all rows and return each training row's out-of-fold encoding.

        Row ``i`` in fold ``f`` gets the encoding learnt on the rows of every other fold, with that
        training set's own mean as the prior, so no row sees its own target.

        Parameters
        ----------
        X, y, sample_weight
            As for :meth:`fit`.
        groups : array-like, optional
            Passed to ``cv.split`` when ``cv`` is a splitter that uses groups (``GroupKFold``).

        Returns
        -------
        Same container kind as ``X`` (a LazyFrame input gives a LazyFrame).
        """
        return self._fit(X, y, sample_weight, groups, cross_fit=True)

    def transform(self, X):
        """Encode with the full-fit encodings (unseen categories → ``handle_unknown``).

        ``X`` may also be a ``dict`` of one value per input column (a single row for serving):
        the result is then a ``dict`` of output name → float, computed by dict lookups.
        """
        self._check_fitted()
        if isinstance(X, dict):
            return self._transform_row(X)
        small = self._small_polars(X)
        if small is not None:
            return small
        from tabprep.io._dispatch import coerce, convert_output
        from tabprep._base.fit import collect_explained

        data = coerce(X, **self._array_params())
        lf = self._align(data)
        if data.kind in ("lazy", "path"):
            return convert_output(lf.select(self.transform_exprs(lf.collect_schema())), data,
                                  self._output_config())
        df = collect_explained(lf, lambda: [])
        if df.height <= _SMALL_BATCH:
            out = self._transform_small(df)
        else:
            out = self._transform_kernel(df)
        return self._wrap(out, data)

    def _small_polars(self, X):
        """The serving path for a few rows in a Polars DataFrame: no lazy plan, no NumPy output."""
        import polars as pl

        if not (isinstance(X, pl.DataFrame) and X.height <= _SMALL_BATCH and self._output_config() != "pandas"):
            return None
        names = self._input_names()
        have = set(X.columns)  # (X.schema costs more than the rest of a 1-row transform)
        if not hasattr(self, "feature_names_in_") or any(n not in have for n in names):
            return None  # positional columns or a missing one: the general path says why
        out_names = self._names_out(names)
        n_out = self._n_out
        cols: list[list] = [[] for _ in out_names]
        for i, name in enumerate(names):
            for value in X.get_column(name).to_list():
                for j, v in enumerate(self._encode_value(i, value, name)):
                    cols[i * n_out + j].append(None if v != v else v)
        return pl.DataFrame([pl.Series(n, c, dtype=pl.Float64) for n, c in zip(out_names, cols)])

    # ---------------------------------------------------------------- fitting
    def _owner(self) -> str:
        return type(self).__name__

    def _fit(self, X, y, sample_weight, groups, *, cross_fit: bool):
        from tabprep.kernels._target import target_stats, train_stats
        from tabprep.io._dispatch import coerce
        from tabprep._base.params import validate_params

        validate_params(self)
        data = coerce(X, **self._array_params())
        df = data.lf.collect()
        n = df.height
        if y is None:
            raise DataError(f"{self._owner()} requires y to be passed, but the target y is None",
                            hint="pass y to fit/fit_transform")
        if n == 0:
            raise DataError(f"{self._owner()}: no rows to fit on", found="0 rows")
        skip = set()
        if isinstance(y, str):
            if y not in df.columns:
                raise SchemaError("the target column is not in X", column=y)
            skip.add(y)
            y = df.get_column(y)
        if isinstance(self.cv, str):  # a fold column is never a feature
            skip.add(self.cv)
        columns = [c for c in df.columns if c not in skip]

        # Factorizing the columns (the costliest step) and preparing target and folds are
        # independent and both run compiled loops without the GIL: overlap them on big inputs.
        pool = _pool(n, len(columns))
        try:
            coded = [_submit(pool, self._codes, df.get_column(name)) for name in columns]
            target = _target_from(y, n, self._target_type(), binary_only=self._binary_only, owner=self._owner())
            weight = _as_weights(sample_weight, n)
            folds, k = None, 1
            if cross_fit:
                folds, k = _fold_ids(self.cv, n=n, target=target, df=df, groups=groups,
                                     shuffle=bool(self.shuffle), seed=self.random_state, owner=self._owner())
            if weight is not None:  # the target and folds are valid by construction
                _check_weights(weight)
            rule = self._rule(target)
            tot, tot_m2 = target_stats(None, 1, target.values, weight=weight, folds=folds, n_folds=k,
                                       n_classes=target.n_classes, moments=rule[2])
            totals, totals_m2 = train_stats(tot, tot_m2)
            # index f < k: the rows outside fold f (only with folds); index k: all rows
            empty = np.flatnonzero(totals[:, 0, 1] <= 0)
            empty = empty[empty >= (0 if cross_fit else k)]
            if len(empty):  # a fold holding every row (or all the weight): nothing to learn from
                f = int(empty[0])
                raise DataError(f"{self._owner()}: the training rows of fold {f} are empty or have zero weight"
                                if f < k else f"{self._owner()}: the rows have zero total weight",
                                hint="every fold needs training rows outside it: check cv / the fold column")
            n_out = max(target.n_classes, 1)
            # allocated just before the first gather, after that column's statistics are freed:
            # the output is the biggest array of the fit, so it should not overlap with them
            out = _LazyMatrix((n, len(columns) * n_out)) if cross_fit else None
            results = []
            for j, fut in enumerate(coded):
                results.append(self._fit_column(_result(fut), target, weight, folds, k, totals, totals_m2, rule,
                                                None if out is None else (out, j * n_out, (j + 1) * n_out)))
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

        for attr in ("feature_names_in_", "n_folds_", "fold_target_mean_", "_fold_raw", "_fold_cache"):
            self.__dict__.pop(attr, None)  # nothing from an earlier fit survives
        if data.named:
            self.feature_names_in_ = np.asarray(columns, dtype=object)
        self.n_features_in_ = len(columns)
        self.target_type_ = target.kind
        self.classes_ = target.classes
        prior_full = totals[k, 0, 2:] / totals[k, 0, 1]
        self.target_mean_ = prior_full if target.kind == "multiclass" else float(prior_full[0])
        self._n_out = n_out
        self._set_fitted([r["categories"] for r in results], [r["encodings"] for r in results],
                         [r["null_encoding"] for r in results], [r["null_seen"] for r in results])
        self._after_fit([r["full_stats"] for r in results], totals[k, 0])
        if cross_fit:
            self.n_folds_ = k
            means = totals[:k, 0, 2:] / totals[:k, 0, 1:2]
            self.fold_target_mean_ = means if target.kind == "multiclass" else means[:, 0]
            self._fold_raw = [r["fold_raw"] for r in results]
            return self._wrap(out.get(), data)
        return None

    def _fold_attributes(self) -> tuple[list, list]:
        cache = self.__dict__.get("_fold_cache")
        if cache is None:
            raw = self.__dict__.get("_fold_raw")
            if raw is None:
                raise AttributeError("the cross-fitting attributes exist after fit_transform (not fit)")
            # the categories in sorted order (as categories_), then the null slot
            orders = [np.append(order[:-1][self._perm(i)], order[-1]) for i, (_, _, order) in enumerate(raw)]
            stats = [_expand_counts(s[o]) for (s, _, _), o in zip(raw, orders)]
            encodings = [t[:, o, j] for (_, t, _), o in zip(raw, orders) for j in range(t.shape[2])]
            cache = self._fold_cache = (stats, encodings)
        return cache

    @property
    def fold_stats_(self) -> list:
        """Per input column, per-(category, fold) ``[rows, weight, weighted target sums...]``."""
        return self._fold_attributes()[0]

    @property
    def fold_encodings_(self) -> list:
        """Per output, ``(n_folds, n_categories)`` encodings learnt without each fold."""
        return self._fold_attributes()[1]

    def _codes(self, series):
        """Factorize one input column: (codes, uniques, decoder, null_seen, null_slot)."""
        from tabprep.kernels import factorize

        name = series.name
        if self.handle_missing == "error" and series.null_count():
            raise DataError("a categorical input has a null (handle_missing='error')", column=name,
                            row=_first_true(series.is_null()),
                            hint="impute it first, or pass handle_missing='category' or 'prior'")
        values, back = _category_values(series)
        if isinstance(back, str) and self.handle_missing == "error" and values.null_count():
            raise DataError("a categorical input has a NaN (handle_missing='error')", column=name,
                            row=_first_true(values.is_null()))
        codes, uniques = factorize(values, null="code")
        # Nulls always have a slot: their own (as seen in fit) or an empty one after the
        # categories, whose encoding is then the prior (an empty cell's).
        null_seen = uniques.null_count > 0
        null_slot = int(np.flatnonzero(np.asarray(uniques.is_null()))[0]) if null_seen else len(uniques)
        return codes, uniques, back, null_seen, null_slot, name

    def _fit_column(self, coded, target: _Target, weight, folds, k, totals, totals_m2, rule, out):
        from tabprep.kernels._target import encoding_table, gather_encodings, target_stats, train_stats

        codes, uniques, back, null_seen, null_slot, name = coded
        mode, param, moments, singletons = rule
        n_slots = len(uniques) + (0 if null_seen else 1)
        # unweighted class targets: uint32 [rows, sums...] cells (W == rows), a third the size
        stats, m2 = target_stats(codes, n_slots, target.values, weight=weight, folds=folds, n_folds=k,
                                 n_classes=target.n_classes, moments=moments,
                                 binary=target.kind == "binary", compact=True, check=False)
        train, train_m2 = train_stats(stats, m2)
        table = encoding_table(train, totals, mode=mode, param=param, train_m2=train_m2,
                               totals_m2=totals_m2, ignore_singletons=singletons, slot_major=True)
        unknown_slot = n_slots
        if self.handle_missing == "prior":
            table[:, null_slot] = table[:, unknown_slot]
        elif self.handle_missing == "null":
            table[:, null_slot] = np.nan

        # fitted state in first-seen order, null apart; sorting (scikit-learn's order) waits until
        # categories_ or the saved state is asked for: 100k strings take ~25 ms to sort
        cats = _decode_uniques(uniques, back, name)
        keep = np.ones(len(uniques), dtype=bool)
        if null_seen:
            keep[null_slot] = False
        order = np.flatnonzero(keep)
        res = {
            "categories": cats.gather(order),
            "encodings": table[k, order],
            "null_encoding": table[k, null_slot],
            "null_seen": null_seen,
            "full_stats": np.concatenate([train[k, order], train[k, [null_slot]]]),
        }
        del train, train_m2
        if out is not None:
            # turned into fold_stats_/fold_encodings_ only if they are read
            res["fold_raw"] = (stats, table[:k], np.append(order, null_slot))
            matrix, lo, hi = out
            gather_encodings(codes, table, folds=folds, out=matrix.get()[:, lo:hi], check=False)
        return res

    def _set_fitted(self, cats, encs, null_encs, null_seen) -> None:
        """Fitted attributes and the transform tables from sorted categories + encodings."""
        self._cats = cats                 # Polars Series per column (sorted, no null)
        self._encs = [np.ascontiguousarray(e, dtype=np.float64).reshape(len(c), self._n_out)
                      for e, c in zip(encs, cats)]
        self._null_encs = [np.asarray(v, dtype=np.float64).reshape(-1) for v in null_encs]
        self._null_seen = [bool(v) for v in null_seen]
        self._vocabs = [None] * len(cats)
        self._lookups = None
        self._row_names = None
        self._sk_cache = None
        self._perms = [None] * len(cats)

    def _perm(self, i: int) -> np.ndarray:
        """Positions of column ``i``'s categories in sorted order (cached)."""
        if self._perms[i] is None:
            c = self._cats[i]
            self._perms[i] = c.arg_sort().to_numpy() if c.len() else np.arange(0)
        return self._perms[i]

    def _sklearn_attributes(self) -> tuple[list, list]:
        # Built on first access: Python-object arrays of 100k strings cost time and memory that
        # a fit_transform -> transform workflow never needs.
        if getattr(self, "_sk_cache", None) is None:
            if "_cats" not in self.__dict__:
                raise AttributeError("categories_/encodings_ exist after fit")
            categories, encodings = [], []
            for i, (c, e, ne, seen) in enumerate(zip(self._cats, self._encs, self._null_encs, self._null_seen)):
                perm = self._perm(i)
                c, e = c.gather(perm), e[perm]
                # scikit-learn's layout: object arrays for strings, the null (NaN for floats) last
                values = c.to_numpy() if c.dtype.is_numeric() else np.asarray(c.to_list(), dtype=object)
                if seen:
                    tail = np.array([np.nan]) if values.dtype.kind == "f" else np.array([None], dtype=object)
                    values = np.concatenate([values if values.dtype.kind == "f" else values.astype(object), tail])
                    e = np.vstack([e, ne[None, :]])
                categories.append(values)
                for j in range(e.shape[1]):
                    encodings.append(e[:, j].copy())
            self._sk_cache = (categories, encodings)
        return self._sk_cache

    @property
    def categories_(self) -> list:
        """Per input column, the sorted categories seen in fit (null last if seen)."""
        return self._sklearn_attributes()[0]

    @property
    def encodings_(self) -> list:
        """Full-fit encodings matching ``categories_`` (per class for multiclass)."""
        return self._sklearn_attributes()[1]

    def _prior(self) -> np.ndarray:
        return np.atleast_1d(np.asarray(self.target_mean_, dtype=np.float64))

    def _unknown_row(self) -> np.ndarray:
        if self.handle_unknown == "null":
            return np.full(self._n_out, np.nan)
        return self._unknown_value(self._prior())

    def _table(self, i: int) -> np.ndarray:
        """(1, n_categories + 2, n_out): sorted categories, then the null row, then unknown."""
        return np.vstack([self._encs[i], self._null_encs[i][None, :], self._unknown_row()[None, :]])[None]

    # ---------------------------------------------------------------- transform paths
    def _vocab(self, i: int):
        from tabprep.kernels import Vocabulary

        if self._vocabs[i] is None:
            values, _ = _category_values(self._cats[i])
            import pyarrow as pa

            arr = values.to_arrow()
            self._vocabs[i] = Vocabulary(pa.concat_arrays([arr, pa.nulls(1, type=arr.type)]))
        return self._vocabs[i]

    def _transform_kernel(self, df) -> np.ndarray:
        from tabprep.kernels._target import gather_encodings

        n_out = self._n_out
        names = self._input_names()
        out = np.empty((df.height, len(names) * n_out), dtype=np.float64, order="F")
        for i, name in enumerate(names):
            series = df.get_column(name)
            self._check_missing(series)
            values, _ = _category_values(self._coerce_like(series, i))
            codes = self._vocab(i).encode(values, unknown="error" if self.handle_unknown == "error" else -1)
            gather_encodings(codes, self._table(i), out=out[:, i * n_out:(i + 1) * n_out], check=False)
        return out

    def _check_missing(self, series) -> None:
        if self.handle_missing == "error":
            nulls = series.is_null() | (series.is_nan() if series.dtype.is_float() else False)
            if nulls.any():
                raise DataError("a categorical input has a null (handle_missing='error')",
                                column=series.name, row=_first_true(nulls))

    def _coerce_like(self, series, i: int):
        """Cast an input column to the fitted categories' dtype where they differ in kind."""
        import polars as pl

        want = self._cats[i].dtype
        have = series.dtype
        if have == want or have == pl.Null or want == pl.Null:
            return series
        strings = (pl.String, pl.Categorical, pl.Enum)
        if isinstance(want, strings) or want == pl.String:
            if have == pl.String or isinstance(have, (pl.Categorical, pl.Enum)):
                return series
            raise SchemaError(f"{self._owner()} was fitted on strings", column=series.name,
                              found=str(have), hint="pass the column as strings, as in fit")
        if want.is_integer() and have.is_integer():
            return series  # integers compare by value
        try:
            return series.cast(want, strict=True)
        except Exception as exc:  # noqa: BLE001 - polars raises several kinds
            raise SchemaError(f"{self._owner()} was fitted on another dtype", column=series.name,
                              found=str(have), hint=f"pass values of dtype {want}") from exc

    def _lookup(self, i: int) -> dict:
        if self._lookups is None:
            self._lookups = [None] * len(self._cats)
        if self._lookups[i] is None:
            rows = [tuple(r) for r in self._encs[i].tolist()]
            self._lookups[i] = dict(zip(self._cats[i].to_list(), rows))
        return self._lookups[i]

    def _encode_value(self, i: int, value, name: str) -> tuple:
        if value is None or (value != value):  # None, NaN
            if self.handle_missing == "error":
                raise DataError("a categorical input is null (handle_missing='error')", column=name)
            return tuple(self._null_encs[i].tolist())
        lookups = self._lookups
        found = (lookups[i] if lookups is not None and lookups[i] is not None else self._lookup(i)).get(value)
        if found is None:
            if self.handle_unknown == "error":
                raise DataError("value is not in the vocabulary", column=name, found=repr(value),
                                hint="pass handle_unknown='prior' (or 'null') to encode unseen values")
            return tuple(self._unknown_row().tolist())
        return found

    def _transform_row(self, row: dict) -> dict:
        if self._row_names is None:
            names = self._input_names()
            self._row_names = (names, self._names_out(names))
        names, out_names = self._row_names
        values = []
        for i, name in enumerate(names):
            if name not in row:
                raise SchemaError(f"{self._owner()} was fitted with this column but the row lacks it",
                                  column=name)
            values.extend(self._encode_value(i, row[name], name))
        return dict(zip(out_names, values))

    def _transform_small(self, df) -> np.ndarray:
        names = self._input_names()
        n_out = self._n_out
        out = np.empty((df.height, len(names) * n_out), dtype=np.float64, order="F")
        for i, name in enumerate(names):
            series = df.get_column(name)
            if series.dtype.is_float():
                series = series.fill_nan(None)
            for r, value in enumerate(series.to_list()):
                out[r, i * n_out:(i + 1) * n_out] = self._encode_value(i, value, name)
        return out

    def _wrap(self, out: np.ndarray, data):
        """The output matrix in the input's container (no copy into Polars)."""
        import polars as pl

        from tabprep.io._dispatch import convert_output

        names = self._names_out(self._input_names())
        config = self._output_config()
        if data.kind == "numpy" and config == "default":
            return out
        df = pl.DataFrame([pl.Series(name, out[:, j]) for j, name in enumerate(names)])
        if "null" in (self.handle_unknown, self.handle_missing):
            df = df.fill_nan(None)  # "null" means a Polars/Arrow null, as the lazy path gives
        if config in ("default", "polars") and data.kind == "polars":
            return df
        if config == "pandas" or (config == "default" and data.kind == "pandas"):
            import pandas as pd

            frame = pd.DataFrame(out, columns=names, copy=False)
            if data.index is not None and len(data.index) == len(frame):
                frame.index = data.index
            return frame
        return convert_output(df.lazy(), data, config)

    def _names_out(self, names: list[str]) -> list[str]:
        if getattr(self, "target_type_", None) == "multiclass":
            return [f"{n}_{c}" for n in names for c in self.classes_]
        return list(names)

    # ---------------------------------------------------------------- lazy transform
    def transform_exprs(self, schema) -> list:
        """One ``replace_strict`` per input column and output (nulls and unseen values handled)."""
        import polars as pl

        self._check_fitted()
        exprs = []
        names = self._input_names()
        out_names = self._names_out(names)
        unknown = self._unknown_row()
        for i, name in enumerate(names):
            col = pl.col(name)
            dtype = schema[name] if name in schema else self._cats[i].dtype
            if isinstance(dtype, (pl.Categorical, pl.Enum)):
                col = col.cast(pl.String)
            is_null = col.is_null()
            if dtype.is_float():
                is_null = is_null | col.is_nan()
            cats = self._cats[i]
            if dtype != cats.dtype and not isinstance(dtype, (pl.Categorical, pl.Enum)) and cats.dtype != pl.Null:
                col = col.cast(cats.dtype)
            for j in range(self._n_out):
                default = None if math.isnan(unknown[j]) else float(unknown[j])
                if self.handle_unknown == "error":
                    # no default: replace_strict raises on a value outside the categories
                    # (explain_failure then names the column and row)
                    mapped = col.replace_strict(cats, pl.Series(self._encs[i][:, j]), return_dtype=pl.Float64)
                elif cats.dtype == pl.Null or cats.len() == 0:
                    mapped = pl.lit(default, dtype=pl.Float64)
                else:
                    mapped = col.replace_strict(cats, pl.Series(self._encs[i][:, j]), default=default,
                                                return_dtype=pl.Float64)
                null_value = float(self._null_encs[i][j])
                null_lit = pl.lit(None if math.isnan(null_value) else null_value, dtype=pl.Float64)
                exprs.append(pl.when(is_null).then(null_lit).otherwise(mapped).alias(out_names[i * self._n_out + j]))
        return exprs

    def explain_failure(self, lf, schema):
        """After a Polars error in the lazy path: the first unseen value (``handle_unknown="error"``)."""
        import polars as pl

        if self.handle_unknown != "error":
            return None
        for i, name in enumerate(self._input_names()):
            if name not in schema:
                continue
            col = pl.col(name).cast(pl.String) if isinstance(schema[name], (pl.Categorical, pl.Enum)) \
                else pl.col(name)
            cats = self._cats[i]
            unseen = col.is_not_null() & ~col.is_in(cats.implode() if cats.len() else pl.lit([], dtype=pl.List(cats.dtype)))
            found = (lf.with_row_index("__row__").filter(unseen).select("__row__", pl.col(name)).head(1).collect())
            if found.height:
                return DataError("value is not in the vocabulary", column=name, row=int(found["__row__"][0]),
                                 found=repr(found[name][0]),
                                 hint="pass handle_unknown='prior' (or 'null') to encode unseen values")
        return None

    def output_schema(self, schema):
        import polars as pl

        return pl.Schema({n: pl.Float64 for n in self._names_out(self._input_names())})

    # ---------------------------------------------------------------- serialization
    def _get_state(self) -> dict:
        classes = None if self.classes_ is None else [c.item() if hasattr(c, "item") else c for c in self.classes_]
        return {
            "target_type": self.target_type_,
            "classes": classes,
            "target_mean": np.atleast_1d(self._prior()).tolist(),
            "null_seen": list(self._null_seen),
            "null_encodings": [v.tolist() for v in self._null_encs],
            **self._extra_state(),
        }

    def _extra_state(self) -> dict:
        return {}

    def _get_tables(self) -> dict:
        import pyarrow as pa

        tables = {}
        for i, (c, e) in enumerate(zip(self._cats, self._encs)):
            perm = self._perm(i)  # saved in sorted order: the same data gives the same artifact
            c, e = c.gather(perm), e[perm]
            cols = {"category": c.to_arrow()}
            for j in range(e.shape[1]):
                cols[f"encoding_{j}"] = pa.array(e[:, j], type=pa.float64())
            tables[f"encodings_{i}"] = pa.table(cols)
        return tables

    def _set_state(self, state: dict, tables: dict) -> None:
        import polars as pl

        self.target_type_ = state["target_type"]
        self.classes_ = None if state["classes"] is None else np.asarray(state["classes"])
        mean = np.asarray(state["target_mean"], dtype=np.float64)
        self.target_mean_ = mean if self.target_type_ == "multiclass" else float(mean[0])
        self._n_out = len(mean)
        cats, encs = [], []
        for i in range(self.n_features_in_):
            table = tables[f"encodings_{i}"]
            cats.append(pl.Series(self._input_names()[i], table.column("category")))
            encs.append(np.column_stack([table.column(f"encoding_{j}").to_numpy() for j in range(self._n_out)])
                        if table.num_rows else np.empty((0, self._n_out)))
        self._set_fitted(cats, encs, [np.asarray(v, dtype=np.float64) for v in state["null_encodings"]],
                         state["null_seen"])
        self._restore_extra(state)

    def _restore_extra(self, state: dict) -> None:
        pass
