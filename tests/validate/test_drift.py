"""drift(): the injected-drift pair, metrics against NumPy/SciPy, pipeline references, bad references."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon
from scipy.stats import chisquare, ks_2samp

from tabprep import Pipeline
from tabprep.bin import KBinsDiscretizer, KLLSketch
from tabprep.encode import OneHotEncoder
from tabprep.errors import ConfigError, InvalidParameterError
from tabprep.scale import StandardScaler
from tabprep.validate import DriftThresholds, drift, load_profile, profile
from oracles.drift import DRIFTED, injected_pair
from tabprep.validate._html import write_html
from tabprep.validate._drift import chi_square, js_distance, ks_from_counts, ks_from_sketches, psi


def test_injected_drift_is_flagged_and_nothing_else(tmp_path):
    ref, cur = injected_pair()
    report = drift(profile(ref), cur)
    assert report.drifted_features == DRIFTED and report.drifted
    assert "missing share" in report.features["null_jump"].reasons[0]
    assert report.features["unseen"].unseen_share == pytest.approx((cur["unseen"] == "z").mean())
    # the same from a saved profile (a path), and no drift of the reference against itself
    path = profile(ref).save(tmp_path / "ref")
    assert drift(path, cur).drifted_features == DRIFTED
    again = drift(path, ref)
    assert again.drifted_features == [] and not again.drifted
    assert "0 of 9 features drifted" in again.summary()


def test_thresholds_are_configurable():
    ref, cur = injected_pair(5000)
    loose = DriftThresholds(psi=None, ks=None, js=None, unseen_share=None, missing_change=0.5, mean_shift=None)
    assert drift(profile(ref), cur, thresholds=loose).drifted_features == []
    strict = drift(profile(ref), cur, thresholds=DriftThresholds(share=0.9))
    assert strict.drifted_features and not strict.drifted
    with pytest.raises(InvalidParameterError, match="The `ks` parameter of `DriftThresholds`"):
        DriftThresholds(ks=-0.1)


def test_psi_js_chi_square_match_numpy_scipy():
    rng = np.random.default_rng(4)
    for _ in range(20):
        k = int(rng.integers(2, 12))
        r, c = rng.random(k), rng.random(k)
        r, c = r / r.sum(), c / c.sum()
        assert psi(r, c) == pytest.approx(float(np.sum((c - r) * np.log(c / r))), rel=1e-12)
        assert js_distance(r, c) == pytest.approx(jensenshannon(r, c, base=2), rel=1e-9, abs=1e-12)
        counts = rng.integers(1, 1000, k)
        stat, p = chi_square(r, counts)
        ref = chisquare(counts, r * counts.sum())
        assert stat == pytest.approx(ref.statistic, rel=1e-10) and p == pytest.approx(ref.pvalue, rel=1e-8, abs=1e-300)
    # an empty bin is floored, not infinite
    assert np.isfinite(psi([0.5, 0.5, 0.0], [0.4, 0.4, 0.2]))


def test_ks_from_sketches_is_exact_for_small_samples_and_bounded_for_large():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=150), rng.normal(0.3, 1, 120)
    stat, bound = ks_from_sketches(KLLSketch().update(a), KLLSketch().update(b))
    assert bound == 0.0 and stat == pytest.approx(ks_2samp(a, b).statistic, abs=1e-12)
    a, b = rng.normal(size=200_000), rng.normal(0.05, 1.1, 150_000)
    stat, bound = ks_from_sketches(KLLSketch().update(a), KLLSketch().update(b))
    assert bound > 0 and abs(stat - ks_2samp(a, b).statistic) <= bound


def test_reference_is_a_fitted_pipeline(tmp_path):
    ref, cur = injected_pair()
    fitted = Pipeline([("oh", OneHotEncoder(handle_unknown="ignore"), ["cat_freq", "unseen", "same_cat"]),
                       ("kb", KBinsDiscretizer(n_bins=10, encode="ordinal"), ["var_change", "new_mode", "same_num"]),
                       ("sc", StandardScaler(), ["mean_shift"])]).fit(ref)
    report = drift(fitted, cur)
    assert set(report.features) == {"cat_freq", "unseen", "same_cat", "var_change", "new_mode", "same_num",
                                    "mean_shift"}
    assert report.drifted_features == ["cat_freq", "unseen", "var_change", "new_mode", "mean_shift"]
    assert report.features["mean_shift"].reasons[0].startswith("mean shift")
    # a scaler's moments do not count missing values: shown as unknown, not "nan%"
    line = next(ln for ln in str(report).splitlines() if ln.startswith("mean_shift"))
    assert " ?->0.0% " in line + " " and "nan" not in str(report)
    fitted.save(tmp_path / "model")
    assert drift(tmp_path / "model", cur).drifted_features == report.drifted_features
    assert drift(fitted, ref).drifted_features == []


def test_a_target_encoders_vocabulary_gives_the_unseen_share(tmp_path):
    from tabprep.encode import TargetEncoder, WOEEncoder

    rng = np.random.default_rng(3)
    ref = pl.DataFrame({"city": rng.choice(["a", "b", "c", "d"], 4000), "code": rng.integers(0, 6, 4000),
                        "y": rng.integers(0, 2, 4000)})
    fitted = Pipeline([("te", TargetEncoder(), ["city"]), ("woe", WOEEncoder(), ["code"])]).fit(ref, target="y")
    same = ref.sample(2000, seed=1)
    # 30% of the cities and 10% of the codes never seen in fit
    new = same.with_columns(city=pl.when(pl.int_range(2000) % 10 < 3).then(pl.lit("zz")).otherwise("city"),
                            code=pl.when(pl.int_range(2000) % 10 == 0).then(pl.lit(99)).otherwise("code"))
    report = drift(fitted, new)
    city, code = report.features["city"], report.features["code"]
    assert city.kind == code.kind == "categorical"
    assert city.unseen_share == pytest.approx(0.3) and code.unseen_share == pytest.approx(0.1)
    assert city.drifted and city.reasons == ["unseen values 0.3 >= 0.01"] and code.drifted
    # no counts in the vocabulary: no distribution statistics, and the missing share is unknown
    assert city.js is None and city.psi is None and city.chi2 is None and np.isnan(city.missing_reference)
    assert drift(fitted, same).drifted_features == []
    fitted.save(tmp_path / "model")
    assert drift(tmp_path / "model", new).features["city"].unseen_share == pytest.approx(0.3)
    html = write_html(report, tmp_path / "drift.html").read_text()
    assert "city" in html and "unseen" in html


def _exp_column(seed, *, zeros=0.0, cap=None, shift=0.0, n=20_000):
    rng = np.random.default_rng(seed)
    x = rng.exponential(1, n) + shift
    x[rng.random(n) < zeros] = 0.0
    return pl.DataFrame({"x": x if cap is None else np.minimum(x, cap)})


@pytest.mark.parametrize("shape", [{}, {"zeros": 0.05}, {"cap": 2.5}], ids=["plain", "zeros at the min", "capped"])
def test_quantile_bins_of_a_pipeline_hold_a_mass_of_ties_at_either_end(shape):
    # bins [e_j, e_j+1) from the minimum, the last up to the maximum included (the transform's):
    # counted as (e_j-1, e_j], 5% zeros at the minimum fell outside every bin (PSI 0.34 on the
    # same distribution)
    fitted = Pipeline([("kb", KBinsDiscretizer(n_bins=10, encode="ordinal"), ["x"])]).fit(_exp_column(1, **shape))
    same = drift(fitted, _exp_column(2, **shape)).features["x"]
    assert same.psi < 0.01 and not same.drifted
    assert same.reference_shares == [0.0] + [0.1] * 10 + [0.0] and same.current_shares[0] == 0.0
    assert same.bins[0].startswith("< ") and same.bins[-2].endswith("]") and same.bins[-1].startswith("> ")
    moved = drift(fitted, _exp_column(2, **{**shape, "shift": 0.3})).features["x"]
    assert moved.drifted and moved.psi > 0.2


def test_a_zero_inflated_column_gets_its_bins_shares_from_the_kept_edges_ranks(tmp_path):
    # half zeros: fit drops the narrow bins of the tied quantiles; the kept edges' quantile ranks
    # (saved only then) give each kept bin its share (PSI against 1/n_bins flagged 4.6 on the same
    # distribution)
    with pytest.warns(UserWarning, match="Bins whose width are too small"):
        fitted = Pipeline([("kb", KBinsDiscretizer(n_bins=10, encode="ordinal"), ["x"])]).fit(_exp_column(1, zeros=0.5))
    ranks = fitted.steps[0][1].to_dict()["state"]["edge_ranks"][0]
    edges = np.percentile(_exp_column(1, zeros=0.5)["x"].to_numpy(), np.linspace(0, 100, 11))
    assert ranks == np.flatnonzero(np.ediff1d(edges, to_begin=np.inf) > 1e-8).tolist()
    fitted.save(tmp_path / "model")
    for reference in (fitted, tmp_path / "model"):
        same = drift(reference, _exp_column(2, zeros=0.5)).features["x"]
        assert same.reference_shares == [0.0, *(np.diff(ranks) / 10).tolist(), 0.0]
        assert same.psi < 0.01 and not same.drifted
        # the non-zero half shifted: flagged by KS (0.11), and PSI moves away from 0 too
        moved = drift(reference, _exp_column(2, zeros=0.5, shift=0.3)).features["x"]
        assert moved.drifted and moved.ks > 0.1 and moved.psi > 0.05
        for cur in (_exp_column(2, zeros=0.5), _exp_column(2, zeros=0.5, shift=0.3)):
            got = drift(reference, cur).features["x"]
            exact = ks_2samp(_exp_column(1, zeros=0.5)["x"], cur["x"]).statistic
            assert abs(got.ks - exact) <= got.ks_error


def test_an_artifact_without_edge_ranks_has_no_psi_where_bins_were_dropped():
    # written before the ranks were saved: the kept bins' shares are unknown, KS keeps its bound
    with pytest.warns(UserWarning, match="Bins whose width are too small"):
        fitted = Pipeline([("kb", KBinsDiscretizer(n_bins=10, encode="ordinal"), ["x"])]).fit(_exp_column(1, zeros=0.5))
    del fitted.steps[0][1]._edge_ranks
    assert "edge_ranks" not in fitted.steps[0][1].to_dict()["state"]
    same = drift(fitted, _exp_column(2, zeros=0.5)).features["x"]
    assert same.psi is None and not same.drifted
    exact = ks_2samp(_exp_column(1, zeros=0.5)["x"], _exp_column(2, zeros=0.5)["x"]).statistic
    assert abs(same.ks - exact) <= same.ks_error


def test_bad_references_are_clear_errors(tmp_path):
    ref, cur = injected_pair(100)
    ref.write_parquet(tmp_path / "ref.parquet")
    with pytest.raises(ConfigError, match="the drift reference must be a saved profile or a fitted pipeline artifact"):
        drift(tmp_path / "ref.parquet", cur)
    with pytest.raises(ConfigError, match="must be a Profile, a FittedPipeline"):
        drift(ref, cur)
    with pytest.raises(ConfigError, match="the data has none of the reference's columns"):
        drift(profile(ref), pl.DataFrame({"other": [1]}))


def test_reference_sample_gives_scipys_exact_ks(tmp_path, monkeypatch):
    from tabprep.validate import _profile

    ref, cur = injected_pair()
    cur = cur.with_columns(pl.col("same_int").cast(pl.Float64).round(0))  # ties with the sample's values
    prof = profile(ref, sample=700, seed=5)
    monkeypatch.setattr(_profile, "BLOCK_ROWS", 3_001)  # counts summed over several blocks
    for reference in (prof, load_profile(prof.save(tmp_path / "ref"))):
        report = drift(reference, cur)
        for name in ("mean_shift", "var_change", "new_mode", "null_jump", "same_num", "same_int"):
            f = report.features[name]
            sample = reference.sample[name].drop_nulls().to_numpy()
            current = cur[name].drop_nulls().to_numpy()
            assert f.ks == ks_2samp(sample, current).statistic, name
            assert (f.ks_error, f.ks_sample) == (0.0, sample.size)
        assert report.drifted_features == DRIFTED
    # without a sample: the sketch estimate with its bound
    assert drift(profile(ref), cur).features["same_num"].ks_sample is None


def test_ks_from_counts_is_scipys_statistic():
    rng = np.random.default_rng(8)
    for _ in range(30):
        a = rng.integers(0, 20, int(rng.integers(1, 60))).astype(float)
        b = rng.integers(-3, 25, int(rng.integers(1, 200))).astype(float)
        u = np.unique(a)
        le = np.array([(b <= v).sum() for v in u])
        lt = np.array([(b < v).sum() for v in u])
        assert ks_from_counts(a, le, lt, b.size) == pytest.approx(ks_2samp(a, b).statistic, abs=1e-15)


def test_same_columns_as_evidently_default_rule_plus_the_null_jump():
    """evidently's DataDriftPreset on more than 1,000 rows flags a number column when the
    Wasserstein distance divided by the reference's standard deviation is >= 0.1, a categorical
    one when the Jensen-Shannon distance is >= 0.1, after dropping missing values (so it misses a
    null-rate jump). evidently itself (0.7.23, the newest) fails to import with pandas 3
    (``infer_dtype_from_object`` is gone), so its documented default rule is computed here with
    SciPy; tabprep flags the same columns, plus the null-rate jump."""
    from scipy.stats import wasserstein_distance

    ref, cur = injected_pair()
    flagged = []
    for name in ref.columns:
        r, c = ref[name].drop_nulls(), cur[name].drop_nulls()
        if r.dtype == pl.String:
            cats = sorted(set(r) | set(c))
            rc, cc = ([(s == v).sum() for v in cats] for s in (r, c))
            score = jensenshannon(np.array(rc, float) / len(r), np.array(cc, float) / len(c))
        else:
            score = wasserstein_distance(r.to_numpy(), c.to_numpy()) / np.std(r.to_numpy())
        if score >= 0.1:
            flagged.append(name)
    ours = drift(profile(ref), cur).drifted_features
    assert flagged == [f for f in DRIFTED if f != "null_jump"]
    assert ours == flagged[:5] + ["null_jump"] == DRIFTED


def test_same_columns_as_evidently_itself_plus_the_null_jump(tmp_path):
    """evidently's DataDriftPreset, for real, in its own venv (it does not import with pandas 3;
    see benchmarks/test_bench_validate.py for the venv): it flags the injected drifts but the
    null-rate jump (it drops missing values), tabprep flags those and the null jump."""
    import json
    import os
    import subprocess
    from pathlib import Path

    python = os.environ.get("TABPREP_PEER_EVIDENTLY", "/tmp/peer-evidently/bin/python")
    if not Path(python).exists():
        pytest.skip(f"evidently's own venv is missing ({python}); see benchmarks/test_bench_validate.py")
    ref, cur = injected_pair()
    ref.write_parquet(tmp_path / "ref.parquet")
    cur.write_parquet(tmp_path / "cur.parquet")
    child = Path(__file__).resolve().parents[2] / "benchmarks" / "_validate_peer_child.py"
    out = subprocess.run([python, str(child), "evidently", str(tmp_path / "ref.parquet"), str(tmp_path / "cur.parquet")],
                         check=True, capture_output=True, text=True)
    theirs = json.loads(out.stdout.strip().splitlines()[-1])["drifted"]
    ours = drift(profile(ref), cur).drifted_features
    assert sorted(theirs) == sorted(f for f in DRIFTED if f != "null_jump")
    assert ours == DRIFTED


# ---------------------------------------------------------------------------------------------
# KS against a fitted pipeline: from KBinsDiscretizer's quantile edges or its sketch, with a bound
def _fit_kbins(train: pl.DataFrame, **params):
    import warnings

    with warnings.catch_warnings():  # constant columns and dropped narrow bins warn, as scikit-learn's
        warnings.simplefilter("ignore", UserWarning)
        return Pipeline([("kb", KBinsDiscretizer(encode="ordinal", **params), ["x"])]).fit(train)


def _finite(s: pl.Series) -> np.ndarray:
    v = s.cast(pl.Float64).drop_nulls().to_numpy()
    return v[np.isfinite(v)]


METHODS = ["inverted_cdf", "averaged_inverted_cdf", "closest_observation", "interpolated_inverted_cdf", "hazen",
           "weibull", "linear", "median_unbiased", "normal_unbiased"]


@settings(max_examples=80, deadline=None)
@given(n_train=st.integers(1, 1500), n_cur=st.integers(1, 1500), n_bins=st.integers(2, 20),
       kind=st.sampled_from(["normal", "integers", "mixture"]), shift=st.floats(-2, 2), scale=st.floats(0.2, 3),
       missing=st.floats(0, 0.3), method=st.sampled_from(METHODS), seed=st.integers(0, 2**32 - 1))
def test_ks_from_kbins_edges_bounds_scipys_exact_ks(n_train, n_cur, n_bins, kind, shift, scale, missing, method, seed):
    rng = np.random.default_rng(seed)

    def draw(n, shift=0.0, scale=1.0):
        if kind == "normal":
            v = rng.normal(size=n)
        elif kind == "integers":  # heavy ties: equal edges dropped, quantiles inside runs of equal values
            v = rng.integers(0, 6, n).astype(float)
        else:
            v = np.where(rng.random(n) < 0.4, 1.0, rng.exponential(size=n))
        return v * scale + shift

    x = draw(n_train)
    x[rng.random(n_train) < missing] = np.nan
    train = pl.DataFrame({"x": x}).with_columns(pl.col("x").fill_nan(None))
    fitted = _fit_kbins(train, n_bins=n_bins, quantile_method=method)
    current = pl.DataFrame({"x": draw(n_cur, shift, scale)})
    f = drift(fitted, current).features["x"]
    reference = _finite(train["x"])
    if reference.size == 0 or np.unique(reference).size == 1:
        assert f.ks is None  # a constant or empty column has no quantile edges
        return
    exact = ks_2samp(reference, current["x"].to_numpy()).statistic
    assert f.ks is not None and f.ks_error is not None and f.ks_sample is None
    assert f.ks - f.ks_error - 1e-12 <= exact <= f.ks + f.ks_error + 1e-12
    # the bound is a reference bin's share (more where narrow bins were dropped), not vacuous
    kept = len(fitted.steps[0][1].bin_edges_[0]) - 1
    assert f.ks_error <= (1 + n_bins - kept) / n_bins + 2 / reference.size + 1e-12


def test_ks_from_kbins_flags_the_shifted_column_and_not_the_others():
    ref, cur = injected_pair()
    columns = ["mean_shift", "var_change", "new_mode", "same_num", "same_int"]
    fitted = Pipeline([("kb", KBinsDiscretizer(n_bins=10, encode="ordinal"), columns)]).fit(ref)
    only_ks = DriftThresholds(psi=None, missing_change=None, mean_shift=None)
    report = drift(fitted, cur, thresholds=only_ks)
    assert report.drifted_features == ["mean_shift", "var_change", "new_mode"]
    for name in columns:
        f = report.features[name]
        exact = ks_2samp(ref[name].to_numpy(), cur[name].to_numpy()).statistic
        assert abs(f.ks - exact) <= f.ks_error and 0 < f.ks_error <= 0.1 + 2 / ref.height
    assert drift(fitted, ref, thresholds=only_ks).drifted_features == []


def test_ks_from_kbins_subsample_edges_holds_its_bound():
    # edges of a 500-row subsample of 5,000 rows: a 99% bound (DKW + the subsample's valid count)
    for seed in range(12):
        rng = np.random.default_rng(seed)
        x = rng.gamma(2.0, size=5000)
        x[rng.random(5000) < 0.1] = np.nan
        train = pl.DataFrame({"x": x}).with_columns(pl.col("x").fill_nan(None))
        fitted = _fit_kbins(train, n_bins=8, subsample=500, random_state=seed)
        current = pl.DataFrame({"x": rng.gamma(2.0, size=3000) * (1 + seed / 10)})
        f = drift(fitted, current).features["x"]
        exact = ks_2samp(_finite(train["x"]), current["x"].to_numpy()).statistic
        assert abs(f.ks - exact) <= f.ks_error < 0.125 + 0.1


def test_ks_from_kbins_sketch_is_within_the_sketch_rank_error(tmp_path):
    from tabprep.bin import rank_error_bound

    rng = np.random.default_rng(3)
    train = pl.DataFrame({"x": rng.normal(size=60_000)})
    fitted = _fit_kbins(train, n_bins=10, sketch=True)
    fitted.save(tmp_path / "model")  # the sketch comes back from the artifact's Arrow table
    for shift in (0.0, 0.05, 0.3, 1.5):
        current = pl.DataFrame({"x": rng.normal(shift, 1.0, 20_000)})
        for reference in (fitted, tmp_path / "model"):
            f = drift(reference, current).features["x"]
            exact = ks_2samp(train["x"].to_numpy(), current["x"].to_numpy()).statistic
            assert f.ks_error <= rank_error_bound(200) + 1e-12 and abs(f.ks - exact) <= f.ks_error


def test_ks_from_reference_matches_the_exact_statistic_when_the_reference_is_known_everywhere():
    from tabprep.validate._drift import ReferenceCDF, ks_from_reference

    rng = np.random.default_rng(9)
    for _ in range(30):
        a = rng.integers(0, 15, int(rng.integers(1, 50))).astype(float)
        b = rng.integers(-3, 18, int(rng.integers(1, 80))).astype(float)
        u = np.unique(a)
        below = np.searchsorted(np.sort(a), u, side="left") / a.size
        at = np.searchsorted(np.sort(a), u, side="right") / a.size
        ref = ReferenceCDF(u, below, at, at, below, levels=False)  # every jump of F known exactly
        le = np.array([(b <= v).sum() for v in u])
        lt = np.array([(b < v).sum() for v in u])
        ks, bound = ks_from_reference(ref, le, lt, b.size)
        assert bound == pytest.approx(0.0, abs=1e-12) and ks == pytest.approx(ks_2samp(a, b).statistic, abs=1e-12)


def test_ks_from_kbins_with_per_column_bin_counts():
    rng = np.random.default_rng(0)
    train = pl.DataFrame({"x": rng.normal(size=3000), "y": rng.exponential(size=3000)})
    fitted = Pipeline([("kb", KBinsDiscretizer(n_bins=(4, 12), encode="ordinal"), ["x", "y"])]).fit(train)
    current = pl.DataFrame({"x": rng.normal(0.3, 1, 2000), "y": rng.exponential(size=2000) * 1.3})
    report = drift(fitted, current)
    for name, n_bins in (("x", 4), ("y", 12)):
        f = report.features[name]
        exact = ks_2samp(train[name].to_numpy(), current[name].to_numpy()).statistic
        assert abs(f.ks - exact) <= f.ks_error <= 1 / n_bins + 2 / train.height
