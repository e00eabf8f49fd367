"""Mean imputation + standard scaling of the five ``num_*`` columns (fit, then transform collected).

- ours: ``Pipeline([SimpleImputer, StandardScaler]).fit(df, lineage=False).transform(df)``
  (two deterministic statistics passes, one per dependent phase; ``lineage=False`` because the
  peers do not fingerprint the training data either);
- peer 1: the same computation hand-written as Polars expressions (goal: ours <= 1.2x);
- peer 2: scikit-learn ``SimpleImputer`` + ``StandardScaler`` on the NumPy matrix of the columns
  (goal: ours >= 10x faster).

Every case checks its result against scikit-learn's numbers on the same data.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from numpy.testing import assert_allclose

NUM = [f"num_{i}" for i in range(5)]
OP = "impute_mean+standard_scale (5 cols)"


def _reference(df: pl.DataFrame) -> np.ndarray:
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    return StandardScaler().fit_transform(SimpleImputer().fit_transform(df.select(NUM).to_numpy()))


def _polars_by_hand(df: pl.DataFrame) -> pl.DataFrame:
    means = df.select(pl.col(NUM).mean()).row(0)
    filled = df.lazy().with_columns(pl.col(c).fill_null(m) for c, m in zip(NUM, means))
    stats = filled.select([pl.col(c).mean().alias(f"m_{c}") for c in NUM]
                          + [pl.col(c).std(ddof=0).alias(f"s_{c}") for c in NUM]).collect().row(0)
    k = len(NUM)
    return filled.with_columns(((pl.col(c) - stats[i]) / stats[k + i]).alias(c) for i, c in enumerate(NUM)).collect()


def test_impute_scale_tabprep(benchmark, pair, synthetic_df):
    from tabprep import Pipeline
    from tabprep.clean import SimpleImputer
    from tabprep.scale import StandardScaler

    pair(benchmark, OP, "tabprep", "ours")
    pipe = Pipeline([("impute", SimpleImputer(), NUM), ("scale", StandardScaler(), NUM)])
    out = benchmark(lambda: pipe.fit(synthetic_df, lineage=False).transform(synthetic_df))
    assert out.columns == synthetic_df.columns
    assert_allclose(out.select(NUM).to_numpy(), _reference(synthetic_df), rtol=1e-9, atol=1e-12)


def test_impute_scale_polars_expressions(benchmark, pair, synthetic_df):
    pair(benchmark, OP, "polars expressions", "peer")
    out = benchmark(lambda: _polars_by_hand(synthetic_df))
    assert_allclose(out.select(NUM).to_numpy(), _reference(synthetic_df), rtol=1e-9, atol=1e-12)


def test_impute_scale_sklearn(benchmark, pair, synthetic_df):
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pair(benchmark, OP, "scikit-learn SimpleImputer+StandardScaler", "peer")
    X = synthetic_df.select(NUM).to_numpy()
    out = benchmark(lambda: make_pipeline(SimpleImputer(), StandardScaler()).fit_transform(X))
    assert_allclose(out, _reference(synthetic_df), rtol=1e-12)
