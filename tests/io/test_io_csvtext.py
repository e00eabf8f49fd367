"""Ragged CSV rows and encodings (``tabprep.io._csvtext``) against Python's csv module as the oracle."""

from __future__ import annotations

import csv
import io
import warnings

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tabprep.errors import ConfigError, DataError
from tabprep.io import convert, scan
from tabprep.io import _csvtext

_FIELD = st.one_of(
    st.text(alphabet="ab1 ", max_size=4),
    st.text(alphabet='ab,\n"', min_size=1, max_size=5).map(lambda s: '"' + s.replace('"', '""') + '"'),
)


def _csv_text(width: int, rows: list[list[str]]) -> str:
    header = ",".join(f"c{i}" for i in range(width))
    return header + "\n" + "".join(",".join(r) + "\n" for r in rows)


def _oracle(text: str, width: int):
    """(short, long, first bad line) by csv.reader; line = the physical line the record starts on."""
    short = long = 0
    first = None
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    start = reader.line_num + 1
    for record in reader:
        n = len(record) if record else 1  # csv gives [] for a blank line: Polars reads one empty field
        if n != width:
            short += n < width
            long += n > width
            first = first or start
        start = reader.line_num + 1
    return short, long, first


@settings(max_examples=150, deadline=None)
@given(width=st.integers(1, 4), rows=st.lists(st.lists(_FIELD, min_size=1, max_size=6), max_size=30),
       block=st.sampled_from([7, 16, 64, 1 << 16]))
# a line of one space is a field, not a blank line (found by hypothesis in CI)
@example(width=2, rows=[[" "]], block=7)
def test_field_counts_agree_with_the_csv_module(tmp_path_factory, width, rows, block):
    path = tmp_path_factory.mktemp("c") / "x.csv"
    text = _csv_text(width, rows)
    path.write_text(text, newline="")
    want_short, want_long, first = _oracle(text, width)
    with pytest.MonkeyPatch.context() as mp:  # tiny blocks: records and quotes across block edges
        mp.setattr(_csvtext, "_BLOCK", block)
        mp.setattr(_csvtext, "_FIRST_BLOCK", block)
        assert _csvtext.check_ragged(str(path), ragged="truncate") == (want_short, want_long)
        if first is None:
            assert _csvtext.check_ragged(str(path)) == (0, 0)
            assert _csvtext.first_ragged_line(str(path)) is None
        else:
            # a blank line (csv: no fields) is named as such, any other bad row by its field count
            said = f"line {first} is blank" if text.split("\n")[first - 1] == "" else f"line {first} has"
            with pytest.raises(DataError, match=rf"{said}( \d+ fields?)? but the header has {width}"):
                _csvtext.check_ragged(str(path), exact=True)
            assert said in str(_csvtext.first_ragged_line(str(path)))
            try:  # totals per block: a long and a short row may balance; then Polars raises on the long one
                _csvtext.check_ragged(str(path))
                assert want_long > 0
            except DataError as exc:
                assert said in str(exc)


def test_scan_pads_and_truncates_with_a_warning(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a,b,c\n1,2\n3,4,5,6\n7,8,9\n")
    with pytest.raises(DataError, match="line 2 has 2 fields but the header has 3"):
        scan(path)
    with pytest.raises(DataError, match="line 3 has 4 fields"):
        scan(path, ragged="pad")
    with pytest.warns(UserWarning, match=r"1 row with fewer fields than the header padded with nulls \(first at "
                                         r"line 2\); 1 row with more fields than the header truncated \(first at line 3\)"):
        lf = scan(path, ragged="truncate")
    assert lf.collect().rows() == [(1, 2, None), (3, 4, 5), (7, 8, 9)]
    with pytest.warns(UserWarning, match="truncated"):
        convert(path, tmp_path / "o.parquet", ragged="truncate")
    assert pl.read_parquet(tmp_path / "o.parquet").rows() == [(1, 2, None), (3, 4, 5), (7, 8, 9)]
    with pytest.raises(ConfigError, match="The `ragged` parameter of `scan` must be one of"):
        scan(path, ragged="skip")


def test_a_valid_file_warns_nothing_and_reads_as_polars(tmp_path):
    path = tmp_path / "ok.csv"
    pl.DataFrame({"a": [1, 2], "s": ['x,"y"\nz', None]}).write_csv(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for ragged in ("error", "pad", "truncate"):
            assert scan(path, ragged=ragged).collect().equals(pl.read_csv(path))


def test_a_long_and_a_short_row_that_balance_are_still_found(tmp_path):
    from tabprep.io import polars_errors

    path = tmp_path / "b.csv"
    path.write_text("a,b,c\n1,2,3\n4,5\n6,7,8,9\n")  # 1 separator short, 1 too many: totals agree
    with pytest.raises(DataError, match="line 3 has 2 fields but the header has 3"):
        with polars_errors(str(path)):
            scan(path).collect()
    with pytest.raises(DataError, match="line 3 has 2 fields"):
        convert(path, tmp_path / "o.parquet")
    assert not (tmp_path / "o.parquet").exists()


def test_gzip_and_comment_lines(tmp_path):
    import gzip

    path = tmp_path / "g.csv.gz"
    path.write_bytes(gzip.compress(b"# note\na;b\n1;2\n# x\n3\n"))
    with pytest.raises(DataError, match="line 5 has 1 field but the header has 2"):
        scan(path, separator=";", comment_prefix="#")


def test_encodings(tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes("a,b\n1,x\n2,Zürich\n".encode("cp1252"))
    assert _csvtext.first_invalid_utf8(str(path)) == (3, 11, 0xFC)
    from tabprep.io import polars_errors

    with pytest.raises(DataError, match=r"not valid UTF-8: byte 0xfc at line 3 \(byte offset 11\)"):
        with polars_errors(str(path)):
            scan(path).collect()
    assert scan(path, encoding="cp1252").collect()["b"].to_list() == ["x", "Zürich"]
    assert scan(path, encoding="utf8-lossy").collect()["b"].to_list() == ["x", "Z\ufffdrich"]
    with pytest.raises(DataError, match=r"not valid ascii: byte 0xfc at line 3 \(byte offset 11\)"):
        scan(path, encoding="ascii")
    with pytest.raises(ConfigError, match="unknown encoding"):
        scan(path, encoding="nope")
