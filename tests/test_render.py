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
