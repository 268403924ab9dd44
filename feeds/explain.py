"""Why one seed is or is not in each feed: the answer to "where is my story?".

The summary counts drop reasons per feed; an editor looking for one story needs the reason for
that story, in every feed, precisely ("quality 17 below 40", "duplicate of seeds/b.md"). Pure,
like :mod:`feeds.select`, and built on select's own rules (:func:`~feeds.select.drop_reason`,
:func:`~feeds.select.pool`), so an explanation cannot disagree with the feed as published.
"""

from __future__ import annotations

import datetime as dt
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

from feeds.config import FeedConfig
from feeds.items import Item
from feeds.messages import one_line
from feeds.problems import Problem
from feeds.select import FUTURE_GRACE, TopicIndex, drop_reason, horizon_of, pool
from feeds.topics import topic_key
from feeds.urls import clean_url

__all__ = ["Explained", "matches_url", "render", "skipped", "verdict"]


def _utc(when: dt.datetime) -> str:
    """ISO 8601 in UTC with a Z, as the seeds write it."""
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _quality(q: int | float | None) -> str:
    return "none" if q is None else str(q)


def _rule(loser: Item, winner: Item) -> str:
    """Which step of select's duplicate rule (best quality, then newest, then first by path)
    made ``winner`` the copy a feed keeps."""
    qw = -1 if winner.quality is None else winner.quality
    ql = -1 if loser.quality is None else loser.quality
    if qw != ql:
        return f"better quality: {_quality(winner.quality)}, this one {_quality(loser.quality)}"
    if winner.published != loser.published:
        return f"same quality, newer: {_utc(winner.published)}, this one {_utc(loser.published)}"
    return "same quality and date, first by path"


def verdict(
    items: Sequence[Item],
    feed: FeedConfig,
    item: Item,
    now: dt.datetime | None = None,
    topics: TopicIndex | None = None,
    folder: str = "",
) -> str:
    """``in, rank N`` or ``out: <reason>`` for ``item`` (one of ``items``) in ``feed``, naming
    the first filter that drops it in the order :func:`~feeds.select.select` applies them.

    ``now`` and ``topics`` are select's; ``folder`` prefixes the seed paths it names (the seeds
    folder, so a path reads as in every other message).
    """
    if feed.topics is not None and {topic_key(t) for t in feed.topics}.isdisjoint(
        item.topic_keys or ()
    ):
        theirs = f"topics {', '.join(item.topics)}" if item.topics else "no topics"
        return f"out: off-topic ({theirs}; the feed wants {', '.join(feed.topics)})"
    reason = drop_reason(item, feed, horizon_of(now))
    if reason == "low quality":
        if item.quality is None:
            return "out: no quality (missing_quality: drop)"
        return f"out: quality {item.quality} below {feed.min_quality}"
    if reason in ("unpublished", "published"):
        return f"out: {reason} (the feed has status: {feed.status})"
    if reason == "future-dated":
        return f"out: future-dated until {_utc(item.published - FUTURE_GRACE)}"
    assert reason is None, reason
    entries, _ = pool(items, feed, now, topics)
    entry = entries[item.id]  # the item passed every filter: its id has an entry
    if entry.source != item.source:
        kept = next(i for i in items if i.source == entry.source and i.id == item.id)
        where = posixpath.join(folder, entry.source) if folder else entry.source
        return f"out: duplicate of {where} ({_rule(item, kept)})"
    ranked = sorted(entries.values(), key=attrgetter("order_key"))
    rank = next(n for n, e in enumerate(ranked, 1) if e.id == item.id)
    if rank > feed.max_items:
        return f"out: rank {rank} past max_items {feed.max_items}"
    return f"in, rank {rank}"


def skipped(problem: Problem | None) -> str:
    """The verdict for a seed that could not become an item, in every feed."""
    return f"out: skipped ({problem.message if problem else 'not read'})"


def matches_url(item: Item, target: str) -> bool:
    """Whether ``target`` is the item's id, or (after the URL cleaning every seed's URLs get)
    its id or link: its originalUrl or webUrl as read."""
    if target == item.id:
        return True
    url = clean_url(target)
    return url is not None and url in (item.id, item.link)


@dataclass(frozen=True, slots=True)
class Explained:
    """One seed's explanation: its messages (skipped/repaired lines) and a verdict per feed."""

    path: str  # as every message names the seed (the seeds folder joined with its name)
    problems: tuple[Problem, ...]
    verdicts: tuple[tuple[str, str], ...]  # (feed slug, verdict), in the summary's order

    def lines(self) -> list[str]:
        return [p.line_text() for p in self.problems] + [f"{s}: {v}" for s, v in self.verdicts]


def render(explained: Sequence[Explained]) -> str:
    """The text ``feeds explain`` prints: one seed's lines, or each seed's headed by its path
    (several seeds share a URL) with a blank line between them."""
    if len(explained) == 1:
        return "\n".join(map(one_line, explained[0].lines())) + "\n"
    return "\n".join("\n".join(map(one_line, [f"{e.path}:", *e.lines()])) + "\n" for e in explained)
