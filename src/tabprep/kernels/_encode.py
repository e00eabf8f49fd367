"""The door to the categorical-encoder kernels (``tabprep._native.encode``).

Checks dtypes, shapes, contiguity and index ranges once, allocates outputs, then calls the compiled
loops (which trust their inputs). Every function here has a plain NumPy reference in
``tests/oracles/encode.py``.
"""

from __future__ import annotations

import numpy as np

from tabprep._native import encode as _k

__all__ = [
    "lookup",
    "bincount",
    "indicator_dense",
    "indicator_csr",
    "hash_buckets",
    "murmurhash3_32",
]

# dtypes the fused kernels are compiled for
_VALUE_DTYPES = frozenset(np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64, np.int8, np.int16,
                                                  np.int32, np.int64, np.float32, np.float64))


def _codes(codes) -> np.ndarray:
    codes = np.asarray(codes)
    if codes.dtype != np.int32:
        raise TypeError(f"codes must be int32, got {codes.dtype}")
    if codes.ndim != 1:
        raise ValueError(f"codes must be 1-D, got shape {codes.shape}")
    return np.ascontiguousarray(codes)


def _check_range(codes: np.ndarray, shift: int, size: int, what: str) -> None:
    if codes.size:
        lo, hi = int(codes.min()) + shift, int(codes.max()) + shift
        if lo < 0 or hi >= size:
            raise IndexError(f"{what}: codes + shift span [{lo}, {hi}], outside [0, {size})")


def lookup(codes, table, *, shift: int = 0, out: np.ndarray | None = None, check: bool = True) -> np.ndarray:
    """Gather through a small table: ``out[i] = table[codes[i] + shift]``.

    Parameters
    ----------
    codes : ndarray of int32
        Codes (sentinels such as -1 for unknown or -2 for null are allowed when ``shift`` moves
        them onto table entries).
    table : ndarray
        One entry per shifted code; its dtype is the output dtype (8- to 64-bit integers, signed
        or not, float32 or float64).
    shift : int
        Added to every code before indexing.
    out : ndarray, optional
        Preallocated 1-D output of ``table.dtype`` and ``len(codes)``.
    check : bool
        Verify that every shifted code indexes the table (one min/max pass). Callers that built
        the codes themselves may skip it.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from tabprep.kernels._encode import lookup
    >>> lookup(np.array([0, 2, -1], dtype=np.int32), np.array([9.0, 10.0, 11.0, 12.0]), shift=1)
    array([10., 12.,  9.])
    """
    codes = _codes(codes)
    table = np.ascontiguousarray(table)
    if table.dtype not in _VALUE_DTYPES or table.ndim != 1:
        raise TypeError(f"table must be a 1-D array of one of {sorted(map(str, _VALUE_DTYPES))}, got {table.dtype} {table.shape}")
    if check:
        _check_range(codes, shift, table.shape[0], "lookup")
    if out is None:
        out = np.empty(codes.shape[0], dtype=table.dtype)
    elif out.dtype != table.dtype or out.shape != codes.shape or not out.flags.c_contiguous:
        raise ValueError("out must be a contiguous array of the table's dtype and the codes' length")
    _k.lookup(codes, table, shift, out)
    return out


def bincount(codes, size: int, *, shift: int = 0, check: bool = True) -> np.ndarray:
    """Occurrences of every shifted code: ``counts[c + shift]`` for ``c`` in ``codes`` (int64).

    Examples
    --------
    >>> import numpy as np
    >>> from tabprep.kernels._encode import bincount
    >>> bincount(np.array([0, 1, 1, -1], dtype=np.int32), 3, shift=1)
    array([1, 1, 2])
    """
    codes = _codes(codes)
    if check:
        _check_range(codes, shift, size, "bincount")
    counts = np.zeros(size, dtype=np.int64)
    _k.bincount(codes, shift, counts)
    return counts


def _sign(sign, n: int) -> np.ndarray | None:
    if sign is None:
        return None
    sign = np.ascontiguousarray(sign)
    if sign.dtype != np.int8 or sign.shape != (n,):
        raise ValueError(f"sign must be int8 of shape ({n},), got {sign.dtype} {sign.shape}")
    return sign


def indicator_dense(index, out: np.ndarray, col_start: int, n_cols: int, *, sign=None, check: bool = True) -> np.ndarray:
    """Write one indicator block (one-hot or hashed) into columns ``col_start:col_start+n_cols``.

    Row ``i`` gets ``sign[i]`` (or 1) in column ``col_start + index[i]`` and 0 elsewhere in the
    block; ``index[i] < 0`` gives a row of zeros. Every cell of the block is written, so ``out``
    may come from ``np.empty``. ``out`` is 2-D, C- or Fortran-ordered (the loop follows the layout).

    Examples
    --------
    >>> import numpy as np
    >>> from tabprep.kernels._encode import indicator_dense
    >>> out = np.empty((3, 2), dtype=np.uint8)
    >>> indicator_dense(np.array([1, -1, 0], dtype=np.int32), out, 0, 2)
    array([[0, 1],
           [0, 0],
           [1, 0]], dtype=uint8)
    """
    index = _codes(index)
    if out.ndim != 2 or out.shape[0] != index.shape[0]:
        raise ValueError(f"out must be 2-D with {index.shape[0]} rows, got shape {out.shape}")
    if out.dtype not in _VALUE_DTYPES:
        raise TypeError(f"out dtype {out.dtype} is not supported")
    if col_start < 0 or n_cols < 0 or col_start + n_cols > out.shape[1]:
        raise ValueError(f"block [{col_start}, {col_start + n_cols}) outside out's {out.shape[1]} columns")
    if check and index.size and int(index.max()) >= n_cols:
        raise IndexError(f"indicator: index {int(index.max())} outside the block's {n_cols} columns")
    sign = _sign(sign, index.shape[0])
    if index.shape[0] == 0 or n_cols == 0:
        return out
    if out.flags.f_contiguous:
        _k.indicator_colmajor(index, out, col_start, n_cols, sign)
    elif out.flags.c_contiguous:
        _k.indicator_rowmajor(index, out, col_start, n_cols, sign)
    else:
        raise ValueError("out must be C- or Fortran-contiguous")
    return out


def indicator_csr(index, n_cols: int, *, dtype=np.float64, sign=None, check: bool = True):
    """CSR arrays ``(data, indices, indptr)`` of stacked indicator blocks.

    Parameters
    ----------
    index : ndarray of int32, shape (n_features, n_rows)
        Per input feature and row, the *global* output column (block offset included) or a
        negative value for no entry.
    n_cols : int
        Total number of output columns.
    dtype : numpy dtype
        dtype of ``data``.
    sign : ndarray of int8, shape (n_features, n_rows), optional
        Value of each entry (default 1).

    Returns
    -------
    data, indices, indptr : ndarray
        ``indices`` and ``indptr`` are int32 when they fit (as scikit-learn's encoders), else int64
        indptr. Column indices of a row are sorted when the blocks are in ascending order.

    Examples
    --------
    >>> import numpy as np
    >>> from tabprep.kernels._encode import indicator_csr
    >>> data, indices, indptr = indicator_csr(np.array([[0, -1, 1], [2, 3, 2]], dtype=np.int32), 4)
    >>> indices.tolist(), indptr.tolist()
    ([0, 2, 3, 1, 2], [0, 2, 3, 5])
    """
    index = np.asarray(index)
    if index.dtype != np.int32 or index.ndim != 2:
        raise TypeError(f"index must be a 2-D int32 array, got {index.dtype} {index.shape}")
    index = np.ascontiguousarray(index)
    n_feat, n = index.shape
    if check and index.size and int(index.max()) >= n_cols:
        raise IndexError(f"indicator_csr: column {int(index.max())} outside {n_cols} columns")
    dtype = np.dtype(dtype)
    wide = n_feat * n > np.iinfo(np.int32).max
    indptr = np.empty(n + 1, dtype=np.int64 if wide else np.int32)
    indices = np.empty(n_feat * n, dtype=np.int32)
    nnz = int(_k.csr_structure(index, indptr, indices)) if n else 0
    if not n:
        indptr[0] = 0
    indices = indices[:nnz]
    if sign is None:
        data = np.ones(nnz, dtype=dtype)
    else:
        sign = np.ascontiguousarray(sign)
        if sign.dtype != np.int8 or sign.shape != index.shape:
            raise ValueError(f"sign must be int8 of shape {index.shape}, got {sign.dtype} {sign.shape}")
        if dtype in _VALUE_DTYPES:
            data = np.empty(nnz, dtype=dtype)
            if n:
                _k.csr_values(index, sign, data)
        else:
            data = sign.T[index.T >= 0].astype(dtype)
    return data, indices, indptr


def murmurhash3_32(key: bytes | str, seed: int = 0) -> int:
    """Signed 32-bit MurmurHash3 (x86) of a byte string (a ``str`` is UTF-8 encoded).

    Equals ``sklearn.utils.murmurhash3_32(key, seed)``.

    Examples
    --------
    >>> from tabprep.kernels._encode import murmurhash3_32
    >>> murmurhash3_32("foo")
    -156908512
    """
    if isinstance(key, str):
        key = key.encode("utf-8")
    return _k.murmurhash3_32(bytes(key), seed)


def _string_chunks(values):
    """pyarrow string chunks of ``values`` (Polars Series, pyarrow Array/ChunkedArray, sequence)."""
    import pyarrow as pa

    mod = type(values).__module__
    if mod.startswith("polars"):
        import polars as pl

        if values.dtype != pl.String:
            # Categorical/Enum/ints/bools: hash their text, as FeatureHasher would see str(value)
            values = values.cast(pl.String)
        arr = values.to_arrow(compat_level=pl.CompatLevel.newest())
    elif isinstance(values, (pa.Array, pa.ChunkedArray)):
        arr = values
    else:
        arr = pa.array(values)
    if isinstance(arr, pa.Array):
        chunks = [arr]
    else:
        chunks = arr.chunks
    out = []
    for chunk in chunks:
        t = chunk.type
        if pa.types.is_dictionary(t):
            chunk = chunk.cast(t.value_type)
            t = chunk.type
        if not (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)
                or pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t)):
            chunk = chunk.cast(pa.string())
        out.append(chunk)
    return out


def hash_buckets(values, n_features: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Hash every value into one of ``n_features`` buckets, as scikit-learn's FeatureHasher does.

    ``h = murmurhash3_32(utf8(str(value)), seed)``; ``bucket = abs(h) % n_features`` and
    ``sign = +1 if h >= 0 else -1``. Strings are read straight from the Arrow buffers (string,
    large_string or string_view layouts; no copy). Null rows get ``bucket = -1`` and ``sign = 0``.

    Returns
    -------
    bucket : ndarray of int32
    sign : ndarray of int8

    Examples
    --------
    >>> from tabprep.kernels._encode import hash_buckets
    >>> bucket, sign = hash_buckets(["a", None, "b"], 8)
    >>> bucket.tolist(), sign.tolist()
    ([2, -1, 5], [1, 0, -1])
    """
    n_features = int(n_features)
    if not 1 <= n_features <= 2**31 - 1:
        raise ValueError(f"n_features must be in [1, 2**31 - 1], got {n_features}")
    chunks = _string_chunks(values)
    n = sum(len(c) for c in chunks)
    bucket = np.empty(n, dtype=np.int32)
    sign = np.empty(n, dtype=np.int8)
    start = 0
    for chunk in chunks:
        stop = start + len(chunk)
        if stop > start:
            _k.hash_buckets(chunk, n_features, seed, bucket[start:stop], sign[start:stop])
        start = stop
    return bucket, sign
