"""Small shared fixtures for the test suite (tests of a layer keep their own in their folder)."""

from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture
def mixed_frame():
    """A 6-row Polars DataFrame with one column per common dtype, nulls included, and awkward text.

    Strings cover empty string vs null, separators, quotes, a newline, surrounding spaces and
    non-ASCII, so text formats are exercised where they break most often.
    """
    import polars as pl

    return pl.DataFrame(
        {
            "i64": [1, -2, None, 4, 2**53, 0],
            "f64": [0.1, -1.5e300, None, float("inf"), 3.0, 2.0 / 3.0],
            "s": ["", None, "a,b", 'q"uote', "new\nline", " spaced é "],
            "b": [True, False, None, True, True, False],
            "d": [dt.date(2024, 1, 1), None, dt.date(1970, 1, 1), dt.date(2000, 2, 29), dt.date(1900, 12, 31), dt.date(2099, 6, 30)],
            "ts": [
                dt.datetime(2024, 1, 1, 12, 30, 15, 123456),
                None,
                dt.datetime(1970, 1, 1),
                dt.datetime(2000, 2, 29, 23, 59, 59),
                dt.datetime(1999, 12, 31, 0, 0, 0, 1),
                dt.datetime(2038, 1, 19, 3, 14, 8),
            ],
        },
        schema={"i64": pl.Int64, "f64": pl.Float64, "s": pl.String, "b": pl.Boolean, "d": pl.Date, "ts": pl.Datetime("us")},
    )
