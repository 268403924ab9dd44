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
from feeds.pipeline import Pipeline, Report, writer_lock

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
    """Scheduling, signals, config reloads and the writer's lock around one :class:`Pipeline`.

    Everything that writes, and every change of lock, happens in the tick (the scheduler's
    one worker thread): a reload only reads and checks the new config, and the next tick
    takes it up, moving the lock first if the destination changed.
    """

    def __init__(self, config_path: Path, config: Config) -> None:
        self.config_path = config_path
        self.stop_requested = threading.Event()
        self.reload_requested = threading.Event()
        self._cancel = threading.Event()  # makes a running tick stop between two files
        self.pipeline = self._pipeline(config)
        self._pending: Config | None = None
        self.lock: WriterLock | None = None  # held while run() runs
        self.serving: Path | None = None  # the folder --serve serves
        self._notices: set[str] = set()  # the last build's, so a tick logs only new ones
        self._frozen = False

    def _pipeline(self, config: Config, old: Pipeline | None = None) -> Pipeline:
        same_place = old is not None and _place(old.config) == _place(config)
        return Pipeline(
            config,
            save_cache_every=CACHE_SAVE_EVERY,
            stop=self._cancel,
            background_pings=True,
            store=old.store if same_place and old is not None else None,
            # Pings still owed to the same hubs carry over, with their background sender.
            pinger=old.pinger if old is not None and old.config.hubs == config.hubs else None,
            reuse_last_run=False,
            watch=True,
            incremental=True,
        )

    @property
    def config(self) -> Config:
        return self.pipeline.config

    def _take_up(self, config: Config) -> None:
        """Use a reloaded config from this tick on, moving the lock if it names another
        destination or state folder; if the new one cannot be locked, keep the old."""
        old = self.pipeline
        pipeline = self._pipeline(config, old)
        if self.lock is not None and _place(config) != _place(old.config):
            self.lock.release()
            try:
                lock = writer_lock(config, pipeline.store).acquire()
            except FeedsError as exc:
                log.error("config reload refused, keeping the running config: %s", exc)
                self.lock.acquire()
                pipeline.close()
                return
            self.lock = lock
        old.save_cache()
        old.close()
        self.pipeline = pipeline
        self._notices = set()  # a new config: its notices are news

    def tick(self, now: dt.datetime | None = None) -> Report:
        """One run of the pipeline (a staged config first takes effect); raises on faults,
        and the old files stay."""
        if self._pending is not None:
            config, self._pending = self._pending, None
            self._take_up(config)
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
        if not self._frozen:
            # The index is long-lived and acyclic: keep the cyclic GC from rescanning it.
            gc.freeze()
            self._frozen = True
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

    def _reload(self, scheduler: BackgroundScheduler) -> None:
        """Read and check the config again; the next tick takes it up."""
        try:
            new = load_config(self.config_path)
        except ConfigError as exc:
            log.error("config reload failed, keeping the running config: %s", exc)
            return
        old = self.config
        self._pending = new
        if self.serving is not None and new.output != self.serving:
            log.warning("the server keeps serving %s until the daemon restarts", self.serving)
        if (new.cron, new.interval_seconds) != (old.cron, old.interval_seconds):
            scheduler.reschedule_job("tick", trigger=trigger_for(new))
            scheduler.modify_job("tick", misfire_grace_time=_grace(new))
        log.info(
            "config reloaded from %s: %d feeds; applies at the next tick",
            self.config_path,
            len(new.feeds),
        )

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
        events = {
            signal.SIGTERM: self.stop_requested,
            signal.SIGINT: self.stop_requested,
            signal.SIGHUP: self.reload_requested,
        }
        with _signals(events):  # before anything else: an early SIGHUP must not kill us
            self.lock = writer_lock(self.config, self.pipeline.store).acquire()  # OutputBusy
            try:
                with self._server(serve):
                    self._loop()
            finally:
                pinger = self.pipeline.pinger
                if pinger is not None:
                    pinger.join(1.0)  # a hung hub never holds the exit up (its threads die)
                self.lock.release()
                self.lock = None
        log.info("stopped")
        return 0

    def _loop(self) -> None:
        config = self.config
        wake = threading.Event()
        scheduler = BackgroundScheduler(
            timezone=dt.UTC,
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": _grace(config),
            },
        )
        scheduler.add_job(
            self._safe_tick, trigger_for(config), id="tick", next_run_time=dt.datetime.now(dt.UTC)
        )
        scheduler.start()
        assert self.lock is not None
        log.info(
            "running: %s every %s, pid lock %s",
            self.config_path,
            config.cron or f"{config.interval_seconds}s",
            self.lock.path,
        )
        try:
            while not self.stop_requested.is_set():
                wake.wait(0.2)
                if self.reload_requested.is_set():
                    self.reload_requested.clear()
                    self._reload(scheduler)
        finally:
            self._cancel.set()
            scheduler.shutdown(wait=True)  # waits for a running tick to stop between files
            self.pipeline.save_cache()
            self.pipeline.close()


def _place(config: Config) -> tuple[str, Path]:
    """Where a config writes: what a writer's lock covers."""
    return config.destination, config.state.resolve()


def _grace(config: Config) -> int:
    """How late a tick may still run (missed ones are coalesced into it)."""
    return max(1, config.interval_seconds or 60)


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
