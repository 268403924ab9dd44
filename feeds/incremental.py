"""An index of parsed seeds that re-reads only what changed on disk.

Parsing YAML is nearly the whole cost of a run, and a crawler touches a few files between
runs, so the index keeps each seed's item keyed by its relative path and (mtime_ns, size):
a refresh stats every file, parses new or changed ones and forgets deleted ones. A file counts
as changed when its (mtime_ns, ctime_ns, size) differs from the indexed version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from feeds.config import TextLimits
from feeds.items import DEFAULT_LIMITS, Item
from feeds.problems import Problem
from feeds.seeds import SeedFile, discover


class Cancelled(Exception):
    """A refresh stopped early because the process is shutting down."""


@dataclass(frozen=True, slots=True)
class Entry:
    """What one version of one seed file produced."""

    version: tuple[int, int, int] | None
    item: Item | None
    problems: tuple[Problem, ...]


@dataclass(slots=True)
class RefreshStats:
    seen: int = 0
    changed: int = 0  # new or modified files
    removed: int = 0
    parsed: int = 0
    skipped: int = 0  # of the parsed ones, how many could not become an item
    problems: list[Problem] = field(default_factory=list)  # of the parsed ones

    @property
    def any_change(self) -> bool:
        return bool(self.changed or self.removed)


Loader = Callable[[SeedFile, str, TextLimits], tuple[Item | None, list[Problem]]]


@dataclass(slots=True)
class SeedIndex:
    """Parsed seeds of one folder, kept between refreshes."""

    authority: str = "feeds.invalid"
    limits: TextLimits = DEFAULT_LIMITS
    entries: dict[str, Entry] = field(default_factory=dict)

    def refresh(self, root: Path, load: Loader,
                should_stop: Callable[[], bool] = lambda: False) -> RefreshStats:
        """Bring the index in line with ``root``; raises SeedsUnavailable, Cancelled."""
        files = discover(root)
        stats = RefreshStats(seen=len(files))
        fresh: dict[str, Entry] = {}
        for n, seed in enumerate(files):
            old = self.entries.get(seed.name)
            if old is not None and seed.version is not None and old.version == seed.version:
                fresh[seed.name] = old
                continue
            if n % 64 == 0 and should_stop():
                raise Cancelled
            item, problems = load(seed, self.authority, self.limits)
            stats.changed += 1
            stats.parsed += 1
            stats.skipped += item is None
            stats.problems.extend(problems)
            fresh[seed.name] = Entry(seed.version, item, tuple(problems))
        stats.removed = len(self.entries.keys() - fresh.keys())
        self.entries = fresh
        return stats

    def items(self) -> list[Item]:
        """Items in seed-path order."""
        return [e.item for e in self.entries.values() if e.item is not None]

    def problems(self) -> list[Problem]:
        return [p for e in self.entries.values() for p in e.problems]
