"""Incremental selection gives exactly what selecting over every item gives."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

import pytest

from feeds.config import FeedConfig
from feeds.items import Item
from feeds.ranking import Corpus
from feeds.select import FUTURE_GRACE, select, spellings_of

BASE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
TOPICS = ["AI", "ai", "Robots", "ROBOTS!", "Health", "C++"]


def _item(rng: random.Random, source: str) -> Item:
    when = BASE + dt.timedelta(hours=rng.randint(-200, 100), microseconds=rng.choice([0, 7]))
    return Item(
        id=f"https://news.example/{rng.randint(0, 15)}",  # duplicates are common
        link=None,
        title=source,
        summary="",
        published=when,
        updated=when + dt.timedelta(hours=rng.choice([0, 0, 5])),
        quality=rng.choice([None, 10, 40, 40, 60, 60.5, 90]),
        is_published=rng.choice([None, True, False]),
        topics=tuple(dict.fromkeys(rng.sample(TOPICS, rng.randint(0, 3)))),
        source=source,
    )


def _feed(rng: random.Random, n: int) -> FeedConfig:
    topics = rng.choice([None, ("AI",), ("robots",), ("AI", "Health"), ("c++",)])
    return FeedConfig(
        slug=f"f{n}",
        title=f"F{n}",
        description="",
        topics=topics,
        min_quality=rng.choice([0, 40, 60]),
        status=rng.choice(["published", "unpublished", "any"]),
        max_items=rng.randint(1, 6),
        missing_quality=rng.choice(["keep", "drop"]),
    )


@pytest.mark.parametrize("seed", range(12))
def test_incremental_selection_is_selection(seed: int) -> None:
    rng = random.Random(seed)
    items = {f"s{i:03d}.md": _item(rng, f"s{i:03d}.md") for i in range(30)}
    feeds = [_feed(rng, n) for n in range(6)]
    # Automatic topics count what a feed with the defaults' filters carries (any topic).
    defaults = replace(_feed(rng, 6), topics=None)
    corpus = Corpus(items.values(), defaults)
    for step in range(60):
        changes = []
        for _ in range(rng.randint(1, 4)):
            name = f"s{rng.randint(0, 45):03d}.md"
            old = items.get(name)
            if old is not None and rng.random() < 0.3:
                del items[name]
                changes.append((old, None))
            else:
                new = _item(rng, name)
                items[name] = new
                changes.append((old, new))
        corpus.update(changes)
        for now in (BASE - dt.timedelta(days=3), BASE, BASE + dt.timedelta(days=2)):
            for feed in feeds:
                assert corpus.select(feed, now) == select(list(items.values()), feed, now), (
                    f"step {step}, {feed.slug}, {now}"
                )
            future = [i.published for i in items.values() if i.published > now + FUTURE_GRACE]
            assert corpus.next_release(now) == (min(future) if future else None)
            assert corpus.topic_spellings(now) == spellings_of(items.values(), defaults, now)
