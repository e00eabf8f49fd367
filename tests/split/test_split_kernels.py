"""The split kernels against their plain Python/NumPy references (bit for bit) and their properties."""

from __future__ import annotations

import contextlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from oracles.split import (
    assign_blocks,
    assign_shuffled_blocked,
    assign_shuffled,
    fold_counts,
    fold_indices,
    greedy_lightest,
    label_counts,
    sklearn_stratified_allocation,
    first_appearance_codes,
)
from tabprep.kernels._split import (
    split_assign,
    split_assign_flat,
    split_fold_counts,
    split_fold_indices,
    split_greedy_lightest,
    split_label_counts,
    split_stratified_group,
    split_take,
)
from tabprep._base.alloc import stratified_fold_allocation

LABEL_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32]


@st.composite
def labelled(draw, max_rows=60, max_codes=6, max_folds=9):
    """Codes, a places table consistent with them, and a seed."""
    n_codes = draw(st.integers(1, max_codes))
    codes = np.array(draw(st.lists(st.integers(0, n_codes - 1), min_size=0, max_size=max_rows)), dtype=np.int64)
    k = draw(st.integers(1, max_folds))
    counts = np.bincount(codes, minlength=n_codes)
    places = np.zeros((n_codes, k), dtype=np.int64)
    for c in range(n_codes):
        # a random composition of counts[c] into k parts
        cuts = sorted(draw(st.lists(st.integers(0, int(counts[c])), min_size=k - 1, max_size=k - 1)))
        places[c] = np.diff([0, *cuts, int(counts[c])])
    seed = draw(st.integers(0, 2**64 - 1))
    return codes, places, seed


@settings(max_examples=150, deadline=None)
@given(labelled(), st.sampled_from(LABEL_DTYPES), st.integers(-3, 3))
def test_assign_shuffled_matches_oracle_bit_for_bit(case, dtype, shift):
    codes, places, seed = case
    lo = shift if np.iinfo(dtype).min <= shift else 0
    values = (codes + lo).astype(dtype)
    got = split_assign(values, lo, places, shuffle=True, seed=seed)
    np.testing.assert_array_equal(got, assign_shuffled(codes, places, seed))
    # exact per-code fold sizes, each row in exactly one fold
    for c in range(places.shape[0]):
        np.testing.assert_array_equal(np.bincount(got[codes == c], minlength=places.shape[1]), places[c])


@settings(max_examples=100, deadline=None)
@given(labelled())
def test_assign_blocks_matches_oracle(case):
    codes, places, _ = case
    got = split_assign(codes.astype(np.int32), 0, places, shuffle=False)
    np.testing.assert_array_equal(got, assign_blocks(codes, places))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=9), st.integers(0, 2**64 - 1))
def test_assign_flat_is_the_one_class_case(sizes, seed):
    sizes = np.array(sizes, dtype=np.int64)
    got = split_assign_flat(sizes, seed=seed)
    zeros = np.zeros(int(sizes.sum()), dtype=np.int8)
    np.testing.assert_array_equal(got, split_assign(zeros, 0, sizes[None, :], seed=seed))
    np.testing.assert_array_equal(np.bincount(got, minlength=len(sizes)), sizes)


# 26 codes count in four interleaved tables, 5000 (over 4096) in one
@pytest.mark.parametrize("n_codes", [26, 5000])
@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.integers(-5, 20), max_size=80), dtype=st.sampled_from([np.int8, np.int16, np.int64]))
def test_label_counts_matches_oracle(values, dtype, n_codes):
    values = np.array(values, dtype=dtype)
    lo = -5
    counts, first = split_label_counts(values, lo, n_codes)
    ref_counts, ref_first = label_counts(values, lo, n_codes)
    np.testing.assert_array_equal(counts, ref_counts)
    np.testing.assert_array_equal(first, ref_first)


@pytest.mark.parametrize("n_codes", [26, 5000])
@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.integers(-5, 20), max_size=80), block_rows=st.integers(1, 30), data=st.data())
def test_block_label_counts_matches_bincount_per_block(values, block_rows, data, n_codes):
    from tabprep._native import split as native

    values, lo = np.array(values, dtype=np.int16), -5
    n_blocks = max(1, -(-len(values) // block_rows))
    b0 = data.draw(st.integers(0, n_blocks - 1))
    b1 = data.draw(st.integers(b0, n_blocks))
    counts = np.ones((n_blocks, n_codes), dtype=np.int64)  # added to, as the blocks of each thread are
    native.block_label_counts(values, lo, block_rows, counts, b0, b1)
    for b in range(n_blocks):
        block = values[b * block_rows:(b + 1) * block_rows].astype(np.int64) - lo
        expected = 1 + (np.bincount(block, minlength=n_codes) if b0 <= b < b1 else 0)
        np.testing.assert_array_equal(counts[b], expected)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 50), min_size=1, max_size=40), st.integers(1, 8), st.randoms(use_true_random=False))
def test_greedy_lightest_matches_oracle(sizes, k, rnd):
    sizes = np.array(sizes, dtype=np.int64)
    order = np.array(rnd.sample(range(len(sizes)), len(sizes)), dtype=np.int64)
    np.testing.assert_array_equal(split_greedy_lightest(order, sizes, k), greedy_lightest(order, sizes, k))


def test_take_table():
    values = np.array([3, 5, 4, 3], dtype=np.int16)
    np.testing.assert_array_equal(split_take(values, 3, np.array([2, 0, 1], dtype=np.int8)), [2, 1, 0, 2])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=200), st.integers(2, 10))
def test_stratified_allocation_is_sklearn(y, k):
    y = first_appearance_codes(y)
    counts = np.bincount(y)
    np.testing.assert_array_equal(stratified_fold_allocation(counts, k), sklearn_stratified_allocation(y, k))
    alloc = stratified_fold_allocation(counts, k)
    assert (alloc.max(axis=1) - alloc.min(axis=1) <= 1).all()


def test_assignment_of_a_row_is_uniform_over_seeds():
    # every row of a class must land in each fold with probability places[c, f] / count[c]
    codes = np.array([0, 1, 0, 0, 1, 0, 1, 0, 0, 1], dtype=np.int8)
    places = np.array([[2, 2, 2], [2, 1, 1]])
    n_seeds = 3000
    hits = np.zeros((codes.size, 3), dtype=np.int64)
    for seed in range(n_seeds):
        folds = split_assign(codes, 0, places, seed=seed)
        hits[np.arange(codes.size), folds] += 1
    for row in range(codes.size):
        expected = places[codes[row]] / places[codes[row]].sum() * n_seeds
        p = stats.chisquare(hits[row], expected).pvalue
        assert p > 1e-4, (row, hits[row], expected)


def test_assignment_is_uniform_over_whole_assignments():
    # all C(4, 2) = 6 ways of putting 2 of 4 rows in fold 0 must be equally likely
    codes = np.zeros(4, dtype=np.int8)
    seen = {}
    for seed in range(6000):
        key = tuple(split_assign(codes, 0, [[2, 2]], seed=seed).tolist())
        seen[key] = seen.get(key, 0) + 1
    assert len(seen) == 6
    assert stats.chisquare(list(seen.values())).pvalue > 1e-4


def test_stratified_group_kernel_reproduces_sklearn_formula():
    # two classes, four groups: the greedy rule written with NumPy as scikit-learn does
    gc = np.array([[3.0, 1.0], [0.0, 2.0], [2.0, 2.0], [1.0, 0.0]])
    cc = gc.sum(axis=0)
    order = np.argsort(-np.std(gc, axis=1), kind="stable")
    per_fold = np.zeros((2, 2))
    ref = np.full(4, -1)
    for g in order:
        best, min_eval, min_samples = None, np.inf, np.inf
        for i in range(2):
            per_fold[i] += gc[g]
            ev = np.mean(np.std(per_fold / cc.reshape(1, -1), axis=0))
            per_fold[i] -= gc[g]
            samples = np.sum(per_fold[i])
            if ev < min_eval or (np.isclose(ev, min_eval) and samples < min_samples):
                best, min_eval, min_samples = i, ev, samples
        per_fold[best] += gc[g]
        ref[g] = best
    np.testing.assert_array_equal(split_stratified_group(order, gc, cc, np.ones(2)), ref)


def test_door_rejects_bad_inputs():
    with pytest.raises(TypeError, match="integer"):
        split_assign(np.array([0.5]), 0, [[1]])
    with pytest.raises(ValueError, match="sum"):
        split_assign(np.array([0, 0], dtype=np.int8), 0, [[1, 0]])
    with pytest.raises(IndexError):
        split_assign(np.array([0, 3], dtype=np.int8), 0, [[1], [1]])
    with pytest.raises(ValueError, match="folds"):
        split_assign_flat(np.ones(128, dtype=np.int64))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-1, 6), max_size=300), st.integers(1, 7))
def test_fold_indices_match_oracle(ids, k):
    # ids outside [0, k) (-1: a row in no test fold; k..6: a fold the caller does not ask for)
    # are in every training set and no test set, as np.flatnonzero(folds != f) has them
    folds = np.array(ids, dtype=np.int8)
    counts = split_fold_counts(folds, k)
    np.testing.assert_array_equal(counts, fold_counts(folds, k))
    assert counts.dtype == np.int64
    for f in range(k):
        train, test = split_fold_indices(folds, f, int(counts[f]))
        want_train, want_test = fold_indices(folds, f)
        assert train.dtype == test.dtype == np.int64
        np.testing.assert_array_equal(train, want_train)
        np.testing.assert_array_equal(test, want_test)
        assert train.flags.owndata and test.flags.owndata


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 5000), st.integers(2, 9), st.integers(0, 2**32 - 1), st.sampled_from([0.0, 0.5, 1.0]))
def test_fold_indices_long_runs_and_empty_folds(n, k, seed, run_share):
    # long runs of one fold (sorted blocks, as unshuffled KFold gives) and folds with no row:
    # the kernel's tail loops, after one output is full
    rng = np.random.default_rng(seed)
    folds = rng.integers(0, k, size=n).astype(np.int8)
    if run_share:
        m = int(n * run_share)
        folds[:m] = np.sort(folds[:m])
    folds[folds == k - 1] = 0  # fold k-1 is empty
    counts = split_fold_counts(folds, k)
    for f in range(k):
        got = split_fold_indices(folds, f, int(counts[f]))
        for a, b in zip(got, fold_indices(folds, f)):
            np.testing.assert_array_equal(a, b)


def test_fold_indices_door_checks():
    with pytest.raises(TypeError):
        split_fold_counts(np.zeros(3, dtype=np.int64), 2)
    with pytest.raises(ValueError):
        split_fold_counts(np.zeros(3, dtype=np.int8), 0)
    with pytest.raises(ValueError):
        split_fold_indices(np.zeros(3, dtype=np.int8), 0, 4)
    with pytest.raises(ValueError):
        split_fold_indices(np.zeros(3, dtype=np.int8), -1, 1)
    # a wrong count gives wrong indices but stays inside the outputs
    train, test = split_fold_indices(np.array([0, 1, 0, 1], dtype=np.int8), 0, 1)
    assert train.size == 3 and test.size == 1


@contextlib.contextmanager
def small_blocks(block_rows: int, piece_rows: int = 8, threads: int = 2):
    """Blocks and pieces of a few rows, on ``threads`` threads whatever the load: the blocked
    and parallel paths on inputs small enough for the oracles."""
    from tabprep.kernels import _split

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_split, "BLOCK_ROWS", block_rows)
        mp.setattr(_split, "_ROWS_PER_CELL", 0)
        mp.setattr(_split, "_PIECE_ROWS", piece_rows)
        mp.setattr(_split, "idle_threads", lambda: threads)
        yield


@settings(max_examples=150, deadline=None)
@given(labelled(max_rows=120, max_codes=12), st.sampled_from([1, 2, 3, 7, 16]), st.sampled_from([1, 2, 3]))
def test_assign_shuffled_in_blocks_matches_oracle(case, block_rows, threads):
    # fixed-size row blocks, per-block sizes drawn from the multivariate hypergeometric law,
    # each block from its own stream: the same ids on any number of threads
    codes, places, seed = case
    with small_blocks(block_rows, threads=threads):
        got = split_assign(codes.astype(np.int16), 0, places, shuffle=True, seed=seed)
    np.testing.assert_array_equal(got, assign_shuffled_blocked(codes, places, seed, block_rows))
    for c in range(places.shape[0]):
        np.testing.assert_array_equal(np.bincount(got[codes == c], minlength=places.shape[1]), places[c])



@settings(max_examples=150, deadline=None)
@given(labelled(max_rows=120, max_codes=12), st.sampled_from([1, 2, 3, 7, 16]), st.sampled_from([0, 1, 2]),
       st.sampled_from([1, 2]))
def test_label_block_counts_and_the_assignment_from_them(case, block_rows, rows_per_cell, threads):
    # the labels counted once per block (encode_labels), handed to the assignment: the same
    # counts, first rows and fold ids as counting again; with rows_per_cell > 0 the
    # assignment's blocks are 2, 4, ... blocks of the counts (their sums)
    from tabprep.kernels import _split
    from tabprep.kernels._split import split_label_block_counts

    codes, places, seed = case
    values = codes.astype(np.int16) + 3
    n_codes = places.shape[0]
    with small_blocks(block_rows, threads=threads):
        counts, first, block_counts = split_label_block_counts(values, 3, n_codes)
        n_blocks = max(1, -(-codes.size // block_rows))
        assert block_counts.shape == (n_blocks, n_codes) and block_counts.dtype == np.int64
        for b in range(n_blocks):
            np.testing.assert_array_equal(
                block_counts[b], np.bincount(codes[b * block_rows:(b + 1) * block_rows], minlength=n_codes))
        ref_counts, ref_first = label_counts(codes, 0, n_codes)
        np.testing.assert_array_equal(counts, ref_counts)
        np.testing.assert_array_equal(first, ref_first)
        kept = block_counts.copy()
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(_split, "_ROWS_PER_CELL", rows_per_cell)
            want = split_assign(values, 3, places, seed=seed, check=False)
            got = split_assign(values, 3, places, seed=seed, check=False, block_counts=block_counts)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(block_counts, kept)  # the assignment consumes a copy



@pytest.mark.parametrize("n, n_codes, k, base_rows, rows_per_cell", [
    (100, 2, 2, 2, 2), (301, 3, 5, 4, 1), (257, 2, 5, 3, 2), (500, 4, 3, 1, 1), (64, 3, 4, 4, 1),
])
def test_assignment_blocks_made_of_several_counted_blocks(n, n_codes, k, base_rows, rows_per_cell):
    # many codes x folds make the assignment's blocks 2, 4, ... of the counted blocks: their
    # counts are the sums of runs of the counted ones, and the ids are the oracle's
    from tabprep.kernels import _split
    from tabprep.kernels._split import split_label_block_counts

    rng = np.random.default_rng(n)
    codes = rng.integers(0, n_codes, n)
    counts = np.bincount(codes, minlength=n_codes)
    places = np.stack([np.diff(np.r_[0, np.sort(rng.integers(0, c + 1, k - 1)), c]) for c in counts])
    values = codes.astype(np.int32)
    with small_blocks(base_rows):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(_split, "_ROWS_PER_CELL", rows_per_cell)
            block_rows = _split._block_rows(n, n_codes, k)
            assert block_rows > base_rows and -(-n // block_rows) > 1  # the case under test
            _, _, block_counts = split_label_block_counts(values, 0, n_codes)
            got = split_assign(values, 0, places, seed=7, check=False, block_counts=block_counts)
    np.testing.assert_array_equal(got, assign_shuffled_blocked(codes, places, 7, block_rows))


@settings(max_examples=100, deadline=None)
@given(labelled(max_rows=120, max_codes=6), st.sampled_from([1, 3, 8, 200]), st.sampled_from([3, 8]),
       st.booleans())
def test_assignment_pieces_are_the_counted_pieces(case, block_rows, piece_rows, shuffle):
    # the fold sizes per piece that the assignment returns (from its block tables) are what
    # split_fold_pieces counts on its ids; None where its blocks are not the pieces
    from tabprep.kernels._split import split_fold_pieces

    codes, places, seed = case
    with small_blocks(block_rows, piece_rows=piece_rows):
        ids, pieces = split_assign(codes.astype(np.int8), 0, places, shuffle=shuffle, seed=seed, with_pieces=True)
        np.testing.assert_array_equal(ids, split_assign(codes.astype(np.int8), 0, places, shuffle=shuffle, seed=seed))
        counted = split_fold_pieces(ids, places.shape[1])
    if shuffle and (block_rows == piece_rows or codes.size <= min(block_rows, piece_rows)):
        assert pieces.dtype == np.int64
        np.testing.assert_array_equal(pieces, counted)
    else:
        assert pieces is None

def test_label_block_counts_door():
    from tabprep.kernels._split import MAX_BLOCK_CODES, split_label_block_counts

    values = np.array([0, 1, 1, 0, 2], dtype=np.int8)
    # many codes: no table per block, the totals as split_label_counts gives them
    counts, first, block_counts = split_label_block_counts(values, 0, MAX_BLOCK_CODES + 1)
    assert block_counts is None
    np.testing.assert_array_equal(counts[:3], [2, 2, 1])
    np.testing.assert_array_equal(first[:4], [0, 1, 4, -1])
    with pytest.raises(IndexError):
        split_label_block_counts(values, 0, 2)
    places = np.array([[1, 1], [1, 1], [1, 0]])
    _, _, block_counts = split_label_block_counts(values, 0, 3)
    with pytest.raises(ValueError, match="shape"):
        split_assign(values, 0, places, check=False, block_counts=block_counts[:, :2])
    with pytest.raises(ValueError, match="sum"):
        split_assign(values, 0, places, check=False, block_counts=block_counts + 1)

@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=9), st.integers(0, 2**64 - 1), st.sampled_from([1, 4, 9]))
def test_assign_flat_in_blocks_is_the_one_class_case(sizes, seed, block_rows):
    sizes = np.array(sizes, dtype=np.int64)
    zeros = np.zeros(int(sizes.sum()), dtype=np.int8)
    with small_blocks(block_rows):
        got = split_assign_flat(sizes, seed=seed)
        np.testing.assert_array_equal(got, split_assign(zeros, 0, sizes[None, :], seed=seed))
    np.testing.assert_array_equal(got, assign_shuffled_blocked(zeros, sizes[None, :], seed, block_rows))


def test_blocked_assignment_is_uniform_over_whole_assignments():
    # 6 rows in blocks of 2: all C(4, 2) * C(2, 1) = 12 assignments with these per-class fold
    # sizes must be equally likely, whatever the blocks (the per-block counts' law is right)
    codes = np.array([0, 1, 0, 0, 1, 0], dtype=np.int8)
    seen = {}
    with small_blocks(2):
        for seed in range(12000):
            key = tuple(split_assign(codes, 0, [[2, 2], [1, 1]], seed=seed).tolist())
            seen[key] = seen.get(key, 0) + 1
    assert len(seen) == 12
    assert stats.chisquare(list(seen.values())).pvalue > 1e-4


def test_blocked_flat_assignment_is_uniform():
    # 5 rows in blocks of 2, sizes (2, 2, 1): 5! / (2! 2! 1!) = 30 equally likely assignments
    seen = {}
    with small_blocks(2):
        for seed in range(15000):
            key = tuple(split_assign_flat([2, 2, 1], seed=seed).tolist())
            seen[key] = seen.get(key, 0) + 1
    assert len(seen) == 30
    assert stats.chisquare(list(seen.values())).pvalue > 1e-4


def test_assignment_above_one_block_has_exact_sizes_on_any_threads(monkeypatch):
    # the real block size: 3 blocks and a bit; the ids do not depend on the threads
    from tabprep.kernels import _split

    rng = np.random.default_rng(5)
    n = 3 * _split.BLOCK_ROWS + 1234
    codes = rng.choice(3, size=n, p=[0.7, 0.25, 0.05]).astype(np.int8)
    counts = np.bincount(codes, minlength=3)
    places = stratified_fold_allocation(counts, 5)
    got = {}
    for threads in (1, 2):
        monkeypatch.setattr(_split, "idle_threads", lambda: threads)
        got[threads] = split_assign(codes, 0, places, seed=11)
    np.testing.assert_array_equal(got[1], got[2])
    for c in range(3):
        np.testing.assert_array_equal(np.bincount(got[1][codes == c], minlength=5), places[c])
    # each block holds about its share of every fold (a blocked draw that favoured a block's
    # first fold, or repeated a stream, would show here)
    block = got[1][: _split.BLOCK_ROWS]
    share = np.bincount(block[codes[: _split.BLOCK_ROWS] == 0], minlength=5) / np.count_nonzero(codes[: _split.BLOCK_ROWS] == 0)
    assert np.abs(share - 0.2).max() < 0.01
    assert not np.array_equal(got[1][: 1000], got[1][_split.BLOCK_ROWS: _split.BLOCK_ROWS + 1000])



@pytest.mark.parametrize("k", [1, 2, 3, 5, 9])
def test_fold_indices_eight_row_steps_and_their_ends(k):
    # the kernel takes eight rows at a time while both outputs have room for eight, then one
    # by one: every length around those steps, a fold with few rows (its output fills first)
    # and a fold with almost all of them, in one pass and in pieces on two threads
    rng = np.random.default_rng(k)
    for n in range(0, 41):
        for weights in ([1.0] * k, [20.0] + [1.0] * (k - 1), [1.0] * (k - 1) + [20.0]):
            p = np.array(weights) / sum(weights)
            folds = rng.choice(k, size=n, p=p).astype(np.int8)
            counts = split_fold_counts(folds, k)
            for f in range(k):
                for got, want in zip(split_fold_indices(folds, f, int(counts[f])), fold_indices(folds, f)):
                    np.testing.assert_array_equal(got, want)
            with small_blocks(4, piece_rows=9):
                from tabprep.kernels._split import split_fold_pieces

                pieces = split_fold_pieces(folds, k)
                for f in range(k):
                    got = split_fold_indices(folds, f, int(counts[f]), pieces=pieces)
                    for a, b in zip(got, fold_indices(folds, f)):
                        np.testing.assert_array_equal(a, b)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(-1, 6), max_size=300), st.integers(1, 7), st.sampled_from([1, 5, 16, 64]))
def test_fold_indices_in_pieces_match_oracle(ids, k, piece_rows):
    # each piece of the rows fills its part of the outputs (on two threads)
    from tabprep.kernels._split import split_fold_pieces

    folds = np.array(ids, dtype=np.int8)
    with small_blocks(4, piece_rows=piece_rows):
        pieces = split_fold_pieces(folds, k)
        got = [split_fold_indices(folds, f, int(pieces[:, f].sum()), pieces=pieces) for f in range(k)]
    assert pieces.shape == (max(1, -(-len(ids) // piece_rows)), k)
    np.testing.assert_array_equal(pieces.sum(axis=0), fold_counts(folds, k))
    for f, (train, test) in enumerate(got):
        want_train, want_test = fold_indices(folds, f)
        np.testing.assert_array_equal(train, want_train)
        np.testing.assert_array_equal(test, want_test)


def test_fold_indices_in_pieces_with_wrong_counts_stay_inside():
    from tabprep.kernels._split import split_fold_pieces

    folds = np.array([0, 1, 0, 1, 1, 0, 0, 1], dtype=np.int8)
    with small_blocks(4, piece_rows=3):
        pieces = split_fold_pieces(folds, 2)
        wrong = pieces.copy()
        wrong[0, 0] += 2
        train, test = split_fold_indices(folds, 0, 4, pieces=wrong)
    assert train.size == 4 and test.size == 4
