"""Where published files go: a local folder (here) or an object store (:mod:`feeds.remote`).

Readers and web servers may fetch a file at any instant, so a local file is replaced only by
an atomic rename of a complete temporary file (an object store's single PUT is atomic per
object). Each store reports a *version* for every file it holds: a string that changes
whenever the file is replaced, by us or anyone else, so publishing can tell "still what we
wrote" from "touched since" without reading a byte.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from feeds.errors import write_error, writing

TMP_SUFFIX = ".feeds-tmp"
FILE_MODE = 0o644


@dataclass(frozen=True, slots=True)
class Meta:
    """What a file is served as."""

    content_type: str  # with its charset
    cache_control: str


class Store(Protocol):
    """The operations publishing needs from a destination."""

    location: str  # a path or URL, for messages and to key the manifest
    remote: bool

    def prepare(self) -> None:
        """Make the destination ready for writes (and clean up after a killed run)."""

    def versions(self, names: Iterable[str]) -> dict[str, str | None]:
        """Each file's current version (None: absent)."""

    def read(self, name: str) -> bytes | None:
        """A file's bytes (None: absent); only called for local stores."""

    def write(self, name: str, data: bytes, meta: Meta) -> str:
        """Replace a file atomically; returns its new version."""

    def delete(self, name: str) -> None:
        """Remove a file; an absent one is fine."""


def write_atomic(path: Path, *parts: bytes) -> None:
    """Replace ``path`` with the concatenated ``parts`` in one rename; a crash leaves the old
    file or the new one.

    The temporary file is hidden and ends in ``.feeds-tmp``, so it is never mistaken for a feed
    and the next run can clean it up.
    """
    write_atomic_parts(path, parts)


def write_atomic_parts(path: Path, parts: Iterable[bytes | memoryview]) -> None:
    """:func:`write_atomic` of parts made while they are written (a generator)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            for data in parts:
                fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), FILE_MODE)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless it already holds exactly those bytes."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, data)
    return True


def clean_temporaries(folder: Path) -> list[str]:
    """Delete temporary files a killed run left behind."""
    removed = []
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder):
            if entry.name.startswith(".") and entry.name.endswith(TMP_SUFFIX):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed.append(entry.name)
    return removed


def _version(info: os.stat_result) -> str:
    # ctime changes on every write and no tool can set it back; the inode on every rename.
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}"


class LocalStore:
    """A folder on this machine (the files a web server or ``feeds serve`` serves)."""

    remote = False

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.location = str(folder)

    def prepare(self) -> None:
        with writing(self.folder, "create the output folder"):
            self.folder.mkdir(parents=True, exist_ok=True)
            clean_temporaries(self.folder)

    def versions(self, names: Iterable[str]) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        folder = os.fspath(self.folder) + os.sep  # plain strings: an idle tick runs this
        for name in names:
            try:
                out[name] = _version(os.stat(folder + name))
            except (FileNotFoundError, NotADirectoryError):
                out[name] = None
            except OSError as exc:
                raise write_error(self.folder / name, exc, "read") from None
        return out

    def read(self, name: str) -> bytes | None:
        with writing(self.folder / name, "read"):
            try:
                return (self.folder / name).read_bytes()
            except FileNotFoundError:
                return None

    def write(self, name: str, data: bytes, meta: Meta) -> str:
        path = self.folder / name
        with writing(path):
            write_atomic(path, data)
            return _version(os.stat(path))

    def delete(self, name: str) -> None:
        with writing(self.folder / name, "delete"), contextlib.suppress(FileNotFoundError):
            (self.folder / name).unlink()
