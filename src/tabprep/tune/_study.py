"""Optuna studies: storage (opened and checked up front), samplers, pruners, resuming a killed study."""

from __future__ import annotations

import os

from tabprep.errors import ConfigError

__all__ = ["STRATEGIES", "PRUNERS", "open_storage", "make_sampler", "make_pruner", "recover", "finished"]

STRATEGIES = ("grid", "random", "tpe")
PRUNERS = ("none", "median", "halving", "hyperband")


def open_storage(storage):
    """An Optuna storage: None (in memory), an SQLAlchemy URL (``sqlite:///study.db``,
    ``postgresql://...``), a path (a SQLite file) or a storage object. A URL that cannot be
    opened is a ConfigError before any trial."""
    import optuna

    if storage is None:
        return optuna.storages.InMemoryStorage()
    if isinstance(storage, optuna.storages.BaseStorage):
        return storage
    if isinstance(storage, os.PathLike) or (isinstance(storage, str) and "://" not in storage):
        path = os.path.abspath(os.fspath(storage))
        folder = os.path.dirname(path)
        if not os.path.isdir(folder):
            raise ConfigError("the folder of the study file does not exist", path=path,
                              hint="create the folder, or pass another --storage")
        storage = f"sqlite:///{path}"
    if not isinstance(storage, str):
        raise ConfigError("storage must be None, an SQLAlchemy URL, a file path or an Optuna storage",
                          found=repr(storage))
    try:
        return optuna.storages.RDBStorage(storage)
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy/driver errors of every kind mean "cannot open"
        raise ConfigError(f"the study storage cannot be opened: {type(exc).__name__}: {str(exc).splitlines()[0]}",
                          found=storage, hint="pass a reachable SQLAlchemy URL (sqlite:///study.db) or a "
                          "writable file path") from exc


def make_sampler(strategy: str, space, seed: int, offset: int):
    """The sampler of ``strategy``, seeded with ``seed + offset`` (``offset``: trials already in
    the study, so a resumed study does not draw its first points again)."""
    import optuna

    s = None if seed is None else int(seed) + int(offset)
    if strategy == "grid":
        return optuna.samplers.GridSampler(space.grid, seed=s)
    if strategy == "random":
        return optuna.samplers.RandomSampler(seed=s)
    return optuna.samplers.TPESampler(seed=s)


def make_pruner(pruner, max_resource: int):
    """An Optuna pruner from a name (``none``, ``median``, ``halving``, ``hyperband``) or as given.

    Trials report their rungs at steps counted in units of the smallest rung (1, 3, 9 for rungs
    of 1/9, 1/3 and all of the resource), which is what successive halving and Hyperband read
    as the resource: with ``min_resource=1`` and a reduction factor of 3 each rung is a pruning
    point (reporting rung indices 0, 1, 2 instead left only one: step 0 is below the minimum
    resource and step 2 is not a rung)."""
    import optuna

    if pruner is None or pruner == "none":
        return optuna.pruners.NopPruner()
    if isinstance(pruner, optuna.pruners.BasePruner):
        return pruner
    if pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0)
    if pruner == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    if pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(max_resource, 1), reduction_factor=3)
    raise ConfigError(f"unknown pruner {pruner!r}", hint=f"one of {', '.join(PRUNERS)} or an optuna pruner")


def recover(study, strategy: str) -> list[int]:
    """Trials a killed process left RUNNING: marked FAIL, and their parameters queued again (a
    grid point becomes free again by itself), so the study neither loses nor repeats them.

    Assumes no other process is running trials of this study right now (for several workers on
    one storage use Optuna's heartbeat instead). Returns the numbers of the recovered trials.
    """
    from optuna.trial import TrialState

    numbers = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study._storage.set_trial_system_attr(t._trial_id, "tabprep:recovered", True)
        study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
        if strategy != "grid" and t.params:
            study.enqueue_trial(t.params, user_attrs={"tabprep:requeued_from": t.number})
        numbers.append(t.number)
    return numbers


def finished(study) -> int:
    """Trials that count towards ``n_trials``: complete or pruned."""
    from optuna.trial import TrialState

    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))
