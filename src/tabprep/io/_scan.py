"""``scan``: any supported file, folder or glob -> a Polars LazyFrame (nothing read yet)."""

from __future__ import annotations

import glob
import inspect
import re
from collections.abc import Sequence
from functools import partial

import polars as pl

from tabprep._constraints import Options, check_param
from tabprep.errors import ConfigError, SchemaError
from tabprep.io._csvtext import RAGGED, count_ragged_files, reencode_to_utf8, warn_ragged
from tabprep.io._dtypes import parse_schema_overrides
from tabprep.io._errors import polars_errors
from tabprep.io._formats import expand_source

__all__ = ["scan", "Source", "resolve_source"]

_SCANNERS = {
    "csv": pl.scan_csv,
    "parquet": pl.scan_parquet,
    "ipc": pl.scan_ipc,
    "ndjson": pl.scan_ndjson,
}
# Readers that parse text can take the target dtypes while parsing; binary formats are cast after.
_PARSES_WITH_OVERRIDES = ("csv", "ndjson")


class Source:
    """A resolved input: concrete files, format, reader options (kept to re-scan on error paths)."""

    __slots__ = ("files", "format", "hive", "label", "options", "ragged")

    def __init__(self, files: list[str], fmt: str, hive: bool, label: str, options: dict) -> None:
        self.files = files
        self.format = fmt
        self.hive = hive
        self.label = label
        self.options = options
        self.ragged = "error"

    def _target(self, literal: bool):
        # Files are already expanded: stop Polars from reading '[' or '*' in a name as a pattern.
        files = self.files if literal else [glob.escape(f) for f in self.files]
        return files[0] if len(files) == 1 else files

    def lazy(self, **extra) -> pl.LazyFrame:
        scanner = _SCANNERS[self.format]
        options = {**self.options, **extra}
        literal = "glob" in inspect.signature(scanner).parameters
        if literal:
            options.setdefault("glob", False)
        if self.hive and self.format in ("parquet", "ipc"):
            options.setdefault("hive_partitioning", True)
        if self.format == "ndjson" and "schema" not in options:
            # Polars infers an NDJSON schema from the first 100 rows and silently drops keys that
            # appear later; read them all (one extra pass) unless the caller sets a length/schema.
            options.setdefault("infer_schema_length", None)
        try:
            return scanner(self._target(literal), **options)
        except TypeError as exc:
            bad = sorted(set(options) - set(inspect.signature(scanner).parameters))
            if not bad:
                raise
            raise ConfigError(
                f"unknown {self.format} reader option(s): {', '.join(bad)}",
                path=self.label,
                hint=f"see the options of polars.{scanner.__name__}",
            ) from None

    def locate_csv_value(self, column: str, value: str) -> int | None:
        """Row index (0-based, header excluded) of the first ``value`` in ``column``, or None.

        Used only after a parse error: re-reads the CSV with every column as text.
        """
        if self.format != "csv" or len(self.files) != 1:
            return None
        options = {k: v for k, v in self.options.items() if k not in ("schema", "schema_overrides", "infer_schema_length")}
        options["infer_schema"] = False
        options.setdefault("glob", False)
        lf = pl.scan_csv(self.files[0], **options)
        hit = (
            lf.with_row_index("__tabprep_row__")
            .filter(pl.col(column) == value)
            .select("__tabprep_row__")
            .head(1)
            .collect(engine="streaming")
        )
        return int(hit.item()) if hit.height else None


def resolve_source(source, fmt: str | None, options: dict) -> Source:
    """Expand ``source`` (file, folder, glob, list) into a :class:`Source`."""
    files, fmt, hive, label = expand_source(source, fmt)
    return Source(files, fmt, hive, label, dict(options))


def _file_schema(path: str, fmt: str) -> pl.Schema:
    """A file's columns and dtypes from its metadata (Parquet/IPC) or header (CSV)."""
    if fmt == "parquet":
        return pl.Schema(pl.read_parquet_schema(path))
    if fmt == "ipc":
        return pl.Schema(pl.read_ipc_schema(path))
    return pl.Schema({c: pl.String for c in pl.read_csv(path, n_rows=0, infer_schema=False).columns})


def _check_same_columns(source: Source) -> None:
    """Several files must have the same columns (and, for Parquet/IPC, dtypes): otherwise Polars
    fails mid-read with an error naming one file; this names both and what differs, up front.
    Metadata and headers only (NDJSON has neither: its schema is inferred over all files)."""
    if len(source.files) < 2 or source.format not in ("parquet", "ipc", "csv"):
        return
    first = source.files[0]
    want = _file_schema(first, source.format)
    for other in source.files[1:]:
        got = _file_schema(other, source.format)
        # Parquet/IPC columns are matched by name (any order); CSV columns by position
        if got == want or (source.format != "csv" and dict(got) == dict(want)):
            continue
        missing = [c for c in want.names() if c not in got]
        extra = [c for c in got.names() if c not in want]
        retyped = [f"{c} ({want[c]} vs {got[c]})" for c in want.names() if c in got and got[c] != want[c]]
        differences = "; ".join(part for part in (
            f"missing {', '.join(missing)}" if missing else "",
            f"extra {', '.join(extra)}" if extra else "",
            f"other dtype {', '.join(retyped)}" if retyped else "",
            "the same columns in another order" if not (missing or extra or retyped) else "") if part)
        names = [*missing, *extra, *(c for c in want.names() if c in got and got[c] != want[c])]
        raise SchemaError(f"the files of {source.label} do not have the same columns: {other} against {first}",
                          path=other, column=names[0] if len(names) == 1 else None, found=differences,
                          hint="scan the files separately, or align their columns first (tabprep convert "
                               "each file with --columns/--schema-overrides)")


_RENAMED = re.compile(r"^(.*)_duplicated_(\d+)$")


def _check_header_names(source: Source) -> None:
    """A CSV header naming a column twice is refused: Polars would read the second as
    ``<name>_duplicated_0`` and a pipeline could fit on either without a word. A name of that
    form counts as renamed by Polars when its base name is a column too and the name itself is
    not in the file's first 64 KiB."""
    if source.format != "csv" or not source.options.get("has_header", True):
        return
    first = source.files[0]
    keep = ("separator", "quote_char", "skip_rows", "skip_lines", "comment_prefix", "eol_char", "encoding")
    options = {k: v for k, v in source.options.items() if k in keep}
    try:
        names = pl.read_csv(first, n_rows=0, infer_schema=False, **options).columns
    except Exception:  # noqa: BLE001 - a header Polars cannot read fails with its own error below
        return
    renamed = [(m.group(1), n) for n in names if (m := _RENAMED.match(n)) and m.group(1) in names]
    if not renamed:
        return
    with open(first, "rb") as fh:
        head = fh.read(1 << 16)
    twice = sorted({base for base, name in renamed if name.encode("utf-8") not in head})
    if twice:
        raise SchemaError(
            f"the header names {'a column' if len(twice) == 1 else 'columns'} more than once",
            path=source.label, column=twice[0] if len(twice) == 1 else None,
            found=", ".join(repr(c) for c in twice),
            hint="give each column its own name in the header (the reader would rename the later ones "
                 f"{renamed[0][1]!r}...)")


def _check_columns(names: Sequence[str], schema: pl.Schema, label: str, what: str) -> None:
    missing = [c for c in names if c not in schema]
    if missing:
        available = ", ".join(schema.names())
        raise SchemaError(
            f"{what} not in the file",
            path=label,
            column=missing[0] if len(missing) == 1 else None,
            found=None if len(missing) == 1 else ", ".join(repr(c) for c in missing),
            hint=f"available columns: {available}",
        )


def scan(
    path,
    *,
    format: str | None = None,  # noqa: A002 - the natural name, as in polars/pandas writers
    schema_overrides=None,
    columns: Sequence[str] | None = None,
    ragged: str = "error",
    encoding: str = "utf8",
    **options,
) -> pl.LazyFrame:
    """Lazily scan a CSV, Parquet, Arrow IPC or NDJSON file, folder or glob.

    Parameters
    ----------
    path : str, os.PathLike or list of them
        A file; a folder (every data file under it, recursively, in sorted order; names starting
        with ``.`` or ``_`` are skipped; ``key=value`` sub-folders become columns for Parquet/IPC);
        a glob pattern (``data/*.parquet``, ``data/**/*.csv``); or a list of files.
    format : {"csv", "parquet", "ipc", "ndjson"}, optional
        Default: inferred from the extension (``.csv``, ``.csv.gz``, ``.csv.zst``, ``.parquet``,
        ``.pq``, ``.arrow``, ``.ipc``, ``.feather``, ``.ndjson``, ``.jsonl`` and their ``.gz``/``.zst``).
        Aliases ``arrow``/``feather`` = ``ipc``, ``jsonl`` = ``ndjson``.
    schema_overrides : dict, optional
        ``{column: dtype}`` with Polars dtypes or names (``"Int64"``, ``"Datetime(ms)"``...). Text
        formats parse straight into the dtype; Parquet/IPC columns are cast (strictly).
    columns : sequence of str, optional
        Keep only these columns, in this order (read only them where the format allows).
    ragged : {"error", "pad", "truncate"}, default "error"
        CSV rows with another number of fields than the header. ``"error"``: a
        :class:`~tabprep.errors.DataError` naming the file and the line of the first one.
        ``"pad"``: short rows get nulls in their missing fields (a long row is still an error).
        ``"truncate"``: long rows lose their extra fields and short rows are padded. Either way a
        ``UserWarning`` says how many rows were padded/truncated and the line of the first.
        Checking costs one streaming pass over the file's bytes (NumPy, in 4 MiB blocks) before
        the frame is returned; quoted fields may hold separators and newlines. Other formats:
        ignored. (zstd-compressed CSV is not checked: it reads as Polars reads it.)
    encoding : str, default "utf8"
        CSV only. ``"utf8"``; ``"utf8-lossy"`` (invalid bytes become U+FFFD, decoded by Polars);
        or any Python codec (``"latin-1"``, ``"cp1252"``, ``"utf-16"``...): the file is decoded in
        blocks into a temporary UTF-8 file, deleted when the process exits. A file that is not
        UTF-8 read as ``"utf8"`` is a :class:`~tabprep.errors.DataError` naming the line and byte
        offset of the first invalid byte.
    **options
        Passed to the Polars reader (``separator=``, ``null_values=``, ``has_header=``...).

    Returns
    -------
    polars.LazyFrame
        Nothing is read beyond what Polars reads to know the schema. Errors in the data surface
        when the frame is collected or sunk: wrap that in :func:`tabprep.io.polars_errors` (or use
        :func:`tabprep.io.write`/:func:`tabprep.io.convert`, which do).

    Raises
    ------
    ConfigError
        Missing file, folder without data files, unknown extension or format, unknown option,
        dtype name or encoding.
    DataError
        A CSV row of another length than the header (``ragged="error"``), or bytes that are not
        in the ``encoding``.
    SchemaError
        ``columns`` or ``schema_overrides`` name a column the data does not have.

    Examples
    --------
    >>> import os, tempfile
    >>> import polars as pl
    >>> from tabprep.io import scan
    >>> path = os.path.join(tempfile.mkdtemp(), "a.csv")
    >>> pl.DataFrame({"x": [1, 2], "y": ["a", "b"]}).write_csv(path)
    >>> scan(path, schema_overrides={"x": "Float32"}, columns=["x"]).collect()
    shape: (2, 1)
    ┌─────┐
    │ x   │
    │ --- │
    │ f32 │
    ╞═════╡
    │ 1.0 │
    │ 2.0 │
    └─────┘
    """
    source = resolve_source(path, format, options)
    return _scan_source(source, schema_overrides=schema_overrides, columns=columns, ragged=ragged, encoding=encoding)


def _prepare_text(source: Source, ragged: str, encoding: str, owner: str, check: bool = True) -> Source:
    """A CSV source re-encoded to UTF-8 if asked, its ragged rows checked (see ``_csvtext``).

    ``check=False`` leaves the ragged check to the caller (:func:`check_text`), e.g. to run it
    beside a sink.
    """
    check_param(ragged, [Options(RAGGED)], "ragged", owner)
    check_param(encoding, [str], "encoding", owner)
    if source.format != "csv":
        return source
    if "truncate_ragged_lines" in source.options:
        raise ConfigError("give ragged='truncate' (or 'pad', 'error') instead of truncate_ragged_lines",
                          path=source.label, found=f"truncate_ragged_lines={source.options['truncate_ragged_lines']!r}")
    options = dict(source.options)
    if ragged == "truncate":
        options["truncate_ragged_lines"] = True
    files = source.files
    lossy = encoding.lower().replace("-", "").replace("_", "") == "utf8lossy"
    if lossy:
        options["encoding"] = "utf8-lossy"
    else:
        import codecs

        try:
            utf8 = codecs.lookup(encoding).name == "utf-8"
        except LookupError:
            raise ConfigError(f"unknown encoding {encoding!r}", path=source.label,
                              hint="give a Python codec name, e.g. latin-1, cp1252, utf-16, or utf8-lossy") from None
        if not utf8:
            files = [reencode_to_utf8(f, encoding, f if len(source.files) > 1 else source.label) for f in source.files]
    prepared = Source(files, source.format, source.hive, source.label, options)
    prepared.ragged = ragged
    if check:
        check_text(prepared)
    return prepared


def check_text(source: Source, stop=None) -> list:
    """The ragged-row check of a prepared CSV source (no warning: see ``_csvtext.warn_ragged``)."""
    if source.format != "csv":
        return []
    counters = count_ragged_files(source.files, ragged=source.ragged, label=source.label, options=source.options,
                                  stop=stop)
    if stop is None:
        warn_ragged(counters, stacklevel=5)  # check_text < _prepare_text < _scan_source < scan < caller
    return counters


def _scan_source(source: Source, *, schema_overrides=None, columns: Sequence[str] | None = None,
                 ragged: str = "error", encoding: str = "utf8", owner: str = "scan",
                 prepared: bool = False) -> pl.LazyFrame:
    if not prepared:
        source = _prepare_text(source, ragged, encoding, owner)
    overrides = parse_schema_overrides(schema_overrides)
    if columns is not None:
        columns = [columns] if isinstance(columns, str) else list(columns)
        if len(set(columns)) != len(columns):
            raise ConfigError("a column is selected twice", path=source.label, found=", ".join(columns))
    _check_same_columns(source)
    _check_header_names(source)
    locate = partial(Source.locate_csv_value, source)
    with polars_errors(source.label, locate=locate):
        if overrides and source.format in _PARSES_WITH_OVERRIDES:
            # Polars silently ignores overrides of absent columns: check against the inferred header.
            _check_columns(list(overrides), source.lazy().collect_schema(), source.label, "schema override column")
            lf = source.lazy(schema_overrides=overrides)
        else:
            lf = source.lazy()
            if overrides:
                _check_columns(list(overrides), lf.collect_schema(), source.label, "schema override column")
                lf = lf.cast(overrides, strict=True)
        if columns is not None:
            _check_columns(columns, lf.collect_schema(), source.label, "selected column")
            lf = lf.select(columns)
    return lf
