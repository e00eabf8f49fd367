"""Categorical encoders: target, weight of evidence, ordinal, one-hot, count, rare grouping, hashing.

Each class is imported from its module on first use (:mod:`tabprep._lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tabprep._lazy import lazy_exports

_MODULES = {
    "TargetEncoder": "tabprep.encode._target",
    "WOEEncoder": "tabprep.encode._woe",
    "OrdinalEncoder": "tabprep.encode._ordinal",
    "OneHotEncoder": "tabprep.encode._onehot",
    "CountEncoder": "tabprep.encode._count",
    "RareCategoryGrouper": "tabprep.encode._rare",
    "HashingEncoder": "tabprep.encode._hashing",
}
__all__ = list(_MODULES)
__getattr__, __dir__ = lazy_exports(__name__, globals(), _MODULES)

if TYPE_CHECKING:
    from tabprep.encode._count import CountEncoder
    from tabprep.encode._hashing import HashingEncoder
    from tabprep.encode._onehot import OneHotEncoder
    from tabprep.encode._ordinal import OrdinalEncoder
    from tabprep.encode._rare import RareCategoryGrouper
    from tabprep.encode._target import TargetEncoder
    from tabprep.encode._woe import WOEEncoder
