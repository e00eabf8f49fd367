"""``tabprep.io.report_rows``: the rows the library streams reach a reporter; nothing without one."""

from __future__ import annotations

import numpy as np
import polars as pl

from tabprep import Pipeline
from tabprep.io import report_rows, write
from tabprep.io._progress import counted
from tabprep.sample import reservoir_sample
from tabprep.scale import StandardScaler


class Recorder:
    def __init__(self) -> None:
        self.rows, self.passes = 0, 0

    def advance(self, n: int) -> None:
        self.rows += n

    def new_pass(self) -> None:
        self.passes += 1


def test_without_a_reporter_frames_are_untouched():
    lf = pl.LazyFrame({"x": [1, 2]})
    assert counted(lf) is lf


def test_writes_fits_and_samples_report_their_rows(tmp_path):
    n = 250_000
    lf = pl.LazyFrame({"a": np.random.default_rng(0).normal(size=n), "b": np.arange(n)})
    seen = Recorder()
    with report_rows(seen):
        write(lf, tmp_path / "o.parquet")
    assert (seen.rows, seen.passes) == (n, 0)
    assert pl.read_parquet(tmp_path / "o.parquet").equals(lf.collect())  # the counting changes nothing

    seen = Recorder()
    with report_rows(seen):
        fitted = Pipeline([("s", StandardScaler(), ["a"])]).fit(pl.scan_parquet(tmp_path / "o.parquet"),
                                                              batch_size=60_000)
    assert seen.rows == n * seen.passes and seen.passes >= 1
    assert fitted.fingerprint == Pipeline([("s", StandardScaler(), ["a"])]).fit(
        pl.scan_parquet(tmp_path / "o.parquet"), batch_size=60_000).fingerprint

    seen = Recorder()
    with report_rows(seen):
        reservoir_sample(lf, 10, seed=0, batch_size=100_000)
    assert seen.rows == n
