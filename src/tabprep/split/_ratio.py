"""Train/valid/test (any number of parts) by ratio, as id arrays: 0 for the first part, 1, ...

Sizes: see :mod:`tabprep._base.alloc` (largest remainder overall; per class, scikit-learn's
StratifiedShuffleSplit rule part by part). Rows are then assigned by the same compiled
pass as the stratified folds (exact sizes, uniformly at random; fixed row blocks in parallel).
"""

from __future__ import annotations

import numpy as np

from tabprep.errors import ConfigError, DataError
from tabprep.kernels._split import MAX_FOLDS, split_assign, split_assign_flat, split_take
from tabprep._base.alloc import derive_seed, ratio_sizes, stratified_part_allocation
from tabprep.split._kfold import N_ROWS, SEED, _stratified_group_ids, check_classes
from tabprep._base.labels import BINS, Labels, encode_labels
from tabprep._base.params import Ratios, validate_call

__all__ = ["RATIOS", "as_ratios", "random_split_ids", "stratified_split_ids", "group_split_ids", "stratified_group_split_ids"]


#: The ``ratios`` parameter: 2 to 127 shares summing to 1 (the kernels' part ids are int8).
RATIOS = [Ratios(MAX_FOLDS)]


def as_ratios(ratios) -> tuple[float, ...]:
    """Checked ``ratios`` (a sequence or "0.8,0.1,0.1") as a tuple of floats."""
    return RATIOS[0].values(ratios)


@validate_call({"n_rows": N_ROWS, "ratios": RATIOS, "seed": SEED})
def random_split_ids(n_rows: int, ratios, *, seed: int = 0) -> np.ndarray:
    """Part id of each of ``n_rows`` rows, exact part sizes, uniformly at random."""
    return split_assign_flat(ratio_sizes(int(n_rows), as_ratios(ratios)), seed=seed)


def _stratified(labels: Labels, ratios, seed: int) -> np.ndarray:
    rng = np.random.default_rng(derive_seed(seed, 3))
    present = labels.by_first_appearance()
    sizes = ratio_sizes(labels.n_rows, ratios)
    places = np.zeros((labels.n_codes, len(ratios)), dtype=np.int64)
    places[present] = stratified_part_allocation(labels.counts[present], sizes, rng)
    return split_assign(labels.values, labels.lo, places, shuffle=True, seed=seed, check=False,
                        block_counts=labels.block_counts)


@validate_call({"ratios": RATIOS, "seed": SEED, "bins": BINS})
def stratified_split_ids(y, ratios, *, seed: int = 0, bins: int | str | None = None) -> np.ndarray:
    """Part id of each row with every class spread over the parts in proportion.

    Each class needs 2 rows or more (as scikit-learn's StratifiedShuffleSplit); a part may still
    get no row of a class whose count times the part's ratio rounds to 0.
    """
    labels = encode_labels(y, what="stratification labels", bins=bins)
    check_classes(labels, 2, "stratified_split_ids", per="of two parts")
    return _stratified(labels, as_ratios(ratios), seed)


def _group(g: Labels, ratios, seed: int) -> np.ndarray:
    # groups in a random order, laid end to end; a group goes to the part its middle row falls in
    present = g.present()
    order = np.random.default_rng(derive_seed(seed, 4)).permutation(present)
    sizes = g.counts[order]
    middle = np.cumsum(sizes) - sizes / 2.0
    bounds = np.cumsum(np.asarray(ratios) * g.n_rows)[:-1]
    part = np.searchsorted(bounds, middle, side="right").astype(np.int8)
    table = np.full(g.n_codes, -1, dtype=np.int8)
    table[order] = part
    return split_take(g.values, g.lo, table, check=False)


@validate_call({"ratios": RATIOS, "seed": SEED})
def group_split_ids(groups, ratios, *, seed: int = 0) -> np.ndarray:
    """Part id of each row, all rows of a group in one part, part sizes near the ratios.

    The groups, in a random order from ``seed``, are laid end to end and cut at the ratios; a
    group goes to the part holding its middle row, so each part is off its target by at most
    half the largest group at each cut.
    """
    ratios = as_ratios(ratios)
    g = encode_labels(groups, what="groups")
    _need_groups(g, len(ratios), "group_split_ids")
    return _group(g, ratios, seed)


def _need_groups(g: Labels, n_parts: int, owner: str) -> None:
    n_groups = int(g.present().shape[0])
    if n_groups < n_parts:
        raise DataError(
            f"{owner}: cannot split {n_groups} group(s) into {n_parts} parts",
            **g.where(),
            found=f"{n_groups} distinct group(s)",
            hint="use fewer parts or finer groups",
        )


@validate_call({"ratios": RATIOS, "seed": SEED, "bins": BINS})
def stratified_group_split_ids(y, groups, ratios, *, seed: int = 0, bins: int | str | None = None) -> np.ndarray:
    """Part id of each row: no group in two parts, class proportions kept where possible.

    scikit-learn's StratifiedGroupKFold rule with unequal parts: the per-class share of part j is
    compared with its ratio (``fold_scale = 1 / (n_parts * ratio_j)``).
    """
    owner = "stratified_group_split_ids"
    ratios = as_ratios(ratios)
    labels = encode_labels(y, what="stratification labels", bins=bins)
    g = encode_labels(groups, what="groups")
    if g.n_rows != labels.n_rows:
        raise ConfigError(f"{owner}: y has {labels.n_rows} rows but groups has {g.n_rows}")
    check_classes(labels, 2, owner, per="of two parts")
    _need_groups(g, len(ratios), owner)
    return _stratified_group(labels, g, ratios, seed)


def _stratified_group(labels: Labels, g: Labels, ratios, seed: int) -> np.ndarray:
    r = np.asarray(ratios, dtype=np.float64)
    scale = np.ones_like(r) if np.all(r == r[0]) else 1.0 / (r.shape[0] * r)
    return _stratified_group_ids(labels, g, scale, True, seed)
