"""The project's user-facing error type.

Anything raised as `DephnError` is a user mistake (bad file, bad value, unknown
name). The command line prints its message on one line and exits non-zero
without a traceback; library callers can catch it.
"""


class DephnError(Exception):
    """A user error with a message that names what was wrong and what was expected."""


class DataError(DephnError):
    """Bad input data: names the file, the line or column, and the expectation."""

    def __init__(self, message: str, *, path=None, line: int | None = None, column: str | None = None):
        where = []
        if path is not None:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        prefix = ":".join(where[:1]) + (", " + ", ".join(where[1:]) if len(where) > 1 else "")
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.path, self.line, self.column = path, line, column


class DataWarning(UserWarning):
    """Data that loads but is probably not what was meant (e.g. a CSV spec with no sparse field).

    Issued with `warnings.warn`, one line; library callers can filter or escalate it with the
    standard `warnings` machinery (e.g. `warnings.simplefilter("error", DataWarning)`).
    """
