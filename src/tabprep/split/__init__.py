"""Splits as columns: train/valid/test by ratio, the K-fold family, sklearn-compatible splitters.

- Fold / part ids as arrays (one int8 per row, deterministic by seed): :func:`kfold_ids`,
  :func:`stratified_kfold_ids`, :func:`group_kfold_ids`, :func:`stratified_group_kfold_ids`,
  :func:`time_series_fold_ids`, :func:`repeated_fold_ids`, :func:`hash_fold_ids` (from a hash of
  a key: the same key, the same fold, wherever its row is); by ratio: :func:`random_split_ids`,
  :func:`stratified_split_ids`, :func:`group_split_ids`, :func:`stratified_group_split_ids`.
- As a lazy column of a Polars frame: :func:`add_split_column` (``split``: 0 train, 1 valid,
  2 test) and :func:`add_fold_column` (``fold``); as one file per part: :func:`write_splits`.
- scikit-learn-compatible splitters (same names and parameters): :class:`KFold`,
  :class:`StratifiedKFold`, :class:`GroupKFold`, :class:`StratifiedGroupKFold`,
  :class:`TimeSeriesSplit`, :class:`RepeatedKFold`, :class:`RepeatedStratifiedKFold`,
  :func:`train_test_split`; :class:`HashKFold` (folds from a hash of a key column) (scikit-learn is imported only when one of them is first used).

Stratified assignment is one compiled pass (``tabprep._native.split``): a row of class c goes
to fold f with probability (places left in f for c) / (rows of c left), giving exact per-class
fold sizes -- scikit-learn's StratifiedKFold sizes -- uniformly at random. Past 2**18 rows the
pass runs on fixed row blocks in parallel (each block's share of every class's fold sizes drawn
first, from the multivariate hypergeometric law): the same law, the same ids on any number of
threads.
"""

from __future__ import annotations

import importlib

from tabprep.split._files import default_split_names, split_file_path, write_splits
from tabprep.split._frame import add_fold_column, add_split_column
from tabprep.split._hash import HashKFold, hash_fold_ids
from tabprep.split._kfold import (
    group_kfold_ids,
    kfold_ids,
    repeated_fold_ids,
    stratified_group_kfold_ids,
    stratified_kfold_ids,
    time_series_fold_ids,
)
from tabprep.split._ratio import group_split_ids, random_split_ids, stratified_group_split_ids, stratified_split_ids

_SKLEARN = (
    "KFold",
    "StratifiedKFold",
    "GroupKFold",
    "StratifiedGroupKFold",
    "TimeSeriesSplit",
    "RepeatedKFold",
    "RepeatedStratifiedKFold",
    "train_test_split",
)

__all__ = [
    "kfold_ids",
    "stratified_kfold_ids",
    "group_kfold_ids",
    "stratified_group_kfold_ids",
    "time_series_fold_ids",
    "repeated_fold_ids",
    "hash_fold_ids",
    "HashKFold",
    "random_split_ids",
    "stratified_split_ids",
    "group_split_ids",
    "stratified_group_split_ids",
    "add_split_column",
    "add_fold_column",
    "write_splits",
    "split_file_path",
    "default_split_names",
    *_SKLEARN,
]


def __getattr__(name: str):
    if name in _SKLEARN:
        value = getattr(importlib.import_module("tabprep.split._sklearn"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tabprep.split' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
