"""Inputs in, outputs out: the one dispatch on the input's backend (skrub's ``_dispatch`` is the
model). Every accepted container becomes a Polars LazyFrame (or Series) and goes back alike;
optional libraries (pandas, pyarrow, scikit-learn) are imported only when such an input comes.

Accepted inputs: Polars ``LazyFrame``/``DataFrame``, pandas ``DataFrame``, pyarrow
``Table``/``RecordBatch``, and anything NumPy can turn into a 2-D array (validated by scikit-learn's
``check_array``, so array errors read exactly as scikit-learn's: the estimator checks rely on
that). Arrays get the column names ``x0 .. x{n-1}``, as scikit-learn names unnamed features.
Paths (``str``/``Path``) are accepted only where a whole data set is expected (``Pipeline.fit``,
``FittedPipeline.transform``) and are opened lazily with :func:`tabprep.io.scan`.

SciPy sparse matrices and arrays (CSR, CSC, ...) are accepted only by the steps that ask for them
(``accept_sparse``, as scikit-learn's ``check_array``, which checks and converts them: the same
errors, e.g. a ``TypeError`` for a step that needs dense data). Such an input is kind
``"sparse"``: ``Coerced.sparse`` holds the checked matrix (in an accepted format) and ``lf`` reads
it as dense Float columns ``x0..``, built only when the frame is collected (a step's fit; a
step's sparse transform works on the matrix itself and keeps it sparse).

Null vs NaN: pandas ``NaN`` becomes a Polars null on the way in (``pl.from_pandas`` default),
NumPy ``NaN`` stays NaN; steps treat both as missing. On the way out to NumPy/pandas, nulls
become ``NaN`` (or ``None`` in object columns).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from tabprep.errors import ConfigError, DataError

_TABLES = "a Polars LazyFrame/DataFrame, a pandas DataFrame, a pyarrow Table or a 2-D NumPy array"

__all__ = ["Coerced", "coerce", "convert_output", "as_table", "as_lazyframe", "as_series", "positional_names", "OUTPUT_CONFIGS"]

#: Output containers ``set_output(transform=...)`` accepts (scikit-learn's names).
OUTPUT_CONFIGS = ("default", "pandas", "polars")


def positional_names(n: int) -> list[str]:
    """``["x0", ..., "x{n-1}"]``: scikit-learn's names for unnamed features."""
    return [f"x{i}" for i in range(n)]


@dataclass(frozen=True)
class Coerced:
    """An input turned into a LazyFrame, with what is needed to give the output back alike.

    ``kind`` is one of ``"lazy"``, ``"polars"``, ``"pandas"``, ``"arrow"``, ``"numpy"``,
    ``"path"``, ``"sparse"``; ``named`` is False when the column names were made up (``x0..``);
    ``index`` is the pandas index to restore on pandas output; ``sparse`` the checked SciPy
    matrix of a ``"sparse"`` input.
    """

    lf: Any
    kind: str
    named: bool = True
    index: Any = None
    sparse: Any = None


def _module(obj) -> str:
    return type(obj).__module__.split(".")[0]


def coerce(data, *, array_dtype: Any = "numeric", ensure_all_finite: Any = "allow-nan",
           allow_path: bool = False, accept_sparse: Any = False, copy: bool = False) -> Coerced:
    """Turn ``data`` into a :class:`Coerced` (a LazyFrame plus the input's kind).

    Parameters
    ----------
    data : polars/pandas/pyarrow frame, 2-D array-like, or a path (if ``allow_path``)
    array_dtype, ensure_all_finite
        Passed to scikit-learn's ``check_array`` for array-like input only.
    allow_path : bool
        Accept ``str``/``os.PathLike`` and open it with :func:`tabprep.io.scan`.
    accept_sparse : False, str or tuple of str
        SciPy sparse formats accepted (``check_array``'s ``accept_sparse``: another format is
        converted to the first one); False refuses sparse input as scikit-learn does.
    copy : bool
        Sparse input only: copy the matrix even when it needs no conversion (scikit-learn's
        ``copy``), so a transform writing into ``Coerced.sparse`` leaves the input alone.

    Examples
    --------
    >>> import numpy as np
    >>> c = coerce(np.array([[1.0, 2.0], [3.0, np.nan]]))
    >>> c.kind, c.named, c.lf.collect_schema().names()
    ('numpy', False, ['x0', 'x1'])
    """
    import polars as pl

    if isinstance(data, pl.LazyFrame):
        return Coerced(data, "lazy")
    if isinstance(data, pl.DataFrame):
        return Coerced(data.lazy(), "polars")
    if isinstance(data, (pl.Series,)):
        raise DataError("expected a 2-D table, got a Polars Series",
                        hint="Reshape your data: pass a DataFrame (series.to_frame())")
    if allow_path and isinstance(data, (str, os.PathLike)):
        from tabprep.io._scan import scan

        return Coerced(scan(data), "path")
    mod = _module(data)
    if mod == "scipy":
        from scipy import sparse

        if sparse.issparse(data):
            return _sparse(data, array_dtype, ensure_all_finite, accept_sparse, copy)
    if mod == "pandas":
        import pandas as pd

        if isinstance(data, pd.Series):
            raise DataError("expected a 2-D table, got a pandas Series",
                            hint="Reshape your data: pass a DataFrame (series.to_frame())")
        if isinstance(data, pd.DataFrame):
            named = all(isinstance(c, str) for c in data.columns)
            frame = data if named else data.set_axis(positional_names(data.shape[1]), axis=1)
            if frame.columns.duplicated().any():
                raise DataError("duplicate column names", found=list(frame.columns[frame.columns.duplicated()]))
            try:
                lf = pl.from_pandas(frame, include_index=False).lazy()
            except (TypeError, ValueError, pl.exceptions.PolarsError) as exc:
                # pyarrow's ArrowTypeError/ArrowInvalid (TypeError/ValueError) name no column
                bad = _mixed_object_column(frame)
                if bad is None:
                    raise
                raise _mixed_types_error(bad, frame[bad].tolist(), pandas=True) from exc
            return Coerced(lf, "pandas", named, data.index)
    if mod == "pyarrow":
        import pyarrow as pa

        if isinstance(data, (pa.Table, pa.RecordBatch)):
            return Coerced(pl.from_arrow(data).lazy(), "arrow")
    return Coerced(_array_to_lazy(data, array_dtype, ensure_all_finite), "numpy", named=False)


def _sparse(data, dtype, ensure_all_finite, accept_sparse, copy) -> Coerced:
    """A SciPy sparse input checked by scikit-learn's ``check_array`` (so a step that takes no
    sparse input raises its ``TypeError``), with a deferred dense LazyFrame of it."""
    import numpy as np
    import polars as pl
    from sklearn.utils.validation import check_array

    if dtype == "numeric":  # scikit-learn's scalers and numeric imputers work in floats
        dtype = (np.float64, np.float32)
    matrix = check_array(data, accept_sparse=accept_sparse, dtype=dtype, ensure_all_finite=ensure_all_finite,
                         copy=copy, ensure_2d=True, ensure_min_samples=1, ensure_min_features=1)
    names = positional_names(matrix.shape[1])
    dtype = pl.Series(np.zeros(0, matrix.dtype)).dtype

    def dense():  # column by column: no second dense copy of the whole matrix
        csc = matrix.tocsc()
        return pl.DataFrame([pl.Series(n, csc[:, [j]].toarray().ravel()) for j, n in enumerate(names)])

    return Coerced(pl.defer(dense, schema={n: dtype for n in names}), "sparse", named=False, sparse=matrix)


def _is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and v != v) or type(v).__name__ in ("NAType", "NaTType")


def _mixed_types_error(column: str, values, *, pandas: bool) -> DataError:
    kinds = sorted({type(v).__name__ for v in values if not _is_missing(v)})
    how = (" (e.g. df[col].astype(str)) or numbers (e.g. pandas.to_numeric(df[col], errors='coerce'))"
           if pandas else " or numbers (one type per column of the array)")
    return DataError("a column mixes value types", column=column, found=f"values of types {', '.join(kinds)}",
                     hint=f"give the column one type: text{how}")


def _mixed_object_column(frame) -> str | None:
    """The first object column of the pandas ``frame`` that Polars cannot read as one dtype."""
    import polars as pl

    for name in frame.columns:
        if frame[name].dtype != object:
            continue
        try:
            pl.from_pandas(frame[[name]], include_index=False)
        except (TypeError, ValueError, pl.exceptions.PolarsError):
            return name
    return None


def _has_strings(rows) -> bool:
    """Whether a list of rows holds a ``str`` (then NumPy would make it a '<U' array)."""
    try:
        return any(isinstance(v, str) for row in rows for v in row)
    except TypeError:  # not a list of rows: check_array says what is wrong with it
        return False


def _array_to_lazy(data, dtype, ensure_all_finite):
    import numpy as np
    import polars as pl
    from sklearn.utils.validation import check_array

    if dtype is None and isinstance(data, (list, tuple)) and _has_strings(data):
        # NumPy turns [["a", np.nan]] into a '<U' array holding the string 'nan'; an object
        # array keeps NaN, which is missing (scikit-learn's SimpleImputer does the same)
        dtype = object
    arr = check_array(data, dtype=dtype, ensure_all_finite=ensure_all_finite, accept_sparse=False,
                      ensure_2d=True, allow_nd=False, ensure_min_samples=1, ensure_min_features=1)
    names = positional_names(arr.shape[1])
    if arr.dtype == object:
        cols = []
        for j, name in enumerate(names):
            values = [None if (isinstance(v, float) and v != v) else v for v in arr[:, j].tolist()]
            try:
                cols.append(pl.Series(name, values, strict=True))
            except (TypeError, pl.exceptions.PolarsError) as exc:
                raise _mixed_types_error(name, values, pandas=False) from exc
        return pl.DataFrame(cols).lazy()
    return pl.from_numpy(np.asarray(arr), schema=names, orient="row").lazy()


def convert_output(lf, coerced: Coerced, config: str = "default"):
    """Give ``lf`` back in the container ``config`` asks for (``"default"`` = like the input).

    ``"default"``: LazyFrame/path in → LazyFrame out (nothing is computed); Polars DataFrame →
    DataFrame; pandas → pandas (index restored); pyarrow → Table; array → ``numpy.ndarray``.
    ``"polars"``: a DataFrame (a LazyFrame stays lazy). ``"pandas"``: a pandas DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> c = coerce(np.eye(2))
    >>> convert_output(c.lf, c)
    array([[1., 0.],
           [0., 1.]])
    """
    if config not in OUTPUT_CONFIGS:
        raise ConfigError(f"output container must be one of {OUTPUT_CONFIGS}", found=repr(config))
    lazy = coerced.kind in ("lazy", "path")
    if config == "polars" or (config == "default" and coerced.kind in ("lazy", "path", "polars")):
        return lf if lazy else lf.collect()
    df = lf.collect()
    if config == "pandas" or coerced.kind == "pandas":
        out = df.to_pandas()
        if coerced.index is not None and len(coerced.index) == len(out):
            out.index = coerced.index
        return out
    if coerced.kind == "arrow":
        return df.to_arrow()
    return df.to_numpy()


def as_table(data, *, allow_path: bool = False, what: str = "the data") -> Coerced:
    """A table in any container (see :data:`_TABLES`) as a :class:`Coerced` LazyFrame; unlike
    :func:`coerce` anything that is no table is refused up front (no guess through NumPy), and
    arrays keep their dtype.

    Raises
    ------
    ConfigError
        For any other object (a Series, a list, a dict...).

    Examples
    --------
    >>> import pyarrow as pa
    >>> as_table(pa.table({"x": [1, 2]})).kind
    'arrow'
    >>> as_table({"x": [1]})
    Traceback (most recent call last):
    ...
    tabprep.errors.ConfigError: the data must be a table; found dict. Hint: pass a Polars LazyFrame/DataFrame, a pandas DataFrame, a pyarrow Table or a 2-D NumPy array (tabprep.scan(path) opens a file)
    """
    import polars as pl

    mod = _module(data)
    table = (isinstance(data, (pl.LazyFrame, pl.DataFrame))
             or (mod == "pandas" and type(data).__name__ == "DataFrame")
             or (mod == "pyarrow" and type(data).__name__ in ("Table", "RecordBatch"))
             or (mod == "numpy" and getattr(data, "ndim", 0) == 2)
             or (allow_path and isinstance(data, (str, os.PathLike))))
    if not table:
        raise ConfigError(f"{what} must be a table", found=type(data).__name__,
                          hint=f"pass {_TABLES} (tabprep.scan(path) opens a file)")
    return coerce(data, array_dtype=None, allow_path=allow_path)


def as_lazyframe(data) -> Any:
    """``data`` (a table in any container, see :func:`as_table`) as a Polars LazyFrame.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from tabprep.io import as_lazyframe
    >>> as_lazyframe(pa.table({"x": [1, 2]})).collect()["x"].to_list()
    [1, 2]
    """
    return as_table(data).lf


def as_series(values, name: str | None = None, what: str = "the values"):
    """Any 1-D column (Polars, pandas, pyarrow, NumPy, list; a one-column frame) as a Polars
    Series, without copying where the source allows; ``name`` if it has none.

    Raises
    ------
    DataError
        More than one column, or not 1-D.

    Examples
    --------
    >>> import numpy as np
    >>> as_series(np.array([[1], [2]]), "y").to_list()
    [1, 2]
    >>> as_series(np.zeros((2, 2)), what="y")
    Traceback (most recent call last):
    ...
    tabprep.errors.DataError: y must be 1-D; found shape (2, 2)
    """
    import numpy as np
    import polars as pl

    if isinstance(values, pl.Series):
        return values
    if isinstance(values, pl.DataFrame):
        if values.width != 1:
            raise DataError(f"{what} must be one column", found=f"{values.width} columns")
        return values.to_series()
    mod = _module(values)
    if mod == "pandas":
        if values.ndim == 2:
            if values.shape[1] != 1:
                raise DataError(f"{what} must be one column", found=f"{values.shape[1]} columns")
            values = values.iloc[:, 0]
        return pl.from_pandas(values)
    if mod == "pyarrow":
        import pyarrow as pa

        if isinstance(values, pa.Table):
            if values.num_columns != 1:
                raise DataError(f"{what} must be one column", found=f"{values.num_columns} columns")
            values = values.column(0)
        if isinstance(values, (pa.Array, pa.ChunkedArray)):
            out = pl.from_arrow(values)
            out = out if isinstance(out, pl.Series) else out.to_series()
            return out if out.name or name is None else out.alias(name)
    arr = np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DataError(f"{what} must be 1-D", found=f"shape {arr.shape}")
    if arr.dtype == object:
        # NaN in an object array is a missing value (as pandas and scikit-learn read it)
        return pl.Series(name or "", [None if (isinstance(v, float) and v != v) else v for v in arr.tolist()])
    return pl.Series(name or "", arr)
