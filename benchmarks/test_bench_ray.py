"""Fit + transform on a local Ray cluster (2 CPUs, 127.0.0.1): StandardScaler on the five ``num_*``
columns and OneHotEncoder on ``cat_lo``, reading the same Parquet file.

- ours: ``Pipeline([StandardScaler, OneHotEncoder]).fit(ds).transform(ds)`` on a
  ``ray.data.read_parquet`` Dataset (one distributed statistics pass, one transform pass), the
  output pulled to the driver batch by batch;
- peer 1: Ray Data's own ``ray.data.preprocessors.StandardScaler`` + ``OneHotEncoder``
  (``Chain(...).fit_transform(ds)``), output pulled the same way (goal: ours faster);
- peer 2: the same tabprep pipeline on the local Polars path (``fit(path).transform(path)``,
  collected): the overhead of Ray on one machine, reported as is.

Every case checks its scaled columns against the local fit's numbers. Ray is an optional extra:
the module is skipped without it. The cluster is started once for the module (or reused if the
session has one) and is not part of any timing.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import polars as pl
import pytest

# Ray reads RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER when first imported (without it=0 it listens on every
# interface): set before the import
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
ray = pytest.importorskip("ray")

NUM = [f"num_{i}" for i in range(5)]
CAT = "cat_lo"
OP = "ray fit+transform: standard_scale (5 cols) + one_hot (cat_lo)"


@pytest.fixture(scope="module")
def cluster():
    import ray.data as ray_data

    owner = not ray.is_initialized()
    if owner:
        ray.init(num_cpus=2, include_dashboard=False, object_store_memory=1 << 30, _node_ip_address="127.0.0.1",
                 log_to_driver=False, configure_logging=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ray_data.DataContext.get_current().enable_progress_bars = False
    yield ray_data
    if owner:
        ray.shutdown()


def _pipeline():
    from tabprep import Pipeline
    from tabprep.encode import OneHotEncoder
    from tabprep.scale import StandardScaler

    # uint8 one-hot columns: the bytes of Ray's OneHotEncoder output (a fixed_size_list<uint8>)
    return Pipeline([("scale", StandardScaler(), NUM),
                     ("onehot", OneHotEncoder(sparse_output=False, dtype=np.uint8), [CAT])])


def _dataset(cluster, path):
    ds = cluster.read_parquet(str(path))
    ds.context.execution_options.preserve_order = True  # the order ours keeps (else rows come out of order)
    return ds


@pytest.fixture(scope="module")
def reference(cluster, synthetic_parquet) -> np.ndarray:
    """The local fit's scaled columns, in the row order Ray reads the file in. (Ray 2.60's
    ``read_parquet`` of the 10M-row file yields its row groups in another order than the file's,
    the same on every run, even with ``preserve_order``: the outputs keep the Dataset's order.)"""
    rows = _pull(_dataset(cluster, synthetic_parquet))
    return _pipeline().fit(str(synthetic_parquet), lineage=False).transform(rows).select(NUM).to_numpy()


def _pull(ds) -> pl.DataFrame:
    """Every batch of ``ds`` on the driver, in order (what a local collect gives)."""
    return pl.concat([pl.from_arrow(b) for b in ds.iter_batches(batch_size=None, batch_format="pyarrow")])


def test_ray_tabprep(benchmark, pair, synthetic_parquet, cluster, reference):
    pair(benchmark, OP, "tabprep on Ray Data", "ours")
    pipe = _pipeline()
    ds = _dataset(cluster, synthetic_parquet)
    out = benchmark.pedantic(lambda: _pull(pipe.fit(ds, lineage=False).transform(ds)), rounds=3, iterations=1)
    np.testing.assert_allclose(out.select(NUM).to_numpy(), reference, rtol=1e-9, atol=1e-12)


def test_ray_preprocessors(benchmark, pair, synthetic_parquet, cluster, reference):
    from ray.data.preprocessors import Chain, OneHotEncoder, StandardScaler

    pair(benchmark, OP, "ray.data.preprocessors StandardScaler+OneHotEncoder", "peer")
    ds = _dataset(cluster, synthetic_parquet)

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Ray's own deprecation notices on fit
            chain = Chain(StandardScaler(columns=NUM), OneHotEncoder(columns=[CAT]))
            return _pull(chain.fit_transform(ds))

    out = benchmark.pedantic(run, rounds=3, iterations=1)
    # Ray's scaler uses the population std (ddof=0) as scikit-learn does: the same numbers
    np.testing.assert_allclose(out.select(NUM).to_numpy(), reference, rtol=1e-9, atol=1e-9)


def test_local_polars_path(benchmark, pair, synthetic_parquet):
    pair(benchmark, OP, "tabprep local (Polars, one process)", "peer")
    pipe = _pipeline()
    path = str(synthetic_parquet)
    out = benchmark.pedantic(lambda: pipe.fit(path, lineage=False).transform(path).collect(), rounds=3, iterations=1)
    assert out.height > 0 and set(NUM) <= set(out.columns)
