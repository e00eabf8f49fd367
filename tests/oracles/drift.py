"""The injected-drift pair: a reference and a current frame with one kind of drift per column."""

from __future__ import annotations

import numpy as np
import polars as pl

N = 20_000
DRIFTED = ["mean_shift", "var_change", "new_mode", "cat_freq", "unseen", "null_jump"]


def injected_pair(n: int = N):
    """A reference and a current frame: six columns with one kind of drift each, three untouched."""

    def make(rng, shifted: bool):
        nulls = rng.normal(size=n)
        return pl.DataFrame({
            "mean_shift": rng.normal(0.5 if shifted else 0.0, 1.0, n),
            "var_change": rng.normal(0.0, 2.0 if shifted else 1.0, n),
            "new_mode": np.where(rng.random(n) < (0.3 if shifted else 0.0), rng.normal(6, 0.5, n), rng.normal(0, 1, n)),
            "cat_freq": rng.choice(["a", "b", "c"], n, p=[0.2, 0.3, 0.5] if shifted else [0.5, 0.3, 0.2]),
            "unseen": rng.choice(["a", "b", "c", "z"] if shifted else ["a", "b", "c"], n),
            "null_jump": pl.Series(nulls).scatter(np.flatnonzero(rng.random(n) < (0.2 if shifted else 0.01)), None),
            "same_num": rng.normal(size=n),
            "same_cat": rng.choice(["u", "v", "w"], n),
            "same_int": rng.integers(0, 50, n),
        })

    return make(np.random.default_rng(1), False), make(np.random.default_rng(2), True)
