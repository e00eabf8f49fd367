"""Cleaner, StringNormalizer and deduplicate against plain Python references, skrub's Cleaner on
the same messy table, and pandas' drop_duplicates."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabprep import Pipeline, load
from tabprep.clean import Cleaner, StringNormalizer, deduplicate
from tabprep.clean._cleaner import NULL_STRINGS
from tabprep.errors import ConfigError, SchemaError

TOKENS = ["1", "-2", " 3 ", "4.5", "1e3", "x", "", "N/A", "-", "true", "No", "Y", "2024-01-02", "2024-13-01",
          "02/03/2024", "null", None, "0", "7", "  ", "?"]


def _ref_parse(v, kind):
    """One value as plain Python parses it (None: missing or does not parse)."""
    if v is None or v.strip() in NULL_STRINGS:
        return None
    s = v.strip()
    if kind == "Int64":
        return int(s) if re.fullmatch(r"[+-]?\d+", s) else None
    if kind == "Float64":
        try:
            return float(s)
        except ValueError:
            return None
    if kind == "Boolean":
        return True if s.lower() in ("true", "t", "yes", "y") else False if s.lower() in ("false", "f", "no", "n") else None
    if kind == "Date":
        for fmt in ("%Y-%m-%d",):
            try:
                return dt.datetime.strptime(s, fmt).date() if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s) else None
            except ValueError:
                return None
    return s


def _ref_column(values, min_fraction):
    present = [v for v in values if _ref_parse(v, "String") is not None]
    counts = {k: sum(_ref_parse(v, k) is not None for v in present) for k in ("Int64", "Float64", "Boolean", "Date")}
    order = ["Int64", "Float64", "Boolean", "Date"]
    if counts["Int64"] < counts["Float64"]:
        order.remove("Int64")
    for k in sorted(order, key=lambda k: -counts[k]):
        if present and counts[k] >= min_fraction * len(present):
            return k, [_ref_parse(v, k) for v in values]
    return "String", [_ref_parse(v, "String") for v in values]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25), st.sampled_from([1.0, 0.5]))
def test_each_column_is_parsed_as_plain_python_would(values, min_fraction):
    df = pl.DataFrame({"c": values}, schema={"c": pl.String})
    step = Cleaner(min_parsed_fraction=min_fraction, drop_null_fraction=None, datetime_format="%Y-%m-%d")
    out = step.fit_transform(df)
    kind, want = _ref_column(values, min_fraction)
    assert str(out.schema["c"]) == kind
    assert out["c"].to_list() == want
    report = step.report_["c"]
    assert report["failed"] == report["values"] - sum(w is not None for w in want)
    assert len(step.failures(df, limit=100)) == (report["failed"] if kind != "String" else 0)


MESSY = pl.DataFrame({
    "id": [1, 2, 3, 4, 5, 6],
    "when": ["2024-01-02", " 2024-02-03", "N/A", "", "null", "2024-03-04"],
    "stamp": ["2024-01-02 10:00:00", "2024-01-03 11:30:00", "?", None, "2024-01-05 00:00:01", "NaN"],
    "city": ["Paris", "  Oslo", "n/a", "Rome", "-", "Lima"],
    "empty": ["", "N/A", None, "null", "NULL", "?"],
    "same": ["k"] * 6,
    "amount": ["1.5", "2", "N/A", "x", "3", "4.25"],
    "flag": ["yes", "no", "", "Yes", "n", "y"],
})


@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")
def test_does_what_skrubs_cleaner_does_on_the_same_messy_table():
    skrub = pytest.importorskip("skrub")
    want = skrub.Cleaner(drop_if_constant=True).fit_transform(MESSY)
    got = Cleaner(drop_if_constant=True, parse_numbers=False, parse_booleans=False).fit_transform(MESSY)
    assert got.columns == want.columns  # the same columns dropped (all-null 'empty', constant 'same')
    assert got["stamp"].to_list() == want["stamp"].to_list()  # datetimes parsed alike
    # a date with a leading space keeps skrub from parsing 'when'; tabprep strips it first
    assert want["when"].dtype == pl.String and got["when"].dtype == pl.Date
    assert got["when"].to_list() == [None if v is None else dt.date.fromisoformat(v.strip())
                                     for v in want["when"].to_list()]
    # every null string skrub finds, tabprep finds too ("-" as well; whitespace stripped)
    assert got["city"].to_list() == [None if v in (None, "-") else v.strip() for v in want["city"].to_list()]
    # and beyond skrub: numbers and Booleans, with the failures reported
    full = Cleaner(drop_if_constant=True, min_parsed_fraction=0.5).fit(MESSY)
    assert full.dtypes_["amount"] == pl.Float64 and full.dtypes_["flag"] == pl.Boolean
    assert full.report_["amount"] == {"values": 5, "null_strings": 1, "dtype": "Float64", "parsed": 4, "failed": 1}
    assert full.failures(MESSY).rows() == [("amount", 3, "x", "Float64")]


def test_fitted_in_batches_as_in_one_and_saved(tmp_path):
    big = pl.concat([MESSY] * 50)
    one = Pipeline([("c", Cleaner(min_parsed_fraction=0.5), None)]).fit(big)
    batched = Pipeline([("c", Cleaner(min_parsed_fraction=0.5), None)]).fit(big, batch_size=7)
    assert batched.fingerprint == one.fingerprint
    again = load(one.save(tmp_path / "m"))
    assert again.transform(big).equals(one.transform(big))
    lazy = one.transform(big.lazy())
    assert isinstance(lazy, pl.LazyFrame) and lazy.collect().equals(one.transform(big))


def test_cleaner_parameters():
    with pytest.raises(ConfigError, match="`min_parsed_fraction` parameter of `Cleaner` must be"):
        Cleaner(min_parsed_fraction=0.0).fit(MESSY)
    with pytest.raises(ConfigError, match="`null_strings` parameter of `Cleaner`"):
        Cleaner(null_strings=["a", 1]).fit(MESSY)
    out = Cleaner(null_strings="Lima").fit_transform(MESSY)
    assert out["city"].to_list() == ["Paris", "Oslo", None, "Rome", None, None]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("aAé \t\nﬁＡＢ1-")), max_size=8)),
                min_size=1, max_size=10),
       st.sampled_from([None, "lower", "upper"]), st.sampled_from([None, "NFC", "NFKC"]), st.booleans(), st.booleans())
def test_string_normalizer_matches_python(values, case, form, strip, collapse):
    out = StringNormalizer(strip=strip, case=case, unicode_form=form, collapse_whitespace=collapse).fit_transform(
        pl.DataFrame({"s": values}, schema={"s": pl.String}))

    def ref(v):
        if v is None:
            return None
        if form:
            v = unicodedata.normalize(form, v)
        if collapse:
            v = re.sub(r"\s+", " ", v)
        if strip:
            v = v.strip()
        return v.lower() if case == "lower" else v.upper() if case == "upper" else v

    assert out["s"].to_list() == [ref(v) for v in values]


def test_string_normalizer_refuses_numbers():
    with pytest.raises(SchemaError, match="column 'id'.*text columns"):
        StringNormalizer().fit(MESSY.select("id"))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.one_of(st.none(), st.integers(0, 4))),
                min_size=0, max_size=30),
       st.sampled_from(["first", "last", "none"]), st.booleans())
def test_deduplicate_matches_a_brute_force_reference(rows, keep, ordered):
    df = pl.DataFrame(rows, schema={"k": pl.Int64, "v": pl.Int64, "t": pl.Int64}, orient="row")
    got = deduplicate(df, "k", keep=keep, order_by="t" if ordered else None)
    idx = list(range(len(rows)))
    kept = []
    for i in idx:
        same = [j for j in idx if rows[j][0] == rows[i][0]]
        if keep == "none":
            ok = len(same) == 1
        elif not ordered:
            ok = i == (same[0] if keep == "first" else same[-1])
        else:
            key = [(-1 if rows[j][2] is None else rows[j][2], j) for j in same]  # null smallest, ties by position
            best = min(key, key=lambda x: (x[0], x[1])) if keep == "first" else max(key)
            ok = i == best[1]
        if ok:
            kept.append(rows[i])
    assert got.rows() == kept


def test_deduplicate_agrees_with_pandas_and_stays_lazy():
    rng = np.random.default_rng(0)
    df = pl.DataFrame({"a": rng.integers(0, 20, 2000), "b": rng.integers(0, 3, 2000)})
    for keep in ("first", "last"):
        want = df.to_pandas().drop_duplicates(keep=keep)
        assert deduplicate(df, keep=keep).to_pandas().reset_index(drop=True).equals(want.reset_index(drop=True))
    lazy = deduplicate(df.lazy(), ["a"])
    assert isinstance(lazy, pl.LazyFrame) and lazy.collect().equals(deduplicate(df, ["a"]))
    with pytest.raises(SchemaError, match="column 'zz'"):
        deduplicate(df, "zz")
