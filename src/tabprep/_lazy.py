"""Lazy exports of a package (PEP 562): a name is imported from its module on first use.

The step packages use it so that a pipeline naming three steps imports three step modules, not
twenty (the CLI's start-up time, issue 10). ``from tabprep.encode import TargetEncoder``,
``tabprep.encode.TargetEncoder``, ``dir()`` and ``__all__`` behave as with eager imports.
"""

from __future__ import annotations

import importlib

__all__ = ["lazy_exports"]


def lazy_exports(package: str, namespace: dict, table: dict[str, str]):
    """``(__getattr__, __dir__)`` for ``package`` whose names ``table`` maps to their modules.

    Examples
    --------
    >>> getattr_, dir_ = lazy_exports("pkg", {}, {"sqrt": "math"})
    >>> getattr_("sqrt")(4.0)
    2.0
    >>> getattr_("nope")
    Traceback (most recent call last):
    ...
    AttributeError: module 'pkg' has no attribute 'nope'
    """

    def __getattr__(name: str):
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(table))

    return __getattr__, __dir__
