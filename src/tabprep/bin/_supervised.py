"""SupervisedBinner: bins chosen to separate a binary or continuous target (optimal or tree).

Algorithm (per column):

1. **Pre-binning**: up to ``max_prebins`` (default 256) quantile pre-bins of the non-missing
   values (exact ``inverted_cdf`` quantiles by selection, so every edge is a data value; ties
   collapse, empty pre-bins are dropped), then one compiled pass accumulates per pre-bin the row
   count, target sum and sum of squares (``bin_target_stats``).
2. **Grouping** of consecutive pre-bins into at most ``max_bins`` bins of at least
   ``min_bin_size`` rows:

   - ``method="optimal"``: dynamic programming (compiled) that *maximizes exactly* the
     information value (binary target; WoE/IV exactly as :class:`~tabprep.encode.WOEEncoder`
     defines them, with its ``regularization``) or the between-bin sum of squares, i.e. the
     variance reduction (continuous target), over **all** groupings of the pre-bins that satisfy
     the size and monotonicity constraints. Optimality is relative to the pre-bin edges: bins
     are unions of pre-bins, so a finer optimum needs a larger ``max_prebins``.
   - ``method="tree"``: a best-first decision tree on the pre-bins (gini for binary targets,
     squared error for continuous ones; ``max_leaf_nodes=max_bins``,
     ``min_samples_leaf=min_bin_size``), the classic greedy approach (feature-engine's
     ``DecisionTreeDiscretiser``, scikit-learn trees). With a monotonic constraint, adjacent
     violating bins are then pooled (pool-adjacent-violators), which keeps the size constraint.

   ``monotonic`` constrains the per-bin target rate (mean of the target) to be non-decreasing
   (``"ascending"``) or non-increasing (``"descending"``); ``"auto"`` picks the direction with
   the better objective (optimal) or the sign of the pre-bin trend (tree).
3. Missing values (null/NaN) never enter the grouping: with ``handle_missing="bin"`` they form
   their own last bin (its row in ``bin_table_`` has ``is_missing=True``).

Feeding the WoE encoder: the output codes are Int32 categories (missing = the last code), so
``WOEEncoder().fit_transform(SupervisedBinner().fit_transform(X, y), y)`` -- or
``sklearn.pipeline.make_pipeline(SupervisedBinner(), WOEEncoder())``, which passes ``y`` to both
-- turns each column into the weight of evidence of its bin. ``WOEEncoder(regularization=r)``
fitted on the codes reproduces the ``woe`` column of ``bin_table_`` of
``SupervisedBinner(regularization=r)`` exactly; WOEEncoder adds out-of-fold cross fitting for the
training rows in ``fit_transform``; in a tabprep ``Pipeline`` the two chain the same way
(``Pipeline.fit_transform`` gives the WoE step's training rows out-of-fold values). The binner
itself fits on the planner's exact (buffered) path: one query over its input columns and the
target, no cross fitting.
"""

from __future__ import annotations

import json
import math
from functools import partial
from typing import ClassVar

import numpy as np

from tabprep.errors import DataError
from tabprep._base.params import Interval, Options
from tabprep._base.stats import explain_infinity, infinity_error, refuse_infinity, require_numeric
from tabprep._base.step import Step, register_step

__all__ = ["SupervisedBinner"]

_TARGET_TYPES = ("auto", "binary", "continuous")


# ---------------------------------------------------------------------------- fit helpers

def _encode_target(y, target_type: str):
    """(kind, float64 values, labels): binary targets become 0/1 (the larger label is the event)."""
    import polars as pl

    if y.null_count() or (y.dtype.is_float() and bool(y.is_nan().any())):
        raise DataError("the target has missing values", column=y.name, hint="drop or impute those rows first")
    if isinstance(y.dtype, (pl.Categorical, pl.Enum)):
        y = y.cast(pl.String)
    if not (y.dtype.is_numeric() or y.dtype in (pl.Boolean, pl.String)):
        raise DataError("the target must be numeric, boolean or two labels", column=y.name, found=str(y.dtype))
    uniques = y.unique().sort()
    binary = target_type == "binary" or (target_type == "auto" and uniques.len() == 2)
    if binary:
        if uniques.len() != 2:
            raise DataError("a binary target needs exactly two classes", column=y.name,
                            found=f"{uniques.len()} distinct value(s)", hint="use target_type='continuous'")
        values = (y == uniques[1]).cast(pl.Float64).to_numpy()
        return "binary", np.ascontiguousarray(values), uniques.to_list()
    if not (y.dtype.is_numeric() or y.dtype == pl.Boolean):
        raise DataError("a continuous target must be numeric", column=y.name, found=str(y.dtype))
    return "continuous", np.ascontiguousarray(y.cast(pl.Float64).to_numpy()), []


def _prebin(x, y: np.ndarray, max_prebins: int) -> dict:
    """Pre-bin edges and per-pre-bin (count, sum, sum of squares) of one column; missing last."""
    from tabprep.kernels._binning import bin_target_stats, column_buffers, percentiles

    col = column_buffers(x)
    n_valid, q = percentiles(col, np.linspace(0, 100, max_prebins + 1), "inverted_cdf", dtype=np.float64)
    inner = np.unique(q[1:-1]) if n_valid else np.empty(0)
    counts, sums, sumsq = bin_target_stats(col, inner, y)
    P = inner.size + 1
    # drop empty pre-bins: pre-bin i >= 1 loses its left edge inner[i - 1] when it, or every
    # pre-bin before it, is empty (it then merges into its left neighbour or the first bin)
    seen = np.cumsum(counts[:P]) > 0
    keep = (counts[1:P] > 0) & seen[:-1]
    group = np.concatenate([[0], np.cumsum(keep)])  # new pre-bin of each old one
    new_p = int(group[-1]) + 1
    agg = [np.bincount(group, weights=a[:P].astype(np.float64), minlength=new_p) for a in (counts, sums, sumsq)]
    return {
        "n_valid": int(n_valid),
        "min": float(q[0]) if n_valid else math.nan,
        "max": float(q[-1]) if n_valid else math.nan,
        "edges": inner[keep].tolist(),
        "counts": agg[0].astype(np.int64).tolist(),
        "sums": agg[1].tolist(),
        "sumsq": agg[2].tolist(),
        "missing": [int(counts[-1]), float(sums[-1]), float(sumsq[-1])],
    }


def _fit_all(s, *, columns, target, target_type, max_prebins):
    """Everything the fit needs from the data, as one JSON string (floats repr-exact)."""
    import polars as pl

    kind, y, labels = _encode_target(s.struct.field(target), target_type)
    out = {"kind": kind, "labels": labels,
           "columns": {c: _prebin(s.struct.field(c), y, max_prebins) for c in columns}}
    return pl.Series([json.dumps(out, allow_nan=True)], dtype=pl.String)


def _score(counts, sums, sumsq, kind, totals, reg) -> np.ndarray:
    """Per-bin objective terms: IV (binary) or sum^2/count (continuous; 0 for empty bins)."""
    counts = np.asarray(counts, dtype=np.float64)
    sums = np.asarray(sums, dtype=np.float64)
    if kind == "binary":
        woe, iv = _woe_iv(counts, sums, totals, reg)
        return iv
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums * sums / counts, 0.0)


def _woe_iv(counts, events, totals, reg):
    """WOEEncoder's WoE and IV terms per bin; empty bins get 0 (no evidence)."""
    E, Q = totals
    counts = np.asarray(counts, dtype=np.float64)
    e = np.asarray(events, dtype=np.float64)
    q = counts - e
    woe = np.log(((e + reg) / (E + 2 * reg)) / ((q + reg) / (Q + 2 * reg)))
    iv = (e / E - q / Q) * woe
    empty = counts == 0
    return np.where(empty, 0.0, woe), np.where(empty, 0.0, iv)


def _tree_cuts(counts, sums, sumsq, kind, max_bins, min_count) -> list[int]:
    """Best-first splitting of pre-bins (gini / squared error), like a tree with max_leaf_nodes."""
    c = np.concatenate([[0.0], np.cumsum(counts)])
    s = np.concatenate([[0.0], np.cumsum(sums)])
    s2 = np.concatenate([[0.0], np.cumsum(sumsq)])

    def impurity(a, b):
        n = c[b] - c[a]
        if n <= 0:
            return 0.0
        if kind == "binary":
            p = (s[b] - s[a]) / n
            return n * 2.0 * p * (1.0 - p)
        return (s2[b] - s2[a]) - (s[b] - s[a]) ** 2 / n

    def best_split(a, b):
        best = (0.0, None)
        parent = impurity(a, b)
        for t in range(a + 1, b):
            if c[t] - c[a] < min_count or c[b] - c[t] < min_count:
                continue
            gain = parent - impurity(a, t) - impurity(t, b)
            if gain > best[0] + 1e-12 * max(1.0, abs(parent)):
                best = (gain, t)
        return best

    leaves = [(0, len(counts))]
    cand = {leaves[0]: best_split(*leaves[0])}
    while len(leaves) < max_bins:
        leaf = max(leaves, key=lambda lf: (cand[lf][0], -lf[0]))
        gain, t = cand[leaf]
        if t is None:
            break
        leaves.remove(leaf)
        for new in ((leaf[0], t), (t, leaf[1])):
            leaves.append(new)
            cand[new] = best_split(*new)
    return sorted({a for a, _ in leaves} | {len(counts)})


def _pool_violators(cuts, counts, sums, direction: int) -> list[int]:
    """Merge adjacent groups until their means are monotone in ``direction`` (+1 / -1)."""
    cuts = list(cuts)
    c = np.concatenate([[0.0], np.cumsum(counts)])
    s = np.concatenate([[0.0], np.cumsum(sums)])
    while True:
        means = [(s[b] - s[a]) / (c[b] - c[a]) for a, b in zip(cuts[:-1], cuts[1:])]
        bad = [i for i in range(len(means) - 1) if direction * (means[i + 1] - means[i]) < 0]
        if not bad:
            return cuts
        del cuts[bad[0] + 1]


def _trend(counts, sums) -> int:
    """Sign of the weighted slope of the pre-bin means against their order (+1 if flat)."""
    counts = np.asarray(counts, dtype=np.float64)
    sums = np.asarray(sums, dtype=np.float64)
    w = counts / counts.sum()
    idx = np.arange(counts.size, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / counts, 0.0)
    cov = float(np.sum(w * (idx - np.sum(w * idx)) * (mean - np.sum(w * mean))))
    return -1 if cov < 0 else 1


# ---------------------------------------------------------------------------- transform helper

def _codes_column(s, *, inner, n_bins: int, missing: str, name: str):
    import polars as pl

    from tabprep.kernels._binning import bin_codes, column_buffers

    out, n_missing = bin_codes(column_buffers(s), inner, dtype=np.int32,
                               missing=n_bins if missing == "bin" else -1, return_missing=True)
    if n_missing and missing == "error":
        raise DataError("missing values (null or NaN) at transform time", column=name,
                        found=f"{n_missing} missing in a batch",
                        hint="impute them first or use handle_missing='bin' or 'null'")
    result = pl.Series(s.name, out)
    if n_missing and missing == "null":
        result = result.scatter(np.flatnonzero(out == -1), None)
    return result


# ---------------------------------------------------------------------------- the step

@register_step
class SupervisedBinner(Step):
    """Bin numeric columns to separate a binary or continuous target (optimal DP or tree).

    See the module documentation for the algorithm and what "optimal" guarantees.

    Parameters
    ----------
    method : {"optimal", "tree"}, default="optimal"
    target_type : {"auto", "binary", "continuous"}, default="auto"
        ``auto``: binary when the target has exactly two distinct values (the larger one is the
        event), continuous otherwise.
    max_bins : int >= 2, default=10
    min_bin_size : int >= 1 or float in (0, 0.5], default=0.05
        Minimum rows per bin: a count, or a fraction of the column's non-missing rows.
    monotonic : {None, "ascending", "descending", "auto"}, default=None
        Constraint on the per-bin target rate (event rate or mean).
    max_prebins : int in [2, 1024], default=256
    regularization : float > 0, default=1.0
        WoE smoothing, as :class:`~tabprep.encode.WOEEncoder` (binary targets).
    handle_missing : {"bin", "null", "error"}, default="bin"
        Missing values at transform: their own last bin ``n_bins_`` (``"bin"``), a null, or a
        :class:`~tabprep.errors.DataError`.

    Attributes
    ----------
    bin_edges_ : ndarray of ndarray
        ``[min, inner edges..., max]`` per column (``x`` goes to bin ``#inner edges <= x``).
    n_bins_ : ndarray of int64
        Bins per column (the missing bin not counted).
    bin_table_ : polars.DataFrame
        One row per bin and column (missing bin last, ``is_missing``): ``column, bin, lower,
        upper, count, count_share`` and, for a binary target, ``events, non_events, event_rate,
        woe, iv``; for a continuous target ``sum, mean, std``.
    iv_ : ndarray of float64
        Information value per column (sum of the ``iv`` column; NaN for a continuous target).
    target_type_ : str
    classes_ : list
        The two target labels (binary), event last.
    monotonic_ : list of str or None
        The direction used per column ("ascending"/"descending"), None without constraint.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from tabprep.bin import SupervisedBinner
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=2000)
    >>> y = (rng.random(2000) < 1 / (1 + np.exp(-2 * x))).astype(int)
    >>> sb = SupervisedBinner(max_bins=4, monotonic="ascending").fit(pl.DataFrame({"x": x}), y)
    >>> sb.n_bins_.tolist(), bool(np.all(np.diff(sb.bin_table_.filter(~pl.col("is_missing"))["event_rate"]) >= 0))
    ([4], True)
    >>> round(float(sb.iv_[0]), 3) > 0.5
    True
    """

    uses_target: ClassVar[bool] = True
    mergeable: ClassVar[bool] = False
    _parameter_constraints: ClassVar[dict] = {
        "method": [Options(("optimal", "tree"))],
        "target_type": [Options(_TARGET_TYPES)],
        "max_bins": [Interval(int, 2, None)],
        "min_bin_size": [Interval(int, 1, None), Interval(float, 0, 0.5, closed="right")],
        "monotonic": [Options(("ascending", "descending", "auto")), None],
        "max_prebins": [Interval(int, 2, 1024)],
        "regularization": [Interval(float, 0, None, closed="neither")],
        "handle_missing": [Options(("bin", "null", "error"))],
    }

    def __init__(self, method="optimal", *, target_type="auto", max_bins=10, min_bin_size=0.05, monotonic=None,
                 max_prebins=256, regularization=1.0, handle_missing="bin"):
        self.method = method
        self.target_type = target_type
        self.max_bins = max_bins
        self.min_bin_size = min_bin_size
        self.monotonic = monotonic
        self.max_prebins = max_prebins
        self.regularization = regularization
        self.handle_missing = handle_missing

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.transformer_tags.preserves_dtype = []
        return tags

    # ------------------------------------------------------------------ fit
    def fit_exprs(self, schema, columns, target):
        import polars as pl

        if target is None:
            raise DataError(f"{type(self).__name__} requires y to be passed, but the target y is None",
                            hint="pass y to fit, or target= to Pipeline.fit")
        require_numeric(self, schema, columns)
        if schema[target] == pl.Object:
            raise DataError("Unknown label type: the target holds Python objects", column=target,
                            hint="give the target a numeric, boolean or string dtype")
        fn = partial(_fit_all, columns=list(columns), target=target, target_type=self.target_type,
                     max_prebins=int(self.max_prebins))
        return {"fit:all": pl.struct([*columns, target]).map_batches(fn, return_dtype=pl.String, returns_scalar=True)}

    def _min_count(self, n_valid: int) -> int:
        if isinstance(self.min_bin_size, (int, np.integer)) and not isinstance(self.min_bin_size, bool):
            return int(self.min_bin_size)
        return max(1, int(math.ceil(float(self.min_bin_size) * n_valid)))

    def _group(self, st, kind, totals):
        """Cut positions over the pre-bins, and the direction used (+1/-1/0)."""
        from tabprep.kernels._binning import optimal_partition

        counts = np.asarray(st["counts"], dtype=np.float64)
        sums = np.asarray(st["sums"], dtype=np.float64)
        sumsq = np.asarray(st["sumsq"], dtype=np.float64)
        P = counts.size
        min_count = self._min_count(st["n_valid"])
        if st["n_valid"] < 2 * min_count or P == 1:
            return [0, P], 0
        directions = {None: [0], "ascending": [1], "descending": [-1], "auto": [1, -1]}[self.monotonic]
        if self.method == "tree":
            cuts = _tree_cuts(counts, sums, sumsq, kind, int(self.max_bins), min_count)
            if self.monotonic is None:
                return cuts, 0
            d = _trend(counts, sums) if self.monotonic == "auto" else directions[0]
            return _pool_violators(cuts, counts, sums, d), d
        objective = 0 if kind == "binary" else 1
        best = None
        for d in directions:
            cuts = optimal_partition(counts, sums, int(self.max_bins), float(min_count), d, objective,
                                        float(totals[0]), float(totals[1]), float(self.regularization))
            if cuts is None:
                continue
            agg = [np.add.reduceat(a, cuts[:-1]) for a in (counts, sums, sumsq)]
            score = float(_score(*agg, kind, totals, float(self.regularization)).sum())
            if best is None or score > best[0] + 1e-12 * max(1.0, abs(best[0])):
                best = (score, [int(v) for v in cuts], d)
        if best is None:
            return [0, P], 0
        return best[1], best[2]

    def _finalize(self, stats, schema, columns):
        import polars as pl

        fit = json.loads(stats["fit:all"])
        kind = fit["kind"]
        self.target_type_ = kind
        self.classes_ = fit["labels"]
        reg = float(self.regularization)
        edges_out = np.zeros(len(columns), dtype=object)
        n_bins, ivs, directions, rows = [], [], [], []
        for c in columns:
            st = fit["columns"][c]
            if st["n_valid"] and not (math.isfinite(st["min"]) and math.isfinite(st["max"])):
                raise infinity_error(type(self).__name__, c)  # (as scikit-learn's trees refuse it)
            miss = st["missing"]
            n_total = st["n_valid"] + miss[0]
            if kind == "binary":
                events = float(np.sum(st["sums"]) + miss[1])
                totals = (events, n_total - events)
            else:
                totals = (math.nan, math.nan)
            cuts, d = self._group(st, kind, totals)
            inner = np.asarray(st["edges"], dtype=np.float64)[np.asarray(cuts[1:-1], dtype=np.int64) - 1] \
                if len(cuts) > 2 else np.empty(0)
            if st["n_valid"] == 0:
                edges_out[len(n_bins)] = np.array([-np.inf, np.inf])
            else:
                edges_out[len(n_bins)] = np.concatenate([[st["min"]], inner, [st["max"]]])
            nb = len(cuts) - 1
            n_bins.append(nb)
            directions.append(None if self.monotonic is None else ("ascending" if d >= 0 else "descending"))
            # per-bin statistics, the missing bin last
            agg = [np.add.reduceat(np.asarray(st[k], dtype=np.float64), cuts[:-1]) for k in ("counts", "sums", "sumsq")]
            cnt = np.append(agg[0], miss[0])
            sm = np.append(agg[1], miss[1])
            sq = np.append(agg[2], miss[2])
            lower = np.concatenate([[-np.inf], inner, [np.nan]])
            upper = np.concatenate([inner, [np.inf], [np.nan]])
            table = {
                "column": [c] * (nb + 1),
                "bin": list(range(nb + 1)),
                "is_missing": [False] * nb + [True],
                "lower": lower.tolist(),
                "upper": upper.tolist(),
                "count": cnt.astype(np.int64).tolist(),
                "count_share": (cnt / n_total if n_total else np.zeros_like(cnt)).tolist(),
            }
            if kind == "binary":
                woe, iv = _woe_iv(cnt, sm, totals, reg)
                with np.errstate(invalid="ignore", divide="ignore"):
                    rate = np.where(cnt > 0, sm / np.maximum(cnt, 1), np.nan)
                table.update({"events": sm.astype(np.int64).tolist(), "non_events": (cnt - sm).astype(np.int64).tolist(),
                              "event_rate": rate.tolist(), "woe": woe.tolist(), "iv": iv.tolist()})
                ivs.append(float(iv.sum()))
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    mean = np.where(cnt > 0, sm / np.maximum(cnt, 1), np.nan)
                    var = np.where(cnt > 0, np.maximum(sq / np.maximum(cnt, 1) - mean * mean, 0.0), np.nan)
                table.update({"sum": sm.tolist(), "mean": mean.tolist(), "std": np.sqrt(var).tolist()})
                ivs.append(math.nan)
            rows.append(pl.DataFrame(table).with_columns(pl.col("lower", "upper").fill_nan(None)))
        self.bin_edges_ = edges_out
        self.n_bins_ = np.asarray(n_bins, dtype=np.int64)
        self.iv_ = np.asarray(ivs, dtype=np.float64)
        self.monotonic_ = directions
        self.bin_table_ = pl.concat(rows) if rows else pl.DataFrame()

    # ------------------------------------------------------------------ transform
    def _names_out(self, names):
        return list(names)

    def planned_output_schema(self, schema, columns):
        import polars as pl

        require_numeric(self, schema, columns)
        return {c: pl.Int32 for c in columns}

    def transform_exprs(self, schema):
        import polars as pl

        exprs = []
        for j, c in enumerate(self._input_names()):
            inner = np.ascontiguousarray(np.asarray(self.bin_edges_[j], dtype=np.float64)[1:-1])
            fn = partial(_codes_column, inner=inner, n_bins=int(self.n_bins_[j]), missing=self.handle_missing, name=c)
            source = refuse_infinity(pl.col(c), self, c, schema[c])  # not put in an end bin
            exprs.append(source.map_batches(fn, return_dtype=pl.Int32, is_elementwise=True).alias(c))
        return exprs

    def explain_failure(self, lf, schema):
        return explain_infinity(self, lf, schema, [c for c in self._input_names() if c in schema])

    # ------------------------------------------------------------------ serialization
    def _get_state(self):
        return {
            "bin_edges": [np.asarray(e, dtype=np.float64).tolist() for e in self.bin_edges_],
            "n_bins": [int(v) for v in self.n_bins_],
            "iv": [float(v) for v in self.iv_],
            "target_type": self.target_type_,
            "classes": list(self.classes_),
            "monotonic": list(self.monotonic_),
        }

    def _get_tables(self):
        return {"bin_table": self.bin_table_.to_arrow()}

    def _set_state(self, state, tables):
        import polars as pl

        edges = np.zeros(len(state["bin_edges"]), dtype=object)
        for j, e in enumerate(state["bin_edges"]):
            edges[j] = np.asarray(e, dtype=np.float64)
        self.bin_edges_ = edges
        self.n_bins_ = np.asarray(state["n_bins"], dtype=np.int64)
        self.iv_ = np.asarray(state["iv"], dtype=np.float64)
        self.target_type_ = state["target_type"]
        self.classes_ = list(state["classes"])
        self.monotonic_ = list(state["monotonic"])
        if "bin_table" not in tables:
            raise ValueError("the bin_table table is missing")
        self.bin_table_ = pl.from_arrow(tables["bin_table"])
        if len(edges) != len(self.n_bins_) or any(len(e) != nb + 1 for e, nb in zip(edges, self.n_bins_)):
            raise ValueError("bin_edges and n_bins disagree")
