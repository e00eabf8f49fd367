"""Process-wide settings: how many threads tabprep's kernels and pools may use, and the one pool.

One setting, read by every kernel and every pool of ours (stumpy's ``config.py`` is the model):
:func:`set_threads` in code, or the ``TABPREP_THREADS`` environment variable, default the cores
this process may run on. Outputs never depend on it: every parallel kernel splits its work so
that the result is identical for any thread count (tested).

There is one thread pool (:func:`thread_pool`), created on first use, sized to the setting and
rebuilt after a fork (a child inherits the pool object but not its threads). Work submitted from
inside a pool thread runs inline (:func:`in_worker`), so nested parallel calls (a per-column job
that factorizes) never wait on a queue they are blocking.

Two ways to use it:

* :func:`run_tasks` -- ``[fn(0), ..., fn(n - 1)]`` on up to the setting's threads, the caller
  being one of them (row ranges of a kernel, columns of a hash);
* :class:`JobGroup` -- jobs submitted now, collected later, so the caller can do something
  else meanwhile (factorizing columns while the folds are assigned).

Both let the waiting thread run the jobs nobody has started yet instead of waiting behind a busy
pool, and neither touches the pool when one thread is all there is to use: ``set_threads(1)``
starts no thread at all.
"""

from __future__ import annotations

import numbers
import os
import threading
import weakref
from collections import deque

from tabprep.errors import ConfigError

__all__ = [
    "set_threads", "get_threads", "usable_cores", "idle_threads", "thread_pool", "in_worker",
    "submit", "run_tasks", "JobGroup",
]

_ENV = "TABPREP_THREADS"
_threads: int | None = None  # set_threads' value; None: the environment or the cores
_pool = None                 # (pid, workers, ThreadPoolExecutor)
_lock = threading.Lock()
_local = threading.local()


def usable_cores() -> int:
    """The number of CPUs this process may run on (its affinity mask, not the machine's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def set_threads(n: int | None) -> None:
    """Let tabprep use ``n`` threads (``None``: back to ``TABPREP_THREADS`` or every usable core).

    Examples
    --------
    >>> import tabprep
    >>> tabprep.set_threads(1); tabprep.get_threads()
    1
    >>> tabprep.set_threads(None)
    """
    global _threads
    if n is not None and (isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1):
        raise ConfigError("set_threads(n) must be an int >= 1", found=repr(n),
                          hint="e.g. 1 for serial kernels, or None for TABPREP_THREADS or every usable core")
    _threads = None if n is None else int(n)


def get_threads() -> int:
    """The thread count in force: :func:`set_threads`, else ``TABPREP_THREADS``, else the cores.

    Raises
    ------
    ConfigError
        ``TABPREP_THREADS`` is set to something other than a positive integer.
    """
    if _threads is not None:
        return _threads
    env = os.environ.get(_ENV, "").strip()
    if env:
        try:
            value = int(env)
        except ValueError:
            value = 0
        if value < 1:
            raise ConfigError(f"the environment variable {_ENV} must be an int >= 1", found=repr(env),
                              hint=f"set {_ENV} to a whole number of threads such as 1 or 4, "
                                   "or unset it for every usable core")
        return value
    return usable_cores()


def idle_threads(limit: int | None = None) -> int:
    """Threads worth starting now: the setting, capped by ``limit`` and by the cores that are
    idle (load average), counting the calling thread, as ``make -l`` does; 1 in a pool thread.

    On a busy machine a helper thread only takes CPU from its caller and the merge costs extra:
    measured at 2 CPUs, a second thread made a 10M-row factorization 1.3x faster when the CPUs
    were free and 1.4x slower when other processes kept them busy.

    Pool threads running jobs of a :class:`JobGroup` the calling thread opened are not idle
    either (the load average would see them a minute late): while a target encoder's worker
    factorizes, the fold assignment in the caller's thread runs on one thread.
    """
    if in_worker():  # nested work runs inline: its caller already holds a pool thread
        return 1
    cores = usable_cores()
    n = min(get_threads(), cores)  # more threads than cores are never idle, whatever the setting
    try:
        n = min(n, int(cores - os.getloadavg()[0] + 1.5))
    except (AttributeError, OSError):  # no load average on this platform
        pass
    groups = getattr(_local, "groups", None)
    if groups:
        n -= sum(group.busy() for group in list(groups))
    if limit is not None:
        n = min(n, limit)
    return max(1, n)


def _after_fork_in_child() -> None:
    # a lock another thread held at the fork would stay held forever in the child
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _mark_worker() -> None:
    _local.worker = True


def in_worker() -> bool:
    """Whether the calling thread is one of the pool's: nested work should then run inline."""
    return getattr(_local, "worker", False)


def thread_pool():
    """The process-wide ``ThreadPoolExecutor`` (``get_threads()`` workers, named ``tabprep_N``).

    Rebuilt when the setting has changed since the last call (the old one finishes what it was
    given) and in a forked child. Prefer :func:`run_tasks` or :class:`JobGroup`, which run
    nested work inline and never wait behind a busy pool.
    """
    global _pool
    workers = get_threads()
    with _lock:
        if _pool is None or _pool[0] != os.getpid() or _pool[1] != workers:
            from concurrent.futures import ThreadPoolExecutor

            if _pool is not None and _pool[0] == os.getpid():
                _pool[2].shutdown(wait=False)
            _pool = (os.getpid(), workers,
                     ThreadPoolExecutor(workers, thread_name_prefix="tabprep", initializer=_mark_worker))
        return _pool[2]


def submit(fn, *args):
    """``thread_pool().submit(fn, *args)``, on the pool in force when another thread has just
    changed the setting (and with it replaced the pool)."""
    while True:
        pool = thread_pool()
        try:
            return pool.submit(fn, *args)
        except RuntimeError:
            # shut down under us by a set_threads elsewhere: the next pool takes it. Any other
            # reason (the interpreter is exiting) leaves the pool in place: let it be raised.
            if _pool is not None and _pool[2] is pool:
                raise


def run_tasks(fn, n_tasks: int, threads: int | None = None) -> list:
    """``[fn(0), ..., fn(n_tasks - 1)]``, on up to ``threads`` threads counting the caller.

    ``threads`` (default :func:`get_threads`) is capped by the setting, so a kernel may cut its
    rows into more pieces than there are threads; the pieces then queue. Serial (no pool at
    all) with one thread, one task, or inside a pool thread. Each task must write only its own
    outputs: then the results do not depend on which thread ran what. An error is that of the
    lowest failing task, as in a serial run, once every started task has finished.

    Examples
    --------
    >>> run_tasks(lambda i: i * i, 4)
    [0, 1, 4, 9]
    """
    threads = get_threads() if threads is None else min(threads, get_threads())
    workers = min(threads, n_tasks) - 1
    if workers < 1 or in_worker():
        return [fn(i) for i in range(n_tasks)]
    with JobGroup(workers) as group:
        jobs = [group.submit(fn, i) for i in range(n_tasks)]
        return [job.result() for job in jobs]


_PENDING, _RUNNING, _DONE = 0, 1, 2


class Job:
    """One job of a :class:`JobGroup` (a ``Future``-like handle: ``result``, ``done``, ``cancel``)."""

    def __init__(self, group: JobGroup, fn, args, kwargs) -> None:
        self._group = group
        self._call = (fn, args, kwargs)
        self._state = _PENDING
        self._value = self._error = None
        self._finished = threading.Event()

    def _run(self) -> None:
        fn, args, kwargs = self._call
        self._call = None  # the job's inputs can go as soon as it has run
        try:
            self._value = fn(*args, **kwargs)
        except BaseException as exc:
            self._error = exc
            if not isinstance(exc, Exception):  # Ctrl-C or an exit in this thread: stop now
                raise
        finally:
            self._state = _DONE
            self._finished.set()

    def result(self):
        """The job's value (or its error raised), once it has run.

        If no thread has started it yet, the caller runs it; while another thread runs it, the
        caller runs the group's other waiting jobs, and waits only when there is none.
        """
        group = self._group
        while True:
            with group._lock:
                if self._state == _DONE:
                    break
                if self._state == _PENDING:
                    group._pending.remove(self)
                    job = self
                else:
                    job = group._pending.popleft() if group._pending else None
                if job is not None:
                    job._state = _RUNNING
            if job is None:
                self._finished.wait()
            else:
                job._run()
        if self._error is not None:
            raise self._error
        return self._value

    def done(self) -> bool:
        """Whether the job has run or was cancelled."""
        return self._state == _DONE

    def cancel(self) -> bool:
        """Drop the job if no thread has started it; True if it was dropped."""
        from concurrent.futures import CancelledError

        with self._group._lock:
            if self._state != _PENDING:
                return False
            self._group._pending.remove(self)
            self._state, self._error, self._call = _DONE, CancelledError(), None
        self._finished.set()
        return True


class JobGroup:
    """Jobs run by up to ``workers`` threads of the shared pool and by the threads waiting on them.

    A stand-in for a private ``ThreadPoolExecutor`` (``submit``, ``shutdown``, ``with``) that
    starts no thread of its own. Waiting on a job runs it if no thread has started it yet, so
    a waiting caller never sits behind a busy pool, and a group with ``workers=0`` runs each job
    in the thread that first asks for its result (so errors come in the same order as with
    threads).

    Parameters
    ----------
    workers : int, optional
        Pool threads the group may keep busy at once, besides the caller (default and most
        ``get_threads() - 1``: the caller is one of the setting's threads); 0 inside a pool
        thread.

    Examples
    --------
    >>> with JobGroup() as jobs:
    ...     squares = [jobs.submit(pow, i, 2) for i in range(4)]
    ...     [s.result() for s in squares]
    [0, 1, 4, 9]
    """

    def __init__(self, workers: int | None = None) -> None:
        limit = get_threads() - 1  # the caller is one of the setting's threads
        workers = limit if workers is None else min(int(workers), limit)
        self._workers = 0 if in_worker() else max(0, workers)
        self._lock = threading.Lock()
        self._pending: deque[Job] = deque()
        self._active = 0  # runners started and not yet out of jobs
        self._runners: list = []
        if self._workers:  # idle_threads() in this thread counts the group's busy pool threads
            if not hasattr(_local, "groups"):
                _local.groups = weakref.WeakSet()
            _local.groups.add(self)

    def busy(self) -> int:
        """Pool threads running this group's jobs now."""
        return self._active

    def submit(self, fn, *args, **kwargs) -> Job:
        """Queue ``fn(*args, **kwargs)``; a pool thread starts it if the group has one free."""
        job = Job(self, fn, args, kwargs)
        with self._lock:
            self._pending.append(job)
            start = self._active < self._workers
            if start:
                self._active += 1
        if start:
            try:
                self._runners.append(submit(self._runner))
            except RuntimeError:  # no pool any more (interpreter exit): the callers run the jobs
                with self._lock:
                    self._active -= 1
        return job

    def _runner(self) -> None:
        try:
            while True:
                with self._lock:
                    if not self._pending:
                        self._active -= 1
                        return
                    job = self._pending.popleft()
                    job._state = _RUNNING
                job._run()
        except BaseException:
            with self._lock:
                self._active -= 1
            raise

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Drop the waiting jobs (``cancel_futures``) and, with ``wait``, finish the rest: the
        caller runs those still waiting and then waits for the running ones."""
        if cancel_futures:
            with self._lock:
                pending = list(self._pending)
            for job in pending:
                job.cancel()
        if not wait:
            return
        while True:
            with self._lock:
                job = self._pending.popleft() if self._pending else None
                if job is not None:
                    job._state = _RUNNING
            if job is None:
                break
            job._run()
        for runner in self._runners:
            if runner.cancel():  # one the pool never started: it has nothing left to do
                with self._lock:
                    self._active -= 1
            else:
                runner.exception()

    def __enter__(self) -> JobGroup:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.shutdown(wait=True, cancel_futures=exc_type is not None)
