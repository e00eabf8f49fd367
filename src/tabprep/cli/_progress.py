"""A spinner with elapsed time on stderr, for long streaming commands; only on a terminal.

Polars' sinks release the GIL, so a small thread can redraw the line while Rust does the work.
Commands decide ``enabled`` (a TTY and no ``--quiet``); when disabled nothing is ever written.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

__all__ = ["Progress", "progress_enabled"]

_FRAMES = "|/-\\"
_CLEAR = "\r\033[K"


def progress_enabled(quiet: bool, stream: TextIO | None = None) -> bool:
    """True when progress may be shown: not quiet and ``stream`` (default stderr) is a terminal."""
    stream = sys.stderr if stream is None else stream
    if quiet:
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """Context manager: ``with Progress("converting a.csv", enabled=...) as p: ...``.

    ``p.elapsed`` gives seconds since start; ``p.done(text)`` prints one final line (when enabled).
    """

    def __init__(self, label: str, *, enabled: bool, stream: TextIO | None = None, interval: float = 0.1) -> None:
        self.label = label
        self.enabled = enabled
        self.stream = sys.stderr if stream is None else stream
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self._start

    def _draw(self, frame: int) -> None:
        self.stream.write(f"{_CLEAR}{_FRAMES[frame % len(_FRAMES)]} {self.label}  {self.elapsed:5.1f}s")
        self.stream.flush()

    def _loop(self) -> None:
        frame = 0
        while not self._stop.wait(self.interval):
            self._draw(frame)
            frame += 1

    def __enter__(self) -> Progress:
        self._start = time.perf_counter()
        if self.enabled:
            self._thread = threading.Thread(target=self._loop, name="tabprep-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
            self.stream.write(_CLEAR)
            self.stream.flush()

    def done(self, text: str) -> None:
        if self.enabled:
            self.stream.write(f"{text}\n")
            self.stream.flush()
