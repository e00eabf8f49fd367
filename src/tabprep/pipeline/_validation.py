"""Running a :class:`~tabprep.pipeline._contract.Contract`: every check in ONE Polars query.

The query is ``lf.select(fail_0, fail_1, ..., shown columns)``: for each check ``i`` a boolean
failure mask ``fail_i`` (true where a row breaks it), plus the columns whose values a report
shows. Data already in memory runs on Polars' in-memory engine (the masks are evaluated in
parallel into one frame of bit-packed columns); a path or LazyFrame runs on the streaming engine
and its result is consumed batch by batch (bigger than memory works). From each mask:

- ``fail_i.sum()``: the number of failing rows (a popcount);
- :func:`first_true`: the first ``sample`` failing row numbers, found in slices that double in
  size (not a list of every failing row), and their values gathered from the shown columns.

So the counts and the row-level detail come from the same read; nothing is read again to find
the failing rows. Schema checks (presence, dtype) need no data and are decided from the schema
first; a column that fails them gets none of its value checks (they would not be meaningful).

Missing means null, or NaN in a float column (as everywhere in tabprep): ``nullable`` and
``max_null_share`` count both, the value checks (range, allowed values, regex, uniqueness) skip
them. Row numbers count from 0, as in every tabprep error message.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from tabprep._constraints import Interval, check_param
from tabprep._dtypes import dtype_str
from tabprep.errors import ConfigError

__all__ = ["CheckResult", "ValidationReport", "run_contract", "first_true"]

FAIL = "__tabprep_fail_"
#: Rows per batch of the streaming engine's result (a lazy or path input).
BATCH_ROWS = 1 << 18


def first_true(mask, k: int) -> list[int]:
    """Positions of the first ``k`` true values of a boolean Series (a null is not true).

    Looks in slices that double in size, so finding the first failing rows costs about twice
    the position of the k-th one, not a pass over the whole mask (``arg_true`` of a mask with
    millions of failures would list them all).

    Examples
    --------
    >>> import polars as pl
    >>> first_true(pl.Series([False, True, False, True, True]), 2)
    [1, 3]
    """
    out: list[int] = []
    start, size, n = 0, 4096, mask.len()
    while start < n and len(out) < k:
        part = mask.slice(start, size)
        out += [start + int(i) for i in part.arg_true().head(k - len(out))]
        start += size
        size *= 2
    return out


@dataclass
class CheckResult:
    """The outcome of one check.

    Attributes
    ----------
    check : str
        ``present``, ``dtype``, ``nullable``, ``max_null_share``, ``min``, ``max``, ``allowed``,
        ``regex``, ``unique``, ``min_rows``, ``max_rows``, or the name of a custom check.
    column : str or None
        The column (None for table checks).
    level : {"error", "warn"}
    passed : bool
    failed : int
        Rows that break the check (for ``max_null_share``: the missing rows; for schema and
        row-count checks 0 or 1).
    share : float
        ``failed`` / number of rows (0 for an empty table).
    rows : list of int
        The first failing row numbers (at most ``sample``), from 0.
    values : list
        Their values: of the column, or ``{column: value}`` of the columns a custom check reads.
    message : str
        What was expected and what was found.
    """

    check: str
    column: str | None
    level: str
    passed: bool
    failed: int = 0
    share: float = 0.0
    rows: list = field(default_factory=list)
    values: list = field(default_factory=list)
    message: str = ""

    @property
    def where(self) -> str:
        return self.column if self.column is not None else "(table)"


def _jsonable(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (_dt.date, _dt.datetime, _dt.time, _dt.timedelta)):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return value


@dataclass
class ValidationReport:
    """The result of :meth:`Contract.validate`: one :class:`CheckResult` per check run.

    Attributes
    ----------
    results : list of CheckResult
    n_rows : int
    source : str or None
        The data's path, when it came from one.
    """

    results: list
    n_rows: int
    source: str | None = None

    @property
    def failures(self) -> list:
        """The checks that failed (both levels), in check order."""
        return [r for r in self.results if not r.passed]

    @property
    def errors(self) -> list:
        """Failed error-level checks."""
        return [r for r in self.failures if r.level == "error"]

    @property
    def warnings(self) -> list:
        """Failed warn-level checks."""
        return [r for r in self.failures if r.level == "warn"]

    @property
    def ok(self) -> bool:
        """True when no error-level check failed (warnings alone leave it True)."""
        return not self.errors

    def to_dict(self) -> dict:
        """JSON-able data (values that JSON has no type for are written as text)."""
        return {"ok": self.ok, "n_rows": self.n_rows, "source": self.source,
                "n_checks": len(self.results), "n_errors": len(self.errors), "n_warnings": len(self.warnings),
                "results": [_jsonable(asdict(r)) for r in self.results]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)

    def to_frame(self):
        """One row per check as a Polars DataFrame (rows and values as text lists)."""
        import polars as pl

        return pl.DataFrame(
            {"column": [r.column for r in self.results], "check": [r.check for r in self.results],
             "level": [r.level for r in self.results], "passed": [r.passed for r in self.results],
             "failed": [r.failed for r in self.results], "share": [float(r.share) for r in self.results],
             "rows": [list(r.rows) for r in self.results], "message": [r.message for r in self.results]},
            schema={"column": pl.String, "check": pl.String, "level": pl.String, "passed": pl.Boolean,
                    "failed": pl.Int64, "share": pl.Float64, "rows": pl.List(pl.Int64), "message": pl.String})

    def summary(self) -> str:
        """One line: rows, checks, errors and warnings."""
        return (f"{self.n_rows:,} rows, {len(self.results)} checks: {len(self.results) - len(self.failures)} passed, "
                f"{len(self.errors)} failed (error), {len(self.warnings)} failed (warn)")

    def __str__(self) -> str:
        """A terminal table of the failed checks (passed ones are counted in the summary)."""
        head = ("level", "column", "check", "failed", "share", "rows (first)", "message")
        rows = [(r.level, r.where, r.check, f"{r.failed:,}", f"{r.share:.2%}",
                 ", ".join(str(i) for i in r.rows), r.message) for r in self.failures]
        lines = [(f"{self.source}: " if self.source else "") + self.summary()]
        if rows:
            widths = [max(len(str(x[i])) for x in [head, *rows]) for i in range(len(head) - 1)]
            fmt = lambda r: "  ".join(f"{str(v):<{w}}" for v, w in zip(r, widths)) + "  " + r[-1]  # noqa: E731
            lines += [fmt(head)] + [fmt(r) for r in rows]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
def _missing(col, dtype):
    import polars as pl

    c = pl.col(col)
    return (c.is_null() | c.is_nan()) if dtype.is_float() else c.is_null()


def _bound_fits(dtype, value) -> bool:
    if dtype.is_numeric():
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    s = dtype_str(dtype)
    if s == "Date":
        return isinstance(value, _dt.date) and not isinstance(value, _dt.datetime)
    if s.startswith("Datetime"):
        return isinstance(value, _dt.datetime)
    if s.startswith("Duration"):
        return isinstance(value, _dt.timedelta)
    if s == "Time":
        return isinstance(value, _dt.time)
    if s in ("String",):
        return isinstance(value, str)
    return False


def _is_text(dtype) -> bool:
    s = dtype_str(dtype)
    return s == "String" or s.startswith(("Categorical", "Enum"))


def _plan_column(name, rule, dtype, path):
    """``[(check, level, fail expr, columns shown, message)]`` of one present column."""
    import polars as pl

    c = pl.col(name)
    missing = _missing(name, dtype)
    valid = ~missing
    out = []
    if not rule.nullable:
        out.append(("nullable", missing, "missing values (null or NaN) where none may be"))
    if rule.max_null_share is not None:
        out.append(("max_null_share", missing, f"share of missing values above {rule.max_null_share:g}"))
    for side in ("min", "max"):
        bound = getattr(rule, side)
        if bound is None:
            continue
        if not _bound_fits(dtype, bound):
            raise ConfigError(f"column {name!r}: the `{side}` bound {bound!r} ({type(bound).__name__}) cannot be "
                              f"compared with a {dtype_str(dtype)} column", path=path,
                              hint="give a bound of the column's kind (a number for a number column, a date for a Date...)")
        inclusive = getattr(rule, f"{side}_inclusive")
        if side == "min":
            bad = c < bound if inclusive else c <= bound
            text = f"values below {'' if inclusive else 'or equal to '}min {bound!r}"
        else:
            bad = c > bound if inclusive else c >= bound
            text = f"values above {'' if inclusive else 'or equal to '}max {bound!r}"
        if not inclusive and isinstance(bound, float) and math.isinf(bound):  # finite values only
            text = f"{'-inf' if bound < 0 else '+inf'} values (the column must hold finite numbers)"
        # a null compares to null, which the counts and the row search read as "passes" (no
        # fill_null: it cost ~40% of a comparison); Polars orders NaN above every number, so
        # NaN never breaks a min and is taken out of a max: the same as `valid &`, one pass less
        fail = bad
        if side == "max" and dtype.is_float():
            fail = fail & c.is_not_nan()
        out.append((side, fail, text))
    if rule.allowed is not None:
        allowed = [v for v in rule.allowed if v is not None]
        target = c.cast(pl.String) if _is_text(dtype) else c
        try:
            series = pl.Series(allowed, dtype=pl.String if _is_text(dtype) else dtype, strict=True)
        except (TypeError, ValueError, pl.exceptions.PolarsError):
            raise ConfigError(f"column {name!r}: the `allowed` values cannot be compared with a {dtype_str(dtype)} column",
                              path=path, found=repr(rule.allowed[:5]),
                              hint="list values of the column's kind") from None
        short = ", ".join(repr(v) for v in allowed[:5]) + (", ..." if len(allowed) > 5 else "")
        out.append(("allowed", valid & ~target.is_in(series.implode()), f"values outside the allowed set {{{short}}}"))
    if rule.regex is not None:
        if not _is_text(dtype):
            raise ConfigError(f"column {name!r}: a regex check needs a string column", path=path,
                              found=dtype_str(dtype),
                              hint="drop `regex` for this column, or check its values with min/max/allowed")
        pattern = f"^(?:{rule.regex})$"
        out.append(("regex", valid & ~c.cast(pl.String).str.contains(pattern),
                    f"values not matching /{rule.regex}/"))
    if rule.unique:
        out.append(("unique", valid & c.is_duplicated(), "repeated values where each must be unique"))
    return [(check, rule.level_of(check), fail, [name], text) for check, fail, text in out]


def run_contract(contract, data, *, sample: int = 5, path=None):
    """Validate ``data`` against ``contract`` in one streaming Polars query.

    Parameters
    ----------
    contract : Contract
    data : table or path
        Polars/pandas/pyarrow table, or a path (read with :func:`tabprep.io.scan`).
    sample : int, default 5
        How many failing rows (numbers and values) to keep per check.
    path : str, optional
        Name the data by this in the report and errors (default: the path given, if any).

    Returns
    -------
    ValidationReport
    """
    import polars as pl

    from tabprep.io import polars_errors
    from tabprep.io._dispatch import as_table

    check_param(sample, [Interval(int, 0, None)], "sample", "validate")
    coerced = as_table(data, allow_path=True)
    source = path if path is not None else (str(data) if coerced.kind == "path" else None)
    lf = coerced.lf
    with polars_errors(source, frame=lf):
        schema = lf.collect_schema()
    results: list[CheckResult | None] = []
    planned = []  # (index in results, check, level, fail expr, shown columns, message, column)
    for name, rule in contract.columns.items():
        if name not in schema:
            if rule.required:
                results.append(CheckResult("present", name, rule.level_of("present"), False, 1, 0.0,
                                           message="column missing from the data"))
            continue
        results.append(CheckResult("present", name, rule.level_of("present"), True))
        dtype = schema[name]
        if rule.dtype is not None:
            passed = rule.dtype_matches(dtype)
            results.append(CheckResult("dtype", name, rule.level_of("dtype"), passed, int(not passed), 0.0,
                                       message="" if passed else f"expected {rule.dtype}, found {dtype_str(dtype)}"))
            if not passed:
                continue
        for check, level, fail, shown, text in _plan_column(name, rule, dtype, source):
            planned.append((len(results), check, level, fail, shown, text, name))
            results.append(None)
    for name, chk in contract.checks.items():
        absent = [c for c in chk.columns() if c not in schema]
        if absent:
            results.append(CheckResult(name, None, chk.level, False, 1, 0.0,
                                       message=f"reads columns missing from the data: {', '.join(absent)}"))
            continue
        fail = ~chk.expr  # null (SQL CHECK: passes) is read as passing
        planned.append((len(results), name, chk.level, fail, chk.columns(),
                        chk.description or f"the check {chk.sql or chk.expr} is false", None))
        results.append(None)

    # one query: a boolean failure mask per check, plus the columns whose values are shown; a
    # null in a mask passes (``sum`` and ``arg_true`` skip nulls): no fill_null pass per mask
    shown_cols = list(dict.fromkeys(c for p in planned for c in p[4])) if sample else []
    exprs = [p[3].alias(f"{FAIL}{i}") for i, p in enumerate(planned)]
    exprs += [pl.col(c) for c in shown_cols]
    query = lf.select(exprs)
    counts = [0] * len(planned)
    rows_of: list[list[int]] = [[] for _ in planned]
    values_of: list[list[list]] = [[[] for _ in p[4]] for p in planned]
    n = 0
    with polars_errors(source, frame=lf):
        if not exprs:  # nothing to check row by row: count the rows
            batches = []
            n = int(lf.select(pl.len()).collect(engine="streaming").item())
        elif coerced.kind in ("lazy", "path"):
            # bigger than memory: the streaming engine, the masks consumed batch by batch
            batches = query.collect_batches(chunk_size=BATCH_ROWS, maintain_order=True)
        else:
            # in memory already: the in-memory engine evaluates the masks in parallel, one
            # frame of bit-packed masks (no row index, no per-check lists)
            batches = [query.collect()]
        for batch in batches:
            for i, (_, _, _, _, shown, _, _) in enumerate(planned):
                mask = batch.get_column(f"{FAIL}{i}")
                failed = mask.sum()
                counts[i] += failed
                want = sample - len(rows_of[i])
                if failed and want > 0:
                    found = first_true(mask, want)
                    rows_of[i] += [n + r for r in found]
                    picked = pl.Series(found, dtype=pl.UInt32)
                    for j, c in enumerate(shown):
                        values_of[i][j] += batch.get_column(c).gather(picked).to_list()
            n += batch.height
    for i, (slot, check, level, _, shown, text, column) in enumerate(planned):
        failed = int(counts[i])
        rows = rows_of[i]
        columns = values_of[i]
        if column is not None:
            values = list(columns[0])
        else:
            values = [{c: col[k] for c, col in zip(shown, columns)} for k in range(len(rows))]
        share = failed / n if n else 0.0
        if check == "max_null_share":
            limit = contract.columns[column].max_null_share
            passed = share <= limit
            message = "" if passed else f"{share:.2%} of the rows are missing, at most {limit:.2%} allowed"
        else:
            passed = failed == 0
            message = "" if passed else f"{failed:,} row{'' if failed == 1 else 's'}: {text}"
        results[slot] = CheckResult(check, column, level, passed, failed, share,
                                    rows if not passed else [], values if not passed else [], message)
    for key, bad, text in (("min_rows", contract.min_rows is not None and n < contract.min_rows, "at least"),
                           ("max_rows", contract.max_rows is not None and n > contract.max_rows, "at most")):
        if getattr(contract, key) is not None:
            results.append(CheckResult(key, None, contract.level_of(key), not bad, int(bad), 0.0,
                                       message=f"{n:,} rows, {text} {getattr(contract, key):,} expected" if bad else ""))
    return ValidationReport(results, n, source)


def summary_values(values: list[Any]) -> str:
    """The sampled values of a check as short text (for tables)."""
    return ", ".join(repr(v) for v in values)
