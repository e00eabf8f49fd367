"""The one door to compiled code: validates inputs, hands Arrow/NumPy buffers to the kernels.

Steps import kernels from here (or its ``_<name>`` modules), never from ``tabprep._native``, so
none of them knows whether a kernel is Cython or Numba. Each ``_<name>`` module fronts
``tabprep._native.<name>`` (built from ``csrc/<name>.pyx``).
"""

from tabprep.kernels._binning import bin_codes, bin_target_stats, column_buffers, order_statistics, percentiles
from tabprep.kernels._encode import bincount, hash_buckets, indicator_csr, indicator_dense, lookup, murmurhash3_32
from tabprep.kernels._factorize import Vocabulary, encode_with, factorize
from tabprep.kernels._handoff import fill_matrix
from tabprep.kernels._sample import Reservoir, sample_select_sorted
from tabprep.kernels._split import (
    split_assign,
    split_assign_flat,
    split_greedy_lightest,
    split_label_counts,
    split_stratified_group,
    split_take,
)
from tabprep.kernels._target import check_target_rows, encoding_table, gather_encodings, target_stats, train_stats

__all__ = [
    # factorize: values -> int32 codes
    "Vocabulary", "encode_with", "factorize",
    # encoders
    "bincount", "hash_buckets", "indicator_csr", "indicator_dense", "lookup", "murmurhash3_32",
    # target / WoE encoding
    "check_target_rows", "encoding_table", "gather_encodings", "target_stats", "train_stats",
    # binning
    "bin_codes", "bin_target_stats", "column_buffers", "order_statistics", "percentiles",
    # splits and sampling
    "split_assign", "split_assign_flat", "split_greedy_lightest", "split_label_counts",
    "split_stratified_group", "split_take", "Reservoir", "sample_select_sorted",
    # hand-off
    "fill_matrix",
]
