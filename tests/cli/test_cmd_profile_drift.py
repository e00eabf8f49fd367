"""`tabprep profile` and `tabprep drift` as real processes: outputs, saved profiles, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from oracles.drift import DRIFTED, injected_pair
from tabprep.validate import load_profile


def tabprep(*args):
    return subprocess.run([sys.executable, "-m", "tabprep", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("drift")
    ref, cur = injected_pair(5000)
    ref.write_parquet(tmp / "ref.parquet")
    cur.write_parquet(tmp / "cur.parquet")
    return tmp


def test_profile_prints_saves_and_writes_html(files):
    proc = tabprep("profile", files / "ref.parquet", "--save", files / "prof", "-o", files / "prof.html")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == f"{files / 'ref.parquet'}: 5,000 rows, 9 columns"
    assert load_profile(files / "prof").n_rows == 5000
    html = (files / "prof.html").read_text()
    assert html.count('<figure class="plot') == 1 + 9  # overview + one per column
    proc = tabprep("profile", files / "ref.parquet", "--json")
    out = json.loads(proc.stdout)
    assert out["format"] == "tabprep.profile" and [c["name"] for c in out["columns"]][:2] == ["mean_shift", "var_change"]


def test_drift_exit_codes_and_outputs(files):
    assert tabprep("profile", files / "ref.parquet", "--save", files / "p").returncode == 0
    proc = tabprep("drift", files / "p", files / "cur.parquet", "--json", "-o", files / "drift.html")
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["drifted_features"] == DRIFTED
    html = (files / "drift.html").read_text()
    assert html.count('class="plot drifted"') == len(DRIFTED)
    assert tabprep("drift", files / "p", files / "ref.parquet").returncode == 0
    loose = ["--threshold", "psi=none", "--threshold", "ks=none", "--threshold", "js=none", "--threshold",
             "unseen_share=none", "--threshold", "missing_change=0.9", "--threshold", "mean_shift=none"]
    assert tabprep("drift", files / "p", files / "cur.parquet", *loose).returncode == 0


def test_drift_errors_keep_their_codes(files):
    proc = tabprep("drift", files / "ref.parquet", files / "cur.parquet")
    assert proc.returncode == 2 and "must be a saved profile or a fitted pipeline artifact" in proc.stderr
    proc = tabprep("drift", files / "p", files / "cur.parquet", "--threshold", "nope=1")
    assert proc.returncode == 2 and "unknown metric" in proc.stderr
    (files / "broken").mkdir()
    (files / "broken" / "manifest.json").write_text('{"format": "tabprep.profile", "format_version": 1}')
    proc = tabprep("drift", files / "broken", files / "cur.parquet")
    assert proc.returncode == 4 and "checksum mismatch" in proc.stderr


def test_profile_sample_makes_drift_ks_exact(files):
    import polars as pl
    from scipy.stats import ks_2samp

    proc = tabprep("profile", files / "ref.parquet", "--save", files / "ps", "--sample", 400, "--seed", 2)
    assert proc.returncode == 0, proc.stderr
    sample = load_profile(files / "ps").sample
    assert sample.height == 400
    proc = tabprep("drift", files / "ps", files / "cur.parquet", "--json")
    feature = {f["column"]: f for f in json.loads(proc.stdout)["features"]}["mean_shift"]
    current = pl.read_parquet(files / "cur.parquet")["mean_shift"].to_numpy()
    assert (feature["ks_sample"], feature["ks_error"]) == (400, 0.0)
    assert feature["ks"] == ks_2samp(sample["mean_shift"].to_numpy(), current).statistic
    assert "--sample" in tabprep("profile", "--help").stdout


def test_drift_against_a_fitted_pipeline_shows_ks_and_its_bound(files):
    import polars as pl
    from scipy.stats import ks_2samp

    from tabprep import Pipeline
    from tabprep.bin import KBinsDiscretizer

    ref = pl.read_parquet(files / "ref.parquet")
    Pipeline([("kb", KBinsDiscretizer(n_bins=10, encode="ordinal"), ["mean_shift", "same_num"])]).fit(
        files / "ref.parquet").save(files / "model")
    proc = tabprep("drift", files / "model", files / "cur.parquet", "--json")
    assert proc.returncode == 1, proc.stderr
    features = {f["column"]: f for f in json.loads(proc.stdout)["features"]}
    current = pl.read_parquet(files / "cur.parquet")
    for name in ("mean_shift", "same_num"):
        f = features[name]
        exact = ks_2samp(ref[name].to_numpy(), current[name].to_numpy()).statistic
        assert 0 < f["ks_error"] <= 0.1 + 2 / ref.height and abs(f["ks"] - exact) <= f["ks_error"]
        assert f["ks_sample"] is None
    table = tabprep("drift", files / "model", files / "cur.parquet").stdout
    line = next(ln for ln in table.splitlines() if ln.startswith("mean_shift"))
    assert f"{features['mean_shift']['ks']:.3f}±{features['mean_shift']['ks_error']:.3f}" in line
    assert "KS" in table.splitlines()[1] and "KS " in line


def test_quiet_prints_nothing_and_keeps_exit_codes_and_files(files):
    proc = tabprep("profile", files / "ref.parquet", "--save", files / "pq", "-q")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert load_profile(files / "pq").n_rows == 5000
    proc = tabprep("drift", files / "pq", files / "cur.parquet", "-q", "-o", files / "dq.html")
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "")
    assert (files / "dq.html").exists()
    assert (tabprep("drift", files / "pq", files / "ref.parquet", "--quiet", "--json").stdout) == ""
