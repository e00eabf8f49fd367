"""Hand-off to training: one preallocated float matrix, then NumPy / DLPack (torch) / XGBoost / LightGBM.

:func:`to_numpy` writes every column straight from its Arrow buffers into a matrix NumPy allocated
once (nulls become NaN); the other functions build on that matrix without another copy where the
library allows it (torch shares it through DLPack; XGBoost and LightGBM read it to build their own
binned structures).
"""

from tabprep.handoff._checkpoint import Checkpoint
from tabprep.handoff._loader import BatchLoader
from tabprep.handoff._frameworks import to_lightgbm, to_torch, to_xgboost
from tabprep.handoff._numpy import to_numpy

__all__ = ["to_numpy", "to_torch", "to_xgboost", "to_lightgbm", "BatchLoader", "Checkpoint"]
