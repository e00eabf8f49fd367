"""Batch loading for training: one shuffled epoch of (X, y) batches from a Parquet file.

Ours: ``BatchLoader`` (row groups, a 1M-row shuffle window, prefetch thread, float32 batches).
Peers: shuffling a preloaded in-memory matrix (the speed limit: the data already in memory,
one gather per batch, as a TensorDataset + RandomSampler does) and a plain pyarrow
``iter_batches`` loop (no shuffle, ``np.column_stack`` per batch). The goal: >= 70% of the
preloaded matrix' throughput, from the file. ``extra_info["peak_rss_mb"]`` records the loader's
peak resident memory for the epoch, measured in a fresh subprocess (bounded by the window, not
the file).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

FEATURES = ["num_0", "num_1", "num_2", "num_3", "num_4", "y_cont"]
BATCH = 1024
OP = f"one shuffled epoch, batch {BATCH}, 6 float32 features"


def _epoch(batches) -> int:
    n = 0
    for X, y in batches:
        n += X.shape[0]
    return n


def _peak_rss_mb(path) -> float:
    code = textwrap.dedent(f"""
        import json, resource
        from tabprep.handoff import BatchLoader
        loader = BatchLoader({str(path)!r}, {FEATURES!r}, "y_bin", batch_size={BATCH}, buffer_rows=1 << 20)
        for X, y in loader:
            pass
        print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_loader_epoch_tabprep(benchmark, pair, synthetic_parquet, bench_rows):
    from tabprep.handoff import BatchLoader

    pair(benchmark, OP, "tabprep BatchLoader", "ours")
    loader = BatchLoader(synthetic_parquet, FEATURES, "y_bin", batch_size=BATCH, buffer_rows=1 << 20, seed=0)
    assert benchmark(lambda: _epoch(loader)) == bench_rows
    if bench_rows >= 1_000_000:
        benchmark.extra_info["peak_rss_mb"] = _peak_rss_mb(synthetic_parquet)


def test_loader_epoch_preloaded_shuffle(benchmark, pair, synthetic_df, bench_rows):
    pair(benchmark, OP, "preloaded matrix shuffle", "peer")
    X = synthetic_df.select(FEATURES).to_numpy().astype(np.float32)
    y = synthetic_df["y_bin"].to_numpy()
    rng = np.random.default_rng(0)

    def epoch():
        perm = rng.permutation(X.shape[0])
        return _epoch((X[perm[i:i + BATCH]], y[perm[i:i + BATCH]]) for i in range(0, X.shape[0], BATCH))

    assert benchmark(epoch) == bench_rows


def test_loader_epoch_pyarrow_iter_batches(benchmark, pair, synthetic_parquet, bench_rows):
    import pyarrow.parquet as pq

    pair(benchmark, OP, "pyarrow iter_batches (no shuffle)", "peer")

    def epoch():
        pf = pq.ParquetFile(synthetic_parquet)
        batches = ((np.column_stack([b.column(c).to_numpy(zero_copy_only=False) for c in FEATURES]).astype(np.float32),
                    b.column("y_bin").to_numpy()) for b in pf.iter_batches(batch_size=BATCH, columns=[*FEATURES, "y_bin"]))
        return _epoch(batches)

    assert benchmark(epoch) == bench_rows


MLP_OP = f"small MLP, one epoch, batch {BATCH}"


def _train_epoch(batches, torch, model, optimizer) -> int:
    loss_fn = torch.nn.BCEWithLogitsLoss()
    n = 0
    for X, y in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(torch.nan_to_num(X)).squeeze(1), y.float())
        loss.backward()
        optimizer.step()
        n += X.shape[0]
    return n


def _mlp(torch):
    torch.set_num_threads(1)  # a tiny model: a second intra-op thread only spins on 2 shared cores
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(len(FEATURES), 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    return model, torch.optim.SGD(model.parameters(), lr=0.01)


def test_mlp_epoch_tabprep(benchmark, pair, synthetic_parquet, bench_rows):
    torch = pytest.importorskip("torch")
    from tabprep.handoff import BatchLoader

    pair(benchmark, MLP_OP, "tabprep BatchLoader", "ours")
    loader = BatchLoader(synthetic_parquet, FEATURES, "y_bin", batch_size=BATCH, output="torch", seed=0)
    model, optimizer = _mlp(torch)
    assert benchmark(lambda: _train_epoch(loader, torch, model, optimizer)) == bench_rows


def test_mlp_epoch_preloaded_tensor(benchmark, pair, synthetic_df, bench_rows):
    torch = pytest.importorskip("torch")
    pair(benchmark, MLP_OP, "preloaded tensor", "peer")
    X = torch.from_numpy(synthetic_df.select(FEATURES).to_numpy().astype(np.float32))
    y = torch.from_numpy(synthetic_df["y_bin"].to_numpy().copy())
    model, optimizer = _mlp(torch)
    gen = torch.Generator().manual_seed(0)

    def epoch():
        perm = torch.randperm(X.shape[0], generator=gen)
        batches = ((X[perm[i:i + BATCH]], y[perm[i:i + BATCH]]) for i in range(0, X.shape[0], BATCH))
        return _train_epoch(batches, torch, model, optimizer)

    assert benchmark(epoch) == bench_rows


def test_loader_epoch_ray_data(benchmark, pair, synthetic_parquet, bench_rows):
    """Ray Data's own batches from the same file (a local cluster on this machine, bound to
    127.0.0.1; a local shuffle buffer of 1M rows like the loader's window)."""
    if bench_rows < 1_000_000:
        pytest.skip("Ray Data peer: measured at 1M rows and up (starting a cluster costs ~10 s)")
    ray = pytest.importorskip("ray")
    import os
    import warnings

    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    pair(benchmark, OP, "Ray Data iter_batches (local shuffle)", "peer")
    started = not ray.is_initialized()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Ray Data's own deprecated settings
        if started:
            ray.init(num_cpus=2, include_dashboard=False, object_store_memory=1 << 30,
                     _node_ip_address="127.0.0.1", log_to_driver=False)
        try:
            import ray.data

            ray.data.DataContext.get_current().enable_progress_bars = False
            ds = ray.data.read_parquet(str(synthetic_parquet)).select_columns([*FEATURES, "y_bin"])

            def epoch():
                n = 0
                for batch in ds.iter_batches(batch_size=BATCH, batch_format="numpy",
                                             local_shuffle_buffer_size=1 << 20, local_shuffle_seed=0):
                    X = np.column_stack([batch[c] for c in FEATURES]).astype(np.float32)
                    n += X.shape[0]
                return n

            assert benchmark.pedantic(epoch, rounds=3, iterations=1) == bench_rows
        finally:
            if started:
                ray.shutdown()
