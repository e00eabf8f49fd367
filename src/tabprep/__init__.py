"""tabprep: fast, trustworthy data preparation for machine-learning training.

The top level imports nothing heavy: Polars, NumPy and the compiled kernels load on first use of
the attribute that needs them, so ``import tabprep`` and ``tabprep --help`` stay fast.
"""

from __future__ import annotations

import importlib

import tabprep.distributed  # noqa: F401 - registers the Ray Dataset backend (imports neither Ray nor Polars)
from tabprep._version import __version__

# public name -> module that defines it (loaded lazily by __getattr__)
_LAZY = {
    "errors": "tabprep.errors",
    "io": "tabprep.io",
    "kernels": "tabprep.kernels",
    "datasets": "tabprep.datasets",
    "scan": "tabprep.io",
    "write": "tabprep.io",
    "Pipeline": "tabprep.pipeline",
    "FittedPipeline": "tabprep.pipeline",
    "load": "tabprep.pipeline",
    "set_threads": "tabprep._config",
    "get_threads": "tabprep._config",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    try:
        module_name = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'tabprep' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if module_name == f"tabprep.{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
