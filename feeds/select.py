"""Per-feed selection: which items a feed carries, in which order, and why the rest were dropped.

Pure functions over :class:`~feeds.items.Item`; the counts feed the CLI summary so a user can
see at a glance why a feed is empty.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from operator import attrgetter

from msgspec.structs import replace as replace_item

from feeds.config import Config, FeedConfig
from feeds.files import RESERVED_SLUGS
from feeds.items import Item
from feeds.topics import assign_slugs, slugify, topic_key

# Drop reasons, in the order the filters apply. "unpublished": a source-unpublished item in
# a feed of published ones; "published": a published item in a feed of unpublished ones.
REASONS = (
    "off-topic",
    "low quality",
    "unpublished",
    "published",
    "future-dated",
    "duplicate",
    "over the limit",
)
# Items dated further ahead than this are held back until their time comes (a scheduled
# story, or a typo like 2204): otherwise they would sit on top of every reader's list. The
# grace absorbs clock skew and local times written without a zone.
FUTURE_GRACE = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Selection:
    feed: FeedConfig
    items: tuple[Item, ...]
    dropped: dict[str, int] = field(default_factory=dict)


def _better(a: Item, b: Item) -> bool:
    """Whether ``a`` should win over ``b`` among items sharing an id: best quality, then newest."""
    qa = -1 if a.quality is None else a.quality
    qb = -1 if b.quality is None else b.quality
    if qa != qb:
        return qa > qb
    if a.published != b.published:
        return a.published > b.published
    return a.source < b.source


def _merged(best: Item, first: dt.datetime, last: dt.datetime) -> Item:
    """A duplicate group's entry: the best seed's content, published at the group's first
    publication, standing (and updated) at its newest, so a re-post surfaces at the top."""
    updated = max(best.updated, last)
    if (first, updated, last) == (best.published, best.updated, best.published):
        return best
    return replace_item(best, published=first, updated=updated, sort_ts=last.timestamp())


TopicIndex = dict[str, list[Item]]


def index_topics(items: Iterable[Item]) -> TopicIndex:
    """Items by topic key, so a topic feed visits only its own items."""
    index: TopicIndex = {}
    for item in items:
        for key in item.topic_keys:
            index.setdefault(key, []).append(item)
    return index


def drop_reason(item: Item, feed: FeedConfig, horizon: dt.datetime) -> str | None:
    """The first per-item filter after the topic match that keeps ``item`` out of ``feed``
    (a key of REASONS), or None; ``horizon`` is the latest time not held back.

    The one statement of these rules, so :func:`select` and :mod:`feeds.explain` cannot
    disagree about why an item is out.
    """
    if feed.missing_quality == "drop" if item.quality is None else item.quality < feed.min_quality:
        return "low quality"
    if item.is_published is False:  # absent counts as published, as the source means it
        if feed.status == "published":
            return "unpublished"
    elif feed.status == "unpublished":
        return "published"
    if item.published > horizon:
        return "future-dated"
    return None


def horizon_of(now: dt.datetime | None) -> dt.datetime:
    """The latest publication time a feed shows at ``now`` (default: the clock)."""
    return (now or dt.datetime.now(dt.UTC)) + FUTURE_GRACE


def pool(
    items: Sequence[Item],
    feed: FeedConfig,
    now: dt.datetime | None = None,
    topics: TopicIndex | None = None,
) -> tuple[dict[str, Item], dict[str, int]]:
    """Every entry ``feed`` could carry before its ``max_items`` cut, by id (duplicates
    merged), and the counts of items dropped on the way (every reason but the limit)."""
    dropped = dict.fromkeys(REASONS, 0)
    horizon = horizon_of(now)
    if feed.topics is None:
        candidates: Iterable[Item] = items
    else:
        wanted = {topic_key(t) for t in feed.topics}
        if topics is None:
            candidates = [i for i in items if not wanted.isdisjoint(i.topic_keys)]
        else:
            seen: dict[int, Item] = {}
            for key in wanted:
                for item in topics.get(key, ()):
                    seen.setdefault(id(item), item)
            candidates = list(seen.values())
        dropped["off-topic"] = len(items) - len(candidates)
    best: dict[str, Item] = {}
    spans: dict[str, tuple[dt.datetime, dt.datetime]] = {}  # a duplicate group's publications
    for item in candidates:
        reason = drop_reason(item, feed, horizon)
        if reason is not None:
            dropped[reason] += 1
            continue
        other = best.get(item.id)
        if other is None:
            best[item.id] = item
            continue
        dropped["duplicate"] += 1
        first, last = spans.get(item.id, (other.published, other.published))
        spans[item.id] = (min(first, item.published), max(last, item.published))
        if _better(item, other):
            best[item.id] = item
    for key, (first, last) in spans.items():
        best[key] = _merged(best[key], first, last)
    return best, dropped


def select(
    items: Sequence[Item],
    feed: FeedConfig,
    now: dt.datetime | None = None,
    topics: TopicIndex | None = None,
) -> Selection:
    """Apply one feed's filters to all items; ``now`` (default: the clock) bounds future dates.

    ``topics`` (from :func:`index_topics` over the same items) is an optional speed-up.
    """
    best, dropped = pool(items, feed, now, topics)
    kept = heapq.nsmallest(feed.max_items, best.values(), key=attrgetter("order_key"))
    dropped["over the limit"] = len(best) - len(kept)
    return Selection(feed, tuple(kept), dropped)


@dataclass(frozen=True, slots=True)
class FeedPlan:
    """The feeds of one run, and messages about automatic topic feeds (once per run)."""

    feeds: tuple[FeedConfig, ...]
    notices: list[str] = field(default_factory=list)


def _spelling(counts: Mapping[str, int]) -> str:
    """A topic's name: its most common spelling (ties: the first in code-point order)."""
    return min(counts, key=lambda s: (-counts[s], s))


def _carries(feed: FeedConfig, key: str) -> bool:
    return feed.topics is None or key in {topic_key(t) for t in feed.topics}


def feeds_for(config: Config, items: Sequence[Item], now: dt.datetime | None = None) -> FeedPlan:
    """The configured feeds, plus one per topic found in the items when ``auto_topics`` is on.

    A topic is every spelling with one :func:`~feeds.topics.topic_key`, named by its most
    common spelling. Only items an automatic feed would carry (by the ``defaults``: status,
    quality, not held back at ``now``) count: a topic only an unpublished candidate or an
    embargoed story carries must not appear, as a feed or in the index, before they do. A
    configured feed keeps its slug: a topic whose slug it is gets no automatic feed when the
    configured one carries the topic, and a distinct slug otherwise.
    """
    if not config.auto_topics:
        return FeedPlan(config.feeds)
    return plan_feeds(config, spellings_of(items, config.defaults, now))


Spellings = Mapping[str, Mapping[str, int]]


def spellings_of(
    items: Iterable[Item], defaults: FeedConfig, now: dt.datetime | None = None
) -> dict[str, Counter[str]]:
    """How often each spelling of each topic (by key) occurs in the ``items`` that a feed with
    the ``defaults``' filters carries at ``now``."""
    spellings: dict[str, Counter[str]] = {}
    horizon = horizon_of(now)
    for item in items:
        if drop_reason(item, defaults, horizon) is not None:
            continue
        for name, key in zip(item.topics, item.topic_keys, strict=True):
            spellings.setdefault(key, Counter())[name] += 1
    return spellings


def plan_feeds(config: Config, spellings: Spellings) -> FeedPlan:
    """:func:`feeds_for` from the topics' spelling counts (which a long-lived pipeline keeps
    up to date item by item, instead of counting the corpus on every build)."""
    if not config.auto_topics:
        return FeedPlan(config.feeds)
    configured = {f.slug.lower(): f for f in config.feeds}
    names = {
        key: _spelling(counts)
        for key, counts in spellings.items()
        if not (slugify(key) in configured and _carries(configured[slugify(key)], key))
    }
    slugs = assign_slugs(names, taken={*configured, *RESERVED_SLUGS})
    auto = sorted(
        (
            replace(
                config.defaults,
                slug=slugs.by_key[key],
                title=name,
                description=f"{config.site.title}: {name}",
                topics=(name,),
            )
            for key, name in names.items()
        ),
        key=attrgetter("slug"),
    )
    return FeedPlan(config.feeds + tuple(auto), slugs.notices)
