"""One writer per output folder: an advisory lock file holding the writer's pid.

The lock is an ``flock`` on ``output/.feeds.lock``: the kernel drops it when its holder dies,
so a lock left by a crashed or killed process is simply taken over (and a recycled pid can
never keep it alive). The pid inside only serves the message a second writer prints.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from feeds.errors import OutputBusy

__all__ = ["LOCK_NAME", "OutputBusy", "OutputLock"]

LOCK_NAME = ".feeds.lock"


class OutputLock:
    def __init__(self, output: Path) -> None:
        self.path = output / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> OutputLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise OutputBusy(
                f"{self.path.parent} is in use by another feeds process "
                f"(pid {holder}); stop it or use another output folder"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
