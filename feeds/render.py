"""Render a selection as Atom 1.0 and RSS 2.0 bytes with feedgen.

Output is a pure function of (site, feed, items): feedgen's defaults that depend on the clock
(``updated``/``lastBuildDate`` = now) or on call order (entries prepended) are overridden, so
the same input always gives the same bytes and an unchanged feed is never rewritten.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from feedgen.feed import FeedGenerator

from feeds import __version__
from feeds.config import FeedConfig, Site
from feeds.items import Item

ATOM_TYPE = "application/atom+xml"
RSS_TYPE = "application/rss+xml"
# An empty feed has no newest entry; a fixed instant keeps its bytes stable (never "now").
# Validators flag dates before 1990 as implausible, hence not the Unix epoch.
EMPTY_FEED_UPDATED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Rendered:
    """The files of one feed: file name -> bytes."""

    slug: str
    files: dict[str, bytes]


def file_names(slug: str) -> tuple[str, str]:
    return f"{slug}.atom", f"{slug}.rss"


def _links(fg: FeedGenerator, self_url: str, self_type: str, alternate: str) -> None:
    # feedgen uses the last link as the RSS <link>, so the self link goes first.
    fg.link([{"href": self_url, "rel": "self", "type": self_type},
             {"href": alternate, "rel": "alternate", "type": "text/html"}], replace=True)


def _generator(site: Site, feed: FeedConfig, items: tuple[Item, ...]) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(site.url + feed.slug)
    fg.title(feed.title)
    fg.subtitle(feed.description)
    fg.description(feed.description)
    if site.author_name:
        fg.author({"name": site.author_name, **({"email": site.author_email}
                                                if site.author_email else {})})
        if site.author_email:
            fg.managingEditor(f"{site.author_email} ({site.author_name})")
    if site.language:
        fg.language(site.language)
    fg.generator("feeds", version=__version__)
    fg.updated(max((i.published for i in items), default=EMPTY_FEED_UPDATED))
    for item in items:
        _add_entry(fg, item)
    return fg


def _add_entry(fg: FeedGenerator, item: Item) -> None:
    entry = fg.add_entry(order="append")
    entry.guid(item.id, permalink=item.id == item.link)
    entry.title(item.title)
    if item.link:
        entry.link(href=item.link, rel="alternate", type="text/html")
        if item.summary:
            entry.summary(item.summary)
    else:
        # Atom needs an alternate link or content; a link-less item carries its text as content.
        entry.content(item.summary or item.title, type="text")
        entry.description(item.summary or item.title)
    entry.published(item.published)
    entry.updated(item.published)
    if item.provider:
        entry.author({"name": item.provider.name})
    for topic in item.topics:
        entry.category(term=topic)


def render(site: Site, feed: FeedConfig, items: tuple[Item, ...]) -> Rendered:
    """Atom and RSS bytes for one feed."""
    atom_name, rss_name = file_names(feed.slug)
    fg = _generator(site, feed, items)
    _links(fg, site.url + atom_name, ATOM_TYPE, site.url)
    atom = fg.atom_str(pretty=True)
    _links(fg, site.url + rss_name, RSS_TYPE, site.url)
    return Rendered(feed.slug, {atom_name: atom, rss_name: fg.rss_str(pretty=True)})
