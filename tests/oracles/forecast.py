"""Brute-force references for per-entity lags and windows (LagFeatures, WindowFeatures).

Plain Python on lists, one row at a time: gather the row's entity, order it by (time, position),
pick the rows the definition names. No Polars, no tabprep.
"""

from __future__ import annotations

import math
import statistics


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def entity_orders(keys, times):
    """``{row: (its entity's rows in (time, position) order, its position there)}``."""
    n = len(keys)
    groups: dict = {}
    for i in range(n):
        groups.setdefault(keys[i], []).append(i)
    where = {}
    for rows in groups.values():
        order = sorted(rows, key=lambda i: (times[i], i)) if times is not None else rows
        for pos, i in enumerate(order):
            where[i] = (order, pos)
    return where


def lag_ref(keys, times, values, period, fill=None):
    where = entity_orders(keys, times)
    out = []
    for i in range(len(values)):
        order, pos = where[i]
        v = values[order[pos - period]] if pos >= period else fill
        out.append(None if _missing(v) else v)
    return out


def _stat(obs, fn, need):
    if fn == "count":
        return len(obs) if len(obs) >= need else None
    if len(obs) < max(need, 1):
        return None
    if fn == "sum":
        return math.fsum(obs)
    if fn == "mean":
        return math.fsum(obs) / len(obs)
    if fn == "min":
        return min(obs)
    if fn == "max":
        return max(obs)
    if fn == "median":
        return statistics.median(obs)
    if len(obs) < 2:  # ddof 1
        return None
    var = statistics.variance(obs)
    return var if fn == "var" else math.sqrt(var)


def row_window_ref(keys, times, values, window, fn, periods=1, min_periods=None):
    """pandas' ``rolling(window).agg(fn).shift(periods)`` within each entity in time order."""
    need = window if min_periods is None else min_periods
    where = entity_orders(keys, times)
    out = []
    for i in range(len(values)):
        order, pos = where[i]
        end = pos - periods
        if end < 0:
            out.append(None)
            continue
        rows = order[max(0, end - window + 1): end + 1]
        out.append(_stat([float(values[r]) for r in rows if not _missing(values[r])], fn, need))
    return out


def time_window_ref(keys, times, values, width, fn, min_periods=None):
    """The rows of the same entity with time in [t - width, t) (``width`` in the time's units)."""
    need = 1 if min_periods is None else min_periods
    out = []
    for i in range(len(values)):
        rows = [k for k in range(len(values))
                if keys[k] == keys[i] and times[i] - width <= times[k] < times[i]]
        out.append(_stat([float(values[r]) for r in rows if not _missing(values[r])], fn, need))
    return out
