"""Cleaner: null-like strings to null, text parsed into numbers, Booleans and dates, uninformative
columns dropped -- decided per column at fit, with a report of what did not parse.

skrub's ``Cleaner`` is the model (class name and the parameters it shares: ``null_strings``,
``drop_null_fraction``, ``drop_if_constant``, ``datetime_format``, ``parse_numbers``). Beyond it:
Booleans are parsed, a column is parsed when at least ``min_parsed_fraction`` of its values parse
(the others become null and are counted in ``report_``; :meth:`Cleaner.failures` lists them with
their rows), and the date format is chosen at fit among fixed candidates, so every batch of a
transform parses with the same format. Differences from skrub: ``parse_numbers`` defaults to
True; numbers become Int64 when every parsed value is an integer, else Float64 (skrub: float32);
the null strings are matched after stripping surrounding whitespace, and ``"-"`` is one of them.

Fitting is one pass of counts (mergeable across batches): bigger than memory. Each batch of a
text column is counted on its distinct values, each weighted by its count, and a date format is
tried only when some value holds every one of its separators (a value without them cannot parse).
"""

from __future__ import annotations

import re
from functools import partial

from tabprep._base.params import Interval, param_error
from tabprep._base.stats import STRUCT
from tabprep._base.step import Step, register_step
from tabprep._dtypes import dtype_str, parse_dtype

__all__ = ["Cleaner", "NULL_STRINGS", "DATETIME_FORMATS"]

#: skrub's null strings, and "-".
NULL_STRINGS = ("", "-", "?", "...", "null", "NULL", "none", "None", "nan", "NaN", "-nan", "-NaN", "NA", "N/A",
                "n/a", "#N/A", "#N/A N/A", "#NA", "<NA>", "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN")
#: Formats tried when ``datetime_format`` is None (the one parsing most values wins, then the
#: first listed); a format without a time gives a Date column.
DATETIME_FORMATS = (
    "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y%m%d",
)
_TRUE = ("true", "t", "yes", "y")
_FALSE = ("false", "f", "no", "n")


def _skeleton(fmt: str) -> str:
    """The separators of ``fmt`` (what a value it parses holds besides digits, the fraction of
    seconds aside): ``"%Y-%m-%d"`` -> ``"--"``; ``""`` for ``"%Y%m%d"`` (8 digits)."""
    return re.sub(r"%\.f|%[YmdHMS]", "", fmt)


def _counts_dtype(names, extremes: bool, column: str):
    import polars as pl

    fields = {n: pl.Int64 for n in names}
    if extremes:
        fields.update({f"min:{column}": pl.String, f"max:{column}": pl.String})
    return pl.Struct(fields)


def _text_counts(s, *, names, nulls, numbers, booleans, formats, extremes):
    """``map_batches`` body: counts of one text column's batch (see ``Cleaner.fit_exprs``).

    Counted on the batch's distinct values, each weighted by how often it occurs: a text column
    usually repeats its values (categories, dates), so each parse runs on far fewer strings."""
    import polars as pl

    vc = s.drop_nulls().value_counts(name="\x1fn")
    u, w = vc[s.name], vc["\x1fn"]

    def weighted(mask) -> int:
        return int(w.filter(mask.fill_null(False)).sum() or 0)

    raw = int(w.sum() or 0)
    stripped = u.str.strip_chars()
    c = pl.select(pl.when(stripped.is_in(list(nulls))).then(None).otherwise(stripped)).to_series()
    counts = [weighted(c.is_not_null()), raw]
    if numbers:
        counts += [weighted(c.str.to_integer(strict=False).is_not_null()),
                   weighted(c.cast(pl.Float64, strict=False).is_not_null())]
    if booleans:
        counts.append(weighted(c.str.to_lowercase().is_in(list(_TRUE + _FALSE))))
    if formats:
        # a value a format parses holds each of the format's separators: a format needing a
        # character no value holds counts 0 without a parse
        chars = {ch for fmt in formats for ch in _skeleton(fmt)}
        present = {ch for ch in chars if c.str.contains(ch, literal=True).any()}
        digits8 = bool((c.str.len_bytes() == 8).any())
        for fmt in formats:
            skel = _skeleton(fmt)
            if set(skel) <= present and (skel or digits8):
                parsed = c.str.to_datetime(fmt, strict=False, time_unit="us") if _has_time(fmt) else \
                    c.str.to_date(fmt, strict=False)
                counts.append(weighted(parsed.is_not_null()))
            else:
                counts.append(0)
    row = dict(zip(names, counts))
    if extremes:  # for drop_if_constant: the smallest and largest cleaned value
        row[f"min:{s.name}"], row[f"max:{s.name}"] = c.min(), c.max()
    return pl.Series([row], dtype=_counts_dtype(names, extremes, s.name))


def _textual(dtype) -> bool:
    import polars as pl

    return dtype == pl.String


def _has_time(fmt: str) -> bool:
    return any(t in fmt for t in ("%H", "%M", "%S", "%T", "%R"))


@register_step
class Cleaner(Step):
    """Null strings to null, text to numbers/Booleans/dates, uninformative columns dropped.

    Parameters
    ----------
    null_strings : str, list of str or None, default=None
        Strings that mean missing besides :data:`NULL_STRINGS` (matched after stripping
        surrounding whitespace).
    drop_null_fraction : float in [0, 1] or None, default=1.0
        Drop a column whose share of missing values (after null strings) is above this
        (1.0: only a column with no value at all; None: never).
    drop_if_constant : bool, default=False
        Drop a column with a single distinct value (missing counts as a value).
    datetime_format : str or None, default=None
        The format of date columns (None: chosen per column among :data:`DATETIME_FORMATS`).
    parse_numbers : bool, default=True
        Parse text columns of numbers (Int64 when all are integers, else Float64).
    parse_booleans : bool, default=True
        Parse text columns of true/false, yes/no, t/f, y/n (any case).
    parse_dates : bool, default=True
        Parse text columns of dates and datetimes.
    min_parsed_fraction : float in (0, 1], default=1.0
        Parse a column when this share of its values parses; the values that do not become null
        (counted in ``report_``, listed by :meth:`failures`).

    Attributes
    ----------
    dtypes_ : dict {column: polars dtype}
        The dtype each kept column gets.
    formats_ : dict {column: str}
        The date format of each date column.
    dropped_ : list of str
        Columns dropped (too many nulls, or constant).
    report_ : dict {column: dict}
        Per text column: ``values`` (non-missing after null strings), ``null_strings`` (cells
        that were a null string), ``dtype``, ``parsed``, ``failed``.

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.clean import Cleaner
    >>> df = pl.DataFrame({"n": ["1", " 2", "N/A", "x"], "d": ["2024-01-02", "-", "2024-03-04", ""],
    ...                    "b": ["yes", "No", None, "y"], "s": ["a", "b", "null", "c"]})
    >>> c = Cleaner(min_parsed_fraction=0.6).fit(df)
    >>> c.dtypes_
    {'n': Int64, 'd': Date, 'b': Boolean, 's': String}
    >>> c.transform(df).rows()
    [(1, datetime.date(2024, 1, 2), True, 'a'), (2, None, False, 'b'), (None, datetime.date(2024, 3, 4), None, None), (None, None, True, 'c')]
    >>> c.report_["n"]
    {'values': 3, 'null_strings': 1, 'dtype': 'Int64', 'parsed': 2, 'failed': 1}
    >>> c.failures(df)
    shape: (1, 4)
    ┌────────┬─────┬───────┬───────┐
    │ column ┆ row ┆ value ┆ dtype │
    │ ---    ┆ --- ┆ ---   ┆ ---   │
    │ str    ┆ u32 ┆ str   ┆ str   │
    ╞════════╪═════╪═══════╪═══════╡
    │ n      ┆ 3   ┆ x     ┆ Int64 │
    └────────┴─────┴───────┴───────┘
    """

    _parameter_constraints = {
        "null_strings": [str, list, None],
        "drop_null_fraction": [Interval(float, 0, 1), None],
        "drop_if_constant": ["boolean"],
        "datetime_format": [str, None],
        "parse_numbers": ["boolean"],
        "parse_booleans": ["boolean"],
        "parse_dates": ["boolean"],
        "min_parsed_fraction": [Interval(float, 0, 1, closed="right")],
    }

    def __init__(self, *, null_strings=None, drop_null_fraction=1.0, drop_if_constant=False, datetime_format=None,
                 parse_numbers=True, parse_booleans=True, parse_dates=True, min_parsed_fraction=1.0):
        self.null_strings = null_strings
        self.drop_null_fraction = drop_null_fraction
        self.drop_if_constant = drop_if_constant
        self.datetime_format = datetime_format
        self.parse_numbers = parse_numbers
        self.parse_booleans = parse_booleans
        self.parse_dates = parse_dates
        self.min_parsed_fraction = min_parsed_fraction

    def _validate_extra(self):
        extra = [self.null_strings] if isinstance(self.null_strings, str) else (self.null_strings or [])
        if not all(isinstance(s, str) for s in extra):
            raise param_error("null_strings", "Cleaner", "be a str, a list of str or None", self.null_strings)

    def _nulls(self) -> list:
        extra = [self.null_strings] if isinstance(self.null_strings, str) else list(self.null_strings or [])
        return sorted(set(NULL_STRINGS) | {s.strip() for s in extra})

    def _formats(self):
        return (self.datetime_format,) if self.datetime_format is not None else DATETIME_FORMATS

    # ------------------------------------------------------------------ expressions
    def _clean(self, name):
        """The text column with surrounding whitespace stripped and null strings as null."""
        import polars as pl

        v = pl.col(name).str.strip_chars()
        return pl.when(v.is_in(self._nulls())).then(None).otherwise(v)

    def _parse(self, name, kind: str, fmt=None):
        import polars as pl

        v = self._clean(name)
        if kind == "Int64":
            return v.str.to_integer(strict=False)
        if kind == "Float64":
            return v.cast(pl.Float64, strict=False)
        if kind == "Boolean":
            low = v.str.to_lowercase()
            return pl.when(low.is_in(_TRUE)).then(True).when(low.is_in(_FALSE)).then(False)
        if kind == "Datetime":
            return v.str.to_datetime(fmt, strict=False, time_unit="us") if _has_time(fmt) else \
                v.str.to_date(fmt, strict=False)
        return v

    def fit_exprs(self, schema, columns, target):
        import polars as pl

        exprs = {"count:rows": pl.len()}
        for c in columns:
            dtype = schema[c]
            if not _textual(dtype):
                if self.drop_if_constant:
                    comparable = pl.col(c) if (dtype.is_numeric() or dtype.is_temporal() or dtype == pl.Boolean) \
                        else pl.col(c).cast(pl.String)
                    exprs[f"min:{c}"] = comparable.min()
                    exprs[f"max:{c}"] = comparable.max()
                exprs[f"count:values:{c}"] = pl.col(c).is_not_null().sum()
                continue
            names = self._count_names(c)
            fn = partial(_text_counts, names=names, nulls=tuple(self._nulls()), numbers=self.parse_numbers,
                         booleans=self.parse_booleans, formats=self._formats() if self.parse_dates else (),
                         extremes=self.drop_if_constant)
            # one read of the column per batch: cleaned once, every parse counted on it (Polars
            # does not share the cleaning between separate expressions)
            exprs[f"{STRUCT}text:{c}"] = pl.col(c).map_batches(
                fn, return_dtype=_counts_dtype(names, self.drop_if_constant, c), returns_scalar=True)
        return exprs

    def _count_names(self, c):
        names = [f"count:values:{c}", f"count:raw:{c}"]
        if self.parse_numbers:
            names += [f"count:int:{c}", f"count:float:{c}"]
        if self.parse_booleans:
            names.append(f"count:bool:{c}")
        if self.parse_dates:
            names += [f"count:date{k}:{c}" for k in range(len(self._formats()))]
        return tuple(names)

    def _finalize(self, stats, schema, columns):
        import polars as pl

        rows = stats["count:rows"]
        self.dtypes_, self.formats_, self.dropped_, self.report_ = {}, {}, [], {}
        for c in columns:
            dtype = schema[c]
            values = stats[f"count:values:{c}"]
            if self.drop_null_fraction is not None and (rows - values) > self.drop_null_fraction * rows \
                    or (self.drop_null_fraction == 1.0 and values == 0):
                self.dropped_.append(c)
                continue
            if self.drop_if_constant and (values == 0 or (values == rows and stats[f"min:{c}"] == stats[f"max:{c}"])):
                self.dropped_.append(c)
                continue
            if not _textual(dtype):
                self.dtypes_[c] = dtype
                continue
            need = self.min_parsed_fraction * values
            chosen, parsed = pl.String, values
            candidates = []  # (parsed, kind) in order of preference at equal counts
            if self.parse_numbers:
                candidates += [(stats[f"count:int:{c}"], "Int64"), (stats[f"count:float:{c}"], "Float64")]
            if self.parse_booleans:
                candidates.append((stats[f"count:bool:{c}"], "Boolean"))
            if self.parse_dates:
                counts = [stats[f"count:date{k}:{c}"] for k in range(len(self._formats()))]
                best = max(range(len(counts)), key=lambda k: (counts[k], -k))
                candidates.append((counts[best], "Datetime"))
            # integers win over floats only when every parsed float is an integer too
            if self.parse_numbers and stats[f"count:int:{c}"] < stats[f"count:float:{c}"]:
                candidates = [x for x in candidates if x[1] != "Int64"]
            for n, kind in sorted(candidates, key=lambda x: -x[0]):
                if values and n >= need:
                    parsed = n
                    if kind == "Datetime":
                        fmt = self._formats()[best]
                        self.formats_[c] = fmt
                        chosen = pl.Datetime("us") if _has_time(fmt) else pl.Date
                    else:
                        chosen = parse_dtype(kind)
                    break
            self.dtypes_[c] = chosen
            self.report_[c] = {"values": int(values), "null_strings": int(stats[f"count:raw:{c}"] - values),
                               "dtype": dtype_str(chosen), "parsed": int(parsed), "failed": int(values - parsed)}

    def _expr(self, c, schema):
        import polars as pl

        want = self.dtypes_[c]
        if not _textual(schema[c]):
            return pl.col(c)
        if want == pl.String:
            return self._clean(c)
        kind = "Datetime" if (want == pl.Date or isinstance(want, pl.Datetime)) else dtype_str(want)
        return self._parse(c, kind, self.formats_.get(c)).cast(want)

    def transform_exprs(self, schema):
        return [self._expr(c, schema).alias(c) for c in self._input_names() if c in self.dtypes_]

    def _names_out(self, names):
        return [n for n in names if n not in self.dropped_]

    def _array_params(self):
        return {"array_dtype": None, "ensure_all_finite": "allow-nan"}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        return tags

    def failures(self, data, limit: int = 5):
        """The values of ``data`` that a parsed column did not parse (they become null), at most
        ``limit`` per column: a frame of ``column``, ``row`` (0-based), ``value``, ``dtype``.

        One lazy query over ``data`` (any table or a path).
        """
        import polars as pl

        from tabprep.io._dispatch import coerce

        self._check_fitted()
        lf = coerce(data, allow_path=True, array_dtype=None).lf
        schema = lf.collect_schema()
        row = "\x1frow"
        parts = []
        for c, want in self.dtypes_.items():
            if c not in schema or not _textual(schema[c]) or want == pl.String:
                continue
            bad = self._clean(c).is_not_null() & self._expr(c, schema).is_null()
            parts.append(lf.with_row_index(row).filter(bad).head(limit)
                         .select(pl.lit(c).alias("column"), pl.col(row).alias("row"), pl.col(c).alias("value"),
                                 pl.lit(dtype_str(want)).alias("dtype")))
        if not parts:
            return pl.DataFrame(schema={"column": pl.String, "row": pl.UInt32, "value": pl.String, "dtype": pl.String})
        return pl.concat(pl.collect_all(parts))

    def _get_state(self):
        return {"dtypes": {c: dtype_str(d) for c, d in self.dtypes_.items()}, "formats": dict(self.formats_),
                "dropped": list(self.dropped_), "report": self.report_}

    def _set_state(self, state, tables):
        self.dtypes_ = {c: parse_dtype(d) for c, d in state["dtypes"].items()}
        self.formats_ = dict(state["formats"])
        self.dropped_ = list(state["dropped"])
        self.report_ = dict(state["report"])
