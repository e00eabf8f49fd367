"""Feature steps: date parts, cyclical encodings, time differences, per-entity lags and windows
(feature-engine's names), and user-defined compiled features (Numba).

Each class is imported from its module on first use (:mod:`tabprep._lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tabprep._lazy import lazy_exports

_MODULES = {
    "DatetimeFeatures": "tabprep.features._datetime",
    "CyclicalFeatures": "tabprep.features._datetime",
    "DatetimeSubtraction": "tabprep.features._datetime",
    "LagFeatures": "tabprep.features._forecast",
    "WindowFeatures": "tabprep.features._forecast",
    "NumbaTransformer": "tabprep.features._numba",
}
__all__ = list(_MODULES)
__getattr__, __dir__ = lazy_exports(__name__, globals(), _MODULES)

if TYPE_CHECKING:
    from tabprep.features._datetime import CyclicalFeatures, DatetimeFeatures, DatetimeSubtraction
    from tabprep.features._forecast import LagFeatures, WindowFeatures
    from tabprep.features._numba import NumbaTransformer
