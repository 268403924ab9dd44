"""``feeds run``: keep the output folder current, cheaply and safely.

An APScheduler job ("tick") refreshes the seed index (parsing only new or changed files),
re-renders only feeds whose selected items changed, and writes only files whose bytes changed,
so a tick with nothing to do costs a directory scan and leaves every file (and mtime) alone.
A failing tick is logged and the old feeds stay in place; the next good tick recovers fully.
SIGTERM/SIGINT stop between two files, never mid-write; SIGHUP reloads the config.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from feeds.cache import ParseCache
from feeds.config import Config, ConfigError, FeedConfig, load_config
from feeds.incremental import Cancelled, Entry, SeedIndex
from feeds.items import Item
from feeds.lock import OutputBusy, OutputLock
from feeds.pipeline import current_digests, id_authority, load_seed, publish_all
from feeds.render import Rendered, file_names, render
from feeds.seeds import SeedsUnavailable
from feeds.select import FUTURE_GRACE, feeds_for, index_topics, select

log = logging.getLogger("feeds")
CACHE_SAVE_EVERY = 300.0  # seconds between parse-cache saves while seeds keep changing


@dataclass(frozen=True, slots=True)
class _Cached:
    """A feed as last rendered: re-rendered only when its settings or items change."""

    feed: FeedConfig
    items: tuple[Item, ...]
    rendered: Rendered


@dataclass(slots=True)
class TickReport:
    seen: int = 0
    changed: int = 0
    parsed: int = 0
    skipped: int = 0
    removed: int = 0
    rerendered: int = 0
    written: int = 0
    deleted: int = 0
    ms: float = 0.0

    def line(self) -> str:
        return (f"tick: {self.seen} seen, {self.changed} changed, {self.parsed} parsed, "
                f"{self.skipped} skipped, {self.removed} removed; {self.rerendered} feeds "
                f"re-rendered, {self.written} files written, {self.deleted} deleted; "
                f"{self.ms:.0f} ms")


class Publisher:
    """The state a daemon keeps between ticks, and one tick."""

    def __init__(self, config: Config) -> None:
        self.stop = threading.Event()
        self._pending: Config | None = None
        self._apply(config)

    def _apply(self, config: Config) -> None:
        self.config = config
        self.index = SeedIndex(id_authority(config), config.text)
        self.parse_cache = None
        self.cache_dirty = False
        self.cache_saved_at = -CACHE_SAVE_EVERY  # the first tick that parses saves
        if config.cache is not None:
            self.parse_cache = ParseCache.of(config.cache, config.seeds, self.index)
            if self.parse_cache.load(self.index):
                self.cache_saved_at = time.monotonic()  # fresh: no need to save soon
        self.feeds: dict[str, _Cached] = {}  # slug -> as last rendered
        self.published: set[str] | None = None  # files of the last successful publish
        self.next_release: dt.datetime | None = None

    def stage(self, config: Config) -> None:
        """Use ``config`` from the next tick on."""
        self._pending = config

    def tick(self, now: dt.datetime | None = None) -> TickReport:
        """Refresh, re-render what changed, publish; raises on faults (old files stay)."""
        started = time.perf_counter()
        if self._pending is not None:
            config, self._pending = self._pending, None
            self.save_cache()
            self._apply(config)
        config = self.config
        if not config.seeds.is_dir():
            raise SeedsUnavailable(f"seeds folder {config.seeds} is missing")
        before = self.index.entries
        stats = self.index.refresh(config.seeds, load_seed, self.stop.is_set)
        touched = _touched_topics(before, self.index.entries)
        report = TickReport(seen=stats.seen, changed=stats.changed, parsed=stats.parsed,
                            skipped=stats.skipped, removed=stats.removed)
        now = now or dt.datetime.now(dt.UTC)
        for problem in stats.problems:
            log.warning("%s: %s", "skipped" if problem.severity == "error" else "repaired",
                        problem)
        if self._needs_build(stats.any_change, now):
            self._build_and_publish(now, report, touched)
        self.cache_dirty |= stats.any_change
        if self.cache_dirty and time.monotonic() - self.cache_saved_at > CACHE_SAVE_EVERY:
            self.save_cache()  # not on every change: at 100k seeds a save costs a second
        # The index is long-lived and acyclic: keep the cyclic GC from rescanning it every tick.
        gc.freeze()
        report.ms = (time.perf_counter() - started) * 1000
        return report

    def save_cache(self) -> None:
        if self.cache_dirty and self.parse_cache is not None:
            self.parse_cache.save(self.index)
            self.cache_dirty = False
            self.cache_saved_at = time.monotonic()

    def _needs_build(self, changed: bool, now: dt.datetime) -> bool:
        if changed or self.published is None:
            return True
        if self.next_release is not None and now >= self.next_release:
            return True  # a future-dated item's time has come
        # Someone deleted a published file: put it back.
        return not all((self.config.output / name).exists() for name in self.published)

    def _build_and_publish(self, now: dt.datetime, report: TickReport,
                           touched: set[str]) -> None:
        config = self.config
        items = self.index.items()
        kept: dict[str, _Cached] = {}
        topics = index_topics(items)
        # After a restart, feeds whose files on disk came from the same inputs are reused.
        previous = current_digests(config.output) if self.published is None and \
            config.cache is not None else {}
        released = self.next_release is not None and now >= self.next_release
        for feed in feeds_for(config, items):
            if self.stop.is_set():
                raise Cancelled
            old = self.feeds.get(feed.slug)
            if (old is not None and old.feed == feed and feed.topics is not None
                    and not released and self.published is not None
                    and touched.isdisjoint(t.casefold() for t in feed.topics)):
                kept[feed.slug] = old  # no changed item has this feed's topics
                continue
            selection = select(items, feed, now, topics)
            if old is not None and old.feed == feed and old.items == selection.items:
                kept[feed.slug] = old
            else:
                rendered = render(config.site, feed, selection.items, previous.get(feed.slug))
                kept[feed.slug] = _Cached(feed, selection.items, rendered)
                report.rerendered += not rendered.reused
        horizon = now + FUTURE_GRACE
        future = [i.published for i in items if i.published > horizon]
        rendered_now = [c.rendered for c in kept.values()]
        # Files of feeds kept from the last successful publish are known to be on disk.
        on_disk = {slug for slug, c in kept.items()
                   if self.published is not None and self.feeds.get(slug) is c}
        self.published = None  # until publish succeeds: a failed tick is retried in full
        result = publish_all(config.output, rendered_now, on_disk)
        report.written, report.deleted = len(result.written), len(result.removed)
        self.feeds = kept
        self.published = {n for r in rendered_now for n in file_names(r.slug)}
        self.next_release = min(future) - FUTURE_GRACE if future else None


def _touched_topics(before: dict[str, Entry], after: dict[str, Entry]) -> set[str]:
    """Casefolded topics of every item added, changed or removed between two index states."""
    if before is after:
        return set()
    touched: set[str] = set()
    for name, entry in after.items():
        old = before.get(name)
        if old is not entry:
            for e in (old, entry):
                if e is not None and e.item is not None:
                    touched.update(e.item.topic_keys or ())
    for name in before.keys() - after.keys():
        item = before[name].item
        if item is not None:
            touched.update(item.topic_keys or ())
    return touched


def trigger_for(config: Config) -> BaseTrigger:
    if config.cron:
        return CronTrigger.from_crontab(config.cron, timezone=dt.UTC)
    return IntervalTrigger(seconds=config.interval_seconds or 900, timezone=dt.UTC)


@contextmanager
def _signals(handler_map: dict[int, threading.Event]) -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        handler_map[signum].set()

    previous = {sig: signal.signal(sig, handler) for sig in handler_map}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class Daemon:
    """Scheduling, signals and the output lock around a :class:`Publisher`."""

    def __init__(self, config_path: Path, config: Config) -> None:
        self.config_path = config_path
        self.publisher = Publisher(config)
        self.stop_requested = threading.Event()
        self.reload_requested = threading.Event()

    def _safe_tick(self) -> None:
        try:
            log.info("%s", self.publisher.tick().line())
        except Cancelled:
            log.info("tick cancelled: shutting down")
        except Exception as exc:  # a failed tick must never stop the daemon
            log.error("tick failed, feeds left as they were: %s: %s",
                      type(exc).__name__, exc)

    def _reload(self, scheduler: BackgroundScheduler, lock: OutputLock) -> OutputLock:
        try:
            new = load_config(self.config_path)
        except ConfigError as exc:
            log.error("config reload failed, keeping the running config: %s", exc)
            return lock
        old = self.publisher.config
        if new.output.resolve() != old.output.resolve():
            try:
                new_lock = OutputLock(new.output).acquire()
            except (OutputBusy, OSError) as exc:
                log.error("config reload refused, keeping the running config: %s", exc)
                return lock
            lock.release()
            lock = new_lock
        self.publisher.stage(new)
        if (new.cron, new.interval_seconds) != (old.cron, old.interval_seconds):
            scheduler.reschedule_job("tick", trigger=trigger_for(new))
        log.info("config reloaded from %s: %d feeds; applies at the next tick",
                 self.config_path, len(new.feeds))
        return lock

    def run(self) -> int:
        config = self.publisher.config
        lock = OutputLock(config.output).acquire()  # OutputBusy propagates to the CLI
        wake = threading.Event()
        events = {signal.SIGTERM: self.stop_requested, signal.SIGINT: self.stop_requested,
                  signal.SIGHUP: self.reload_requested}
        scheduler = BackgroundScheduler(
            timezone=dt.UTC, executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": max(1, config.interval_seconds or 60)})
        with _signals(events):
            scheduler.add_job(self._safe_tick, trigger_for(config), id="tick",
                              next_run_time=dt.datetime.now(dt.UTC))
            scheduler.start()
            log.info("running: %s every %s, pid lock %s", self.config_path,
                     config.cron or f"{config.interval_seconds}s", lock.path)
            try:
                while not self.stop_requested.is_set():
                    wake.wait(0.2)
                    if self.reload_requested.is_set():
                        self.reload_requested.clear()
                        lock = self._reload(scheduler, lock)
            finally:
                self.publisher.stop.set()
                scheduler.shutdown(wait=True)  # waits for a running tick to stop between files
                self.publisher.save_cache()
                lock.release()
        log.info("stopped")
        return 0


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(message)s",
                        datefmt="%Y-%m-%dT%H:%M:%S%z")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
