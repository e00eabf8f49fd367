"""A progress bar on stderr for commands that stream data: rows done / total and rows/s (tqdm).

Only on a terminal and without ``--quiet`` (:func:`progress_enabled`); disabled, nothing is
imported and nothing is written. The rows come from the library (``tabprep.io.report_rows``:
every sink, fit pass, reservoir batch and matrix collect reports its rows); the total from
:meth:`Progress.count_rows` -- Parquet/IPC metadata, or for CSV/NDJSON Polars' own row count run
in a thread beside the work (the bar shows rows and rows/s without a total until it is known).
A fit reads its data once per phase: each pass starts the bar again, labelled ``pass k``.

tqdm is imported only when a bar is shown (``tabprep --help`` must not import it). Polars releases
the GIL while it works, so a small thread redraws the bar; the library's reports only add to a
counter (they come from Polars' threads and must stay cheap).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO

__all__ = ["Progress", "progress_enabled"]


def progress_enabled(quiet: bool, stream: TextIO | None = None) -> bool:
    """True when progress may be shown: not quiet and ``stream`` (default stderr) is a terminal."""
    stream = sys.stderr if stream is None else stream
    if quiet:
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _count_rows(source, limit: int | None) -> int | None:
    """Rows of ``source`` (file, folder, glob): metadata for Parquet/IPC, Polars' count for text."""
    import polars as pl

    import tabprep.io as tio

    scanners = {"parquet": pl.scan_parquet, "ipc": pl.scan_ipc, "csv": pl.scan_csv, "ndjson": pl.scan_ndjson}
    total = 0
    for path in tio.source_files(source):
        scanner = scanners.get(tio.format_from_path(path, required=False))
        if scanner is None:
            return None
        total += int(scanner(path, glob=False).select(pl.len()).collect().item())
    return total if limit is None else min(total, limit)


class Progress:
    """Context manager: ``with Progress("converting a.csv", enabled=...) as p: ...``.

    While the block runs, rows reported by the library move the bar. ``p.count_rows(source)``
    finds the total; ``p.stage(text)`` relabels the bar and starts it again (another output);
    ``p.elapsed`` gives seconds since start; ``p.done(text)`` prints one final line (when enabled).
    """

    def __init__(self, label: str, *, enabled: bool, stream: TextIO | None = None, interval: float = 0.1,
                 total: int | None = None) -> None:
        self.label = label
        self.enabled = enabled
        self.stream = sys.stderr if stream is None else stream
        self.interval = interval
        self.total = total
        self._rows = 0
        self._pass = 0  # passes over the data announced by the library (fit phases)
        self._version = 0  # bumped by stage()/new_pass(): the drawing thread restarts the bar
        self._lock = threading.Lock()
        self._drawing = threading.Lock()
        self._drawn_version = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar = None
        self._columns = 80
        self._reporting = None
        self._start = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self._start

    # -- what the library calls (tabprep.io.report_rows), from any thread ------------------------
    def advance(self, rows: int) -> None:
        with self._lock:
            self._rows += rows

    def new_pass(self) -> None:
        self._finish_part()
        with self._lock:
            self._pass += 1
            restart = self._pass > 1  # the first pass needs no restart
            if restart:
                self._rows = 0
                self._version += 1
        if restart and self._bar is not None:
            self._draw()  # the bar (and its clock, for rows/s) starts again now

    # -- what the command calls -------------------------------------------------------------------
    def stage(self, label: str) -> None:
        """Another part of the work (``writing X.npy``): relabel and restart the bar."""
        self._finish_part()
        with self._lock:
            self.label = label
            self._pass = 0
            self._rows = 0
            self._version += 1
        if self._bar is not None:
            self._draw()  # the bar (and its clock, for rows/s) starts again now

    def _finish_part(self) -> None:
        """Draw the part that ends as it ends (a fast one may have fallen between two redraws)."""
        if self._bar is not None and self._rows:
            self._draw()

    def count_rows(self, source, limit: int | None = None) -> None:
        """Find the total rows of ``source`` in a thread (no effect when disabled; errors leave no total)."""
        if not self.enabled:
            return

        def run() -> None:
            try:
                total = _count_rows(source, limit)
            except Exception:  # the bar only loses its total; the command reports real errors
                return
            with self._lock:
                self.total = total

        threading.Thread(target=run, name="tabprep-progress-total", daemon=True).start()

    # -- drawing ------------------------------------------------------------------------------------
    def _description(self) -> str:
        text = self.label if self._pass <= 1 else f"{self.label} (pass {self._pass})"
        # the numbers need ~60 columns: a long label (deep paths) is shortened in its middle
        room = max(24, self._columns - 60)
        if len(text) > room:
            verb, _, rest = text.partition(" ")  # "converting", "writing": kept whole
            room = max(12, room - len(verb) - 1)
            head = room // 2 - 1
            text = f"{verb} {rest[:head]}\u2026{rest[-(room - head - 1):]}"
        return text

    def _draw(self) -> None:
        with self._lock:
            rows, total, current = self._rows, self.total, self._version
            description = self._description()
        with self._drawing:  # the redrawing thread, and the command's thread ending a part
            bar = self._bar
            if bar is None:
                return
            if current != self._drawn_version:
                self._drawn_version = current
                bar.set_description_str(description, refresh=False)
                bar.reset(total=total)
            elif total != bar.total:
                bar.total = total
            bar.update(rows - bar.n)
            bar.refresh()

    def _loop(self) -> None:
        drawn = (None, None)
        last = time.perf_counter()
        while not self._stop.wait(self.interval):
            state = (self._rows, self._version)
            # redraw on news, and every half second for the clock
            if state != drawn or time.perf_counter() - last >= 0.5:
                self._draw()
                drawn, last = state, time.perf_counter()

    def __enter__(self) -> Progress:
        self._start = time.perf_counter()
        if self.enabled:
            import tqdm

            from tabprep.io import report_rows

            tqdm.tqdm.monitor_interval = 0  # no monitor thread of tqdm's own: ours redraws
            try:
                size = os.get_terminal_size(self.stream.fileno())
                columns, lines = size.columns, size.lines
            except (AttributeError, OSError, ValueError):
                columns = lines = 0
            # A terminal that reports no size (a fresh pseudo-terminal) gets 80x24: tqdm would draw
            # nothing in 0 columns, and hides a bar whose line is not below the terminal's last.
            self._columns = columns if columns > 0 else 80
            self._bar = tqdm.tqdm(total=self.total, desc=self._description(), unit=" rows", unit_scale=True,
                                  file=self.stream, leave=False, dynamic_ncols=columns > 0,
                                  ncols=None if columns > 0 else 80, nrows=None if lines > 0 else 24,
                                  mininterval=0, smoothing=0)  # rate: rows / time of the part so far
            self._reporting = report_rows(self)
            self._reporting.__enter__()
            self._thread = threading.Thread(target=self._loop, name="tabprep-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
            self._reporting.__exit__(None, None, None)
            if exc_info[0] is None:
                self._draw()  # the final count, drawn once before the line is cleared
            with self._drawing:
                self._bar.close()
                self._bar = None

    def done(self, text: str) -> None:
        if self.enabled:
            self.stream.write(f"{text}\n")
            self.stream.flush()
