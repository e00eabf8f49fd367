"""The whole job, file to matrix: one pipeline fitted and applied, then a float32 C matrix.

The job, on ``synthetic(n, seed=0)`` (the cached Parquet file): median imputation + standard
scaling of ``num_0``..``num_3``, 32 exact quantile bins (ordinal) of ``num_4`` (5% missing, kept
missing), one-hot of ``cat_lo`` (20 levels), 5-fold out-of-fold target encoding of ``cat_hi``
with the target ``y_bin`` (shuffled, seed 0) -> one float32 C-ordered matrix of the 26 features.

Groups:

- ``pipeline file->float32 matrix (26 features)``: the read is timed.
  ours: ``Pipeline.fit_transform(tabprep.scan(path), target="y_bin")`` + ``to_numpy(...,
  dtype=np.float32)`` (``lineage=False``: the peers do not fingerprint their training data);
  peers: scikit-learn ``ColumnTransformer`` with the same steps (``pd.read_parquet`` of the
  columns it needs, ``KBinsDiscretizer(subsample=None)``, ``TargetEncoder(cv=StratifiedKFold(5,
  shuffle=True, random_state=0))``: what ``cv=5, shuffle=True, random_state=0`` means for a
  binary target, in the form scikit-learn 1.9 wants; goal: ours >= 15x faster); polars-ds
  ``Blueprint`` (impute, scale, one-hot, target encoding *in-sample*, so it does less) with
  Polars ``bin_quantiles`` for the bins (``qcut`` is deprecated in Polars 2.1 and its
  categorical's codes are not the bin numbers); hand-written Polars expressions (in-sample
  smoothed target mean, ``bin_quantiles``).
- ``pipeline frame->float32 matrix (26 features)``: the same from frames already in memory (a
  Polars DataFrame for ours, a pandas DataFrame for scikit-learn).
- ``pipeline_process file->float32 matrix``: each case in a fresh interpreter (start-up and
  imports included); ``peak_rss_mb`` is that process's own high-water mark (``VmHWM``; Linux).
  ``benchmarks/pipeline_table.py`` runs the same cases (and the in-memory one) outside pytest,
  interleaved, under ``/usr/bin/time -v``, and prints the issue's table.
- ``demo pipeline (flights train rows)``: the pipeline of ``tabprep demo`` (bundled spec: impute,
  clip, scale, 8 quantile bins one-hot, one-hot, target encoding of two columns) fitted with
  ``fit_transform`` on the demo's train rows (in memory) + the float32 matrix, vs the equivalent
  scikit-learn ``ColumnTransformer``.

scikit-learn's ``KBinsDiscretizer`` refuses missing values, so its bins here come from a thin
wrapper that bins the observed values and keeps NaN (what ours does by default,
``handle_missing="null"``); the demo's ``Clipper`` has no scikit-learn counterpart and gets a
ten-line ``np.quantile`` + ``np.clip`` transformer.

Checks: every case's shape (rows x 26, float32, C order). Up to ``REFERENCE_MAX_ROWS`` rows the
numbers are compared with scikit-learn's (float64, outside the timing): ours to 1e-9 where the
operations coincide (imputation, scaling, bins, one-hot), the target encoding loosely (other
folds); the Polars peers' scaled and one-hot columns to float32 precision, their bins (another
quantile definition) within one bin.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import polars as pl
import pytest

NUM = [f"num_{i}" for i in range(4)]
BINNED = "num_4"
COLUMNS = [*NUM, BINNED, "cat_lo", "cat_hi", "y_bin"]  # what the job reads
N_BINS = 32
N_FEATURES = len(NUM) + 1 + 20 + 1
SMOOTH = 10.0  # the hand-written Polars peer's m-estimate
ROUNDS = 3
REFERENCE_MAX_ROWS = 2_000_000  # the float64 reference costs a scikit-learn run: not at 10M

OP_FILE = f"pipeline file->float32 matrix ({N_FEATURES} features)"
OP_FRAME = f"pipeline frame->float32 matrix ({N_FEATURES} features)"
OP_PROCESS = "pipeline_process file->float32 matrix"
OP_DEMO = "demo pipeline (flights train rows)"


# ------------------------------------------------------------------------------ the cases
def tabprep_pipeline():
    from tabprep import Pipeline
    from tabprep.bin import KBinsDiscretizer
    from tabprep.clean import SimpleImputer
    from tabprep.encode import OneHotEncoder, TargetEncoder
    from tabprep.scale import StandardScaler

    return Pipeline([
        ("impute", SimpleImputer(strategy="median"), NUM),
        ("scale", StandardScaler(), NUM),
        ("bins", KBinsDiscretizer(n_bins=N_BINS, encode="ordinal", strategy="quantile", subsample=None), [BINNED]),
        ("onehot", OneHotEncoder(), ["cat_lo"]),
        ("target", TargetEncoder(cv=5, shuffle=True, random_state=0), ["cat_hi"]),
    ])


def run_tabprep(data, dtype=np.float32):
    """``(feature names, matrix)`` from a path/LazyFrame/DataFrame."""
    from tabprep.handoff import to_numpy

    fitted, out = tabprep_pipeline().fit_transform(data, target="y_bin", lineage=False)
    return fitted.feature_columns, to_numpy(out, fitted.feature_columns, dtype=dtype)


def run_tabprep_file(path, dtype=np.float32):
    import tabprep

    return run_tabprep(tabprep.scan(path), dtype)


@functools.cache
def _sklearn_classes():
    """The two small scikit-learn transformers the peers need, defined on first use (so the
    Polars peer's process does not pay for importing scikit-learn)."""
    from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin

    class ObservedBins(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
        """scikit-learn's exact quantile ``KBinsDiscretizer`` on the observed values; NaN stays NaN
        (scikit-learn's own refuses missing values)."""

        def __init__(self, n_bins=N_BINS):
            self.n_bins = n_bins

        def fit(self, X, y=None):
            from sklearn.preprocessing import KBinsDiscretizer

            x = np.asarray(X, dtype=np.float64)
            self.n_features_in_ = x.shape[1]
            if hasattr(X, "columns"):
                self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            self.kbins_ = [KBinsDiscretizer(self.n_bins, encode="ordinal", strategy="quantile", subsample=None)
                           .fit(x[~np.isnan(x[:, j]), j:j + 1]) for j in range(x.shape[1])]
            return self

        def transform(self, X):
            x = np.asarray(X, dtype=np.float64)
            out = np.full(x.shape, np.nan)
            for j, kb in enumerate(self.kbins_):
                seen = ~np.isnan(x[:, j])
                out[seen, j] = kb.transform(x[seen, j:j + 1])[:, 0]
            return out

    class QuantileClipper(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
        """Clip each column to its ``q_low``/``q_high`` quantiles (NumPy's linear method)."""

        def __init__(self, q_low=0.01, q_high=0.99):
            self.q_low = q_low
            self.q_high = q_high

        def fit(self, X, y=None):
            x = np.asarray(X, dtype=np.float64)
            self.n_features_in_ = x.shape[1]
            if hasattr(X, "columns"):
                self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            self.lower_, self.upper_ = np.nanquantile(x, [self.q_low, self.q_high], axis=0)
            return self

        def transform(self, X):
            return np.clip(np.asarray(X, dtype=np.float64), self.lower_, self.upper_)

    return ObservedBins, QuantileClipper


def _folds():
    # TargetEncoder(cv=5, shuffle=True, random_state=0) for a binary target, in the form
    # scikit-learn 1.9 asks for (its shuffle/random_state parameters are deprecated)
    from sklearn.model_selection import StratifiedKFold

    return StratifiedKFold(5, shuffle=True, random_state=0)


def sklearn_transformer():
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder

    # sparse_threshold=0: one dense matrix, like ours (the 20 one-hot columns would otherwise make
    # the whole output sparse)
    return ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), NUM),
        ("bins", _sklearn_classes()[0](N_BINS), [BINNED]),
        ("onehot", OneHotEncoder(sparse_output=False), ["cat_lo"]),
        ("target", TargetEncoder(cv=_folds()), ["cat_hi"]),
    ], sparse_threshold=0, verbose_feature_names_out=False)


def run_sklearn(frame, dtype=np.float32):
    ct = sklearn_transformer()
    X = ct.fit_transform(frame, frame["y_bin"])
    return list(ct.get_feature_names_out()), np.ascontiguousarray(X, dtype=dtype)


def run_sklearn_file(path, dtype=np.float32):
    import pandas as pd

    return run_sklearn(pd.read_parquet(path, columns=COLUMNS), dtype)


def run_polars_ds(df):
    from polars_ds.pipeline import Blueprint

    # its target encoder panics on an Int8 target ("cannot create series from Int8")
    df = df.with_columns(pl.col("y_bin").cast(pl.Float64))
    blueprint = (Blueprint(df, name="bench", target="y_bin")
                 .impute(NUM, method="median")
                 .scale(NUM, method="standard")
                 .one_hot_encode(["cat_lo"])
                 .target_encode(["cat_hi"], target="y_bin")
                 .with_columns(pl.col(BINNED).bin_quantiles(N_BINS, labels=False)))
    out = blueprint.materialize().transform(df)
    names = [c for c in out.columns if c != "y_bin"]
    return names, out.select(pl.col(names).cast(pl.Float32)).to_numpy(order="c")


def run_polars_ds_file(path):
    return run_polars_ds(pl.read_parquet(path, columns=COLUMNS))


def run_polars(df):
    prior = df["y_bin"].mean()
    medians = df.select(pl.col(NUM).median()).row(0)
    filled = [pl.col(c).fill_null(m) for c, m in zip(NUM, medians)]
    stats = df.select([e.mean().alias(f"m{i}") for i, e in enumerate(filled)]
                      + [e.std(ddof=0).alias(f"s{i}") for i, e in enumerate(filled)]).row(0)
    k = len(NUM)
    levels = df["cat_lo"].unique().sort().to_list()
    target = (pl.col("y_bin").sum().over("cat_hi") + SMOOTH * prior) / (pl.len().over("cat_hi") + SMOOTH)
    out = df.select(
        *[((e - stats[i]) / stats[k + i]).alias(c) for i, (c, e) in enumerate(zip(NUM, filled))],
        pl.col(BINNED).bin_quantiles(N_BINS, labels=False),
        *[(pl.col("cat_lo") == v).alias(f"cat_lo_{v}") for v in levels],
        target.alias("cat_hi"),
    )
    return out.columns, out.select(pl.all().cast(pl.Float32)).to_numpy(order="c")


def run_polars_file(path):
    return run_polars(pl.read_parquet(path, columns=COLUMNS))


FILE_CASES = {"tabprep": run_tabprep_file, "sklearn": run_sklearn_file, "polars": run_polars_file,
              "polars-ds": run_polars_ds_file}


# ------------------------------------------------------------------------------ checks
@pytest.fixture(scope="module")
def pandas_frame(synthetic_parquet):
    import pandas as pd

    return pd.read_parquet(synthetic_parquet, columns=COLUMNS)


@pytest.fixture(scope="module")
def reference(pandas_frame, bench_rows):
    """scikit-learn's float64 matrix as ``{feature name: column}``, or None above REFERENCE_MAX_ROWS."""
    if bench_rows > REFERENCE_MAX_ROWS:
        return None
    names, X = run_sklearn(pandas_frame, dtype=np.float64)
    return dict(zip(names, X.T))


def _check_matrix(names, X, rows):
    assert X.shape == (rows, N_FEATURES) and len(names) == N_FEATURES
    assert X.dtype == np.float32 and X.flags.c_contiguous


def _check_target_encoding(ours, theirs, *, out_of_fold: bool = True):
    # Out-of-fold values from other folds: the same per category on average, row by row only
    # roughly (rare categories move most). In-sample values (the peers) differ more.
    assert ((ours >= 0) & (ours <= 1)).all()
    assert abs(ours.mean() - theirs.mean()) < 0.01
    assert np.corrcoef(ours, theirs)[0, 1] > (0.8 if out_of_fold else 0.5)


def _check_against_reference(names, X, reference, *, mode: str):
    """``mode``: "float64" (ours, float64 output: to 1e-9), "float32" (ours, the float32 output:
    to float32 precision, identical bins) or "peer" (the Polars peers: float32 precision, bins by
    another quantile definition within one bin)."""
    assert sorted(names) == sorted(reference)
    got = dict(zip(names, X.astype(np.float64).T))
    tol = 1e-9 if mode == "float64" else 1e-5
    for name in names:
        if name == "cat_hi":
            _check_target_encoding(got[name], reference[name], out_of_fold=mode != "peer")
        elif name == BINNED and mode == "peer":
            seen = ~np.isnan(reference[name])
            assert (np.isnan(got[name]) == ~seen).all()
            assert np.abs(got[name][seen] - reference[name][seen]).max() <= 1
        else:
            np.testing.assert_allclose(got[name], reference[name], rtol=tol, atol=tol, equal_nan=True, err_msg=name)


def _check_polars_peer(names, X, reference):
    if reference is not None:  # the peers name one-hot columns as scikit-learn does (cat_lo_<level>)
        _check_against_reference(names, X, reference, mode="peer")


# ------------------------------------------------------------------------------ file -> matrix
def test_pipeline_file_tabprep(benchmark, pair, synthetic_parquet, bench_rows, reference):
    pair(benchmark, OP_FILE, "tabprep Pipeline.fit_transform(scan) + to_numpy", "ours")
    names, X = benchmark.pedantic(run_tabprep_file, args=(synthetic_parquet,), rounds=ROUNDS, iterations=1,
                                  warmup_rounds=1)
    _check_matrix(names, X, bench_rows)
    if reference is not None:
        names64, X64 = run_tabprep_file(synthetic_parquet, dtype=np.float64)
        assert names64 == names
        np.testing.assert_array_equal(X, X64.astype(np.float32))  # the timed matrix holds these numbers
        _check_against_reference(names, X64, reference, mode="float64")


def test_pipeline_file_sklearn(benchmark, pair, synthetic_parquet, bench_rows, reference):
    pair(benchmark, OP_FILE, "scikit-learn ColumnTransformer (pandas read_parquet)", "peer")
    rounds = 1 if bench_rows > 1_000_000 else ROUNDS
    names, X = benchmark.pedantic(run_sklearn_file, args=(synthetic_parquet,), rounds=rounds, iterations=1)
    _check_matrix(names, X, bench_rows)
    if reference is not None:
        np.testing.assert_array_equal(X, np.column_stack([reference[n] for n in names]).astype(np.float32))


def test_pipeline_file_polars_ds(benchmark, pair, synthetic_parquet, bench_rows, reference):
    pytest.importorskip("polars_ds.pipeline")
    pair(benchmark, OP_FILE, "polars-ds Blueprint (target encoding in-sample) + bin_quantiles", "peer")
    names, X = benchmark.pedantic(run_polars_ds_file, args=(synthetic_parquet,), rounds=ROUNDS, iterations=1,
                                  warmup_rounds=1)
    _check_matrix(names, X, bench_rows)
    _check_polars_peer(names, X, reference)


def test_pipeline_file_polars(benchmark, pair, synthetic_parquet, bench_rows, reference):
    pair(benchmark, OP_FILE, "polars expressions (target mean in-sample)", "peer")
    names, X = benchmark.pedantic(run_polars_file, args=(synthetic_parquet,), rounds=ROUNDS, iterations=1,
                                  warmup_rounds=1)
    _check_matrix(names, X, bench_rows)
    _check_polars_peer(names, X, reference)


# ------------------------------------------------------------------------------ frame -> matrix
def test_pipeline_frame_tabprep(benchmark, pair, synthetic_df, bench_rows, reference):
    pair(benchmark, OP_FRAME, "tabprep Pipeline.fit_transform(polars DataFrame) + to_numpy", "ours")
    frame = synthetic_df.select(COLUMNS)  # the columns the peers get
    names, X = benchmark.pedantic(run_tabprep, args=(frame,), rounds=ROUNDS, iterations=1, warmup_rounds=1)
    _check_matrix(names, X, bench_rows)
    if reference is not None:
        _check_against_reference(names, X, reference, mode="float32")


def test_pipeline_frame_sklearn(benchmark, pair, pandas_frame, bench_rows, reference):
    pair(benchmark, OP_FRAME, "scikit-learn ColumnTransformer (pandas DataFrame)", "peer")
    rounds = 1 if bench_rows > 1_000_000 else ROUNDS
    names, X = benchmark.pedantic(run_sklearn, args=(pandas_frame,), rounds=rounds, iterations=1)
    _check_matrix(names, X, bench_rows)


# ------------------------------------------------------------------------------ whole process
_PROCESS = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[3])
    from test_bench_pipeline import FILE_CASES

    names, X = FILE_CASES[sys.argv[1]](sys.argv[2])
    peak_kib = None
    try:
        with open("/proc/self/status") as f:  # this process's own high-water mark
            peak_kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        pass
    print(json.dumps({"shape": list(X.shape), "peak_kib": peak_kib}))
    """
)


def _run_process(impl: str, path) -> dict:
    here = str(Path(__file__).resolve().parent)
    done = subprocess.run([sys.executable, "-c", _PROCESS, impl, str(path), here], capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError(f"{impl} process failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("impl", "label", "role"), [
    ("tabprep", "python: tabprep scan + Pipeline.fit_transform + to_numpy", "ours"),
    ("sklearn", "python: pandas read_parquet + scikit-learn ColumnTransformer", "peer"),
    ("polars", "python: polars read_parquet + expressions", "peer"),
    ("polars-ds", "python: polars read_parquet + polars-ds Blueprint", "peer"),
])
def test_pipeline_process(benchmark, pair, synthetic_parquet, bench_rows, impl, label, role):
    if impl == "polars-ds":
        pytest.importorskip("polars_ds.pipeline")
    pair(benchmark, OP_PROCESS, label, role)
    results = []

    def run():
        results.append(_run_process(impl, synthetic_parquet))

    rounds = 1 if bench_rows > 1_000_000 and impl == "sklearn" else ROUNDS
    benchmark.pedantic(run, rounds=rounds, iterations=1)
    assert all(r["shape"] == [bench_rows, N_FEATURES] for r in results)
    peaks = [r["peak_kib"] for r in results if r["peak_kib"] is not None]
    if peaks:
        benchmark.extra_info["peak_rss_mb"] = round(max(peaks) * 1024 / 1e6, 1)


# ------------------------------------------------------------------------------ the demo on flights
@pytest.fixture(scope="module")
def flights_train():
    """The demo's train rows (Polars) and the demo's spec."""
    from tabprep.cli._cmd_demo import prepare, spec_text
    from tabprep.datasets import path
    from tabprep.io import scan
    from tabprep.pipeline import parse_spec

    table = prepare(scan(path("flights"))).collect()
    return table.filter(pl.col("split") == 0), parse_spec(spec_text())


def run_demo_tabprep(train, spec, dtype=np.float32):
    from tabprep.handoff import to_numpy

    fitted, out = spec.pipeline.fit_transform(train, spec.target, lineage=False)
    columns = [c for c in fitted.feature_columns if c != fitted.target]  # what the demo hands off
    return columns, to_numpy(out, columns, dtype=dtype)


def demo_sklearn_transformer():
    """The demo spec (``tabprep demo --show-spec``) as a scikit-learn ColumnTransformer: each
    column goes through the steps the spec applies to it, in the spec's order."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder, StandardScaler, TargetEncoder

    return ColumnTransformer([
        ("impute_clip_scale", make_pipeline(SimpleImputer(strategy="median"), _sklearn_classes()[1](0.005, 0.995),
                                            StandardScaler()), ["dep_delay", "air_time"]),
        ("impute_scale", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ["dep_time"]),
        ("scale", StandardScaler(), ["month", "day", "sched_dep_time", "sched_arr_time", "hour", "minute"]),
        ("distance_bins", KBinsDiscretizer(8, encode="onehot-dense", strategy="quantile", random_state=0),
         ["distance"]),
        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["carrier", "origin"]),
        ("target_encode", TargetEncoder(cv=_folds()), ["tailnum", "dest"]),
    ], sparse_threshold=0, verbose_feature_names_out=False)


def run_demo_sklearn(frame, dtype=np.float32):
    ct = demo_sklearn_transformer()
    X = ct.fit_transform(frame, frame["late"])
    return list(ct.get_feature_names_out()), np.ascontiguousarray(X, dtype=dtype)


#: the columns the demo's pipeline reads (its steps' inputs and the target)
DEMO_NUM = ["month", "day", "dep_time", "sched_dep_time", "dep_delay", "sched_arr_time", "air_time", "hour", "minute"]
DEMO_COLUMNS = [*DEMO_NUM, "distance", "carrier", "origin", "tailnum", "dest", "late"]
DEMO_BINS = 8


def run_demo_tabprep_file(path, dtype=np.float32):
    """The demo's spec from a Parquet file of its train rows: what ``tabprep demo`` fits."""
    import tabprep
    from tabprep.cli._cmd_demo import spec_text
    from tabprep.pipeline import parse_spec

    return run_demo_tabprep(tabprep.scan(path), parse_spec(spec_text()), dtype)


def run_demo_sklearn_file(path, dtype=np.float32):
    import pandas as pd

    return run_demo_sklearn(pd.read_parquet(path, columns=DEMO_COLUMNS), dtype)


def run_demo_polars(df, dtype=np.float32):
    """The demo's pipeline in hand-written Polars expressions, target encoding *in-sample*
    (scikit-learn's smoothed mean of the whole column; no cross fitting, so it does less):
    median imputation, clipping at the 0.5/99.5% quantiles (linear), standard scaling,
    8 quantile bins of ``distance`` one-hot (edges: scikit-learn's default quantile method,
    ``averaged_inverted_cdf`` = Polars' ``equiprobable``, of every row where scikit-learn and
    ours take a 200k-row subsample; bins narrower than 1e-8 dropped, as scikit-learn), one-hot
    of ``carrier`` and ``origin``."""
    clip_cols, imputed = ["dep_delay", "air_time"], ["dep_time", "dep_delay", "air_time"]
    medians = dict(zip(imputed, df.select(pl.col(imputed).median()).row(0)))
    filled = {c: pl.col(c).fill_null(medians[c]) if c in medians else pl.col(c).cast(pl.Float64) for c in DEMO_NUM}
    qs = df.select([filled[c].quantile(q, "linear").alias(f"{c}{k}") for c in clip_cols
                    for k, q in enumerate((0.005, 0.995))]).row(0)
    for i, c in enumerate(clip_cols):
        filled[c] = filled[c].clip(qs[2 * i], qs[2 * i + 1])
    moments = df.select([e.mean().alias(f"m{c}") for c, e in filled.items()]
                        + [e.std(ddof=0).alias(f"s{c}") for c, e in filled.items()]).row(0, named=True)
    scaled = [((e - moments[f"m{c}"]) / moments[f"s{c}"]).alias(c) for c, e in filled.items()]
    edges = df.select([pl.col("distance").cast(pl.Float64).quantile(q, "equiprobable").alias(str(k))
                       for k, q in enumerate(np.linspace(0, 1, DEMO_BINS + 1))]).row(0)
    edges = [e for k, e in enumerate(edges) if k == 0 or e - edges[k - 1] > 1e-8]
    inner = edges[1:-1]
    bin_no = pl.sum_horizontal([(pl.col("distance") >= e).cast(pl.Int32) for e in inner])
    bins = [(bin_no == k).alias(f"distance_{float(k)}") for k in range(len(edges) - 1)]  # scikit-learn's names
    onehot = [(pl.col(c) == v).alias(f"{c}_{v}") for c in ("carrier", "origin")
              for v in df.get_column(c).unique().sort().to_list()]
    y = pl.col("late").cast(pl.Float64)
    prior, var = df.select(y.mean()).item(), df.select(y.var(ddof=0)).item()
    # scikit-learn's "auto" smoothing: the empirical-Bayes shrinkage of the category mean
    targets = []
    for c in ("tailnum", "dest"):
        n, s, v = pl.len().over(c), y.sum().over(c), y.var(ddof=0).over(c)
        lam = (n * var) / (n * var + v)
        targets.append((lam * s / n + (1 - lam) * prior).alias(c))
    out = df.select(*scaled, *bins, *onehot, *targets)
    return out.columns, out.select(pl.all().cast(pl.Float32 if dtype == np.float32 else pl.Float64)).to_numpy(order="c")


def run_demo_polars_file(path, dtype=np.float32):
    return run_demo_polars(pl.read_parquet(path, columns=DEMO_COLUMNS), dtype)


DEMO_FILE_CASES = {"tabprep": run_demo_tabprep_file, "sklearn": run_demo_sklearn_file, "polars": run_demo_polars_file}


@pytest.fixture(scope="module")
def flights_train_pandas(flights_train):
    return flights_train[0].to_pandas()


def test_demo_pipeline_tabprep(benchmark, pair, flights_train, flights_train_pandas):
    train, spec = flights_train
    pair(benchmark, OP_DEMO, "tabprep demo spec: Pipeline.fit_transform + to_numpy", "ours")
    names, X = benchmark.pedantic(run_demo_tabprep, args=(train, spec), rounds=ROUNDS, iterations=1, warmup_rounds=1)
    assert X.shape == (train.height, len(names)) and X.dtype == np.float32 and X.flags.c_contiguous
    sk_names, sk = run_demo_sklearn(flights_train_pandas, dtype=np.float64)
    # the bin one-hot columns are named differently (distance_0.0 here, distance_0 there)
    assert len(names) == len(sk_names)
    _, ours = run_demo_tabprep(train, spec, dtype=np.float64)
    theirs = dict(zip(sk_names, sk.T))
    for i, name in enumerate(names):
        if name in ("tailnum", "dest"):
            _check_target_encoding(ours[:, i], theirs[name])
        elif name in theirs:
            np.testing.assert_allclose(ours[:, i], theirs[name], rtol=1e-9, atol=1e-9, err_msg=name)
    bins = [i for i, n in enumerate(names) if n.startswith("distance_")]
    assert len(bins) == sum(n.startswith("distance_") for n in sk_names)
    np.testing.assert_array_equal(ours[:, bins], np.column_stack([theirs[n] for n in sk_names
                                                                  if n.startswith("distance_")]))


def test_demo_pipeline_sklearn(benchmark, pair, flights_train_pandas):
    pair(benchmark, OP_DEMO, "scikit-learn ColumnTransformer (pandas DataFrame)", "peer")
    names, X = benchmark.pedantic(run_demo_sklearn, args=(flights_train_pandas,), rounds=ROUNDS, iterations=1)
    assert X.shape == (len(flights_train_pandas), len(names)) and X.dtype == np.float32


def test_demo_pipeline_polars(benchmark, pair, flights_train, flights_train_pandas):
    train = flights_train[0]
    pair(benchmark, OP_DEMO, "hand-written Polars (target encoding in-sample)", "peer")
    names, X = benchmark.pedantic(run_demo_polars, args=(train,), rounds=ROUNDS, iterations=1, warmup_rounds=1)
    assert X.dtype == np.float32 and X.flags.c_contiguous
    sk_names, sk = run_demo_sklearn(flights_train_pandas, dtype=np.float64)
    assert len(names) == len(sk_names)
    _, got = run_demo_polars(train, dtype=np.float64)
    theirs = dict(zip(sk_names, sk.T))
    bins = [n for n in names if n.startswith("distance_")]
    for i, name in enumerate(names):
        if name in ("tailnum", "dest"):
            _check_target_encoding(got[:, i], theirs[name], out_of_fold=False)
        elif name not in bins:
            np.testing.assert_allclose(got[:, i], theirs[name], rtol=1e-9, atol=1e-9, err_msg=name)
    # bin edges from every row here, from a 200k-row subsample there: the same bin or a neighbour
    ours_bin = got[:, [names.index(n) for n in bins]]
    theirs_bin = np.column_stack([theirs[n] for n in bins])
    assert (ours_bin.sum(axis=1) == 1).all()
    assert np.abs(ours_bin.argmax(axis=1) - theirs_bin.argmax(axis=1)).max() <= 1
