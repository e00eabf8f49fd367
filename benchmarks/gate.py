"""CI benchmark gate: fail a measured run whose speed ratios fall well below the stated goals.

Usage::

    python benchmarks/gate.py RUN.json [MORE.json ...] [--goals benchmarks/goals.toml] [--fraction 0.5] [--all]

Each ``RUN.json`` is a pytest-benchmark JSON file (``--benchmark-json``) whose cases are labelled
by ``pair(benchmark, op, impl, role)`` (see ``benchmarks/conftest.py``). For every goal of
``goals.toml`` marked ``gate = true`` (every goal with ``--all``) and every size the runs have
for its operation, the ratio ``peer median / ours median`` of each run (the statistic of
``benchmarks/report.py``; > 1: ours is faster) is taken, and the median of those ratios over the
runs that have both cases is compared with ``fraction x goal``.

Prints the table and exits 0 when every ratio reaches its threshold; exits 1 listing every ratio
below it, and every gated goal whose cases are in no run (a renamed case or implementation must
not pass the gate silently); exits 2 on unreadable input.

Why a fraction of the goal, and several runs: the CI machine is shared and small (two cores; a
neighbour's job slows our threaded kernels more than a single-threaded peer), and the gate runs
at 1M rows, where fixed costs weigh more than at the 10M rows the goals are stated at. The median
over a few runs minutes apart does not fail on one disturbed run; a ratio below half the goal
there is a regression, not noise.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

DEFAULT_GOALS = Path(__file__).resolve().parent / "goals.toml"
_GOAL_KEYS = {"op", "ours", "peer", "ratio", "gate", "note"}


@dataclass(frozen=True)
class Goal:
    """``peer median / ours median >= ratio`` for the cases of ``op``."""

    op: str
    ours: str
    peer: str
    ratio: float
    gate: bool
    note: str = ""


@dataclass(frozen=True)
class Check:
    """One goal at one size; ``measured`` (the median of ``ratios``, one per run that has both
    cases) is None when a case is missing."""

    goal: Goal
    rows: int | None
    measured: float | None
    threshold: float
    problem: str = ""
    ratios: tuple = ()

    @property
    def ok(self) -> bool:
        return self.measured is not None and self.measured >= self.threshold


def load_goals(path) -> list[Goal]:
    """The ``[[goal]]`` tables of ``path``, checked (unknown or missing keys are errors)."""
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    goals = []
    for i, entry in enumerate(data.get("goal", [])):
        unknown = set(entry) - _GOAL_KEYS
        missing = {"op", "ours", "peer", "ratio", "gate"} - set(entry)
        if unknown or missing:
            raise ValueError(f"{path}: goal {i + 1} ({entry.get('op', '?')!r}): "
                             f"unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
        ratio = float(entry["ratio"])
        if not ratio > 0:
            raise ValueError(f"{path}: goal {i + 1} ({entry['op']!r}): ratio must be > 0, got {ratio}")
        goals.append(Goal(str(entry["op"]), str(entry["ours"]), str(entry["peer"]), ratio,
                          bool(entry["gate"]), str(entry.get("note", ""))))
    if not goals:
        raise ValueError(f"{path}: no [[goal]] tables")
    return goals


def _medians(run: dict) -> dict:
    """``{(op, rows): {impl: median seconds}}`` of the labelled cases of a run."""
    out: dict = defaultdict(dict)
    for bench in run.get("benchmarks", []):
        info = bench.get("extra_info") or {}
        if "op" in info and "impl" in info:
            out[(info["op"], info.get("rows"))][info["impl"]] = float(bench["stats"]["median"])
    return out


def check(runs: list[dict], goals: list[Goal], *, fraction: float = 0.5, include_all: bool = False) -> list[Check]:
    """Every (goal, size) check of ``runs`` for the gated goals (all goals with ``include_all``)."""
    per_run = [_medians(run) for run in runs]
    checks = []
    for goal in goals:
        if not (goal.gate or include_all):
            continue
        threshold = fraction * goal.ratio
        sizes = sorted({rows for medians in per_run for op, rows in medians if op == goal.op},
                       key=lambda r: (r is None, r))
        if not sizes:
            if goal.gate:
                checks.append(Check(goal, None, None, threshold, "no case of this operation in the run"))
            continue
        for rows in sizes:
            ratios, found = [], set()
            for medians in per_run:
                cases = medians.get((goal.op, rows), {})
                found.update(cases)
                if goal.ours in cases and goal.peer in cases:
                    ours, peer = cases[goal.ours], cases[goal.peer]
                    ratios.append(peer / ours if ours > 0 else float("inf"))
            if not ratios:
                absent = [impl for impl in (goal.ours, goal.peer) if impl not in found]
                problem = (f"not in the run: {', '.join(map(repr, absent))} (found {sorted(found)})" if absent
                           else "never both in the same run")
                checks.append(Check(goal, rows, None, threshold, problem))
                continue
            checks.append(Check(goal, rows, statistics.median(ratios), threshold, ratios=tuple(ratios)))
    return checks


def _rows_label(rows) -> str:
    if rows is None:
        return "-"
    return f"{rows // 1_000_000}M" if rows % 1_000_000 == 0 else f"{rows // 1000}k" if rows % 1000 == 0 else str(rows)


def render(checks: list[Check], fraction: float) -> str:
    """The table: one line per check."""
    head = ("operation", "rows", "peer", "goal", f"needs (x{fraction:g})", "measured", "runs", "")
    rows = [head]
    for c in checks:
        measured = "missing" if c.measured is None else f"{c.measured:.2f}x"
        spread = (f"{len(c.ratios)}: {min(c.ratios):.2f}-{max(c.ratios):.2f}x" if len(c.ratios) > 1
                  else str(len(c.ratios)))
        rows.append((c.goal.op, _rows_label(c.rows), c.goal.peer, f"{c.goal.ratio:g}x", f"{c.threshold:.2f}x",
                     measured, spread, "ok" if c.ok else "BELOW" if c.measured is not None else "MISSING"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the gate; return the exit code (0 pass, 1 a ratio below its threshold, 2 bad input)."""
    parser = argparse.ArgumentParser(prog="benchmarks/gate.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", metavar="RUN.json", nargs="+",
                        help="pytest-benchmark JSON of a measured run (several: the median ratio over them)")
    parser.add_argument("--goals", default=str(DEFAULT_GOALS), help="goals file (default: benchmarks/goals.toml)")
    parser.add_argument("--fraction", type=float, default=0.5,
                        help="fail a ratio below fraction x goal (default 0.5)")
    parser.add_argument("--all", action="store_true", dest="include_all",
                        help="also check the goals not marked gate = true (for full-size runs)")
    args = parser.parse_args(argv)
    if not args.fraction > 0:
        parser.error(f"--fraction must be > 0, got {args.fraction}")
    try:
        goals = load_goals(args.goals)
        runs = []
        for path in args.runs:
            with open(path, encoding="utf-8") as fh:
                runs.append(json.load(fh))
    except (OSError, ValueError) as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        print(f"gate: error: {exc}", file=sys.stderr)
        return 2
    checks = check(runs, goals, fraction=args.fraction, include_all=args.include_all)
    sys.stdout.write(render(checks, args.fraction))
    failed = [c for c in checks if not c.ok]
    if not failed:
        print(f"gate: {len(checks)} median ratios over {len(runs)} run{'s' if len(runs) != 1 else ''} "
              f"at or above {args.fraction:g} x their goal")
        return 0
    print(f"gate: {len(failed)} of {len(checks)} checks failed:", file=sys.stderr)
    for c in failed:
        where = f"{c.goal.op} @ {_rows_label(c.rows)}: {c.goal.ours!r} vs {c.goal.peer!r}"
        if c.measured is None:
            print(f"  {where}: {c.problem}", file=sys.stderr)
        else:
            runs_text = (f"median of {', '.join(f'{r:.2f}' for r in c.ratios)}; " if len(c.ratios) > 1 else "")
            print(f"  {where}: {c.measured:.2f}x < {c.threshold:.2f}x ({runs_text}{args.fraction:g} x goal "
                  f"{c.goal.ratio:g}x)", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
