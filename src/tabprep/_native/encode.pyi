"""Stub of the compiled categorical-encoder kernels (csrc/encode.pyx).

Use them through :mod:`tabprep.kernels._encode`, which checks dtypes, shapes and index ranges; these
loops trust their inputs. ``Values`` is any of uint8/16/32/64, int8/16/32/64, float32, float64
(one compiled loop per dtype).
"""

from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa

Values: TypeAlias = (
    npt.NDArray[np.uint8]
    | npt.NDArray[np.uint16]
    | npt.NDArray[np.uint32]
    | npt.NDArray[np.uint64]
    | npt.NDArray[np.int8]
    | npt.NDArray[np.int16]
    | npt.NDArray[np.int32]
    | npt.NDArray[np.int64]
    | npt.NDArray[np.float32]
    | npt.NDArray[np.float64]
)

def lookup(codes: npt.NDArray[np.int32], table: Values, shift: int, out: Values) -> None:
    """``out[i] = table[codes[i] + shift]``."""

def bincount(codes: npt.NDArray[np.int32], shift: int, counts: npt.NDArray[np.int64]) -> None:
    """``counts[codes[i] + shift] += 1`` (counts zeroed by the caller)."""

def indicator_colmajor(
    index: npt.NDArray[np.int32],
    out: Values,
    col_start: int,
    n_cols: int,
    sign: npt.NDArray[np.int8] | None = None,
) -> None:
    """Write an indicator block into a Fortran-ordered 2-D ``out`` (every cell of the block)."""

def indicator_rowmajor(
    index: npt.NDArray[np.int32],
    out: Values,
    col_start: int,
    n_cols: int,
    sign: npt.NDArray[np.int8] | None = None,
) -> None:
    """Write an indicator block into a C-ordered 2-D ``out`` (every cell of the block)."""

def csr_structure(
    index: npt.NDArray[np.int32],
    indptr: npt.NDArray[np.int32] | npt.NDArray[np.int64],
    indices: npt.NDArray[np.int32],
) -> int:
    """Fill CSR ``indptr``/``indices`` from a ``(n_features, n_rows)`` index; return nnz."""

def csr_values(index: npt.NDArray[np.int32], sign: npt.NDArray[np.int8], data: Values) -> int:
    """Entry values (from ``sign``) in :func:`csr_structure`'s order; return nnz."""

def murmurhash3_32(key: bytes, seed: int = 0) -> int:
    """Signed 32-bit MurmurHash3 (x86) of ``key``."""

def hash_buckets(
    arr: pa.Array,
    n_features: int,
    seed: int,
    bucket: npt.NDArray[np.int32],
    sign: npt.NDArray[np.int8],
) -> None:
    """FeatureHasher bucket and sign of every value of a string/large_string/string_view array."""
