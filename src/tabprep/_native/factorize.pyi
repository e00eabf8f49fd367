"""Hash factorization of Arrow buffers into int32 codes, in first-seen order (csrc/factorize.pyx).

Use it through :mod:`tabprep.kernels` (``factorize``, ``encode_with``, ``Vocabulary``): these
tables trust their inputs (buffer sizes, offsets, view buffer indices) and check nothing.

Every method reads ``len(out)`` values of one Arrow array: ``validity`` is its bitmap (or None),
``offset`` its offset in rows; with ``rows`` it gathers those buffer rows instead (offset
included, -1 = a null). ``add_*`` insert unseen values (nulls get a code of their own when
``null_code``, else -1); ``lookup_*`` never insert: unknown values get ``unknown``, nulls
``null_value``, and the first unknown row (index into ``out``; nulls count when
``null_unknown``) is returned, or -1.
"""

import numpy as np
import numpy.typing as npt

_U8 = npt.NDArray[np.uint8]
_I32 = npt.NDArray[np.int32]
_I64 = npt.NDArray[np.int64]

class StringTable:
    """Distinct byte strings in first-seen order, with their int32 codes."""

    def __init__(self, capacity: int = 0) -> None: ...
    @property
    def size(self) -> int:
        """Number of codes given out (the null's code included)."""
    @property
    def null_code(self) -> int:
        """Code of the null value, or -1 if none was given."""
    def add_binary(
        self,
        offsets: npt.NDArray[np.int32] | _I64,
        data: _U8 | None,
        validity: _U8 | None,
        offset: int,
        out: _I32,
        null_code: bool,
        rows: _I64 | None = None,
    ) -> None: ...
    def lookup_binary(
        self,
        offsets: npt.NDArray[np.int32] | _I64,
        data: _U8 | None,
        validity: _U8 | None,
        offset: int,
        out: _I32,
        unknown: int,
        null_value: int,
        null_unknown: bool,
        rows: _I64 | None = None,
    ) -> int: ...
    def add_views(
        self,
        views: npt.NDArray[np.uint64],
        buffers: npt.NDArray[np.intp],
        validity: _U8 | None,
        offset: int,
        out: _I32,
        null_code: bool,
        rows: _I64 | None = None,
    ) -> None:
        """``views``: the 16-byte views as uint64 pairs; ``buffers``: data buffer addresses."""
    def lookup_views(
        self,
        views: npt.NDArray[np.uint64],
        buffers: npt.NDArray[np.intp],
        validity: _U8 | None,
        offset: int,
        out: _I32,
        unknown: int,
        null_value: int,
        null_unknown: bool,
        rows: _I64 | None = None,
    ) -> int: ...
    def uniques(self) -> tuple[_I64, _U8, int]:
        """``(offsets, data, null_code)``: the distinct strings as large_string buffers."""
    is_dense: bool  # always False (IntTable's direct indexing has no string counterpart)

class IntTable:
    """Distinct integers (compared by value across widths and signedness) in first-seen order."""

    is_signed: bool
    def __init__(self, signed: bool = True, capacity: int = 0) -> None: ...
    @property
    def size(self) -> int: ...
    @property
    def null_code(self) -> int: ...
    @property
    def is_dense(self) -> bool:
        """Whether a value range is indexed directly (see set_dense)."""
    def set_dense(self, lo: int, hi: int) -> None:
        """Index values in [lo, hi] with a direct int32 array instead of hashing (empty table only)."""
    def add(
        self,
        values: npt.NDArray[np.integer],
        validity: _U8 | None,
        offset: int,
        out: _I32,
        null_code: bool,
        rows: _I64 | None = None,
    ) -> None: ...
    def lookup(
        self,
        values: npt.NDArray[np.integer],
        validity: _U8 | None,
        offset: int,
        out: _I32,
        unknown: int,
        null_value: int,
        null_unknown: bool,
        rows: _I64 | None = None,
    ) -> int: ...
    def uniques(self) -> tuple[npt.NDArray[np.uint64], int]:
        """``(keys, null_code)``: the values widened to 64 bits (view as int64 if signed)."""

def remap(codes: _I32, mapping: _I32) -> None:
    """In place: ``codes[i] = mapping[codes[i]]`` for every code >= 0."""
