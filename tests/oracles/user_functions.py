"""User functions for the NumbaTransformer tests (in a file, so Numba caches them on disk); their
references are written out in the tests."""

from __future__ import annotations

import math

import numpy as np


def haversine(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * 6371.0 * math.asin(math.sqrt(a))


def sum_and_order(x, k):
    return x + k, x > k


def count_up(k):
    return k + 1


def ewm_mean(x):
    """Exponentially weighted mean (alpha 0.3) skipping NaN: pandas' ewm(alpha=0.3, adjust=False,
    ignore_na=True).mean() carried forward."""
    out = np.empty(len(x))
    m = np.nan
    for i in range(len(x)):
        v = x[i]
        if not np.isnan(v):
            m = v if np.isnan(m) else 0.3 * v + 0.7 * m
        out[i] = m
    return out


def centred(x):
    return x - np.nanmean(x)


def float_for_int(x):
    return x * 0.5


def does_not_compile(x):
    return x + "a"


def wrong_length(x):
    return x[:1].copy()


def int_ratio(a, b):
    return a / b  # integer division by zero raises ZeroDivisionError (Numba's Python error model)
