"""Issue 10's job in one process, per phase: wall, CPU (user + sys), minor faults, peak RSS.

Usage::

    python benchmarks/pipeline_phases.py [--rows 10000000]

The job of ``benchmarks/pipeline_table.py`` (``fit_transform(tabprep.scan(path))`` then
``to_numpy`` of a float32 C matrix), imports done before the clock, with ``getrusage`` around
each phase: ``fit`` (``fit_transform``) and ``to_numpy``. A minor fault is a first touch of a
page (fresh memory: the matrix's mapping counts one per page); on the shared benchmark VM the
system time is mostly those. Compare two checkouts by alternating fresh processes
(``PYTHONPATH=<checkout>/src``) in the same minutes and reading the medians.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _usage():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), r.ru_utime, r.ru_stime, r.ru_minflt


def _line(name, a, b) -> str:
    return (f"{name:9s} wall {b[0] - a[0]:.3f} s  user {b[1] - a[1]:.3f} s  sys {b[2] - a[2]:.3f} s  "
            f"minor faults {b[3] - a[3]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    import numpy as np
    from pipeline_table import data_path
    from test_bench_pipeline import tabprep_pipeline

    import tabprep
    import tabprep.bin
    import tabprep.clean
    import tabprep.encode
    import tabprep.handoff
    import tabprep.pipeline
    import tabprep.scale
    from tabprep.handoff import to_numpy

    path = data_path(args.rows)
    t0 = _usage()
    fitted, out = tabprep_pipeline().fit_transform(tabprep.scan(path), target="y_bin", lineage=False)
    t1 = _usage()
    X = to_numpy(out, fitted.feature_columns, dtype=np.float32)
    t2 = _usage()
    assert X.shape == (args.rows, len(fitted.feature_columns)) and X.dtype == np.float32
    print(_line("fit", t0, t1))
    print(_line("to_numpy", t1, t2))
    print(_line("total", t0, t2))
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB "
          f"(matrix {X.nbytes / 1e9:.2f} GB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
