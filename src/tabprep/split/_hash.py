"""Folds from a hash of a row key: the same key gets the same fold wherever its row is read.

The fold of a row is ``abs(murmurhash3_32(utf8(str(key)), seed)) % n_splits``: MurmurHash3
(x86, 32-bit, the function scikit-learn's ``murmurhash3_32`` and ``FeatureHasher`` use) of the
key's text, so it depends on the key's value alone -- not on the row's position, the block or
partition the row is in, the machine, or the Polars version. That is what a distributed fit
needs (:mod:`tabprep.distributed`): each block computes its rows' folds by itself. Keys are
integers (their decimal text: ``7`` and ``7`` of another integer dtype hash alike) or text;
floats are refused (their text form is not canonical), and so is a missing key.

Fold sizes are those of a hash: about ``n / n_splits`` rows each, not exact (every row of a key
goes to one fold, so a key is never on both sides of a split, like ``GroupKFold`` of the key).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from tabprep.errors import DataError, SchemaError
from tabprep._base.codec import register_data_class
from tabprep._base.params import Interval
from tabprep.split._kfold import N_SPLITS
from tabprep.split._sklearn import _Base, iter_folds

__all__ = ["HashKFold", "hash_fold_ids"]


def hash_fold_ids(keys, n_splits: int, *, seed: int = 0, name: str | None = None) -> np.ndarray:
    """The fold (int8, in ``[0, n_splits)``) of each key: ``abs(murmurhash3_32(str(key), seed)) % n_splits``.

    ``keys`` is a Polars Series (or anything :func:`polars.Series` takes) of integers or text.

    Examples
    --------
    >>> from tabprep.split import hash_fold_ids
    >>> hash_fold_ids(["a", "b", "c", "d", "e", "a"], 3).tolist()
    [2, 2, 2, 1, 1, 2]
    >>> hash_fold_ids([11, 12, 11], 2).tolist() == hash_fold_ids(["11", "12", "11"], 2).tolist()
    True
    """
    import polars as pl

    from tabprep.kernels import hash_buckets

    s = keys if isinstance(keys, pl.Series) else pl.Series(name or "key", keys)
    name = name or s.name or "key"
    dtype = s.dtype
    if not (dtype.is_integer() or dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)):
        raise SchemaError("the key column of hashed folds must hold integers or text", column=name,
                          found=str(dtype), hint="hash an id column (cast floats holding ids to Int64 first)")
    if s.null_count():
        raise DataError("the key column of hashed folds has a missing key", column=name,
                        row=int(s.is_null().arg_true()[0]), hint="fill or drop rows without a key")
    bucket, _ = hash_buckets(s, int(n_splits), seed=int(seed))
    return bucket.astype(np.int8)


@register_data_class  # a splitter given as `cv` is saved with the step's parameters
class HashKFold(_Base):
    """K folds from a hash of a key column: the fold of a row depends on its key alone.

    Use it as a target encoder's ``cv`` when the rows are not all in one place (a Ray
    Dataset): every block computes its own rows' folds, and a key's rows land in one fold
    wherever they are. The hash is MurmurHash3 of the key's text (see
    :func:`hash_fold_ids`); fold sizes are approximately equal.

    Parameters
    ----------
    n_splits : int, default 5
        Number of folds, in [2, 127].
    key : str
        The key column (integers or text) of the ``X`` given to :meth:`split`.
    seed : int, default 0
        Seed of the hash, in [0, 2**32).

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.split import HashKFold
    >>> X = pl.DataFrame({"id": [10, 11, 12, 13, 14, 15, 10]})
    >>> [test.tolist() for _, test in HashKFold(2, key="id").split(X)]
    [[1, 5], [0, 2, 3, 4, 6]]
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_splits": N_SPLITS, "key": [str], "seed": [Interval(int, 0, 2**32 - 1)],
    }

    def __init__(self, n_splits=5, *, key, seed=0):
        self._check_now(n_splits=n_splits, key=key, seed=seed)
        self.n_splits = n_splits
        self.key = key
        self.seed = seed

    def fold_ids(self, keys) -> np.ndarray:
        """The fold of each key (int8)."""
        self._validate()
        return hash_fold_ids(keys, self.n_splits, seed=self.seed, name=self.key)

    def split(self, X, y=None, groups=None):
        """Yield ``(train, test)`` index arrays; ``X`` is a frame with the ``key`` column
        (Polars, pandas, pyarrow); ``y`` and ``groups`` are ignored."""
        from tabprep.io._dispatch import coerce

        self._validate()
        frame = coerce(X).lf.select(self.key).collect() if not hasattr(X, "get_column") else X.select(self.key)
        yield from iter_folds(self.fold_ids(frame.get_column(self.key)), self.n_splits)
