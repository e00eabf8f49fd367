"""CSV text before Polars parses it: rows of the wrong length, and encodings other than UTF-8.

**Ragged rows.** Polars errors on a row with more fields than the header (without a line number)
and silently fills a row with fewer fields with nulls. :func:`check_ragged` reads the file's bytes
once, in blocks of 4 MiB (files bigger than memory are fine), and counts fields with NumPy outside
quoted fields (a separator or a newline inside quotes does not count; ``""`` inside quotes is an
escaped quote and changes nothing, since it flips the quote parity twice). The happy path only
compares *totals* per block (separators outside quotes == records x (header fields - 1)); a block
without a quote character skips the parity too (a ``memchr``). When the totals of a block disagree
the file is walked again record by record (error path only), so the error names the *first* bad
line; the ``pad``/``truncate`` modes always count record by record, to report how many rows they
changed. A long and a short row in the same block can balance the totals; the long row still makes
Polars raise, and that error is located the same way (:func:`first_ragged_line`). A blank line is a
row of one empty field, as Polars reads it (nulls).

**Encodings.** Polars reads UTF-8 only (``utf8-lossy`` replaces invalid bytes with U+FFFD). Any
other encoding Python knows is re-encoded to a temporary UTF-8 file in blocks with an incremental
decoder (:func:`reencode_to_utf8`); the temporary files are deleted when the process exits. On
invalid UTF-8, :func:`first_invalid_utf8` finds the line and byte offset of the first bad byte
(error path only).
"""

from __future__ import annotations

import atexit
import codecs
import gzip
import os
import shutil
import tempfile
import warnings

import numpy as np

from tabprep.errors import ConfigError, DataError

__all__ = ["RAGGED", "check_ragged", "count_ragged_files", "warn_ragged", "first_ragged_line", "first_invalid_utf8",
           "reencode_to_utf8", "utf8_error"]

#: Values of the ``ragged`` parameter of :func:`tabprep.io.scan`.
RAGGED = ("error", "pad", "truncate")

_BLOCK = 1 << 22  # 4 MiB: the check runs beside a sink, so its temporaries (a few bytes per byte) stay small
_FIRST_BLOCK = 1 << 16  # the header's block: counted record by record, so keep it small
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def _open(path: str):
    """The file's bytes, gunzipped on the fly; None for zstd (no decoder in the standard library)."""
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic.startswith(_GZIP_MAGIC):
        return gzip.open(path, "rb")
    if magic.startswith(_ZSTD_MAGIC):
        return None
    return open(path, "rb")


def _byte(option, name: str) -> int | None:
    if option is None:
        return None
    raw = option.encode() if isinstance(option, str) else bytes(option)
    if len(raw) != 1:
        raise ConfigError(f"{name} must be a single byte", found=repr(option))
    return raw[0]


class _Counter:
    """Walks a CSV's records block by block; see the module docstring."""

    def __init__(self, path: str, label: str, ragged: str, options: dict, stop=None, exact: bool = False) -> None:
        self.path, self.label, self.ragged, self.exact = path, label, ragged, exact
        self.options = options
        self.stop = stop  # a threading.Event: a check running beside a sink stops when it is set
        self.sep = _byte(options.get("separator", ","), "separator")
        self.quote = _byte(options.get("quote_char", '"'), "quote_char")
        self.eol = _byte(options.get("eol_char", "\n"), "eol_char")
        comment = options.get("comment_prefix")
        self.comment = comment.encode() if isinstance(comment, str) else None
        # Records not checked: skipped before the header, and after it.
        self.skip = int(options.get("skip_rows", 0) or 0) + int(options.get("skip_lines", 0) or 0)
        self.header = bool(options.get("has_header", True))  # a header still to read
        self.reference = "the header" if self.header else "the first row"
        self.skip_after = int(options.get("skip_rows_after_header", 0) or 0)
        schema = options.get("schema")
        self.width = len(schema) if schema else None  # fields per row; from the first record if None
        self.short = self.long = 0
        self.first_short = self.first_long = None  # (line, fields)

    # -- per block ------------------------------------------------------------------------------
    def _outside(self, a: np.ndarray) -> np.ndarray | None:
        """Mask of the bytes outside quoted fields (the block starts outside), or None: no quotes."""
        if self.quote is None:
            return None
        q = a == self.quote
        if not q.any():
            return None
        return (np.cumsum(q, dtype=np.uint8) & 1) == 0  # uint8 wraps at 256; parity survives

    def _counts(self, a: np.ndarray, out, ends: np.ndarray, n: int) -> np.ndarray:
        """Fields of each of the ``n`` records of the block (``ends``: their eol positions)."""
        seps = a == self.sep
        if out is not None:
            seps &= out
        record = np.searchsorted(ends, np.flatnonzero(seps))
        return np.bincount(record, minlength=n)[:n] + 1

    def _fast_quoted(self, a: np.ndarray, out: np.ndarray, n: int) -> bool:
        if (self.exact or self.ragged != "error" or self.comment is not None or self.skip or self.width is None
                or self.skip_after or self.header):
            return False
        return int(np.count_nonzero((a == self.sep) & out)) == n * (self.width - 1)

    def _line(self, a: np.ndarray, ends: np.ndarray, j: int, lines_before: int) -> int:
        start = 0 if j == 0 else int(ends[j - 1]) + 1
        return lines_before + int(np.count_nonzero(a[:start] == self.eol)) + 1

    def _block(self, a: np.ndarray, out, ends: np.ndarray, n: int, lines_before: int) -> None:
        """Check the block's ``n`` records (the last may have no eol: then ``len(ends) == n - 1``)."""
        first = 0
        if out is not None and self._fast_quoted(a, out, n):
            return
        counts = self._counts(a, out, ends, n)
        keep = np.ones(n, dtype=bool)
        if self.comment is not None:
            starts = np.concatenate(([0], ends[: n - 1] + 1)) if n else np.zeros(0, dtype=np.int64)
            for j in np.flatnonzero(a[np.minimum(starts, len(a) - 1)] == self.comment[0]):
                s = int(starts[j])
                keep[j] = bytes(a[s: s + len(self.comment)]) != self.comment
        for j in np.flatnonzero(keep):
            if self.skip:
                self.skip -= 1
                keep[j] = False
                continue
            if self.header:  # the header: its width, unless a schema gave one
                self.header = False
                if self.width is None:
                    self.width = int(counts[j])
                keep[j] = False
                continue
            if self.width is None:  # no header: the first row sets the width
                self.width = int(counts[j])
                continue
            if self.skip_after:
                self.skip_after -= 1
                keep[j] = False
                continue
            first = j
            break
        else:
            return
        keep[:first] = False
        bad = keep & (counts != self.width)
        if not bad.any():
            return
        short = bad & (counts < self.width)
        long_ = bad & (counts > self.width)
        if self.ragged == "error":
            j = int(np.flatnonzero(bad)[0])
            self._raise(a, ends, j, int(counts[j]), lines_before)
        if self.ragged == "pad" and long_.any():
            j = int(np.flatnonzero(long_)[0])
            self._raise(a, ends, j, int(counts[j]), lines_before)
        if short.any() and self.first_short is None:
            j = int(np.flatnonzero(short)[0])
            self.first_short = (self._line(a, ends, j, lines_before), int(counts[j]))
        if long_.any() and self.first_long is None:
            j = int(np.flatnonzero(long_)[0])
            self.first_long = (self._line(a, ends, j, lines_before), int(counts[j]))
        self.short += int(np.count_nonzero(short))
        self.long += int(np.count_nonzero(long_))

    def _raise(self, a, ends, j: int, fields: int, lines_before: int):
        line = self._line(a, ends, j, lines_before)
        start = 0 if j == 0 else int(ends[j - 1]) + 1
        stop = int(ends[j]) if j < len(ends) else len(a)
        text = bytes(a[start:min(stop, start + 80)]).decode("utf-8", "replace").rstrip("\r")
        fix = "pad" if fields < self.width else "truncate"
        what = "short rows get nulls" if fix == "pad" else "long rows lose their extra fields"
        # blank: no characters at all (a CSV reader sees no field); a line of spaces is one field
        # (" "), and padding it keeps that field: named by its field count like any short row
        if not text and stop - start <= 80:
            raise DataError(
                f"line {line} is blank but {self.reference} has {self.width} fields",
                path=self.label,
                hint="delete the blank line, or read with ragged='pad' (it becomes a row of nulls)",
                cli_hint="delete the blank line, or pass --ragged pad (it becomes a row of nulls)",
            )
        raise DataError(
            f"line {line} has {fields} field{'s' * (fields != 1)} but {self.reference} has {self.width}",
            path=self.label,
            found=repr(text + ("..." if stop - start > 80 else "")),
            hint=f"fix the row (a stray separator or an unclosed quote?), or read with ragged={fix!r} ({what})",
            cli_hint=f"fix the row (a stray separator or an unclosed quote?), or pass --ragged {fix} ({what})",
        )

    # -- the file ----------------------------------------------------------------------------------
    def _fast(self, a: np.ndarray, n: int) -> bool:
        """A block of ``n`` records without quotes whose totals agree: nothing to look at."""
        if (self.exact or self.ragged != "error" or self.comment is not None or self.skip or self.width is None
                or self.skip_after or self.header):
            return False
        return int(np.count_nonzero(a == self.sep)) == n * (self.width - 1)

    def run(self) -> bool:
        """Walk the file; False when it cannot be read here (zstd). A bad row found by the totals
        may not be the first (an earlier block can balance): then walk again, record by record."""
        try:
            return self._walk()
        except DataError:
            if self.exact or self.ragged != "error":
                raise
            again = _Counter(self.path, self.label, self.ragged, self.options, self.stop, exact=True)
            again.run()
            raise

    def _walk(self) -> bool:
        f = _open(self.path)
        if f is None:
            return False
        eol = bytes([self.eol])
        quote = None if self.quote is None else bytes([self.quote])
        # One reused buffer: the unfinished record of a block moves to its front (no concatenation).
        buf = bytearray(_FIRST_BLOCK)
        view = memoryview(buf)
        held = 0  # bytes of an unfinished record at the front of buf
        lines_before = 0
        size = _FIRST_BLOCK
        with f:
            while True:
                if self.stop is not None and self.stop.is_set():
                    return True
                if len(buf) < held + size:
                    grown = bytearray(held + size)
                    grown[:held] = view[:held]
                    buf, view = grown, memoryview(grown)
                got = f.readinto(view[held:held + size])
                size = _BLOCK
                end = held + got
                if not end:
                    break
                a = np.frombuffer(buf, dtype=np.uint8, count=end)
                quoted = quote is not None and buf.find(quote, 0, end) >= 0  # memchr: cheap when absent
                cut = 0
                if got and not quoted:
                    cut = buf.rfind(eol, 0, end) + 1
                    if not cut:
                        held = end  # one record longer than a block: read on
                        continue
                    n = int(np.count_nonzero(a[:cut] == self.eol))
                    if not self._fast(a[:cut], n):
                        is_eol = a[:cut] == self.eol
                        self._block(a[:cut], None, np.flatnonzero(is_eol), n, lines_before)
                    lines_before += n
                elif got:
                    out = self._outside(a)
                    is_eol = a == self.eol
                    ends = np.flatnonzero(is_eol & out if out is not None else is_eol)
                    if not len(ends):
                        held = end
                        continue
                    cut = int(ends[-1]) + 1
                    self._block(a[:cut], None if out is None else out[:cut], ends, len(ends), lines_before)
                    lines_before += int(np.count_nonzero(is_eol[:cut]))
                else:  # end of file: the rest is one last record without an eol
                    out = self._outside(a) if quoted else None
                    self._block(a, out, np.zeros(0, dtype=np.int64), 1, lines_before)
                    break
                held = end - cut
                buf[:held] = bytes(view[cut:end])  # the tail of a record: small
        return True


def check_ragged(path: str, *, ragged: str = "error", label: str | None = None, options: dict | None = None,
                 exact: bool = False) -> tuple[int, int]:
    """Check that every data row of a CSV file has as many fields as its header.

    Parameters
    ----------
    path
        The CSV file (gzip-compressed is fine; zstd files are not checked here).
    ragged : {"error", "pad", "truncate"}
        ``error``: the first row of another length raises. ``pad``: short rows are counted (Polars
        fills them with nulls), a long row raises. ``truncate``: short and long rows are counted.
    label
        The name used in messages (default: ``path``).
    exact
        ``error`` mode: count every record (slower) instead of comparing totals per block first;
        without it a long and a short row in one block can balance (Polars raises on the long one).
    options
        The Polars reader options (``separator``, ``quote_char``, ``eol_char``, ``has_header``,
        ``comment_prefix``, ``skip_rows``, ``skip_lines``, ``skip_rows_after_header``, ``schema``).

    Returns
    -------
    (short, long)
        How many rows have fewer / more fields than the header.

    Raises
    ------
    DataError
        Naming the file, the line, its field count and the header's.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "r.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write('a,b,c\\n1,"x,\\ny",3\\n4,5\\n')
    >>> check_ragged(path, ragged="pad")
    (1, 0)
    >>> check_ragged(path)
    Traceback (most recent call last):
    ...
    tabprep.errors.DataError: ...r.csv: line 4 has 2 fields but the header has 3; found '4,5'. Hint: ...
    >>> import shutil; shutil.rmtree(os.path.dirname(path))
    """
    counter = _Counter(path, path if label is None else label, ragged, options or {}, exact=exact)
    counter.run()
    return counter.short, counter.long


def warn_ragged(counters: list[_Counter], stacklevel: int = 2) -> tuple[int, int]:
    """One warning per file whose rows were padded/truncated; returns the (short, long) totals."""
    for c in counters:
        parts = []
        if c.short:
            parts.append(f"{c.short:,} row{'s' * (c.short != 1)} with fewer fields than the header padded with "
                         f"nulls (first at line {c.first_short[0]})")
        if c.long:
            parts.append(f"{c.long:,} row{'s' * (c.long != 1)} with more fields than the header truncated "
                         f"(first at line {c.first_long[0]})")
        if parts:
            warnings.warn(f"{c.label}: {'; '.join(parts)}", UserWarning, stacklevel=stacklevel + 1)
    return sum(c.short for c in counters), sum(c.long for c in counters)


def count_ragged_files(files: list[str], *, ragged: str, label: str, options: dict, stop=None) -> list[_Counter]:
    """:func:`check_ragged` over several files (raises on the first bad row in ``error`` mode);
    the counters, for :func:`warn_ragged`."""
    counters = []
    for path in files:
        counter = _Counter(path, path if len(files) > 1 else label, ragged, options, stop)
        counter.run()
        counters.append(counter)
    return counters


def first_ragged_line(path: str, options: dict | None = None) -> DataError | None:
    """The error naming the first row of another length than the header, or None (error path)."""
    try:
        check_ragged(path, options=options, exact=True)
    except DataError as exc:
        return exc
    return None


# -- encodings -------------------------------------------------------------------------------------

def first_invalid_utf8(path: str) -> tuple[int, int, int] | None:
    """(line, byte offset, byte value) of the first byte that is not UTF-8, or None (error path)."""
    f = _open(path)
    if f is None:
        return None
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = lines = 0
    with f:
        while True:
            chunk = f.read(_BLOCK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                # exc.object is the decoder's pending bytes + this chunk
                pending = len(exc.object) - len(chunk)
                at = exc.start - pending
                bad = exc.object[exc.start]
                return lines + chunk[:max(at, 0)].count(b"\n") + 1, offset + at, bad
            if not chunk:
                return None
            lines += chunk.count(b"\n")
            offset += len(chunk)


def utf8_error(path: str, label: str | None = None) -> DataError | None:
    """The error for a file that is not UTF-8, naming the line and byte offset, or None."""
    found = first_invalid_utf8(path)
    if found is None:
        return None
    line, offset, byte = found
    return DataError(
        f"the file is not valid UTF-8: byte 0x{byte:02x} at line {line} (byte offset {offset})",
        path=path if label is None else label,
        hint="give the file's encoding, e.g. encoding='latin-1' (or 'cp1252'), or encoding='utf8-lossy' "
             "to replace invalid bytes",
        cli_hint="give the file's encoding, e.g. --encoding latin-1 (or cp1252), or --encoding utf8-lossy "
                 "to replace invalid bytes",
    )


_TEMP_DIRS: list[str] = []


def _cleanup() -> None:
    for folder in _TEMP_DIRS:
        shutil.rmtree(folder, ignore_errors=True)
    _TEMP_DIRS.clear()


def reencode_to_utf8(path: str, encoding: str, label: str | None = None) -> str:
    """Decode ``path`` from ``encoding`` into a temporary UTF-8 file, block by block; return its path.

    The file lives in a temporary folder deleted when the process exits. An undecodable byte is a
    :class:`~tabprep.errors.DataError` naming its line and offset.
    """
    try:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
    except LookupError:
        raise ConfigError(f"unknown encoding {encoding!r}", path=label or path,
                          hint="give a Python codec name, e.g. latin-1, cp1252, utf-16") from None
    if not _TEMP_DIRS:
        atexit.register(_cleanup)
    folder = tempfile.mkdtemp(prefix="tabprep-utf8-")
    _TEMP_DIRS.append(folder)
    target = os.path.join(folder, os.path.basename(path).removesuffix(".gz") or "data.csv")
    source = _open(path)
    if source is None:
        raise ConfigError("cannot re-encode a zstd-compressed file", path=label or path,
                          hint="decompress it first (zstd -d)")
    offset = lines = 0
    with source, open(target, "wb") as out:
        while True:
            chunk = source.read(_BLOCK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                at = exc.start - (len(exc.object) - len(chunk))
                line = lines + chunk[:max(at, 0)].count(b"\n") + 1
                raise DataError(
                    f"the file is not valid {encoding}: byte 0x{exc.object[exc.start]:02x} at line "
                    f"{line} (byte offset {offset + at})",
                    path=label or path, hint="give the file's real encoding") from None
            out.write(text.encode("utf-8"))
            if not chunk:
                break
            lines += chunk.count(b"\n")
            offset += len(chunk)
    return target
