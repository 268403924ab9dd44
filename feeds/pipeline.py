"""The library API: seeds -> items -> per-feed selection -> rendered feeds -> output.

The CLI and the daemon are thin layers over these functions, and tests call them directly.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from feeds.config import Config, TextLimits
from feeds.incremental import Progress, SeedIndex
from feeds.items import DEFAULT_LIMITS, Item, normalize
from feeds.lock import OutputLock
from feeds.output import WriteResult, publish, read_manifest
from feeds.problems import Problem
from feeds.render import Rendered, file_names, render
from feeds.seeds import SeedError, SeedFile, read_seed
from feeds.select import Selection, feeds_for, index_topics, select

__all__ = ["Corpus", "Problem", "Report", "build", "generate", "load_items", "load_seed"]


@dataclass(slots=True)
class Corpus:
    """The items read from a seeds folder and the problems met on the way."""

    items: list[Item] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(slots=True)
class Report:
    """What one run did, for the CLI summary and for tests."""

    selections: list[Selection]
    rendered: list[Rendered]
    problems: list[Problem]
    written: WriteResult | None = None

    @property
    def skipped(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def id_authority(config: Config) -> str:
    """The domain used in ``tag:`` ids of seeds that have no URL."""
    return urlsplit(config.site.url).hostname or "feeds.invalid"


def load_seed(seed: SeedFile, authority: str = "feeds.invalid",
              limits: TextLimits = DEFAULT_LIMITS) -> tuple[Item | None, list[Problem]]:
    """One seed file as an item (or None) plus its located problems."""
    display = str(seed.path)
    try:
        raw = read_seed(seed)
        result = normalize(raw.record, seed.name, authority, limits)
    except SeedError as exc:
        return None, [Problem(display, exc.reason, exc.line)]
    notes = raw.notes + result.notes
    return result.item, [Problem(display, note, severity="warning") for note in notes]


def load_items(seeds_dir: Path, authority: str = "feeds.invalid",
               limits: TextLimits = DEFAULT_LIMITS, cache_dir: Path | None = None,
               progress: Progress | None = None, jobs: int | None = None,
               save_cache: bool = True) -> Corpus:
    """Read every seed under ``seeds_dir``; a bad seed becomes a problem, never an exception.

    With ``cache_dir``, seeds unchanged since the cached run are not parsed again. Raises
    SeedsUnavailable when the folder itself cannot be listed.
    """
    index = SeedIndex(authority, limits)
    parse_cache = None
    loaded = False
    if cache_dir is not None:
        from feeds.cache import ParseCache

        parse_cache = ParseCache.of(cache_dir, seeds_dir, index)
        loaded = parse_cache.load(index)
    stats = index.refresh(seeds_dir, load_seed, progress=progress, jobs=jobs)
    if save_cache and parse_cache is not None and (stats.any_change or not loaded):
        parse_cache.save(index)
    return Corpus(index.items(), index.problems())


def build(config: Config, items: Sequence[Item], now: dt.datetime | None = None,
          previous: dict[str, str] | None = None) -> tuple[list[Selection], list[Rendered]]:
    """Select and render every feed (no I/O; ``now`` only holds back future-dated items).

    ``previous`` maps slugs to the input digests of files already on disk: those feeds are
    not rendered again when their inputs are unchanged.
    """
    now = now or dt.datetime.now(dt.UTC)
    previous = previous or {}
    topics = index_topics(items)
    selections = [select(items, feed, now, topics) for feed in feeds_for(config, items)]
    rendered = [render(config.site, s.feed, s.items, previous.get(s.feed.slug))
                for s in selections]
    return selections, rendered


def all_files(rendered: Iterable[Rendered]) -> dict[str, bytes]:
    return {name: data for r in rendered for name, data in r.files.items()}


def publish_all(output: Path, rendered: Sequence[Rendered],
                on_disk: Iterable[str] = ()) -> WriteResult:
    """Publish rendered feeds; reused ones, and those whose slugs are ``on_disk`` (known to be
    current there), are kept as they are."""
    current = set(on_disk)
    keep = [name for r in rendered if r.reused or r.slug in current
            for name in file_names(r.slug)]
    files = all_files(r for r in rendered if not (r.reused or r.slug in current))
    return publish(output, files, {r.slug: r.digest for r in rendered}, keep)


def current_digests(output: Path) -> dict[str, str]:
    """Digests of the feeds on disk whose files are all still there."""
    manifest = read_manifest(output)
    return {slug: d for slug, d in manifest.digests.items()
            if all((output / name).is_file() for name in file_names(slug))}


def generate(config: Config, *, write: bool = True, now: dt.datetime | None = None,
             use_cache: bool = True, progress: Progress | None = None,
             jobs: int | None = None) -> Report:
    """Run the whole pipeline once; with ``write=False`` no feed file changes.

    Writing takes the output folder's lock first (OutputBusy if a daemon holds it). The parse
    cache (``config.cache``) is read and updated unless ``use_cache`` is false.
    """
    with OutputLock(config.output) if write else contextlib.nullcontext():
        corpus = load_items(config.seeds, id_authority(config), config.text,
                            config.cache if use_cache else None, progress, jobs,
                            save_cache=write)
        previous = current_digests(config.output) if write and use_cache else None
        selections, rendered = build(config, corpus.items, now, previous)
        report = Report(selections, rendered, corpus.problems)
        if write:
            report.written = publish_all(config.output, rendered)
    return report
