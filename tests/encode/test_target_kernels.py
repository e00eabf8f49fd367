"""The compiled target-statistics kernels against the naive references in tests/oracles/target.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabprep.kernels._target import (
    check_target_rows,
    encoding_table,
    gather_encodings,
    target_stats,
    train_stats,
)
from tests.oracles.target import (
    encoding_ref,
    gather_ref,
    m2_ref,
    stats_ref,
    target_encode_ref,
    train_ref,
)

Y_DTYPES = [np.int8, np.int32, np.int64, np.float32, np.float64]


def _case(seed, n=200, n_slots=7, n_folds=3, weights=False, continuous=False, n_classes=0):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, n_slots, n).astype(np.int32)
    folds = rng.integers(0, n_folds, n).astype(np.int8)
    if n_classes:
        y = rng.integers(0, n_classes, n).astype(np.int32)
    elif continuous:
        y = rng.normal(3.0, 2.0, n)
    else:
        y = (rng.random(n) < 0.3).astype(np.int8)
    w = rng.exponential(1.0, n) * (rng.random(n) < 0.8) if weights else None
    return codes, y, folds, w


def _full(codes, n_slots, y, folds, n_folds, weight=None, n_classes=0, moments=False, binary=False):
    stats, m2 = target_stats(codes, n_slots, y, weight=weight, folds=folds, n_folds=n_folds,
                             n_classes=n_classes, moments=moments, binary=binary)
    tot, tot_m2 = target_stats(None, 1, y, weight=weight, folds=folds, n_folds=n_folds,
                               n_classes=n_classes, moments=moments)
    return train_stats(stats, m2), train_stats(tot, tot_m2)


# ------------------------------------------------------------------------------------ pass 1, 2
@pytest.mark.parametrize("ydt", Y_DTYPES)
@pytest.mark.parametrize("cdt", [np.int32, np.int64])
@pytest.mark.parametrize("weights", [False, True])
def test_stats_match_reference(ydt, cdt, weights):
    codes, y, folds, w = _case(1, weights=weights)
    codes = codes.astype(cdt)
    y = y.astype(ydt)
    codes[::11] = -1  # outside the vocabulary: counted nowhere
    got, _ = target_stats(codes, 7, y, weight=w, folds=folds, n_folds=3)
    np.testing.assert_allclose(got, stats_ref(codes, 7, y, w, folds, 3), rtol=1e-13, atol=1e-12)


def test_stats_without_folds_and_totals():
    codes, y, folds, w = _case(2, weights=True)
    got, _ = target_stats(codes, 7, y, weight=w)
    np.testing.assert_allclose(got, stats_ref(codes, 7, y, w), rtol=1e-13)
    tot, _ = target_stats(None, 1, y, weight=w, folds=folds, n_folds=3)
    np.testing.assert_allclose(tot, stats_ref(None, 1, y, w, folds, 3), rtol=1e-13)


@pytest.mark.parametrize("ydt", [np.int8, np.int32, np.int64])
@pytest.mark.parametrize("with_folds", [False, True])
def test_counted_stats_match_reference(ydt, with_folds):
    # the 4-byte counting path (unweighted 0/1 or classes) gives the float path's table
    codes, y, folds, _ = _case(14)
    codes[::13] = -1
    folds = folds if with_folds else None
    k = 3 if with_folds else 1
    got, _ = target_stats(codes, 7, y.astype(ydt), folds=folds, n_folds=k, binary=True)
    np.testing.assert_array_equal(got, stats_ref(codes, 7, y, None, folds, k))
    yc = np.random.default_rng(15).integers(0, 4, len(codes)).astype(ydt)
    got, _ = target_stats(codes, 7, yc, folds=folds, n_folds=k, n_classes=4)
    np.testing.assert_array_equal(got, stats_ref(codes, 7, yc, None, folds, k, n_classes=4))


def test_compact_cells_give_the_same_training_statistics():
    codes, y, folds, _ = _case(16)
    full, _ = target_stats(codes, 7, y, folds=folds, n_folds=3, binary=True)
    cells, _ = target_stats(codes, 7, y, folds=folds, n_folds=3, binary=True, compact=True)
    assert cells.dtype == np.uint32 and cells.shape == (7, 3, 2)
    np.testing.assert_array_equal(train_stats(cells)[0], train_stats(full)[0])
    yc = np.random.default_rng(17).integers(0, 3, len(codes)).astype(np.int32)
    full, _ = target_stats(codes, 7, yc, folds=folds, n_folds=3, n_classes=3)
    cells, _ = target_stats(codes, 7, yc, folds=folds, n_folds=3, n_classes=3, compact=True)
    np.testing.assert_array_equal(train_stats(cells)[0], train_stats(full)[0])
    # weights (or a continuous target) never take the counting path
    w = np.ones(len(codes))
    assert target_stats(codes, 7, y, weight=w, binary=True, compact=True)[0].dtype == np.float64


def test_class_stats_match_reference():
    codes, y, folds, w = _case(3, n_classes=4, weights=True)
    got, _ = target_stats(codes, 7, y, weight=w, folds=folds, n_folds=3, n_classes=4)
    np.testing.assert_allclose(got, stats_ref(codes, 7, y, w, folds, 3, n_classes=4), rtol=1e-13)
    # the class weights of a cell add up to its weight sum
    np.testing.assert_allclose(got[..., 2:].sum(-1), got[..., 1], rtol=1e-13)


@pytest.mark.parametrize("weights", [False, True])
def test_m2_matches_two_pass_reference(weights):
    codes, y, folds, w = _case(4, continuous=True, weights=weights)
    _, m2 = target_stats(codes, 7, y, weight=w, folds=folds, n_folds=3, moments=True)
    np.testing.assert_allclose(m2, m2_ref(codes, 7, y, w, folds, 3), rtol=1e-12, atol=1e-12)


def test_stats_accumulate_is_mergeable():
    # two halves added into the same table give the table of the whole (the streaming contract)
    codes, y, folds, w = _case(5, weights=True)
    whole, _ = target_stats(codes, 7, y, weight=w, folds=folds, n_folds=3)
    a, _ = target_stats(codes[:90], 7, y[:90], weight=w[:90], folds=folds[:90], n_folds=3)
    b, _ = target_stats(codes[90:], 7, y[90:], weight=w[90:], folds=folds[90:], n_folds=3)
    np.testing.assert_allclose(a + b, whole, rtol=1e-13)


# ------------------------------------------------------------------------------ train merge
@pytest.mark.parametrize("n_folds", [1, 2, 5])
@pytest.mark.parametrize("weights", [False, True])
def test_train_stats_match_rows(n_folds, weights):
    codes, y, folds, w = _case(6, n_folds=n_folds, continuous=True, weights=weights)
    (train, train_m2), _ = _full(codes, 7, y, folds, n_folds, w, moments=True)
    ref, ref_m2 = train_ref(codes, 7, y, w, folds, n_folds, moments=True)
    np.testing.assert_allclose(train, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(train_m2, ref_m2, rtol=1e-10, atol=1e-10)


def test_train_m2_is_stable_for_a_large_offset():
    # sum(y^2) - sum(y)^2/n would lose every digit here; Chan's merge keeps them
    rng = np.random.default_rng(7)
    y = 1e6 + rng.normal(0, 1e-3, 1000)
    codes = rng.integers(0, 3, 1000).astype(np.int32)
    folds = rng.integers(0, 4, 1000).astype(np.int8)
    (train, train_m2), _ = _full(codes, 3, y, folds, 4, moments=True)
    _, ref_m2 = train_ref(codes, 3, y, None, folds, 4, moments=True)
    np.testing.assert_allclose(train_m2, ref_m2, rtol=1e-5)
    sq, _ = target_stats(codes, 3, y * y, folds=folds, n_folds=4)
    naive = train_stats(sq)[0][..., 2] - train[..., 2] ** 2 / train[..., 1]
    assert np.abs(naive - ref_m2).max() > 100 * np.abs(train_m2 - ref_m2).max()


# -------------------------------------------------------------------------------- encodings
@pytest.mark.parametrize("mode,param", [("m-estimate", 0.0), ("m-estimate", 2.5), ("auto", 0.0),
                                        ("woe", 1.0), ("woe", 0.5)])
@pytest.mark.parametrize("weights", [False, True])
def test_encodings_binary_match_reference(mode, param, weights):
    codes, y, folds, w = _case(8, n_slots=9, weights=weights)
    (train, _), (totals, _) = _full(codes, 9, y, folds, 3, w)
    got = encoding_table(train, totals, mode=mode, param=param, ignore_singletons=True)
    ref = encoding_ref(train, totals, mode, param, ignore_singletons=True)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-13)


def test_encodings_continuous_auto_match_reference():
    codes, y, folds, w = _case(9, continuous=True, weights=True)
    (train, tm2), (totals, totm2) = _full(codes, 7, y, folds, 3, w, moments=True)
    got = encoding_table(train, totals, mode="auto", train_m2=tm2, totals_m2=totm2)
    ref = encoding_ref(train, totals, "auto", 0.0, tm2, totm2)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-13)


def test_encodings_classes_match_reference():
    codes, y, folds, w = _case(10, n_classes=3)
    (train, _), (totals, _) = _full(codes, 7, y, folds, 3, n_classes=3)
    for mode in ("auto", "m-estimate"):
        got = encoding_table(train, totals, mode=mode, param=1.0)
        np.testing.assert_allclose(got, encoding_ref(train, totals, mode, 1.0), rtol=1e-12)


def test_empty_cells_get_the_prior():
    # category 2 is only in fold 0, so fold 0's training rows never see it
    codes = np.array([0, 1, 2, 0, 1, 0], dtype=np.int32)
    folds = np.array([0, 1, 0, 1, 0, 1], dtype=np.int8)
    y = np.array([1, 0, 1, 0, 1, 1], dtype=np.int8)
    (train, _), (totals, _) = _full(codes, 3, y, folds, 2)
    prior0 = totals[0, 0, 2] / totals[0, 0, 1]
    for mode, param, expect in (("auto", 0, prior0), ("m-estimate", 0.0, prior0), ("m-estimate", 3.0, prior0),
                                ("woe", 1.0, 0.0)):
        table = encoding_table(train, totals, mode=mode, param=param)
        assert table[0, 2, 0] == pytest.approx(expect, abs=1e-15)
        assert table[0, 3, 0] == pytest.approx(expect, abs=1e-15)  # the unknown slot


def test_zero_weights_count_nowhere():
    codes = np.array([0, 0, 1, 1], dtype=np.int32)
    y = np.array([1.0, 5.0, 2.0, 100.0])
    w = np.array([1.0, 1.0, 1.0, 0.0])
    (train, tm2), (totals, totm2) = _full(codes, 2, y, None, 1, w, moments=True)
    # index -1 is the full fit (index 0, "every fold but fold 0", is empty with one fold)
    assert totals[-1, 0].tolist() == [4.0, 3.0, 8.0]   # rows, W, S: the zero-weight row adds no weight
    table = encoding_table(train, totals, mode="m-estimate", param=0.0)
    assert table[-1, :, 0].tolist() == [3.0, 2.0, 8.0 / 3.0]
    table = encoding_table(train, totals, mode="auto", train_m2=tm2, totals_m2=totm2)
    assert np.isfinite(table[-1]).all()


# ---------------------------------------------------------------------------------- gather
@pytest.mark.parametrize("out_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_out", [1, 3])
def test_gather_matches_reference(out_dtype, n_out):
    rng = np.random.default_rng(11)
    table = rng.normal(size=(4, 6, n_out))
    codes = rng.integers(-1, 5, 300).astype(np.int32)
    folds = rng.integers(0, 4, 300).astype(np.int8)
    got = gather_encodings(codes, table, folds=folds, dtype=out_dtype)
    np.testing.assert_array_equal(got, gather_ref(codes, table, folds).astype(out_dtype))
    got = gather_encodings(codes.astype(np.int64), table[-1:], dtype=out_dtype)
    np.testing.assert_array_equal(got, gather_ref(codes, table[-1:]).astype(out_dtype))


def test_slot_major_table_is_the_same_table():
    codes, y, folds, _ = _case(18)
    (train, _), (totals, _) = _full(codes, 7, y, folds, 3)
    a = encoding_table(train, totals, mode="auto")
    b = encoding_table(train, totals, mode="auto", slot_major=True)
    np.testing.assert_array_equal(a, b)
    assert b.transpose(1, 0, 2).flags.c_contiguous
    np.testing.assert_array_equal(gather_encodings(codes, a, folds=folds), gather_encodings(codes, b, folds=folds))


def test_gather_writes_into_a_column_slice_in_place():
    table = np.array([[[1.0], [2.0], [-1.0]]])
    matrix = np.zeros((3, 3), order="F")
    out = gather_encodings(np.array([1, 0, 5 - 6], dtype=np.int32), table, out=matrix[:, 1:2])
    assert np.shares_memory(out, matrix)
    assert matrix.tolist() == [[0, 2, 0], [0, 1, 0], [0, -1, 0]]


def test_whole_chain_matches_literal_target_encoding():
    codes, y, folds, w = _case(12, n=150, continuous=True, weights=True)
    for smooth in ("auto", 0.0, 4.0):
        moments = smooth == "auto"
        (train, tm2), (totals, totm2) = _full(codes, 7, y, folds, 3, w, moments=moments)
        mode, param = ("auto", 0.0) if moments else ("m-estimate", smooth)
        table = encoding_table(train, totals, mode=mode, param=param, train_m2=tm2, totals_m2=totm2)
        oof = gather_encodings(codes, table, folds=folds)[:, 0]
        ref = target_encode_ref(codes, y, smooth=smooth, folds=folds, n_folds=3, weight=w)
        np.testing.assert_allclose(oof, ref, rtol=1e-11, atol=1e-12)
        full = gather_encodings(codes, table[-1:])[:, 0]
        np.testing.assert_allclose(full, target_encode_ref(codes, y, smooth=smooth, weight=w), rtol=1e-11)


# ----------------------------------------------------------------------------- edge cases
def test_empty_input():
    empty = np.array([], dtype=np.int32)
    stats, m2 = target_stats(empty, 3, np.array([], dtype=np.float64), moments=True)
    assert stats.shape == (3, 1, 3) and not stats.any() and not m2.any()
    train, train_m2 = train_stats(stats, m2)
    assert train.shape == (2, 3, 3) and not train.any() and not train_m2.any()
    assert gather_encodings(empty, np.zeros((1, 4, 1))).shape == (0, 1)
    assert check_target_rows(np.array([], dtype=np.float64)) == (-1, -1, -1)
    stats, _ = target_stats(empty, 0, np.array([], dtype=np.int8))
    assert stats.shape == (0, 1, 3)
    assert train_stats(stats)[0].shape == (2, 0, 3)


def test_one_category():
    y = np.array([0.5, 1.5, 2.5, 3.5])
    codes = np.zeros(4, dtype=np.int32)
    (train, tm2), (totals, totm2) = _full(codes, 1, y, None, 1, moments=True)
    table = encoding_table(train, totals, mode="auto", train_m2=tm2, totals_m2=totm2)
    # one category = all rows: its mean is the prior whatever the shrinkage
    assert table[-1, :, 0].tolist() == [2.0, 2.0]


def test_all_rows_outside_vocabulary():
    codes = np.full(5, -1, dtype=np.int32)
    stats, _ = target_stats(codes, 2, np.ones(5, dtype=np.int8))
    assert not stats.any()


def test_check_rows_finds_the_first_bad_row():
    y = np.array([0.0, 1.0, np.nan, np.inf])
    assert check_target_rows(y) == (2, -1, -1)
    assert check_target_rows(np.array([1, 0, -np.inf])) == (2, -1, -1)
    assert check_target_rows(np.array([0, 1, 3], dtype=np.int32), n_classes=3) == (2, -1, -1)
    assert check_target_rows(np.array([0, -1], dtype=np.int8), n_classes=2) == (1, -1, -1)
    assert check_target_rows(np.ones(3), weight=np.array([0.0, np.nan, -1.0])) == (-1, 1, -1)
    assert check_target_rows(np.ones(3), weight=np.array([0.0, 1.0, -0.5])) == (-1, 2, -1)
    folds = np.array([0, 1, 2], dtype=np.int8)
    assert check_target_rows(np.ones(3), folds=folds, n_folds=2) == (-1, -1, 2)
    assert check_target_rows(np.ones(3, dtype=np.float32), folds=folds, n_folds=3) == (-1, -1, -1)


def test_bad_arguments():
    y = np.ones(3)
    with pytest.raises(TypeError, match="codes"):
        target_stats(np.zeros(3, dtype=np.int16), 1, y)
    with pytest.raises(IndexError, match="outside"):
        target_stats(np.array([0, 1, 2], dtype=np.int32), 2, y)
    with pytest.raises(ValueError, match="length"):
        target_stats(np.zeros(2, dtype=np.int32), 1, y)
    with pytest.raises(ValueError, match="n_folds"):
        target_stats(np.zeros(3, dtype=np.int32), 1, y, n_folds=128, folds=np.zeros(3, np.int8))
    with pytest.raises(ValueError, match="mode"):
        encoding_table(np.zeros((1, 1, 3)), np.zeros((1, 1, 3)), mode="mean")
    with pytest.raises(IndexError):
        gather_encodings(np.array([3], dtype=np.int32), np.zeros((1, 3, 1)))
    with pytest.raises(ValueError, match="Fortran"):
        gather_encodings(np.array([0, 0], dtype=np.int32), np.zeros((1, 2, 2)), out=np.zeros((2, 2)))


@pytest.mark.slow
def test_one_million_categories():
    n = 3_000_000
    rng = np.random.default_rng(13)
    codes = rng.integers(0, 1_000_000, n).astype(np.int32)
    y = (rng.random(n) < 0.2).astype(np.int8)
    folds = rng.integers(0, 5, n).astype(np.int8)
    stats, _ = target_stats(codes, 1_000_000, y, folds=folds, n_folds=5)
    # against NumPy's bincount (the row loop of the oracle is too slow at this size)
    cell = codes.astype(np.int64) * 5 + folds
    np.testing.assert_array_equal(stats[..., 0].ravel(), np.bincount(cell, minlength=5_000_000))
    np.testing.assert_array_equal(stats[..., 2].ravel(), np.bincount(cell, weights=y, minlength=5_000_000))
    (train, _), (totals, _) = _full(codes, 1_000_000, y, folds, 5)
    np.testing.assert_array_equal(train[5], stats.sum(axis=1))
    np.testing.assert_array_equal(train[2], stats.sum(axis=1) - stats[:, 2])
    table = encoding_table(train, totals, mode="m-estimate", param=1.0)
    out = gather_encodings(codes, table, folds=folds)[:, 0]
    prior = totals[folds, 0, 2] / totals[folds, 0, 1]
    W, S = train[folds, codes, 1], train[folds, codes, 2]
    np.testing.assert_allclose(out, (S + prior) / (W + 1.0), rtol=1e-14)


# ------------------------------------------------------------------------------ properties
@st.composite
def _problems(draw):
    n = draw(st.integers(0, 60))
    n_slots = draw(st.integers(1, 6))
    n_folds = draw(st.integers(1, 4))
    codes = np.array(draw(st.lists(st.integers(-1, n_slots - 1), min_size=n, max_size=n)), dtype=np.int32)
    folds = np.array(draw(st.lists(st.integers(0, n_folds - 1), min_size=n, max_size=n)), dtype=np.int8)
    kind = draw(st.sampled_from(["binary", "continuous", "classes"]))
    if kind == "binary":
        y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)), dtype=np.int8)
    elif kind == "classes":
        y = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), dtype=np.int32)
    else:
        y = np.array(draw(st.lists(st.floats(-1e3, 1e3), min_size=n, max_size=n)), dtype=np.float64)
    weight = None
    if draw(st.booleans()):
        weight = np.array(draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.25]), min_size=n, max_size=n)))
    return codes, n_slots, y, folds, n_folds, weight, kind


@settings(max_examples=150, deadline=None)
@given(_problems())
def test_property_chain_matches_reference(problem):
    codes, n_slots, y, folds, n_folds, weight, kind = problem
    n_classes = 3 if kind == "classes" else 0
    moments = kind == "continuous"
    (train, tm2), (totals, totm2) = _full(codes, n_slots, y, folds, n_folds, weight, n_classes, moments,
                                          binary=kind == "binary")
    ref, ref_m2 = train_ref(codes, n_slots, y, weight, folds, n_folds, n_classes, moments)
    np.testing.assert_allclose(train, ref, rtol=1e-12, atol=1e-9)
    if moments:
        np.testing.assert_allclose(tm2, ref_m2, rtol=1e-9, atol=1e-6)
    modes = [("auto", 0.0), ("m-estimate", 1.5)] + ([("woe", 1.0)] if kind == "binary" else [])
    for mode, param in modes:
        table = encoding_table(train, totals, mode=mode, param=param, train_m2=tm2, totals_m2=totm2)
        expect = encoding_ref(train, totals, mode, param, tm2, totm2)
        np.testing.assert_allclose(table, expect, rtol=1e-9, atol=1e-9)
        got = gather_encodings(codes, table, folds=folds)
        np.testing.assert_array_equal(got, gather_ref(codes, table, folds))


@settings(max_examples=100, deadline=None)
@given(_problems(), st.sampled_from([1, 2, 3]), st.sampled_from([1, 4, 16]))
def test_row_pieces_on_threads_match_reference(problem, threads, piece_rows):
    # the count pass (one table per thread, added up) and the gather (row pieces) split their
    # rows on the idle threads: the same cells and encodings as the references, on any split
    from tabprep.kernels import _target

    codes, n_slots, y, folds, n_folds, weight, kind = problem
    n_classes = 3 if kind == "classes" else 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_target, "idle_threads", lambda: threads)
        mp.setattr(_target, "_PARALLEL_ROWS", 1)
        mp.setattr(_target, "_PIECE_ROWS", piece_rows)
        mp.setattr(_target, "_COUNT_TABLE_SHARE", 0)
        if kind != "continuous" and weight is None:
            cells, _ = target_stats(codes, n_slots, y, folds=folds, n_folds=n_folds, n_classes=n_classes,
                                    binary=kind == "binary", compact=True)
            assert cells.dtype == np.uint32
            ref = stats_ref(codes, n_slots, y, None, folds, n_folds, n_classes=n_classes)
            np.testing.assert_array_equal(cells[..., 0], ref[..., 0])
            np.testing.assert_array_equal(cells[..., 1:], ref[..., 2:])
        table = np.random.default_rng(len(codes)).normal(size=(n_folds, n_slots + 1, max(n_classes, 1)))
        got = gather_encodings(codes, table, folds=folds)
    np.testing.assert_array_equal(got, gather_ref(codes, table, folds))
