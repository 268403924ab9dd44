"""One writer per state folder and per output: locks that die with their holder.

The writer takes an ``flock`` on ``<state>/lock`` (which holds its pid, for the message a
second writer prints) and one on the output folder itself, so two configs with different
state folders still cannot write one output. The kernel drops both when the holder dies,
so a lock left by a crashed or killed process is simply taken over (and a recycled pid can
never keep it alive). Neither lock puts a file into the output. An object-store output adds
the store's own lock object (:class:`feeds.remote.RemoteStore`), for writers on other machines.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType
from typing import Protocol

from feeds.errors import OutputBusy, writing

__all__ = ["LOCK_NAME", "OutputBusy", "WriterLock"]

LOCK_NAME = "lock"


class RemoteLock(Protocol):
    """A lock an object store keeps for one destination (see feeds.remote)."""

    def acquire(self) -> None: ...

    def release(self) -> None: ...


def _flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class WriterLock:
    """The lock a writer holds on its state folder and (when local) its output folder."""

    def __init__(
        self, state: Path, output: Path | None = None, remote: RemoteLock | None = None
    ) -> None:
        self.path = state / LOCK_NAME
        self.output = output
        self.remote = remote
        self._fds: list[int] = []

    def acquire(self) -> WriterLock:
        with writing(self.path, "create the lock file"):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _flock(fd):
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            where = self.output if self.output is not None else self.path.parent
            raise OutputBusy(
                f"{where} is in use by another feeds process (pid {holder}); "
                "stop it or use another output folder"
            )
        self._fds.append(fd)
        if self.output is not None:
            try:
                with writing(self.output, "create the output folder"):
                    self.output.mkdir(parents=True, exist_ok=True)
                    out = os.open(self.output, os.O_RDONLY | os.O_DIRECTORY)
            except BaseException:
                self.release()
                raise
            if not _flock(out):
                os.close(out)
                self.release()
                raise OutputBusy(
                    f"{self.output} is in use by another feeds process (one with another "
                    "state folder); stop it or use another output folder"
                )
            self._fds.append(out)
        try:
            with writing(self.path):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            if self.remote is not None:
                self.remote.acquire()
        except BaseException:
            self.release()
            raise
        return self

    def release(self) -> None:
        if self.remote is not None and self._fds:
            with contextlib.suppress(Exception):  # best effort; a stale lock times out
                self.remote.release()
        for fd in reversed(self._fds):
            with contextlib.suppress(OSError):
                if fd == self._fds[0]:
                    os.ftruncate(fd, 0)
            os.close(fd)  # closing drops the flock
        self._fds.clear()

    def __enter__(self) -> WriterLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
