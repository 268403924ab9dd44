"""One exception hierarchy for every failure a run can end with.

Each subclass is a precise kind the CLI maps to its own exit code (in one table in
:mod:`feeds.cli`); every message is one line naming the file, key or path, and the fix.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pwd
from collections.abc import Iterator
from pathlib import Path

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


class WriteError(FeedsError):
    """A file or folder feeds must write cannot be written (permissions, a full disk, a bad
    path): the message names the path, the cause and the fix."""


class StoreError(FeedsError):
    """An object store refused or failed a call (network, permissions, timeout)."""


# What to do about an OSError, by errno: the fix a message suggests.
_FIXES = {
    errno.EACCES: "make it writable by user {user}, or point the config elsewhere",
    errno.EPERM: "make it writable by user {user} (and not immutable), or point the config "
    "elsewhere",
    errno.EROFS: "the filesystem is mounted read-only: remount it read-write or point the "
    "config elsewhere",
    errno.ENOSPC: "free space on that filesystem",
    errno.EDQUOT: "free space, or raise the disk quota of user {user}",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ENAMETOOLONG: "shorten the path",
    errno.ELOOP: "the path has a symlink loop",
    errno.EISDIR: "a folder stands where feeds writes a file: move it away",
}


def write_error(path: Path | str, exc: OSError, what: str = "write") -> WriteError:
    """The one-line WriteError for an OSError met while writing ``path``."""
    cause = exc.strerror or type(exc).__name__
    link = Path(path)
    for candidate in (link, *link.parents):
        if candidate.is_symlink() and not candidate.exists():
            fix = (
                f"{candidate} is a symlink to the missing {os.readlink(candidate)}: create "
                "that folder or fix the link"
            )
            break
    else:
        try:
            user = pwd.getpwuid(os.geteuid()).pw_name
        except KeyError:
            user = str(os.geteuid())
        fix = _FIXES.get(exc.errno or 0, "check the path and its permissions").format(user=user)
    return WriteError(f"cannot {what} {path}: {cause}; {fix}")


@contextlib.contextmanager
def writing(path: Path | str, what: str = "write") -> Iterator[None]:
    """Turn an OSError met while writing ``path`` into its one-line WriteError."""
    try:
        yield
    except WriteError:
        raise
    except OSError as exc:
        named = getattr(exc, "filename", None)
        # A writer's hidden temporary is no name for a user: the file it was to become is.
        if not named or str(named).endswith(".feeds-tmp"):
            named = path
        raise write_error(named, exc, what) from None


class NoSeedMatches(FeedsError):
    """``feeds explain`` was given a path or URL that names no seed."""
