"""scikit-learn-compatible splitters over the fold-id kernels.

Same class names, parameters and defaults as ``sklearn.model_selection`` (swap the import, keep
the code): ``split(X, y, groups)`` yields ``(train, test)`` index arrays, ``get_n_splits`` counts
them, so they plug into ``cross_validate``, ``GridSearchCV`` or a ``TargetEncoder(cv=...)``.
Differences, on purpose:

- the shuffled folds come from tabprep's kernels (same fold sizes as scikit-learn's; another
  random draw for the same ``random_state``), so they are much faster on large data;
- test (and train) indices are yielded in increasing order;
- a class with fewer rows than ``n_splits`` is an error (:class:`tabprep.errors.DataError`
  naming the class), not a warning; a null/NaN label too (naming the first such row);
- ``GroupKFold(shuffle=True)`` balances the rows per fold, not the number of groups;
- they are no subclasses of ``BaseCrossValidator`` (scikit-learn is not imported until it is used;
  scikit-learn takes any object with ``split`` and ``get_n_splits`` as ``cv``), and have
  scikit-learn's metadata routing (``GroupKFold`` requests ``groups`` for ``split``);
- they have ``get_params``/``set_params`` (so ``sklearn.base.clone`` copies them), and check their
  parameters where scikit-learn does in ``__init__`` *and* all of them again in ``split`` and
  ``get_n_splits``, so a value set after construction is caught before it is used;
- ``n_splits`` is at most 127 (fold ids are one byte per row); ``random_state`` may also be a
  ``numpy.random.Generator``;
- ``train_test_split`` keeps the rows of each subset in their original order.

Unshuffled ``KFold``, ``StratifiedKFold``, ``GroupKFold`` and ``StratifiedGroupKFold`` and
``TimeSeriesSplit`` give exactly scikit-learn's folds; a single class is stratified as in
scikit-learn. Every difference from scikit-learn, with its reason: ``docs/sklearn-differences.md``.
"""

from __future__ import annotations

import inspect
import numbers
import warnings

import numpy as np

from tabprep.errors import ConfigError, DataError
from tabprep._base.alloc import derive_seed, stratified_part_allocation
from tabprep._base.codec import register_data_class
from tabprep._base.estimator import MetadataRequester
from tabprep._base.params import (
    Interval,
    RandomState,
    check_param,
    check_param_names,
    param_error,
    validate_call,
    validate_params,
)
from tabprep.split._kfold import (
    N_REPEATS,
    N_SPLITS,
    SHUFFLE,
    check_classes,
    group_kfold_ids,
    kfold_ids,
    stratified_group_kfold,
    stratified_kfold,
)
from tabprep._base.labels import encode_labels

__all__ = [
    "KFold",
    "StratifiedKFold",
    "GroupKFold",
    "StratifiedGroupKFold",
    "TimeSeriesSplit",
    "RepeatedKFold",
    "RepeatedStratifiedKFold",
    "train_test_split",
]


def num_samples(X) -> int:
    """Rows of an array-like, a DataFrame (Polars, pandas), a pyarrow Table or a list."""
    if X is None:
        raise ConfigError("X must not be None", hint="pass the data (or np.zeros(n_samples)) as X")
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    num_rows = getattr(X, "num_rows", None)
    if isinstance(num_rows, numbers.Integral):
        return int(num_rows)
    try:
        return len(X)
    except TypeError:
        raise ConfigError(f"cannot count the rows of X of type {type(X).__name__}") from None


RANDOM_STATE = [RandomState()]


def seed_from(random_state) -> int:
    """A seed from a checked ``random_state`` (None and RandomState draw one, like sklearn)."""
    if random_state is None or isinstance(random_state, np.random.RandomState):
        from sklearn.utils import check_random_state

        rs = check_random_state(random_state)
        hi, lo = (int(v) for v in rs.randint(0, 2**32, size=2, dtype=np.uint64))
        return (hi << 32) | lo
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63))
    return int(random_state)


class _Params(MetadataRequester):
    """``get_params``/``set_params`` as scikit-learn's ``BaseEstimator`` (``clone`` needs them),
    ``__repr__`` and metadata routing as scikit-learn's ``BaseCrossValidator``, and the parameter
    checks, declared in ``_parameter_constraints``.

    ``__init__`` stores its arguments unchanged (``get_params`` returns what was passed) after
    checking those scikit-learn's own ``__init__`` checks (:meth:`_check_now`); ``split`` and
    ``get_n_splits`` check them all (:meth:`_validate`), since ``set_params`` or an assignment
    may have changed them since.
    """

    _parameter_constraints: dict = {}

    @classmethod
    def _get_param_names(cls) -> list[str]:
        kinds = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        return sorted(p.name for p in inspect.signature(cls.__init__).parameters.values()
                      if p.name != "self" and p.kind not in kinds)

    def get_params(self, deep=True) -> dict:
        """The constructor parameters, as stored (``deep`` is accepted and has nothing to descend)."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        """Set parameters by name (checked when the splitter is next used); returns ``self``."""
        check_param_names(type(self), params)
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        from sklearn.model_selection._split import _build_repr  # scikit-learn's exact format

        return _build_repr(self)

    def _check_now(self, **values) -> None:
        for name, value in values.items():
            check_param(value, self._parameter_constraints[name], name, type(self).__name__)

    def _validate(self) -> None:
        validate_params(self)


def _check_shuffle_seed(owner: str, shuffle, random_state) -> None:
    if not shuffle and random_state is not None:
        raise param_error(
            "random_state", owner, "be None when shuffle is False (setting random_state has no effect since "
            "shuffle is False)", random_state, hint="leave random_state to None, or set shuffle=True",
        )


def iter_folds(fold_ids: np.ndarray, n_splits: int, pieces: np.ndarray | None = None):
    """``(train, test)`` index arrays (int64, increasing) of each fold of a fold-id array.

    Rows with a negative id are in every training set and no test set. The fold sizes of each
    piece of the rows come from one counting pass, then each fold's two arrays from one
    branch-free pass over the fold ids (:func:`tabprep.kernels._split.split_fold_indices`), its
    pieces on the idle threads, when the fold is reached, so a consumer that takes the folds one
    at a time holds one fold's arrays, as with scikit-learn. (Building the next fold in a second
    thread meanwhile was measured: no gain on two cores, the pass is bound by memory writes and
    page faults; two threads filling halves of the same arrays fault and write in parallel.)
    ``pieces``: those fold sizes per piece when the assignment gave them (no counting pass).
    """
    from tabprep.kernels._split import split_fold_indices, split_fold_pieces

    if pieces is None:
        pieces = split_fold_pieces(fold_ids, n_splits)
    counts = pieces.sum(axis=0)
    for f in range(n_splits):
        yield split_fold_indices(fold_ids, f, int(counts[f]), pieces=pieces)


class _Base(_Params):
    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splits (``n_splits``); the arguments are ignored."""
        self._validate()
        return self.n_splits

    def _check_n(self, X) -> int:
        n = num_samples(X)
        if self.n_splits > n:
            raise DataError(
                f"{type(self).__name__}: cannot have n_splits={self.n_splits} greater than the number of samples",
                found=f"{n} samples",
                hint="lower n_splits",
            )
        return n

    def _seed(self) -> int:
        return seed_from(self.random_state) if self.shuffle else 0


class _BaseKFold(_Base):
    _parameter_constraints = {"n_splits": N_SPLITS, "shuffle": SHUFFLE, "random_state": RANDOM_STATE}

    def _init(self, n_splits, shuffle, random_state) -> None:
        # scikit-learn's _BaseKFold.__init__ checks these three (random_state only against shuffle)
        self._check_now(n_splits=n_splits, shuffle=shuffle)
        _check_shuffle_seed(type(self).__name__, shuffle, random_state)
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def _validate_extra(self) -> None:
        _check_shuffle_seed(type(self).__name__, self.shuffle, self.random_state)


def _ignore_groups(obj, groups) -> None:
    if groups is not None:
        warnings.warn(f"The groups parameter is ignored by {type(obj).__name__}", UserWarning, stacklevel=3)


@register_data_class  # a splitter given as `cv` is saved with the step's parameters
class KFold(_BaseKFold):
    """K-fold cross-validator (``sklearn.model_selection.KFold``), fold ids by tabprep's kernel.

    Parameters
    ----------
    n_splits : int, default 5
        Number of folds, in [2, 127].
    shuffle : bool, default False
        Assign rows to folds at random (exact fold sizes) instead of contiguous blocks.
    random_state : int, RandomState, Generator or None, default None
        Seed of the shuffle (None draws one from NumPy's global state at each ``split``).

    Examples
    --------
    >>> import numpy as np
    >>> from tabprep.split import KFold
    >>> [test.tolist() for _, test in KFold(3).split(np.zeros(6))]
    [[0, 1], [2, 3], [4, 5]]
    """

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None):
        self._init(n_splits, shuffle, random_state)

    def split(self, X, y=None, groups=None):
        """Yield ``(train, test)`` index arrays; ``y`` and ``groups`` are ignored."""
        self._validate()
        _ignore_groups(self, groups)
        n = self._check_n(X)
        yield from iter_folds(kfold_ids(n, self.n_splits, shuffle=bool(self.shuffle), seed=self._seed()), self.n_splits)


@register_data_class  # a splitter given as `cv` is saved with the step's parameters
class StratifiedKFold(_BaseKFold):
    """Stratified K-fold (``sklearn.model_selection.StratifiedKFold``), one compiled pass.

    Per-class fold sizes are exactly scikit-learn's; unshuffled folds are identical to it.

    Parameters
    ----------
    n_splits : int, default 5
        Number of folds, in [2, 127].
    shuffle : bool, default False
        Assign the rows of each class at random (exact per-class fold sizes).
    random_state : int, RandomState, Generator or None, default None
        Seed of the shuffle.

    Examples
    --------
    >>> import numpy as np
    >>> from tabprep.split import StratifiedKFold
    >>> y = np.array([0, 0, 1, 1, 0, 1])
    >>> [test.tolist() for _, test in StratifiedKFold(3).split(np.zeros(6), y)]
    [[0, 2], [1, 3], [4, 5]]
    """

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None):
        self._init(n_splits, shuffle, random_state)

    def split(self, X, y, groups=None):
        """Yield ``(train, test)`` index arrays, stratified on ``y``; ``groups`` is ignored."""
        self._validate()
        _ignore_groups(self, groups)
        n = self._check_n(X)
        _same_length(n, y, "y")
        # one class is fine, as in scikit-learn (tabprep's stratified_kfold_ids refuses it)
        folds, pieces = stratified_kfold(y, self.n_splits, shuffle=bool(self.shuffle), seed=self._seed(),
                                         min_classes=1, owner=type(self).__name__, with_pieces=True)
        yield from iter_folds(folds, self.n_splits, pieces)


def _same_length(n: int, values, what: str) -> None:
    if values is None:
        raise ConfigError(f"The '{what}' parameter should not be None.")
    m = num_samples(values)
    if m != n:
        raise ConfigError(f"X has {n} rows but {what} has {m}", hint=f"pass one {what} value per row of X")


@register_data_class  # a splitter given as `cv` is saved with the step's parameters
class GroupKFold(_BaseKFold):
    """K-fold with non-overlapping groups (``sklearn.model_selection.GroupKFold``).

    Unshuffled folds are identical to scikit-learn's (largest groups first, each to the lightest
    fold); shuffled, the groups come in a random order and still go to the lightest fold, so the
    folds stay balanced in rows.

    Parameters
    ----------
    n_splits : int, default 5
        Number of folds, in [2, 127].
    shuffle : bool, default False
        Random group order.
    random_state : int, RandomState, Generator or None, default None
        Seed of the shuffle.

    Examples
    --------
    >>> import numpy as np
    >>> from tabprep.split import GroupKFold
    >>> groups = np.array([0, 0, 2, 2, 3, 3])
    >>> [test.tolist() for _, test in GroupKFold(2).split(np.zeros(6), groups=groups)]
    [[0, 1, 4, 5], [2, 3]]
    """

    __metadata_request__split = {"groups": True}

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None):
        self._init(n_splits, shuffle, random_state)

    def split(self, X, y=None, groups=None):
        """Yield ``(train, test)`` index arrays; no group is on both sides."""
        self._validate()
        n = self._check_n(X)
        _same_length(n, groups, "groups")
        folds = group_kfold_ids(groups, self.n_splits, shuffle=bool(self.shuffle), seed=self._seed())
        yield from iter_folds(folds, self.n_splits)


@register_data_class  # a splitter given as `cv` is saved with the step's parameters
class StratifiedGroupKFold(_BaseKFold):
    """Stratified K-fold with non-overlapping groups (``sklearn.model_selection.StratifiedGroupKFold``).

    scikit-learn's greedy rule, compiled; unshuffled folds are identical to scikit-learn's.

    Parameters
    ----------
    n_splits : int, default 5
        Number of folds, in [2, 127].
    shuffle : bool, default False
        Shuffle the groups before their stable sort by class spread.
    random_state : int, RandomState, Generator or None, default None
        Seed of the shuffle.

    Examples
    --------
    >>> import numpy as np
    >>> from tabprep.split import StratifiedGroupKFold
    >>> y = np.array([0, 0, 1, 1, 0, 0, 1, 1])
    >>> groups = np.array([1, 1, 2, 2, 3, 3, 4, 4])
    >>> [test.tolist() for _, test in StratifiedGroupKFold(2).split(np.zeros(8), y, groups)]
    [[0, 1, 6, 7], [2, 3, 4, 5]]
    """

    __metadata_request__split = {"groups": True}

    def __init__(self, n_splits=5, shuffle=False, random_state=None):
        self._init(n_splits, shuffle, random_state)

    def split(self, X, y, groups=None):
        """Yield ``(train, test)`` index arrays, stratified on ``y``, no group on both sides."""
        self._validate()
        n = self._check_n(X)
        _same_length(n, y, "y")
        _same_length(n, groups, "groups")
        folds = stratified_group_kfold(y, groups, self.n_splits, shuffle=bool(self.shuffle), seed=self._seed(),
                                       min_classes=1, owner=type(self).__name__)
        yield from iter_folds(folds, self.n_splits)


@register_data_class  # a splitter given as `cv` is saved with the step's parameters
class TimeSeriesSplit(_Base):
    """Time-series cross-validator (``sklearn.model_selection.TimeSeriesSplit``), identical splits.

    Rows must be in time order. Split i tests on the i-th of ``n_splits`` consecutive blocks of
    ``test_size`` rows at the end, and trains on the rows before it, minus the ``gap`` rows just
    before the block, keeping at most the last ``max_train_size``.

    Parameters
    ----------
    n_splits : int, default 5
        Number of splits, in [2, 127].
    max_train_size : int, optional
        Largest training set.
    test_size : int, optional
        Rows per test block (default ``n_samples // (n_splits + 1)``).
    gap : int, default 0
        Rows left out between each training set and its test block.

    Examples
    --------
    >>> import numpy as np
    >>> from tabprep.split import TimeSeriesSplit
    >>> [(tr.tolist(), te.tolist()) for tr, te in TimeSeriesSplit(2, gap=1).split(np.zeros(6))]
    [([0], [2, 3]), ([0, 1, 2], [4, 5])]
    """

    _parameter_constraints = {
        "n_splits": N_SPLITS,
        "max_train_size": [Interval(int, 1, None), None],
        "test_size": [Interval(int, 1, None), None],
        "gap": [Interval(int, 0, None), None],
    }

    def __init__(self, n_splits=5, *, max_train_size=None, test_size=None, gap=0):
        self._check_now(n_splits=n_splits)  # as scikit-learn; the others when splitting
        self.n_splits = n_splits
        self.max_train_size = max_train_size
        self.test_size = test_size
        self.gap = gap

    def split(self, X, y=None, groups=None):
        """Yield ``(train, test)`` index arrays in time order; ``y`` and ``groups`` are ignored."""
        self._validate()
        _ignore_groups(self, groups)
        n = num_samples(X)
        k = self.n_splits
        gap = self.gap or 0
        test_size = self.test_size if self.test_size is not None else n // (k + 1)
        if k + 1 > n:
            raise DataError(f"TimeSeriesSplit: cannot have {k + 1} folds (n_splits + 1) with {n} samples", found=f"{n} samples")
        if n - gap - test_size * k <= 0:
            raise DataError(
                f"TimeSeriesSplit: too many splits={k} for {n} samples with test_size={test_size} and gap={gap}",
                found=f"{n} samples",
                hint="lower n_splits, test_size or gap",
            )
        for test_start in range(n - k * test_size, n, test_size):
            train_end = test_start - gap
            train_start = train_end - self.max_train_size if self.max_train_size and self.max_train_size < train_end else 0
            yield np.arange(train_start, train_end), np.arange(test_start, test_start + test_size)


class _Repeated(_Params):
    _single = None
    _parameter_constraints = {"n_splits": N_SPLITS, "n_repeats": N_REPEATS, "random_state": RANDOM_STATE}

    def __init__(self, *, n_splits=5, n_repeats=10, random_state=None):
        self._check_now(n_repeats=n_repeats)  # as scikit-learn; n_splits when the folds are made
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splits: ``n_splits * n_repeats``."""
        self._validate()
        return self.n_splits * self.n_repeats

    def split(self, X, y=None, groups=None):
        """Yield the ``(train, test)`` index arrays of each repeat in turn (each its own seed)."""
        self._validate()
        _ignore_groups(self, groups)
        base = seed_from(self.random_state)
        for r in range(self.n_repeats):
            cv = self._single(self.n_splits, shuffle=True, random_state=derive_seed(base, 100 + r))
            yield from cv.split(X, y)


@register_data_class  # a splitter given as `cv` is saved with the step's parameters
class RepeatedKFold(_Repeated):
    """:class:`KFold` repeated ``n_repeats`` times, each with its own seed
    (``sklearn.model_selection.RepeatedKFold``).

    Examples
    --------
    >>> import numpy as np
    >>> from tabprep.split import RepeatedKFold
    >>> RepeatedKFold(n_splits=2, n_repeats=3, random_state=0).get_n_splits()
    6
    """

    _single = KFold


@register_data_class  # a splitter given as `cv` is saved with the step's parameters
class RepeatedStratifiedKFold(_Repeated):
    """:class:`StratifiedKFold` repeated ``n_repeats`` times, each with its own seed
    (``sklearn.model_selection.RepeatedStratifiedKFold``).

    Examples
    --------
    >>> import numpy as np
    >>> from tabprep.split import RepeatedStratifiedKFold
    >>> y = np.array([0, 1] * 4)
    >>> len(list(RepeatedStratifiedKFold(n_splits=2, n_repeats=2, random_state=0).split(np.zeros(8), y)))
    4
    """

    _single = StratifiedKFold


_SIZE = [Interval(float, 0, 1, closed="neither"), Interval(int, 1, None), None]


def _sizes(n: int, test_size, train_size) -> tuple[int, int]:
    """scikit-learn's ``_validate_shuffle_split`` rule (test: ceil, train: floor)."""
    import math

    if test_size is None and train_size is None:
        test_size = 0.25

    def kind(v):
        if v is None:
            return None
        return "i" if isinstance(v, numbers.Integral) else "f"

    for name, v in (("test_size", test_size), ("train_size", train_size)):
        if kind(v) == "i" and v >= n:  # the declared checks could not know n
            raise param_error(name, "train_test_split", f"be an int in [1, {n - 1}] or a float in (0, 1)", v)
    if kind(test_size) == "f" and kind(train_size) == "f" and test_size + train_size > 1:
        raise ConfigError(f"train_test_split: train_size + test_size = {train_size + test_size} must be at most 1")
    n_test = None if test_size is None else (math.ceil(test_size * n) if kind(test_size) == "f" else int(test_size))
    n_train = None if train_size is None else (math.floor(train_size * n) if kind(train_size) == "f" else int(train_size))
    if n_train is None:
        n_train = n - n_test
    elif n_test is None:
        n_test = n - n_train
    if n_train + n_test > n:
        raise ConfigError(f"train_test_split: train and test sizes sum to {n_train + n_test}, more than the {n} samples")
    if n_train == 0:
        raise ConfigError(f"train_test_split: with {n} samples, test_size={test_size} and train_size={train_size} the train set is empty")
    return n_train, n_test


def _indexable(a):
    """``a`` in a form whose rows can be taken: a SciPy sparse matrix or array becomes CSR
    (COO, DIA, BSR... cannot be indexed; scikit-learn's ``indexable`` converts them alike)."""
    if type(a).__module__.split(".")[0] == "scipy" and hasattr(a, "tocsr"):
        return a.tocsr()
    return a


def _take(a, idx: np.ndarray):
    if a is None:
        return None
    module = type(a).__module__.split(".")[0]
    if module == "polars":
        return a.gather(idx) if hasattr(a, "gather") else a[idx]
    if module == "pandas":
        return a.iloc[idx]
    if module == "pyarrow":
        return a.take(idx)
    if hasattr(a, "shape") and hasattr(a, "__getitem__"):  # NumPy, SciPy sparse
        return a[idx]
    return [a[i] for i in idx.tolist()]


@validate_call({"test_size": _SIZE, "train_size": _SIZE, "random_state": RANDOM_STATE, "shuffle": SHUFFLE})
def train_test_split(*arrays, test_size=None, train_size=None, random_state=None, shuffle=True, stratify=None):
    """Split arrays or frames into train and test subsets (``sklearn.model_selection.train_test_split``).

    Sizes follow scikit-learn (``test_size`` defaults to 0.25; a float test share rounds up, a
    float train share down); with ``stratify`` every class is spread in proportion (per class
    within one row of scikit-learn's StratifiedShuffleSplit counts). Unlike scikit-learn, rows
    keep their original order inside each subset.

    Parameters
    ----------
    *arrays : sequence of indexables with the same length
        NumPy arrays, lists, SciPy sparse matrices, Polars/pandas frames or series, pyarrow
        tables or arrays.
    test_size, train_size : float or int, optional
        Share (float) or row count (int) of each subset.
    random_state : int, RandomState, Generator or None, default None
        Seed of the split.
    shuffle : bool, default True
        False: the first rows are the train set, the next the test set (no stratification).
    stratify : array-like, optional
        Class labels to stratify on.

    Returns
    -------
    list
        ``[a_train, a_test, b_train, b_test, ...]``, each of the type of its input (a sparse
        input of any format comes back as CSR, as in scikit-learn).

    Examples
    --------
    >>> import numpy as np
    >>> from tabprep.split import train_test_split
    >>> X, y = np.arange(20).reshape(10, 2), np.array([0, 1] * 5)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    >>> X_train.shape, np.bincount(y_test).tolist()
    ((8, 2), [1, 1])
    """
    if not arrays:
        raise ConfigError("train_test_split needs at least one array")
    n = num_samples(arrays[0])
    for a in arrays[1:]:
        if num_samples(a) != n:
            raise ConfigError(f"train_test_split: arrays have different lengths ({n} and {num_samples(a)})")
    n_train, n_test = _sizes(n, test_size, train_size)
    if not shuffle:
        if stratify is not None:
            raise ConfigError("train_test_split: stratified splitting needs shuffle=True")
        train, test = np.arange(n_train), np.arange(n_train, n_train + n_test)
    else:
        seed = seed_from(random_state)
        sizes = np.array([n_train, n_test, n - n_train - n_test], dtype=np.int64)
        if stratify is None:
            from tabprep.kernels._split import split_assign_flat

            ids = split_assign_flat(sizes, seed=seed)
        else:
            from tabprep.kernels._split import split_assign

            _same_length(n, stratify, "stratify")
            labels = encode_labels(stratify, what="stratification labels")
            check_classes(labels, 2, "train_test_split", per="of train and test", min_classes=1)
            present = labels.by_first_appearance()
            places = np.zeros((labels.n_codes, 3), dtype=np.int64)
            places[present] = stratified_part_allocation(
                labels.counts[present], sizes, np.random.default_rng(derive_seed(seed, 3))
            )
            ids = split_assign(labels.values, labels.lo, places, shuffle=True, seed=seed, check=False,
                               block_counts=labels.block_counts)
        train, test = np.flatnonzero(ids == 0), np.flatnonzero(ids == 1)
    out = []
    for a in map(_indexable, arrays):
        out.extend((_take(a, train), _take(a, test)))
    return out
