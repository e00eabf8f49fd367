"""Row progress: the engines say how many rows they have streamed; a reporter (the CLI's bar) listens.

The reporter is process-wide, not a context variable: Polars calls a batch function from its own
threads, where context variables do not follow. Without a reporter nothing is counted and
:func:`counted` returns its frame unchanged, so code run without one (scripts, benchmarks, every
library call) takes exactly the path it took before.

Where rows are reported: every sink of :func:`tabprep.io.write`/``write_all``/``convert`` (a
pass-through batch function on top of the plan, which Polars' streaming engine calls per morsel),
each batch of a fit pass (``tabprep._base.fit``), each batch of a reservoir sample, and the
collect of a hand-off matrix. A new pass over the same data (a fit phase) calls :func:`new_pass`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["report_rows", "rows_done", "new_pass", "counted"]

_reporter = None
_lock = threading.Lock()


@contextmanager
def report_rows(reporter) -> Iterator[None]:
    """Send the rows streamed inside the block to ``reporter``.

    ``reporter.advance(n)`` is called with each batch's row count (from any thread: keep it
    cheap), ``reporter.new_pass()`` when the work starts another pass over its data.

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.io import report_rows
    >>> from tabprep.io._progress import counted
    >>> class Count:
    ...     rows = 0
    ...     def advance(self, n): self.rows += n
    ...     def new_pass(self): pass
    >>> seen = Count()
    >>> with report_rows(seen):
    ...     _ = counted(pl.LazyFrame({"x": range(1000)})).collect(engine="streaming")
    >>> seen.rows
    1000
    """
    global _reporter
    with _lock:
        previous, _reporter = _reporter, reporter
    try:
        yield
    finally:
        with _lock:
            _reporter = previous


def rows_done(n: int) -> None:
    """Report ``n`` more rows streamed (nothing without a reporter)."""
    reporter = _reporter
    if reporter is not None:
        reporter.advance(int(n))


def new_pass() -> None:
    """Report that the work starts another pass over its data."""
    reporter = _reporter
    if reporter is not None:
        reporter.new_pass()


def counted(lf):
    """``lf`` with each streamed batch's rows reported; ``lf`` itself when no reporter listens."""
    reporter = _reporter
    if reporter is None:
        return lf

    def count(batch):
        reporter.advance(batch.height)
        return batch

    return lf.map_batches(count, streamable=True, schema=lf.collect_schema(), validate_output_schema=False)
