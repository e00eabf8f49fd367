"""Hand-off to training libraries (torch, XGBoost, LightGBM) through the one ``to_numpy`` matrix.

Each library is an optional dependency, imported only when its function is called; a missing one
raises :class:`ConfigError` naming the pip extra.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from tabprep._base.fit import explains_failures
from tabprep.errors import ConfigError, DataError
from tabprep.handoff._numpy import FLOAT_DTYPE, ORDER, _as_polars, _check_dtype, to_numpy
from tabprep._base.params import validate_call

__all__ = ["to_torch", "to_xgboost", "to_lightgbm"]

_EXTRA = {"torch": "torch", "xgboost": "handoff", "lightgbm": "handoff"}


def _require(module: str, func: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(
            f"`{func}` needs the {module!r} package, which is not installed",
            hint=f"pip install 'tabprep[{_EXTRA[module]}]' (or pip install {module})",
        ) from None


def _split(
    frame: Any, columns: str | Sequence[str] | None, label: str | None, weight: str | None
) -> tuple[pl.DataFrame, list[str]]:
    """Collect the frame once (features + label + weight) and name the feature columns."""
    extra = [c for c in (label, weight) if c is not None]
    if columns is None:
        schema = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else None
        names = schema.names() if schema is not None else None
        df, all_names = _as_polars(frame, names)
        features = [c for c in all_names if c not in extra]
    else:
        features = [columns] if isinstance(columns, str) else list(columns)
        df, _ = _as_polars(frame, list(dict.fromkeys([*features, *extra])))
    for name in extra:
        if name in features:
            raise ConfigError(f"column {name!r} is both a feature and the label/weight")
    return df, features


def _vector(df: pl.DataFrame, name: str, role: str, dtype: np.dtype) -> np.ndarray:
    y = to_numpy(df, [name], dtype=dtype, order="F")[:, 0]
    missing = np.flatnonzero(np.isnan(y))
    if missing.size:
        raise DataError(
            f"the {role} must not be null or NaN",
            column=name,
            row=int(missing[0]),
            found=f"{missing.size} null/NaN value(s)",
            hint=f"drop those rows or impute the {role} before the hand-off",
        )
    return y


@explains_failures
@validate_call({"order": ORDER})
def to_torch(
    frame: Any,
    columns: str | Sequence[str] | None = None,
    *,
    label: str | None = None,
    dtype: Any = np.float32,
    order: str = "C",
):
    """Features as a ``torch.Tensor`` sharing the memory of the :func:`to_numpy` matrix (DLPack).

    Parameters
    ----------
    frame : polars.DataFrame or LazyFrame (or pyarrow Table / pandas DataFrame)
    columns : str or list of str, optional
        Feature columns (default: all columns but ``label``).
    label : str, optional
        Target column; when given, returns ``(X, y)`` with ``y`` a 1-D tensor (nulls raise).
    dtype : numpy.float32 / numpy.float64 (or torch.float32 / torch.float64)
    order : {"C", "F"}

    Returns
    -------
    torch.Tensor, or (torch.Tensor, torch.Tensor) when ``label`` is given

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.handoff import to_torch
    >>> X, y = to_torch(pl.DataFrame({"a": [1, 2], "b": [0.5, None], "y": [0, 1]}), label="y")  # doctest: +SKIP
    >>> X.shape, y.tolist()  # doctest: +SKIP
    (torch.Size([2, 2]), [0.0, 1.0])
    """
    torch = _require("torch", "to_torch")
    if isinstance(dtype, torch.dtype):
        dtype = {torch.float32: np.float32, torch.float64: np.float64}.get(dtype, dtype)
    dt = _check_dtype(dtype, "to_torch")  # FLOAT_DTYPE, checked once torch dtypes are mapped
    df, features = _split(frame, columns, label, None)
    # from_dlpack shares the buffer: the tensor keeps the NumPy matrix alive, no copy
    X = torch.from_dlpack(to_numpy(df, features, dtype=dt, order=order))
    if label is None:
        return X
    return X, torch.from_dlpack(_vector(df, label, "label", dt))


@explains_failures
@validate_call({"dtype": FLOAT_DTYPE})
def to_xgboost(
    frame: Any,
    label: str | None = None,
    *,
    columns: str | Sequence[str] | None = None,
    weight: str | None = None,
    quantile: bool = False,
    dtype: Any = np.float32,
    **kwargs: Any,
):
    """An ``xgboost.DMatrix`` (or ``QuantileDMatrix`` with ``quantile=True``) of the features.

    The features go through :func:`to_numpy` (float32, C order: what XGBoost reads without a
    conversion copy); nulls become NaN, XGBoost's missing value. Feature names are kept.

    Parameters
    ----------
    frame : polars.DataFrame or LazyFrame (or pyarrow Table / pandas DataFrame)
    label : str, optional
        Target column (excluded from the features; nulls raise :class:`DataError`).
    columns : str or list of str, optional
        Feature columns (default: every column except ``label`` and ``weight``).
    weight : str, optional
        Sample-weight column.
    quantile : bool, default False
        Build a ``QuantileDMatrix`` (less memory for the ``hist`` tree method).
    dtype : numpy.float32 or numpy.float64
    **kwargs
        Passed to the DMatrix constructor (``nthread``, ``max_bin``, ``ref``, ...).

    Returns
    -------
    xgboost.DMatrix or xgboost.QuantileDMatrix

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.handoff import to_xgboost
    >>> dm = to_xgboost(pl.DataFrame({"a": [1.0, None, 3.0], "y": [0, 1, 0]}), label="y")
    >>> dm.num_row(), dm.feature_names
    (3, ['a'])
    """
    xgb = _require("xgboost", "to_xgboost")
    dt = np.dtype(dtype)
    df, features = _split(frame, columns, label, weight)
    X = to_numpy(df, features, dtype=dt, order="C")
    y = None if label is None else _vector(df, label, "label", np.dtype(np.float32))
    w = None if weight is None else _vector(df, weight, "weight", np.dtype(np.float32))
    cls = xgb.QuantileDMatrix if quantile else xgb.DMatrix
    return cls(X, label=y, weight=w, missing=np.nan, feature_names=features, **kwargs)


@explains_failures
@validate_call({"dtype": FLOAT_DTYPE})
def to_lightgbm(
    frame: Any,
    label: str | None = None,
    *,
    columns: str | Sequence[str] | None = None,
    weight: str | None = None,
    dtype: Any = np.float32,
    **kwargs: Any,
):
    """A ``lightgbm.Dataset`` of the features (from the one :func:`to_numpy` matrix).

    Parameters
    ----------
    frame : polars.DataFrame or LazyFrame (or pyarrow Table / pandas DataFrame)
    label : str, optional
        Target column (excluded from the features; nulls raise :class:`DataError`).
    columns : str or list of str, optional
        Feature columns (default: every column except ``label`` and ``weight``).
    weight : str, optional
        Sample-weight column.
    dtype : numpy.float32 or numpy.float64
    **kwargs
        Passed to ``lightgbm.Dataset`` (``params``, ``reference``, ``free_raw_data``, ...).

    Returns
    -------
    lightgbm.Dataset
        Not yet constructed (LightGBM bins it lazily, on ``construct()`` or training).

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.handoff import to_lightgbm
    >>> frame = pl.DataFrame({"a": [1.0, None, 3.0, 4.0], "y": [0, 1, 0, 1]})
    >>> ds = to_lightgbm(frame, label="y", params={"verbose": -1})
    >>> ds.construct().num_data()
    4
    """
    lgb = _require("lightgbm", "to_lightgbm")
    dt = np.dtype(dtype)
    df, features = _split(frame, columns, label, weight)
    X = to_numpy(df, features, dtype=dt, order="C")
    y = None if label is None else _vector(df, label, "label", np.dtype(np.float64))
    w = None if weight is None else _vector(df, weight, "weight", np.dtype(np.float64))
    return lgb.Dataset(X, label=y, weight=w, feature_name=features, **kwargs)
