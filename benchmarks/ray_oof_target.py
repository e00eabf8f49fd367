"""Out-of-fold target encoding of a Ray Dataset: per-block cells (no gathering) against the
gathered fit and the local path, and what reaches the driver.

    PYTHONPATH=src python benchmarks/ray_oof_target.py [rows] [rounds]

Data: ``rows`` rows (default 1,000,000) of a 10,000-category string column, a 20-category one,
a 0/1 target and a fold column (5 folds), in 4 Ray blocks on a local 2-CPU cluster (127.0.0.1).
Cases, interleaved ``rounds`` times (default 3), medians printed:

- ``ray cells``: ``Pipeline([TargetEncoder(cv="fold")]).fit_transform(ds, target="y")``, the
  output pulled to the driver (``iter_batches``);
- ``ray gathered``: ``TargetEncoder(cv=5).fit(ds)`` (its folds need every row: columns gathered
  to the driver; ``fit_transform`` of such an encoder is refused on Ray);
- ``local``: the same ``fit_transform`` of the in-memory Polars frame.

Bytes to the driver: the pickled per-block cells against the Arrow size of the gathered
columns (input columns + target + fold column), computed from the same blocks.
"""

from __future__ import annotations

import os
import pickle
import sys
import time
import warnings

import numpy as np
import polars as pl

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


def main(rows: int = 1_000_000, rounds: int = 3) -> None:
    import ray
    import ray.data

    from tabprep import Pipeline
    from tabprep.encode import TargetEncoder
    from tabprep.encode._cellfit import CellFit

    rng = np.random.default_rng(0)
    df = pl.DataFrame({
        "hi": pl.Series(rng.integers(0, 10_000, rows)).cast(pl.String),
        "lo": pl.Series(rng.integers(0, 20, rows)).cast(pl.String),
        "fold": rng.integers(0, 5, rows).astype(np.int8),
        "y": (rng.random(rows) < 0.3).astype(np.int8),
    })
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=1 << 30, _node_ip_address="127.0.0.1",
             log_to_driver=False, configure_logging=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ray.data.DataContext.get_current().enable_progress_bars = False
    ds = ray.data.from_arrow(df.to_arrow()).repartition(4).materialize()
    cells = Pipeline([("te", TargetEncoder(cv="fold"), ["hi", "lo"])])
    gathered = Pipeline([("te", TargetEncoder(cv=5), ["hi", "lo"])])

    def ray_cells():
        _, out = cells.fit_transform(ds, target="y")
        return sum(b.num_rows for b in out.iter_batches(batch_size=None, batch_format="pyarrow"))

    def ray_gathered():
        return gathered.fit(ds, target="y")

    def local():
        return cells.fit_transform(df, target="y")[1].height

    cases = {"ray cells (fit_transform)": ray_cells, "ray gathered (fit only)": ray_gathered,
             "local (fit_transform)": local}
    times = {name: [] for name in cases}
    for name, fn in cases.items():  # warm-up: worker imports, first compilation of nothing
        fn()
    for _ in range(rounds):
        for name, fn in cases.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    print(f"rows {rows:,}, load {os.getloadavg()[0]:.1f}")
    for name, ts in times.items():
        print(f"  {name}: median {np.median(ts):.2f} s  [{min(ts):.2f}-{max(ts):.2f}]")
    fit = CellFit(TargetEncoder(cv="fold"), ["hi", "lo"], "y", None, df.schema)
    blocks = [df.slice(i * (rows // 4), rows // 4) for i in range(4)]
    cell_bytes = sum(len(pickle.dumps(fit.partial(b), protocol=5)) for b in blocks)
    gathered_bytes = df.select("hi", "lo", "y", "fold").to_arrow().nbytes
    print(f"  to the driver: cells {cell_bytes / 1e6:.2f} MB, gathered columns {gathered_bytes / 1e6:.2f} MB")
    ray.shutdown()


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
