"""Plain-Python references for ``tabprep.kernels.factorize`` / ``encode_with``.

Deliberately naive: a dict over Python values (``to_pylist()``), no tabprep code, so a kernel bug
cannot hide in the reference too. pyarrow's ``dictionary_encode`` (first-seen order, nulls encoded
in place with ``null_encoding="encode"``) is the second reference for large inputs.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def factorize_ref(values: list, *, null: str = "code", order: str = "first_seen") -> tuple[np.ndarray, list]:
    """Codes (int32) and uniques (a list, ``None`` for the null) of a list of Python values."""
    index: dict = {}
    uniques: list = []
    codes = []
    for v in values:
        if v is None and null == "sentinel":
            codes.append(-1)
            continue
        if v not in index:
            index[v] = len(uniques)
            uniques.append(v)
        codes.append(index[v])
    if order == "sorted":
        def key(u):
            # byte-wise for strings (what Arrow sorts by), numeric for integers; the null last
            return (u is None, u.encode("utf-8") if isinstance(u, str) else (0 if u is None else u))

        ordered = sorted(uniques, key=key)
        new = {u: i for i, u in enumerate(ordered)}
        codes = [c if c < 0 else new[uniques[c]] for c in codes]
        uniques = ordered
    return np.array(codes, dtype=np.int32), uniques


def encode_ref(values: list, vocabulary: list, *, unknown: int = -1, null: str = "code") -> np.ndarray:
    """Positions of `values` in `vocabulary`; unknowns get `unknown`, nulls per `null` (a
    vocabulary without a null treats it as unknown under ``null="code"``)."""
    position = {v: i for i, v in enumerate(vocabulary)}
    out = []
    for v in values:
        if v is None and null == "sentinel":
            out.append(-1)
        else:
            out.append(position.get(v, unknown))
    return np.array(out, dtype=np.int32)


def factorize_pyarrow(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, list]:
    """First-seen codes with nulls encoded in place, by pyarrow (for inputs too big for a dict loop)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = pc.dictionary_encode(values, null_encoding="encode")
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32), encoded.dictionary.to_pylist()
