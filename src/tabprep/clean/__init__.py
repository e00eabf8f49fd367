"""Cleaning steps: imputation, clipping/winsorizing, casting (scikit-learn names where they exist)."""

from __future__ import annotations

from tabprep.clean._cast import Cast
from tabprep.clean._clip import Clipper
from tabprep.clean._impute import SimpleImputer

__all__ = ["SimpleImputer", "Clipper", "Cast"]
