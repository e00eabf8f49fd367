"""``sample_weight`` on a Ray Dataset: a weight column, read per block in the same pass as the
statistics (as the local pipeline reads it), checked per block with the local errors."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tabprep import Pipeline
from tabprep.bin import KBinsDiscretizer
from tabprep.encode import TargetEncoder
from tabprep.errors import ConfigError, DataError
from tabprep.scale import StandardScaler

from tests.distributed.test_ray_pipeline import _close, _dataset, _ray_frame, _same_output

pytestmark = pytest.mark.usefixtures("ray_cluster")

rng = np.random.default_rng(9)
N = 2000
FRAME = pl.DataFrame({
    "num": rng.normal(3.0, 2.0, N),
    "num2": rng.exponential(2.0, N),
    "cat": rng.choice(["a", "b", "c"], N),
    "fold": rng.integers(0, 3, N),
    "w": rng.random(N) * 3,
    "y": (rng.random(N) < 0.4).astype(np.int64),
})


def test_weighted_fit_equals_the_local_one():
    pipe = Pipeline([
        ("sc", StandardScaler(), ["num"]),
        ("kb", KBinsDiscretizer(4, encode="ordinal", subsample=None), ["num2"]),
        ("te", TargetEncoder(cv="fold"), ["cat"]),
    ])
    fitted, out = pipe.fit_transform(_dataset(FRAME, 3), target="y", sample_weight="w")
    local, want = pipe.fit_transform(FRAME, target="y", sample_weight="w")
    _close(fitted.to_dict()["steps"], local.to_dict()["steps"])
    _same_output(_ray_frame(out), want)
    # the weights change the state (so the test can fail)
    assert fitted.named_steps["sc"].mean_[0] != pipe.fit(FRAME, target="y").named_steps["sc"].mean_[0]


def test_bad_weights_name_the_row_of_the_whole_dataset():
    pipe = Pipeline([("sc", StandardScaler(), ["num"])])
    bad = FRAME.with_columns(w=pl.when(pl.int_range(pl.len()) == 1500).then(-1.0).otherwise(pl.col("w")))
    with pytest.raises(DataError, match="row 1500"):
        pipe.fit(_dataset(bad, 3), sample_weight="w")
    with pytest.raises(DataError, match="row 1500"):  # the same error as the local fit's
        pipe.fit(bad, sample_weight="w")
    with pytest.raises(DataError, match="sums to zero"):
        pipe.fit(_dataset(FRAME.with_columns(w=pl.lit(0.0)), 2), sample_weight="w")
    with pytest.raises(ConfigError, match="must name one of its columns"):
        pipe.fit(_dataset(FRAME, 2), sample_weight=np.ones(N))
