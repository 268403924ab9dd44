"""Per-feed selection: which items a feed carries, in which order, and why the rest were dropped.

Pure functions over :class:`~feeds.items.Item`; the counts feed the CLI summary so a user can
see at a glance why a feed is empty.
"""

from __future__ import annotations

import datetime as dt
import heapq
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from operator import attrgetter

from feeds.config import Config, FeedConfig
from feeds.files import RESERVED_SLUGS
from feeds.items import Item

# Drop reasons, in the order the filters apply.
REASONS = ("off-topic", "low quality", "unpublished", "future-dated", "duplicate", "over the limit")
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


TopicIndex = dict[str, list[Item]]


def index_topics(items: Iterable[Item]) -> TopicIndex:
    """Items by casefolded topic, so a topic feed visits only its own items."""
    index: TopicIndex = {}
    for item in items:
        for key in item.topic_keys:
            index.setdefault(key, []).append(item)
    return index


def select(
    items: Sequence[Item],
    feed: FeedConfig,
    now: dt.datetime | None = None,
    topics: TopicIndex | None = None,
) -> Selection:
    """Apply one feed's filters to all items; ``now`` (default: the clock) bounds future dates.

    ``topics`` (from :func:`index_topics` over the same items) is an optional speed-up.
    """
    dropped = dict.fromkeys(REASONS, 0)
    horizon = (now or dt.datetime.now(dt.UTC)) + FUTURE_GRACE
    if feed.topics is None:
        candidates: Iterable[Item] = items
    else:
        wanted = {t.casefold() for t in feed.topics}
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
    for item in candidates:
        if (
            feed.missing_quality == "drop"
            if item.quality is None
            else item.quality < feed.min_quality
        ):
            dropped["low quality"] += 1
        elif item.is_published is False and not feed.include_unpublished:
            dropped["unpublished"] += 1
        elif item.published > horizon:
            dropped["future-dated"] += 1
        else:
            other = best.get(item.id)
            if other is not None:
                dropped["duplicate"] += 1
                if not _better(item, other):
                    continue
            best[item.id] = item
    kept = heapq.nsmallest(feed.max_items, best.values(), key=attrgetter("order_key"))
    dropped["over the limit"] = len(best) - len(kept)
    return Selection(feed, tuple(kept), dropped)


def slugify(topic: str) -> str:
    """A file-name-safe slug for an auto topic feed ("AI in Healthcare" -> "ai-in-healthcare")."""
    slug = re.sub(r"[^a-z0-9]+", "-", topic.casefold()).strip("-")
    return slug[:100]


def feeds_for(config: Config, items: Sequence[Item]) -> tuple[FeedConfig, ...]:
    """The configured feeds, plus one per topic found in the items when ``auto_topics`` is on.

    A configured feed wins over an automatic one with the same slug.
    """
    if not config.auto_topics:
        return config.feeds
    taken = {f.slug.lower() for f in config.feeds} | RESERVED_SLUGS
    auto: dict[str, FeedConfig] = {}
    # Sorted by (casefold, spelling): "AI" and "ai" give one feed, titled the same every run.
    for topic in sorted(
        {t for item in items for t in item.topics}, key=lambda t: (t.casefold(), t)
    ):
        slug = slugify(topic)
        if not slug or slug in taken or slug in auto:
            continue
        auto[slug] = replace(
            config.defaults,
            slug=slug,
            title=topic,
            description=f"{config.site.title}: {topic}",
            topics=(topic,),
        )
    return config.feeds + tuple(auto.values())
