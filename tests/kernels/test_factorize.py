"""tabprep.kernels.factorize / encode_with / Vocabulary against plain-Python references."""

from __future__ import annotations

import doctest
import os
import signal
import warnings

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles.factorize import encode_ref, factorize_pyarrow, factorize_ref

import tabprep.kernels._factorize as factorize_module
from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep.kernels import Vocabulary, encode_with, factorize

NULL_MODES = ["code", "sentinel"]
ORDERS = ["first_seen", "sorted"]


# ------------------------------------------------------------------------------------------
# Building every accepted input layout from one Python list
# ------------------------------------------------------------------------------------------


def _string_view(values: list) -> pa.Array:
    return pa.array(values, type=pa.large_string()).cast(pa.string_view())


def _sliced(values: list, typ) -> pa.Array:
    # the same values behind a non-zero offset (a few rows of padding on both sides)
    padded = ["pad-left-long-string", None, *values, "pad-right"]
    arr = pa.array(padded, type=typ) if typ != "view" else _string_view(padded)
    out = arr.slice(2, len(values))
    assert out.offset == 2
    return out


def _chunked(values: list, typ=pa.string(), pieces: int = 3) -> pa.ChunkedArray:
    bounds = np.linspace(0, len(values), pieces + 1).astype(int)
    return pa.chunked_array(
        [pa.array(values[a:b], type=typ) for a, b in zip(bounds[:-1], bounds[1:])], type=typ
    )


def _messy_dictionary(values: list) -> pa.DictionaryArray:
    # duplicate and unused dictionary entries, and a null inside the dictionary itself
    distinct = list(dict.fromkeys(v for v in values if v is not None))
    dictionary = ["unused", *distinct, *distinct, None]
    pos = {v: 1 + i + (i % 2) * len(distinct) for i, v in enumerate(distinct)}  # alternate copies
    null_slot = len(dictionary) - 1
    indices = [
        (None if i % 2 else null_slot) if v is None else pos[v] for i, v in enumerate(values)
    ]
    return pa.DictionaryArray.from_arrays(pa.array(indices, type=pa.int16()), pa.array(dictionary))


STRING_LAYOUTS = {
    "string": lambda v: pa.array(v, type=pa.string()),
    "large_string": lambda v: pa.array(v, type=pa.large_string()),
    "string_view": _string_view,
    "dictionary": lambda v: pa.array(v, type=pa.string()).dictionary_encode(),
    "dictionary_messy": _messy_dictionary,
    "sliced_string": lambda v: _sliced(v, pa.string()),
    "sliced_large": lambda v: _sliced(v, pa.large_string()),
    "sliced_view": lambda v: _sliced(v, "view"),
    "sliced_dictionary": lambda v: _sliced(v, pa.string()).dictionary_encode(),
    "chunked_string": lambda v: _chunked(v),
    "chunked_view": lambda v: _chunked(v, pa.string_view()),
    "chunked_dictionary": lambda v: pa.chunked_array(
        [c.dictionary_encode() for c in _chunked(v).chunks], type=pa.dictionary(pa.int32(), pa.string())
    ),
    "polars_string": lambda v: pl.Series("s", v, dtype=pl.String),
    "polars_string_chunks": lambda v: pl.concat(
        [pl.Series("s", v[: len(v) // 2], dtype=pl.String), pl.Series("s", v[len(v) // 2 :], dtype=pl.String)],
        rechunk=False,
    ),
    "polars_categorical": lambda v: pl.Series("s", v, dtype=pl.String).cast(pl.Categorical),
    "polars_enum": lambda v: pl.Series("s", v, dtype=pl.String).cast(
        pl.Enum(sorted({x for x in v if x is not None}, reverse=True))
    ),
}

STRING_CASES = {
    "empty": [],
    "all_null": [None, None, None],
    "one_value": ["only"] * 5,
    "one_row": ["x"],
    "nulls_first": [None, "a", None, "b", "a"],
    "empty_vs_null": ["", None, "", "a", None, ""],
    "non_ascii": ["é", "e", "日本語", "é", "🙂", "e\u0301", "ß", "日本語", "Ω" * 7],
    # 12 bytes fit an Arrow view inline, 13 do not; shared prefixes and suffixes around the edge
    "inline_boundary": [
        "abcdefghijkl", "abcdefghijklm", "abcdefghijk", "abcdefghijkl", "abcdefghijklm",
        "abcdefghijkx", "abcdefghijklx", "abcd", "abc", "abcdefgh", "abcdefghi", "abcdefghijklmn",
    ],
    # the slot key holds 20 bytes; longer strings also compare their tail
    "key_boundary_20": [
        "a" * 19, "a" * 20, "a" * 21, "a" * 19 + "b", "a" * 20 + "b", "a" * 20, "a" * 19,
        "a" * 12 + "b" * 8, "a" * 12 + "b" * 7 + "c", "a" * 21, "a" * 20 + "c", "a" * 12 + "b" * 8,
    ],
    "long": ["x" * 1000, "x" * 999 + "y", "x" * 1000, "y" + "x" * 999, "x" * 100, "x" * 17, "x" * 16],
    "nul_bytes": ["a", "a\x00", "a\x00\x00", "a", "\x00", "", "a\x00"],
    "mixed": ["cat_long_name_1", "c1", None, "c1", "cat_long_name_2", "cat_long_name_1", "", "c2"],
}


def _check(values: list, layout: str, null: str, order: str) -> None:
    arr = STRING_LAYOUTS[layout](values)
    codes, uniques = factorize(arr, null=null, order=order)
    want_codes, want_uniques = factorize_ref(values, null=null, order=order)
    assert codes.dtype == np.int32
    np.testing.assert_array_equal(codes, want_codes)
    assert uniques.type == pa.large_string()
    assert uniques.to_pylist() == want_uniques


@pytest.mark.parametrize("case", list(STRING_CASES))
@pytest.mark.parametrize("layout", list(STRING_LAYOUTS))
def test_strings_first_seen_code(case, layout):
    values = STRING_CASES[case]
    if layout == "polars_enum" and not any(v is not None for v in values):
        pytest.skip("an Enum needs at least one category")
    _check(values, layout, "code", "first_seen")


@pytest.mark.parametrize("null", NULL_MODES)
@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("layout", ["string", "string_view", "dictionary_messy", "chunked_view", "polars_categorical"])
@pytest.mark.parametrize(
    "case", ["empty", "all_null", "nulls_first", "non_ascii", "inline_boundary", "key_boundary_20", "mixed"]
)
def test_strings_null_modes_and_orders(case, layout, null, order):
    _check(STRING_CASES[case], layout, null, order)


def test_view_padding_garbage_is_ignored():
    # Arrow says inline view bytes past the length are zero; a producer that leaves garbage
    # there must not split one value into two.
    arr = pa.array(["ab", "ab", "abcdefghijkl", "abcdefghijkl", "", ""], type=pa.string_view())
    views = np.frombuffer(arr.buffers()[1], dtype=np.uint8).copy().reshape(-1, 16)
    for row in (1, 3, 5):
        length = int(views[row, :4].view(np.int32)[0])
        views[row, 4 + length :] = 0xAB
    dirty = pa.Array.from_buffers(pa.string_view(), len(arr), [None, pa.py_buffer(views.tobytes())])
    assert dirty.to_pylist()[:2] == ["ab", "ab"]
    codes, uniques = factorize(dirty)
    np.testing.assert_array_equal(codes, [0, 0, 1, 1, 2, 2])
    assert uniques.to_pylist() == ["ab", "abcdefghijkl", ""]


def test_view_with_several_data_buffers():
    a = pl.Series("s", [f"first-buffer-long-{i % 7}" for i in range(50)])
    b = pl.Series("s", [f"second-buffer-long-{i % 5}" for i in range(50)] + ["first-buffer-long-3"])
    s = pl.concat([a, b]).rechunk()
    ca = pa.chunked_array(s)
    assert ca.num_chunks == 1 and len(ca.chunk(0).buffers()) > 3  # views reference >1 data buffer
    codes, uniques = factorize(s)
    want_codes, want_uniques = factorize_ref(s.to_list())
    np.testing.assert_array_equal(codes, want_codes)
    assert uniques.to_pylist() == want_uniques


@pytest.mark.parametrize("null", NULL_MODES)
def test_long_categorical_reads_physical_ids(monkeypatch, null):
    # Long polars Categoricals are read as physical ids over the Categories' strings instead of
    # through the Arrow export; both must give the same result (chunked, with nulls, sliced).
    values = ["b", None, "a", "b", "c" * 30, "a", None, "é"] * 5
    pl.Series(["unrelated", "categories", "first"]).cast(pl.Categorical)  # ids not used by s
    s = pl.concat([pl.Series(values[:17]), pl.Series(values[17:])], rechunk=False).cast(pl.Categorical)
    exported = factorize(s, null=null)
    monkeypatch.setattr(factorize_module, "_CATEGORICAL_PHYSICAL_ROWS", 1)
    for series, vals in [(s, values), (s.slice(3, 20), values[3:23])]:
        codes, uniques = factorize(series, null=null)
        want_codes, want_uniques = factorize_ref(vals, null=null)
        np.testing.assert_array_equal(codes, want_codes)
        assert uniques.to_pylist() == want_uniques
    np.testing.assert_array_equal(factorize(s, null=null)[0], exported[0])
    empty = pl.Series([], dtype=pl.String).cast(pl.Categorical)
    assert len(factorize(empty)[0]) == 0


def test_chunked_array_without_chunks():
    for typ, kind in [(pa.string_view(), pa.large_string()), (pa.uint16(), pa.uint16())]:
        codes, uniques = factorize(pa.chunked_array([], type=typ))
        assert codes.dtype == np.int32 and len(codes) == 0
        assert uniques.type == kind and len(uniques) == 0
        assert len(encode_with(pa.chunked_array([], type=typ), pa.array([], type=kind))) == 0


def test_malformed_dictionary_index_is_an_error():
    bad = pa.DictionaryArray.from_arrays(pa.array([0, 5], type=pa.int8()), pa.array(["a", "b"]), safe=False)
    with pytest.raises(DataError, match="dictionary index out of range; found index 5 for a dictionary of 2"):
        factorize(bad)


def test_chunking_and_layout_do_not_change_the_result():
    rng = np.random.default_rng(0)
    words = [f"w{i}" + "_long_suffix" * (i % 3 == 0) for i in range(300)]
    values = [None if x < 0 else words[x] for x in rng.integers(-20, 300, size=5000)]
    results = []
    for make in [
        lambda: pa.array(values),
        lambda: _chunked(values, pa.string(), 7),
        lambda: _chunked(values, pa.large_string(), 13),
        lambda: _chunked(values, pa.string_view(), 2),
        lambda: pl.Series(values, dtype=pl.String),
        lambda: pl.Series(values, dtype=pl.String).cast(pl.Categorical),
    ]:
        codes, uniques = factorize(make())
        results.append((codes.tobytes(), uniques))
    for codes, uniques in results[1:]:
        assert codes == results[0][0]
        assert uniques.equals(results[0][1])


def test_many_distinct_values_grow_the_table():
    values = [f"value-{i}" + ("-long" * (i % 4)) for i in range(30_000)] * 2
    values[5] = None
    for arr in (pa.array(values), _string_view(values)):
        codes, uniques = factorize(arr)
        want_codes, want_uniques = factorize_ref(values)
        np.testing.assert_array_equal(codes, want_codes)
        assert uniques.to_pylist() == want_uniques


@pytest.mark.slow
def test_one_million_distinct():
    n = 1_000_000
    rng = np.random.default_rng(1)
    ids = rng.permutation(n)
    values = pa.array([f"id-{i}" if i % 3 else f"identifier-number-{i}" for i in ids.tolist()])
    values = pa.concat_arrays([values, values.take(pa.array(rng.integers(0, n, size=n)))])
    codes, uniques = factorize(values)
    want_codes, want_uniques = factorize_pyarrow(values)
    np.testing.assert_array_equal(codes, want_codes)
    assert uniques.to_pylist() == want_uniques
    codes, uniques = factorize(values.cast(pa.string_view()), order="sorted")
    assert uniques.to_pylist() == sorted(want_uniques)
    np.testing.assert_array_equal(uniques.take(pa.array(codes)).to_pylist(), values.to_pylist())


@pytest.mark.parametrize("helped", [0.0, 0.45, 1.0], ids=["taken_over", "half_done", "all_done"])
@pytest.mark.parametrize("parts", [2, 3, 5])
@pytest.mark.parametrize("null", NULL_MODES)
def test_rows_split_over_threads_match_serial(monkeypatch, parts, null, helped):
    # Force the threaded path on small inputs: merging the helpers' tables must reproduce the
    # serial first-seen codes exactly (the null first appears in a later part), whether a helper
    # finished its part, got through some blocks of it, or none (the rest is taken over).
    monkeypatch.setattr(factorize_module, "_n_parts", lambda length: max(1, min(parts, length)))
    monkeypatch.setattr(factorize_module, "_BLOCK_ROWS", 7)
    helper = factorize_module._helper

    def slow_helper(table, col, start, stop, codes, op, halt):
        return helper(table, col, start, start + int((stop - start) * helped), codes, op, halt)

    monkeypatch.setattr(factorize_module, "_helper", slow_helper)
    rng = np.random.default_rng(parts)
    words = [f"v{i}" + "-long-suffix" * (i % 2) for i in range(40)]
    values = [words[i] for i in rng.integers(0, 40, size=400)]
    values[300] = None
    values[350] = None
    ints = [None if v is None else int(v[1:].split("-")[0]) * 1000 - 7 for v in values]
    wide = [None if v is None else v * 2**40 for v in ints]  # hashed, not directly indexed
    cases = [
        (values, pa.array(values)),
        (values, _chunked(values, pa.string_view(), 4)),
        (values, pa.chunked_array([c.dictionary_encode() for c in _chunked(values, pa.string(), 3).chunks])),
        (values, pl.Series(values).cast(pl.Categorical)),
        (ints, pa.array(ints, type=pa.int64())),
        (ints, _chunked(ints, pa.int32(), 3)),
        (wide, _chunked(wide, pa.int64(), 3)),
        ([v for v in wide if v is not None], np.array([v for v in wide if v is not None], dtype=np.int64)),
    ]
    for vals, arr in cases:
        for order in ORDERS:
            codes, uniques = factorize(arr, null=null, order=order)
            want_codes, want_uniques = factorize_ref(vals, null=null, order=order)
            np.testing.assert_array_equal(codes, want_codes)
            assert uniques.to_pylist() == want_uniques
    # lookups: the first unknown row is found whichever part it falls in
    vocab = Vocabulary(pa.array(words[:30]))
    np.testing.assert_array_equal(vocab.encode(pa.array(values), null=null), encode_ref(values, words[:30], null=null))
    known = [v for v in values if v in words[:30]]
    known[-3] = "intruder"
    with pytest.raises(DataError, match=f"row {len(known) - 3}: .*found 'intruder'"):
        vocab.encode(_chunked(known, pa.large_string(), 7), unknown="error")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_threads_work_in_a_forked_child(monkeypatch):
    # A forked child inherits the thread pool object but not its threads: it must make its own.
    monkeypatch.setattr(factorize_module, "_n_parts", lambda length: 2)
    values = pa.array(["a", "b"] * 100)
    factorize(values)  # the parent's pool exists now
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() of a threaded process
        pid = os.fork()
    if pid == 0:
        signal.alarm(30)  # a deadlock would hang the child: end it instead
        try:
            codes, _ = factorize(values)
            os._exit(0 if codes.tolist() == [0, 1] * 100 else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


# ------------------------------------------------------------------------------------------
# Integers
# ------------------------------------------------------------------------------------------

INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


def _int_values(dtype: str, wide: bool) -> list:
    info = np.iinfo(dtype)
    rng = np.random.default_rng(len(dtype))
    if wide:  # hash path: the range is far wider than the row count
        pool = [int(info.min), int(info.max), 0, 1, int(info.max) - 1, int(info.min) + 1]
        pool += [int(x) for x in rng.integers(info.min, info.max, size=40, dtype=dtype, endpoint=True)]
    else:  # direct-index path: a narrow range, many rows
        lo = max(int(info.min), -50)
        pool = list(range(lo, lo + 60))
    values = [pool[i] for i in rng.integers(0, len(pool), size=500)]
    for i in range(0, 500, 37):
        values[i] = None
    return values


INT_LAYOUTS = {
    "arrow": lambda v, dt: pa.array(v, type=pa.from_numpy_dtype(np.dtype(dt))),
    "arrow_sliced": lambda v, dt: pa.array([0, *v, 0], type=pa.from_numpy_dtype(np.dtype(dt))).slice(1, len(v)),
    "arrow_chunked": lambda v, dt: _chunked(v, pa.from_numpy_dtype(np.dtype(dt)), 4),
    "polars": lambda v, dt: pl.Series("i", v, dtype=getattr(pl, dt.capitalize().replace("Uint", "UInt"))),
    "arrow_dictionary": lambda v, dt: pa.array(v, type=pa.from_numpy_dtype(np.dtype(dt))).dictionary_encode(),
}


@pytest.mark.parametrize("null", NULL_MODES)
@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("wide", [False, True], ids=["narrow", "wide"])
@pytest.mark.parametrize("layout", list(INT_LAYOUTS))
@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_integers(dtype, layout, wide, order, null):
    values = _int_values(dtype, wide)
    codes, uniques = factorize(INT_LAYOUTS[layout](values, dtype), null=null, order=order)
    want_codes, want_uniques = factorize_ref(values, null=null, order=order)
    np.testing.assert_array_equal(codes, want_codes)
    assert uniques.type == pa.from_numpy_dtype(np.dtype(dtype))
    assert uniques.to_pylist() == want_uniques


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_numpy_integers(dtype):
    values = [v for v in _int_values(dtype, wide=True) if v is not None]
    arr = np.array(values, dtype=dtype)
    for a, vals in [(arr, values), (arr[::3], values[::3])]:  # strided: read in place
        codes, uniques = factorize(a, order="sorted")
        want_codes, want_uniques = factorize_ref(vals, order="sorted")
        np.testing.assert_array_equal(codes, want_codes)
        assert uniques.to_pylist() == want_uniques


def test_integers_grow_the_table():
    rng = np.random.default_rng(3)
    values = rng.integers(-(2**62), 2**62, size=20_000).tolist()
    values = values + values[::-1]
    codes, uniques = factorize(pa.array(values))
    want_codes, want_uniques = factorize_ref(values)
    np.testing.assert_array_equal(codes, want_codes)
    assert uniques.to_pylist() == want_uniques


# ------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------

_text = st.one_of(
    st.sampled_from(["", "a", "b", "abcdefghijkl", "abcdefghijklm", "é", "long string number one"]),
    st.text(max_size=40),
)


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), _text), max_size=80),
    cuts=st.lists(st.integers(0, 80), max_size=4),
    layout=st.sampled_from([pa.string(), pa.large_string(), pa.string_view()]),
    null=st.sampled_from(NULL_MODES),
)
def test_property_strings(values, cuts, layout, null):
    bounds = sorted({0, len(values), *[c for c in cuts if c <= len(values)]})
    arr = pa.chunked_array([pa.array(values[a:b], type=layout) for a, b in zip(bounds[:-1], bounds[1:])], type=layout)
    codes, uniques = factorize(arr, null=null)
    # uniques are distinct, codes dense and first-seen ordered
    assert len(set(uniques.to_pylist())) == len(uniques)
    seen = -1
    for c in codes:
        assert c <= seen + 1
        seen = max(seen, int(c))
    assert seen == len(uniques) - 1
    # the codes give the input back
    if null == "code":
        assert uniques.take(pa.array(codes)).to_pylist() == values
    else:
        back = uniques.take(pa.array(codes, mask=codes < 0)).to_pylist()
        assert back == values
        assert None not in uniques.to_pylist()
    np.testing.assert_array_equal(codes, factorize_ref(values, null=null)[0])


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), max_size=80),
    small=st.lists(st.integers(-3, 3), min_size=70, max_size=120),
)
def test_property_integers(values, small):
    for vals in (values, small):
        codes, uniques = factorize(pa.array(vals, type=pa.int64()))
        want_codes, want_uniques = factorize_ref(vals)
        np.testing.assert_array_equal(codes, want_codes)
        assert uniques.to_pylist() == want_uniques


# ------------------------------------------------------------------------------------------
# encode_with / Vocabulary
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["string", "string_view", "dictionary_messy", "chunked_view", "polars_string", "polars_categorical"])
@pytest.mark.parametrize("null", NULL_MODES)
@pytest.mark.parametrize("vocab_has_null", [False, True])
def test_encode_with_strings(layout, null, vocab_has_null):
    vocabulary = ["b", "abcdefghijklm", "", "é"] + ([None] if vocab_has_null else [])
    values = ["", "zz", None, "abcdefghijklm", "b", "é", "abcdefghijklx", "b", "unknown-but-long"]
    codes = encode_with(STRING_LAYOUTS[layout](values), pa.array(vocabulary), unknown=-7, null=null)
    np.testing.assert_array_equal(codes, encode_ref(values, vocabulary, unknown=-7, null=null))


def test_encode_with_roundtrip_of_factorize():
    values = ["x", None, "y", "x", "z" * 20]
    codes, uniques = factorize(pa.array(values))
    np.testing.assert_array_equal(encode_with(pa.array(values), uniques), codes)
    np.testing.assert_array_equal(encode_with(pl.Series(values), uniques), codes)
    codes, uniques = factorize(pa.array(values), order="sorted")
    np.testing.assert_array_equal(encode_with(pa.array(values).cast(pa.string_view()), uniques), codes)


@pytest.mark.parametrize("values_type", ["int8", "int64", "uint8", "uint64"])
@pytest.mark.parametrize("vocab_type", ["int16", "int64", "uint32", "uint64"])
def test_encode_with_integers_compare_by_value(values_type, vocab_type):
    vinfo, qinfo = np.iinfo(vocab_type), np.iinfo(values_type)
    vocabulary = sorted({0, 1, 5, int(vinfo.max), int(vinfo.min)})
    values = [0, 5, 7, int(qinfo.max), int(qinfo.min), None, 1] * 12  # > 64 rows: direct path too
    vocab_arr = pa.array(vocabulary, type=pa.from_numpy_dtype(np.dtype(vocab_type)))
    for arr in (pa.array(values, type=pa.from_numpy_dtype(np.dtype(values_type))),
                pa.array(values[:7], type=pa.from_numpy_dtype(np.dtype(values_type)))):
        codes = encode_with(arr, vocab_arr)
        np.testing.assert_array_equal(codes, encode_ref(arr.to_pylist(), vocabulary))


def test_encode_with_numpy_values():
    vocab = Vocabulary(np.array([10, 20, 30], dtype=np.int32))  # a small range: indexed directly
    np.testing.assert_array_equal(vocab.encode(np.array([30, 31, 10, -5, 2**40], dtype=np.int64)), [2, -1, 0, -1, -1])


@settings(max_examples=100, deadline=None)
@given(
    vocabulary=st.lists(st.one_of(st.none(), _text), unique=True, max_size=12),
    values=st.lists(st.one_of(st.none(), _text), max_size=60),
    layout=st.sampled_from([pa.string(), pa.large_string(), pa.string_view()]),
    null=st.sampled_from(NULL_MODES),
    unknown=st.integers(-(2**31), 2**31 - 1),
)
def test_property_encode(vocabulary, values, layout, null, unknown):
    vocab = Vocabulary(pa.array(vocabulary, type=pa.string()))
    codes = vocab.encode(pa.array(values, type=layout), unknown=unknown, null=null)
    np.testing.assert_array_equal(codes, encode_ref(values, vocabulary, unknown=unknown, null=null))


def test_encode_unknown_error_names_value_and_row():
    vocab = pa.array(["a", "b"])
    values = pa.chunked_array([pa.array(["a", "b"]), pa.array(["b", "a", "nope", "zzz"])])
    with pytest.raises(DataError, match=r"column 'col', row 4: value is not in the vocabulary; found 'nope'"):
        encode_with(pl.Series("col", values.to_pylist()), vocab, unknown="error")
    with pytest.raises(DataError, match=r"row 4: .*found 'nope'"):
        encode_with(values, vocab, unknown="error")
    with pytest.raises(DataError, match=r"row 4: .*found 'nope'"):
        encode_with(pa.chunked_array([c.dictionary_encode() for c in values.chunks]), vocab, unknown="error")
    with pytest.raises(DataError, match=r"row 2: .*found 7"):
        encode_with(np.array([1, 2, 7, 8]), pa.array([1, 2]), unknown="error")


def test_encode_unknown_error_for_null():
    with pytest.raises(DataError, match=r"row 1: null is not in the vocabulary"):
        encode_with(pa.array(["a", None, "zz"]), pa.array(["a"]), unknown="error")
    # nulls are fine when the vocabulary has one, or as the sentinel
    np.testing.assert_array_equal(encode_with(pa.array(["a", None]), pa.array([None, "a"]), unknown="error"), [1, 0])
    np.testing.assert_array_equal(
        encode_with(pa.array(["a", None]), pa.array(["a"]), unknown="error", null="sentinel"), [0, -1]
    )


def test_vocabulary_reuse_and_repr():
    vocab = Vocabulary(pl.Series("v", ["x", None, "y"]))
    assert len(vocab) == 3 and vocab.null_code == 1
    assert vocab.uniques.type == pa.large_string()
    assert "3 values" in repr(vocab)
    for _ in range(3):
        np.testing.assert_array_equal(vocab.encode(pa.array(["y", None, "q"])), [2, 1, -1])


def test_vocabulary_rejects_duplicates():
    with pytest.raises(ConfigError, match=r"row 2: a vocabulary must not repeat a value; found 'a' again \(first at position 0\)"):
        Vocabulary(pa.array(["a", "b", "a"]))
    with pytest.raises(ConfigError, match="must not repeat"):
        Vocabulary(pa.array([None, 1, None]))


def test_encode_kind_mismatch():
    with pytest.raises(SchemaError, match=r"column 'n'.*values must be strings"):
        encode_with(pl.Series("n", [1, 2]), pa.array(["a"]))


# ------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, found",
    [
        (pa.array([1.5, 2.0]), "pyarrow double"),
        (pa.array([True]), "pyarrow bool"),
        (pa.array([[1]]), "pyarrow list<item: int64>"),
        (pa.array([b"x"]), "pyarrow binary"),
        (np.array([1.0]), "NumPy array of dtype float64"),
        (np.array([["a"]]), "NumPy array of dtype <U1"),
        (["a", "b"], "list"),
    ],
)
def test_unsupported_input(values, found):
    with pytest.raises(SchemaError, match="must be one of: pyarrow string") as info:
        factorize(values)
    assert found in str(info.value)


def test_unsupported_polars_dtype_names_the_column():
    with pytest.raises(SchemaError, match=r"column 'price': values must be one of.*found polars Float64"):
        factorize(pl.Series("price", [1.0, 2.0]))


def test_non_native_byte_order():
    with pytest.raises(SchemaError, match="native byte order"):
        factorize(np.array([1, 2], dtype=">i4"))


@pytest.mark.parametrize("kwargs", [{"null": "drop"}, {"order": "frequency"}, {"null": None}])
def test_bad_parameters(kwargs):
    with pytest.raises(ConfigError, match="parameter of `factorize` must be"):
        factorize(pa.array(["a"]), **kwargs)


@pytest.mark.parametrize("unknown", [1.5, True, 2**31, "raise"])
def test_bad_unknown(unknown):
    with pytest.raises(ConfigError, match="`unknown` parameter of `encode`"):
        encode_with(pa.array(["a"]), pa.array(["a"]), unknown=unknown)


def test_docstring_examples():
    result = doctest.testmod(factorize_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
