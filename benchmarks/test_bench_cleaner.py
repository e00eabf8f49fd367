"""Cleaner (fit + transform) against skrub's Cleaner on the same messy table: null strings, dates
as text, numbers as text, a constant and an all-null column.

Both run with ``drop_if_constant=True``; tabprep parses numbers too (skrub with
``parse_numbers=True`` as well, its own option). Each case checks the columns it gives: the dates
parsed, the null strings nulled, the same columns dropped.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

OP = "Cleaner fit+transform (6 text cols)"


@pytest.fixture(scope="module")
def messy(bench_rows):
    rng = np.random.default_rng(0)
    n = bench_rows
    days = (np.datetime64("2020-01-01") + rng.integers(0, 1500, n).astype("timedelta64[D]")).astype(str)
    nulls = np.array(["N/A", "", "null", "?"])
    holes = rng.random(n) < 0.05
    day = np.where(holes, nulls[rng.integers(0, 4, n)], days)
    amount = np.where(rng.random(n) < 0.05, "NaN", np.round(rng.normal(100, 30, n), 2).astype(str))
    return pl.DataFrame({
        "day": day, "amount": amount,
        "city": rng.choice(["Paris", "Oslo", "Lima", "N/A", "Rome"], n),
        "code": rng.integers(0, 1000, n).astype(str),
        "same": np.full(n, "k"), "empty": np.where(rng.random(n) < 0.5, "", "N/A"),
    })


def _check(out):
    assert "same" not in out.columns and "empty" not in out.columns
    assert out.schema["day"] in (pl.Date, pl.Datetime("us"), pl.Datetime("ns"))
    assert out["city"].null_count() > 0


def test_cleaner_tabprep(benchmark, pair, messy):
    from tabprep.clean import Cleaner

    pair(benchmark, OP, "tabprep Cleaner", "ours")
    out = benchmark(lambda: Cleaner(drop_if_constant=True).fit(messy).transform(messy))
    _check(out)
    assert out.schema["amount"] == pl.Float64 and out.schema["code"] == pl.Int64


@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")
def test_cleaner_skrub(benchmark, pair, messy):
    skrub = pytest.importorskip("skrub")

    pair(benchmark, OP, "skrub Cleaner(parse_numbers=True)", "peer")
    out = benchmark(lambda: skrub.Cleaner(drop_if_constant=True, parse_numbers=True).fit_transform(messy))
    _check(out)
