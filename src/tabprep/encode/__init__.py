"""Categorical encoders: target, weight of evidence, ordinal, one-hot, count, rare grouping, hashing."""

from tabprep.encode._target import TargetEncoder
from tabprep.encode._woe import WOEEncoder

__all__ = [
    "TargetEncoder",
    "WOEEncoder",
]
from tabprep.encode._ordinal import OrdinalEncoder  # noqa: E402

__all__ += ["OrdinalEncoder"]
from tabprep.encode._onehot import OneHotEncoder  # noqa: E402

__all__ += ["OneHotEncoder"]
from tabprep.encode._count import CountEncoder  # noqa: E402

__all__ += ["CountEncoder"]
from tabprep.encode._rare import RareCategoryGrouper  # noqa: E402

__all__ += ["RareCategoryGrouper"]
from tabprep.encode._hashing import HashingEncoder  # noqa: E402

__all__ += ["HashingEncoder"]
