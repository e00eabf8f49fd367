"""``tabprep show-versions``: versions of tabprep, Python and the libraries, and the compiled modules.

Paste its output into bug reports. Library versions come from the installed package metadata
(nothing is imported); the compiled modules are imported one by one to check that they load.
"""

from __future__ import annotations

import argparse

NAME = "show-versions"

# (label, distribution name)
_PACKAGES = (
    ("polars", "polars"),
    ("pyarrow", "pyarrow"),
    ("numpy", "numpy"),
    ("numba", "numba"),
    ("scikit-learn", "scikit-learn"),
    ("cython", "Cython"),
)


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        NAME,
        help="show versions of tabprep, Python, the libraries and the compiled modules",
        description="Print versions of tabprep, Python and its libraries, and which compiled modules "
        "(tabprep._native) import; include this in bug reports.",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def _dist_version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def native_modules() -> list[tuple[str, str | None]]:
    """``[(module name, None if it imports else the error), ...]`` for ``tabprep._native``."""
    import importlib
    import pkgutil

    import tabprep._native as native

    out = []
    for info in sorted(pkgutil.iter_modules(native.__path__), key=lambda m: m.name):
        if info.name.startswith("_") and not info.ispkg and info.name == "__init__":
            continue
        try:
            importlib.import_module(f"tabprep._native.{info.name}")
        except Exception as exc:  # a broken build is exactly what this command must report
            out.append((info.name, f"{type(exc).__name__}: {exc}".splitlines()[0]))
        else:
            out.append((info.name, None))
    return out


def collect() -> dict:
    """The report as a dict (stable key order)."""
    import platform
    import sys

    from tabprep._version import __version__

    versions = {"tabprep": __version__}
    versions["python"] = f"{platform.python_version()} ({platform.python_implementation()}, {sys.executable})"
    versions["platform"] = platform.platform()
    for label, dist in _PACKAGES:
        versions[label] = _dist_version(dist)
    # The Cython that compiled the extensions is not recorded in them; the installed one usually is it.
    if versions["cython"] != "not installed":
        versions["cython"] += " (installed; build-time version not recorded)"
    modules = native_modules()
    return {
        "versions": versions,
        "native_modules": {name: ("ok" if err is None else f"failed: {err}") for name, err in modules},
    }


def run(args: argparse.Namespace) -> int:
    import json

    report = collect()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    versions = report["versions"]
    width = max(len(k) for k in versions)
    for key, value in versions.items():
        print(f"{key:<{width}}  {value}")
    modules = report["native_modules"]
    print()
    print(f"compiled modules (tabprep._native): {len(modules)}")
    if not modules:
        print("  (none built: run `python setup.py build_ext --inplace`)")
    for name, status in modules.items():
        print(f"  {name:<{width}}  {status}")
    return 0
