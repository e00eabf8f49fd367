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
"""

from __future__ import annotations

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


class NotFittedError(TabprepError, ValueError, AttributeError):
    """A step or pipeline was used before ``fit`` (mirrors ``sklearn.exceptions.NotFittedError``)."""

    exit_code = 2
