"""Feature steps: date parts, cyclical encodings, time differences, per-entity lags and windows
(feature-engine's names), and user-defined compiled features (Numba)."""

from __future__ import annotations

from tabprep.features._datetime import CyclicalFeatures, DatetimeFeatures, DatetimeSubtraction
from tabprep.features._forecast import LagFeatures, WindowFeatures
from tabprep.features._numba import NumbaTransformer

__all__ = ["DatetimeFeatures", "CyclicalFeatures", "DatetimeSubtraction", "LagFeatures", "WindowFeatures",
           "NumbaTransformer"]
