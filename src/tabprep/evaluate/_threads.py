"""Native thread pools under parallel folds or trials: one core's worth per worker, as joblib does.

Fitting ``n_jobs`` models at the same time from Python threads (the models release the GIL) while
each model also starts its own OpenMP / BLAS threads (HistGradientBoosting, LightGBM, XGBoost,
the BLAS behind lbfgs) puts ``n_jobs * cores`` busy threads on ``cores`` cores. OpenMP's
spin-waiting barriers make that much slower than either level alone (measured on a loaded 2-core
machine: one HistGradientBoosting fit took ~12x the CPU time with two OpenMP threads competing as
with one). joblib's process workers (scikit-learn's ``n_jobs``) cap each worker's inner pools at
``cores // n_jobs``; these helpers do the same for threads:

- :func:`pool_limits` around the pool caps BLAS (OpenBLAS / MKL: one process-wide setting);
- :func:`worker_limits` inside each worker caps OpenMP, whose thread count is per calling thread.

With ``n_jobs == 1`` both do nothing: the model uses its own threads as usual.
"""

from __future__ import annotations

import contextlib
import os

__all__ = ["inner_threads", "pool_limits", "worker_limits"]


def inner_threads(n_jobs: int) -> int:
    """Native threads each of ``n_jobs`` workers may use: ``max(1, cores // n_jobs)``."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, cores // max(1, n_jobs))


def _limits():
    # a new controller each time: it lists the native libraries loaded by now (a model's own
    # OpenMP runtime, e.g. LightGBM's, may have been loaded after an earlier call)
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextlib.contextmanager
def _capped(n_jobs: int, user_api: str):
    """Cap the native pools of ``user_api`` (threadpoolctl's "blas" or "openmp") at
    :func:`inner_threads` while ``n_jobs > 1`` workers run; nothing with one worker."""
    if n_jobs <= 1:
        yield
        return
    with _limits().limit(limits=inner_threads(n_jobs), user_api=user_api):
        yield


def pool_limits(n_jobs: int):
    """Cap the BLAS pools (process-wide) while ``n_jobs > 1`` workers run."""
    return _capped(n_jobs, "blas")


def worker_limits(n_jobs: int):
    """Cap OpenMP for the calling worker thread (OpenMP's thread count is per thread)."""
    return _capped(n_jobs, "openmp")
