"""The ``tabprep`` command.

Each command lives in its own module ``tabprep.cli._cmd_<name>`` (dashes become underscores) and
exposes ``add_parser(subparsers) -> argparse.ArgumentParser`` and ``run(args) -> int``. Adding a
command = adding a module and one entry in :data:`COMMANDS`. Command modules import only the
standard library at module level: Polars/NumPy load inside ``run``, so ``tabprep --help`` and
``tabprep --version`` stay fast.

Errors print one line ``tabprep: error: <message>`` on stderr and exit with the error class's
``exit_code`` (usage/config 2, data/schema 3, artifact 4, other tabprep errors 1, Ctrl-C 130);
``--debug`` prints the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
import warnings
from collections.abc import Sequence

from tabprep._version import __version__

__all__ = ["COMMANDS", "build_parser", "main"]

#: Command names, in the order ``tabprep --help`` lists them.
COMMANDS: tuple[str, ...] = ("convert", "schema", "show-versions", "split", "sample", "fit", "transform", "inspect", "demo",
                             "bench", "evaluate", "tune", "validate", "profile", "drift")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM


class _Parser(argparse.ArgumentParser):
    """argparse with our one-line error format (subparsers inherit it)."""

    def error(self, message: str):  # noqa: D401 - argparse's API
        self.exit(EXIT_USAGE, f"tabprep: error: {message} (see '{self.prog} --help')\n")


def _command_module(name: str):
    return importlib.import_module(f"tabprep.cli._cmd_{name.replace('-', '_')}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser (imports the command modules; none imports Polars): every command's,
    or with ``only`` (a name in :data:`COMMANDS`) just that command's, for a command line that
    starts with it (the other commands' modules and options cost ~25 ms to build per run)."""
    parser = _Parser(
        prog="tabprep",
        description="Fast, trustworthy data preparation for machine-learning training.",
        epilog="Run 'tabprep COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"tabprep {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for name in COMMANDS if only is None else (only,):
        module = _command_module(name)
        sub = module.add_parser(subparsers)
        # Also accepted after the command name; SUPPRESS keeps the global value when absent.
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        sub.set_defaults(_run=module.run)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"tabprep: warning: {_one_line(str(message))}", file=sys.stderr if file is None else file)


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _as_tabprep_error(exc: BaseException):
    """A tabprep error for ``exc`` (translating Polars/OS errors), or None for anything else."""
    from tabprep.errors import TabprepError

    if isinstance(exc, TabprepError):
        return exc
    if "polars" in sys.modules or isinstance(exc, OSError):
        # Only reached when Polars is already loaded (or for OS errors): no import cost for --help.
        from tabprep.io import translate_polars_error

        return translate_polars_error(exc)
    return None


def _naming_the_data(exc: BaseException, args) -> BaseException:
    """A DataError or SchemaError that names no file, from a command that reads one DATA input,
    as naming it (the library's checks of values and columns do not know where they came from)."""
    from tabprep.errors import DataError, SchemaError

    data = getattr(args, "data", None)
    if isinstance(exc, (DataError, SchemaError)) and exc.path is None and isinstance(data, str):
        return exc.with_path(data)
    return exc


def _report(exc: BaseException, debug: bool) -> int:
    err = _as_tabprep_error(exc)
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    if err is not None:
        if not debug:
            text = err.cli_text() if hasattr(err, "cli_text") else str(err)
            print(f"tabprep: error: {_one_line(text)}", file=sys.stderr)
        return int(getattr(err, "exit_code", EXIT_ERROR))
    if not debug:
        detail = _one_line(str(exc))
        detail = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        print(f"tabprep: error: internal error ({detail}); rerun with --debug for the traceback", file=sys.stderr)
    return EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tabprep`` command line; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success; 2 usage/config error; 3 data/schema error; 4 artifact error; 1 other errors;
        130 interrupted.

    Examples
    --------
    >>> from tabprep.cli import main
    >>> main(["--version"])  # doctest: +ELLIPSIS
    tabprep ...
    0
    """
    program = argv is None  # run as the `tabprep` program, not called from Python
    code = _main(sys.argv[1:] if program else [str(a) for a in argv], program)
    if program:
        _leave(code)
    return code


def _leave(code: int) -> None:
    """End the ``tabprep`` program with ``code`` once its work is done, without the
    interpreter's teardown.

    Tearing down Polars, NumPy and pyarrow module by module took 60-120 ms of every command
    (a 0.5 s ``tabprep transform`` of 3k rows spent a fifth of it exiting). Everything a command
    writes is closed and renamed into place before it returns; here the output streams are
    flushed, unreachable objects collected (a file object some library left open is closed),
    and the ``atexit`` handlers run (temp folders, loggers, worker pools), then the process
    exits (~10-30 ms)."""
    import atexit
    import gc

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that left (`| head`), or a closed stream
            pass
    gc.collect()
    atexit._run_exitfuncs()
    os._exit(code)


def _main(argv: list[str], program: bool) -> int:
    """:func:`main`'s work: parse ``argv`` and run its command; the exit code."""
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help/--version (0) or a usage error (2): return, don't exit
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    run = getattr(args, "_run", None)
    if run is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    debug = bool(getattr(args, "debug", False))
    previous = _exit_on_sigterm()
    shown = warnings.showwarning
    if not debug:  # one line per warning, in the command's voice (not Python's file:line form)
        warnings.showwarning = _show_warning
    try:
        return int(run(args) or EXIT_OK)
    except KeyboardInterrupt as exc:
        if debug:
            traceback.print_exc()
        terminated = isinstance(exc, _Terminated)
        print(f"tabprep: {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
        code = EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
        if program:
            # Every `finally` has run (temp files removed); leave now. Interpreter shutdown
            # with Polars' and our worker threads still busy from the interrupted query can
            # abort the process (seen once: SIGABRT instead of 130).
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        return code
    except BrokenPipeError:
        # `tabprep schema big.parquet | head`: the reader left; exit quietly like other Unix tools.
        _silence_stdout()
        return EXIT_ERROR
    except Exception as exc:
        return _report(_naming_the_data(exc, args), debug)
    except BaseException as exc:  # Polars' PanicException derives from BaseException
        if isinstance(exc, SystemExit):
            raise
        return _report(exc, debug)
    finally:
        warnings.showwarning = shown
        _restore_sigterm(previous)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so every ``finally``/``except BaseException`` runs
    (atomic writes remove their temp files) before the process exits with 128 + SIGTERM."""


def _exit_on_sigterm():
    """Make SIGTERM and SIGINT stop the command through an exception (so every ``finally``
    runs and atomic writes remove their temp files); returns the previous handlers.

    SIGINT too: a command started in the background by a script inherits an *ignored* SIGINT,
    and Python then installs no handler of its own, so ``kill -INT`` did nothing."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise _Terminated()

    try:
        return (signal.signal(signal.SIGTERM, handler), signal.signal(signal.SIGINT, signal.default_int_handler))
    except (ValueError, OSError):  # not settable here (embedded interpreter)
        return None


def _restore_sigterm(previous) -> None:
    if previous is not None:
        import signal

        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
