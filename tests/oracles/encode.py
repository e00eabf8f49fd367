"""Plain Python/NumPy references for the categorical-encoder kernels and steps.

Deliberately naive: loops over rows and dicts of counts, no tabprep code, so a kernel bug cannot
hide in the reference too. scikit-learn's encoders are the second reference where they exist.
"""

from __future__ import annotations

from collections import Counter

import numpy as np


# ---------------------------------------------------------------------------------------------
# kernels
# ---------------------------------------------------------------------------------------------

def lookup_ref(codes, table, shift=0):
    table = np.asarray(table)
    return np.array([table[int(c) + shift] for c in codes], dtype=table.dtype)


def bincount_ref(codes, size, shift=0):
    counts = np.zeros(size, dtype=np.int64)
    for c in codes:
        counts[int(c) + shift] += 1
    return counts


def indicator_dense_ref(index, n_cols, dtype, sign=None):
    out = np.zeros((len(index), n_cols), dtype=dtype)
    for i, k in enumerate(index):
        if k >= 0:
            out[i, k] = 1 if sign is None else sign[i]
    return out


def indicator_csr_ref(index2d, n_cols, sign2d=None):
    """(data, indices, indptr) of the stacked blocks, built row by row."""
    index2d = np.asarray(index2d)
    n_feat, n = index2d.shape
    data, indices, indptr = [], [], [0]
    for i in range(n):
        for f in range(n_feat):
            k = index2d[f, i]
            if k >= 0:
                indices.append(int(k))
                data.append(1 if sign2d is None else int(sign2d[f, i]))
        indptr.append(len(indices))
    return np.array(data), np.array(indices, dtype=np.int64), np.array(indptr, dtype=np.int64)


def murmurhash3_32_ref(key: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86 32-bit, straight from the reference algorithm; signed result."""
    if isinstance(key, str):
        key = key.encode("utf-8")
    mask = 0xFFFFFFFF
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & mask
    n = len(key)
    rotl = lambda x, r: ((x << r) | (x >> (32 - r))) & mask  # noqa: E731
    for i in range(n // 4):
        k = int.from_bytes(key[4 * i: 4 * i + 4], "little")
        k = (k * c1) & mask
        k = rotl(k, 15)
        k = (k * c2) & mask
        h ^= k
        h = rotl(h, 13)
        h = (h * 5 + 0xE6546B64) & mask
    tail = key[4 * (n // 4):]
    k = 0
    if len(tail) >= 3:
        k ^= tail[2] << 16
    if len(tail) >= 2:
        k ^= tail[1] << 8
    if len(tail) >= 1:
        k ^= tail[0]
        k = (k * c1) & mask
        k = rotl(k, 15)
        k = (k * c2) & mask
        h ^= k
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & mask
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & mask
    h ^= h >> 16
    return h - (1 << 32) if h >= 1 << 31 else h


def hash_buckets_ref(values, n_features, seed=0):
    """FeatureHasher's index rule, row by row; nulls -> (-1, 0)."""
    buckets, signs = [], []
    for v in values:
        if v is None:
            buckets.append(-1)
            signs.append(0)
            continue
        h = murmurhash3_32_ref(str(v).encode("utf-8"), seed)
        if h == -(2**31):
            buckets.append((2**31 - 1 - (n_features - 1)) % n_features)
        else:
            buckets.append(abs(h) % n_features)
        signs.append(1 if h >= 0 else -1)
    return np.array(buckets, dtype=np.int32), np.array(signs, dtype=np.int8)


def hashed_dense_ref(values, n_features, signed=False, seed=0):
    bucket, sign = hash_buckets_ref(values, n_features, seed)
    return indicator_dense_ref(bucket, n_features, np.float64, sign if signed else None)


# ---------------------------------------------------------------------------------------------
# steps
# ---------------------------------------------------------------------------------------------

def count_encode_ref(train, test, *, normalize=False, handle_unknown="value", handle_missing="value"):
    """Count/frequency encoding of one column, as Python lists (None = missing, nan = no value).

    Missing values form their own group (``handle_missing="value"``: its training count; 0 if
    none were seen) or give NaN (``"return_nan"``). Unknown values give 0 (``"value"``), NaN
    (``"return_nan"``) or the given number.
    """
    counts = Counter(train)
    n = len(train)
    out = []
    for v in test:
        if v is None:
            if handle_missing == "return_nan":
                out.append(float("nan"))
                continue
            c = counts.get(None, 0)
        elif v in counts:
            c = counts[v]
        elif handle_unknown == "value":
            c = 0
        elif handle_unknown == "return_nan":
            out.append(float("nan"))
            continue
        else:
            out.append(float(handle_unknown))
            continue
        out.append(c / n if normalize else c)
    return out


def rare_group_ref(train, test, *, min_count=None, min_share=None, other="__other__"):
    """Rare-category grouping of one column: values seen fewer than the threshold become ``other``.

    The threshold is the larger of ``min_count`` and ``min_share * n`` where ``n`` counts
    all training rows; nulls stay null and are never rare; unseen values are rare.
    """
    counts = Counter(v for v in train if v is not None)
    n = len(train)
    threshold = 0.0
    if min_count is not None:
        threshold = max(threshold, min_count)
    if min_share is not None:
        threshold = max(threshold, min_share * n)
    keep = {v for v, c in counts.items() if c >= threshold}
    return [None if v is None else (v if v in keep else other) for v in test]
