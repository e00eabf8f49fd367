"""Ordinal encoding (scikit-learn's OrdinalEncoder) on the categorical core.

The fitted categories of a column become one output table ``[unknown, missing, code of each
category...]`` (infrequent categories share one code); transform is one gather through it per
column (see :mod:`tabprep.encode._categorical`).
"""

from __future__ import annotations

import numpy as np

from tabprep.errors import ConfigError, DataError
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
from tabprep.encode._onehot import INFREQUENT_NAME, _as_matrix
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

    # ---------------------------------------------------------------- inverse
    def inverse_transform(self, X):
        """The categories back from codes (scikit-learn's ``inverse_transform``).

        ``encoded_missing_value`` gives the missing marker (``nan``), the infrequent code gives
        ``infrequent_sklearn``, ``unknown_value`` (with ``handle_unknown="use_encoded_value"``)
        gives ``None``; a code outside these is an error.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Codes, as :meth:`transform` gives them (a frame's nulls are NaN).

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            Always a NumPy array, as scikit-learn's (object dtype when the categories' dtypes
            differ or a ``None``/``infrequent_sklearn`` entry is needed).

        Examples
        --------
        >>> from tabprep.encode import OrdinalEncoder
        >>> enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
        >>> enc.fit([["S"], ["M"], ["L"]]).inverse_transform([[2.0], [-1.0]])
        array([['S'],
               [None]], dtype=object)
        """
        from sklearn.utils import check_array

        self._check_fitted()
        X = check_array(_as_matrix(X), ensure_all_finite="allow-nan", copy=True)
        n_samples = X.shape[0]
        n_features = len(self._cats)
        if X.shape[1] != n_features:
            raise DataError(f"Shape of the passed X data is not correct. Expected {n_features} columns, "
                            f"got {X.shape[1]}.", found=f"{X.shape[1]} columns",
                            hint="pass the output of transform (one column per input column)")
        all_cats = self.categories_
        out = np.empty((n_samples, n_features), dtype=np.result_type(*[c.dtype for c in all_cats]))
        found_unknown, infrequent_masks = {}, {}
        for i in range(n_features):
            labels = X[:, i]
            cats = all_cats[i]
            rows = np.ones(n_samples, dtype=bool)
            missing = None
            if self._cats[i].has_null:  # the missing marker is the last category
                missing = _mask(labels, self.encoded_missing_value)
                rows &= ~missing
            infreq = self._infrequent[i]
            if infreq is not None:
                keep = np.ones(len(cats), dtype=bool)
                keep[infreq] = False
                cats = cats[keep]
                # the infrequent code follows the frequent categories (the missing marker is
                # never infrequent and has no code among them)
                infrequent_masks[i] = rows & (labels == len(cats) - (missing is not None))
                rows &= ~infrequent_masks[i]
            if self.handle_unknown == "use_encoded_value":
                found_unknown[i] = rows & _mask(labels, self.unknown_value)
                rows &= ~found_unknown[i]
            codes = labels[rows]
            n_codes = len(cats) - (missing is not None)
            bad = ~np.isfinite(codes) | (codes < 0) | (codes >= n_codes) | (codes != np.floor(codes))
            if bad.any():
                row = int(np.flatnonzero(rows)[np.argmax(bad)])
                raise DataError("a code that no category has", column=self._input_names()[i], row=row,
                                found=repr(float(codes[bad][0])),
                                hint="only codes of transform's output can be inverted")
            out[rows, i] = cats[codes.astype(np.int64)]
            if missing is not None:
                out[missing, i] = all_cats[i][-1]
        if found_unknown or infrequent_masks:
            out = out.astype(object, copy=False)
        for i, mask in found_unknown.items():
            out[mask, i] = None
        for i, mask in infrequent_masks.items():
            out[mask, i] = INFREQUENT_NAME
        return out

    # ---------------------------------------------------------------- transform
    def _unknown_fix(self):
        if self.handle_unknown == "error":
            return "pass handle_unknown='use_encoded_value' with an unknown_value to encode unseen values"
        return None

    def _layout(self):
        return self._null_nan, polars_dtype(self._np_dtype)

    def planned_output_schema(self, schema, columns):
        return {c: polars_dtype(out_dtype(self)) for c in columns}


def _mask(labels: np.ndarray, value) -> np.ndarray:
    """scikit-learn's ``_get_mask``: where ``labels`` equal ``value`` (NaN matches NaN)."""
    return np.isnan(labels) if NAN.is_satisfied_by(value) else labels == value


def _is_encoded_unknown(value) -> bool:
    return NAN.is_satisfied_by(value) or Interval(int).is_satisfied_by(value)


_ENCODED_UNKNOWN = Rule(_is_encoded_unknown, "an int or np.nan when handle_unknown='use_encoded_value'")
_FLOAT_FOR_NAN = Rule(lambda d: numpy_out_dtype(d).kind == "f", "a float dtype when unknown_value is np.nan")
_UNSET_UNKNOWN = Rule(lambda v: v is None, "None unless handle_unknown='use_encoded_value' (it may only be "
                                          "set then)")
