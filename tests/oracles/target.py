"""Plain NumPy references for the target-encoding kernels and steps.

Deliberately naive: every training set is selected with a boolean mask over the *rows* and its
statistics recomputed from scratch (two-pass mean and sum of squared deviations, as scikit-learn
does), so neither the prefix/suffix merge, Chan's formula nor the binary shortcut of the kernels
can hide a bug here too. No tabprep code is imported.
"""

from __future__ import annotations

import math

import numpy as np


# ---------------------------------------------------------------------------------------------
# kernels
# ---------------------------------------------------------------------------------------------

def stats_ref(codes, n_slots, y, weight=None, folds=None, n_folds=1, n_classes=0):
    """(n_slots, n_folds, 2 + n_out) cells [rows, W, S_0..] by a loop over rows."""
    n = len(y)
    codes = np.zeros(n, dtype=np.int64) if codes is None else np.asarray(codes, dtype=np.int64)
    w = np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64)
    f = np.zeros(n, dtype=np.int64) if folds is None else np.asarray(folds, dtype=np.int64)
    n_out = max(n_classes, 1)
    out = np.zeros((n_slots, n_folds, 2 + n_out))
    for i in range(n):
        c = int(codes[i])
        if c < 0:
            continue
        cell = out[c, f[i]]
        cell[0] += 1
        cell[1] += w[i]
        if n_classes:
            cell[2 + int(y[i])] += w[i]
        else:
            cell[2] += w[i] * float(y[i])
    return out


def m2_ref(codes, n_slots, y, weight=None, folds=None, n_folds=1):
    """(n_slots, n_folds, 2) cells [weighted mean, sum w (y - mean)^2], two passes over masks."""
    n = len(y)
    codes = np.zeros(n, dtype=np.int64) if codes is None else np.asarray(codes, dtype=np.int64)
    w = np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64)
    f = np.zeros(n, dtype=np.int64) if folds is None else np.asarray(folds, dtype=np.int64)
    y = np.asarray(y, dtype=np.float64)
    out = np.zeros((n_slots, n_folds, 2))
    for c in range(n_slots):
        for g in range(n_folds):
            m = (codes == c) & (f == g)
            W = w[m].sum()
            mean = (w[m] * y[m]).sum() / W if W > 0 else 0.0
            out[c, g] = [mean, (w[m] * (y[m] - mean) ** 2).sum()]
    return out


def train_ref(codes, n_slots, y, weight=None, folds=None, n_folds=1, n_classes=0, moments=False):
    """(k + 1, n_slots, width) training statistics (index f: rows not in fold f; k: all rows),
    each recomputed from the selected rows, and their M2 (continuous) when ``moments``."""
    n = len(y)
    f = np.zeros(n, dtype=np.int64) if folds is None else np.asarray(folds, dtype=np.int64)
    sets = [f != g for g in range(n_folds)] + [np.ones(n, dtype=bool)]
    y = np.asarray(y)
    width = 2 + max(n_classes, 1)
    train = np.zeros((n_folds + 1, n_slots, width))
    train_m2 = np.zeros((n_folds + 1, n_slots)) if moments else None
    for t, mask in enumerate(sets):
        c = None if codes is None else np.asarray(codes)[mask]
        w = None if weight is None else np.asarray(weight)[mask]
        train[t] = stats_ref(c, n_slots, y[mask], w, None, 1, n_classes)[:, 0]
        if moments:
            train_m2[t] = m2_ref(c, n_slots, y[mask], w, None, 1)[:, 0, 1]
    return train, train_m2


def encoding_ref(train, totals, mode, param=0.0, train_m2=None, totals_m2=None, ignore_singletons=False):
    """(n_sets, n_slots + 1, n_out) encodings, one scalar formula at a time."""
    n_sets, n_slots, width = train.shape
    out = np.zeros((n_sets, n_slots + 1, width - 2))
    for t in range(n_sets):
        tW = totals[t, 0, 1]
        for j in range(width - 2):
            tS = totals[t, 0, 2 + j]
            prior = tS / tW if tW > 0 else math.nan
            if mode == "auto":
                if totals_m2 is None:
                    var = prior * (1 - prior) if tW > 0 else math.nan
                else:
                    var = totals_m2[t, 0] / tW if tW > 0 else math.nan
            out[t, n_slots, j] = 0.0 if mode == "woe" else prior
            for c in range(n_slots):
                rows, W, S = train[t, c, 0], train[t, c, 1], train[t, c, 2 + j]
                if mode == "m-estimate":
                    out[t, c, j] = prior if W + param == 0 else (S + param * prior) / (W + param)
                elif mode == "auto":
                    if W == 0:
                        out[t, c, j] = prior
                        continue
                    mean = S / W
                    m2 = train_m2[t, c] if train_m2 is not None else S * (1 - mean)
                    denom = var * W + m2 / W
                    if denom == 0 or math.isnan(denom):
                        out[t, c, j] = prior
                        continue
                    lam = var * W / denom
                    out[t, c, j] = lam * mean + (1 - lam) * prior
                else:
                    if rows == 0 or W == 0 or (ignore_singletons and rows == 1):
                        out[t, c, j] = 0.0
                    else:
                        P, N = tS, tW - tS
                        r = param
                        out[t, c, j] = math.log(((S + r) / (P + 2 * r)) / ((W - S + r) / (N + 2 * r)))
    return out


def gather_ref(codes, table, folds=None):
    n_slots = table.shape[1] - 1
    out = np.empty((len(codes), table.shape[2]))
    for i, c in enumerate(codes):
        t = 0 if folds is None else int(folds[i])
        out[i] = table[t, n_slots if c < 0 else int(c)]
    return out


# ---------------------------------------------------------------------------------------------
# whole encodings, written the way the literature states them
# ---------------------------------------------------------------------------------------------

def target_encode_ref(codes, y, *, smooth="auto", folds=None, n_folds=1, weight=None):
    """Out-of-fold (``folds``) or full-fit target encoding of one column of codes with a 0/1 or
    continuous target: for each fold, the training rows' prior, variance and per-category
    statistics, computed from the rows (scikit-learn's definition; weights generalize the counts)."""
    codes = np.asarray(codes)
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    w = np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64)
    f = np.zeros(n, dtype=np.int64) if folds is None else np.asarray(folds)
    out = np.empty(n)
    for g in range(n_folds):
        train = (f != g) if folds is not None else np.ones(n, dtype=bool)
        test = (f == g) if folds is not None else np.ones(n, dtype=bool)
        wt, yt, ct = w[train], y[train], codes[train]
        prior = (wt * yt).sum() / wt.sum()
        var = (wt * (yt - prior) ** 2).sum() / wt.sum()
        for i in np.flatnonzero(test):
            m = ct == codes[i]
            W = wt[m].sum()
            if W == 0:
                out[i] = prior
                continue
            mean = (wt[m] * yt[m]).sum() / W
            if smooth == "auto":
                ssd = (wt[m] * (yt[m] - mean) ** 2).sum()
                denom = var * W + ssd / W
                lam = var * W / denom if denom > 0 else math.nan
                out[i] = prior if math.isnan(lam) else lam * mean + (1 - lam) * prior
            else:
                out[i] = ((wt[m] * yt[m]).sum() + smooth * prior) / (W + smooth)
    return out


def woe_ref(categories, y, regularization=1.0, ignore_singletons=True):
    """``{category: woe}`` and IV from plain counting, category_encoders' formula."""
    y = np.asarray(y)
    P = float((y == 1).sum())
    N = float((y == 0).sum())
    r = regularization
    woe, iv = {}, 0.0
    for cat in dict.fromkeys(categories):
        m = np.array([c == cat for c in categories])
        pos = float((y[m] == 1).sum())
        neg = float((y[m] == 0).sum())
        value = math.log(((pos + r) / (P + 2 * r)) / ((neg + r) / (N + 2 * r)))
        if ignore_singletons and m.sum() == 1:
            value = 0.0
        woe[cat] = value
        iv += (pos / P - neg / N) * value
    return woe, iv
