"""Change notification for the seeds folder, so an idle daemon tick costs the same at 10k and
at 1M seeds.

Why: without it every tick scans the whole folder, one ``stat`` per seed (and Python work per
entry): 0.15 s at 10k seeds, seconds at 1M, to learn that nothing changed. Linux's inotify
tells the process instead. :class:`SeedWatcher` puts a watch on the seeds folder and on every
folder under it (hidden and symlinked folders are skipped, as :func:`feeds.seeds.discover`
skips them), adds watches for folders as they appear, and answers :meth:`SeedWatcher.poll`
with the files and folders touched since the last poll, without blocking and without a
thread. It uses `inotify_simple <https://pypi.org/project/inotify-simple/>`_, a ctypes
wrapper of the three system calls (a maintained library rather than our own ctypes code).

``poll`` returns None whenever the events cannot be trusted to be complete, and the caller
then scans everything: the kernel's queue overflowed (``IN_Q_OVERFLOW``), the seeds folder
itself was moved or deleted, or a new folder could not be watched (the per-user watch limit).
:func:`open_watcher` gives no watcher at all where inotify does not see every change: not
Linux, inotify_simple missing, the watch limit reached, or a network or FUSE filesystem
(NFS, SMB, 9p...: changes made on another machine raise no event). Changes made through a
hard link in another folder raise no event either; the daemon's periodic full scan
(``watch.rescan``) covers those.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("feeds")

# Filesystems whose changes can come from elsewhere (another machine, a userspace daemon)
# and so raise no inotify event here.
NETWORK_FILESYSTEMS = frozenset(
    [
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "ncpfs",
        "9p",
        "afs",
        "ceph",
        "glusterfs",
        "lustre",
        "gpfs",
        "ocfs2",
        "gfs2",
        "beegfs",
        "orangefs",
        "pvfs2",
        "coda",
        "davfs",
        "sshfs",
        "fuse",
        "fuseblk",
        "virtiofs",
    ]
)


@dataclass(slots=True)
class Changes:
    """What moved under the seeds folder since the last poll, as names relative to it."""

    files: set[str] = field(default_factory=set)  # created, written, touched, moved, deleted
    folders: set[str] = field(default_factory=set)  # appeared or vanished: scan or forget them

    def __bool__(self) -> bool:
        return bool(self.files or self.folders)


def filesystem_type(path: Path) -> str | None:
    """The type of the filesystem holding ``path`` (from /proc/self/mountinfo), or None."""
    try:
        target = os.path.realpath(path)
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    best, kind = "", None
    for line in lines:
        left, _, right = line.partition(" - ")
        fields = left.split()
        if len(fields) < 5 or not right:
            continue
        mount = fields[4].replace("\\040", " ")
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best):
            best, kind = mount, right.split()[0]
    return kind


def _unwatchable(kind: str | None) -> bool:
    return kind is not None and (kind in NETWORK_FILESYSTEMS or kind.startswith("fuse."))


class SeedWatcher:
    """inotify watches on a seeds folder and every folder under it."""

    def __init__(self, root: Path) -> None:
        import inotify_simple

        self.root = root
        self._flags = inotify_simple.flags
        f = self._flags
        self._mask = (
            f.CREATE
            | f.DELETE
            | f.MODIFY
            | f.ATTRIB
            | f.CLOSE_WRITE
            | f.MOVED_FROM
            | f.MOVED_TO
            | f.DELETE_SELF
            | f.MOVE_SELF
            | f.ONLYDIR
            | f.DONT_FOLLOW
        )
        self._inotify: Any = inotify_simple.INotify(nonblocking=True)
        self._folders: dict[int, str] = {}  # watch descriptor -> folder ("" is the root)
        self._by_folder: dict[str, int] = {}
        self._lost = False  # a watch could not be added: the next poll says "scan"
        try:
            self._watch_tree("")
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._inotify.close()

    def _watch_tree(self, folder: str) -> None:
        """Watch ``folder`` and every (non-hidden, non-symlinked) folder under it; raises
        OSError (ENOSPC: the watch limit) for the first one that cannot be watched."""
        pending = [folder]
        while pending:
            rel = pending.pop()
            path = self.root / rel if rel else self.root
            try:
                wd = self._inotify.add_watch(path, self._mask)
            except FileNotFoundError:
                continue  # gone again already: its parent's event says so
            except NotADirectoryError:
                continue
            self._folders[wd] = rel
            self._by_folder[rel] = wd
            try:
                with os.scandir(path) as it:
                    for entry in it:
                        if entry.name[0] != "." and entry.is_dir(follow_symlinks=False):
                            pending.append(f"{rel}/{entry.name}" if rel else entry.name)
            except (FileNotFoundError, NotADirectoryError):
                continue

    def _forget_tree(self, folder: str) -> None:
        """Drop the watches of a folder that moved away or vanished, and of its subfolders."""
        prefix = folder + "/"
        for rel in [r for r in self._by_folder if r == folder or r.startswith(prefix)]:
            wd = self._by_folder.pop(rel)
            self._folders.pop(wd, None)
            with contextlib.suppress(OSError):
                self._inotify.rm_watch(wd)

    def poll(self) -> Changes | None:
        """What changed since the last poll (nothing blocks); None: scan everything, the
        events may be incomplete (queue overflow, the root moved, a watch could not be
        added)."""
        f = self._flags
        changes = Changes()
        if self._lost:
            return None
        while True:
            try:
                events = self._inotify.read(timeout=0)
            except BlockingIOError:
                events = []
            if not events:
                break
            for event in events:
                mask = event.mask
                if mask & f.Q_OVERFLOW:
                    return None
                folder = self._folders.get(event.wd)
                if folder is None:
                    continue  # a watch already dropped (IGNORED, or a folder moved away)
                if mask & (f.DELETE_SELF | f.MOVE_SELF):
                    if folder == "":
                        return None  # the seeds folder itself moved or vanished
                    continue  # its parent's event (DELETE, MOVED_FROM) covers it
                if mask & f.IGNORED:
                    self._folders.pop(event.wd, None)
                    if self._by_folder.get(folder) == event.wd:
                        del self._by_folder[folder]
                    if folder == "":
                        return None
                    continue
                name = event.name
                if not name or name[0] == ".":
                    continue  # hidden: never a seed, never a seeds folder
                rel = f"{folder}/{name}" if folder else name
                if mask & f.ISDIR:
                    changes.folders.add(rel)
                    if mask & (f.MOVED_FROM | f.DELETE):
                        self._forget_tree(rel)
                    if mask & (f.CREATE | f.MOVED_TO):
                        try:
                            self._watch_tree(rel)
                        except OSError as exc:
                            self._lost = True
                            log.warning(
                                "cannot watch %s (%s); scanning the seeds folder instead",
                                self.root / rel,
                                exc.strerror or exc,
                            )
                            return None
                else:
                    changes.files.add(rel)
        return changes


def open_watcher(root: Path) -> SeedWatcher | None:
    """A watcher on ``root``, or None (with a logged reason) where inotify cannot be trusted
    to see every change there; the caller then scans the folder on every tick."""
    try:
        import inotify_simple  # noqa: F401
    except ImportError:
        log.info("change notification unavailable (inotify_simple is not installed): scanning")
        return None
    kind = filesystem_type(root)
    if _unwatchable(kind):
        log.info(
            "seeds folder %s is on %s: changes made elsewhere raise no event; scanning", root, kind
        )
        return None
    try:
        watcher = SeedWatcher(root)
    except OSError as exc:
        why = "the inotify watch limit is reached" if exc.errno == errno.ENOSPC else exc.strerror
        log.warning(
            "cannot watch %s (%s); scanning the seeds folder on every tick", root, why or exc
        )
        return None
    return watcher


def is_real_dir(path: Path) -> bool:
    """A folder that is not a symlink (discover() does not follow symlinked folders)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False
