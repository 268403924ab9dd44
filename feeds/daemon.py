"""``feeds run``: keep the output folder current, cheaply and safely.

An APScheduler job ("tick") runs a long-lived :class:`~feeds.pipeline.Pipeline`: it parses
only new or changed seed files, re-renders only feeds whose selected items changed, and writes
only files whose bytes changed, so a tick with nothing to do costs a directory scan and leaves
every file (and mtime) alone.
A failing tick is logged and the old feeds stay in place; the next good tick recovers fully.
SIGTERM/SIGINT stop between two files, never mid-write; SIGHUP reloads the config.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from feeds.config import Config, cron_trigger, load_config
from feeds.errors import ConfigError, FeedsError
from feeds.incremental import Cancelled
from feeds.lock import WriterLock
from feeds.messages import one_line
from feeds.pipeline import Pipeline, Report, open_store, writer_lock
from feeds.store import Store

log = logging.getLogger("feeds")
CACHE_SAVE_EVERY = 300.0  # seconds between parse-cache saves while seeds keep changing


def trigger_for(config: Config) -> BaseTrigger:
    """The schedule's trigger. A cron schedule is read by :func:`feeds.config.cron_trigger`,
    the function config validation checks it with, and intervals are capped there at what
    IntervalTrigger holds: a config that passes ``feeds check`` always gets its trigger."""
    if config.cron:
        return cron_trigger(config.cron)
    return IntervalTrigger(seconds=config.interval_seconds, timezone=dt.UTC)


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
    """Scheduling, signals, config reloads and the output lock around one :class:`Pipeline`."""

    def __init__(self, config_path: Path, config: Config) -> None:
        self.config_path = config_path
        self.stop_requested = threading.Event()
        self.reload_requested = threading.Event()
        self._cancel = threading.Event()  # makes a running tick stop between two files
        self.pipeline = self._pipeline(config)
        self._pending: Config | None = None
        self._pending_store: Store | None = None  # the store a staged config's lock holds
        self.serving: Path | None = None  # the folder --serve serves
        self._notices: set[str] = set()  # the last build's, so a tick logs only new ones

    def _pipeline(self, config: Config, store: Store | None = None) -> Pipeline:
        return Pipeline(
            config,
            save_cache_every=CACHE_SAVE_EVERY,
            stop=self._cancel,
            background_pings=True,
            store=store,
            reuse_last_run=False,
            watch=True,
            incremental=True,
        )

    @property
    def config(self) -> Config:
        return self.pipeline.config

    def tick(self, now: dt.datetime | None = None) -> Report:
        """One run of the pipeline (a staged config first takes effect); raises on faults,
        and the old files stay."""
        if self._pending is not None:
            config, self._pending = self._pending, None
            self.pipeline.save_cache()
            self.pipeline.close()
            self.pipeline = self._pipeline(config, self._pending_store or self.pipeline.store)
            self._pending_store = None
            self._notices = set()  # a new config: its notices are news
        report = self.pipeline.run(now)
        for problem in report.stats.problems:
            log.warning("%s", problem.line_text())
        for note in report.notes:
            log.warning("%s", note)
        if report.build is not None:  # each notice is logged once, when it first applies
            for notice in report.notices:
                if notice not in self._notices:
                    log.warning("warning: %s", notice)
            self._notices = set(report.notices)
        # The index is long-lived and acyclic: keep the cyclic GC from rescanning it every tick.
        gc.freeze()
        return report

    def _safe_tick(self) -> None:
        try:
            log.info("%s", self.tick().line())
        except Cancelled:
            log.info("tick cancelled: shutting down")
        except FeedsError as exc:  # the same line the CLI prints; the next tick retries
            log.error("tick failed, feeds left as they were: %s", exc)
        except Exception as exc:  # a failed tick must never stop the daemon
            log.error("tick failed, feeds left as they were: %s: %s", type(exc).__name__, exc)

    def _reload(self, scheduler: BackgroundScheduler, lock: WriterLock) -> WriterLock:
        try:
            new = load_config(self.config_path)
        except ConfigError as exc:
            log.error("config reload failed, keeping the running config: %s", exc)
            return lock
        old = self.config
        if (new.destination, new.state.resolve()) != (old.destination, old.state.resolve()):
            try:
                lock.release()  # the new lock may share a folder with the old one
                store = open_store(new)
                new_lock = writer_lock(new, store).acquire()
            except (FeedsError, OSError) as exc:
                log.error("config reload refused, keeping the running config: %s", exc)
                return lock.acquire()
            lock, self._pending_store = new_lock, store
        self._pending = new
        if self.serving is not None and new.output != self.serving:
            log.warning("the server keeps serving %s until the daemon restarts", self.serving)
        if (new.cron, new.interval_seconds) != (old.cron, old.interval_seconds):
            scheduler.reschedule_job("tick", trigger=trigger_for(new))
        log.info(
            "config reloaded from %s: %d feeds; applies at the next tick",
            self.config_path,
            len(new.feeds),
        )
        return lock

    def _server(self, address: tuple[str, int] | None) -> Any:
        """The output folder's web server in a thread (ServeError if it cannot listen)."""
        if address is None:
            return contextlib.nullcontext()
        from feeds.serve import ServerThread, app_for

        config = self.config
        app, extra = app_for(config)
        server = ServerThread(app, *address, options=("--serve", "--serve"))
        log.info("serving %s at %s%s", config.output, server.url, extra)
        self.serving = config.output
        return server

    def run(self, serve: tuple[str, int] | None = None) -> int:
        """Run until SIGTERM/SIGINT; with ``serve`` (host, port), also serve the output."""
        config = self.config
        lock = writer_lock(config, self.pipeline.store).acquire()  # OutputBusy: to the CLI
        try:
            server = self._server(serve)
        except BaseException:
            lock.release()
            raise
        with server:
            return self._loop(lock)

    def _loop(self, lock: WriterLock) -> int:
        config = self.config
        wake = threading.Event()
        events = {
            signal.SIGTERM: self.stop_requested,
            signal.SIGINT: self.stop_requested,
            signal.SIGHUP: self.reload_requested,
        }
        scheduler = BackgroundScheduler(
            timezone=dt.UTC,
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": max(1, config.interval_seconds or 60),
            },
        )
        with _signals(events):
            scheduler.add_job(
                self._safe_tick,
                trigger_for(config),
                id="tick",
                next_run_time=dt.datetime.now(dt.UTC),
            )
            scheduler.start()
            log.info(
                "running: %s every %s, pid lock %s",
                self.config_path,
                config.cron or f"{config.interval_seconds}s",
                lock.path,
            )
            try:
                while not self.stop_requested.is_set():
                    wake.wait(0.2)
                    if self.reload_requested.is_set():
                        self.reload_requested.clear()
                        lock = self._reload(scheduler, lock)
            finally:
                self._cancel.set()
                scheduler.shutdown(wait=True)  # waits for a running tick to stop between files
                self.pipeline.save_cache()
                self.pipeline.close()
                lock.release()
        log.info("stopped")
        return 0


class OneLineFormatter(logging.Formatter):
    """Log lines whose message cannot become two: a file name or an exception's text with
    a newline or a bidi override is escaped (a traceback, when logged, still follows)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = one_line(record.message)
        return super().formatMessage(record)


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        OneLineFormatter("%(asctime)s %(levelname)s %(message)s", datefmt="%Y-%m-%dT%H:%M:%S%z")
    )
    logging.basicConfig(level=level, handlers=[handler])
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
