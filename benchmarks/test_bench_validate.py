"""Validation, profiling and drift (issue 13) against hand-written Polars/NumPy passes.

- validate: 50 checks over the synthetic table; ours (`Contract.validate`, with the first failing
  rows of every check) against one hand-written Polars `select` of the failure counts only;
- profile: ours (`profile`: exact statistics, KLL, HyperLogLog, Misra-Gries, one pass) against a
  naive Polars select of the same statistics with exact quantiles plus an exact `value_counts` per
  non-float column;
- drift: ours (`drift` of a saved profile) against a hand-written NumPy/SciPy PSI + KS + JS pass
  that also reads the reference data again.

The peers named in the issue (pandera, Great Expectations, ydata-profiling, evidently) are not
measured here: they are not installed in this environment (evidently 0.7.23 installs but does not
import with pandas 3). Each case checks its numbers against the hand-written one.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

NUM = [f"num_{i}" for i in range(5)]
CAT = ["cat_lo", "cat_hi"]


def _contract():
    from tabprep.validate import Column, Contract

    columns = {}
    for c in NUM:
        columns[c] = Column(dtype="Float64", max_null_share=0.5, min=-50.0, max=50.0, levels={"max": "warn"})
    columns["cat_lo"] = Column(dtype="String", nullable=False, allowed=[f"level_{i:02d}" for i in range(15)])
    columns["cat_hi"] = Column(dtype="String", regex="[a-z_]+[0-9]+")
    columns["y_bin"] = Column(nullable=False, min=0, max=1)
    columns["group_id"] = Column(nullable=False, min=0)
    checks = {f"c{i}": f"num_{i % 5} < {i}.5 OR num_{i % 5} IS NULL" for i in range(50 - 4 * 5 - 3 - 1 - 2 - 2)}
    return Contract(columns, checks=checks, min_rows=1)


def _hand_counts(df: pl.DataFrame, contract) -> list[int]:
    exprs = []
    for name, rule in contract.columns.items():
        c = pl.col(name)
        missing = (c.is_null() | c.is_nan()) if df.schema[name].is_float() else c.is_null()
        if not rule.nullable:
            exprs.append(missing.sum())
        if rule.max_null_share is not None:
            exprs.append(missing.sum())
        if rule.min is not None:
            exprs.append((~missing & (c < rule.min)).fill_null(False).sum())
        if rule.max is not None:
            exprs.append((~missing & (c > rule.max)).fill_null(False).sum())
        if rule.allowed is not None:
            exprs.append((~missing & ~c.is_in(rule.allowed)).sum())
        if rule.regex is not None:
            exprs.append((~missing & ~c.str.contains(f"^(?:{rule.regex})$")).fill_null(False).sum())
    exprs += [(~chk.expr).fill_null(False).sum() for chk in contract.checks.values()]
    return [int(v) for v in df.lazy().select([e.alias(f"e{i}") for i, e in enumerate(exprs)]).collect().row(0)]


def _ours_counts(report) -> list[int]:
    return [r.failed for r in report.results if r.check not in ("present", "dtype", "min_rows")]


def test_validate_tabprep(benchmark, pair, synthetic_df):
    pair(benchmark, "validate 50 checks", "tabprep (with failing rows)", "ours")
    contract = _contract()
    report = benchmark(lambda: contract.validate(synthetic_df))
    assert len(report.results) >= 50
    assert _ours_counts(report) == _hand_counts(synthetic_df, contract)


def test_validate_polars_one_select(benchmark, pair, synthetic_df):
    pair(benchmark, "validate 50 checks", "polars one select (counts only)", "peer")
    contract = _contract()
    counts = benchmark(lambda: _hand_counts(synthetic_df, contract))
    assert len(counts) >= 40


def test_profile_tabprep(benchmark, pair, synthetic_df):
    from tabprep.validate import profile

    pair(benchmark, "profile", "tabprep", "ours")
    p = benchmark(lambda: profile(synthetic_df))
    assert p.columns["num_0"].mean == pytest.approx(synthetic_df["num_0"].mean(), rel=1e-9)
    assert p.columns["cat_lo"].top[0][1] == synthetic_df["cat_lo"].value_counts(sort=True)["count"][0]


def _naive_profile(df: pl.DataFrame):
    exprs = []
    for c in df.columns:
        exprs += [pl.col(c).null_count().alias(f"{c}:nulls"), pl.col(c).n_unique().alias(f"{c}:distinct")]
        if df.schema[c].is_numeric():
            exprs += [pl.col(c).min().alias(f"{c}:min"), pl.col(c).max().alias(f"{c}:max"),
                      pl.col(c).mean().alias(f"{c}:mean"), pl.col(c).std().alias(f"{c}:std")]
            exprs += [pl.col(c).quantile(q).alias(f"{c}:q{q}") for q in (0.05, 0.25, 0.5, 0.75, 0.95)]
    stats = df.lazy().select(exprs).collect()
    tops = {c: df[c].value_counts(sort=True).head(10) for c in df.columns if not df.schema[c].is_float()}
    return stats, tops


def test_profile_polars_naive(benchmark, pair, synthetic_df):
    pair(benchmark, "profile", "polars select + exact top-k", "peer")
    stats, tops = benchmark(lambda: _naive_profile(synthetic_df))
    assert stats["num_0:mean"][0] == pytest.approx(synthetic_df["num_0"].mean())


@pytest.fixture(scope="module")
def drift_pair(synthetic_df, tmp_path_factory):
    from tabprep.validate import profile

    half = synthetic_df.height // 2
    ref, cur = synthetic_df.slice(0, half), synthetic_df.slice(half).with_columns(pl.col("num_0") * 1.5)
    path = profile(ref).save(tmp_path_factory.mktemp("drift") / "ref")
    return ref, cur, path


def test_drift_tabprep(benchmark, pair, drift_pair):
    from tabprep.validate import drift

    ref, cur, path = drift_pair
    pair(benchmark, "drift", "tabprep (saved profile)", "ours")
    report = benchmark(lambda: drift(path, cur))
    assert "num_0" in report.drifted_features


def _hand_drift(ref: pl.DataFrame, cur: pl.DataFrame) -> dict:
    from scipy.spatial.distance import jensenshannon
    from scipy.stats import ks_2samp

    out = {}
    for c in NUM:
        r = ref[c].drop_nulls().drop_nans().to_numpy()
        k = cur[c].drop_nulls().drop_nans().to_numpy()
        edges = np.unique(np.quantile(r, np.linspace(0, 1, 11)[1:-1]))
        rs = np.bincount(np.searchsorted(edges, r), minlength=edges.size + 1) / r.size
        cs = np.bincount(np.searchsorted(edges, k), minlength=edges.size + 1) / k.size
        rs, cs = np.maximum(rs, 1e-4), np.maximum(cs, 1e-4)
        out[c] = (float(np.sum((cs - rs) * np.log(cs / rs))), ks_2samp(r, k).statistic)
    for c in CAT:
        vr, vc = ref[c].value_counts(), cur[c].value_counts()
        joined = vr.join(vc, on=c, how="full", coalesce=True).fill_null(0)
        out[c] = jensenshannon(joined["count"].to_numpy(), joined["count_right"].to_numpy(), base=2)
    return out


def test_drift_hand_written(benchmark, pair, drift_pair):
    ref, cur, _ = drift_pair
    pair(benchmark, "drift", "numpy/scipy PSI+KS+JS (reads the reference)", "peer")
    out = benchmark(lambda: _hand_drift(ref, cur))
    assert out["num_0"][1] > 0.05
