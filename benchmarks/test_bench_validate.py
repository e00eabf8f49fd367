"""Validation, profiling and drift (issue 13) against the peers the issue names, same run.

The data: ``synthetic`` plus nine more float columns (20 columns, cached as Parquet).

- validate: 50 checks (``Contract.validate``, with the first 5 failing rows and values of every
  check) against pandera's Polars backend (``lazy=True``: every failure case, row by row), Great
  Expectations 1.x on pandas (``result_format="SUMMARY"``: counts and the first failing row
  indices; at most 1M rows: at 10M it runs for many minutes, the printed reason says so) and one
  hand-written Polars ``select`` of the failure counts only;
- profile: ours against ydata-profiling's minimal mode (``get_description()``: the statistics,
  no HTML) on a 100k-row sample, and against a naive Polars select with exact quantiles and an
  exact ``value_counts`` per non-float column on the whole data;
- drift: ours (a saved profile; the current data read once) against evidently's
  ``DataDriftPreset`` on the same pair (first half against the second half with ``num_0``
  scaled by 1.5) and a hand-written NumPy/SciPy PSI + KS + JS pass.

ydata-profiling and evidently cannot share tabprep's environment (ydata-profiling pins
numpy < 2.4 and pandas < 3; evidently 0.7.23 fails to import with pandas 3), so each runs in
its own venv, as a child process that times its own work after imports and reading
(``_validate_peer_child.py``; the case's ``extra_info["peer_seconds"]`` holds that time, the
pytest-benchmark time includes the child's start). Their venvs::

    python3.11 -m venv /tmp/peer-ydata && /tmp/peer-ydata/bin/pip install ydata-profiling polars pyarrow "setuptools<81"
    python3.11 -m venv /tmp/peer-evidently && /tmp/peer-evidently/bin/pip install evidently "pandas<3" polars pyarrow

(``TABPREP_PEER_YDATA`` / ``TABPREP_PEER_EVIDENTLY`` name other interpreters). A missing peer is
skipped with the reason printed. Each case checks its numbers against the hand-written one.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import polars as pl
import pytest

HERE = Path(__file__).resolve().parent
EXTRA = [f"num_{i}" for i in range(5, 14)]
NUM = [f"num_{i}" for i in range(5)] + EXTRA
CAT = ["cat_lo", "cat_hi"]
YDATA_ROWS = 100_000
GX_MAX_ROWS = 1_000_000


def peer_python(name: str) -> str | None:
    """The interpreter of a peer's own venv, or None (the case is then skipped)."""
    path = os.environ.get(f"TABPREP_PEER_{name.upper()}", f"/tmp/peer-{name}/bin/python")
    return path if Path(path).exists() else None


def run_peer(name: str, *args) -> dict:
    python = peer_python(name)
    if python is None:
        pytest.skip(f"{name} is not installed in its own venv (see the module docstring)")
    out = subprocess.run([python, str(HERE / "_validate_peer_child.py"), name, *map(str, args)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def wide_parquet(bench_rows, synthetic_parquet) -> Path:
    """``synthetic(rows)`` plus ``num_5`` .. ``num_13`` (floats, 5% nulls): 20 columns, cached
    beside the synthetic data."""
    from tabprep.io import atomic_path

    path = synthetic_parquet.parent / f"wide20-{bench_rows}-seed0.parquet"
    if not path.exists():
        rng = np.random.default_rng(1)
        df = pl.read_parquet(synthetic_parquet)
        extra = {}
        for i, name in enumerate(EXTRA):
            x = rng.normal(i, 1 + i, bench_rows) if i % 2 else rng.exponential(1 + i, bench_rows)
            x[rng.random(bench_rows) < 0.05] = np.nan
            extra[name] = pl.Series(name, x).fill_nan(None)
        with atomic_path(path) as tmp:
            df.with_columns(**extra).write_parquet(tmp)
    return path


@pytest.fixture(scope="session")
def wide_df(wide_parquet):
    return pl.read_parquet(wide_parquet).rechunk()


def _contract():
    """50 checks: per float column max_null_share, min, max (42); cat_lo allowed; cat_hi regex;
    y_bin nullable, min, max; group_id nullable, min; one custom SQL check."""
    from tabprep.validate import Column, Contract

    columns = {}
    for i, c in enumerate(NUM):
        columns[c] = Column(dtype="Float64", max_null_share=0.5, min=-50.0 - i, max=50.0 + i, levels={"max": "warn"})
    columns["cat_lo"] = Column(dtype="String", allowed=[f"level_{i:02d}" for i in range(15)])
    columns["cat_hi"] = Column(dtype="String", regex="[a-z_]+[0-9]+")
    columns["y_bin"] = Column(nullable=False, min=0, max=1)
    columns["group_id"] = Column(nullable=False, min=0)
    checks = {"c0": "num_0 < num_1 * 100 OR num_0 IS NULL OR num_1 IS NULL"}
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


def test_validate_tabprep(benchmark, pair, wide_df):
    pair(benchmark, "validate 50 checks", "tabprep (first 5 failing rows per check)", "ours")
    contract = _contract()
    report = benchmark(lambda: contract.validate(wide_df))
    counts = _ours_counts(report)
    assert len(counts) == 50 and counts == _hand_counts(wide_df, contract)
    assert all(len(r.rows) == min(5, r.failed) for r in report.failures if r.check != "max_null_share")


def test_validate_polars_one_select(benchmark, pair, wide_df):
    pair(benchmark, "validate 50 checks", "polars one select (counts only)", "peer")
    contract = _contract()
    counts = benchmark(lambda: _hand_counts(wide_df, contract))
    assert len(counts) == 50


def _pandera_schema(contract):
    import pandera.polars as pa

    columns = {}
    for name, rule in contract.columns.items():
        checks = []
        if rule.max_null_share is not None:
            share = rule.max_null_share
            checks.append(pa.Check(lambda d, share=share: d.lazyframe.select(pl.col(d.key).is_null().mean() <= share),
                                   name="max_null_share"))
        if rule.min is not None:
            checks.append(pa.Check.ge(rule.min))
        if rule.max is not None:
            checks.append(pa.Check.le(rule.max))
        if rule.allowed is not None:
            checks.append(pa.Check.isin(rule.allowed))
        if rule.regex is not None:
            checks.append(pa.Check.str_matches(f"^(?:{rule.regex})$"))
        columns[name] = pa.Column(None, nullable=rule.nullable, checks=checks)
    frame_checks = [pa.Check(lambda d, e=chk.expr: d.lazyframe.select(e.fill_null(True)), name=name)
                    for name, chk in contract.checks.items()]
    return pa.DataFrameSchema(columns, checks=frame_checks)


def test_validate_pandera_polars(benchmark, pair, wide_df):
    pa = pytest.importorskip("pandera.polars", reason="pandera[polars] is not installed (the `bench` extra)")
    pair(benchmark, "validate 50 checks", "pandera polars backend (lazy=True, every failure case)", "peer")
    schema = _pandera_schema(_contract())

    def run():
        try:
            schema.validate(wide_df, lazy=True)
        except pa.errors.SchemaErrors as exc:
            return exc.failure_cases
        return None

    cases = benchmark(run)
    assert cases is not None and cases.height > 0


def test_validate_great_expectations(benchmark, pair, wide_df):
    gx = pytest.importorskip("great_expectations", reason="great_expectations is not installed (the `bench` extra)")
    if wide_df.height > GX_MAX_ROWS:
        pytest.skip(f"Great Expectations is measured up to {GX_MAX_ROWS:,} rows (pandas; many minutes at 10M)")
    pair(benchmark, "validate 50 checks", "great_expectations 1.x pandas (SUMMARY)", "peer")
    contract = _contract()
    context = gx.get_context(mode="ephemeral")
    E = gx.expectations
    suite = gx.ExpectationSuite("bench")
    for name, rule in contract.columns.items():
        if not rule.nullable:
            suite.add_expectation(E.ExpectColumnValuesToNotBeNull(column=name))
        if rule.max_null_share is not None:
            suite.add_expectation(E.ExpectColumnValuesToNotBeNull(column=name, mostly=1 - rule.max_null_share))
        if rule.min is not None:
            suite.add_expectation(E.ExpectColumnValuesToBeBetween(column=name, min_value=rule.min))
        if rule.max is not None:
            suite.add_expectation(E.ExpectColumnValuesToBeBetween(column=name, max_value=rule.max))
        if rule.allowed is not None:
            suite.add_expectation(E.ExpectColumnValuesToBeInSet(column=name, value_set=rule.allowed))
        if rule.regex is not None:
            suite.add_expectation(E.ExpectColumnValuesToMatchRegex(column=name, regex=f"^(?:{rule.regex})$"))
    # the custom check num_0 < num_1 * 100, as a column pair expectation (no SQL on pandas)
    suite.add_expectation(E.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A="num_1", column_B="num_0", ignore_row_if="either_value_is_missing"))
    assert len(suite.expectations) == 50
    batch = (context.data_sources.add_pandas("bench").add_dataframe_asset("wide")
             .add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": wide_df.to_pandas()}))
    result = benchmark.pedantic(lambda: batch.validate(suite, result_format="SUMMARY"), rounds=1, iterations=1)
    assert len(result.results) == 50 and not result.success


# ---------------------------------------------------------------------------------------------
def test_profile_tabprep(benchmark, pair, wide_df):
    from tabprep.validate import profile

    pair(benchmark, "profile", "tabprep", "ours")
    p = benchmark(lambda: profile(wide_df))
    assert p.columns["num_0"].mean == pytest.approx(wide_df["num_0"].mean(), rel=1e-9)
    assert p.columns["cat_lo"].top[0][1] == wide_df["cat_lo"].value_counts(sort=True)["count"][0]


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


def test_profile_polars_naive(benchmark, pair, wide_df):
    pair(benchmark, "profile", "polars select + exact top-k", "peer")
    stats, tops = benchmark(lambda: _naive_profile(wide_df))
    assert stats["num_0:mean"][0] == pytest.approx(wide_df["num_0"].mean())


@pytest.fixture(scope="session")
def ydata_sample(wide_df, tmp_path_factory):
    """The first 100k rows (both profile the same rows), as a Parquet file for the child."""
    sample = wide_df.head(YDATA_ROWS)
    path = tmp_path_factory.mktemp("ydata") / "sample.parquet"
    sample.write_parquet(path)
    return sample, path


def test_profile_tabprep_100k(benchmark, pair, ydata_sample):
    from tabprep.validate import profile

    sample, _ = ydata_sample
    pair(benchmark, f"profile {len(sample) // 1000}k-row sample", "tabprep", "ours")
    p = benchmark(lambda: profile(sample))
    assert p.n_rows == sample.height


def test_profile_ydata_minimal_100k(benchmark, pair, ydata_sample):
    sample, path = ydata_sample
    pair(benchmark, f"profile {len(sample) // 1000}k-row sample", "ydata-profiling minimal (own venv)", "peer")
    out = benchmark.pedantic(lambda: run_peer("ydata", path), rounds=1, iterations=1)
    benchmark.extra_info["peer_seconds"] = out["seconds"]
    print(f"\nydata-profiling minimal, {sample.height:,} rows: {out['seconds']:.2f} s in the child")
    assert out["rows"] == sample.height and out["columns"] == sample.width


# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def drift_pair(wide_df, tmp_path_factory):
    from tabprep.validate import profile

    half = wide_df.height // 2
    ref, cur = wide_df.slice(0, half), wide_df.slice(half).with_columns(pl.col("num_0") * 1.5)
    folder = tmp_path_factory.mktemp("drift")
    path = profile(ref).save(folder / "ref")
    ref.write_parquet(folder / "ref.parquet")
    cur.write_parquet(folder / "cur.parquet")
    return ref, cur, path, folder


def test_drift_tabprep(benchmark, pair, drift_pair):
    from tabprep.validate import drift

    ref, cur, path, _ = drift_pair
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
    ref, cur, _, _ = drift_pair
    pair(benchmark, "drift", "numpy/scipy PSI+KS+JS (reads the reference)", "peer")
    out = benchmark.pedantic(lambda: _hand_drift(ref, cur), rounds=1, iterations=1)
    assert out["num_0"][1] > 0.05


def test_drift_evidently(benchmark, pair, drift_pair):
    ref, cur, _, folder = drift_pair
    if ref.height > 1_000_000:
        pytest.skip("evidently is measured up to 1M rows (half a million per side; ~75 s at 1M)")
    pair(benchmark, "drift", "evidently DataDriftPreset (own venv)", "peer")
    out = benchmark.pedantic(lambda: run_peer("evidently", folder / "ref.parquet", folder / "cur.parquet"),
                             rounds=1, iterations=1)
    benchmark.extra_info["peer_seconds"] = out["seconds"]
    print(f"\nevidently DataDriftPreset, {ref.height:,} + {cur.height:,} rows: {out['seconds']:.2f} s in the child;"
          f" drifted {out['drifted']}")
    assert "num_0" in out["drifted"]
