"""One exception hierarchy for every failure a run can end with.

Each subclass is a precise kind the CLI maps to its own exit code (in one table in
:mod:`feeds.cli`); every message is one line naming the file, key or path, and the fix.
"""

from __future__ import annotations

from feeds.messages import one_line


class FeedsError(Exception):
    """Base class: a run (or a tick) cannot go on, for a reason the message states.

    Messages name files and quote config values, which may hold a newline or a bidi
    override: the message is escaped here, once, so every error is one honest line.
    """

    def __str__(self) -> str:
        return one_line(super().__str__())


class ConfigError(FeedsError):
    """An unusable config: the message is one line naming the file and the key path."""


class SeedsUnavailable(FeedsError):
    """The seeds folder itself cannot be listed: a run must not mistake that for 'no seeds'."""


class OutputBusy(FeedsError):
    """Another feeds process writes to this output."""


class ServeError(FeedsError):
    """``feeds serve`` cannot start: the address cannot be listened on, or the private area is
    asked for without a usable token."""
