"""Cleaning steps: imputation, clipping/winsorizing, casting (scikit-learn names where they exist),
null strings and text parsing (:class:`Cleaner`, after skrub's), string normalization; and
:func:`deduplicate`, a function since it changes the row count.

Each name is imported from its module on first use (:mod:`tabprep._lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tabprep._lazy import lazy_exports

_MODULES = {
    "SimpleImputer": "tabprep.clean._impute",
    "Clipper": "tabprep.clean._clip",
    "Cast": "tabprep.clean._cast",
    "Cleaner": "tabprep.clean._cleaner",
    "StringNormalizer": "tabprep.clean._strings",
    "deduplicate": "tabprep.clean._dedup",
}
__all__ = list(_MODULES)
__getattr__, __dir__ = lazy_exports(__name__, globals(), _MODULES)

if TYPE_CHECKING:
    from tabprep.clean._cast import Cast
    from tabprep.clean._cleaner import Cleaner
    from tabprep.clean._clip import Clipper
    from tabprep.clean._dedup import deduplicate
    from tabprep.clean._impute import SimpleImputer
    from tabprep.clean._strings import StringNormalizer
