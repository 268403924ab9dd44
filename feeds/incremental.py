"""An index of parsed seeds that re-reads only what changed on disk.

Parsing YAML is nearly the whole cost of a run, and a crawler touches a few files between
runs, so the index keeps each seed's item keyed by its relative path and (mtime_ns, size):
a refresh stats every file, parses new or changed ones and forgets deleted ones. A file counts
as changed when its (mtime_ns, ctime_ns, size) differs from the indexed version.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec.structs import astuple, force_setattr

from feeds.errors import SeedsUnavailable
from feeds.extras import Extras, split_all
from feeds.items import DEFAULT_LIMITS, Item, Record, TextLimits, normalize
from feeds.problems import Problem, SeedError, Severity
from feeds.seeds import (
    SEED_SUFFIXES,
    SeedFile,
    discover,
    file_version,
    read_seed,
    version_mtime,
)
from feeds.watch import Changes, is_real_dir

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext


class Cancelled(Exception):
    """A refresh stopped early because the process is shutting down."""


@dataclass(frozen=True, slots=True)
class Entry:
    """What one version of one seed file produced."""

    version: int | None  # feeds.seeds.file_version
    item: Record | None  # what selection reads; the whole item is SeedIndex.item(record)
    problems: tuple[Problem, ...]


@dataclass(slots=True)
class RefreshStats:
    seen: int = 0
    changed: int = 0  # new or modified files
    removed: int = 0
    parsed: int = 0
    skipped: int = 0  # of the parsed ones, how many could not become an item
    problems: list[Problem] = field(default_factory=list)  # of the parsed ones
    # Every entry this refresh added, replaced or dropped: name -> (before, after), None for
    # absent. What an incremental build works from, instead of comparing whole indexes.
    delta: dict[str, tuple[Entry | None, Entry | None]] = field(default_factory=dict)

    @property
    def any_change(self) -> bool:
        return bool(self.changed or self.removed)


Progress = Callable[[int, int], None]
Row = tuple[Record | None, list[Problem]]
Split = tuple[list[Row], list[bytes]]
ItemLoader = Callable[[], "tuple[dict[str, Record], Extras] | None"]
Parsed = tuple[Item | None, list[Problem]]
# Below this many files to parse, one process is faster than starting a pool.
PARALLEL_MIN = 400
# Above this resident size, parser processes do not start as forks of this one.
FORK_MAX_RSS = 256 * 2**20
# A file modified less than this before a scan began is "racily clean" (as git calls it): on a
# filesystem with 1-second timestamps (ext3, 128-byte ext4 inodes, FAT: 2 s, some network
# filesystems), a same-size edit within the same tick would keep its (mtime, ctime, size).
RACY_WINDOW_NS = 3_000_000_000


def load_seed(
    seed: SeedFile,
    authority: str = "feeds.invalid",
    limits: TextLimits = DEFAULT_LIMITS,
    fast: bool = False,
) -> Parsed:
    """One seed file as an item (or None) plus its located problems; never raises.

    The item's related coverage is usually pending (for :func:`~feeds.items.split` to
    store). ``fast`` tries the rapidyaml parser first (see :func:`feeds.seeds.parse_record`).
    """
    display = str(seed.path)
    try:
        raw = read_seed(seed, fast)
        result = normalize(raw.record, seed.name, authority, limits, lazy_related=True)
    except SeedError as exc:
        return None, [Problem(display, exc.reason, exc.line)]
    notes = raw.notes + result.notes
    return result.item, [Problem(display, note, severity=Severity.REPAIRED) for note in notes]


def _parse_chunk(
    seeds: Sequence[SeedFile], authority: str, limits: TextLimits, fast: bool = False
) -> list[Parsed]:
    return [load_seed(seed, authority, limits, fast) for seed in seeds]


def _parse_split(
    seeds: Sequence[SeedFile], authority: str, limits: TextLimits, fast: bool = False
) -> Split:
    """Seeds parsed into records (placed in the batch's chunks) and compressed extras."""
    parsed = _parse_chunk(seeds, authority, limits, fast)
    records, chunks = split_all(item for item, _ in parsed)
    return [(r, p) for r, (_, p) in zip(records, parsed, strict=True)], chunks


def _parse_chunk_packed(
    seeds: Sequence[SeedFile], authority: str, limits: TextLimits, fast: bool
) -> bytes:
    """A worker's results as msgpack: records and compressed chunks, which the main process
    decodes at ~2 us a seed (pickled objects cost ten times that)."""
    import msgspec

    return msgspec.msgpack.encode(_parse_split(seeds, authority, limits, fast))


def _resident_bytes() -> int:
    """This process's resident memory now (0 where /proc cannot tell)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _pool_context() -> BaseContext:
    """How parser processes start. fork is fastest, but is unsafe once other threads run (the
    daemon's scheduler), and a forked worker starts as a copy of this process, resident
    pages and all: past FORK_MAX_RSS (a million-seed scan is ~350 MB) each worker would hold
    that copy, so workers start from a small forkserver process instead."""
    import multiprocessing

    if threading.active_count() == 1 and _resident_bytes() < FORK_MAX_RSS:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    # Imported once by the server, not by each worker (a no-op once the server runs).
    context.set_forkserver_preload(["feeds.incremental"])
    return context


def _init_worker() -> None:
    """A parser process: quiet stderr (rapidyaml writes there on bad YAML; every problem
    still comes back as a message)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def workers() -> int:
    return (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )


@dataclass(slots=True)
class SeedIndex:
    """Parsed seeds of one folder, kept between refreshes."""

    authority: str = "feeds.invalid"
    limits: TextLimits = DEFAULT_LIMITS
    # Pool workers parse with rapidyaml first (identical results, several times faster); the
    # main process never does, since ryml writes to its stderr on invalid YAML.
    fast_yaml: bool = True
    entries: dict[str, Entry] = field(default_factory=dict)
    extras: Extras = field(default_factory=Extras)
    # Items not decoded yet (see feeds.cache): the parse cache's file-version table is read
    # at once, its items only when a build needs them. Entries loaded so hold item=None
    # until load_items() runs; a refresh that replaces an entry makes its pending item moot.
    pending: ItemLoader | None = None
    # The checksum of the parse cache's version table while the entries are exactly what it
    # holds (loaded or just saved); None once a refresh changed anything.
    cache_digest: str | None = None
    # Entries kept without a version (racily clean, or not stat'able): read again on every
    # refresh until they have one. Kept as a set so a watched refresh need not look at all.
    unversioned: set[str] = field(default_factory=set)
    _unloaded: dict[str, Entry] = field(default_factory=dict)

    def defer_items(self, entries: dict[str, Entry], loader: ItemLoader) -> None:
        """Take ``entries`` (versions and problems, items not decoded) and how to get their
        items: a run that finds every seed unchanged then decodes no item at all."""
        self.entries = dict(entries)
        self._unloaded = entries
        self.pending = loader

    def load_items(self) -> bool:
        """Decode the deferred items (once) into every entry a refresh has not replaced.

        False if they could not be had (a damaged or missing items file): the index is then
        emptied, and the next refresh parses every seed."""
        if self.pending is None:
            return True
        loader, self.pending = self.pending, None
        loaded = loader()
        entries, unloaded = self.entries, self._unloaded
        self._unloaded = {}
        if loaded is None:
            self.entries = {}
            self.unversioned = set()
            self.cache_digest = None
            self.extras = Extras()
            return False
        records, extras = loaded
        # The cached chunks come first; what this process parsed since is renumbered after.
        extras.adopt(self.extras, (e.item for e in entries.values() if e.item is not None))
        self.extras = extras
        for name, record in records.items():
            old = unloaded.get(name)
            if old is not None and entries.get(name) is old:
                force_setattr(record, "source", name)  # one string for the key and the record
                entries[name] = Entry(old.version, record, old.problems)
                extras.count(record)
        extras.prune()
        return True

    def refresh(
        self,
        root: Path,
        should_stop: Callable[[], bool] = lambda: False,
        progress: Progress | None = None,
        jobs: int | None = None,
    ) -> RefreshStats:
        """Bring the index in line with ``root``; raises SeedsUnavailable, Cancelled.

        Many changed files are parsed in a pool of ``jobs`` worker processes (default: one per
        core); results do not depend on how many.
        """
        # Files changed this close to the scan may change again within the same timestamp
        # tick, unseen: they are kept without a version, so the next refresh reads them again.
        racy_after = time.time_ns() - RACY_WINDOW_NS
        files = discover(root)
        stats = RefreshStats(seen=len(files))
        entries = self.entries
        todo = [
            seed
            for seed in files
            if seed.version is None
            or (old := entries.get(seed.name)) is None
            or old.version != seed.version
        ]
        if not todo and len(files) == len(entries):
            return stats  # every file known and unchanged, none gone: the common idle tick
        self.cache_digest = None
        results = self._parse(todo, should_stop, progress, jobs)
        parsed = {}
        for seed, (item, problems) in zip(todo, results, strict=True):
            racy = seed.version is not None and version_mtime(seed.version) >= racy_after
            item = self._settle(entries.get(seed.name), item, seed.name)
            parsed[seed.name] = Entry(None if racy else seed.version, item, tuple(problems))
            stats.skipped += item is None
            stats.problems.extend(problems)
        stats.changed = stats.parsed = len(todo)
        fresh = {seed.name: parsed.get(seed.name) or entries[seed.name] for seed in files}
        gone = entries.keys() - fresh.keys()
        stats.removed = len(gone)
        stats.delta = {
            name: (old, entry)
            for name, entry in parsed.items()
            if (old := entries.get(name)) is None or old.item is not entry.item
        }
        stats.delta.update((name, (entries[name], None)) for name in gone)
        for old, _ in stats.delta.values():
            if old is not None and old.item is not None:
                self.extras.forget(old.item)
        self.entries = fresh
        self.unversioned = {name for name, e in fresh.items() if e.version is None}
        return stats

    def refresh_changed(
        self,
        root: Path,
        changes: Changes,
        should_stop: Callable[[], bool] = lambda: False,
        jobs: int | None = None,
    ) -> RefreshStats:
        """:meth:`refresh` for the files and folders a watcher reported (and the entries
        kept without a version, read again until they are no longer racily clean): the
        same entries as a full scan, at a cost that depends on the change, not on the
        folder. A file with an event is always read again, even if its version looks the
        same. Raises SeedsUnavailable when the seeds folder is gone."""
        racy_after = time.time_ns() - RACY_WINDOW_NS
        entries = self.entries
        suffixes = tuple(SEED_SUFFIXES)
        found: dict[str, SeedFile] = {}  # seeds to read
        gone: set[str] = set()
        for folder in sorted(changes.folders):
            prefix = folder + "/"
            gone.update(n for n in entries if n.startswith(prefix))
            if is_real_dir(root / folder):
                for seed in discover(root / folder):
                    name = prefix + seed.name
                    found[name] = SeedFile(seed.path, name, seed.version)
        names = changes.files | self.unversioned
        for name in sorted(names - found.keys()):
            if any(part[0] == "." for part in name.split("/")) or not name.lower().endswith(
                suffixes
            ):
                continue
            path = root / name
            try:
                info = os.lstat(path)
            except (FileNotFoundError, NotADirectoryError):
                gone.add(name)
                continue
            except OSError:
                info = None
            if info is not None and stat.S_ISDIR(info.st_mode):
                continue  # a folder named like a seed: its own events say what is in it
            try:
                version: int | None = file_version(os.stat(path))
            except OSError:
                version = None
            found[name] = SeedFile(str(path), name, version)
        if not found and not (gone & entries.keys()):
            return RefreshStats(seen=len(entries))
        if not root.is_dir():
            raise SeedsUnavailable(f"seeds folder {root} is missing")
        self.cache_digest = None
        todo = [found[name] for name in sorted(found)]
        results = self._parse(todo, should_stop, None, jobs)
        stats = RefreshStats()
        delta = stats.delta
        for seed, (item, problems) in zip(todo, results, strict=True):
            racy = seed.version is not None and version_mtime(seed.version) >= racy_after
            before = entries.get(seed.name)
            item = self._settle(before, item, seed.name)
            entry = Entry(None if racy else seed.version, item, tuple(problems))
            if before is None or before.item is not item:
                if before is not None and before.item is not None:
                    self.extras.forget(before.item)
                delta[seed.name] = (before, entry)
            entries[seed.name] = entry
            if entry.version is None:
                self.unversioned.add(seed.name)
            else:
                self.unversioned.discard(seed.name)
            stats.skipped += item is None
            stats.problems.extend(problems)
        for name in gone - found.keys():
            old = entries.pop(name, None)
            self.unversioned.discard(name)
            if old is not None and old.item is not None:
                self.extras.forget(old.item)
            if old is not None:
                delta[name] = (old, None)
                stats.removed += 1
        stats.changed = stats.parsed = len(todo)
        stats.seen = len(entries)
        return stats

    def _settle(self, old: Entry | None, record: Record | None, name: str) -> Record | None:
        """The record to keep for a seed just parsed: the one held already when the file
        was read again but says the same (a touch, a racily clean re-read), so nothing is
        rebuilt for it; else the new one, named by the seed's key."""
        if record is None:
            return None
        held = old.item if old is not None else None
        if (
            held is not None
            and held.extra_digest == record.extra_digest
            and astuple(held)[:-2] == astuple(record)[:-2]
        ):
            self.extras.forget(record)
            return held
        force_setattr(record, "source", name)  # one string for the key and the record
        return record

    def _take(self, split: Split, out: list[Row]) -> None:
        rows, chunks = split
        self.extras.add([r for r, _ in rows], chunks)
        out.extend(rows)

    def _parse(
        self,
        todo: list[SeedFile],
        should_stop: Callable[[], bool],
        progress: Progress | None,
        jobs: int | None,
    ) -> list[Row]:
        jobs = jobs or workers()
        size = 64 if len(todo) < PARALLEL_MIN else max(64, min(512, len(todo) // (jobs * 8)))
        chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
        out: list[Row] = []
        if len(todo) < PARALLEL_MIN:
            for chunk in chunks:
                if should_stop():
                    raise Cancelled
                self._take(_parse_split(chunk, self.authority, self.limits), out)
                if progress:
                    progress(len(out), len(todo))
            return out
        from concurrent.futures import ProcessPoolExecutor  # only big batches need it

        with ProcessPoolExecutor(
            jobs, mp_context=_pool_context(), initializer=_init_worker
        ) as pool:
            import msgspec

            decoder = msgspec.msgpack.Decoder(Split)
            futures = [
                pool.submit(_parse_chunk_packed, chunk, self.authority, self.limits, self.fast_yaml)
                for chunk in chunks
            ]
            try:
                for i, future in enumerate(futures):
                    if should_stop():
                        raise Cancelled
                    self._take(decoder.decode(future.result()), out)
                    futures[i] = None  # type: ignore[call-overload]  # its bytes can go now
                    if progress:
                        progress(len(out), len(todo))
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            del futures
        return out

    def items(self) -> list[Record]:
        """The records of every item (in no particular order)."""
        self.load_items()
        return [e.item for e in self.entries.values() if e.item is not None]

    def item(self, record: Record | Item) -> Item:
        """A record's whole item (what its entry shows, unpacked)."""
        return self.extras.item(record)

    def problems(self) -> list[Problem]:
        return [p for e in self.entries.values() for p in e.problems]
