"""Cleaning steps: imputation, clipping/winsorizing, casting (scikit-learn names where they exist),
null strings and text parsing (:class:`Cleaner`, after skrub's), string normalization; and
:func:`deduplicate`, a function since it changes the row count."""

from __future__ import annotations

from tabprep.clean._cast import Cast
from tabprep.clean._cleaner import Cleaner
from tabprep.clean._dedup import deduplicate
from tabprep.clean._clip import Clipper
from tabprep.clean._impute import SimpleImputer
from tabprep.clean._strings import StringNormalizer

__all__ = ["SimpleImputer", "Clipper", "Cast", "Cleaner", "StringNormalizer", "deduplicate"]
