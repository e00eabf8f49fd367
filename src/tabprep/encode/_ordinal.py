"""Ordinal encoding (scikit-learn's OrdinalEncoder) on the categorical core.

The fitted categories of a column become one output table ``[unknown, missing, code of each
category...]`` (infrequent categories share one code); transform is one gather through it per
column (see :mod:`tabprep.encode._categorical`).
"""

from __future__ import annotations

import numpy as np

from tabprep.errors import ConfigError
from tabprep._base.params import Interval, Options, check_param
from tabprep._base.step import register_step
from tabprep.encode._counts import (
    MAX_CATEGORIES,
    MIN_FREQUENCY,
    NAN,
    CountFitEncoder,
    ListsPerColumn,
    Rule,
    build_cats,
    identify_infrequent,
)
from tabprep.encode._output import OutputDType, numpy_out_dtype, out_dtype, polars_dtype

__all__ = ["OrdinalEncoder"]


# ------------------------------------------------------------------------------------------
# OrdinalEncoder
# ------------------------------------------------------------------------------------------

@register_step
class OrdinalEncoder(CountFitEncoder):
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
        "categories": [Options(("auto",)), ListsPerColumn()],
        "dtype": [OutputDType("iuf")],
        "handle_unknown": [Options(("error", "use_encoded_value"))],
        "unknown_value": [int, NAN, None],
        "encoded_missing_value": [int, NAN],
        "min_frequency": MIN_FREQUENCY,
        "max_categories": MAX_CATEGORIES,
        "order": [Options(("sorted", "first_seen", "frequency")), ListsPerColumn()],
    }
    _null_is_unknown = True

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
        owner = "OrdinalEncoder"
        if self.handle_unknown == "use_encoded_value":
            check_param(self.unknown_value, [_ENCODED_UNKNOWN], "unknown_value", owner)
            if NAN.is_satisfied_by(self.unknown_value):
                check_param(self.dtype, [_FLOAT_FOR_NAN], "dtype", owner)
        else:
            check_param(self.unknown_value, [_UNSET_UNKNOWN], "unknown_value", owner)

    # ---------------------------------------------------------------- fit
    def _make_cats(self, i, name, kind, vdtype, seen, n_rows):
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
        self._np_dtype = numpy_out_dtype(self.dtype)
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
            self._tables.append([np.concatenate([[unknown, null], codes]).astype(self._np_dtype)])
        self._infrequent_enabled = enabled
        self._null_nan = self._np_dtype.kind == "f" and any(np.isnan(t[0]).any() for t in self._tables)

    # ---------------------------------------------------------------- transform
    def _unknown_fix(self):
        if self.handle_unknown == "error":
            return "pass handle_unknown='use_encoded_value' with an unknown_value to encode unseen values"
        return None

    def _layout(self):
        return self._null_nan, polars_dtype(self._np_dtype)

    def planned_output_schema(self, schema, columns):
        return {c: polars_dtype(out_dtype(self)) for c in columns}


def _is_encoded_unknown(value) -> bool:
    return NAN.is_satisfied_by(value) or Interval(int).is_satisfied_by(value)


_ENCODED_UNKNOWN = Rule(_is_encoded_unknown, "an int or np.nan when handle_unknown='use_encoded_value'")
_FLOAT_FOR_NAN = Rule(lambda d: numpy_out_dtype(d).kind == "f", "a float dtype when unknown_value is np.nan")
_UNSET_UNKNOWN = Rule(lambda v: v is None, "None unless handle_unknown='use_encoded_value' (it may only be "
                                          "set then)")
