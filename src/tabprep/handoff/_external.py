"""Gradient boosting on more rows than memory, fed from a :class:`BatchLoader`'s source.

XGBoost reads the loader's batches through its ``DataIter`` (external memory: its quantile pages
are cached on disk, ``ExtMemQuantileDMatrix``); LightGBM reads rows by range through its
``Sequence`` interface while it builds its binned ``Dataset``. Both see one epoch's batches in a
fixed order (every pass XGBoost makes over the iterator gets the same batches).
"""

from __future__ import annotations

import numbers
import tempfile
from typing import Any

import numpy as np

from tabprep.errors import ConfigError
from tabprep.handoff._frameworks import _require

__all__ = ["loader_to_xgboost", "loader_to_lightgbm"]


def _labels_required(loader, func: str) -> None:
    if loader.label is None:
        raise ConfigError(f"`{func}` needs a label column", hint="create the BatchLoader with label=...")


def loader_to_xgboost(loader, *, external_memory: bool = True, cache_dir: str | None = None, **kwargs: Any):
    """An XGBoost matrix built from the loader's batches of its current epoch (see
    :meth:`BatchLoader.to_xgboost`)."""
    xgb = _require("xgboost", "BatchLoader.to_xgboost")
    _labels_required(loader, "BatchLoader.to_xgboost")
    epoch = loader.epoch

    class _Batches(xgb.DataIter):
        def __init__(self) -> None:
            self._it = None
            prefix = None
            if external_memory:
                prefix = tempfile.mkdtemp(prefix="tabprep-xgb-", dir=cache_dir) + "/cache"
            super().__init__(cache_prefix=prefix, release_data=True)
            self.reset()

        def next(self, input_data) -> bool:  # noqa: A003 - XGBoost's name
            batch = next(self._it, None)
            if batch is None:
                return False
            X, y = batch
            input_data(data=X, label=y)
            return True

        def reset(self) -> None:
            self._it = loader._batches(epoch, 0)

    it = _Batches()
    if external_memory:
        return xgb.ExtMemQuantileDMatrix(it, **kwargs)
    return xgb.QuantileDMatrix(it, **kwargs)


def loader_to_lightgbm(loader, **kwargs: Any):
    """A LightGBM Dataset reading the loader's rows by range (see :meth:`BatchLoader.to_lightgbm`)."""
    lgb = _require("lightgbm", "BatchLoader.to_lightgbm")
    _labels_required(loader, "BatchLoader.to_lightgbm")
    order, starts = loader._stream(0, shuffle=False)
    first = loader._rank_start()
    n = loader.rows_per_rank

    def rows(lo: int, hi: int) -> np.ndarray:
        out = np.empty((hi - lo, len(loader.features)), dtype=np.float64)  # what LightGBM samples from
        loader._fill(order, starts, first + lo, first + hi, out, None)
        return out

    class _Rows(lgb.Sequence):
        batch_size = max(loader.batch_size, 1 << 14)

        def __len__(self) -> int:
            return n

        def __getitem__(self, idx):
            if isinstance(idx, numbers.Integral):
                i = int(idx) + n if idx < 0 else int(idx)
                return rows(i, i + 1)[0]
            if isinstance(idx, slice):
                lo, hi, step = idx.indices(n)
                block = rows(lo, hi)
                return block if step == 1 else block[::step]
            if isinstance(idx, list):
                return np.stack([self[i] for i in idx]) if idx else np.empty((0, len(loader.features)))
            raise TypeError(f"Sequence index must be integer, slice or list, got {type(idx).__name__}")

    label = np.empty(n, dtype=np.float64)
    loader._fill(order, starts, first, first + n, None, label)  # nulls refused, as in the batches
    kwargs.setdefault("feature_name", list(loader.features))
    return lgb.Dataset([_Rows()], label=label, **kwargs)
