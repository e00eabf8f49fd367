"""Plain Python/NumPy references for the statistics behind imputers, scalers and clippers.

Naive on purpose (``math.fsum``, sorted lists, ``collections.Counter``): no Polars, no tabprep.
"""

from __future__ import annotations

import math
from collections import Counter
from fractions import Fraction

import numpy as np


def observed(x):
    """The non-missing values of a 1-D array/list (None and NaN are missing)."""
    return [float(v) for v in x if v is not None and not (isinstance(v, float) and math.isnan(v))]


def moments_ref(x):
    """(count, mean, population variance) of the observed values, computed exactly (rational
    arithmetic) and rounded once at the end: a constant column has variance exactly 0."""
    v = observed(x)
    n = len(v)
    if n == 0:
        return 0, math.nan, math.nan
    exact = [Fraction(a) for a in v]
    mean = sum(exact) / n
    return n, float(mean), float(sum((a - mean) ** 2 for a in exact) / n)


def quantile_ref(x, q):
    """NumPy's linear-interpolation quantile of the observed values (NaN when none)."""
    v = observed(x)
    return math.nan if not v else float(np.quantile(np.asarray(v), q))


def median_ref(x):
    v = observed(x)
    return math.nan if not v else float(np.median(np.asarray(v)))


def most_frequent_ref(values):
    """Most frequent non-missing value; ties broken by the smallest value (scikit-learn's rule)."""
    present = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not present:
        return None
    counts = Counter(present)
    top = max(counts.values())
    return min(v for v, c in counts.items() if c == top)


def clip_ref(x, lower, upper):
    """Clip observed values to [lower, upper]; missing values stay as they are."""
    out = []
    for v in x:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(v)
        else:
            out.append(min(max(v, lower), upper))
    return out
