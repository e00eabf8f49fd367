"""Hand-off to training: one preallocated float matrix, then NumPy / DLPack (torch) / XGBoost / LightGBM.

:func:`to_numpy` writes every column straight from its Arrow buffers into a matrix NumPy allocated
once (nulls become NaN); the other functions build on that matrix without another copy where the
library allows it (torch shares it through DLPack; XGBoost and LightGBM read it to build their own
binned structures).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tabprep._lazy import lazy_exports
from tabprep.handoff._numpy import to_numpy

__all__ = ["to_numpy", "to_torch", "to_xgboost", "to_lightgbm", "BatchLoader", "Checkpoint"]

# The rest is imported on first use (:mod:`tabprep._lazy`): ``to_numpy`` is what the CLI needs.
_MODULES = {
    "to_torch": "tabprep.handoff._frameworks",
    "to_xgboost": "tabprep.handoff._frameworks",
    "to_lightgbm": "tabprep.handoff._frameworks",
    "BatchLoader": "tabprep.handoff._loader",
    "Checkpoint": "tabprep.handoff._checkpoint",
}
__getattr__, __dir__ = lazy_exports(__name__, globals(), _MODULES)

if TYPE_CHECKING:
    from tabprep.handoff._checkpoint import Checkpoint
    from tabprep.handoff._frameworks import to_lightgbm, to_torch, to_xgboost
    from tabprep.handoff._loader import BatchLoader
