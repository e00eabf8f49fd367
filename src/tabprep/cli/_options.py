"""Option parsing shared by commands (standard library only: imported at ``--help`` time).

An option that is a library parameter is only *parsed* here (``integer``, ``number``,
``number_list``: text to a Python value, with a CLI message for text that is not one); the library
call then checks the value against its declaration, so ``--ratios 0.8,0.8`` and
``ratios=(0.8, 0.8)`` fail with the same message.
"""

from __future__ import annotations

import argparse

from tabprep.errors import ConfigError

__all__ = [
    "split_top_level",
    "parse_column_list",
    "parse_schema_overrides_text",
    "positive_int",
    "nonnegative_int",
    "integer",
    "number",
    "number_list",
]


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside parentheses, so ``a=Datetime(ms, UTC),b=Int64`` has two items."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_column_list(text: str | None, option: str = "--columns") -> list[str] | None:
    """``"a,b,c"`` -> ``["a", "b", "c"]``; ``None`` stays ``None``."""
    if text is None:
        return None
    columns = [c.strip() for c in text.split(",") if c.strip()]
    if not columns:
        raise ConfigError(f"{option} needs at least one column name", found=repr(text), hint="e.g. a,b,c")
    return columns


def parse_schema_overrides_text(text: str | None) -> dict[str, str] | None:
    """``"a=Int64,b=Datetime(ms, UTC)"`` -> ``{"a": "Int64", "b": "Datetime(ms, UTC)"}`` (names checked later)."""
    if text is None:
        return None
    out: dict[str, str] = {}
    for item in split_top_level(text):
        # rpartition: a dtype name never contains '=', a column name might.
        column, eq, dtype = item.rpartition("=")
        column, dtype = column.strip(), dtype.strip()
        if not eq or not column or not dtype:
            raise ConfigError(
                "--schema-overrides expects column=dtype pairs separated by commas",
                found=repr(item),
                hint="e.g. --schema-overrides id=Int64,price=Float32,day=Date",
            )
        out[column] = dtype
    return out


def _int(text: str, minimum: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    return _int(text, 1, "an integer >= 1")


def nonnegative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    return _int(text, 0, "an integer >= 0")


def integer(text: str) -> int:
    """argparse type: any integer (its range is the library's to check)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def number(text: str) -> float:
    """argparse type: any number (its range is the library's to check)."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def number_list(text: str) -> tuple[float, ...]:
    """argparse type: numbers separated by commas, ``"0.8,0.1,0.1"`` -> ``(0.8, 0.1, 0.1)``."""
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None


def _rows_or_all(text: str):
    if text.strip().lower() == "all":
        return None
    return _int(text, 1, "an integer >= 1 or 'all'")


def add_text_options(p: argparse.ArgumentParser) -> None:
    """``--ragged`` and ``--encoding``: how a CSV's rows and bytes are read (``tabprep.io.scan``)."""
    p.add_argument("--ragged", choices=("error", "pad", "truncate"), default="error",
                   help="CSV rows with another number of fields than the header: error (default; names "
                        "the line), pad (short rows get nulls; a long row is still an error) or truncate "
                        "(long rows lose their extra fields, short rows are padded); a warning says how "
                        "many rows were changed")
    p.add_argument("--encoding", default="utf8", metavar="ENC",
                   help="CSV text encoding: utf8 (default), utf8-lossy (invalid bytes replaced), or any "
                        "Python codec such as latin-1 or cp1252 (re-encoded to a temporary UTF-8 file)")


def add_read_options(p: argparse.ArgumentParser) -> None:
    """``--schema-overrides``, ``--infer-schema-rows``, ``--ragged``, ``--encoding``: how a command reads DATA."""
    p.add_argument("--schema-overrides", metavar="COL=DTYPE,...",
                   help="read these columns with these dtypes (e.g. id=Int64,price=Float64) instead of "
                        "the guessed ones")
    p.add_argument("--infer-schema-rows", type=_rows_or_all, default=100, metavar="N|all",
                   help="CSV/NDJSON: guess column types from the first N rows (default 100) or all rows")
    add_text_options(p)


def has_read_options(args) -> bool:
    """Whether the user changed how DATA is read."""
    return (args.schema_overrides is not None or args.infer_schema_rows != 100 or args.ragged != "error"
            or args.encoding != "utf8")


def text_options(args) -> dict:
    """``ragged=``/``encoding=`` for ``tabprep.io`` readers, from ``--ragged``/``--encoding``."""
    return {"ragged": args.ragged, "encoding": args.encoding}


def scan_input(args, source):
    """``tabprep.io.scan(source)`` with the command's read options."""
    import tabprep.io as tio

    overrides = parse_schema_overrides_text(args.schema_overrides)
    options = {}
    files = tio.source_files(source)
    if files and tio.format_from_path(files[0], required=False) in ("csv", "ndjson") and args.infer_schema_rows != 100:
        options["infer_schema_length"] = args.infer_schema_rows
    return tio.scan(source, schema_overrides=overrides, **text_options(args), **options)
