"""The inputs of the cross-fitted encoders: the target, the sample weights, the folds.

Each is checked once and turned into the vector the target-statistics kernels read
(:mod:`tabprep.kernels._target`): the target as 0/1 int8, class indices or floats; the weights
as float64; one int8 fold id per row from ``cv`` (an int, a fold column, a splitter or an
iterable of splits).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep.io._dispatch import as_series
from tabprep._base.params import Constraint

__all__ = ["CVConstraint", "Target", "target_from", "as_weights", "check_weights", "fold_column", "fold_ids"]


class CVConstraint(Constraint):
    """``cv``: an int >= 2, a fold column name, a splitter (``.split``) or an iterable of splits."""

    def is_satisfied_by(self, value) -> bool:
        if value is None or isinstance(value, str):
            return True
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return value >= 2
        return hasattr(value, "split") or (hasattr(value, "__iter__") and not isinstance(value, (dict, bytes)))

    def __str__(self) -> str:
        return ("an int >= 2, a fold column name, a cross-validation splitter (an object with "
                "`split`), an iterable of (train, test) index arrays, or None")


# ------------------------------------------------------------------------------------------
# The target and the weights
# ------------------------------------------------------------------------------------------

@dataclass
class Target:
    values: np.ndarray          # int8 0/1, int32 class index, or float32/float64
    kind: str                   # "binary", "multiclass", "continuous"
    classes: np.ndarray | None  # sorted labels (classification)
    name: str | None            # column name for messages
    counts: np.ndarray | None = None  # rows per class (classification)

    @property
    def n_classes(self) -> int:
        """Number of one-vs-rest outputs for the kernels (0: one output)."""
        return len(self.classes) if self.kind == "multiclass" else 0


def first_true(mask) -> int:
    return int(mask.arg_true()[0])


#: Above this many classes an inferred (``target_type="auto"``) multiclass target is warned
#: about: it is more likely a quantity stored as integers than labels.
MANY_CLASSES = 100


def target_from(y, n: int, target_type: str, *, binary_only: bool = False, owner: str,
                warn_many: bool = False) -> Target:
    """Check the target once and turn it into the vector the kernels read. ``warn_many``: warn
    when ``target_type="auto"`` infers more than :data:`MANY_CLASSES` classes (an encoder, whose
    output grows by a column per class)."""
    import polars as pl

    s = as_series(y, "y", "y")
    name = s.name or None
    if s.len() != n:
        raise DataError(f"the target has {s.len()} rows but X has {n}", column=name,
                        hint="pass one target value per row of X")
    if s.null_count():
        raise DataError("the target has a null", column=name, row=first_true(s.is_null()),
                        hint="drop the rows without a target, or impute it, before encoding")
    dtype = s.dtype
    if dtype.is_float():
        bad = ~s.is_finite()
        if bad.any():
            row = first_true(bad)
            raise DataError("the target must be finite", column=name, row=row, found=repr(s[row]),
                            hint="drop or fix rows whose target is NaN or infinite")
    if isinstance(dtype, (pl.Categorical, pl.Enum)):
        s = s.cast(pl.String)
        dtype = pl.String
    numeric = dtype.is_numeric()
    if not (numeric or dtype in (pl.Boolean, pl.String)):
        raise DataError("the target must be numeric, boolean or string labels", column=name, found=str(dtype))

    kind = target_type
    # Integer and boolean labels spanning at most two adjacent values (0/1, the common case)
    # need no unique(): two reductions tell the classes.
    narrow = None
    if (dtype.is_integer() or dtype == pl.Boolean) and n and kind in ("auto", "binary", "multiclass"):
        ints = s.cast(pl.Int8) if dtype == pl.Boolean else s
        lo, hi = ints.min(), ints.max()
        if hi - lo <= 1:
            narrow = (lo, hi)
    if kind == "auto":
        if narrow is not None:
            kind = "binary"
        elif dtype.is_float() and n and not bool((s == s.floor()).all()):
            kind = "continuous"
        else:
            kind = "binary" if s.n_unique() <= 2 else "multiclass"
    if binary_only:
        if kind == "continuous":
            raise DataError(f"{owner} needs a binary target", column=name,
                            found="a continuous target", hint="binarize the target first (e.g. y > threshold)")
        kind = "binary"

    if kind == "continuous":
        if not numeric:
            raise DataError("a continuous target must be numeric", column=name, found=str(dtype),
                            hint="pass target_type='binary' or 'multiclass' for labels")
        if dtype not in (pl.Float32, pl.Float64):
            s = s.cast(pl.Float64)
        return Target(s.to_numpy(), "continuous", None, name)

    if narrow is not None and kind == "binary":
        lo, hi = narrow
        if dtype in (pl.Int8, pl.UInt8, pl.Boolean) and lo == 0 and hi == 1:
            values = s.to_numpy()  # already the 0/1 index: no copy
            values = values.view(np.int8) if values.dtype != np.int8 else values
        else:
            values = (s == hi).cast(pl.Int8).to_numpy() if hi != lo else np.zeros(n, dtype=np.int8)
        labels = [lo, hi] if hi != lo else [lo]
        classes = pl.Series(labels, dtype=pl.Int64 if dtype != pl.Boolean else pl.Int8)
        classes = classes.cast(dtype).to_numpy()
        positives = int(np.count_nonzero(values))
        counts = np.array([n - positives, positives]) if hi != lo else np.array([n])
        return Target(values, "binary", classes, name, counts)
    classes = s.unique().sort()
    if kind == "binary":
        if classes.len() > 2:
            found = f"{classes.len()} classes" + (f" ({classes.head(5).to_list()}...)" if classes.len() > 5
                                                  else f" {classes.to_list()}")
            raise DataError(f"{owner} with a binary target needs at most 2 classes", column=name, found=found,
                            hint=("WoE is defined for binary targets only" if binary_only
                                  else "use target_type='multiclass' (one output per class)"))
        if classes.len() == 2 and classes.to_list() == [0, 1] and dtype in (pl.Int8, pl.Boolean, pl.UInt8):
            values = s.to_numpy()  # already the 0/1 index: no copy
            values = values.view(np.int8) if values.dtype != np.int8 else values
        else:
            values = (s == classes[-1]).cast(pl.Int8).to_numpy() if classes.len() == 2 \
                else np.zeros(n, dtype=np.int8)
        positives = int(np.count_nonzero(values))
        counts = np.array([n - positives, positives]) if classes.len() == 2 else np.array([n])
        return Target(values, "binary", classes.to_numpy(), name, counts)
    if warn_many and target_type == "auto" and classes.len() > MANY_CLASSES:
        # scikit-learn infers the same, silently; a quantity stored as integers (a price) then
        # makes one output column per distinct value and feature
        import warnings

        warnings.warn(f"{owner}: target {name!r} was inferred multiclass with {classes.len():,} classes, so each "
                      f"encoded column becomes {classes.len():,} columns (one per class). If the target is a "
                      "quantity, pass target_type='continuous'; if these are labels, pass "
                      "target_type='multiclass' to silence this warning.", UserWarning, stacklevel=2)
    # multiclass: class index of each row
    values = s.replace_strict(classes, pl.int_range(classes.len(), eager=True), return_dtype=pl.Int32).to_numpy()
    return Target(values, "multiclass", classes.to_numpy(), name, np.bincount(values, minlength=classes.len()))


def available_memory() -> int | None:
    """Bytes this process may still allocate: the kernel's ``MemAvailable``, lowered to what is
    left under a cgroup (v2) memory limit; None where neither can be read (not Linux)."""
    avail = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except OSError:
        return None
    try:
        with open("/sys/fs/cgroup/memory.max") as f:
            limit = f.read().strip()
        if limit != "max":
            with open("/sys/fs/cgroup/memory.current") as f:
                left = int(limit) - int(f.read().strip())
            avail = left if avail is None else min(avail, left)
    except (OSError, ValueError):
        pass
    return avail


def check_output_size(target: Target, n_rows: int, n_columns: int, owner: str) -> None:
    """A DataError before a multiclass encoding whose output (one float64 column per class and
    encoded column) needs more than half the memory left: it is built beside its inputs, and the
    process would be killed for memory instead of told why (diamonds' integer price inferred as
    11,602 classes: 15 GB for three columns)."""
    if target.kind != "multiclass":
        return
    need = n_rows * target.n_classes * n_columns * 8
    avail = available_memory()
    if avail is None or 2 * need <= avail:
        return
    raise DataError(f"{owner}: the encoded output would not fit in memory: {n_rows:,} rows x {target.n_classes:,} "
                    f"classes x {n_columns} column(s) x 8 bytes = {need / 1e9:.1f} GB, with "
                    f"{avail / 1e9:.1f} GB available", column=target.name,
                    hint="a quantity stored as integers (a price, a count) is not classes: pass "
                    "target_type='continuous'; for true labels, encode fewer columns or group rare classes")


def as_weights(sample_weight, n: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Real) and not isinstance(sample_weight, bool):
        return np.full(n, float(sample_weight))
    s = as_series(sample_weight, "sample_weight", "sample_weight")
    if s.len() != n:
        raise DataError(f"sample_weight has {s.len()} values but X has {n} rows")
    if not s.dtype.is_numeric():
        raise DataError("sample_weight must be numeric", found=str(s.dtype))
    if s.null_count():
        raise DataError("sample_weight has a null", column=s.name or None, row=first_true(s.is_null()))
    return np.ascontiguousarray(s.to_numpy(), dtype=np.float64)


def check_weights(weight: np.ndarray) -> None:
    from tabprep.kernels._target import check_target_rows

    _, bad, _ = check_target_rows(np.empty(0), weight=weight)
    if bad >= 0:
        raise DataError("sample_weight must be finite and >= 0", row=bad, found=repr(float(weight[bad])))
    if len(weight) and not weight.any():
        raise DataError("sample_weight sums to zero: there is nothing to fit",
                        hint="give some rows a positive weight")


# ------------------------------------------------------------------------------------------
# The folds
# ------------------------------------------------------------------------------------------

def fold_column(cv) -> str | None:
    """The column ``cv`` reads the folds from: a fold column's name, the key column of a
    :class:`~tabprep.split.HashKFold`, or None."""
    if isinstance(cv, str):
        return cv
    return getattr(cv, "key", None) if hasattr(cv, "fold_ids") else None


def fold_ids(cv, *, n: int, target: Target, df, groups, shuffle: bool, seed, owner: str):
    """One int8 fold id per row from ``cv``, and the number of folds."""
    import polars as pl

    from tabprep.kernels._split import MAX_FOLDS

    if cv is None:
        cv = 5
    if groups is not None and not hasattr(cv, "split"):
        raise ConfigError(f"{owner}: groups are only used by a splitter given as cv",
                          hint="pass cv=GroupKFold(...) (or a fold column built from the groups)")
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        k = int(cv)
        if k > n:
            raise ConfigError(f"{owner}: cv={k} folds need at least {k} rows", found=f"{n} rows",
                              hint="lower cv or pass more rows")
        if k > MAX_FOLDS:
            raise ConfigError(f"{owner}: at most {MAX_FOLDS} folds are supported", found=k)
        from tabprep.split import kfold_ids, stratified_kfold_ids

        seed = 0 if seed is None else seed
        folds = None
        if target.kind != "continuous":
            counts = target.counts[target.counts > 0]
            # stratify when every class can be spread over all folds (scikit-learn would warn
            # and stratify as it can; plain k-fold is the honest fallback)
            if len(counts) >= 2 and counts.min() >= k:
                folds = stratified_kfold_ids(target.values, k, shuffle=shuffle, seed=seed)
        if folds is None:
            folds = kfold_ids(n, k, shuffle=shuffle, seed=seed)
        return np.ascontiguousarray(np.asarray(folds), dtype=np.int8), k
    if isinstance(cv, str):
        if cv not in df.columns:
            raise SchemaError(f"{owner}: the fold column given as cv is not in X", column=cv,
                              hint=f"columns are {df.columns[:10]}")
        col = df.get_column(cv)
        if col.null_count():
            raise DataError("the fold column has a null", column=cv, row=first_true(col.is_null()))
        uniques = col.unique().sort()
        k = uniques.len()
        if k < 2:
            raise DataError("the fold column needs at least 2 distinct folds", column=cv, found=k)
        if k > MAX_FOLDS:
            raise DataError(f"the fold column has more than {MAX_FOLDS} folds", column=cv, found=k)
        folds = col.replace_strict(uniques, pl.int_range(k, eager=True), return_dtype=pl.Int8)
        return np.ascontiguousarray(folds.to_numpy()), k
    if hasattr(cv, "fold_ids") and isinstance(getattr(cv, "key", None), str):  # HashKFold: a hash of a key column
        if cv.key not in df.columns:
            raise SchemaError(f"{owner}: the key column of cv is not in X", column=cv.key,
                              hint=f"columns are {df.columns[:10]}")
        return cv.fold_ids(df.get_column(cv.key)), cv.get_n_splits()
    # a splitter (sklearn-style) or an iterable of (train, test)
    if hasattr(cv, "split"):
        # split() only needs X's length; y (class indices stratify like the labels) and groups
        placeholder = np.broadcast_to(np.float32(0), (n, 1))
        splits = cv.split(placeholder, target.values, groups)
    else:
        splits = cv
    folds = np.full(n, -1, dtype=np.int8)
    seen = np.zeros(n, dtype=np.int32)
    in_train = np.zeros(n, dtype=bool)
    k = 0
    for train, test in splits:  # consumed once; no split is kept
        if k == MAX_FOLDS:
            raise ConfigError(f"{owner}: cv gives more than {MAX_FOLDS} splits")
        train, test = np.asarray(train), np.asarray(test)
        in_train[:] = False
        in_train[train] = True
        # cross fitting trains fold k's encoding on every row outside it: train = complement
        if in_train[test].any() or int(in_train.sum()) != len(train) or len(train) + len(test) != n:
            raise ConfigError(f"{owner}: split {k} of cv does not train on exactly the rows outside "
                              "its validation fold", hint="cross fitting needs train = all other rows "
                              "(KFold, StratifiedKFold, GroupKFold, a fold column...)")
        folds[test] = k
        np.add.at(seen, test, 1)
        k += 1
    if k < 2:
        raise ConfigError(f"{owner}: cv must give at least 2 splits", found=k)
    if not (seen == 1).all():
        row = int(np.flatnonzero(seen != 1)[0])
        raise ConfigError(
            f"{owner}: the validation folds of cv must cover each row exactly once",
            row=row, found=f"a row in {int(seen[row])} validation folds",
            hint="pass a splitter with non-overlapping validation folds (KFold, StratifiedKFold, "
                 "GroupKFold, a fold column...)")
    return folds, k
