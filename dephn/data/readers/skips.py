"""The reasons of the lines a reader skipped with on_bad_lines="skip": the first few, in file order.

Every reader that can skip counts the lines it dropped in `skipped_lines` and keeps the
first `MAX_EXAMPLES` of them, in file order, in `skipped_examples`: one line each, worded
exactly like the `DataError` that on_bad_lines="error" raises for that line ("<file>, line
<n>[, column '<c>']: <what was wrong; what was expected>").
"""
from __future__ import annotations

from typing import Callable, Iterable

from ...errors import DataError

MAX_EXAMPLES = 5


def skip_text(message: str, *, path=None, line: int | None = None, column: str | None = None) -> str:
    """One skipped line, worded like the DataError of error mode."""
    return str(DataError(message, path=path, line=line, column=column))


class SkipLog:
    """The first `limit` skipped lines of one pass, ordered by a sortable `order` key.

    Readers may report skips out of file order (a parser's wrong-field-count lines arrive
    before the value checks of earlier rows); the log keeps the `limit` smallest keys.
    An entry's line may be unknown when it is added (None) and filled in by `texts`.
    """

    def __init__(self, limit: int = MAX_EXAMPLES):
        self.limit = limit
        self._items: list[tuple] = []   # (order, message, path, line, column), sorted by order

    def clear(self) -> None:
        self._items = []

    def wants(self, order) -> bool:
        """Whether an entry with this key would be kept."""
        return len(self._items) < self.limit or order < self._items[-1][0]

    def add(self, order, message: str, *, path=None, line: int | None = None, column: str | None = None) -> None:
        if not self.wants(order):
            return
        self._items.append((order, message, path, line, column))
        self._items.sort(key=lambda item: item[0])
        del self._items[self.limit:]

    def orders(self) -> list:
        """The kept keys, in order."""
        return [item[0] for item in self._items]

    def texts(self, line_of: Callable[[list], dict] | None = None) -> list[str]:
        """The kept entries as one-line texts; `line_of(orders)` -> {order: line} fills in the
        lines that were unknown when added."""
        missing = [item[0] for item in self._items if item[3] is None]
        lines = line_of(missing) if (missing and line_of is not None) else {}
        return [skip_text(message, path=path, line=line if line is not None else lines.get(order), column=column)
                for order, message, path, line, column in self._items]


def first_examples(groups: Iterable[Iterable[str]], limit: int = MAX_EXAMPLES) -> list[str]:
    """The first `limit` texts of several passes' examples, taken in the given order."""
    out: list[str] = []
    for texts in groups:
        out.extend(texts)
        if len(out) >= limit:
            break
    return out[:limit]
