"""One exception tree for tabprep.

Every error also subclasses the builtin it refines, so ``except ValueError`` keeps working for code
that does not know tabprep. A message says *where* (file, column, row), *what was expected*, *what
was found* and *what to do*; build it with the keyword arguments rather than by hand so every
message reads alike::

    raise DataError(
        "expected a binary target (0/1)",
        path="train.parquet", column="y", row=17, found="2",
        hint="encode the target as 0/1 or use a continuous target",
    )
    # train.parquet: column 'y', row 17: expected a binary target (0/1); found 2. Hint: encode ...

The CLI maps each class to its own exit code (``exit_code``) and prints one line.

:class:`NotFittedError` also subclasses ``sklearn.exceptions.NotFittedError``, so code written
for scikit-learn (``except NotFittedError`` from ``sklearn.exceptions``) catches it. ``except``
matches on real subclasses only (no ABC registration reaches it), so the class needs
scikit-learn's as a base; it is made on first use (module ``__getattr__``), which keeps
``import tabprep.errors`` free of scikit-learn and NumPy (the ``tabprep --help`` path).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

__all__ = [
    "TabprepError",
    "ConfigError",
    "InvalidParameterError",
    "SchemaError",
    "DataError",
    "ArtifactError",
    "NotFittedError",
]


class TabprepError(Exception):
    """Base class of every error tabprep raises on purpose."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        path: object = None,
        column: str | None = None,
        row: int | None = None,
        found: object = None,
        hint: str | None = None,
        cli_hint: str | None = None,
    ) -> None:
        self.message = message
        # the same advice in the words of the command line (options, not Python), shown by it
        self.cli_hint = cli_hint
        self.path = None if path is None else str(path)
        self.column = column
        self.row = row
        self.found = found
        self.hint = hint
        super().__init__(self._format())

    def with_path(self, path, *, row: int | None = None) -> "TabprepError":
        """The same error naming the file ``path``, and ``row`` as its row when given (a row of
        that file): a new error of the same class; this one if it names a file already."""
        if self.path is not None:
            return self
        return _rebuild(type(self), self.message, str(path), self.column, self.row if row is None else row,
                        self.found, self.hint, self.cli_hint)

    def cli_text(self) -> str:
        """The message as the ``tabprep`` command shows it: its hint in command-line words."""
        if not self.cli_hint:
            return str(self)
        saved, self.hint = self.hint, self.cli_hint
        try:
            return self._format()
        finally:
            self.hint = saved

    def _format(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path)
        loc = []
        if self.column is not None:
            loc.append(f"column {self.column!r}")
        if self.row is not None:
            loc.append(f"row {self.row}")
        if loc:
            where.append(", ".join(loc))
        text = ": ".join([*where, self.message]) if where else self.message
        if self.found is not None:
            text += f"; found {self.found}"
        if self.hint:
            text += f". Hint: {self.hint}"
        return text

    def __reduce__(self):  # keep the keyword context when sent across processes
        return (_rebuild, (type(self), self.message, self.path, self.column, self.row, self.found, self.hint,
                           self.cli_hint))


def _rebuild(cls, message, path, column, row, found, hint, cli_hint=None):
    return cls(message, path=path, column=column, row=row, found=found, hint=hint, cli_hint=cli_hint)


class ConfigError(TabprepError, ValueError):
    """A parameter, spec file or command-line option is invalid (a usage error)."""

    exit_code = 2


class InvalidParameterError(ConfigError, TypeError):
    """A parameter has a wrong type or value (also a ``TypeError``, as scikit-learn's own
    ``InvalidParameterError``, so code written against scikit-learn catches it either way)."""


class SchemaError(TabprepError, ValueError):
    """The data's columns or dtypes are not what was expected."""

    exit_code = 3


class DataError(TabprepError, ValueError):
    """The data's values are invalid (nulls where none may be, NaN targets, unparsable rows...)."""

    exit_code = 3


class ArtifactError(TabprepError, ValueError):
    """A saved artifact is missing, truncated, tampered with or of an unsupported version."""

    exit_code = 4


_MAKING = threading.Lock()


def _make_not_fitted_error() -> type:
    with _MAKING:  # two threads asking at once get the same class
        made = globals().get("NotFittedError")
        if made is not None:
            return made
        from sklearn.exceptions import NotFittedError as SklearnNotFittedError

        class NotFittedError(TabprepError, SklearnNotFittedError):
            """A step or pipeline was used before ``fit``; also a
            ``sklearn.exceptions.NotFittedError`` (so a ``ValueError`` and an ``AttributeError``)."""

            exit_code = 2

        NotFittedError.__qualname__ = "NotFittedError"  # pickle finds it as tabprep.errors.NotFittedError
        globals()["NotFittedError"] = NotFittedError
        return NotFittedError


def __getattr__(name: str):
    if name == "NotFittedError":
        return _make_not_fitted_error()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ makes it
    from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

    class NotFittedError(TabprepError, _SklearnNotFittedError):
        exit_code = 2
