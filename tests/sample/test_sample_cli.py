"""`tabprep sample` in-process: random, stratified, reservoir; errors."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tabprep.cli import main
from tabprep.sample import reservoir_sample, sample


@pytest.fixture
def data(tmp_path):
    df = pl.DataFrame({"x": np.arange(3000), "y": np.repeat(["a", "b"], [2700, 300])})
    path = tmp_path / "d.parquet"
    df.write_parquet(path, row_group_size=500)
    return df, path


def test_sample_cli(data, tmp_path, capsys):
    df, path = data
    out = tmp_path / "s.parquet"
    assert main(["sample", str(path), "-o", str(out), "--n", "100", "--by", "y", "--seed", "2"]) == 0
    assert capsys.readouterr() == ("", "")
    assert pl.read_parquet(out).equals(sample(df, 100, by="y", seed=2))
    assert main(["sample", str(path), "-o", str(out), "--frac", "0.1", "--by", "y", "--per-class"]) == 0
    assert pl.read_parquet(out).group_by("y").len().sort("y")["len"].to_list() == [270, 30]
    assert main(["sample", str(path), "-o", str(out), "--n", "50", "--reservoir", "--batch-size", "333", "--seed", "5"]) == 0
    assert pl.read_parquet(out).equals(reservoir_sample(df, 50, seed=5))


def test_sample_cli_errors(data, tmp_path, capsys):
    _, path = data
    out = tmp_path / "s.parquet"
    assert main(["sample", str(path), "-o", str(out), "--frac", "0.1", "--reservoir"]) == 2
    assert main(["sample", str(path), "-o", str(out), "--n", "5000"]) == 3
    assert "cannot draw 5000 rows" in capsys.readouterr().err
    assert main(["sample", str(path), "-o", str(out)]) == 2  # --n or --frac is required
    assert not out.exists()
