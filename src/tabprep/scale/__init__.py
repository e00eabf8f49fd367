"""Scaling steps with scikit-learn's names, parameters and fitted attributes (Polars inside)."""

from __future__ import annotations

from tabprep.scale._scalers import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

__all__ = ["StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler"]
