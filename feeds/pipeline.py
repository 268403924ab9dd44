"""The library API: seeds -> items -> per-feed selection -> rendered feeds -> output.

Both drivers go through here: ``feeds generate`` runs a :class:`Pipeline` once, the daemon
keeps one alive and runs it on every tick. :func:`build` is the only select -> render step;
what a long-lived pipeline reuses between runs (unchanged feeds, files known to be on disk) is
passed to it, never decided elsewhere. Tests call these functions directly.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

from feeds.cache import ParseCache
from feeds.config import Config
from feeds.errors import NoSeedMatches, SeedsUnavailable, writing
from feeds.files import SYNDICATION, feed_files, slug_of
from feeds.incremental import Cancelled, Entry, Progress, RefreshStats, SeedIndex
from feeds.items import Item
from feeds.lock import WriterLock
from feeds.problems import Problem, Severity
from feeds.publish import Manifest, WriteResult, damaged, migrate_dotfiles, publish
from feeds.seeds import SEED_SUFFIXES
from feeds.select import FUTURE_GRACE, Selection, feeds_for, index_topics, plan_feeds, select
from feeds.site import RenderSettings, feed_updated
from feeds.store import LocalStore, Store, write_if_changed
from feeds.topics import topic_key

if TYPE_CHECKING:  # imported where used: a run with nothing to render loads no renderer
    from feeds.explain import Explained
    from feeds.pages import FeedSummary
    from feeds.ranking import Corpus
    from feeds.render import Rendered
    from feeds.watch import SeedWatcher
    from feeds.websub import Pinger

__all__ = ["Build", "Built", "Pipeline", "Report", "build", "explain", "generate"]


@dataclass(frozen=True, slots=True)
class Built:
    """One feed as selected and rendered."""

    selection: Selection
    rendered: Rendered


@dataclass(slots=True)
class Build:
    """Every feed of one run, in config order, the site's own files (index, OPML, 404), when
    a held-back item comes due, and the run's messages about automatic topic feeds."""

    feeds: list[Built]
    site_files: Mapping[str, bytes] = field(default_factory=dict)
    next_release: dt.datetime | None = None
    rerendered: int = 0  # feeds rendered anew (not kept from the last build or from disk)
    notices: list[str] = field(default_factory=list)  # "warning: …" lines, once per run

    @property
    def selections(self) -> list[Selection]:
        return [b.selection for b in self.feeds]

    @property
    def rendered(self) -> list[Rendered]:
        return [b.rendered for b in self.feeds]

    def files(self) -> dict[str, bytes]:
        """Every rendered file (reused feeds have none: theirs are on disk already)."""
        files = {name: data for b in self.feeds for name, data in b.rendered.files.items()}
        return {**files, **self.site_files}

    def names(self) -> set[str]:
        """Every file this build publishes, rendered now or kept."""
        feeds = {
            n
            for b in self.feeds
            for n in feed_files(b.selection.feed.slug, b.selection.feed.formats)
        }
        return feeds | set(self.site_files)


def build(
    config: Config,
    items: Sequence[Item],
    now: dt.datetime | None = None,
    *,
    settings: RenderSettings | None = None,
    on_disk: Mapping[str, str] | None = None,
    last: Mapping[str, Built] | None = None,
    touched: Collection[str] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    corpus: Corpus | None = None,
    site: SiteMemo | None = None,
    materialize: Callable[[Any], Item] | None = None,
) -> Build:
    """Select and render every feed (no I/O; ``now`` only holds back future-dated items).

    What a caller knows from earlier runs saves work, never changes bytes:
    ``on_disk`` maps slugs to the input digests of files already published (those feeds are
    not rendered again when their inputs are unchanged); ``last`` is the previous build of a
    long-lived pipeline, whose feeds are kept when their selection is unchanged; ``touched``
    names the topic keys of every item added, changed or removed since ``last`` (None:
    unknown), so a topic feed none of them belongs to is not even selected again.
    ``corpus`` (a long-lived pipeline's :class:`~feeds.ranking.Corpus`, holding ``items``)
    selects each feed from its maintained ranking instead of from every item, and ``site``
    keeps the site's pages of the last build for as long as what they show is unchanged.
    ``items`` may be records (:class:`~feeds.items.Record`): ``materialize`` then makes the
    whole item of each one a feed renders.
    """
    from feeds.pages import FeedSummary
    from feeds.render import render

    now = now or dt.datetime.now(dt.UTC)
    settings = settings or RenderSettings.of(config)
    on_disk = on_disk or {}
    last = last or {}
    if corpus is not None:
        plan = plan_feeds(config, corpus.topic_spellings(now))
        corpus.forget_except(plan.feeds)
    else:
        topics = index_topics(items)
        plan = feeds_for(config, items, now)
    feeds: list[Built] = []
    rerendered = 0
    for feed in plan.feeds:
        if should_stop():
            raise Cancelled
        old = last.get(feed.slug)
        same = old is not None and old.selection.feed == feed
        if corpus is not None:
            selection = corpus.select(feed, now)
        else:
            if (
                same
                and touched is not None
                and feed.topics is not None
                and touched.isdisjoint(topic_key(t) for t in feed.topics)
            ):
                feeds.append(old)  # type: ignore[arg-type]
                continue
            selection = select(items, feed, now, topics)
        if same and old.selection.items == selection.items:  # type: ignore[union-attr]
            feeds.append(Built(selection, old.rendered))  # type: ignore[union-attr]
        else:
            rendered = render(settings, feed, selection.items, on_disk.get(feed.slug), materialize)
            feeds.append(Built(selection, rendered))
            rerendered += not rendered.reused
    summaries = [  # the index and the OPML list are public: private feeds stay out
        FeedSummary(
            s.feed, settings.links(s.feed), len(s.items), feed_updated(s.items) if s.items else None
        )
        for s in (b.selection for b in feeds)
        if not s.feed.private
    ]
    if corpus is not None:
        release = corpus.next_release(now)
    else:
        horizon = now + FUTURE_GRACE
        future = [i.published for i in items if i.published > horizon]
        release = min(future) if future else None
    return Build(
        feeds,
        site_pages(settings, summaries, site),
        release - FUTURE_GRACE if release else None,
        rerendered,
        plan.notices,
    )


@dataclass(slots=True)
class SiteMemo:
    """The site's pages as last rendered, and what they were rendered from."""

    settings: RenderSettings | None = None
    summaries: list[FeedSummary] | None = None
    files: Mapping[str, bytes] = field(default_factory=dict)


def site_pages(
    settings: RenderSettings, summaries: list[FeedSummary], memo: SiteMemo | None
) -> Mapping[str, bytes]:
    """The index, OPML list and 404 page; the memo's when they would show the same."""
    from feeds.pages import render_site

    if memo is not None and memo.settings is settings and memo.summaries == summaries:
        return memo.files
    files = render_site(settings, summaries)
    if memo is not None:
        memo.settings, memo.summaries, memo.files = settings, summaries, files
    return files


@dataclass(slots=True)
class Report:
    """What one run did, for the CLI summary, the daemon's log line and tests."""

    stats: RefreshStats
    build: Build | None = None  # None: nothing changed, so nothing was built
    written: WriteResult | None = None
    public_changes: list[str] = field(default_factory=list)  # files written to the output
    ms: float = 0.0
    notes: list[str] = field(default_factory=list)  # run-level news (migration, pings)
    _index: SeedIndex | None = field(default=None, repr=False)
    # A run that found every seed and file as the last one left them builds nothing: its
    # summary is that run's, read back (see LastRun).
    kept: LastRun | None = None

    def rows(self) -> list[FeedRow]:
        """One row per feed for the summary: slug, items, drop counts, written?, reused?"""
        if self.kept is not None:
            return [
                FeedRow(slug, count, dropped, False, True)
                for slug, count, dropped in self.kept.feeds
            ]
        written = set(self.written.written) if self.written else set()
        selections = self.build.selections if self.build else []
        return [
            FeedRow(s.feed.slug, len(s.items), s.dropped, bool(written & set(r.files)), r.reused)
            for s, r in zip(selections, self.rendered, strict=True)
        ]

    @property
    def selections(self) -> list[Selection]:
        """Each feed's selection, with whole items (what the entries show)."""
        if not self.build:
            return []
        item = self._index.item if self._index is not None else (lambda r: r)
        return [
            Selection(s.feed, tuple(map(item, s.items)), s.dropped) for s in self.build.selections
        ]

    @property
    def rendered(self) -> list[Rendered]:
        return self.build.rendered if self.build else []

    @property
    def problems(self) -> list[Problem]:
        """Every problem of every seed in the folder (cached ones included)."""
        return self._index.problems() if self._index is not None else []

    @property
    def notices(self) -> list[str]:
        """Messages about the run as a whole (automatic topic feeds), not about one seed."""
        if self.kept is not None:
            return list(self.kept.notices)
        return self.build.notices if self.build else []

    @property
    def skipped(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.SKIPPED]

    # The counts of the daemon's log line.
    @property
    def rerendered(self) -> int:
        return self.build.rerendered if self.build else 0

    @property
    def parsed(self) -> int:
        return self.stats.parsed

    @property
    def changed(self) -> int:
        return self.stats.changed

    @property
    def files_written(self) -> int:
        return len(self.written.written) if self.written else 0

    def line(self) -> str:
        s = self.stats
        written = self.files_written
        deleted = len(self.written.removed) if self.written else 0
        return (
            f"tick: {s.seen} seen, {s.changed} changed, {s.parsed} parsed, "
            f"{s.skipped} skipped, {s.removed} removed; {self.rerendered} feeds "
            f"re-rendered, {written} files written, {deleted} deleted; {self.ms:.0f} ms"
        )


class FeedRow(NamedTuple):
    """A feed's line in the summary."""

    slug: str
    count: int
    dropped: Mapping[str, int]
    written: bool
    reused: bool


@dataclass(slots=True)
class LastRun:
    """What the last publishing run left, to answer a run that finds nothing changed without
    decoding an item or rendering a file: valid while ``key`` (the config, the renderer and
    the parse cache's file-version table) holds and no held-back item has come due."""

    key: str
    next_release: dt.datetime | None
    feeds: list[tuple[str, int, dict[str, int]]]
    notices: list[str]

    @staticmethod
    def path(state: Path) -> Path:
        return state / "last-run.json"

    @classmethod
    def read(cls, state: Path) -> LastRun | None:
        try:
            data = json.loads(cls.path(state).read_text(encoding="utf-8"))
            release = data["next_release"]
            return cls(
                str(data["key"]),
                dt.datetime.fromisoformat(release) if release else None,
                [(str(slug), int(n), {str(k): int(v) for k, v in d.items()})
                 for slug, n, d in data["feeds"]],
                [str(n) for n in data["notices"]],
            )  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def save(self, state: Path) -> None:
        data = {
            "key": self.key,
            "next_release": self.next_release.isoformat() if self.next_release else None,
            "feeds": self.feeds,
            "notices": self.notices,
        }
        with writing(self.path(state)):
            state.mkdir(parents=True, exist_ok=True)
            write_if_changed(self.path(state), (json.dumps(data, indent=1) + "\n").encode())


def no_seeds(folder: Path) -> str:
    """The warning for a seeds folder with no seed file: every feed would be empty, which
    is right for a new site and a mistake for a misnamed folder, so say it either way."""
    suffixes = ", ".join(sorted(SEED_SUFFIXES))
    return (
        f"0 seeds found in {folder.absolute()} (seed files end in {suffixes}); every feed is empty"
    )


def id_authority(config: Config) -> str:
    """The domain used in ``tag:`` ids of seeds that have no URL."""
    return urlsplit(config.site.url).hostname or "feeds.invalid"


def watch_enabled(config: Config) -> bool:
    """Change notification is on unless the config says ``watch: {notify: false}`` or the
    environment ``FEEDS_WATCH=0`` (each tick then scans the whole seeds folder)."""
    return config.watch and os.environ.get("FEEDS_WATCH", "1") != "0"


def fast_yaml_enabled() -> bool:
    """The rapidyaml fast path is on unless ``FEEDS_FAST_YAML=0`` (a way out, should a
    rapidyaml release ever disagree with PyYAML)."""
    return os.environ.get("FEEDS_FAST_YAML", "1") != "0"


def touched_by(delta: Mapping[str, tuple[Entry | None, Entry | None]]) -> set[str]:
    """Topic keys of every item a refresh added, changed or removed (see RefreshStats.delta)."""
    touched: set[str] = set()
    for pair in delta.values():
        for e in pair:
            if e is not None and e.item is not None:
                touched.update(e.item.topic_keys or ())
    return touched


class Pipeline:
    """One config's pipeline and what it keeps between runs: the seed index (and its parse
    cache), the last build, and which files the last publish left on disk.

    ``save_cache_every`` spaces out parse-cache saves while seeds keep changing (a save costs
    a second at 100k seeds); 0 saves after every run that changed something.
    """

    def __init__(
        self,
        config: Config,
        *,
        use_cache: bool = True,
        jobs: int | None = None,
        progress: Progress | None = None,
        save_cache_every: float = 0.0,
        fast_yaml: bool | None = None,
        stop: threading.Event | None = None,
        background_pings: bool = False,
        store: Store | None = None,
        pinger: Pinger | None = None,
        reuse_last_run: bool = True,
        watch: bool = False,
        incremental: bool = False,
    ) -> None:
        self.config = config
        # Keep the items indexed for incremental builds (feeds.ranking), as the daemon does:
        # a tick then costs what changed, not what the corpus holds.
        self.incremental = incremental
        self.corpus: Corpus | None = None
        self.site_memo = SiteMemo()
        # Follow the seeds folder through change notification (the daemon, when config and
        # FEEDS_WATCH allow it): see load().
        self.watch = watch and watch_enabled(config)
        self._watcher: SeedWatcher | None = None
        self._rescan_at = -float("inf")
        # A one-off run may answer "nothing changed" from the last run's record; the daemon
        # builds at once, as it keeps the build to update it tick by tick.
        self.reuse_last_run = reuse_last_run
        self.use_cache = use_cache
        self.jobs = jobs
        self.progress = progress
        self.stop = stop or threading.Event()  # set: the run stops between two files
        self.index = SeedIndex(
            id_authority(config),
            config.text,
            fast_yaml_enabled() if fast_yaml is None else fast_yaml,
        )
        self.settings = RenderSettings.of(config)
        # A writing run may keep compiled templates in the state folder (check and explain
        # write nothing).
        self._writing_settings = replace(self.settings, compiled=config.state / "compiled")
        self.parse_cache: ParseCache | None = None
        self.cache_dirty = False
        self.save_cache_every = save_cache_every
        self.cache_saved_at = -float("inf")
        if config.cache is not None:
            # Without use_cache (--no-cache) every seed is parsed again and the cache rebuilt
            # from what was parsed: a way out of any doubt about it.
            self.parse_cache = ParseCache.of(config.cache, config.seeds, self.index)
            if use_cache and self.parse_cache.load(self.index):
                self.cache_saved_at = time.monotonic()
            else:
                self.cache_dirty = True  # no usable cache: write one after this run
        self._store = store
        self._destinations: list[Destination] | None = None
        self.last: dict[str, Built] = {}  # slug -> as last published
        self.trusted = False  # the last build is what the destinations hold
        self.next_release: dt.datetime | None = None
        self.notes: list[str] = []  # run-level news, said once
        if pinger is None and config.hubs:
            from feeds.websub import Pinger

            pinger = Pinger(config.hubs, config.state)
        self.pinger = pinger
        self.background_pings = background_pings  # the daemon: never wait for a hub

    def run(self, now: dt.datetime | None = None, *, write: bool = True) -> Report:
        """Refresh the seeds, build what changed and (with ``write``) publish it.

        Raises SeedsUnavailable, Cancelled (``stop`` was set) and OSError from writing; the
        files on disk then stay as they were, and the next run retries in full.
        """
        started = time.perf_counter()
        stats = self.load()
        report = Report(stats, _index=self.index)
        now = now or dt.datetime.now(dt.UTC)
        if write:
            for dest in self.destinations:
                if dest.manifest is None:
                    dest.manifest = self._read_manifest(dest)
        if write and not stats.any_change and self._unchanged_since_last_run(now, report):
            pass  # nothing changed, nothing done: the summary is the last run's
        elif not write or self._needs_build(bool(stats.delta), now):
            if not self.index.load_items():  # the cached items are gone: parse everything
                self.corpus = None
                report.stats = stats = self.load()
            if self.corpus is not None and stats.delta:
                self.corpus.update(
                    (old.item if old else None, new.item if new else None)
                    for old, new in stats.delta.values()
                )
            touched = touched_by(stats.delta)
            # Consumed: after a full parse it names every entry (100 MB at a million seeds).
            stats.delta = {}
            self._build(report, now, write, touched)
        if write and self.pinger is not None:
            self._ping(report)
        if (
            write
            and self.cache_dirty
            and time.monotonic() - self.cache_saved_at >= self.save_cache_every
        ):
            self.save_cache()
        if write and report.build is not None and self.trusted:
            self._remember(report.build)
        report.notes, self.notes = report.notes + self.notes, []
        report.ms = (time.perf_counter() - started) * 1000
        return report

    def load(self) -> RefreshStats:
        """The load step: bring the seed index in line with the seeds folder (parsing only
        what the parse cache does not hold). Writes nothing; raises SeedsUnavailable."""
        config = self.config
        if not config.seeds.is_dir():
            raise SeedsUnavailable(f"seeds folder {config.seeds} is missing")
        if self.watch:
            now = time.monotonic()
            due = now >= self._rescan_at
            if self._watcher is not None and not due:
                changes = self._watcher.poll()
                if changes is not None:  # complete: read what it names, scan nothing
                    stats = self.index.refresh_changed(
                        config.seeds, changes, self.stop.is_set, self.jobs
                    )
                    self.cache_dirty |= stats.any_change
                    return stats
                due = True  # events lost (overflow, the folder moved): watch anew, scan all
            if due:
                self.close()
                # Watch first, then scan: a change during the scan is seen by the next poll.
                from feeds.watch import open_watcher

                self._watcher = open_watcher(config.seeds)
                self._rescan_at = now + config.rescan_seconds
        stats = self.index.refresh(config.seeds, self.stop.is_set, self.progress, self.jobs)
        self.cache_dirty |= stats.any_change
        return stats

    def close(self) -> None:
        """Stop watching the seeds folder (a pipeline replaced by a reloaded config)."""
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None

    @property
    def store(self) -> Store:
        """The destination, opened on first use (a check run never opens one)."""
        if self._store is None:
            self._store = open_store(self.config)
        return self._store

    @property
    def destinations(self) -> list[Destination]:
        """Where this pipeline publishes: the output (public feeds and the site's pages) and
        the private output (private feeds: never in the output, its index, OPML or pings)."""
        if self._destinations is None:
            private = LocalStore(self.config.private_output)
            self._destinations = [Destination(self.store), Destination(private, private=True)]
        return self._destinations

    def _ping(self, report: Report) -> None:
        """Tell the WebSub hubs which feed files this run changed (and what failed before)."""
        assert self.pinger is not None
        changed = report.public_changes
        urls = [self.config.site.url + n for n in changed if n.rpartition(".")[2] in SYNDICATION]
        if not urls and not self.pinger.pending:
            return
        if self.background_pings:
            self.pinger.send_in_background(urls)
            return
        results = self.pinger.send(urls)
        failed = sum(not r.ok for r in results)
        self.notes.append(
            f"websub: {len(results) - failed} of {len(results)} pings sent"
            + (f"; {failed} failed, kept for the next run" if failed else "")
        )

    def _read_manifest(self, dest: Destination) -> Manifest:
        """A destination's manifest, after moving an older version's dotfiles out of a
        local output folder (once, with a notice)."""
        config, store = self.config, dest.store
        if isinstance(store, LocalStore) and not dest.private:
            moved = migrate_dotfiles(store.folder, config.state, store.location)
            if moved:
                self.notes.append(
                    f"moved {', '.join(moved)} out of {store.folder} (the output now holds "
                    f"only files meant to be served; state lives in {config.state})"
                )
        return Manifest.read(config.state, store.location)

    def _last_run_key(self) -> str | None:
        """What a LastRun answers for: this config, this renderer, and exactly the seeds the
        parse cache holds (its file-version table's checksum); None when the index is not
        what the cache file says (unsaved changes, no cache)."""
        digest = self.index.cache_digest
        if digest is None or not self.use_cache or self.parse_cache is None:
            return None
        parts = (repr(self.config), self.settings.fingerprint, digest)
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def _unchanged_since_last_run(self, now: dt.datetime, report: Report) -> bool:
        """A fresh pipeline (one ``feeds generate``) whose seeds, config and published files
        are exactly as the last run left them, and whose held-back items are still held
        back, takes that run's summary and does nothing else: no item is decoded, no
        template loaded, no file rendered."""
        if not self.reuse_last_run or self.trusted or self.index.pending is None:
            return False
        key = self._last_run_key()
        last = LastRun.read(self.config.state) if key is not None else None
        if last is None or last.key != key:
            return False
        if last.next_release is not None and now >= last.next_release:
            return False
        if any(dest.damaged() for dest in self.destinations):
            return False
        report.kept = last
        report.written = WriteResult(
            unchanged=sorted(
                n for dest in self.destinations for n in (dest.manifest or Manifest()).files
            )
        )
        return True

    def _remember(self, result: Build) -> None:
        """Note what this run published, for the next run that finds nothing changed."""
        key = self._last_run_key()
        if key is None or any(dest.foreign for dest in self.destinations):
            # A file left alone must be looked at again by the next run, and said again.
            with contextlib.suppress(OSError):
                LastRun.path(self.config.state).unlink()
            return
        feeds = [(s.feed.slug, len(s.items), dict(s.dropped)) for s in result.selections]
        LastRun(key, result.next_release, feeds, list(result.notices)).save(self.config.state)

    def save_cache(self) -> None:
        if self.cache_dirty and self.parse_cache is not None:
            self.parse_cache.save(self.index)
            self.cache_dirty = False
            self.cache_saved_at = time.monotonic()

    def _needs_build(self, changed: bool, now: dt.datetime) -> bool:
        if changed or not self.trusted:
            return True
        if self.next_release is not None and now >= self.next_release:
            return True  # a future-dated item's time has come
        # Someone deleted or changed a published file: put it back. (An object store is not
        # listed on every idle tick; its next run with changes verifies every object.)
        return any(dest.damaged(idle=True) for dest in self.destinations)

    def _build(self, report: Report, now: dt.datetime, write: bool, touched: set[str]) -> None:
        config = self.config
        trusted = self.trusted
        released = self.next_release is not None and now >= self.next_release
        dests = self.destinations if write else []
        # Feeds with a file missing or changed since it was written are rendered again.
        broken = {slug_of(name) for dest in dests for name in (*dest.damaged(), *dest.foreign)}
        # A pipeline's first run reuses feeds whose files came from the same inputs.
        on_disk = (
            {
                s: d
                for dest in dests
                for s, d in (dest.manifest or Manifest()).digests.items()
                if s not in broken
            }
            if self.use_cache and not trusted
            else {}
        )
        if self.incremental and self.corpus is None:
            from feeds.ranking import Corpus

            # sorted once; kept up to date after
            self.corpus = Corpus(self.index.items(), config.defaults)
        result = build(
            config,
            () if self.corpus is not None else self.index.items(),
            now,
            settings=self._writing_settings if write else self.settings,
            on_disk=on_disk,
            last={s: b for s, b in self.last.items() if s not in broken},
            touched=touched if trusted and not released else None,
            should_stop=self.stop.is_set,
            corpus=self.corpus,
            site=self.site_memo if self.incremental else None,
            materialize=self.index.item,
        )
        if not self.index.entries:  # not even a skipped one: a wrong or empty folder
            result.notices.insert(0, no_seeds(config.seeds))
        report.build = result
        if not write:
            return
        # Files of feeds kept from the last successful publish are known to be on disk.
        current = {
            b.rendered.slug
            for b in result.feeds
            if trusted
            and self.last.get(b.rendered.slug) is not None
            and self.last[b.rendered.slug].rendered is b.rendered
        } - broken
        self.trusted = False  # until every publish succeeds: a failed run is retried in full
        report.written = WriteResult()
        for dest in dests:
            written = dest.publish(config.state, result, current, config.max_age)
            if not dest.private:
                report.public_changes = written.written
            if written.foreign:
                self.notes.append(
                    f"left {', '.join(written.foreign)} in {dest.store.location} as they are: "
                    "feeds did not write them; move them away to let feeds publish there"
                )
            for field_name in ("written", "unchanged", "removed"):
                getattr(report.written, field_name).extend(getattr(written, field_name))
        self.last = {b.rendered.slug: b for b in result.feeds}
        self.trusted = True
        self.next_release = result.next_release


@dataclass(slots=True)
class Destination:
    """One place a pipeline publishes to, and what its last publish left there."""

    store: Store
    private: bool = False  # holds the private feeds, and never the site's pages
    manifest: Manifest | None = None
    published: set[str] = field(default_factory=set)  # names of the last publish
    foreign: list[str] = field(default_factory=list)  # left alone last time: look again

    def damaged(self, idle: bool = False) -> set[str]:
        """Published files missing or changed since they were written. An idle daemon tick
        checks the files it last published; an object store is not listed on idle ticks
        (its next run with changes verifies every object)."""
        if self.manifest is None or (idle and self.store.remote):
            return set()
        return damaged(self.store, self.manifest, self.published if idle else None)

    def publish(
        self, state: Path, result: Build, on_disk: Iterable[str], max_age: int
    ) -> WriteResult:
        """Publish this destination's part of a build; feeds kept as they are when they were
        reused, or their slugs are ``on_disk`` (known to be current there)."""
        current = set(on_disk)
        keep: list[str] = []
        files: dict[str, bytes] = {} if self.private else dict(result.site_files)
        digests = {}
        for b in result.feeds:
            feed, rendered = b.selection.feed, b.rendered
            if feed.private != self.private:
                continue
            digests[rendered.slug] = rendered.digest
            if rendered.reused or rendered.slug in current:
                ours = (self.manifest or Manifest()).files
                keep.extend(n for n in feed_files(feed.slug, feed.formats) if n in ours)
            else:
                files.update(rendered.files)
        manifest = self.manifest or Manifest()
        if self.private and not files and not keep and not manifest.files:
            return WriteResult()  # no private feed, now or before: leave the folder alone
        self.manifest = None  # re-read after a failure: the failed publish saved its progress
        written = publish(self.store, state, files, digests, keep, manifest, max_age)
        self.manifest = written.manifest
        self.foreign = written.foreign
        self.published = set(files) | set(keep)
        return written


def open_store(config: Config) -> Store:
    """The config's destination: a local folder, or an object-store prefix."""
    if config.output_url is not None:
        from feeds.remote import RemoteStore

        return RemoteStore(config.output_url, config.output_options)
    assert config.output is not None
    return LocalStore(config.output)


def writer_lock(config: Config, store: Store) -> WriterLock:
    """The locks a writer holds: the state folder's, the local output folder's, and for an
    object store its lock object."""
    return WriterLock(
        config.state,
        config.output,
        store if store.remote else None,  # type: ignore[arg-type]
    )


def generate(
    config: Config,
    *,
    write: bool = True,
    now: dt.datetime | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    jobs: int | None = None,
) -> Report:
    """Run the whole pipeline once; with ``write=False`` no file changes.

    Writing takes the writer's lock first (OutputBusy if a daemon holds it). The parse
    cache (``config.cache``) is read and updated unless ``use_cache`` is false.
    """
    pipeline = Pipeline(config, use_cache=use_cache, jobs=jobs, progress=progress)
    with writer_lock(config, pipeline.store) if write else contextlib.nullcontext():
        return pipeline.run(now, write=write)


def seed_names(config: Config, entries: Mapping[str, Entry], target: str) -> list[str]:
    """The seeds (names under the seeds folder, in path order) that ``target`` names: a path
    relative to the seeds folder, a path to the file as given (absolute or relative to the
    current folder), or a URL of its item (see :func:`~feeds.explain.matches_url`). Several
    seeds can share one URL."""
    from feeds.explain import matches_url

    found: set[str] = set()
    inside = PurePosixPath(target).as_posix()  # "./a.md" and "a//b.md" name "a.md", "a/b.md"
    if inside in entries:
        found.add(inside)
    given, seeds = Path(target).absolute(), config.seeds.absolute()
    with contextlib.suppress(OSError, ValueError, RuntimeError):  # NUL, a link loop...
        # Spelled as given (a symlinked seeds folder stays itself), and with links resolved.
        for path, root in (
            (Path(os.path.normpath(given)), Path(os.path.normpath(seeds))),
            (given.resolve(), seeds.resolve()),
        ):
            name = path.relative_to(root).as_posix() if path.is_relative_to(root) else None
            if name in entries:
                found.add(name)
    found.update(
        name for name, e in entries.items() if e.item is not None and matches_url(e.item, target)
    )
    return sorted(found)


def explain(
    config: Config,
    target: str,
    now: dt.datetime | None = None,
    *,
    use_cache: bool = True,
    progress: Progress | None = None,
) -> list[Explained]:
    """Why the seed(s) ``target`` names (see :func:`seed_names`) are or are not in each feed
    of a run at ``now``: the configured and automatic feeds, in the summary's order.

    Reads the seeds through the parse cache like :func:`generate`, but writes nothing: no
    output, no cache save, no lock (a running daemon is not disturbed). Raises NoSeedMatches
    when nothing matches, and SeedsUnavailable.
    """
    from feeds.explain import Explained, skipped, verdict

    pipeline = Pipeline(config, use_cache=use_cache, progress=progress)
    pipeline.load()
    if not pipeline.index.load_items():
        pipeline.load()
    entries = pipeline.index.entries
    names = seed_names(config, entries, target)
    if not names:
        raise NoSeedMatches(
            f"no seed matches {target!r}: give a seed file's path (in {config.seeds}) or "
            "its originalUrl or webUrl"
        )
    now = now or dt.datetime.now(dt.UTC)
    items = pipeline.index.items()
    topics = index_topics(items)
    feeds = feeds_for(config, items, now).feeds
    folder = str(config.seeds)
    out: list[Explained] = []
    for name in names:
        entry = entries[name]
        item = entry.item
        if item is None:
            why = next((p for p in entry.problems if p.severity is Severity.SKIPPED), None)
            verdicts = tuple((f.slug, skipped(why)) for f in feeds)
        else:
            verdicts = tuple((f.slug, verdict(items, f, item, now, topics, folder)) for f in feeds)
        out.append(Explained(os.path.join(folder, name), entry.problems, verdicts))
    return out
