"""Polars dtype <-> string, without ``eval`` (the one dtype parser: artifacts, specs, IO overrides).

Artifacts and specs store dtypes as ``str(dtype)`` (Polars' own spelling, e.g. ``"Float64"``,
``"Datetime(time_unit='us', time_zone=None)"``, ``"List(Int64)"``); :func:`parse_dtype` reads
those back with a small recursive-descent parser that builds dtypes only from a fixed table of
Polars classes. It also accepts the short forms people type (``"float64"``, ``"Datetime(ms, UTC)"``,
``"str"``), so a spec file and an artifact go through the same function.
"""

from __future__ import annotations

import re

from tabprep.errors import ConfigError

__all__ = ["parse_dtype", "dtype_str"]

# Plain names (case-insensitive) -> Polars class name. Only these classes can ever be built.
_SIMPLE = {
    name.lower(): name
    for name in (
        "Boolean", "Int8", "Int16", "Int32", "Int64", "Int128", "UInt8", "UInt16", "UInt32",
        "UInt64", "UInt128", "Float16", "Float32", "Float64", "String", "Binary", "Date",
        "Time", "Null", "Categorical", "Object", "Datetime", "Duration", "Decimal",
    )
} | {"utf8": "String", "str": "String", "bool": "Boolean", "float": "Float64", "int": "Int64"}
_PARAMETRISED = {"datetime": "Datetime", "duration": "Duration", "decimal": "Decimal",
                 "list": "List", "array": "Array", "struct": "Struct", "enum": "Enum",
                 "categorical": "Categorical"}
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<num>-?\d+)
      | (?P<name>[A-Za-z_][A-Za-z0-9_/+\-]*)
      | (?P<punct>[()\[\]{},=:])
    )""",
    re.VERBOSE,
)


def dtype_str(dtype) -> str:
    """Return the canonical string of a Polars dtype (``str(dtype)``; classes are instantiated).

    Examples
    --------
    >>> import polars as pl
    >>> dtype_str(pl.Float64), dtype_str(pl.Datetime("ms", "UTC"))
    ('Float64', "Datetime(time_unit='ms', time_zone='UTC')")
    """
    if isinstance(dtype, type):
        dtype = dtype()
    return str(dtype)


def parse_dtype(text):
    """Return the Polars dtype a string names (the inverse of :func:`dtype_str`).

    Parameters
    ----------
    text : str or polars.DataType
        ``str(dtype)`` of a Polars dtype, or a short form such as ``"float64"``, ``"str"``,
        ``"Datetime(ms, UTC)"``, ``"List(Int64)"``. A Polars dtype (class or instance) is
        returned as an instance unchanged.

    Returns
    -------
    polars.DataType

    Raises
    ------
    ConfigError
        If the text is not a dtype this parser knows; nothing is ever evaluated.

    Examples
    --------
    >>> import polars as pl
    >>> parse_dtype("Datetime(time_unit='us', time_zone=None)")
    Datetime(time_unit='us', time_zone=None)
    >>> parse_dtype("Struct({'a': Int64, 'b': List(String)})")
    Struct({'a': Int64, 'b': List(String)})
    >>> parse_dtype("float32"), parse_dtype("Datetime(ms, UTC)")
    (Float32, Datetime(time_unit='ms', time_zone='UTC'))
    >>> all(parse_dtype(str(d)) == d for d in (pl.Enum(["a", "b"]), pl.Array(pl.Int8, (2, 3))))
    True
    """
    import polars as pl

    if isinstance(text, pl.DataType):
        return text
    if isinstance(text, type) and issubclass(text, pl.DataType):
        return text()
    if not isinstance(text, str):
        raise ConfigError("a dtype must be a Polars dtype or its name", found=repr(text),
                          hint="use e.g. 'Float64', 'String', 'Datetime(ms, UTC)'")
    parser = _Parser(text)
    try:
        dtype = parser.dtype()
        if parser.peek() is not None:
            raise ValueError("unexpected trailing text")
    except (ValueError, TypeError, IndexError) as exc:
        raise ConfigError(f"cannot read dtype ({exc})", found=repr(text),
                          hint="use a Polars dtype name such as 'Float64', 'Int32', 'String', "
                               "'Datetime(time_unit='us', time_zone=None)' or 'List(Int64)'") from None
    return dtype


class _Parser:
    """Recursive descent over the tokens of a dtype string."""

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise ValueError(f"unexpected character {text[pos]!r} at {pos}")
            kind = m.lastgroup
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.i = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None):
        tok = self.peek()
        if tok is None:
            raise ValueError("unexpected end of text")
        if value is not None and tok[1] != value:
            raise ValueError(f"expected {value!r}, found {tok[1]!r}")
        self.i += 1
        return tok

    def dtype(self):
        import polars as pl

        kind, name = self.take()
        if kind != "name":
            raise ValueError(f"expected a dtype name, found {name!r}")
        key = name.lower()
        tok = self.peek()
        if tok is None or tok[1] != "(":
            if key not in _SIMPLE:
                raise ValueError(f"unknown dtype {name!r}")
            return getattr(pl, _SIMPLE[key])()
        if key not in _PARAMETRISED:
            raise ValueError(f"dtype {name!r} takes no arguments")
        head = _PARAMETRISED[key]
        self.take("(")
        pos, kw = [], {}
        while self.peek() is not None and self.peek()[1] != ")":
            # keyword argument?  name '=' value
            if (self.peek()[0] == "name" and self.i + 1 < len(self.tokens)
                    and self.tokens[self.i + 1][1] == "="):
                k = self.take()[1]
                self.take("=")
                kw[k] = self.value(head)
            else:
                pos.append(self.value(head))
            if self.peek() is not None and self.peek()[1] == ",":
                self.take(",")
        self.take(")")
        return _build(head, pos, kw)

    def value(self, head: str):
        kind, tok = self.peek()
        if kind == "str":
            self.take()
            return tok[1:-1].encode().decode("unicode_escape")
        if kind == "num":
            self.take()
            return int(tok)
        if tok == "(" or tok == "[":
            close = ")" if tok == "(" else "]"
            self.take()
            items = []
            while self.peek()[1] != close:
                items.append(self.value(head))
                if self.peek()[1] == ",":
                    self.take(",")
            self.take(close)
            return tuple(items) if close == ")" else items
        if tok == "{":
            self.take()
            fields = {}
            while self.peek()[1] != "}":
                key = self.value(head)
                self.take(":")
                fields[str(key)] = self.dtype()
                if self.peek()[1] == ",":
                    self.take(",")
            self.take("}")
            return fields
        if kind == "name":
            if tok == "None":
                self.take()
                return None
            # A nested dtype (List(Int64)) or a bare word (the unit in "Datetime(ms, UTC)").
            nxt = self.tokens[self.i + 1][1] if self.i + 1 < len(self.tokens) else None
            if tok.lower() in _SIMPLE or nxt == "(":
                if head in ("List", "Array") or nxt == "(":
                    return self.dtype()
            self.take()
            return tok
        raise ValueError(f"unexpected {tok!r}")


def _build(head: str, pos: list, kw: dict):
    import polars as pl

    def arg(i, name, default=None):
        if name in kw:
            return kw.pop(name)
        return pos[i] if i < len(pos) else default

    if head == "Datetime":
        unit, tz = arg(0, "time_unit", "us"), arg(1, "time_zone")
        return pl.Datetime(unit, tz)
    if head == "Duration":
        return pl.Duration(arg(0, "time_unit", "us"))
    if head == "Decimal":
        return pl.Decimal(arg(0, "precision"), arg(1, "scale", 0))
    if head == "List":
        inner = arg(0, "inner")
        return pl.List(inner if isinstance(inner, pl.DataType) else _as_dtype(inner))
    if head == "Array":
        inner, shape = arg(0, "inner"), arg(1, "shape")
        return pl.Array(inner if isinstance(inner, pl.DataType) else _as_dtype(inner), shape)
    if head == "Struct":
        fields = arg(0, "fields")
        if not isinstance(fields, dict):
            raise ValueError("Struct needs a {name: dtype} mapping")
        return pl.Struct(fields)
    if head == "Enum":
        cats = arg(0, "categories")
        if not isinstance(cats, (list, tuple)):
            raise ValueError("Enum needs a list of categories")
        return pl.Enum(list(cats))
    if head == "Categorical":
        return pl.Categorical()
    raise ValueError(f"unknown dtype {head!r}")  # pragma: no cover - _PARAMETRISED is exhaustive


def _as_dtype(value):
    import polars as pl

    if isinstance(value, str) and value.lower() in _SIMPLE:
        return getattr(pl, _SIMPLE[value.lower()])()
    raise ValueError(f"expected a dtype, found {value!r}")
