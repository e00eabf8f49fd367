"""benchmarks/gate.py: ratios of medians against goals.toml, on small hand-made runs (no timing)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GATE = ROOT / "benchmarks" / "gate.py"
GOALS = ROOT / "benchmarks" / "goals.toml"


def _load_gate():
    spec = importlib.util.spec_from_file_location("benchmark_gate", GATE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


gate = _load_gate()

GOALS_TOML = """
[[goal]]
op = "impute"
ours = "tabprep"
peer = "sklearn"
ratio = 10.0
gate = true

[[goal]]
op = "bins"
ours = "tabprep"
peer = "numpy"
ratio = 4.0
gate = true

[[goal]]
op = "slow at 1M"
ours = "tabprep"
peer = "sklearn"
ratio = 40.0
gate = false
"""


def _case(op, impl, role, median, rows=1_000_000):
    return {"name": f"test_{impl}", "group": f"{op} @ 1M",
            "stats": {"median": median, "min": median, "max": median, "mean": median, "rounds": 3},
            "extra_info": {"op": op, "impl": impl, "role": role, "rows": rows}}


def _run(*cases):
    return {"benchmarks": list(cases), "machine_info": {}, "datetime": "2026-01-01T00:00:00", "version": "5.1.0"}


@pytest.fixture
def files(tmp_path):
    goals = tmp_path / "goals.toml"
    goals.write_text(GOALS_TOML)

    def write(run, name="run.json") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(run))
        return path

    return goals, write


def test_passes_at_or_above_the_fraction_and_prints_the_table(files, capsys):
    goals, write = files
    run = write(_run(_case("impute", "tabprep", "ours", 0.1), _case("impute", "sklearn", "peer", 0.5),  # 5x = 0.5 x 10
                     _case("bins", "tabprep", "ours", 0.1), _case("bins", "numpy", "peer", 0.3),
                     _case("slow at 1M", "tabprep", "ours", 1.0), _case("slow at 1M", "sklearn", "peer", 1.0)))
    assert gate.main([str(run), "--goals", str(goals)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["operation", "rows", "peer"]
    assert any(line.startswith("impute") and "5.00x" in line and line.endswith("ok") for line in lines)
    assert any(line.startswith("bins") and "3.00x" in line and line.endswith("ok") for line in lines)
    assert not any(line.startswith("slow at 1M") for line in lines)  # not gated
    assert lines[-1] == "gate: 2 median ratios over 1 run at or above 0.5 x their goal"


def test_fails_listing_every_ratio_below_the_threshold(files, capsys):
    goals, write = files
    run = write(_run(_case("impute", "tabprep", "ours", 0.1), _case("impute", "sklearn", "peer", 0.49),
                     _case("bins", "tabprep", "ours", 0.1), _case("bins", "numpy", "peer", 0.1),
                     _case("bins", "tabprep", "ours", 1.0, rows=10_000_000),
                     _case("bins", "numpy", "peer", 5.0, rows=10_000_000)))
    assert gate.main([str(run), "--goals", str(goals)]) == 1
    out, err = capsys.readouterr()
    assert "BELOW" in out
    assert err.splitlines() == [
        "gate: 2 of 3 checks failed:",
        "  impute @ 1M: 'tabprep' vs 'sklearn': 4.90x < 5.00x (0.5 x goal 10x)",
        "  bins @ 1M: 'tabprep' vs 'numpy': 1.00x < 2.00x (0.5 x goal 4x)",
    ]
    # every size of the run is checked: bins at 10M (5x) passes
    assert any(line.startswith("bins") and " 10M " in line and line.endswith("ok") for line in out.splitlines())
    # a stricter or looser fraction moves the threshold
    assert gate.main([str(run), "--goals", str(goals), "--fraction", "0.2"]) == 0
    capsys.readouterr()


def test_a_gated_goal_missing_from_the_run_fails(files, capsys):
    goals, write = files
    # "bins" absent altogether; "impute" without its peer (a renamed implementation)
    run = write(_run(_case("impute", "tabprep", "ours", 0.1), _case("impute", "sklearn (renamed)", "peer", 5.0)))
    assert gate.main([str(run), "--goals", str(goals)]) == 1
    out, err = capsys.readouterr()
    assert "MISSING" in out
    assert "impute @ 1M: 'tabprep' vs 'sklearn': not in the run: 'sklearn' (found ['sklearn (renamed)', 'tabprep'])" in err
    assert "bins @ -: 'tabprep' vs 'numpy': no case of this operation in the run" in err


def test_several_runs_are_judged_by_their_median_ratio(files, capsys):
    goals, write = files

    def run(impute_peer, bins_peer=None):
        cases = [_case("impute", "tabprep", "ours", 0.1), _case("impute", "sklearn", "peer", impute_peer)]
        if bins_peer is not None:
            cases += [_case("bins", "tabprep", "ours", 0.1), _case("bins", "numpy", "peer", bins_peer)]
        return write(_run(*cases), name=f"run{impute_peer}.json")

    # one disturbed run (impute 3x) does not fail the gate; bins is only in two of the runs
    runs = [run(3.0 / 10, 0.1), run(0.6, 0.4), run(0.7)]
    assert gate.main([*map(str, runs), "--goals", str(goals)]) == 0
    out = capsys.readouterr().out
    assert any(line.startswith("impute") and "6.00x" in line and "3: 3.00-7.00x" in line for line in out.splitlines())
    assert any(line.startswith("bins") and "2.50x" in line and "2: 1.00-4.00x" in line for line in out.splitlines())
    assert out.splitlines()[-1] == "gate: 2 median ratios over 3 runs at or above 0.5 x their goal"
    # two slow runs out of three do
    runs = [run(0.3, 0.3), run(0.4), run(0.9)]
    assert gate.main([*map(str, runs), "--goals", str(goals)]) == 1
    err = capsys.readouterr().err
    assert "impute @ 1M: 'tabprep' vs 'sklearn': 4.00x < 5.00x (median of 3.00, 4.00, 9.00; 0.5 x goal 10x)" in err


def test_all_adds_the_goals_left_out_of_the_gate(files, capsys):
    goals, write = files
    run = write(_run(_case("impute", "tabprep", "ours", 0.1), _case("impute", "sklearn", "peer", 1.0),
                     _case("bins", "tabprep", "ours", 0.1), _case("bins", "numpy", "peer", 0.4),
                     _case("slow at 1M", "tabprep", "ours", 0.1), _case("slow at 1M", "sklearn", "peer", 1.0)))
    assert gate.main([str(run), "--goals", str(goals)]) == 0
    capsys.readouterr()
    assert gate.main([str(run), "--goals", str(goals), "--all", "--fraction", "1"]) == 1
    err = capsys.readouterr().err
    assert "slow at 1M @ 1M: 'tabprep' vs 'sklearn': 10.00x < 40.00x (1 x goal 40x)" in err


@pytest.mark.parametrize(("goals_text", "message"), [
    ('[[goal]]\nop = "a"\nours = "x"\npeer = "y"\nratio = 2.0\n', "missing keys ['gate']"),
    ('[[goal]]\nop = "a"\nours = "x"\npeer = "y"\nratio = 2.0\ngate = true\nrows = 5\n', "unknown keys ['rows']"),
    ('[[goal]]\nop = "a"\nours = "x"\npeer = "y"\nratio = 0\ngate = true\n', "ratio must be > 0"),
    ("", "no [[goal]] tables"),
    ("[[goal]\n", "Expected"),  # not TOML
])
def test_bad_goals_are_exit_2(tmp_path, capsys, goals_text, message):
    goals = tmp_path / "goals.toml"
    goals.write_text(goals_text)
    run = tmp_path / "run.json"
    run.write_text(json.dumps(_run()))
    assert gate.main([str(run), "--goals", str(goals)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gate: error: ") and message in err


def test_unreadable_run_is_exit_2(tmp_path, capsys):
    bad = tmp_path / "run.json"
    bad.write_text("{not json")
    assert gate.main([str(bad)]) == 2
    assert gate.main([str(tmp_path / "absent.json")]) == 2
    capsys.readouterr()


def test_the_repository_goals_name_real_cases():
    """Every goal of benchmarks/goals.toml parses and names implementations a benchmark labels."""
    goals = gate.load_goals(GOALS)
    assert any(g.gate for g in goals)
    sources = "\n".join(p.read_text() for p in (ROOT / "benchmarks").glob("test_bench_*.py"))
    for goal in goals:
        for impl in (goal.ours, goal.peer):
            assert json.dumps(impl) in sources or repr(impl) in sources, f"{goal.op}: no case labelled {impl!r}"
    assert tomllib.loads(GOALS.read_text())["goal"]  # plain TOML, readable without the gate


def test_command_line(files):
    goals, write = files
    run = write(_run(_case("impute", "tabprep", "ours", 0.1), _case("impute", "sklearn", "peer", 0.1)))
    done = subprocess.run([sys.executable, str(GATE), str(run), "--goals", str(goals)], capture_output=True, text=True)
    assert done.returncode == 1 and "BELOW" in done.stdout and "impute @ 1M" in done.stderr
