import dataclasses
import datetime as dt

from feeds.config import FeedConfig, Site
from feeds.items import Item, Provider
from feeds.render import render
from feeds.site import RenderSettings
from tests.helpers import make_item, parse_feed

SITE = Site(
    title="S",
    url="https://example.org/feeds/",
    description="S",
    author_name="Ed",
    author_email="ed@example.org",
    language="en",
)
SETTINGS = RenderSettings(SITE, poll_seconds=900)
FEED = FeedConfig(slug="ai", title="AI news", description="About AI", topics=("AI",))


def _item(n: int, **kw: object) -> Item:
    url = f"https://news.example/{n}"
    base = dict(
        id=url,
        link=url,
        title=f"Story {n}",
        summary=f"Summary {n}",
        topics=("AI", "Robots"),
        when=dt.datetime(2024, 1, n, 8, tzinfo=dt.UTC),
        provider=Provider("Outlet", "news.example"),
    )
    return make_item(**{**base, **kw})


def test_atom_and_rss_carry_the_items_in_order() -> None:
    items = (_item(3), _item(2))
    files = render(SETTINGS, FEED, items).files
    atom, rss = parse_feed(files["ai.atom"]), parse_feed(files["ai.rss"])
    for parsed in (atom, rss):
        assert [e.title for e in parsed.entries] == ["Story 3", "Story 2"]
        assert [e.link for e in parsed.entries] == [
            "https://news.example/3",
            "https://news.example/2",
        ]
        assert [t.term for t in parsed.entries[0].tags] == ["AI", "Robots"]
        assert parsed.entries[0].summary == "Summary 3"
    assert atom.feed.updated == "2024-01-03T08:00:00+00:00"
    assert atom.entries[0].author == "Outlet"
    assert atom.entries[0].id == "https://news.example/3"
    assert {(ln.rel, ln.href) for ln in atom.feed.links} == {
        ("self", "https://example.org/feeds/ai.atom"),
        ("alternate", "https://example.org/feeds/ai.html"),  # the feed's own page
    }
    assert rss.feed.link == "https://example.org/feeds/ai.html"
    assert rss.feed.ttl == "15"  # minutes: the schedule's 900 s
    assert rss.feed.updated == "Wed, 03 Jan 2024 08:00:00 +0000"
    assert rss.entries[0].published == "Wed, 03 Jan 2024 08:00:00 +0000"
    assert b'<guid isPermaLink="true">https://news.example/3</guid>' in files["ai.rss"]
    assert b'<atom:link href="https://example.org/feeds/ai.rss" rel="self"' in files["ai.rss"]


def test_each_configured_format_and_no_other() -> None:
    items = (_item(1),)
    assert sorted(render(SETTINGS, FEED, items).files) == [
        "ai.atom",
        "ai.html",
        "ai.json",
        "ai.rss",
    ]
    rss_only = dataclasses.replace(FEED, formats=("rss",))
    files = render(SETTINGS, rss_only, items).files
    assert list(files) == ["ai.rss"]
    # Without a page of its own, the feed's human view is the index.
    assert parse_feed(files["ai.rss"]).feed.link == "https://example.org/feeds/"


def test_rendering_is_deterministic() -> None:
    items = (_item(3), _item(2))
    assert render(SETTINGS, FEED, items).files == render(SETTINGS, FEED, items).files


def test_guid_is_not_a_permalink_when_the_id_is_not_the_link() -> None:
    files = render(SETTINGS, FEED, (_item(1, id="https://orig.example/1"),)).files
    assert b'<guid isPermaLink="false">https://orig.example/1</guid>' in files["ai.rss"]


def test_an_item_without_a_link_carries_its_text_as_content() -> None:
    files = render(SETTINGS, FEED, (_item(1, id="tag:example.org,2024:1.md", link=None),)).files
    atom = parse_feed(files["ai.atom"])
    assert atom.entries[0].content[0].value == "<p>Summary 1</p><p>Source: Outlet</p>"
    assert parse_feed(files["ai.rss"]).entries[0].description == "Summary 1"


def test_empty_feed_has_a_fixed_updated_time() -> None:
    atom = parse_feed(render(SETTINGS, FEED, ()).files["ai.atom"])
    assert atom.entries == []
    assert atom.feed.updated == "2000-01-01T00:00:00+00:00"


def test_rendering_from_fragments_is_one_whole_render() -> None:
    """Atom, RSS and JSON Feed documents assembled from memoised per-entry parts are the
    bytes of one render of the whole feed, in any order, for any mix of settings, with
    entries shared between feeds and rendered before under other settings."""
    import random

    from feeds.items import Image, Related
    from feeds.jsonfeed import render_json, render_json_whole
    from feeds.syndication import render_syndication, render_whole

    rng = random.Random(7)
    pool = [
        _item(
            n,
            summary=rng.choice(["", f"Summary {n} <b>&amp;", "x" * 300]),
            provider=rng.choice([None, Provider("Outlet", "news.example"), Provider("Ünï")]),
            images=rng.choice([(), (Image(f"https://img.example/{n}.jpg", 640, 360),)]),
            related=tuple(
                Related(f"R{n}.{k}", f"https://r.example/{n}/{k}", None, rng.choice([None, 5]))
                for k in range(rng.randint(0, 3))
            ),
            type=rng.choice([None, "video"]),
            link=rng.choice([f"https://news.example/{n}", None]),
        )
        for n in range(1, 28)
    ]
    settings = [SETTINGS, RenderSettings(SITE, 60, hubs=("https://hub.example/",))]
    for round_ in range(40):
        feed = dataclasses.replace(
            FEED,
            slug=f"f{round_ % 3}",
            content=rng.choice(["full", "summary"]),
            max_related=rng.choice([0, 1, 5]),
            private=rng.random() < 0.2,
            formats=rng.choice([("atom", "rss", "json"), ("rss",), ("atom", "json")]),
        )
        chosen = rng.choice(settings)
        items = tuple(rng.sample(pool, rng.randint(0, 6)))
        links = chosen.links(feed)
        assert render_syndication(chosen, feed, items, links) == render_whole(
            chosen, feed, items, links
        ), round_
        if "json" in feed.formats:
            assert render_json(chosen, feed, items, links) == render_json_whole(
                chosen, feed, items, links
            ), round_
