"""`tabprep bench` in-process on a small table: the report's structure, --json, --compare, exit codes
(no assertion on any time)."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from tabprep.cli import main

SPEC = """
target = "y"

[[steps]]
name = "impute"
type = "SimpleImputer"
columns = ["a", "b"]
params = { strategy = "median" }

[[steps]]
name = "scale"
type = "StandardScaler"
columns = ["a", "b"]

[[steps]]
name = "te"
type = "TargetEncoder"
columns = ["s"]
params = { cv = 3 }

[[steps]]
name = "scale_te"
type = "StandardScaler"
columns = ["s"]
"""

ROWS = 400
PARTS = ["read", "fit", "fit phase 1: impute, scale, te", "fit phase 2: scale_te", "lineage", "transform",
         "transform step: impute", "transform step: scale", "transform step: te", "transform step: scale_te"]


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    df = pl.DataFrame({
        "a": pl.Series(rng.normal(size=ROWS)).scatter([0, 5], None),
        "b": rng.integers(0, 9, ROWS).astype(np.float64),
        "s": rng.choice(["u", "v", "w"], ROWS),
        "id": np.arange(ROWS),
        "y": rng.integers(0, 2, ROWS),
    })
    data = tmp_path / "train.parquet"
    df.write_parquet(data)
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    return tmp_path, spec, data


def _bench_json(capsys, *argv) -> dict:
    assert main(["bench", *map(str, argv), "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return json.loads(out)


def test_json_is_pytest_benchmark_format_with_every_phase_and_step(files, capsys):
    _, spec, data = files
    doc = _bench_json(capsys, spec, data, "--rounds", "2")
    assert set(doc) >= {"benchmarks", "machine_info", "datetime", "version"}
    assert doc["machine_info"]["cpu"]["count"] >= 1 and doc["machine_info"]["python_version"]
    assert [b["name"] for b in doc["benchmarks"]] == PARTS
    assert doc["tabprep_bench"]["fit_phases"] == [["impute", "scale", "te"], ["scale_te"]]
    for b in doc["benchmarks"]:
        stats = b["stats"]
        assert stats["rounds"] == 2 and len(stats["data"]) == 2
        assert 0 <= stats["min"] <= stats["median"] <= stats["max"] and stats["min"] <= stats["mean"] <= stats["max"]
        info = b["extra_info"]
        assert info["rows"] == ROWS and info["rows_per_s"] > 0
        assert info["peak_rss_scope"] in ("part", "process") and info["peak_rss_mb"] > 0
        assert b["group"] == b["name"].split()[0] or (b["name"] == "lineage" and b["group"] == "fit")
    by_name = {b["name"]: b["extra_info"] for b in doc["benchmarks"]}
    assert by_name["fit phase 1: impute, scale, te"]["steps"] == ["impute", "scale", "te"]
    te = by_name["transform step: te"]
    assert (te["step"], te["type"], te["columns"]) == ("te", "TargetEncoder", ["s"])
    # two phases: each timed on its own, not a copy of the fit
    assert "same_as" not in by_name["fit phase 1: impute, scale, te"]


def test_one_phase_is_the_fit_itself(files, capsys):
    tmp, _, data = files
    spec = tmp / "one.toml"
    spec.write_text(SPEC.split("[[steps]]\nname = \"scale_te\"")[0])
    doc = _bench_json(capsys, spec, data, "--rounds", "1")
    parts = {b["name"]: b for b in doc["benchmarks"]}
    phase = parts["fit phase 1: impute, scale, te"]
    assert phase["extra_info"]["same_as"] == "fit" and phase["stats"]["data"] == parts["fit"]["stats"]["data"]
    assert "fit phase 2: scale_te" not in parts and "transform step: scale_te" not in parts


def test_text_report(files, capsys):
    _, spec, data = files
    assert main(["bench", str(spec), str(data), "--rounds", "1"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0].startswith(f"tabprep bench: {spec} on {data} ({ROWS:,} rows, 1 round; median")
    for part in PARTS:
        assert any(line.strip().startswith(part) and "rows/s" in line for line in lines), part
    assert lines[-1].startswith("peak RSS: ")


def test_compare_with_a_doctored_baseline(files, capsys, tmp_path):
    _, spec, data = files
    doc = _bench_json(capsys, spec, data, "--rounds", "1")
    # a baseline where every part was 1000x faster except `fit`, and one part the run no longer has
    for b in doc["benchmarks"]:
        if b["name"] != "fit":
            b["stats"]["median"] /= 1000
    doc["benchmarks"].append({"name": "transform step: gone", "stats": {"median": 1.0}, "extra_info": {"rows": ROWS}})
    doc["benchmarks"] = [b for b in doc["benchmarks"] if b["name"] != "lineage"]
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(doc))

    assert main(["bench", str(spec), str(data), "--rounds", "1", "--compare", str(baseline)]) == 1
    out, err = capsys.readouterr()
    slower = {p for p in PARTS if f"  SLOWER  {p}: " in out}
    # fit may or may not be 1.2x slower than itself on a busy machine; the others are 1000x
    assert slower - {"fit"} == set(PARTS) - {"fit", "lineage"}
    assert "  new     lineage (not in the baseline)" in out
    assert "  gone    transform step: gone (only in the baseline)" in out
    assert err.count("\n") == 1 and err.startswith("tabprep: error: ")
    assert f"slower than 1.2x the baseline median of {baseline}: 'read' " in err
    assert "'transform step: te' " in err

    # --json: the JSON still goes to stdout, with each ratio; the verdict to stderr
    assert main(["bench", str(spec), str(data), "--rounds", "1", "--compare", str(baseline), "--json"]) == 1
    out, err = capsys.readouterr()
    parts = {b["name"]: b["extra_info"] for b in json.loads(out)["benchmarks"]}
    assert parts["transform"]["slowdown"] > 1.2 and parts["transform"]["baseline_median"] > 0
    assert "slowdown" not in parts["lineage"]
    assert err.startswith("tabprep: error: ")


def test_compare_passes_within_the_allowed_slowdown(files, capsys, tmp_path):
    _, spec, data = files
    doc = _bench_json(capsys, spec, data, "--rounds", "1")
    for b in doc["benchmarks"]:
        b["stats"]["median"] *= 1000  # the baseline was much slower: nothing is slower now
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(doc))
    assert main(["bench", str(spec), str(data), "--rounds", "1", "--compare", str(baseline),
                 "--max-slowdown", "1.5"]) == 0
    out, err = capsys.readouterr()
    assert "compared with" in out and "fails above 1.5x" in out and "  no part slower" in out and err == ""


def test_compare_warns_when_the_baseline_had_other_rows(files, capsys, tmp_path):
    _, spec, data = files
    doc = _bench_json(capsys, spec, data, "--rounds", "1")
    for b in doc["benchmarks"]:
        b["stats"]["median"] *= 1000
        b["extra_info"]["rows"] = 10 * ROWS
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(doc))
    assert main(["bench", str(spec), str(data), "--rounds", "1", "--compare", str(baseline)]) == 0
    err = capsys.readouterr().err
    assert err == f"tabprep: warning: the baseline was measured on {10 * ROWS:,} rows, this run on {ROWS:,}: " \
                  "the times are not comparable\n"


@pytest.mark.parametrize(("argv", "message"), [
    (["--max-slowdown", "1.5"], "--max-slowdown needs --compare"),
    (["--compare", "{baseline}", "--max-slowdown", "0"], "--max-slowdown must be > 0"),
    (["--compare", "{absent}"], "cannot read the baseline"),
    (["--compare", "{not_benchmark}"], "the baseline is not a pytest-benchmark JSON file"),
])
def test_bad_options_are_usage_errors(files, capsys, tmp_path, argv, message):
    _, spec, data = files
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"benchmarks": []}))
    not_benchmark = tmp_path / "other.json"
    not_benchmark.write_text(json.dumps({"rows": 3}))
    argv = [a.format(baseline=baseline, absent=tmp_path / "absent.json", not_benchmark=not_benchmark) for a in argv]
    assert main(["bench", str(spec), str(data), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tabprep: error: ") and message in err and err.count("\n") == 1


def test_data_errors_keep_their_exit_codes(files, capsys):
    _, spec, data = files
    assert main(["bench", str(spec), str(data), "--target", "nope", "--rounds", "1"]) == 3
    assert "column 'nope'" in capsys.readouterr().err
    assert main(["bench", str(spec), str(data), "--rounds", "0"]) == 2
    capsys.readouterr()


def test_read_options_apply_to_every_part(files, capsys, tmp_path):
    _, spec, data = files
    csv = tmp_path / "train.csv"
    pl.read_parquet(data).with_columns(pl.col("b").cast(pl.Int64)).write_csv(csv)
    doc = _bench_json(capsys, spec, csv, "--rounds", "1", "--schema-overrides", "b=Float64")
    assert [b["name"] for b in doc["benchmarks"]] == PARTS
    assert all(b["extra_info"]["rows"] == ROWS for b in doc["benchmarks"])
