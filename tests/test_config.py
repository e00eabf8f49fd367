"""tabprep._config: one thread setting, one pool, nested work inline; every kernel follows it and
gives the same output for any thread count."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tabprep
import tabprep._config as config
import tabprep.kernels._factorize as factorize_module
from tabprep._base.lineage import data_fingerprint
from tabprep.encode import TargetEncoder
from tabprep.errors import ConfigError
from tabprep.handoff import to_numpy
from tabprep.kernels import factorize
from tabprep.kernels import _binning as kb

SRC = Path(tabprep.__file__).resolve().parents[1]  # the tabprep under test, also in subprocesses
THREAD_COUNTS = [1, 2, 3, 4]


@pytest.fixture(autouse=True)
def restore_threads():
    saved = config._threads
    yield
    config._threads = saved


@pytest.fixture
def idle_machine(monkeypatch):
    # An idle 8-core machine, whatever this one is doing: the thread count then comes from the
    # setting alone, so 3 and 4 threads really split the work even on 2 busy cores.
    monkeypatch.setattr(config, "usable_cores", lambda: 8)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))


def _each_thread_count(fn):
    """``fn()`` under every thread count, the results in that order."""
    out = []
    for n in THREAD_COUNTS:
        tabprep.set_threads(n)
        out.append(fn())
    return out


def _run_python(code: str, env: dict | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    environ.pop("TABPREP_THREADS", None)
    environ.update(env or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=environ, capture_output=True,
                          text=True, timeout=timeout)


# ------------------------------------------------------------------------------------------
# The setting
# ------------------------------------------------------------------------------------------


def test_set_threads_round_trip():
    tabprep.set_threads(3)
    assert tabprep.get_threads() == 3
    tabprep.set_threads(None)
    assert tabprep.get_threads() >= 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, 2.0, "2", True])
def test_set_threads_rejects_non_positive_ints(bad):
    with pytest.raises(ConfigError, match=r"set_threads\(n\) must be an int >= 1; found"):
        tabprep.set_threads(bad)


def test_environment_variable_is_read(monkeypatch):
    tabprep.set_threads(None)
    monkeypatch.setenv("TABPREP_THREADS", " 3 ")
    assert tabprep.get_threads() == 3
    tabprep.set_threads(2)  # the call wins over the environment
    assert tabprep.get_threads() == 2


@pytest.mark.parametrize("bad", ["abc", "0", "-2", "1.5"])
def test_bad_environment_variable_is_a_config_error(monkeypatch, bad):
    tabprep.set_threads(None)
    monkeypatch.setenv("TABPREP_THREADS", bad)
    with pytest.raises(ConfigError, match=f"TABPREP_THREADS must be an int >= 1; found '{bad}'.*Hint: set"):
        tabprep.get_threads()


def test_bad_environment_variable_stops_a_kernel_call():
    done = _run_python("""
        import numpy as np
        from tabprep.errors import ConfigError
        from tabprep.kernels import factorize
        try:
            factorize(np.arange(1_000_000) * 1_000_003)  # hashed: the rows would be split
        except ConfigError as exc:
            print("ConfigError:", exc)
    """, env={"TABPREP_THREADS": "abc"})
    assert done.returncode == 0, done.stderr
    assert "ConfigError: the environment variable TABPREP_THREADS must be an int >= 1; found 'abc'" in done.stdout


def test_idle_threads_counts_idle_cores_and_the_caller(monkeypatch):
    monkeypatch.setattr(config, "usable_cores", lambda: 4)
    tabprep.set_threads(8)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert config.idle_threads() == 4  # never more than the cores
    assert config.idle_threads(limit=2) == 2
    monkeypatch.setattr(os, "getloadavg", lambda: (3.0, 0.0, 0.0))  # one core idle, plus ours
    assert config.idle_threads() == 2
    monkeypatch.setattr(os, "getloadavg", lambda: (7.0, 0.0, 0.0))
    assert config.idle_threads() == 1
    tabprep.set_threads(1)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert config.idle_threads() == 1


def test_idle_threads_counts_the_callers_busy_job_groups(idle_machine):
    # a pool thread running a job of a group this thread opened is not idle (the load average
    # sees it a minute late); other threads' groups and finished jobs do not count
    tabprep.set_threads(2)
    assert config.idle_threads() == 2
    started, release = threading.Event(), threading.Event()
    group = config.JobGroup(workers=1)
    job = group.submit(lambda: (started.set(), release.wait(30)))
    assert started.wait(30)
    assert config.idle_threads() == 1
    seen = []
    other = threading.Thread(target=lambda: seen.append(config.idle_threads()))
    other.start()
    other.join()
    assert seen == [2]
    release.set()
    job.result()
    group.shutdown(wait=True)
    assert config.idle_threads() == 2


# ------------------------------------------------------------------------------------------
# run_tasks and JobGroup
# ------------------------------------------------------------------------------------------


def test_run_tasks_uses_at_most_the_setting(idle_machine):
    tabprep.set_threads(3)
    barrier_hits = []
    lock = threading.Lock()

    def task(i):
        with lock:
            barrier_hits.append(threading.current_thread().name)
        return i * 10

    assert config.run_tasks(task, 50) == [i * 10 for i in range(50)]
    names = set(barrier_hits)
    assert len(names) <= 3
    assert all(n == threading.current_thread().name or n.startswith("tabprep_") for n in names)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n_tasks=st.integers(0, 12), threads=st.integers(1, 4), failing=st.sets(st.integers(0, 11), max_size=3))
def test_run_tasks_raises_the_serial_error(n_tasks, threads, failing):
    # results in task order; the error is that of the lowest failing task, as in a serial run
    def task(i):
        if i in failing:
            raise ValueError(i)
        return -i

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(config, "_threads", threads)
        first = min((i for i in failing if i < n_tasks), default=None)
        if first is None:
            assert config.run_tasks(task, n_tasks) == [-i for i in range(n_tasks)]
        else:
            with pytest.raises(ValueError, match=f"^{first}$"):
                config.run_tasks(task, n_tasks)


def test_job_group_runs_every_job_once_and_keeps_errors_per_job():
    tabprep.set_threads(2)
    calls = []
    with config.JobGroup() as group:
        jobs = [group.submit(lambda i: calls.append(i) or 1 / (i - 3), i) for i in range(6)]
        assert [j.result() for j in jobs[:3]] == [1 / (i - 3) for i in range(3)]
        with pytest.raises(ZeroDivisionError):
            jobs[3].result()
        assert [j.result() for j in jobs[4:]] == [1.0, 0.5]
    assert sorted(calls) == list(range(6))


def test_job_group_without_workers_runs_jobs_when_asked():
    # workers=0: nothing runs at submit time, each job in the thread asking for it, in that order
    order = []
    group = config.JobGroup(workers=0)
    jobs = [group.submit(order.append, i) for i in range(3)]
    assert order == []
    jobs[2].result()
    jobs[0].result()
    assert order == [2, 0]
    group.shutdown(wait=True, cancel_futures=True)
    assert order == [2, 0] and jobs[1].done()
    assert jobs[1].cancel() is False


def test_job_group_shutdown_runs_what_is_left():
    order = []
    group = config.JobGroup(workers=0)
    for i in range(3):
        group.submit(order.append, i)
    group.shutdown()
    assert order == [0, 1, 2]


# ------------------------------------------------------------------------------------------
# Every kernel: the same output for any thread count
# ------------------------------------------------------------------------------------------


def _assert_all_equal(results):
    first = results[0]
    for other in results[1:]:
        if isinstance(first, tuple):
            for a, b in zip(first, other):
                _assert_one_equal(a, b)
        else:
            _assert_one_equal(first, other)


def _assert_one_equal(a, b):
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()  # bit for bit, NaN payloads and -0.0 included
    elif isinstance(a, (pa.Array, pa.ChunkedArray)):
        assert a.equals(b)
    else:
        assert a == b


@pytest.mark.parametrize("kind", ["string", "int"])
@pytest.mark.parametrize("null", ["code", "sentinel"])
def test_factorize_same_for_any_thread_count(idle_machine, monkeypatch, kind, null):
    # 1.2M rows: at 250k rows per thread, every thread count up to 4 really splits the rows
    n = 1_200_000
    assert n // factorize_module._MIN_ROWS_PER_THREAD >= max(THREAD_COUNTS)
    parts = []
    real = factorize_module._n_parts
    monkeypatch.setattr(factorize_module, "_n_parts", lambda length: parts.append(real(length)) or parts[-1])
    rng = np.random.default_rng(7)
    keys = rng.zipf(1.3, n) % 200_003  # a long tail: new values keep appearing in every part
    mask = rng.random(n) < 0.01
    mask[: n // 2] = False  # the first null in a later part
    if kind == "string":
        strings = np.char.add("k", keys.astype(str)).astype(object)
        strings[mask] = None
        flat = pa.array(strings, type=pa.large_string())
        values = pa.chunked_array([flat.slice(0, 300_001), flat.slice(300_001)]).cast(pa.string_view())
    else:
        flat = pa.array(keys * 7_919 - 10**12, mask=mask, type=pa.int64())
        values = pa.chunked_array([flat.slice(0, 300_001), flat.slice(300_001)])
    for order in ["first_seen", "sorted"]:
        _assert_all_equal(_each_thread_count(lambda: factorize(values, null=null, order=order)))
    assert parts[: len(THREAD_COUNTS)] == THREAD_COUNTS  # each count was really used


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=st.lists(st.one_of(st.none(), st.integers(-3, 40), st.sampled_from([2**40, -(2**50)])), max_size=120),
    as_string=st.booleans(),
    threads=st.integers(2, 4),
)
def test_factorize_split_property(values, as_string, threads):
    # small inputs, small parts: the codes of a split run are those of a serial one
    arr = pa.array([None if v is None else (f"s{v}" if as_string else v) for v in values],
                   type=pa.large_string() if as_string else pa.int64())
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(config, "usable_cores", lambda: 8)
        mp.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
        mp.setattr(factorize_module, "_MIN_ROWS_PER_THREAD", 5)
        mp.setattr(factorize_module, "_BLOCK_ROWS", 3)
        mp.setattr(config, "_threads", 1)
        want = factorize(arr)
        mp.setattr(config, "_threads", threads)
        got = factorize(arr)
    _assert_all_equal([want, got])


def test_binning_same_for_any_thread_count(idle_machine):
    n = 4 * kb._MIN_ROWS_PER_THREAD + 12_345  # four pieces at 4 threads
    rng = np.random.default_rng(3)
    x = rng.lognormal(size=n)
    x[rng.random(n) < 0.02] = np.nan
    x[::97] = 1.5  # heavy ties
    col = kb.column_buffers(x)
    chunks = [kb.column_buffers(x[: n // 3]), kb.column_buffers(x[n // 3:])]
    q = np.linspace(0, 100, 33)
    valid = x[~np.isnan(x)]
    for method in ["linear", "inverted_cdf", "hazen"]:
        got = _each_thread_count(lambda: kb.percentiles(col, q, method))
        _assert_all_equal(got)
        np.testing.assert_array_equal(got[0][1], np.percentile(valid, q, method=method))
        _assert_all_equal(_each_thread_count(lambda: kb.percentiles(chunks, q, method)))
    edges = np.percentile(valid, [10, 25, 50, 75, 90])
    codes = _each_thread_count(lambda: kb.bin_codes(col, edges, dtype=np.int16, missing=-1, return_missing=True))
    _assert_all_equal(codes)
    want = np.where(np.isnan(x), -1, np.searchsorted(edges, x, side="right")).astype(np.int16)
    np.testing.assert_array_equal(codes[0][0], want)


def test_to_numpy_same_for_any_thread_count(idle_machine):
    n = 520_000  # 8 columns: past the 4M cells from which the hand-off splits rows
    rng = np.random.default_rng(5)
    df = pl.DataFrame({f"c{j}": rng.normal(size=n) for j in range(6)}).with_columns(
        pl.Series("i", rng.integers(-5, 5, n)),
        pl.Series("b", pa.array(rng.random(n) < 0.5, mask=rng.random(n) < 0.1)),
    )
    df = pl.concat([df[:100_003], df[100_003:]], rechunk=False)
    for order in ["C", "F"]:
        for dtype in [np.float32, np.float64]:
            got = _each_thread_count(lambda: to_numpy(df, dtype=dtype, order=order))
            _assert_all_equal(got)
            assert np.isnan(got[0][:, -1]).sum() == df["b"].null_count()


def test_data_fingerprint_same_for_any_thread_count(idle_machine):
    rng = np.random.default_rng(11)
    n = 50_000
    df = pl.DataFrame({
        "a": rng.integers(0, 1000, n),
        "b": rng.normal(size=n),
        "s": pl.Series(rng.choice(["x", "yy", None, "zzz"], n).tolist(), dtype=pl.String),
        "c": rng.random(n) < 0.3,
        "d": rng.normal(size=n).astype(np.float32),
    })
    got = _each_thread_count(lambda: data_fingerprint(df))
    _assert_all_equal(got)
    _assert_all_equal([got[0], *_each_thread_count(lambda: data_fingerprint(df.lazy()))])


@pytest.mark.parametrize("target", ["binary", "continuous"])
def test_target_encoder_cv5_same_for_any_thread_count(idle_machine, target):
    from tabprep.encode import _crossfit

    n = _crossfit._PARALLEL_ROWS + 1_000  # big enough to overlap factorizing with the folds
    rng = np.random.default_rng(13)
    X = pl.DataFrame({
        "s": pl.Series(rng.choice(["a", "b", "c", "d", None], n).tolist(), dtype=pl.String),
        "i": rng.integers(0, 300, n),
        "t": pl.Series(rng.choice([f"t{k}" for k in range(2_000)], n).tolist(), dtype=pl.String),
    })
    y = (rng.random(n) < 0.3).astype(np.int64) if target == "binary" else rng.normal(size=n)

    def fit():
        enc = TargetEncoder(cv=5, shuffle=True, random_state=0)
        out = enc.fit_transform(X, y)
        return (out.to_numpy(), np.concatenate(enc.fold_encodings_, axis=None))

    _assert_all_equal(_each_thread_count(fit))


def test_split_and_target_kernels_same_for_any_thread_count(idle_machine):
    # past one assignment block, one index piece and the target kernels' parallel threshold:
    # the blocked fold ids, every fold's indices, the counts and the gather split their rows
    from tabprep.kernels import _split, _target
    from tabprep.split import KFold, StratifiedKFold

    n = max(3 * _split.BLOCK_ROWS, _split._PIECE_ROWS, _target._PARALLEL_ROWS) + 12_345
    rng = np.random.default_rng(21)
    y = rng.choice(3, size=n, p=[0.8, 0.15, 0.05]).astype(np.int8)
    X = np.zeros((n, 1), dtype=np.int8)
    codes = rng.integers(0, 1_000, n).astype(np.int32)
    table = rng.normal(size=(5, 1_001, 1))

    def run():
        folds = [np.concatenate(p) for p in StratifiedKFold(5, shuffle=True, random_state=3).split(X, y)]
        folds += [np.concatenate(p) for p in KFold(4, shuffle=True, random_state=3).split(X)]
        fold_ids = np.empty(n, dtype=np.int8)
        for f, (_, test) in enumerate(StratifiedKFold(5, shuffle=True, random_state=3).split(X, y)):
            fold_ids[test] = f
        cells, _ = _target.target_stats(codes, 1_000, (y == 1).astype(np.int8), folds=fold_ids, n_folds=5,
                                        binary=True, compact=True)
        gathered = _target.gather_encodings(codes, table, folds=fold_ids)
        return [*folds, cells.ravel(), gathered.ravel()]

    got = _each_thread_count(run)
    for other in got[1:]:
        assert len(other) == len(got[0])
        for a, b in zip(got[0], other):
            np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------------------------------
# One thread: no pool thread at all; nested calls: inline
# ------------------------------------------------------------------------------------------

_EVERY_KERNEL = """
    import numpy as np, polars as pl, pyarrow as pa, threading
    import tabprep._config as config
    from tabprep.kernels import factorize
    from tabprep.kernels import _binning as kb
    from tabprep.handoff import to_numpy
    from tabprep._base.lineage import data_fingerprint
    from tabprep.encode import TargetEncoder

    config.usable_cores = lambda: 8       # as if on an idle 8-core machine
    import os; os.getloadavg = lambda: (0.0, 0.0, 0.0)

    def every_kernel():
        rng = np.random.default_rng(0)
        n = 1_200_000
        factorize(pa.array(np.char.add("k", (rng.integers(0, 5000, n)).astype(str)).astype(object)))
        factorize(rng.integers(0, 10**12, n))
        x = rng.normal(size=n)
        col = kb.column_buffers(x)
        kb.percentiles(col, [10, 50, 90])
        kb.bin_codes(col, np.array([0.0, 1.0]))
        df = pl.DataFrame({f"c{j}": x[:600_000] for j in range(8)})
        to_numpy(df)
        data_fingerprint(df)
        m = 250_000
        X = pl.DataFrame({"s": rng.choice(["a", "b"], m), "i": rng.integers(0, 9, m)})
        TargetEncoder(cv=5).fit_transform(X, rng.integers(0, 2, m))
"""


@pytest.mark.parametrize("how", ["set_threads", "environment"])
def test_one_thread_starts_no_pool_thread(how):
    done = _run_python(_EVERY_KERNEL + f"""
    if {how == "set_threads"}:
        import tabprep
        tabprep.set_threads(1)
    assert config.get_threads() == 1
    every_kernel()
    print(sorted(t.name for t in threading.enumerate()))
    """, env={"TABPREP_THREADS": "1"} if how == "environment" else None)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['MainThread']"


def test_several_threads_use_the_one_pool():
    # the counterpart of the test above: the same calls do use threads, all from the one pool
    done = _run_python(_EVERY_KERNEL + """
    import tabprep
    tabprep.set_threads(2)
    every_kernel()
    names = sorted(t.name for t in threading.enumerate())
    print(names)
    assert names[0] == "MainThread" and all(n.startswith("tabprep_") for n in names[1:]), names
    assert 1 < len(names) <= 3, names
    """)
    assert done.returncode == 0, done.stderr


def test_nested_calls_run_inline_without_deadlock():
    # Every pool thread runs a job that calls every kernel: were their parallel parts queued on
    # the pool, each worker would wait on work that only a worker can start. A deadlock ends at
    # the timeout instead of hanging the suite.
    done = _run_python(_EVERY_KERNEL + """
    import tabprep
    tabprep.set_threads(2)
    asked = []
    real_pool = config.thread_pool
    def watched_pool():
        asked.append(config.in_worker())
        return real_pool()
    config.thread_pool = watched_pool

    def job():
        assert config.in_worker() and config.idle_threads() == 1
        every_kernel()
        return threading.current_thread().name

    pool = config.thread_pool()
    futures = [pool.submit(job) for _ in range(2)]
    names = [f.result(timeout=200) for f in futures]
    assert all(n.startswith("tabprep_") for n in names), names
    assert not any(asked), "a pool thread asked for the pool"
    print("ok")
    """, timeout=260)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_pool_works_in_a_forked_child():
    done = _run_python("""
        import os, warnings
        import tabprep, tabprep._config as config
        tabprep.set_threads(2)
        assert config.run_tasks(lambda i: i, 4) == [0, 1, 2, 3]  # the parent's pool exists now
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() of a threaded process
        pid = os.fork()
        if pid == 0:
            import signal
            signal.alarm(60)
            ok = config.run_tasks(lambda i: i * 2, 4) == [0, 2, 4, 6]
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        print(os.WEXITSTATUS(status))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"
