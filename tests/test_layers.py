"""The house rules, enforced: every import of ours goes down a floor (or stays on it), none closes
a circle, and every module imports on its own in a fresh interpreter.

Floors (DESIGN.md, "Layers"), bottom up; a module may import its own floor and the ones below::

    1 errors, _version, _config, _dtypes, _constraints, _lazy   2 io   3 kernels, _native   4 _base
    5 split, sample   6 clean, scale, bin, encode   7 pipeline
    8 handoff, datasets (and the layers built on pipelines)   9 cli   10 the package itself

Every ``import`` statement counts, also the ones inside functions (a lazy import only moves the
cost, not the dependency).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "tabprep"

FLOORS = {
    "tabprep.errors": 1, "tabprep._version": 1, "tabprep._config": 1, "tabprep._dtypes": 1,
    "tabprep._constraints": 1, "tabprep._lazy": 1,
    "tabprep.io": 2,
    "tabprep._native": 3, "tabprep.kernels": 3,
    "tabprep._base": 4,
    "tabprep.split": 5, "tabprep.sample": 5,
    "tabprep.clean": 6, "tabprep.scale": 6, "tabprep.bin": 6, "tabprep.encode": 6,
    "tabprep.pipeline": 7,
    "tabprep.handoff": 8, "tabprep.datasets": 8, "tabprep.validate": 8, "tabprep.evaluate": 8,
    "tabprep.tune": 8, "tabprep.distributed": 8, "tabprep.features": 6,
    "tabprep.cli": 9,
    "tabprep": 10, "tabprep.__main__": 10,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def floor_of(module: str) -> int:
    """The floor of ``module``: that of its longest listed prefix."""
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        floor = FLOORS.get(".".join(parts[:i]))
        if floor is not None:
            return floor
    raise KeyError(module)


def _resolve(name: str) -> str:
    """The module an import of ``name`` runs: the longest prefix that is one of ours."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        candidate = ".".join(parts[:i])
        if candidate in MODULES:
            return candidate
    return name


#: Names of the module-level dicts whose values are modules imported on first use.
LAZY_TABLES = {"_MODULES", "BUILTIN_STEPS"}


def imports_of(module: str) -> list[tuple[str, int]]:
    """``[(imported module of ours, line)]`` for every import statement of ``module``."""
    path = MODULES[module]
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from pkg import sub` imports the submodule pkg.sub when there is one
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        elif (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
              and any(isinstance(t, ast.Name) and t.id in LAZY_TABLES for t in node.targets)):
            # a table of modules imported by name on first use (tabprep._lazy, the step registry)
            names = [v.value for v in node.value.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
        else:
            continue
        found.extend((_resolve(n), node.lineno) for n in names if n == "tabprep" or n.startswith("tabprep."))
    return found


def test_every_module_has_a_floor():
    assert [m for m in MODULES if not any(m == k or m.startswith(k + ".") for k in FLOORS)] == []


def test_no_import_goes_up_a_floor():
    upward = [f"{m}:{line} imports {dep} (floor {floor_of(m)} -> {floor_of(dep)})"
              for m in MODULES for dep, line in imports_of(m)
              if dep in MODULES and floor_of(dep) > floor_of(m)]
    assert upward == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan), each sorted."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_module_imports_close_a_circle():
    graph = {m: {dep for dep, _ in imports_of(m) if dep in MODULES and dep != m} for m in MODULES}
    assert _cycles(graph) == []


def test_no_package_imports_close_a_circle():
    """Between the packages of one floor too (``encode`` may use ``split``, not both ways)."""
    def package(m: str) -> str:
        return ".".join(m.split(".")[:2])

    graph: dict[str, set[str]] = {}
    for m in MODULES:
        graph.setdefault(package(m), set()).update(
            package(dep) for dep, _ in imports_of(m) if dep in MODULES and package(dep) != package(m))
    assert _cycles(graph) == []


def test_the_checker_sees_upward_function_local_and_circular_imports():
    assert floor_of("tabprep._base.step") == 4 and floor_of("tabprep.encode._target") == 6
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    deps = dict(imports_of("tabprep.pipeline._registry"))
    assert "tabprep.split._sklearn" in deps  # imported inside step_class(), still seen
    assert "tabprep.scale._scalers" in deps  # named in the table step_class imports from, still seen
    assert "tabprep.encode._woe" in dict(imports_of("tabprep.encode"))  # a lazy export, still seen


@pytest.mark.slow
def test_every_module_imports_alone_in_a_fresh_interpreter():
    """No module depends on another having been imported first (what hidden circles break)."""
    names = [m for m in MODULES if m != "tabprep.__main__"]
    procs = {}
    failures = []
    for i in range(0, len(names), 2):  # two at a time: the CI machine has two cores
        batch = names[i:i + 2]
        procs = {m: subprocess.Popen([sys.executable, "-c", f"import {m}"], stderr=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, text=True) for m in batch}
        for m, proc in procs.items():
            _, err = proc.communicate(timeout=120)
            if proc.returncode:
                failures.append(f"{m}: {err.strip().splitlines()[-1] if err.strip() else proc.returncode}")
    assert failures == []


def test_the_cli_uses_only_public_api_of_the_layers_below():
    """``tabprep.cli`` is a thin face: no private module of another package (its own helpers,
    the version string and the compiled-modules check of ``show-versions`` aside)."""
    allowed = ("tabprep.cli", "tabprep._version", "tabprep._native")
    private = [f"{m}:{line} imports {dep}" for m in MODULES if m.startswith("tabprep.cli")
               for dep, line in imports_of(m)
               if any(part.startswith("_") for part in dep.split(".")[1:]) and not dep.startswith(allowed)]
    assert private == []
