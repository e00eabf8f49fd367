"""``drift(reference, data)``: has the data moved away from a reference, feature by feature?

The reference is a saved :class:`Profile` or a fitted pipeline; what it holds IS the baseline
(the training data is not read again):

=====================  =========================================================================
reference              baseline per raw input column
=====================  =========================================================================
Profile                numbers: the KLL sketch (deciles as PSI bins, the CDF for KS), missing
                       share, mean/std; other columns: the frequent-value counts, missing share
FittedPipeline         categorical encoders: the category counts and missing count seen in fit
                       (target and WoE encoders keep their vocabulary only: the unseen share);
                       ``KBinsDiscretizer(strategy="quantile")``: its edges (each bin holds
                       1/n_bins of the training rows by construction, so PSI; when fit
                       dropped narrow bins, the kept edges' saved quantile ranks give each
                       kept bin its share; the training CDF for KS)
                       and missing count, or with ``sketch=True`` its KLL sketch (the CDF for
                       KS); ``StandardScaler``: mean and standard deviation
=====================  =========================================================================

The current data is read once (the same pass as :func:`profile`), counting its values exactly in
the reference's bins. Per feature:

- **PSI** (population stability index) on the reference's bins: ``sum((c - r) * ln(c / r))``
  over bin shares, each share floored at ``1e-4`` (as evidently does) so an empty bin stays finite;
- **KS**: ``sup |F_ref - F_cur|``. When the reference profile kept a sample
  (``profile(data, sample=N)``), the exact two-sample statistic between that sample and every
  finite current value (``scipy.stats.ks_2samp(sample, current).statistic``; ``ks_error == 0``,
  ``ks_sample`` = the sample's size): the current values are counted below and at each sample
  value in the same pass, nothing is sorted. Otherwise between the reference sketch's CDF and
  the current sketch's CDF: both are KLL sketches, so the statistic is within ``ks_error`` = the
  sum of their stated rank error bounds (99% confidence, the sampler's part included) of the
  exact two-sample statistic; it is exact (``ks_error == 0``) when both sketches still hold
  every value (fewer than ``k`` values). Against a fitted pipeline (:func:`ks_from_reference`,
  ``_kbins_cdf``): the current values are counted exactly at the reference's points (a
  ``KBinsDiscretizer``'s quantile edges, or its sketch's retained values); the estimate is how
  far the current CDF is from the edges' quantile levels ``m / n_bins`` (from the sketch's CDF),
  and ``ks_error`` bounds ``|ks - exact|``, the exact statistic being ``ks_2samp`` between the
  training values and the current ones. The training CDF is only known to lie, between two
  edges, in the band their levels allow (with ``1/n`` for the quantile method's interpolation;
  dropped narrow bins widen it), so the bound is about one bin's share (0.1 for 10 bins) while
  the estimate is usually much closer. It holds surely for edges of all the rows, at 99%
  confidence for edges of a ``subsample`` (DKW) or a sketch (its rank error). No KS when the
  artifact has no row count (fitted with ``lineage=False``), or for a constant column.
  ``RobustScaler``, ``SimpleImputer(strategy="median")`` and ``Clipper`` keep one or two
  quantiles and no count of the values they saw: not used (one median brackets KS within 0.5 at
  best);
- **Jensen-Shannon distance** (base 2, in [0, 1]; scipy's ``jensenshannon``) and **chi-square**
  (statistic and p-value, current counts against the reference shares) for categorical features;
  values the reference never saw form one extra "unseen" category whose reference share is the
  floor ``0.5 / reference rows`` (a zero expected count would make chi-square infinite);
  ``unseen_share`` is the share of current rows with such values;
- the change of the **missing share** (null, or NaN in floats), for every feature;
- ``mean_shift``: ``|mean_cur - mean_ref| / std_ref`` where the reference has moments.

A feature has drifted when any metric crosses its threshold (:class:`DriftThresholds`; a threshold
set to None is not used). The report's verdict: drift when at least ``share`` of the features
drifted (default: any).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from tabprep._constraints import Interval, check_param
from tabprep.errors import ConfigError

__all__ = ["DriftThresholds", "FeatureDrift", "DriftReport", "drift", "psi", "js_distance", "chi_square",
           "ks_from_sketches", "ks_from_counts", "ReferenceCDF", "ks_from_reference"]

SHARE_FLOOR = 1e-4
N_BINS = 10


@dataclass(frozen=True)
class DriftThresholds:
    """When a feature counts as drifted (a metric at or above its threshold; None: not used).

    Parameters
    ----------
    psi : float, default 0.2
        The usual "significant shift" level of the PSI (0.1-0.2 moderate).
    ks : float, default 0.1
        KS statistic (a distance between CDFs, not a p-value: with millions of rows any shift is
        "significant").
    js : float, default 0.1
        Jensen-Shannon distance (base 2), evidently's default for categorical data.
    chi2_p : float or None, default None
        Drift when the chi-square p-value is below this (off by default, for the same reason as KS).
    unseen_share : float, default 0.01
        Share of current rows with values the reference never saw.
    missing_change : float, default 0.05
        Absolute change of the missing share (0.02 -> 0.07 is 0.05).
    mean_shift : float, default 0.25
        Mean change in reference standard deviations.
    share : float, default 0.0
        The report says drift when more than this share of the features drifted (0: any).
    """

    psi: float | None = 0.2
    ks: float | None = 0.1
    js: float | None = 0.1
    chi2_p: float | None = None
    unseen_share: float | None = 0.01
    missing_change: float | None = 0.05
    mean_shift: float | None = 0.25
    share: float = 0.0

    def __post_init__(self) -> None:
        for name in ("psi", "ks", "js", "chi2_p", "unseen_share", "missing_change", "mean_shift"):
            check_param(getattr(self, name), [Interval(float, 0, None, finite=True), None], name, "DriftThresholds")
        check_param(self.share, [Interval(float, 0, 1, closed="left")], "share", "DriftThresholds")


@dataclass
class FeatureDrift:
    """The drift metrics of one feature (None: not computable from this reference)."""

    column: str
    kind: str  # "numeric" or "categorical"
    drifted: bool = False
    reasons: list = field(default_factory=list)
    psi: float | None = None
    ks: float | None = None
    ks_error: float | None = None
    ks_sample: int | None = None  # size of the reference sample the exact KS used
    js: float | None = None
    chi2: float | None = None
    chi2_p: float | None = None
    unseen_share: float | None = None
    missing_reference: float = 0.0
    missing_current: float = 0.0
    mean_shift: float | None = None
    bins: list = field(default_factory=list)  # bin labels (numbers: upper edges; categories: values)
    reference_shares: list = field(default_factory=list)
    current_shares: list = field(default_factory=list)

    @property
    def missing_change(self) -> float:
        return abs(self.missing_current - self.missing_reference)

    @property
    def verdict_text(self) -> str:
        return ("drift: " + "; ".join(self.reasons)) if self.drifted else "no drift"


@dataclass
class DriftReport:
    """Per-feature :class:`FeatureDrift` and the overall verdict."""

    features: dict
    thresholds: DriftThresholds
    reference: str
    n_reference: int
    n_current: int
    source: str | None = None

    @property
    def drifted_features(self) -> list:
        return [f.column for f in self.features.values() if f.drifted]

    @property
    def drifted(self) -> bool:
        """Drift overall: more than ``thresholds.share`` of the features drifted."""
        n = len(self.features)
        return bool(n) and len(self.drifted_features) / n > self.thresholds.share

    def summary(self) -> str:
        return (f"{len(self.drifted_features)} of {len(self.features)} features drifted "
                f"(reference {self.reference}, {self.n_reference:,} rows; current "
                f"{self.source or 'data'}, {self.n_current:,} rows): "
                f"{'drift detected' if self.drifted else 'no drift'}")

    def to_dict(self) -> dict:
        def clean(v):
            if isinstance(v, float) and not math.isfinite(v):
                return str(v)
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items()}
            if isinstance(v, list):
                return [clean(x) for x in v]
            return v

        return clean({"drifted": self.drifted, "drifted_features": self.drifted_features,
                      "reference": self.reference, "n_reference": self.n_reference, "n_current": self.n_current,
                      "source": self.source, "thresholds": asdict(self.thresholds),
                      "features": [asdict(f) | {"bins": [str(b) for b in f.bins]} for f in self.features.values()]})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)

    def __str__(self) -> str:
        head = ("column", "kind", "drift", "PSI", "KS", "JS", "unseen", "missing ref->cur", "reasons")
        num = lambda v: "" if v is None else f"{v:.3f}"  # noqa: E731
        # a reference that did not count missing values (a fitted step's moments): "?"
        ref_missing = lambda f: "?" if math.isnan(f.missing_reference) else f"{f.missing_reference:.1%}"  # noqa: E731
        # KS with its bound ("0.312±0.013"; exact KS: no bound shown)
        ks = lambda f: num(f.ks) + (f"±{f.ks_error:.3f}" if f.ks is not None and f.ks_error else "")  # noqa: E731
        rows = [(f.column, f.kind, "yes" if f.drifted else "no", num(f.psi), ks(f), num(f.js),
                 num(f.unseen_share), f"{ref_missing(f)}->{f.missing_current:.1%}", "; ".join(f.reasons))
                for f in self.features.values()]
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head) - 1)]
        fmt = lambda r: "  ".join(f"{v:<{w}}" for v, w in zip(r, widths)) + "  " + r[-1]  # noqa: E731
        return "\n".join([self.summary(), fmt(head), *[fmt(r) for r in rows]]).rstrip()

    def _html_title(self) -> str:
        return "tabprep drift report"

    def _html_body(self) -> str:
        from tabprep.validate._plots import drift_body

        return drift_body(self)


# ---------------------------------------------------------------------------------------------
# the metrics (tested against NumPy/SciPy)
def _shares(counts) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    return counts / total if total > 0 else counts


def psi(reference_shares, current_shares, floor: float = SHARE_FLOOR) -> float:
    """Population stability index of two share vectors (each share floored at ``floor``).

    Examples
    --------
    >>> round(psi([0.5, 0.5], [0.6, 0.4]), 6)
    0.040547
    """
    r = np.maximum(np.asarray(reference_shares, dtype=np.float64), floor)
    c = np.maximum(np.asarray(current_shares, dtype=np.float64), floor)
    return float(np.sum((c - r) * np.log(c / r)))


def js_distance(p, q) -> float:
    """Jensen-Shannon distance, base 2 (the square root of the divergence), of two distributions.

    Examples
    --------
    >>> js_distance([1, 0], [0, 1]), js_distance([0.5, 0.5], [0.5, 0.5])
    (1.0, 0.0)
    """
    p, q = _shares(p), _shares(q)
    m = (p + q) / 2

    def kl(a, b):
        mask = a > 0
        return float(np.sum(a[mask] * np.log2(a[mask] / b[mask])))

    return math.sqrt(max((kl(p, m) + kl(q, m)) / 2, 0.0))


def chi_square(reference_shares, current_counts) -> tuple[float, float]:
    """Chi-square goodness of fit of the current counts to the reference shares: (statistic, p).

    Examples
    --------
    >>> stat, p = chi_square([0.5, 0.5], [60, 40])
    >>> round(stat, 6), round(p, 6)
    (4.0, 0.0455)
    """
    from scipy.special import chdtrc

    r = _shares(reference_shares)
    c = np.asarray(current_counts, dtype=np.float64)
    expected = r * c.sum()
    keep = expected > 0
    stat = float(np.sum((c[keep] - expected[keep]) ** 2 / expected[keep]))
    dof = int(keep.sum()) - 1
    return stat, float(chdtrc(dof, stat)) if dof > 0 else 1.0


def ks_from_sketches(reference, current, reference_error=None, current_error=None) -> tuple[float, float]:
    """``(sup |F_ref - F_cur|, error bound)`` from two KLL sketches.

    Both estimated CDFs are step functions that change only at retained values, so the supremum
    is taken exactly over those; the estimate is within the sum of the two rank error bounds of
    the exact statistic, which it equals when both sketches hold all their values. A sketch's
    bound is its ``rank_error`` unless given (a profile's column states its sampler's part too).
    """
    rv, rc = reference._weighted()
    cv, cc = current._weighted()
    grid = np.union1d(rv, cv)
    fr = np.concatenate([[0.0], rc / rc[-1]])[np.searchsorted(rv, grid, side="right")]
    fc = np.concatenate([[0.0], cc / cc[-1]])[np.searchsorted(cv, grid, side="right")]
    stat = float(np.max(np.abs(fr - fc))) if grid.size else 0.0

    def bound(s, given):
        if all(level.size == 0 for level in s.levels[1:]):
            return 0.0
        return s.rank_error if given is None else given

    return stat, bound(reference, reference_error) + bound(current, current_error)


@dataclass(frozen=True)
class ReferenceCDF:
    """What a fitted step knows of its training data's CDF ``F`` at some points, for KS.

    ``t`` are distinct increasing points. Nominal values: with ``levels``, ``t[j]`` is a
    ``p``-quantile for some ``p`` in ``[a[j], b[j]]`` (``F(t-) <= p <= F(t)``: quantile bin edges);
    without, ``a[j]``, ``b[j]`` estimate ``F(t-)`` and ``F(t)`` (a sketch's step CDF). Sure (or
    at the stated confidence) bounds: ``F(t[j]) >= lo[j]`` and ``F(t[j]-) <= hi[j]``.
    """

    t: np.ndarray
    a: np.ndarray
    b: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    levels: bool = True


def ks_from_reference(ref: ReferenceCDF, le, lt, n) -> tuple[float, float]:
    """``(KS estimate, bound)`` between a :class:`ReferenceCDF` and ``n`` current values counted
    ``<=`` (``le``) and ``<`` (``lt``) each point ``ref.t``.

    The estimate compares the current CDF ``G`` with the nominal reference at the points (for
    quantile levels: how far ``[G(t-), G(t)]`` lies from ``[a, b]``; below the first point and
    above the last included). The bound: by monotonicity, on ``[t[j], t[j+1])`` the training CDF
    lies in ``[lo[j], hi[j+1]]`` while ``G`` runs from ``G(t[j])`` to ``G(t[j+1]-)``, which
    brackets the exact statistic ``sup |F - G|`` between ``lower`` and ``upper`` (below ``t[0]``:
    ``[0, hi[0]]``, from ``t[-1]`` on: ``[lo[-1], 1]``); the bound is
    ``max(upper - ks, ks - lower)``, so the exact statistic lies within ``ks +- bound``.

    Examples
    --------
    >>> import numpy as np
    >>> # quartile edges of 0..99 (min, quartiles, max; each level known within 1/100)
    >>> t = np.array([0.0, 24.75, 49.5, 74.25, 99.0]); p = np.linspace(0, 1, 5)
    >>> ref = ReferenceCDF(t, p, p, np.r_[p[:-1] - 0.01, 1.0], np.r_[0.0, p[1:] + 0.01])
    >>> cur = np.arange(100.0) + 10  # shifted by 10
    >>> le = np.array([(cur <= v).sum() for v in t]); lt = np.array([(cur < v).sum() for v in t])
    >>> ks, bound = ks_from_reference(ref, le, lt, cur.size)
    >>> round(ks, 4), round(bound, 4)  # scipy.stats.ks_2samp gives 0.1
    (0.1, 0.26)
    """
    le, lt = np.asarray(le, dtype=np.float64), np.asarray(lt, dtype=np.float64)
    g_le, g_lt = le / n, lt / n
    if ref.levels:
        per = np.maximum(0.0, np.maximum(ref.a - g_le, g_lt - ref.b))
    else:
        per = np.maximum(np.abs(ref.a - g_lt), np.abs(ref.b - g_le))
    ks = float(per.max()) if per.size else 0.0
    lo = np.maximum.accumulate(np.clip(ref.lo, 0.0, 1.0))  # F is non-decreasing
    hi = np.minimum.accumulate(np.clip(ref.hi, 0.0, 1.0)[::-1])[::-1]
    # region j: [t[j-1], t[j]) (region 0 below t[0], the last from t[-1] on)
    low = np.concatenate([[0.0], lo])
    high = np.maximum(np.concatenate([hi, [1.0]]), low)
    g_start, g_end = np.concatenate([[0.0], g_le]), np.concatenate([g_lt, [1.0]])
    upper = float(max(np.max(high - g_start), np.max(g_end - low)))
    lower = float(max(np.max(np.maximum(low - g_start, g_start - high)),
                      np.max(np.maximum(low - g_end, g_end - high)), 0.0))
    return ks, max(upper - ks, ks - lower, 0.0)


def ks_from_counts(sample, le, lt, n) -> float:
    """The exact two-sample KS statistic between ``sample`` and ``n`` current values, from the
    counts of current values ``<=`` (``le``) and ``<`` (``lt``) each distinct sample value.

    Between two consecutive sample values the sample's CDF is constant and the current one
    rises, so the supremum is at a sample value or just below one: both are in the counts.
    Equals ``scipy.stats.ks_2samp(sample, current).statistic``.

    Examples
    --------
    >>> import numpy as np
    >>> ref, cur = np.array([1.0, 2.0, 2.0, 5.0]), np.array([0.5, 2.0, 3.0])
    >>> u = np.unique(ref)
    >>> le = np.array([(cur <= v).sum() for v in u]); lt = np.array([(cur < v).sum() for v in u])
    >>> ks_from_counts(ref, le, lt, cur.size)  # scipy.stats.ks_2samp(ref, cur).statistic
    0.3333333333333333
    """
    sample = np.sort(np.asarray(sample, dtype=np.float64))
    if sample.size == 0 or n == 0:
        return 0.0
    u = np.unique(sample)
    ref_at = np.searchsorted(sample, u, side="right") / sample.size
    ref_below = np.concatenate([[0.0], ref_at[:-1]])
    le, lt = np.asarray(le), np.asarray(lt)
    return float(max(np.max(np.abs(ref_at - le / n)), np.max(np.abs(ref_below - lt / n))))


# ---------------------------------------------------------------------------------------------
# baselines
@dataclass
class _Baseline:
    column: str
    kind: str
    rows: int | None = None
    missing: int | None = None
    edges: list | None = None  # numeric bins: len(edges) + 1 bins, (edges[i-1], edges[i]]
    shares: list | None = None  # reference share per bin
    sketch: object = None
    categories: dict | None = None  # value -> count
    mean: float | None = None
    std: float | None = None
    rank_error: float | None = None  # the reference sketch's stated bound
    sample: object = None  # sorted finite values of the reference sample (exact KS)
    cdf: ReferenceCDF | None = None  # a fitted step's quantiles or sketch (KS with its bound)
    labels: list | None = None  # the bins' names (default: "<= edge", "> last edge")


def _from_profile(prof) -> dict:
    import polars as pl

    out = {}
    for name, col in prof.columns.items():
        sample = None
        if prof.sample is not None and name in prof.sample.columns and col.sketch is not None:
            values = prof.sample[name].cast(pl.Float64).drop_nulls().to_numpy()
            sample = np.sort(values[np.isfinite(values)])
        if col.sketch is not None and col.sketch.n:
            qs = col.sketch.quantiles(np.linspace(0, 1, N_BINS + 1)[1:-1])
            edges = np.unique(qs)
            cdf = np.array([0.0] + [col.sketch.rank(e) for e in edges] + [1.0])
            out[name] = _Baseline(name, "numeric", col.rows, col.missing, edges.tolist(), np.diff(cdf).tolist(),
                                  col.sketch, mean=col.mean, std=col.std, rank_error=col.rank_error, sample=sample)
        elif col.frequent is not None and col.frequent.frame.height:
            cats = dict(zip(col.frequent.frame["value"].to_list(), col.frequent.frame["count"].to_list()))
            out[name] = _Baseline(name, "categorical", col.rows, col.missing, categories=cats)
    return out


def _from_pipeline(fitted) -> dict:
    from tabprep._base.codec import from_json_value

    out: dict = {}
    rows = fitted.lineage.get("rows")
    for _, step, raw in fitted.raw_inputs():
        d = step.to_dict()
        # the state as JSON stores non-finite floats as {"$float": "inf"} (a constant column's edges)
        state, tables = from_json_value(d.get("state") or {}), d.get("tables") or {}
        d = {**d, "state": state, "params": from_json_value(d.get("params") or {})}  # n_bins may be a tuple
        for i, col in raw:
            if col in out:
                continue
            if f"categories_{i}" in tables and isinstance(state.get("columns"), list):
                meta = state["columns"][i]
                t = tables[f"categories_{i}"]
                values = [str(v) if meta.get("kind") == "string" else v for v in t.column("value").to_pylist()]
                cats = {v: c for v, c in zip(values, t.column("count").to_pylist()) if v is not None}
                out[col] = _Baseline(col, "categorical", meta.get("n_rows"), meta.get("null_count"), categories=cats)
            elif f"encodings_{i}" in tables and "category" in tables[f"encodings_{i}"].column_names:
                # a target/WoE encoder keeps its vocabulary, not its counts: the unseen share only
                values = tables[f"encodings_{i}"].column("category").to_pylist()
                cats = {v: None for v in values if v is not None}
                out[col] = _Baseline(col, "categorical", rows, None, categories=cats)
            elif "bin_edges" in state and d["params"].get("strategy") == "quantile":
                edges = [float(e) for e in state["bin_edges"][i][1:-1]]
                n_bins = len(edges) + 1
                requested, ranks = _kbins_layout(d, i)
                counted, shares, labels = None, None, None
                if n_bins >= requested or ranks is not None:
                    # each bin [e_j, e_j+1) holds 1/n_bins of the training rows (the transform's
                    # bins; the first from the minimum, the last up to the maximum included, so a
                    # mass of ties at either end stays in its bin); when fit dropped narrow bins
                    # (ties: a zero-inflated column), the kept edges' quantile ranks say each kept
                    # bin's share; an artifact without them (written before they were saved) has
                    # no PSI for the column (KS still, its bound widened)
                    lo, hi = float(state["bin_edges"][i][0]), float(state["bin_edges"][i][-1])
                    inner = [1.0 / n_bins] * n_bins if ranks is None else list(np.diff(ranks) / requested)
                    shares = [0.0, *inner, 0.0]  # below the minimum, ..., above the maximum
                    # counted as (a, b]: x < e is x <= the float below e
                    counted = [float(np.nextafter(e, -np.inf)) for e in (lo, *edges)] + [hi]
                    labels = [f"< {lo:.4g}", *(f"[{a:.4g}, {b:.4g})" for a, b in zip([lo, *edges], edges)),
                              f"[{([lo, *edges])[-1]:.4g}, {hi:.4g}]", f"> {hi:.4g}"]
                missing = state.get("n_missing", [None] * (i + 1))[i]
                out[col] = _Baseline(col, "numeric", rows, missing if rows else None, counted, shares, labels=labels,
                                     cdf=_kbins_cdf(d, i, col, rows))
            elif "mean" in state and "var" in state and state["mean"] is not None:
                var = state["var"][i]
                out[col] = _Baseline(col, "numeric", mean=float(state["mean"][i]),
                                     std=math.sqrt(var) if var is not None else None)
    return out


def _kbins_layout(d: dict, i: int) -> tuple[int, list | None]:
    """``(bins asked, kept edges' quantile ranks or None)`` of column ``i`` of a fitted
    ``KBinsDiscretizer``'s ``to_dict()`` (params and state decoded): the ranks are saved only
    when fit dropped narrow bins."""
    requested = d["params"].get("n_bins")
    requested = int(requested[i] if isinstance(requested, (list, tuple)) else requested)
    return requested, (d["state"].get("edge_ranks") or [None] * (i + 1))[i]


def _kbins_cdf(d: dict, i: int, col: str, rows) -> ReferenceCDF | None:
    """What a fitted ``KBinsDiscretizer(strategy="quantile")`` knows of its ``i``-th column's
    training CDF (None when it cannot say it with a bound).

    - ``sketch=True``: the saved KLL sketch's step CDF at its retained values, within its
      rank error bound (99%; exact at the minimum and maximum, which the sketch keeps);
    - exact edges: ``edges[m]`` is the ``m / n_bins`` percentile of the ``n`` valid values, which
      for every NumPy quantile method lies between order statistics that put ``F(edge) >= p -
      1/n`` and ``F(edge-) <= p + 1/n``; the first edge is the minimum, the last the maximum.
      Edges closer than 1e-8 were dropped in fit (scikit-learn's rule): with ``r`` of them gone
      the ``m``-th kept edge is the ``p``-quantile for some ``p`` in ``[m, m + r] / n_bins``;
    - edges of a ``subsample`` of the rows (drawn with replacement, when the data had more): the
      subsample's valid values are independent draws from the training values, so by the
      Dvoretzky-Kiefer-Wolfowitz inequality their CDF is within ``sqrt(ln(400) / (2 n_s))`` of
      the training one (99.5%), ``n_s`` the subsample's valid count, itself at least
      ``s (1 - missing share) - sqrt(s ln(200) / 2)`` (Hoeffding, 99.5%): 99% in all.

    A weighted fit's edges are weighted quantiles: the bound is not about the unweighted rows
    (the artifact does not record weights).
    """
    from tabprep.bin._sketch import KLLSketch, rank_error_bound

    state, params, tables = d["state"], d["params"], d.get("tables") or {}
    if "sketches" in tables:
        t = tables["sketches"]
        found = dict(zip(t.column("column").to_pylist(), t.column("sketch").to_pylist()))
        if col not in found:
            return None
        sk = KLLSketch.from_bytes(found[col])
        if not sk.n:
            return None
        values, cum = sk._weighted()
        points = np.union1d(values, [sk.min, sk.max])
        cum0 = np.concatenate([[0], cum]) / cum[-1]
        below = cum0[np.searchsorted(values, points, side="left")]
        at = cum0[np.searchsorted(values, points, side="right")]
        eps = rank_error_bound(sk.k)
        lo, hi = at - eps, below + eps
        hi[points == sk.min], lo[points == sk.max] = 0.0, 1.0
        return ReferenceCDF(points, below, at, lo, hi, levels=False)
    edges = np.asarray(state["bin_edges"][i], dtype=np.float64)
    missing = state.get("n_missing", [None] * (i + 1))[i]
    if not rows or missing is None or edges.size < 2 or not np.isfinite(edges).all() or rows - missing <= 0:
        return None  # no count of the values, a constant or empty column
    n_bins, ranks = _kbins_layout(d, i)
    kept = edges.size - 1
    if ranks is not None and len(ranks) == kept + 1:
        # the kept edges' quantile indices are known: edge j is the m_j / n_bins quantile, and
        # the dropped edges after it (m_j+1 .. m_j+1 - 1) were within 1e-8 of it (a mass of ties)
        m = np.asarray(ranks, dtype=np.float64)
        a = m / n_bins
        b = np.maximum(np.concatenate([m[1:] - 1, [n_bins]]) / n_bins, a)
        removed = 0 if ranks[-1] == n_bins else n_bins - ranks[-1]
    else:
        removed = max(n_bins - kept, 0)
        m = np.arange(kept + 1, dtype=np.float64)
        a, b = m / n_bins, np.minimum(m + removed, n_bins) / n_bins
    if ranks is None:
        a[0] = b[0] = 0.0  # the first edge is never dropped
    subsample = params.get("subsample")
    if subsample is not None and rows > subsample:
        n_sub = subsample * (1 - missing / rows) - math.sqrt(subsample * math.log(200.0) / 2)
        if n_sub < 1:
            return None
        slack = math.sqrt(math.log(400.0) / (2 * n_sub)) + 1 / n_sub
        return ReferenceCDF(edges, a, b, a - slack, b + slack)
    slack = 1 / (rows - missing)
    # with known ranks each edge IS the a-quantile, so F(t-) <= a (b, the top of a run of ties,
    # is sure only if the dropped edges equalled it exactly, not just within 1e-8)
    lo, hi = a - slack, (a if ranks is not None else b) + slack
    hi[0] = 0.0  # nothing below the minimum
    if removed == 0:
        lo[-1] = 1.0  # nothing above the maximum
    return ReferenceCDF(edges, a, b, lo, hi)


def _reference(reference):
    """``(baselines, label, rows)`` of a Profile, a FittedPipeline or a path to either."""
    from tabprep.pipeline import FittedPipeline
    from tabprep.validate._profile import FORMAT as PROFILE_FORMAT
    from tabprep.validate._profile import Profile, load_profile

    label = None
    if not isinstance(reference, (Profile, FittedPipeline)) and isinstance(reference, (str, Path)):
        path = Path(reference)
        label = str(path)
        try:
            fmt = json.loads((path / "manifest.json").read_text(encoding="utf-8")).get("format")
        except (OSError, ValueError, AttributeError):
            fmt = None
        if fmt == PROFILE_FORMAT:
            reference = load_profile(path)
        elif fmt == "tabprep.pipeline":
            from tabprep.pipeline import load

            reference = load(path)
        else:
            raise ConfigError("the drift reference must be a saved profile or a fitted pipeline artifact",
                              path=path, found=f"format {fmt!r}" if fmt else "no tabprep manifest.json",
                              hint="write one with 'tabprep profile DATA --save PROFILE' or 'tabprep fit'")
    if isinstance(reference, Profile):
        return _from_profile(reference), label or f"profile of {reference.source or 'data'}", reference.n_rows
    if isinstance(reference, FittedPipeline):
        return _from_pipeline(reference), label or "fitted pipeline", int(reference.lineage.get("rows") or 0)
    raise ConfigError("the drift reference must be a Profile, a FittedPipeline, or the path of a saved one",
                      found=type(reference).__name__)


# ---------------------------------------------------------------------------------------------
def drift(reference, data, *, thresholds: DriftThresholds | None = None) -> DriftReport:
    """Compare ``data`` with ``reference`` feature by feature (see the module docstring).

    Parameters
    ----------
    reference : Profile, FittedPipeline, or the path of a saved one
    data : table or path
    thresholds : DriftThresholds, optional

    Returns
    -------
    DriftReport

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from tabprep.validate import profile
    >>> rng = np.random.default_rng(0)
    >>> ref = profile(pl.DataFrame({"x": rng.normal(size=5000), "c": rng.choice(["a", "b"], 5000)}))
    >>> new = pl.DataFrame({"x": rng.normal(1.0, 1.0, 5000), "c": rng.choice(["a", "b"], 5000)})
    >>> report = drift(ref, new)
    >>> report.drifted_features, round(report.features["x"].ks, 2) > 0.3
    (['x'], True)
    """
    from tabprep.io._dispatch import as_table
    from tabprep.validate._profile import scan_profile

    thresholds = DriftThresholds() if thresholds is None else thresholds
    check_param(thresholds, [DriftThresholds], "thresholds", "drift")
    baselines, label, n_ref = _reference(reference)
    coerced = as_table(data, allow_path=True)
    source = str(data) if coerced.kind == "path" else None
    lf = coerced.lf
    schema = lf.collect_schema()
    used = {n: b for n, b in baselines.items() if n in schema}
    if not used:
        raise ConfigError("the data has none of the reference's columns", path=source,
                          found=f"reference columns {sorted(baselines)[:10]}, data columns {schema.names()[:10]}")
    edges = {n: b.edges for n, b in used.items() if b.edges is not None and (schema[n].is_numeric())}
    needs = {n: {"kll"} if b.kind == "numeric" and b.sketch is not None else {"frequent"} if b.kind == "categorical"
             else set() for n, b in used.items()}
    points = {n: np.unique(b.sample) for n, b in used.items() if b.sample is not None and b.sample.size
              and schema[n].is_numeric()}
    points |= {n: b.cdf.t for n, b in used.items() if b.cdf is not None and n not in points and schema[n].is_numeric()}
    for n in points:  # the exact KS replaces the sketch's
        needs[n] = needs[n] - {"kll"}
    current, counts = scan_profile(lf, params={"max_exact": 100_000, "top_k": 0, "bins": 20, "k": 200},
                                   source=source, edges=edges, columns=list(used), sketches_of=needs, points=points)
    features = {n: _compare(b, current.columns[n], counts.get(n), thresholds, counts) for n, b in used.items()}
    return DriftReport(features, thresholds, label, n_ref, current.n_rows, source)


def _compare(base: _Baseline, cur, bin_counts, th: DriftThresholds, bin_counts_all) -> FeatureDrift:
    f = FeatureDrift(base.column, base.kind)
    f.missing_current = cur.missing_share
    if base.missing is not None and base.rows:
        f.missing_reference = base.missing / base.rows
    else:
        f.missing_reference = float("nan")
    if base.kind == "numeric":
        if bin_counts is not None:
            cur_shares = _shares(bin_counts)
            f.psi = psi(base.shares, cur_shares)
            f.bins = base.labels or [f"<= {e:.4g}" for e in base.edges] + [f"> {base.edges[-1]:.4g}"]
            f.reference_shares, f.current_shares = list(map(float, base.shares)), cur_shares.tolist()
        if (base.column, "le") in bin_counts_all:
            le, lt = bin_counts_all[(base.column, "le")], bin_counts_all[(base.column, "lt")]
            n = int(bin_counts_all[(base.column, "n")][0])
            if base.sample is not None:
                f.ks = ks_from_counts(base.sample, le, lt, n)
                f.ks_error, f.ks_sample = 0.0, int(base.sample.size)
            elif n:
                f.ks, f.ks_error = ks_from_reference(base.cdf, le, lt, n)
        elif base.sketch is not None and cur.sketch is not None and cur.sketch.n:
            f.ks, f.ks_error = ks_from_sketches(base.sketch, cur.sketch, base.rank_error, cur.rank_error)
        if base.mean is not None and base.std and cur.mean is not None:
            f.mean_shift = abs(cur.mean - base.mean) / base.std
    else:
        keyed = {}
        if cur.frequent is not None:
            keyed = dict(zip(cur.frequent.frame["value"].to_list(), cur.frequent.frame["count"].to_list()))
        ref_cats = base.categories
        if any(c is None for c in ref_cats.values()):  # a vocabulary without counts (a target encoder)
            unseen = sum(v for k, v in keyed.items() if k not in ref_cats)
            total = sum(keyed.values())
            f.unseen_share = float(unseen / total) if total else 0.0
            return _verdict(f, th)
        cats = list(ref_cats)
        ref = np.array([ref_cats[c] for c in cats] + [0], dtype=np.float64)
        unseen = sum(v for k, v in keyed.items() if k not in ref_cats)
        now = np.array([keyed.get(c, 0) for c in cats] + [unseen], dtype=np.float64)
        n_ref = ref.sum()
        ref_shares = ref / n_ref if n_ref else ref
        ref_shares[-1] = 0.5 / n_ref if n_ref else 0.0
        ref_shares = ref_shares / ref_shares.sum()
        f.js = js_distance(ref, now)
        f.psi = psi(ref / n_ref if n_ref else ref, _shares(now))
        f.chi2, f.chi2_p = chi_square(ref_shares, now)
        f.unseen_share = float(unseen / now.sum()) if now.sum() else 0.0
        f.bins = [*cats, "(unseen)"]
        f.reference_shares, f.current_shares = _shares(ref).tolist(), _shares(now).tolist()
    return _verdict(f, th)


def _verdict(f: FeatureDrift, th: DriftThresholds) -> FeatureDrift:
    """``f`` with its reasons (each statistic at or beyond its threshold) and verdict."""
    checks = [("psi", f.psi, "PSI"), ("ks", None if f.ks is None else f.ks, "KS"), ("js", f.js, "JS"),
              ("unseen_share", f.unseen_share, "unseen values"), ("mean_shift", f.mean_shift, "mean shift"),
              ("missing_change", None if math.isnan(f.missing_reference) else f.missing_change, "missing share")]
    for key, value, text in checks:
        limit = getattr(th, key)
        if limit is not None and value is not None and value >= limit:
            f.reasons.append(f"{text} {value:.3g} >= {limit:g}")
    if th.chi2_p is not None and f.chi2_p is not None and f.chi2_p < th.chi2_p:
        f.reasons.append(f"chi-square p {f.chi2_p:.3g} < {th.chi2_p:g}")
    f.drifted = bool(f.reasons)
    return f
