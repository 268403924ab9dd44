import datetime as dt
from pathlib import Path

import pytest
from msgspec.structs import replace

from feeds.config import Config, FeedConfig, parse_config
from feeds.items import Item
from feeds.select import REASONS, feeds_for, index_topics, select
from tests.helpers import SITE, make_item


def item(
    id: str,
    day: int = 1,
    quality: float | None = 50,
    published: bool | None = True,
    topics: tuple[str, ...] = ("AI",),
    source: str = "",
) -> Item:
    return make_item(
        id,
        title=id,
        summary="",
        quality=quality,
        is_published=published,
        when=dt.datetime(2024, 1, day, tzinfo=dt.UTC),
        topics=topics,
        source=source or id,
        provider=None,
    )


def feed(**kw: object) -> FeedConfig:
    return FeedConfig(**{"slug": "f", "title": "F", "description": "F", "topics": None, **kw})


def ids(selection) -> list[str]:
    return [i.id for i in selection.items]


def test_topics_match_any_case_insensitively() -> None:
    items = [
        item("a", topics=("ai",)),
        item("b", topics=("Robots", "AI")),
        item("c", topics=("Robots",)),
        item("d", topics=()),
    ]
    sel = select(items, feed(topics=("AI",)))
    assert ids(sel) == ["a", "b"]
    assert sel.dropped["off-topic"] == 2
    assert len(select(items, feed()).items) == 4


def test_quality_and_missing_quality() -> None:
    items = [item("low", quality=10), item("ok", quality=40), item("none", quality=None)]
    keep = select(items, feed(min_quality=40))
    assert sorted(ids(keep)) == ["none", "ok"]
    assert keep.dropped["low quality"] == 1
    drop = select(items, feed(min_quality=40, missing_quality="drop"))
    assert ids(drop) == ["ok"]
    assert drop.dropped["low quality"] == 2


def test_status_picks_published_unpublished_or_both() -> None:
    items = [item("no", published=False), item("yes", published=True), item("old", published=None)]
    sel = select(items, feed())  # status: published by default
    assert sorted(ids(sel)) == ["old", "yes"]  # a record without the flag counts as published
    assert (sel.dropped["unpublished"], sel.dropped["published"]) == (1, 0)
    queue = select(items, feed(status="unpublished"))
    assert ids(queue) == ["no"]
    assert (queue.dropped["unpublished"], queue.dropped["published"]) == (0, 2)
    both = select(items, feed(status="any"))
    assert sorted(ids(both)) == ["no", "old", "yes"]
    assert (both.dropped["unpublished"], both.dropped["published"]) == (0, 0)


def test_drop_reasons_are_counted_in_the_order_filters_apply() -> None:
    assert REASONS.index("unpublished") + 1 == REASONS.index("published")
    # A low-quality published item in a queue of unpublished ones is dropped for quality,
    # the first filter that applies; an unpublished copy of a kept id is no duplicate there.
    items = [item("low", quality=1), item("u", published=False), item("u", published=True)]
    sel = select(items, feed(status="unpublished", min_quality=10))
    assert ids(sel) == ["u"] and sel.items[0].is_published is False
    assert {r: n for r, n in sel.dropped.items() if n} == {"low quality": 1, "published": 1}


def test_duplicates_keep_best_quality_then_newest() -> None:
    items = [
        item("u", day=1, quality=30, source="1.md"),
        item("u", day=2, quality=60, source="2.md"),
        item("u", day=3, quality=60, source="3.md"),
        item("v", day=1),
    ]
    sel = select(items, feed())
    assert [(i.id, i.source) for i in sel.items] == [("u", "3.md"), ("v", "v")]
    assert sel.dropped["duplicate"] == 2


def test_newest_first_stable_ties_and_limit() -> None:
    items = [item("b", day=5), item("a", day=5), item("c", day=9), item("d", day=1)]
    sel = select(items, feed(max_items=3))
    assert ids(sel) == ["c", "a", "b"]
    assert sel.dropped["over the limit"] == 1
    assert ids(select(list(reversed(items)), feed(max_items=3))) == ids(sel)


def test_auto_topics_add_a_feed_per_topic() -> None:
    config = parse_config(
        {
            "site": SITE,
            "auto_topics": True,
            "defaults": {"min_quality": 5},
            "feeds": [{"slug": "ai", "title": "Mine", "topics": ["AI"]}],
        },
        Path("/x/config.yaml"),
    )
    items = [item("a", topics=("AI", "AI in Healthcare")), item("b", topics=("Machine Learning",))]
    plan = feeds_for(config, items)
    feeds = plan.feeds
    assert [f.slug for f in feeds] == ["ai", "ai-in-healthcare", "machine-learning"]
    assert feeds[0].title == "Mine"
    assert feeds[1].topics == ("AI in Healthcare",) and feeds[1].min_quality == 5
    assert plan.notices == []


def test_future_dated_items_wait_for_their_time() -> None:
    items = [item("soon", day=10), item("later", day=20)]
    now = dt.datetime(2024, 1, 9, 12, tzinfo=dt.UTC)
    sel = select(items, feed(), now)
    assert ids(sel) == ["soon"]  # within the one-day grace
    assert sel.dropped["future-dated"] == 1
    assert ids(select(items, feed(), dt.datetime(2024, 1, 19, 12, tzinfo=dt.UTC))) == [
        "later",
        "soon",
    ]


def test_topic_index_gives_the_same_selection() -> None:
    items = [
        item(
            f"i{n}",
            day=1 + n % 9,
            quality=n * 7 % 100,
            topics=(("AI", "Robots", "Space")[n % 3], "ai" if n % 4 else "Misc"),
        )
        for n in range(60)
    ] + [item("i3", day=9, quality=99, topics=("Space",))]
    topics = index_topics(items)
    for f in (feed(topics=("AI",)), feed(topics=("Space", "misc"), max_items=5), feed()):
        assert select(items, f, NOW9) == select(items, f, NOW9, topics)


NOW9 = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)


def _auto(feeds: list[dict] | None = None) -> Config:
    return parse_config(
        {"site": SITE, "auto_topics": True, "feeds": feeds or []}, Path("/x/config.yaml")
    )


def test_any_spelling_of_a_topic_is_in_its_feed() -> None:
    items = [
        item("a", topics=("Power Apps",)),
        item("b", topics=("Power-Apps",)),
        item("c", topics=("POWER APPS!!!",)),
        item("d", topics=("power_apps", "Other")),
        item("e", topics=("PowerApps",)),  # one word: another topic
    ]
    configured = feed(topics=("Power Apps",))
    assert sorted(ids(select(items, configured))) == ["a", "b", "c", "d"]
    assert select(items, configured) == select(items, configured, topics=index_topics(items))
    plan = feeds_for(
        _auto([{"slug": "power-apps", "title": "PA", "topics": ["power apps"]}]), items
    )
    assert [f.slug for f in plan.feeds] == ["power-apps", "other", "powerapps"]
    assert sorted(ids(select(items, plan.feeds[0]))) == ["a", "b", "c", "d"]


def test_an_auto_feed_is_named_by_the_most_common_spelling() -> None:
    items = [item(f"n{i}", topics=("Power Apps",)) for i in range(3)]
    items += [item("x", topics=("POWER APPS",)), item("y", topics=("power-apps",))]
    items += [item("t1", topics=("AI",)), item("t2", topics=("ai",))]  # a tie: code points
    (power,) = [f for f in feeds_for(_auto(), items).feeds if f.slug == "power-apps"]
    assert (power.title, power.topics) == ("Power Apps", ("Power Apps",))
    assert len(select(items, power).items) == 5
    assert [f.title for f in feeds_for(_auto(), items).feeds if f.slug == "ai"] == ["AI"]


def test_topics_in_any_script_get_a_feed_and_a_message() -> None:
    items = [
        item("g", topics=("Ελληνικά",)),
        item("j", topics=("日本語",)),
        item("c1", topics=("C",)),
        item("c2", topics=("C++",)),
        item("f1", topics=("Café",)),
        item("f2", topics=("Cafe",)),
    ]
    plan = feeds_for(_auto(), items)
    slugs = {f.title: f.slug for f in plan.feeds}
    assert slugs["Ελληνικά"] == "ellinika" and slugs["日本語"] == "ri-ben-yu"
    assert (slugs["C"], slugs["C++"], slugs["Cafe"]) == ("c", "c-plus-plus", "cafe")
    assert slugs["Café"].startswith("cafe-")
    assert len(plan.notices) == 3  # two transliterated, one disambiguated
    assert all(len(select(items, f).items) == 1 for f in plan.feeds)


def test_a_configured_slug_wins_and_an_uncovered_topic_moves_aside() -> None:
    items = [item("a", topics=("AI",)), item("r", topics=("Robots",))]
    plan = feeds_for(
        _auto(
            [
                {"slug": "ai", "title": "Mine", "topics": ["Ai"]},  # the same topic
                {"slug": "robots", "title": "Machines", "topics": ["Machines"]},
            ]
        ),
        items,
    )
    assert [f.slug for f in plan.feeds][:2] == ["ai", "robots"]
    (moved,) = plan.feeds[2:]
    assert moved.slug.startswith("robots-") and moved.title == "Robots"
    assert plan.notices == [
        f"topic 'Robots' would have the slug 'robots', taken by a configured feed or a site "
        f"page; its feed is {moved.slug!r}"
    ]


@pytest.mark.parametrize(
    ("quality", "kept"), [(49.5, False), (50, True), (50.0, True), (49.999, False), (80.5, True)]
)
def test_quality_compares_as_a_number(quality: float, kept: bool) -> None:
    sel = select([item("q", quality=quality)], feed(min_quality=50))
    assert (len(sel.items) == 1) == kept
    assert sel.dropped["low quality"] == (not kept)
    assert len(select([item("q", quality=quality)], feed(min_quality=49.5)).items) == 1


def _when(day: int) -> dt.datetime:
    return dt.datetime(2024, 1, day, tzinfo=dt.UTC)


def test_a_repost_stands_at_its_newest_publication() -> None:
    items = [
        item("story", day=1, quality=90, source="original.md"),
        item("story", day=9, quality=40, source="repost.md"),
        item("other", day=5),
    ]
    sel = select(items, feed())
    assert ids(sel) == ["story", "other"]  # at the re-post's date, not the original's
    entry = sel.items[0]
    assert entry.source == "original.md"  # content from the best seed
    assert (entry.published, entry.updated) == (_when(1), _when(9))
    assert sel.dropped["duplicate"] == 1


def test_a_duplicate_group_takes_the_best_content_and_its_span_of_dates() -> None:
    best = replace(item("u", day=4, quality=60, source="b.md"), updated=_when(20))
    items = [
        item("u", day=6, quality=30, source="a.md"),
        best,
        item("u", day=2, quality=60, source="c.md"),  # as good, but older
        item("u", day=15, quality=90, source="low.md", published=False),  # not in this feed
        item("u", day=25, quality=90, source="future.md"),  # held back
        item("v", day=5),
    ]
    sel = select(items, feed(), now=_when(10))
    entry = sel.items[0]
    assert entry.source == "b.md" and entry.quality == 60
    assert entry.published == _when(2)  # the earliest
    assert entry.updated == _when(20)  # its own later update stands
    assert ids(sel) == ["u", "v"]  # at the newest publication (day 6) in the group
    assert sel.dropped["duplicate"] == 2
    single = select([best], feed(), now=_when(10)).items[0]
    assert single is best  # a seed without duplicates is left as it is


def test_automatic_feeds_come_only_from_items_they_would_carry() -> None:
    """A topic only an unpublished candidate, a low-quality or an embargoed item carries gets
    no public feed (nor a line in the index) before such an item is published."""
    now = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    items = [
        item("pub", topics=("AI",)),
        item("secret", published=False, topics=("Acme Secret Merger",)),
        item("weak", quality=5, topics=("Gossip",)),
        make_item("late", when=dt.datetime(2024, 9, 1, tzinfo=dt.UTC), topics=("Embargoed",)),
    ]
    config = parse_config(
        {"site": SITE, "auto_topics": True, "defaults": {"min_quality": 10}},
        Path("/x/config.yaml"),
    )
    assert [f.title for f in feeds_for(config, items, now).feeds] == ["AI"]
    later = dt.datetime(2024, 9, 2, tzinfo=dt.UTC)  # the embargo is over
    assert [f.title for f in feeds_for(config, items, later).feeds] == ["AI", "Embargoed"]
