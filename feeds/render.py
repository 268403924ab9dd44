"""Render a selection as Atom 1.0 and RSS 2.0 bytes with feedgen.

Output is a pure function of (site, feed, items): feedgen's defaults that depend on the clock
(``updated``/``lastBuildDate`` = now) or on call order (entries prepended) are overridden, so
the same input always gives the same bytes and an unchanged feed is never rewritten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
from dataclasses import dataclass
from urllib.parse import urlsplit

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from feeds import __version__
from feeds.config import FeedConfig, Site
from feeds.content import entry_html, ranked_related
from feeds.files import file_name
from feeds.items import Item

ATOM_TYPE = "application/atom+xml"
RSS_TYPE = "application/rss+xml"
# An empty feed has no newest entry; a fixed instant keeps its bytes stable (never "now").
# Validators flag dates before 1990 as implausible, hence not the Unix epoch.
EMPTY_FEED_UPDATED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Rendered:
    """The files of one feed: file name -> bytes (empty when ``reused``: the files on disk
    were made from the same inputs and are current)."""

    slug: str
    files: dict[str, bytes]
    digest: str = ""
    reused: bool = False


def inputs_digest(site: Site, feed: FeedConfig, items: tuple[Item, ...]) -> str:
    """A digest of everything a feed's bytes depend on, to skip rendering unchanged feeds."""
    h = hashlib.sha256(f"{__version__}\0{site!r}\0{feed!r}".encode())
    for item in items:
        h.update(repr(item).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


class RelatedLinksExtension(BaseEntryExtension):
    """Atom ``<link rel="related">`` elements for other outlets' coverage.

    feedgen 1.0 drops every attribute but ``href`` from entry links (so a related link would
    turn into a second alternate link, which Atom forbids); this extension writes them whole.
    """

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []

    def extend_atom(self, entry):  # type: ignore[no-untyped-def]
        for attrs in self.links:
            xml_elem("link", entry, **attrs)
        return entry


def _image_type(url: str) -> str | None:
    return mimetypes.guess_type(urlsplit(url).path)[0]


def _links(fg: FeedGenerator, self_url: str, self_type: str, alternate: str) -> None:
    # feedgen uses the last link as the RSS <link>, so the self link goes first.
    fg.link(
        [
            {"href": self_url, "rel": "self", "type": self_type},
            {"href": alternate, "rel": "alternate", "type": "text/html"},
        ],
        replace=True,
    )


def _generator(site: Site, feed: FeedConfig, items: tuple[Item, ...]) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(site.url + feed.slug)
    fg.title(feed.title)
    fg.subtitle(feed.description)
    fg.description(feed.description)
    # Atom requires an author for every entry; a feed-level one covers entries whose outlet
    # is unknown, so the site title stands in when no author is configured.
    author = site.author_name or site.title
    fg.author({"name": author, **({"email": site.author_email} if site.author_email else {})})
    if site.author_email:
        fg.managingEditor(f"{site.author_email} ({author})")
    if site.language:
        fg.language(site.language)
    fg.generator("feeds", version=__version__)
    fg.updated(max((i.updated for i in items), default=EMPTY_FEED_UPDATED))
    fg.load_extension("media")
    # RSS <author> must be an e-mail address, so the outlet goes in dc:creator (RSS only:
    # Atom has author/name).
    fg.load_extension("dc", atom=False, rss=True)
    fg.register_extension("related", BaseExtension, RelatedLinksExtension, atom=True, rss=False)
    scheme = site.url + "topics/"
    for item in items:
        _add_entry(fg, item, feed, scheme)
    return fg


def _add_entry(fg: FeedGenerator, item: Item, feed: FeedConfig, scheme: str) -> None:
    entry = fg.add_entry(order="append")
    entry.guid(item.id, permalink=item.id == item.link)
    entry.title(item.title)
    if item.link:
        entry.link(href=item.link, rel="alternate")
    if item.summary:
        entry.summary(item.summary)
    if feed.content == "full" or not item.link:
        # Atom needs content when there is no link; RSS gets it as content:encoded.
        entry.content(entry_html(item, feed.content, feed.max_related), type="html")
    entry.published(item.published)
    entry.updated(item.updated)
    if item.provider:
        entry.author({"name": item.provider.name})
        entry.dc.dc_creator(item.provider.name)
    for topic in item.topics:
        entry.category(term=topic, scheme=scheme, label=topic)
    if item.images:
        lead = item.images[0]
        size = (
            {"width": str(lead.width), "height": str(lead.height)}
            if lead.width and lead.height
            else {}
        )
        kind = _image_type(lead.url)
        entry.media.content(
            url=lead.url, medium="image", group=None, **size, **({"type": kind} if kind else {})
        )
        entry.media.thumbnail(url=lead.url, group=None, **size)
    entry.related.links = [
        {"href": r.link, "rel": "related", "type": "text/html", "title": r.title}
        for r in ranked_related(item, feed.max_related)
    ]


def render(
    site: Site, feed: FeedConfig, items: tuple[Item, ...], previous_digest: str | None = None
) -> Rendered:
    """Atom and RSS bytes for one feed, or a ``reused`` marker if ``previous_digest`` (of the
    files on disk) shows they were made from the same inputs."""
    digest = inputs_digest(site, feed, items)
    if digest == previous_digest:
        return Rendered(feed.slug, {}, digest, reused=True)
    atom_name, rss_name = file_name(feed.slug, "atom"), file_name(feed.slug, "rss")
    fg = _generator(site, feed, items)
    _links(fg, site.url + atom_name, ATOM_TYPE, site.url)
    atom = fg.atom_str(pretty=True)
    _links(fg, site.url + rss_name, RSS_TYPE, site.url)
    return Rendered(feed.slug, {atom_name: atom, rss_name: fg.rss_str(pretty=True)}, digest)
