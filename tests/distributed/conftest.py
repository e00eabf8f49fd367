"""One local Ray cluster per test session: 2 CPUs, bound to 127.0.0.1, no dashboard."""

from __future__ import annotations

import os
import warnings

import pytest


@pytest.fixture(scope="session")
def ray_cluster():
    # Without RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, Ray listens on every interface and advertises a
    # non-loopback address. Ray reads it when `ray` is first imported: set before the import.
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray = pytest.importorskip("ray")  # the extra tabprep[ray]: the tests skip without it
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=1 << 30, _node_ip_address="127.0.0.1",
             log_to_driver=False, configure_logging=False)
    import ray.data as ray_data

    with warnings.catch_warnings():  # Ray 2.60 warns of its own deprecated defaults when it makes the context
        warnings.simplefilter("ignore", DeprecationWarning)
        ray_data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()
