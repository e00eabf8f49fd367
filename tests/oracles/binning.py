"""Plain Python/NumPy references for the binning kernels and steps.

Deliberately naive (loops, full sorts, brute-force enumeration), and free of tabprep code, so a
kernel bug cannot hide in the reference too. NumPy's ``percentile`` and scikit-learn's
``KBinsDiscretizer`` are the references where they exist.
"""

from __future__ import annotations

import itertools
import math

import numpy as np


def valid_mask(values, validity_bits=None):
    """Row is valid: not NaN and (if given) its validity flag (a bool array, one per row) is set."""
    values = np.asarray(values, dtype=np.float64)
    mask = ~np.isnan(values)
    if validity_bits is not None:
        mask &= np.asarray(validity_bits, dtype=bool)
    return mask


def order_statistics_ref(values, ranks, validity_bits=None):
    valid = np.sort(np.asarray(values, dtype=np.float64)[valid_mask(values, validity_bits)])
    return valid.size, np.array([valid[int(r)] for r in ranks], dtype=np.float64)


def percentiles_ref(values, percents, method):
    values = np.asarray(values)
    if values.dtype.kind == "f":
        values = values[~np.isnan(values)]
    return np.asarray(np.percentile(values, percents, method=method), dtype=np.float64)


def bin_codes_ref(values, inner_edges, table=None, missing=np.nan, validity_bits=None):
    """``table[#edges <= x]`` by a linear count per value; ``missing`` for NaN / invalid rows."""
    edges = [float(e) for e in inner_edges]
    table = list(range(len(edges) + 1)) if table is None else list(table)
    mask = valid_mask(values, validity_bits)
    out = []
    for x, ok in zip(np.asarray(values, dtype=np.float64), mask):
        if not ok:
            out.append(missing)
            continue
        out.append(table[sum(1 for e in edges if e <= x)])
    return np.array(out, dtype=np.float64)


def target_stats_ref(values, inner_edges, y, validity_bits=None):
    m = len(inner_edges)
    counts = np.zeros(m + 2, dtype=np.int64)
    sums = np.zeros(m + 2)
    sumsq = np.zeros(m + 2)
    mask = valid_mask(values, validity_bits)
    for x, ok, t in zip(np.asarray(values, dtype=np.float64), mask, y):
        b = sum(1 for e in inner_edges if e <= x) if ok else m + 1
        counts[b] += 1
        sums[b] += t
        sumsq[b] += t * t
    return counts, sums, sumsq


def rank_interval(sorted_values, v):
    """``(#values < v, #values <= v)``: every rank ``v`` can have in the sorted data."""
    return (int(np.searchsorted(sorted_values, v, side="left")),
            int(np.searchsorted(sorted_values, v, side="right")))


def rank_error(sorted_values, v, target_rank):
    """Distance from ``target_rank`` to the rank interval of ``v`` (0 if inside)."""
    lo, hi = rank_interval(sorted_values, v)
    return max(0, lo - target_rank, target_rank - hi)


# ---------------------------------------------------------------------------------------------
# supervised binning
# ---------------------------------------------------------------------------------------------

def woe_iv_ref(events, non_events, total_events=None, total_non_events=None, regularization=1.0):
    """Per-bin WoE and IV terms as tabprep's WOEEncoder (and SupervisedBinner) define them:

    ``woe_i = ln(((e_i + r) / (E + 2r)) / ((q_i + r) / (Q + 2r)))`` and
    ``iv_i = (e_i / E - q_i / Q) * woe_i`` with ``e``/``q`` events/non-events, ``E``/``Q`` their
    totals (default: sums over the given bins) and ``r`` the regularization.
    """
    e = np.asarray(events, dtype=np.float64)
    q = np.asarray(non_events, dtype=np.float64)
    E = e.sum() if total_events is None else float(total_events)
    Q = q.sum() if total_non_events is None else float(total_non_events)
    r = float(regularization)
    woe = np.log(((e + r) / (E + 2 * r)) / ((q + r) / (Q + 2 * r)))
    return woe, (e / E - q / Q) * woe


def all_contiguous_partitions(n_items, max_groups):
    """Every way to cut ``range(n_items)`` into at most ``max_groups`` contiguous groups (cut lists)."""
    for g in range(1, max_groups + 1):
        for cuts in itertools.combinations(range(1, n_items), g - 1):
            yield (0, *cuts, n_items)


def best_partition_bruteforce(counts, events, *, max_bins, min_count, monotonic, objective, sums=None, sumsq=None,
                              regularization=1.0):
    """Best contiguous grouping of pre-bins by exhaustive search (small inputs only).

    objective ``"iv"`` (binary target: events per pre-bin) or ``"sse"`` (continuous target:
    ``sums``/``sumsq``; minimise the within-group sum of squared errors). ``monotonic`` in
    {None, "ascending", "descending"} constrains the groups' mean target to be monotone
    (consecutive means may be equal). Returns (score, cuts); cuts is None when nothing is feasible.
    """
    counts = np.asarray(counts, dtype=np.float64)
    best = (-math.inf, None)
    for cuts in all_contiguous_partitions(len(counts), max_bins):
        groups = list(zip(cuts[:-1], cuts[1:]))
        c = np.array([counts[a:b].sum() for a, b in groups])
        if (c < min_count).any():
            continue
        if objective == "iv":
            e = np.array([np.asarray(events, dtype=np.float64)[a:b].sum() for a, b in groups])
            rates = e / c
            _, terms = woe_iv_ref(e, c - e, regularization=regularization)
            score = float(terms.sum())
        else:
            s = np.array([np.asarray(sums)[a:b].sum() for a, b in groups])
            s2 = np.array([np.asarray(sumsq)[a:b].sum() for a, b in groups])
            rates = s / c
            score = -float((s2 - s * s / c).sum())
        if monotonic == "ascending" and (np.diff(rates) < 0).any():
            continue
        if monotonic == "descending" and (np.diff(rates) > 0).any():
            continue
        if score > best[0] + 1e-12:
            best = (score, cuts)
    return best


def cells_ref(values, splitters, lo, scale, qbits, validity_bits=None):
    """Cell ids of the selection pass (``cell_pass``) and the histogram, by the stated formula.

    Coarse bucket ``c`` = #splitters ``<= x``; cell ``c * Q`` if ``x`` equals splitter ``c - 1``,
    else ``c * Q + 1 + clamp(trunc((x - lo[c]) * scale[c]), 0, Q - 2)`` with a NaN product
    counted as 0 (``Q = 2**qbits``); 0xFFFF for missing rows, whose count is the histogram's last
    entry. Plain Python floats (IEEE doubles, like the kernel's arithmetic).
    """
    q = 1 << qbits
    sp = [float(v) for v in splitters]
    ids, hist = [], [0] * (32 * q + 1)
    for x, ok in zip(np.asarray(values, dtype=np.float64).tolist(), valid_mask(values, validity_bits)):
        if not ok:
            ids.append(0xFFFF)
            hist[-1] += 1
            continue
        c = sum(1 for v in sp if v <= x)
        if c > 0 and sp[c - 1] == x:
            cell = c * q
        else:
            t = (x - float(lo[c])) * float(scale[c])
            t = 0.0 if math.isnan(t) or t <= 0 else min(t, float(q - 2))
            cell = c * q + 1 + int(t)
        ids.append(cell)
        hist[cell] += 1
    return np.array(ids, dtype=np.uint16), np.array(hist, dtype=np.int64)
