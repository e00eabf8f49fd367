"""SimpleImputer: scikit-learn's class, parameters and numbers, computed lazily by Polars.

Null vs NaN. scikit-learn's default ``missing_values=np.nan`` marks NaN cells of a NumPy array;
a Polars frame has nulls (and floats may also hold NaN). tabprep treats *both* null and NaN as
missing, always: that is what ``np.nan`` means once a frame is turned into an array (nulls become
NaN), so the statistics equal scikit-learn's on ``df.to_numpy()``. ``missing_values`` NaN,
``None`` or ``pandas.NA`` add nothing to that; any other marker (``-1``, ``"?"``) marks its cells
as missing too. (scikit-learn refuses NaN in an array when the marker is not NaN; tabprep imputes
it.) Infinity is no missing value: it is refused at fit and at transform alike, as scikit-learn
does (a :class:`~tabprep.errors.DataError` naming the column).

Differences from scikit-learn, all deliberate: the default ``fill_value`` of the constant
strategy is chosen per column (0 for numbers, False for Booleans, ``"missing_value"`` for
strings) rather than once for the whole array; features dropped for having no observed value
are reported by a warning at fit time (scikit-learn warns at every transform), naming the
columns (``x1`` for an array, where scikit-learn gives the index); with
``keep_empty_features`` an empty typed text column (Polars String/Categorical) is filled with
``"missing_value"`` where scikit-learn's object array takes the number 0; the missing
indicator is described by ``indicator_features_`` (column indices) instead of a
``MissingIndicator`` object; callable strategies are not provided. ``inverse_transform``
(``add_indicator=True``) restores missing cells from the indicator columns, as scikit-learn's;
a column dropped at fit comes back all missing (scikit-learn guesses which columns were dropped
from the indicators of the data given).

SciPy sparse input (as scikit-learn: statistics over every cell, implicit zeros included; only
stored NaN/marker cells are filled; the output is CSC, with the indicators appended as sparse
columns; ``missing_values=0`` is refused): statistics equal scikit-learn's, except that a
``strategy="constant"`` column holding no stored value but zeros is kept (scikit-learn drops it
as empty). ``copy=False`` fills a float NumPy array (or a sparse matrix) in place when the output
has its shape and dtype, as scikit-learn; a frame is never modified.
All of tabprep's differences from scikit-learn, with their reasons: ``docs/sklearn-differences.md``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from tabprep.errors import SchemaError
from tabprep._base.params import Interval, MissingValues, Options, is_nan_like
from tabprep._base.stats import (
    check_finite,
    exact_median,
    explain_infinity,
    float_out_dtype,
    infinity_exprs,
    mark_finite,
    moment_exprs,
    order_stat_exprs,
    refuse_infinity,
    require_numeric,
)
from tabprep._base.fit import fit_single_step
from tabprep._base.params import validate_params
from tabprep._base.step import Step, register_step
from tabprep.io._dispatch import coerce

__all__ = ["SimpleImputer"]

_STRATEGIES = ("mean", "median", "most_frequent", "constant")


def _is_num(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _stat_is_nan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _textual(dtype) -> bool:
    import polars as pl

    return dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)


def _dtype_of(value):
    """The Polars dtype of a fill value (bool before int: a bool is an int to Python)."""
    import polars as pl

    if isinstance(value, (bool, np.bool_)):
        return pl.Boolean
    if isinstance(value, (int, np.integer)):
        return pl.Int64
    return pl.Float64 if isinstance(value, (float, np.floating)) else pl.String


@register_step
class SimpleImputer(Step):
    """Replace missing values by a per-column statistic or a constant (scikit-learn's SimpleImputer).

    Parameters
    ----------
    missing_values : number, str, NaN, None or pandas.NA, default=np.nan
        A marker of missing cells besides null and NaN, which are always missing (NaN, None and
        pandas.NA add nothing; see the module docs).
    strategy : {"mean", "median", "most_frequent", "constant"}, default="mean"
        ``mean`` (mergeable across batches) and ``median`` need numeric columns; ``most_frequent``
        (ties: the smallest value) and ``constant`` also take Boolean, String and Categorical.
    fill_value : number, str, bool or None, default=None
        Value for ``strategy="constant"`` (None: 0, False or ``"missing_value"`` per column).
    copy : bool, default=True
        ``False``: a float NumPy array (or a sparse matrix) is filled in place and returned when
        the output has its shape and dtype (scikit-learn's meaning); frames are never modified.
    add_indicator : bool, default=False
        Append a Boolean column ``missingindicator_<col>`` for every column that had missing
        values during fit.
    keep_empty_features : bool, default=False
        Keep columns with no observed value, filled with 0 (``"missing_value"`` in a text
        column), or the constant strategy's fill value; otherwise they are dropped from the
        output, with a warning at fit. A column without any value at all (dtype Null: an
        all-missing object column of pandas or NumPy) takes the type of its fill.

    Attributes
    ----------
    statistics_ : ndarray of shape (n_features,)
        Fill value per column (float64, or object for constant/non-numeric); NaN = dropped.
    indicator_features_ : ndarray of int or None
        Indices of the columns that get a missing indicator (when ``add_indicator``).
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.clean import SimpleImputer
    >>> df = pl.DataFrame({"a": [1.0, None, 3.0, float("nan")], "s": ["x", None, "y", "x"]})
    >>> SimpleImputer().fit(df.select("a")).statistics_
    array([2.])
    >>> imp = SimpleImputer(strategy="most_frequent", add_indicator=True).fit(df)
    >>> imp.statistics_, list(imp.get_feature_names_out())
    (array([1.0, 'x'], dtype=object), ['a', 's', 'missingindicator_a', 'missingindicator_s'])
    >>> imp.transform(df).row(1)
    (1.0, 'x', True, True)
    >>> imp.inverse_transform(imp.transform(df)).row(1)
    (None, None)
    """

    _parameter_constraints = {
        "missing_values": [MissingValues()],
        "strategy": [Options(_STRATEGIES)],
        "fill_value": [Interval(float, finite=True), str, "boolean", None],
        "copy": ["boolean"],
        "add_indicator": ["boolean"],
        "keep_empty_features": ["boolean"],
    }

    def __init__(self, *, missing_values=np.nan, strategy="mean", fill_value=None, copy=True,
                 add_indicator=False, keep_empty_features=False):
        self.missing_values = missing_values
        self.strategy = strategy
        self.fill_value = fill_value
        self.copy = copy
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features

    @property
    def mergeable(self) -> bool:
        """Mean and constant merge exactly across batches; median and most_frequent do not."""
        return self.strategy in ("mean", "constant")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = is_nan_like(self.missing_values)
        tags.input_tags.sparse = True
        if self.strategy in ("most_frequent", "constant"):
            tags.input_tags.string = True
        return tags

    def _array_params(self):
        return {"array_dtype": None if self.strategy in ("most_frequent", "constant") else "numeric",
                "ensure_all_finite": "allow-nan" if is_nan_like(self.missing_values) else True,
                "accept_sparse": "csc"}

    def _fit_stats(self, X, y=None, sample_weight=None):
        validate_params(self)
        data = coerce(X, **self._array_params())
        if data.kind == "sparse":
            self._refuse_sparse_zero()
        return fit_single_step(self, data, y, sample_weight)

    def _refuse_sparse_zero(self):
        mv = self.missing_values
        if not isinstance(mv, str) and not is_nan_like(mv) and mv == 0:
            from tabprep.errors import ConfigError

            # zero marks an implicit cell of a sparse matrix: filling it would densify
            raise ConfigError("Imputation not possible when missing_values == 0 and input is sparse. Provide a "
                              "dense array instead.")

    def transform(self, X):
        """Fill the missing cells of ``X`` (output container as :meth:`Step.transform`; a sparse
        ``X`` gives a CSC matrix, as scikit-learn)."""
        return self._transform(X, copy=self.copy)

    def _transform_sparse(self, X):
        from scipy import sparse

        self._refuse_sparse_zero()

        def mask_of(m):
            return np.isnan(m.data) if is_nan_like(self.missing_values) else m.data == self.missing_values

        missing = mask_of(X)
        kept = self._kept()
        indicator = None
        if self.indicator_features_ is not None:
            # scikit-learn's MissingIndicator: the mask with X's structure, then its columns
            mask = sparse.csc_matrix((missing, X.indices.copy(), X.indptr.copy()), shape=X.shape, dtype=bool)
            indicator = mask[:, self.indicator_features_]
        if len(kept) != X.shape[1]:
            X = X[:, kept]
            missing = mask_of(X)
        columns = np.repeat(np.arange(X.shape[1]), np.diff(X.indptr))[missing]
        X.data[missing] = np.asarray(self.statistics_[kept], dtype=np.float64)[columns].astype(X.dtype)
        if indicator is None:
            return X
        from sklearn.utils._sparse import _align_api_if_sparse

        # scikit-learn's container: the sparse interface of its config (matrix by default)
        return _align_api_if_sparse(sparse.hstack((X, indicator), format=X.format))

    def inverse_transform(self, X):
        """The data before imputation: cells whose missing indicator is set become missing again
        (NaN in an array, null in a frame, or the ``missing_values`` marker); a column dropped at
        fit comes back all missing. Only with ``add_indicator=True`` (scikit-learn's rule): a
        column without an indicator (no missing value at fit) keeps its imputed values.

        ``X`` is a transform output: a frame with the columns ``get_feature_names_out()`` or an
        array with those columns in that order. The output has the fitted input columns.
        """
        import polars as pl

        from tabprep.errors import ConfigError
        from tabprep.io._dispatch import convert_output

        self._check_fitted()
        if not self.add_indicator:
            raise ConfigError("'inverse_transform' works only when 'SimpleImputer' is instantiated with "
                              f"'add_indicator=True'. Got 'add_indicator={self.add_indicator}' instead.")
        names_out = [str(n) for n in self.get_feature_names_out()]
        data = coerce(X, array_dtype=None, ensure_all_finite="allow-nan")
        lf = data.lf
        have = lf.collect_schema().names()
        if not data.named:
            if len(have) != len(names_out):
                raise SchemaError(f"X has {len(have)} features, but SimpleImputer.inverse_transform is expecting "
                                  f"{len(names_out)} features (the output of transform).")
            lf = lf.rename(dict(zip(have, names_out)))
        else:
            absent = [n for n in names_out if n not in have]
            if absent:
                raise SchemaError("SimpleImputer.inverse_transform needs the columns of transform's output",
                                  column=absent[0], hint="pass what transform returned")
        names = self._input_names()
        kept = set(self._kept())
        flagged = {int(i) for i in self.indicator_features_}
        marker = None if is_nan_like(self.missing_values) else self.missing_values
        exprs = []
        for i, name in enumerate(names):
            if i not in kept:
                exprs.append(pl.lit(marker if marker is not None else None, dtype=pl.Float64
                                    if marker is None or not isinstance(marker, str) else pl.String).alias(name))
                continue
            col = pl.col(name)
            if i in flagged:
                flag = pl.col(f"missingindicator_{name}").cast(pl.Boolean)
                col = pl.when(flag).then(pl.lit(marker)).otherwise(col)
            exprs.append(col.alias(name))
        # with_columns, not select: a literal (a dropped column) takes the frame's height
        out = lf.with_columns(exprs).select(names)
        if data.kind not in ("lazy", "path"):
            out = out.collect().lazy()
        return convert_output(out, data, self._output_config())

    # ------------------------------------------------------------------ expressions
    def _missing(self, name, dtype, col=None):
        """Boolean expression: the cell of ``col`` (default ``pl.col(name)``) is missing."""
        import polars as pl

        col = pl.col(name) if col is None else col
        missing = col.is_null() | col.is_nan() if dtype.is_float() else col.is_null()
        return missing if is_nan_like(self.missing_values) else missing | (col == self.missing_values)

    def _observed(self, name, dtype, *, as_float: bool):
        """In ``fit_exprs``: the column with missing cells as null (Float64 when ``as_float``).

        NaN is already null there (the planner nulls it), so only a value marker needs work.
        """
        import polars as pl

        col = pl.col(name)
        if as_float and dtype != pl.Float64:
            col = col.cast(pl.Float64)
        if is_nan_like(self.missing_values):
            return col
        return pl.when(pl.col(name) != self.missing_values).then(col)

    def _check_column(self, name, dtype):
        import polars as pl

        if dtype == pl.Null:
            # no value at all (an all-missing object column): any strategy and marker fit it,
            # and the column is dropped, or kept filled (keep_empty_features)
            return
        mv = self.missing_values
        textual = _textual(dtype)
        if self.strategy in ("mean", "median"):
            require_numeric(self, {name: dtype}, [name])
        elif not (dtype.is_integer() or dtype.is_float() or dtype == pl.Boolean or textual):
            raise SchemaError(f"SimpleImputer(strategy={self.strategy!r}) supports numeric, Boolean and "
                              "string columns", column=name, found=str(dtype), hint="cast the column first")
        if not is_nan_like(mv):
            if isinstance(mv, str) != textual:
                raise SchemaError("the column and `missing_values` must both be numeric or both be strings",
                                  column=name, found=f"{dtype} column, missing_values={mv!r}")

    def fit_exprs(self, schema, columns, target):
        import polars as pl

        exprs = {"count:rows": pl.len()}  # minus the observed cells: the cells filled (fill_constants)
        as_float = self.strategy in ("mean", "median")
        for c in columns:
            dtype = schema[c]
            self._check_column(c, dtype)
            if self.strategy == "mean":  # n, sum and the infinity flag from one kernel read
                exprs.update(moment_exprs(self._observed(c, dtype, as_float=not dtype.is_float()), c))
            else:
                obs = self._observed(c, dtype, as_float=as_float)
                exprs.update(infinity_exprs(obs, c, dtype))
                if self.strategy != "median":
                    exprs[f"count:{c}"] = obs.count()
            if self.add_indicator:
                exprs[f"count_missing:{c}"] = self._missing(c, dtype).sum()
            if self.strategy == "median":
                # the count from the selection too: every statistic of the column skips NaN
                # itself, so the planner does not copy the column to null its NaN
                exprs.update(order_stat_exprs(obs, {"50": 0.5}, c, count=True))
            elif self.strategy == "most_frequent":
                if dtype == pl.Categorical or isinstance(dtype, pl.Enum):
                    obs = obs.cast(pl.String)
                exprs[f"mode:{c}"] = obs.drop_nulls().mode().min()
        return exprs

    def _default_fill(self, dtype):
        import polars as pl

        if dtype == pl.Boolean:
            return False
        return 0 if (dtype.is_integer() or dtype.is_float()) else "missing_value"

    def _constant_for(self, name, dtype):
        import polars as pl

        fv = self.fill_value
        if fv is None:
            return self._default_fill(dtype)
        if dtype == pl.Null:  # no values to match: the fill value gives the column its type
            return fv.item() if hasattr(fv, "item") else fv
        textual = not (dtype.is_integer() or dtype.is_float() or dtype == pl.Boolean)
        ok = (isinstance(fv, str) if textual else
              isinstance(fv, (bool, np.bool_)) if dtype == pl.Boolean else
              _is_num(fv) and (dtype.is_float() or float(fv).is_integer()))
        if not ok:
            raise SchemaError(f"fill_value={fv!r} cannot fill a {dtype} column", column=name,
                              hint="give a fill_value of the column's type or select other columns")
        if dtype == pl.Boolean:
            return bool(fv)
        return int(fv) if dtype.is_integer() else (float(fv) if dtype.is_float() else fv)

    def _finalize(self, stats, schema, columns):
        import polars as pl

        check_finite(self, stats, columns)
        values = []
        for c in columns:
            dtype = schema[c]
            n = self._n_observed(stats, c)
            if self.strategy == "constant":
                v = self._constant_for(c, dtype)
                values.append(v if n > 0 or self.keep_empty_features else math.nan)
                continue
            if n == 0:
                # scikit-learn's keep_empty_features fills 0; a typed column gets its type's zero
                # ("missing_value" for text, which cannot hold a number)
                empty = 0 if self.strategy in ("mean", "median") or dtype == pl.Null else self._default_fill(dtype)
                values.append(empty if self.keep_empty_features else math.nan)
            elif self.strategy == "mean":
                values.append(float(stats[f"sum:{c}"]) / n)
            elif self.strategy == "median":
                values.append(exact_median(n, stats[f"lo50:{c}"], stats[f"hi50:{c}"]))
            else:
                v = stats[f"mode:{c}"]
                values.append(float(v) if dtype.is_float() else v)
        numeric = self.strategy != "constant" and all(_is_num(v) for v in values)
        self.statistics_ = np.asarray(values, dtype=np.float64 if numeric else object)
        if self.add_indicator:
            self.indicator_features_ = np.asarray(
                [i for i, c in enumerate(columns) if int(stats[f"count_missing:{c}"] or 0) > 0], dtype=np.intp)
        else:
            self.indicator_features_ = None
        dropped = [c for c, v in zip(columns, values) if _stat_is_nan(v)]
        if dropped:
            warnings.warn(f"Skipping features without any observed values: {dropped}. At least one "
                          f"non-missing value is needed for imputation with strategy={self.strategy!r}.",
                          UserWarning, stacklevel=2)

    def fills_missing(self, schema, columns):
        # with a value marker (-1, "?") the filled cells are not the ones statistics skip
        if not is_nan_like(self.missing_values):
            return frozenset()
        import polars as pl

        mean_like = self.strategy in ("mean", "median")
        # a Null column takes the type of its fill: not a fill keeping the dtype
        return frozenset(c for c in columns if schema[c] != pl.Null
                         and (not mean_like or float_out_dtype(schema[c]) == schema[c]))

    def fill_constants(self, stats):
        rows = int(stats["count:rows"])
        out = {}
        for name, v in zip(self._input_names(), self.statistics_):
            if _stat_is_nan(v):  # dropped column: not a fill
                out[name] = None
            else:
                out[name] = (v.item() if hasattr(v, "item") else v, rows - self._n_observed(stats, name))
        return out

    def _n_observed(self, stats, column) -> int:
        """Observed (non-missing) cells of ``column`` in the fit statistics."""
        count = "n" if self.strategy == "mean" else "count"  # moment_exprs names the count n:
        return int(stats[f"{count}:{column}"] or 0)

    def _kept(self) -> list[int]:
        return [i for i, v in enumerate(self.statistics_) if not _stat_is_nan(v)]

    def transform_exprs(self, schema):
        return self._exprs(schema, {})

    def inline_exprs(self, schema, inputs):
        # one-to-one only: no indicator columns, no dropped columns
        if self.indicator_features_ is not None or len(self._kept()) != len(self.statistics_):
            return None
        return self._exprs(schema, inputs)

    def _out_dtype(self, dtype, value):
        """Output dtype of a column of input ``dtype`` filled with ``value``."""
        import polars as pl

        if self.strategy in ("mean", "median"):
            return float_out_dtype(dtype)
        if dtype == pl.Null:
            return _dtype_of(value)
        if isinstance(value, str) and not _textual(dtype):
            # fitted on text, given a column without text (NaN rows of an array): scikit-learn
            # fills the text in an object array, so the column becomes text
            return pl.String
        return dtype

    def _exprs(self, schema, inputs):
        import polars as pl

        names = self._input_names()
        exprs = []
        for i in self._kept():
            name, dtype = names[i], schema[names[i]]
            # infinity is refused as at fit (checked batch by batch, inside the query)
            src = refuse_infinity(inputs.get(name, pl.col(name)), self, name, dtype)
            value = self.statistics_[i]
            value = value.item() if hasattr(value, "item") else value
            out_dtype = self._out_dtype(dtype, value)
            # NaN is missing: it must not become the text "NaN" on the way
            col = src.fill_nan(None) if dtype.is_float() and not out_dtype.is_float() else src
            col = col.cast(out_dtype) if out_dtype != dtype else col
            if out_dtype.is_float():
                value = float(value)
            fill = pl.lit(value).cast(out_dtype)
            if is_nan_like(self.missing_values):
                filled = col.fill_nan(fill).fill_null(fill) if out_dtype.is_float() and dtype.is_float() \
                    else col.fill_null(fill)
            else:
                filled = pl.when(self._missing(name, dtype, src)).then(fill).otherwise(col)
            # finite input, finite fill: a step nested onto this column need not check again
            exprs.append(mark_finite(filled.alias(name)))
        if self.indicator_features_ is not None:
            for i in self.indicator_features_:
                name = names[i]
                exprs.append(self._missing(name, schema[name], inputs.get(name)).alias(f"missingindicator_{name}"))
        return exprs

    def explain_failure(self, lf, schema):
        names = self._input_names()
        return explain_infinity(self, lf, schema, [names[i] for i in self._kept()])

    def planned_output_schema(self, schema, columns):
        if self.add_indicator or not self.keep_empty_features:
            return None  # indicator columns / dropped columns depend on the data
        import polars as pl

        out = {}
        for c in columns:
            dtype = schema[c]
            self._check_column(c, dtype)
            if dtype == pl.Null and self.strategy != "constant":
                value = 0  # a Null column has no observed value: kept, it is filled with 0
            else:
                value = self._constant_for(c, dtype) if self.strategy == "constant" else None
            out[c] = self._out_dtype(dtype, value)
        return out

    def _names_out(self, names):
        out = [names[i] for i in self._kept()]
        if self.indicator_features_ is not None:
            out += [f"missingindicator_{names[i]}" for i in self.indicator_features_]
        return out

    # ------------------------------------------------------------------ state
    def _get_state(self):
        return {
            "statistics": [v.item() if hasattr(v, "item") else v for v in self.statistics_],
            "statistics_dtype": "float64" if self.statistics_.dtype == np.float64 else "object",
            "indicator_features": None if self.indicator_features_ is None else [int(i) for i in self.indicator_features_],
        }

    def _set_state(self, state, tables):
        dtype = np.float64 if state["statistics_dtype"] == "float64" else object
        self.statistics_ = np.asarray(state["statistics"], dtype=dtype)
        if len(self.statistics_) != self.n_features_in_:
            raise ValueError("statistics has the wrong length")
        ind = state["indicator_features"]
        self.indicator_features_ = None if ind is None else np.asarray(ind, dtype=np.intp)
