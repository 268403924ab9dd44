"""Located messages about seeds, shared by every stage that reads them."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from feeds.errors import FeedsError
from feeds.messages import one_line


class Severity(enum.StrEnum):
    """What became of a seed a problem is about; the value is the word every message uses."""

    SKIPPED = "skipped"  # the seed could not become an item
    REPAIRED = "repaired"  # the item was made, with the field repaired or dropped


@dataclass(frozen=True, slots=True)
class Problem:
    """A located message about one seed."""

    path: str
    message: str
    line: int | None = None
    severity: Severity = Severity.SKIPPED

    def __str__(self) -> str:
        # A seed's file name and text are anyone's: escaped, so one problem is one line.
        where = f"{self.path}:{self.line}" if self.line else self.path
        return one_line(f"{where}: {self.message}")

    def line_text(self) -> str:
        """The one line the CLI prints and the daemon logs: ``skipped: file:3: reason``."""
        return f"{self.severity}: {self}"


class SeedError(FeedsError):
    """A seed that cannot become an item: the message names the file and, if known, the line."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.path = path
        self.reason = " ".join(reason.split())  # always one line
        self.line = line
        super().__init__(self.location + ": " + self.reason)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path
