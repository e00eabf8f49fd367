"""The one door to compiled code: validates inputs, hands Arrow/NumPy buffers to the kernels.

Steps import kernels from here only, never from ``tabprep._native``, so none of them knows
whether a kernel is Cython or Numba.
"""

from tabprep.kernels._factorize import Vocabulary, encode_with, factorize

__all__ = [
    "Vocabulary",
    "encode_with",
    "factorize",
]
from tabprep.kernels._split import split_assign, split_assign_flat, split_greedy_lightest, split_label_counts, split_stratified_group, split_take  # noqa: E402, F401, I001
from tabprep.kernels._sample import Reservoir, sample_select_sorted  # noqa: E402, F401
from tabprep.kernels._target import check_target_rows, encoding_table, gather_encodings, target_stats, train_stats  # noqa: E402, F401
from tabprep.kernels._binning import bin_codes, bin_target_stats, column_buffers, order_statistics, percentiles  # noqa: E402, F401
from tabprep.kernels._encode import bincount, hash_buckets, indicator_csr, indicator_dense, lookup, murmurhash3_32  # noqa: E402, F401
