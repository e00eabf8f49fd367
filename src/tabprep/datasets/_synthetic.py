"""Deterministic generator of realistic tabular training data."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from tabprep._base.params import Interval, validate_call

# Each column draws from its own child seed, so adding a column never changes the others.
_STREAMS = (
    "cat_hi", "cat_lo", "num_0", "num_1", "num_2", "num_3", "num_4",
    "nulls", "effects", "y_bin", "y_cont", "group_id", "ts", "vocab",
)


def _zipf_codes(rng: np.random.Generator, n_rows: int, n_categories: int, exponent: float) -> np.ndarray:
    """Codes 0..n_categories-1 with P(k) proportional to 1/(k+1)**exponent (inverse-CDF sampling)."""
    weights = 1.0 / np.arange(1, n_categories + 1, dtype=np.float64) ** exponent
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    codes = np.searchsorted(cdf, rng.random(n_rows), side="right")
    return np.minimum(codes, n_categories - 1).astype(np.int32)


def _vocabulary(rng: np.random.Generator, n: int, prefix: str) -> pa.Array:
    """n distinct strings of varied length (some over 12 bytes, so not all fit an Arrow string view inline)."""
    ids = rng.permutation(n)
    lengths = rng.integers(0, 3, size=n)
    pads = np.array(["", "_x", "_category_long"])[lengths]
    return pa.array([f"{prefix}{i}{p}" for i, p in zip(ids.tolist(), pads.tolist())], type=pa.string())


@validate_call({
    "n_rows": [Interval(int, 0, None)],
    "seed": [Interval(int, 0, None)],  # numpy's SeedSequence takes no negative seed
    "n_categories_hi": [Interval(int, 1, None)],
    "n_categories_lo": [Interval(int, 1, None)],
    "null_fraction": [Interval(float, 0, 1, closed="left")],
    "positive_rate": [Interval(float, 0, 1, closed="neither")],
    "zipf_exponent": [Interval(float, 0, None, closed="neither", finite=True)],
})
def synthetic(
    n_rows: int,
    seed: int = 0,
    *,
    n_categories_hi: int = 100_000,
    n_categories_lo: int = 20,
    null_fraction: float = 0.05,
    positive_rate: float = 0.10,
    zipf_exponent: float = 1.1,
) -> pl.DataFrame:
    """Generate a realistic, deterministic tabular training set.

    Columns:

    - ``cat_hi`` (String): high-cardinality, Zipf-distributed (``n_categories_hi`` values);
    - ``cat_lo`` (String): low-cardinality (``n_categories_lo`` values, uneven frequencies);
    - ``num_0`` .. ``num_4`` (Float64): log-normal, normal, exponential, heavy-tailed (Student t)
      and uniform columns, each with about ``null_fraction`` nulls;
    - ``y_bin`` (Int8): imbalanced binary target (about ``positive_rate`` positives) that depends on
      ``cat_hi``, ``cat_lo`` and ``num_0``;
    - ``y_cont`` (Float64): continuous target depending on ``cat_hi``, ``num_1`` and ``num_2``;
    - ``group_id`` (Int64): about 20 rows per group (for grouped splits);
    - ``ts`` (Datetime[us]): non-decreasing timestamps over two years (for time-based splits).

    The same ``(n_rows, seed, parameters)`` always gives a byte-identical frame.

    Parameters
    ----------
    n_rows : int
        Number of rows (>= 0).
    seed : int
        Seed of the generator.
    n_categories_hi, n_categories_lo : int
        Number of distinct values of ``cat_hi`` and ``cat_lo``.
    null_fraction : float
        Fraction of nulls in each numeric column, in [0, 1).
    positive_rate : float
        Approximate share of ``y_bin == 1``, in (0, 1).
    zipf_exponent : float
        Exponent of the Zipf law of ``cat_hi`` (> 0).

    Returns
    -------
    polars.DataFrame

    Examples
    --------
    >>> from tabprep.datasets import synthetic
    >>> df = synthetic(1_000, seed=42)
    >>> df.shape
    (1000, 11)
    >>> df.columns[:4]
    ['cat_hi', 'cat_lo', 'num_0', 'num_1']
    >>> synthetic(1_000, seed=42).equals(df)
    True
    """
    n = int(n_rows)
    rngs = dict(zip(_STREAMS, (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(_STREAMS)))))

    hi_codes = _zipf_codes(rngs["cat_hi"], n, n_categories_hi, zipf_exponent)
    lo_weights = 1.0 / np.arange(1, n_categories_lo + 1) ** 0.8
    lo_codes = rngs["cat_lo"].choice(n_categories_lo, size=n, p=lo_weights / lo_weights.sum()).astype(np.int32)
    hi_vocab = _vocabulary(rngs["vocab"], n_categories_hi, "c")
    lo_vocab = pa.array([f"level_{i:02d}" for i in range(n_categories_lo)], type=pa.string())

    nums = [
        rngs["num_0"].lognormal(mean=3.0, sigma=1.0, size=n),
        rngs["num_1"].normal(loc=50.0, scale=10.0, size=n),
        rngs["num_2"].exponential(scale=2.0, size=n),
        rngs["num_3"].standard_t(df=3, size=n) * 5.0,
        rngs["num_4"].uniform(-1.0, 1.0, size=n),
    ]
    null_masks = rngs["nulls"].random((5, n)) < null_fraction

    # The targets depend on per-category effects, so target encoders have real signal to find.
    eff = rngs["effects"]
    hi_effect = eff.normal(0.0, 1.0, size=n_categories_hi)
    lo_effect = eff.normal(0.0, 0.5, size=n_categories_lo)
    z0 = (np.log(nums[0]) - 3.0)  # standardized log-normal
    logit = hi_effect[hi_codes] + lo_effect[lo_codes] + 0.5 * z0
    # Shift the logits so the expected positive rate matches the request: bisection on the offset,
    # over the first 100k rows (rows are i.i.d., so that is plenty and keeps 10M-row generation fast).
    head = logit[:100_000]
    lo_off, hi_off = -30.0, 30.0
    for _ in range(60 if n else 0):
        mid = (lo_off + hi_off) / 2
        if np.mean(1.0 / (1.0 + np.exp(-(head + mid)))) > positive_rate:
            hi_off = mid
        else:
            lo_off = mid
    p = 1.0 / (1.0 + np.exp(-(logit + (lo_off + hi_off) / 2)))
    y_bin = (rngs["y_bin"].random(n) < p).astype(np.int8)
    y_cont = 2.0 * hi_effect[hi_codes] + 0.1 * nums[1] + 0.5 * nums[2] + rngs["y_cont"].normal(0.0, 1.0, n)

    group_id = rngs["group_id"].integers(0, max(1, n // 20), size=n, dtype=np.int64)
    start = np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64)
    two_years_us = 2 * 365 * 24 * 3600 * 10**6
    ts = start + np.sort(rngs["ts"].integers(0, two_years_us, size=n, dtype=np.int64))

    columns = {
        "cat_hi": pl.Series("cat_hi", hi_vocab.take(pa.array(hi_codes))),
        "cat_lo": pl.Series("cat_lo", lo_vocab.take(pa.array(lo_codes))),
    }
    for i, values in enumerate(nums):
        columns[f"num_{i}"] = pl.Series(f"num_{i}", pa.array(values, mask=null_masks[i]))
    columns["y_bin"] = pl.Series("y_bin", y_bin, dtype=pl.Int8)
    columns["y_cont"] = pl.Series("y_cont", y_cont, dtype=pl.Float64)
    columns["group_id"] = pl.Series("group_id", group_id, dtype=pl.Int64)
    columns["ts"] = pl.Series("ts", ts, dtype=pl.Int64).cast(pl.Datetime("us"))
    return pl.DataFrame(list(columns.values()))
