"""The fit and state of the supervised (cross-fitted) encoders, on the categorical core.

How a fit runs (one column; every column repeats steps 2-4):

1. the target becomes a NumPy vector (0/1 int8, class indices, or floats), checked once;
   each row gets a fold id (int8) from ``cv`` (:mod:`tabprep.encode._folds`);
2. the values become int32 codes (:func:`tabprep.kernels.factorize` of the core's keys, missing
   values with a code of their own), in a worker thread on big inputs, overlapping step 1 (both
   run compiled code without the GIL);
3. one pass over the rows adds each row to its (category, fold) cell: rows, weight, weighted
   target sums (a second pass adds the M2 of a continuous target for ``smooth="auto"``);
4. per category, the training statistics of every fold (all folds but that one) are merged,
   turned into encodings, and one gather pass writes every row's out-of-fold value in place.

Transform is the categorical core's one path (:mod:`tabprep.encode._categorical`): conformed
codes, the encoder's checks (``handle_unknown``/``handle_missing="error"``), then per output one
gather through ``[unknown, missing, encodings...]``; a LazyFrame runs the same per batch
(``map_batches``), a dict row the core's per-value lookup.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import polars as pl

from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep._base.codec import arrow_from_numpy, numpy_from_arrow, series_from_arrow
from tabprep._base.params import validate_params
from tabprep.encode._categorical import (
    CategoricalEncoder,
    Cats,
    column_kind,
    keys,
    missing_error,
    value_dtype,
    values_from_uniques,
)
from tabprep.encode._folds import (Target, as_weights, check_output_size, check_weights, first_true, fold_column,
                                   fold_ids, target_from)
from tabprep.encode._output import BatchCache

__all__ = ["CrossFitEncoder"]


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

class CrossFitEncoder(CategoricalEncoder, auto_wrap_output_keys=None):
    """Shared machinery of the supervised encoders: target, folds, kernels, state, transform.

    Subclasses set ``_binary_only`` and implement ``_rule(target) -> (mode, param, moments,
    ignore_singletons)`` (the :func:`tabprep.kernels._target.encoding_table` rule) and
    ``_unknown_value(prior)``.

    Fit-time statistics are per (category, fold) sums: a ``group_by``, not a one-row
    aggregation, so the lazy ``fit_exprs`` protocol cannot carry them. In a
    :class:`~tabprep.Pipeline` the step fits through the table hook (it overrides ``fit_table``): the
    planner buffers the input columns, the target and the fold column (``cv`` given as a name)
    in its pass and calls :meth:`fit_table`, which runs the same kernels as ``fit`` /
    ``fit_transform`` (with ``cross_fit=True`` it returns the training rows' out-of-fold values,
    which ``Pipeline.fit_transform`` gives on).
    """

    uses_target: ClassVar[bool] = True
    mergeable: ClassVar[bool] = False
    _binary_only: ClassVar[bool] = False
    #: nulls always have a slot (their own encoding, or the prior when fit saw none)
    _null_is_unknown: ClassVar[bool] = False

    # ---------------------------------------------------------------- subclass hooks
    def _rule(self, target: Target) -> tuple[str, float, bool, bool]:
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

    def fit_exprs(self, schema, columns, target):
        raise ConfigError(
            f"{type(self).__name__} has no one-row statistics: it fits on a table (fit_table)",
            hint=f"put it in a tabprep Pipeline, or call {type(self).__name__}(...).fit_transform(X, y)")

    def fit_columns(self, columns, target) -> list[str]:
        """The fold column when ``cv`` names one, or the key column of a
        :class:`~tabprep.split.HashKFold` (read by :meth:`fit_table`)."""
        name = fold_column(self.cv)
        return [] if name is None else [name]

    def fit_table(self, frame, columns, target, *, cross_fit: bool = False, sample_weight: str | None = None):
        """Fit from the planner's buffered table: ``columns`` are the categorical inputs,
        ``target`` the label column, plus the fold column when ``cv`` names one and the
        sample-weight column ``sample_weight`` names.

        Returns the out-of-fold encodings of the rows (a Polars DataFrame, as
        :meth:`fit_transform` gives) when ``cross_fit``, else None (a full fit, as :meth:`fit`).
        """
        extra = self._check_table_inputs(columns, target)
        weight = None if sample_weight is None else frame.get_column(sample_weight)
        out = self._fit(frame.select([*columns, *extra]), frame.get_column(target), weight, None,
                        cross_fit=cross_fit)
        if out is None or isinstance(out, pl.DataFrame):
            return out
        return pl.from_pandas(out) if not isinstance(out, pl.LazyFrame) else out.collect()

    def _check_table_inputs(self, columns, target) -> list[str]:
        """Check the parameters and a pipeline's columns for :meth:`fit_table` / :meth:`cell_fit`;
        returns :meth:`fit_columns`."""
        validate_params(self)
        owner = self._owner()
        if target is None:
            raise ConfigError(f"{owner} needs a target column",
                              hint="pass target=... to Pipeline.fit / fit_transform (or `target = ...` in the spec)")
        extra = self.fit_columns(columns, target)
        if extra and extra[0] in columns:
            what = "fold column given as cv" if isinstance(self.cv, str) else "key column of cv"
            raise ConfigError(f"{owner}: the {what} is also selected as an input",
                              column=extra[0], hint="leave that column out of the step's columns")
        return extra

    def cell_fit(self, columns, target, sample_weight, schema):
        """The per-block fit of a distributed pass (:class:`tabprep.encode._cellfit.CellFit`), or
        None when this encoder's fit needs all rows at once (folds from ``cv`` as an int or a
        splitter, listed ``categories``): see :class:`tabprep._base.fit.PhasePlan`."""
        from tabprep.encode._cellfit import CellFit, fits_on_cells

        self._check_table_inputs(columns, target)
        if not fits_on_cells(self):
            return None
        return CellFit(self, columns, target, sample_weight, schema)

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
        if isinstance(X, dict):
            self._check_fitted()
            return self._transform_row(X)
        return super().transform(X)

    # ---------------------------------------------------------------- fitting
    def _fit(self, X, y, sample_weight, groups, *, cross_fit: bool):
        from tabprep.kernels._target import target_stats, train_stats

        validate_params(self)
        data = self._coerce(X)
        self._note_input(X)
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
        if fold_column(self.cv) is not None:  # a fold (or key) column is never a feature
            skip.add(fold_column(self.cv))
        columns = [c for c in df.columns if c not in skip]

        # Factorizing the columns (the costliest step) and preparing target and folds are
        # independent and both run compiled loops without the GIL: overlap them on big inputs.
        pool = _pool(n, len(columns))
        try:
            coded = [_submit(pool, self._factorize, df.get_column(name)) for name in columns]
            target = target_from(y, n, self._target_type(), binary_only=self._binary_only, owner=self._owner(),
                                 warn_many=True)
            check_output_size(target, n, len(columns), self._owner())
            weight = as_weights(sample_weight, n)
            folds, k = None, 1
            if cross_fit:
                folds, k = fold_ids(self.cv, n=n, target=target, df=df, groups=groups,
                                    shuffle=bool(self.shuffle), seed=self.random_state, owner=self._owner())
            if weight is not None:  # the target and folds are valid by construction
                check_weights(weight)
            rule = self._rule(target)
            tot, tot_m2 = target_stats(None, 1, target.values, weight=weight, folds=folds, n_folds=k,
                                       n_classes=target.n_classes, moments=rule[2])
            totals, totals_m2 = train_stats(tot, tot_m2)
            self._check_totals(totals, k, cross_fit)
            n_out = max(target.n_classes, 1)
            # allocated just before the first gather, after that column's statistics are freed:
            # the output is the biggest array of the fit, so it should not overlap with them
            out = _LazyMatrix((n, len(columns) * n_out)) if cross_fit else None
            results = []
            for j, fut in enumerate(coded):
                results.append(self._fit_column(_result(fut), target, weight, folds, k, totals, totals_m2, rule,
                                                self._given_categories(j, len(columns)),
                                                None if out is None else (out, j * n_out, (j + 1) * n_out)))
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

        return self._set_fit(columns if data.named else None, len(columns), target, totals, k, results, cross_fit,
                             out=None if out is None else (out.get(), data))

    def _check_totals(self, totals, k: int, cross_fit: bool) -> None:
        """Refuse a training set with no rows or no weight (``totals``: ``train_stats`` of the
        per-fold totals; index f < k: the rows outside fold f, index k: all rows)."""
        empty = np.flatnonzero(totals[:, 0, 1] <= 0)
        empty = empty[empty >= (0 if cross_fit else k)]
        if len(empty):  # a fold holding every row (or all the weight): nothing to learn from
            f = int(empty[0])
            raise DataError(f"{self._owner()}: the training rows of fold {f} are empty or have zero weight"
                            if f < k else f"{self._owner()}: the rows have zero total weight",
                            hint="every fold needs training rows outside it: check cv / the fold column")

    def _set_fit(self, names, n_columns: int, target: Target, totals, k: int, results: list, cross_fit: bool,
                 *, out=None):
        """Set the fitted attributes from the per-column results of :meth:`_column_result` and the
        merged totals (``train_stats`` of the per-fold totals: index ``k`` is all rows); with
        ``out = (matrix, data)``, return the out-of-fold matrix wrapped like ``data``."""
        for attr in ("feature_names_in_", "n_folds_", "fold_target_mean_", "_fold_raw", "_fold_cache"):
            self.__dict__.pop(attr, None)  # nothing from an earlier fit survives
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = n_columns
        self.target_type_ = target.kind
        self.classes_ = target.classes
        prior_full = totals[k, 0, 2:] / totals[k, 0, 1]
        self.target_mean_ = prior_full if target.kind == "multiclass" else float(prior_full[0])
        self._n_out = max(target.n_classes, 1)
        self._set_fitted([r["categories"] for r in results], [r["encodings"] for r in results],
                         [r["null_encoding"] for r in results])
        self._after_fit([r["full_stats"] for r in results], totals[k, 0])
        if cross_fit:
            self.n_folds_ = k
            means = totals[:k, 0, 2:] / totals[:k, 0, 1:2]
            self.fold_target_mean_ = means if target.kind == "multiclass" else means[:, 0]
            self._fold_raw = [r["fold_raw"] for r in results]
            if out is not None:
                matrix, data = out
                return self._wrap(matrix, self._names_out(self._input_names()), data, null_nan=self._layout()[0])
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

    def _factorize(self, series):
        """Factorize one input column: (codes, values, kind, value dtype, null seen, null slot, name)."""
        name = series.name
        kind = column_kind(series.dtype, name)
        if self.handle_missing == "error" and len(series):
            missing = series.is_null()
            if kind == "float":
                missing = missing | series.is_nan()
            if missing.any():
                raise missing_error(name, first_true(missing), self._missing_fix())
        from tabprep.kernels import factorize

        codes, uniques = factorize(keys(series, kind), null="code")
        # Nulls always have a slot: their own (as seen in fit) or an empty one after the
        # categories, whose encoding is then the prior (an empty cell's).
        null_seen = uniques.null_count > 0
        null_slot = int(np.flatnonzero(np.asarray(uniques.is_null()))[0]) if null_seen else len(uniques)
        return codes, uniques, kind, value_dtype(series.dtype, kind), null_seen, null_slot, name

    def _given_categories(self, j: int, n_columns: int):
        """The ``categories`` list of column ``j``, or None for ``"auto"``."""
        spec = getattr(self, "categories", "auto")
        if isinstance(spec, str):
            return None
        if len(spec) != n_columns:
            raise ConfigError(f"`categories` of {self._owner()} must hold one list per column",
                              found=f"{len(spec)} lists for {n_columns} columns")
        return spec[j]

    def _listed(self, coded, spec):
        """``coded`` (first-seen codes of a column) brought onto the listed categories ``spec``,
        as scikit-learn fits them: ``(coded for the statistics, codes for the out-of-fold
        gather, the listed values, whether null is listed)``.

        scikit-learn encodes a value that is not listed (a null too, unless a missing marker is
        listed) with the first category's code before it fits, so such training rows count
        toward the first category's statistics; their own encoding is the unknown one.
        """
        from tabprep.encode._counts import given_values
        from tabprep.kernels import Vocabulary

        codes, uniques, kind, vdtype, null_seen, null_slot, name = coded
        values, listed_null = given_values(spec, kind, vdtype, name, "categories", self._owner())
        if kind in ("int", "float") and len(values) > 1 and not bool((values.diff().drop_nulls() > 0).all()):
            raise ConfigError("Unsorted categories are not supported for numerical categories", column=name,
                              found=repr(values.to_list()[:10]))
        n_listed = len(values)
        seen = values_from_uniques(uniques, kind, vdtype)
        pos = Vocabulary(keys(values, kind)).encode(keys(seen, kind), unknown=-2, null="sentinel").astype(np.int64)
        new_null = n_listed       # the null slot follows the listed values
        unknown_slot = n_listed + 1
        to_gather = np.where(pos >= 0, pos, np.where(pos == -1, new_null, unknown_slot)).astype(np.int32)
        to_stats = np.where(pos >= 0, pos, np.where((pos == -1) & listed_null, new_null, 0)).astype(np.int32)
        gather_codes = to_gather[codes] if len(codes) else codes
        stats_codes = to_stats[codes] if len(codes) else codes
        listed_uniques = range(n_listed + 1)  # (only its length is used: the slots)
        stats_coded = (stats_codes, listed_uniques, kind, vdtype, True, new_null, name)
        return stats_coded, gather_codes, values, listed_null

    def _fit_column(self, coded, target: Target, weight, folds, k, totals, totals_m2, rule, spec, out):
        from tabprep.kernels._target import gather_encodings, target_stats

        listed = None
        if spec is not None:
            coded, gather_codes, listed_values, listed_null = self._listed(coded, spec)
        codes, uniques, _, _, null_seen, _, _ = coded
        moments = rule[2]
        n_slots = len(uniques) + (0 if null_seen else 1)
        # unweighted class targets: uint32 [rows, sums...] cells (W == rows), a third the size
        stats, m2 = target_stats(codes, n_slots, target.values, weight=weight, folds=folds, n_folds=k,
                                 n_classes=target.n_classes, moments=moments,
                                 binary=target.kind == "binary", compact=True, check=False)
        if spec is not None:
            listed = (listed_values, listed_null)
        res, table = self._column_result(coded, stats, m2, k, totals, totals_m2, rule, listed,
                                         cross_fit=out is not None)
        if out is not None:
            if spec is not None:
                codes = gather_codes
            matrix, lo, hi = out
            gather_encodings(codes, table, folds=folds, out=matrix.get()[:, lo:hi], check=False)
        return res

    def _column_result(self, coded, stats, m2, k, totals, totals_m2, rule, listed=None, *, cross_fit: bool):
        """One column's fitted state from its per-(slot, fold) cells ``stats`` (and ``m2``):
        ``(result for _set_fit, encoding table of every training set)``. ``coded`` is
        :meth:`_factorize`'s tuple (its codes are not read); ``listed``, from :meth:`_listed`."""
        from tabprep.kernels._target import encoding_table, train_stats

        _, uniques, kind, vdtype, null_seen, null_slot, name = coded
        mode, param, moments, singletons = rule
        n_slots = len(uniques) + (0 if null_seen else 1)
        train, train_m2 = train_stats(stats, m2)
        table = encoding_table(train, totals, mode=mode, param=param, train_m2=train_m2,
                               totals_m2=totals_m2, ignore_singletons=singletons, slot_major=True)
        unknown_slot = n_slots
        if listed is not None:
            if not listed[1]:  # a null is an unlisted value (scikit-learn)
                table[:, null_slot] = table[:, unknown_slot]
        if self.handle_missing == "prior":
            table[:, null_slot] = table[:, unknown_slot]
        elif self.handle_missing == "null":
            table[:, null_slot] = np.nan

        # fitted state in first-seen order, null apart; sorting (scikit-learn's order) waits until
        # categories_ or the saved state is asked for: 100k strings take ~25 ms to sort
        # (the values are decoded only now: Polars strings alive during the statistics raise the peak)
        if listed is not None:
            values, null_seen = listed[0], listed[1]
            order = np.arange(len(values))
            cats = Cats(name, kind, vdtype, values, null_seen)
        else:
            values = values_from_uniques(uniques, kind, vdtype)
            keep = np.ones(len(values), dtype=bool)
            if null_seen:
                keep[null_slot] = False
            order = np.flatnonzero(keep)
            cats = Cats(name, kind, vdtype, values.gather(order) if null_seen else values, null_seen)
        res = {
            "categories": cats,
            "encodings": table[k, order],
            "null_encoding": table[k, null_slot],
            "full_stats": np.concatenate([train[k, order], train[k, [null_slot]]]),
        }
        del train, train_m2
        if cross_fit:
            # turned into fold_stats_/fold_encodings_ only if they are read
            res["fold_raw"] = (stats, table[:k], np.append(order, null_slot))
        return res, table

    def _set_fitted(self, cats: list, encs, null_encs) -> None:
        """Fitted attributes and the transform tables from the categories + their encodings."""
        self._cats = cats
        self._encs = [np.ascontiguousarray(e, dtype=np.float64).reshape(len(c), self._n_out)
                      for e, c in zip(encs, cats)]
        self._null_encs = [np.asarray(v, dtype=np.float64).reshape(-1) for v in null_encs]
        unknown = self._unknown_row()
        # per column and output, the table read at canonical code + 2: unknown, missing, categories
        self._tables = [[np.concatenate([[unknown[j], ne[j]], e[:, j]]) for j in range(self._n_out)]
                        for e, ne in zip(self._encs, self._null_encs)]
        self._row_tables = None
        self._sk_cache = None
        self._perms = [None] * len(cats)
        self._cache = BatchCache()

    def _perm(self, i: int) -> np.ndarray:
        """Positions of column ``i``'s categories in sorted order (cached)."""
        if self._perms[i] is None and not isinstance(getattr(self, "categories", "auto"), str):
            self._perms[i] = np.arange(len(self._cats[i]))  # listed categories keep their order
        if self._perms[i] is None:
            c = self._cats[i].values
            self._perms[i] = c.arg_sort().to_numpy() if c.len() else np.arange(0)
        return self._perms[i]

    def _sklearn_attributes(self) -> tuple[list, list]:
        # Built on first access: Python-object arrays of 100k strings cost time and memory that
        # a fit_transform -> transform workflow never needs.
        if getattr(self, "_sk_cache", None) is None:
            if "_encs" not in self.__dict__:
                raise AttributeError("categories_/encodings_ exist after fit")
            categories, encodings = [], []
            for i, (cats, e, ne) in enumerate(zip(self._cats, self._encs, self._null_encs)):
                perm = self._perm(i)
                c, e, seen = cats.values.gather(perm), e[perm], cats.has_null
                # scikit-learn's layout: object arrays for strings, the null (NaN for floats) last
                values = c.to_numpy() if c.dtype.is_numeric() else np.asarray(c.to_list(), dtype=object)
                if seen:
                    tail = np.array([np.nan]) if values.dtype.kind == "f" else np.array([None], dtype=object)
                    values = np.concatenate([values if values.dtype.kind == "f" else values.astype(object), tail])
                    e = np.vstack([e, ne[None, :]])
                categories.append(self._sk_categories(values))
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

    def _names_out(self, names: list[str]) -> list[str]:
        if getattr(self, "target_type_", None) == "multiclass":
            return [f"{n}_{c}" for n in names for c in self.classes_]
        return list(names)

    # ---------------------------------------------------------------- transform
    def _unknown_fix(self):
        if self.handle_unknown == "error":
            return "pass handle_unknown='prior' (or 'null') to encode unseen values"
        return None

    def _missing_fix(self):
        if self.handle_missing == "error":
            return "impute it first, or pass handle_missing='category' or 'prior'"
        return None

    def _layout(self):
        # "null" means a Polars/Arrow null in frame outputs (NaN in NumPy and pandas)
        return "null" in (self.handle_unknown, self.handle_missing), pl.Float64

    def _transform_row(self, row: dict) -> dict:
        if self._row_tables is None:
            names = self._input_names()
            # per column: its name, fitted categories, {category: code}, and the output values of
            # each canonical code + 2 as Python tuples
            self._row_tables = (self._names_out(names), self._owner(), [
                (name, cats, cats.exact, cats.index, list(zip(*(t.tolist() for t in tables))))
                for name, cats, tables in zip(names, self._cats, self._tables)])
        out_names, owner, columns = self._row_tables
        values = []
        for i, (name, cats, exact, index, rows) in enumerate(columns):
            try:
                value = row[name]
            except KeyError:
                raise SchemaError(f"{owner} was fitted with this column but the row lacks it", column=name) from None
            # Cats.code_of, its first case inlined: the serving path is ~1 us a value
            code = index.get(value, -2) if type(value) in exact and value == value else cats.code_of(value, owner)
            if code < 0:
                self._check_value(i, code, value, name)
            values.extend(rows[code + 2])
        return dict(zip(out_names, values))

    # ---------------------------------------------------------------- serialization
    def _get_state(self) -> dict:
        classes = None if self.classes_ is None else [c.item() if hasattr(c, "item") else c for c in self.classes_]
        return {
            "target_type": self.target_type_,
            "classes": classes,
            "target_mean": np.atleast_1d(self._prior()).tolist(),
            "null_seen": [c.has_null for c in self._cats],
            "null_encodings": [v.tolist() for v in self._null_encs],
            "bytes_dtype": self.__dict__.get("_bytes_dtype"),
            **self._extra_state(),
        }

    def _extra_state(self) -> dict:
        return {"cv_repr": repr(self.cv)} if _foreign_cv(self.cv) else {}

    def _param_to_json(self, name: str, value):
        """A ``cv`` that is no data (a scikit-learn splitter) is saved as None, 5 folds, with its
        text in the state (``cv_repr``): the fitted state never needs it, only a refit would.
        tabprep's own splitters and fold column names are saved as they are."""
        if name == "cv" and _foreign_cv(value):
            return None
        return super()._param_to_json(name, value)

    def _get_tables(self) -> dict:
        import pyarrow as pa

        tables = {}
        for i, (cats, e) in enumerate(zip(self._cats, self._encs)):
            perm = self._perm(i)  # saved in sorted order: the same data gives the same artifact
            c, e = cats.values.gather(perm), e[perm]
            cols = {"category": c.to_arrow()}
            for j in range(e.shape[1]):
                cols[f"encoding_{j}"] = arrow_from_numpy(e[:, j], pl.Float64)
            tables[f"encodings_{i}"] = pa.table(cols)
        return tables

    def _set_state(self, state: dict, tables: dict) -> None:
        self.target_type_ = state["target_type"]
        self.classes_ = None if state["classes"] is None else np.asarray(state["classes"])
        mean = np.asarray(state["target_mean"], dtype=np.float64)
        self.target_mean_ = mean if self.target_type_ == "multiclass" else float(mean[0])
        self._n_out = len(mean)
        cats, encs = [], []
        for i, (name, null_seen) in enumerate(zip(self._input_names(), state["null_seen"])):
            table = tables[f"encodings_{i}"]
            values = series_from_arrow(name, table.column("category"))
            kind = column_kind(values.dtype, name)
            cats.append(Cats(name, kind, value_dtype(values.dtype, kind), values, null_seen))
            encs.append(np.column_stack([numpy_from_arrow(table.column(f"encoding_{j}")) for j in range(self._n_out)])
                        if table.num_rows else np.empty((0, self._n_out)))
        self._set_fitted(cats, encs, [np.asarray(v, dtype=np.float64) for v in state["null_encodings"]])
        self._bytes_dtype = state.pop("bytes_dtype", None)
        self._restore_extra(state)

    def _restore_extra(self, state: dict) -> None:
        pass


def _foreign_cv(cv) -> bool:
    """Whether ``cv`` is a splitter the artifact codec cannot store (not one of tabprep's)."""
    from tabprep._base.codec import to_json_value

    try:
        to_json_value(cv)
    except TypeError:
        return True
    return False
