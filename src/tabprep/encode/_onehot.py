"""One-hot encoding with scikit-learn's semantics (infrequent grouping, drop, unknown handling).

Per column the fit derives one small *slot table*: canonical code (category k, null, unseen) →
output column of that column's block, or -1 for "all zeros" (a dropped category, an ignored
unseen value). Transform is then one lookup pass per column and one write of the block: dense
(every cell written once, into a preallocated matrix: Fortran order for frame output so every
output column is a zero-copy Series, C order for NumPy output) or CSR (indices = slots + block
offset, rows in order, so each row's indices come out sorted as in scikit-learn). Lazily, each
batch's slots are computed once and shared by the column's output expressions.
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import polars as pl

from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep._base.params import Constraint, Options, is_nan_like
from tabprep._base.step import register_step
from tabprep.encode._counts import MAX_CATEGORIES, MIN_FREQUENCY, CountFitEncoder, ListsPerColumn, identify_infrequent
from tabprep.encode._output import BatchCache, OutputDType, numpy_out_dtype, polars_dtype, unnested_outputs

__all__ = ["OneHotEncoder"]

#: scikit-learn's name of the grouped infrequent category (in feature names and inverse maps).
INFREQUENT_NAME = "infrequent_sklearn"


class _ArrayLike(Constraint):
    def is_satisfied_by(self, value) -> bool:
        return isinstance(value, (list, tuple, np.ndarray))

    def __str__(self) -> str:
        return "an array-like (one value per column)"


def _category_text(value) -> str:
    """scikit-learn's ``str(category)`` for names; the missing category is ``nan`` (the marker
    pandas hands scikit-learn for missing text and numbers)."""
    return "nan" if is_nan_like(value) else str(value)


@register_step
class OneHotEncoder(CountFitEncoder):
    """Encode categorical columns as one-hot indicator columns (scikit-learn's OneHotEncoder).

    Same parameters, fitted attributes, output numbers and feature names as
    ``sklearn.preprocessing.OneHotEncoder`` (infrequent grouping, ``drop`` variants and unknown
    handling included), on compiled kernels: one hash lookup pass per column, then one write of
    its output block, dense or CSR.

    Parameters
    ----------
    categories : "auto" or list of lists, default "auto"
        ``"auto"``: the values seen in fit, sorted (strings by code point), missing last. A list:
        the categories of each column (a missing marker ``None``/``nan`` may come last).
    drop : {"first", "if_binary"}, list of values or None, default None
        Category to drop per column (after infrequent grouping): the first one, the first one of
        columns with exactly two, or the given value (an infrequent value cannot be dropped).
    sparse_output : bool, default True
        Return a SciPy CSR matrix (for any input). Set False for a dense array/frame; a LazyFrame
        input always gives dense lazy columns.
    dtype : numeric dtype, default np.float64
        Output dtype (e.g. ``np.uint8`` for a compact dense frame, ``np.float32``).
    handle_unknown : {"error", "ignore", "infrequent_if_exist", "warn"}, default "error"
        A value not seen in fit raises (naming column, row and value), gives all zeros, or goes
        to the infrequent column when there is one (``"warn"``: the same, with a warning).
    min_frequency : int or float, default None
        Categories seen fewer times (int) or in a smaller share of rows (float in (0, 1)) are
        grouped into one ``infrequent_sklearn`` column, after the frequent ones.
    max_categories : int, default None
        At most this many output columns per input column (the infrequent one included).
    feature_name_combiner : "concat" or callable, default "concat"
        ``"concat"`` names outputs ``f"{column}_{category}"``; a callable
        ``(column, category) -> str`` names them otherwise (such a step cannot be saved).

    Attributes
    ----------
    categories_ : list of ndarray
    drop_idx_ : ndarray of object or None
    infrequent_categories_ : list of ndarray or None
        Defined when ``min_frequency`` or ``max_categories`` is set.
    n_features_in_, feature_names_in_

    Notes
    -----
    A null (or NaN) is a category of its own, last, named ``nan`` as scikit-learn names the
    missing marker pandas gives it (scikit-learn names a ``None`` in an object array ``None``).
    Deliberate difference: the null of a column that had none in fit is an unseen value.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from tabprep.encode import OneHotEncoder
    >>> df = pl.DataFrame({"color": ["red", "blue", None, "red"]})
    >>> enc = OneHotEncoder(sparse_output=False, dtype=np.uint8).fit(df)
    >>> enc.get_feature_names_out().tolist()
    ['color_blue', 'color_red', 'color_nan']
    >>> enc.transform(pl.DataFrame({"color": ["blue", "red"]})).rows()
    [(1, 0, 0), (0, 1, 0)]
    >>> X = np.array([["a"] * 5 + ["b"] * 20 + ["c"] * 10 + ["d"] * 3], dtype=object).T
    >>> ohe = OneHotEncoder(max_categories=3, sparse_output=False).fit(X)
    >>> ohe.infrequent_categories_
    [array(['a', 'd'], dtype=object)]
    >>> ohe.transform([["a"], ["b"]])
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """

    _parameter_constraints = {
        "categories": [Options(("auto",)), ListsPerColumn()],
        "drop": [Options(("first", "if_binary")), _ArrayLike(), None],
        "sparse_output": ["boolean"],
        "dtype": [OutputDType("iufb")],
        "handle_unknown": [Options(("error", "ignore", "infrequent_if_exist", "warn"))],
        "min_frequency": MIN_FREQUENCY,
        "max_categories": MAX_CATEGORIES,
        "feature_name_combiner": [Options(("concat",)), callable],
    }
    _null_is_unknown = True

    def __init__(self, *, categories="auto", drop=None, sparse_output=True, dtype=np.float64,
                 handle_unknown="error", min_frequency=None, max_categories=None, feature_name_combiner="concat"):
        self.categories = categories
        self.drop = drop
        self.sparse_output = sparse_output
        self.dtype = dtype
        self.handle_unknown = handle_unknown
        self.min_frequency = min_frequency
        self.max_categories = max_categories
        self.feature_name_combiner = feature_name_combiner

    # ---------------------------------------------------------------- fit
    def _derive(self) -> None:
        self._np_dtype = numpy_out_dtype(self.dtype)
        enabled = self.max_categories is not None or self.min_frequency is not None
        n_features = len(self._cats)
        if not isinstance(self.drop, (str, type(None))) and len(self.drop) != n_features:
            raise ConfigError(f"`drop` should have length equal to the number of features ({n_features}), "
                              f"got {len(self.drop)}")
        self._infrequent, self._grouping, drop_after, drop_idx = [], [], [], []
        for i, cats in enumerate(self._cats):
            n_cats = len(cats.counts)  # the null category included: it can be infrequent
            infreq = identify_infrequent(cats.counts, cats.n_rows, self.min_frequency, self.max_categories) \
                if enabled else None
            grouping = np.arange(n_cats)
            if infreq is not None:
                frequent = np.setdiff1d(np.arange(n_cats), infreq)
                grouping[frequent] = np.arange(len(frequent))
                grouping[infreq] = len(frequent)
            n_grouped = n_cats if infreq is None else n_cats - len(infreq) + 1
            self._infrequent.append(infreq)
            self._grouping.append(grouping)
            d = self._drop_for(i, cats, infreq, grouping, n_grouped)
            drop_after.append(d)
            drop_idx.append(None if d is None else int(np.flatnonzero(grouping == d)[0]))
        self._drop_after = drop_after
        self.drop_idx_ = None if self.drop is None else np.array(drop_idx, dtype=object)
        self._infrequent_enabled = enabled
        self._slots, self._n_out = [], []
        for i, cats in enumerate(self._cats):
            grouping, d, infreq = self._grouping[i], self._drop_after[i], self._infrequent[i]
            n_grouped = int(grouping.max()) + 1 if grouping.size else 0
            slot = grouping.astype(np.int32)
            if d is not None:
                slot = np.where(slot == d, -1, np.where(slot > d, slot - 1, slot)).astype(np.int32)
            self._n_out.append(n_grouped - (d is not None))
            unknown = -1
            if self.handle_unknown in ("infrequent_if_exist", "warn") and infreq is not None:
                unknown = int(slot[infreq[0]])
            null = int(slot[len(cats)]) if cats.has_null else unknown
            self._slots.append(np.concatenate([[unknown, null], slot[:len(cats)]]).astype(np.int32))
        self._offsets = np.concatenate([[0], np.cumsum(self._n_out)]).astype(np.int64)
        self._cache = BatchCache(weak=self._np_dtype.kind != "b")

    def _drop_for(self, i, cats, infreq, grouping, n_grouped):
        if self.drop is None:
            return None
        if self.drop == "first":
            return 0
        if self.drop == "if_binary":
            return 0 if n_grouped == 2 else None
        value = self.drop[i]
        value = value.item() if isinstance(value, np.generic) else value
        if is_nan_like(value):
            found = len(cats) if cats.has_null else None
        else:
            hits = np.flatnonzero(np.array([v == value for v in cats.values.to_list()], dtype=bool)) \
                if len(cats) else np.array([], dtype=np.int64)
            found = int(hits[0]) if hits.size else None
        if found is None:
            raise ConfigError("The following categories were supposed to be dropped, but were not found in the "
                              f"training data.\nCategory: {value!r}, Feature: {i}", column=cats.name)
        if infreq is not None and found in infreq:
            raise ConfigError(f"Unable to drop category {value!r} from feature {i} because it is infrequent",
                              column=cats.name)
        return int(grouping[found])

    def _names_out(self, names: list[str]) -> list[str]:
        combiner = self.feature_name_combiner
        if combiner != "concat":
            probe = combiner("feature", "category")
            if not isinstance(probe, str):
                raise TypeError("When `feature_name_combiner` is a callable, it should return a Python string. "
                                f"Got {type(probe)} instead.")
        out = []
        for i, (name, cats) in enumerate(zip(names, self._cats)):
            labels = list(self.categories_[i])
            infreq = self._infrequent[i]
            if infreq is not None:
                keep = np.ones(len(labels), dtype=bool)
                keep[infreq] = False
                labels = [v for v, k in zip(labels, keep) if k] + [INFREQUENT_NAME]
            d = self._drop_after[i]
            if d is not None:
                del labels[d]
            for v in labels:
                if combiner == "concat":
                    text = v if v is INFREQUENT_NAME else _category_text(v)
                    out.append(f"{name}_{text}")
                else:
                    out.append(combiner(name, v.item() if isinstance(v, np.generic) else v))
        # Column names must be unique in a frame (scikit-learn's arrays don't care): e.g. a null
        # and the string "nan" both print as 'nan', and ('a_b', 'c') vs ('a', 'b_c') collide.
        seen: set[str] = set()
        for n in out:
            if n in seen:
                raise SchemaError(
                    f"OneHotEncoder would create two output columns named {n!r}",
                    hint="rename the clashing categories or columns, or pass a feature_name_combiner "
                         "that keeps them apart",
                )
            seen.add(n)
        return out

    # ---------------------------------------------------------------- transform
    def _unknown_fix(self):
        if self.handle_unknown == "error":
            return "pass handle_unknown='ignore' (all zeros) or 'infrequent_if_exist'"
        return None

    def _checked(self, i: int, codes, s: pl.Series, exact: bool, warned: list) -> None:
        warns = self.handle_unknown == "warn" or self.drop is not None
        if self._check(i, codes, s, exact, flag=warns) and warns:
            warned.append(i)

    def _warn(self, warned: list) -> None:
        if not warned:
            return
        names = [self._input_names()[i] for i in warned]
        to = ("the infrequent category" if self.handle_unknown in ("infrequent_if_exist", "warn")
              else "all zeros")
        warnings.warn(f"Found unknown categories in columns {names} during transform. These unknown "
                      f"categories will be encoded as {to}.", UserWarning, stacklevel=3)

    def _output(self, columns, codes, data):
        from tabprep.kernels import indicator_csr, indicator_dense

        names = [s.name for s in columns]
        n = len(columns[0]) if columns else 0
        warned: list = []
        for i, s in enumerate(columns):
            self._checked(i, codes[i], s, True, warned)
        self._warn(warned)
        total = int(self._offsets[-1])
        config = self._output_config()
        if self.sparse_output:
            if config != "default":
                raise ConfigError(f"{config.capitalize()} output does not support sparse data. Set "
                                  f"sparse_output=False to output {config} dataframes or disable "
                                  f'{config.capitalize()} output via ohe.set_output(transform="default").')
            index = np.empty((len(names), n), dtype=np.int32)
            for i in range(len(names)):
                table = np.where(self._slots[i] >= 0, self._slots[i] + self._offsets[i], -1).astype(np.int32)
                codes[i].lookup(table, out=index[i])
            data_, indices, indptr = indicator_csr(index, max(total, 1), dtype=self._np_dtype, check=False)
            return _csr(data_, indices, indptr, (n, total), self._np_dtype)
        as_frame = not (data.kind == "numpy" and config == "default")
        kernel_dtype = np.dtype(np.uint8) if self._np_dtype.kind == "b" else self._np_dtype
        out = np.empty((n, total), dtype=kernel_dtype, order="F" if as_frame else "C")
        for i in range(len(names)):
            slot = codes[i].lookup(self._slots[i])
            indicator_dense(slot, out, int(self._offsets[i]), self._n_out[i], check=False)
        if kernel_dtype != self._np_dtype:
            out = out.view(np.bool_)
        return self._wrap(out, self._names_out(names), data)

    def _slot_of(self, i: int, s: pl.Series) -> np.ndarray:
        codes = self._codes(i, s)
        warned: list = []
        self._checked(i, codes, s, False, warned)
        self._warn(warned)
        return codes.lookup(self._slots[i])

    def _block_of(self, i: int, s: pl.Series) -> np.ndarray:
        from tabprep.kernels import indicator_dense

        import pyarrow as pa

        slot = self._slot_of(i, s)
        n, k = len(slot), self._n_out[i]
        # Memory from Arrow's pool, which recycles the pages of earlier batches' blocks (np.empty
        # maps fresh ones, advised to be huge pages: first writes that stall on compaction). The
        # block is the array its columns' views point to (their base), so the cache's weak
        # reference lives exactly as long as they do.
        buf = pa.allocate_buffer(max(n * k, 1) * self._np_dtype.itemsize)
        block = np.ndarray((n, k), dtype=self._np_dtype, buffer=buf, order="F")
        return indicator_dense(slot, block, 0, k, check=False)

    def _columns_of(self, i: int, s: pl.Series) -> list:
        """One batch of input column ``i``: its output columns."""
        if self._np_dtype.kind == "b":  # a Boolean column is a bitmap: each one built from the slots
            slot = self._cache.get(i, s, partial(self._slot_of, i))
            return [slot == j for j in range(self._n_out[i])]
        # numbers: the batch's whole indicator block (one kernel pass, 2-3x faster than a
        # comparison and a cast per column), each output a view of one of its columns
        block = self._cache.get(i, s, partial(self._block_of, i))
        return [block[:, j] for j in range(self._n_out[i])]

    def transform_exprs(self, schema) -> list:
        """One expression per input column with outputs: its output columns as one struct per
        batch, unnested (each batch encoded once, see ``unnested_outputs``)."""
        self._check_fitted()
        dt = polars_dtype(self._np_dtype)
        out_names = iter(self._names_out(self._input_names()))
        exprs = []
        for i, name in enumerate(self._input_names()):
            names = [next(out_names) for _ in range(self._n_out[i])]
            if names:
                exprs.append(unnested_outputs(name, names, dt, partial(self._columns_of, i)))
        return exprs

    def output_schema(self, schema):
        dt = polars_dtype(self._np_dtype)
        return pl.Schema({n: dt for n in self._names_out(self._input_names())})

    # ---------------------------------------------------------------- inverse
    def _grouped_categories(self, i: int) -> np.ndarray:
        """scikit-learn's ``_compute_transformed_categories(i, remove_dropped=False)``: the
        frequent categories in order, then ``infrequent_sklearn`` when there are infrequent ones."""
        cats = self.categories_[i]
        if self._infrequent[i] is None:
            return cats
        grouping = self._grouping[i]
        return np.concatenate((cats[grouping < grouping.max()], np.array([INFREQUENT_NAME], dtype=object)))

    def inverse_transform(self, X):
        """The categories back from one-hot rows (scikit-learn's ``inverse_transform``).

        Each block's active column gives its category (``infrequent_sklearn`` for the infrequent
        column). A block of all zeros is the dropped category when a category is dropped, else
        ``None`` when ``handle_unknown`` made unseen values all zeros (``"ignore"``, or
        ``"infrequent_if_exist"``/``"warn"`` without an infrequent column), else an error.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_encoded_features)
            One-hot rows, as :meth:`transform` gives them (a frame's columns in output order).

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            Always a NumPy array, as scikit-learn's (object dtype when the categories' dtypes
            differ or a ``None``/``infrequent_sklearn`` entry is needed).

        Examples
        --------
        >>> import numpy as np
        >>> from tabprep.encode import OneHotEncoder
        >>> enc = OneHotEncoder(handle_unknown="ignore").fit([["a", 1], ["b", 2]])
        >>> enc.inverse_transform([[0, 1, 1, 0], [0, 0, 0, 1]])
        array([['b', 1],
               [None, 2]], dtype=object)
        """
        from sklearn.utils import check_array

        self._check_fitted()
        # (no output column -- one category, dropped -- is valid: scikit-learn refuses it)
        X = check_array(_as_matrix(X), accept_sparse="csr", ensure_min_features=0)
        n_samples = X.shape[0]
        n_features = len(self._cats)
        total = int(self._offsets[-1])
        if X.shape[1] != total:
            raise DataError(f"Shape of the passed X data is not correct. Expected {total} columns, "
                            f"got {X.shape[1]}.", found=f"{X.shape[1]} columns",
                            hint="pass the output of transform (every output column, in order)")
        grouped = [self._grouped_categories(i) for i in range(n_features)]
        out = np.empty((n_samples, n_features), dtype=np.result_type(*[g.dtype for g in grouped]))
        found_unknown = {}
        for i in range(n_features):
            d = self._drop_after[i]
            labels_of = grouped[i] if d is None else np.delete(grouped[i], d)
            j, n_cat = int(self._offsets[i]), self._n_out[i]
            if n_cat == 0:  # one (grouped) category, dropped: every row is it
                out[:, i] = grouped[i][d]
                continue
            sub = X[:, j:j + n_cat]
            out[:, i] = labels_of[np.asarray(sub.argmax(axis=1)).ravel()]
            zeros = np.asarray(sub.sum(axis=1) == 0).ravel()
            if not zeros.any():
                continue
            if self.handle_unknown == "ignore" or (self.handle_unknown in ("infrequent_if_exist", "warn")
                                                   and self._infrequent[i] is None):
                if d is None:
                    found_unknown[i] = zeros
                else:  # as scikit-learn: an all-zero block of a column with a dropped category
                    out[zeros, i] = self.categories_[i][d]
            elif d is None:  # (scikit-learn also fails when another column has a dropped category)
                rows = np.flatnonzero(zeros)
                raise DataError(f"Samples {rows} can not be inverted when no category of the column is dropped "
                                "and handle_unknown='error' because they contain all zeros", column=self._input_names()[i],
                                row=int(rows[0]), hint="only rows of transform's output can be inverted")
            else:
                out[zeros, i] = grouped[i][d]
        if found_unknown:
            out = out.astype(object, copy=False)
            for i, mask in found_unknown.items():
                out[mask, i] = None
        return out

    def to_dict(self) -> dict:
        if callable(self.feature_name_combiner):
            raise ConfigError("a OneHotEncoder with a callable feature_name_combiner cannot be saved",
                              hint="use feature_name_combiner='concat' and rename the output columns")
        return super().to_dict()


def _as_matrix(X):
    """A transform output (a Polars/pyarrow frame too) as something ``check_array`` reads."""
    if isinstance(X, pl.DataFrame):
        return X.to_numpy()
    if type(X).__module__.startswith("pyarrow"):
        return pl.from_arrow(X).to_numpy()
    return X


def _csr(data, indices, indptr, shape, dtype):
    from scipy import sparse

    out = sparse.csr_matrix((data, indices, indptr), shape=shape, dtype=dtype)
    out.has_sorted_indices = True
    try:
        from sklearn.utils import _align_api_if_sparse

        return _align_api_if_sparse(out)
    except ImportError:  # older scikit-learn: spmatrix, as it returned
        return out
