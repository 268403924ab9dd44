"""Atom 1.0 and RSS 2.0 bytes for one feed, through feedgen.

feedgen's defaults that depend on the clock (``updated``/``lastBuildDate`` = now) or on call
order (entries prepended) are overridden, so the same input always gives the same bytes.
"""

from __future__ import annotations

import html
from collections import OrderedDict
from urllib.parse import urlsplit

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from feeds import __version__
from feeds.config import FeedConfig
from feeds.content import entry_html, ranked_related
from feeds.files import MEDIA_TYPES, image_type
from feeds.items import Item
from feeds.site import FeedLinks, RenderSettings, feed_updated


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


class DescriptionHtmlExtension(BaseEntryExtension):
    """The RSS ``<description>`` as HTML: readers render it as HTML, so plain text is escaped
    once more there ("Patients aged <65" shows as written instead of opening a tag).

    feedgen writes one summary to both formats, and Atom's stays plain text (type text).
    """

    def __init__(self) -> None:
        self.html: str | None = None

    def extend_rss(self, entry):  # type: ignore[no-untyped-def]
        description = entry.find("description")
        if self.html is not None and description is not None:
            description.text = self.html
        return entry


def _image_type(url: str) -> str | None:
    return image_type(urlsplit(url).path)


class HubLinksExtension(BaseExtension):
    """WebSub ``<atom:link rel="hub">`` elements in an RSS channel (feedgen writes only the
    self link there); Atom gets its hub links as ordinary feed links."""

    def __init__(self) -> None:
        self.hubs: tuple[str, ...] = ()

    def extend_ns(self) -> dict[str, str]:
        return {"atom": "http://www.w3.org/2005/Atom"}

    def extend_rss(self, rss_feed):  # type: ignore[no-untyped-def]
        channel = rss_feed[0]
        for hub in self.hubs:
            xml_elem("{http://www.w3.org/2005/Atom}link", channel, href=hub, rel="hub")
        return rss_feed


def _links(
    fg: FeedGenerator,
    self_url: str | None,
    self_type: str,
    alternate: str,
    hubs: tuple[str, ...],
) -> None:
    # feedgen uses the last link as the RSS <link>, so the alternate link goes last.
    fg.link(
        [
            *([{"href": self_url, "rel": "self", "type": self_type}] if self_url else []),
            *({"href": hub, "rel": "hub"} for hub in hubs),
            {"href": alternate, "rel": "alternate", "type": "text/html"},
        ],
        replace=True,
    )


def _generator(
    settings: RenderSettings,
    feed: FeedConfig,
    items: tuple[Item, ...],
    entries: bool = True,
) -> FeedGenerator:
    site = settings.site
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
    fg.updated(feed_updated(items))
    fg.ttl(max(1, -(-settings.poll_seconds // 60)))  # minutes, rounded up: how often to poll
    fg.load_extension("media")
    # RSS <author> must be an e-mail address, so the outlet goes in dc:creator (RSS only:
    # Atom has author/name).
    fg.load_extension("dc", atom=False, rss=True)
    fg.register_extension("related", BaseExtension, RelatedLinksExtension, atom=True, rss=False)
    fg.register_extension(
        "description_html", BaseExtension, DescriptionHtmlExtension, atom=False, rss=True
    )
    if settings.hubs and not feed.private:
        fg.register_extension("hubs", HubLinksExtension, BaseEntryExtension, atom=False, rss=True)
        fg.hubs.hubs = settings.hubs
    scheme = site.url  # the index, which lists the topic feeds
    for item in items if entries else ():
        _add_entry(fg, item, feed, scheme)
    return fg


def _add_entry(fg: FeedGenerator, item: Item, feed: FeedConfig, scheme: str) -> None:
    entry = fg.add_entry(order="append")
    entry.guid(item.id, permalink=item.id == item.link)
    entry.title(item.title)
    if item.link:
        entry.link(href=item.link, rel="alternate")
    if item.summary:
        entry.summary(item.summary)  # Atom: type text, shown as written
        entry.description_html.html = html.escape(item.summary, quote=False)
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


def render_syndication(
    settings: RenderSettings, feed: FeedConfig, items: tuple[Item, ...], links: FeedLinks
) -> dict[str, bytes]:
    """The feed's Atom and RSS documents (those of its formats), by format.

    Built from parts: the feed's own elements (rendered with no entry, but dated by its
    newest one) and one serialised element per entry, taken from the fragments of earlier
    renders where an entry was rendered before with the same settings; the entries not
    rendered before are rendered together, in one feed, and cut apart. The bytes are
    exactly those of one feedgen render of the whole feed (pretty printing indents an
    entry by its depth alone; tests/test_render.py compares both), at a fraction of the
    cost when a feed changes by one entry or an entry sits in several feeds.
    """
    wanted = [fmt for fmt in ("atom", "rss") if fmt in feed.formats]
    if not wanted:
        return {}
    scheme = settings.site.url
    params = (feed.content, feed.max_related, scheme)
    missing = [i for i in dict.fromkeys(items) if (i, params) not in _FRAGMENTS]
    if missing:
        fg = _generator(settings, feed, tuple(missing))
        _links(fg, None, MEDIA_TYPES["rss"], links.page, ())  # RSS needs a link; no entry shows it
        parts = {fmt: _split(_serialise(fg, fmt), fmt) for fmt in ("atom", "rss")}
        for n, item in enumerate(missing):
            _FRAGMENTS.put((item, params), (parts["atom"][1][n], parts["rss"][1][n]))
    skeleton = _generator(settings, feed, items, entries=False)
    out = {}
    for fmt in wanted:
        self_url = None if links.private else links.files[fmt]
        hubs = () if links.private else settings.hubs  # private feeds are never announced
        _links(skeleton, self_url, MEDIA_TYPES[fmt], links.page, hubs)
        head, _, tail = _split(_serialise(skeleton, fmt), fmt)
        column = 0 if fmt == "atom" else 1
        body = b"".join(_FRAGMENTS.get((item, params))[column] for item in items)
        out[fmt] = head + body + tail
    return out


def render_whole(
    settings: RenderSettings, feed: FeedConfig, items: tuple[Item, ...], links: FeedLinks
) -> dict[str, bytes]:
    """:func:`render_syndication` in one feedgen render, without fragments (for tests)."""
    wanted = [fmt for fmt in ("atom", "rss") if fmt in feed.formats]
    if not wanted:
        return {}
    fg = _generator(settings, feed, items)
    out = {}
    for fmt in wanted:
        self_url = None if links.private else links.files[fmt]
        hubs = () if links.private else settings.hubs
        _links(fg, self_url, MEDIA_TYPES[fmt], links.page, hubs)
        out[fmt] = _serialise(fg, fmt)
    return out


def _serialise(fg: FeedGenerator, fmt: str) -> bytes:
    return fg.atom_str(pretty=True) if fmt == "atom" else fg.rss_str(pretty=True)


# Where entries start and where the entries of a document end: an entry element starts a
# line at its depth (text and attributes never hold a raw "<"), and the closing tags follow.
_MARKS = {"atom": (b"\n  <entry>", b"</feed>\n"), "rss": (b"\n    <item>", b"  </channel>\n")}


def _split(document: bytes, fmt: str) -> tuple[bytes, list[bytes], bytes]:
    """A serialised feed as (head, one fragment per entry, tail)."""
    start, end = _MARKS[fmt]
    stop = document.rindex(end)
    first = document.find(start)
    if first < 0 or first > stop:
        return document[:stop], [], document[stop:]
    body = document[first + 1 : stop]
    cuts = body.split(start)  # every entry after the first starts with the mark
    fragments = [cuts[0] + b"\n", *(start[1:] + c + b"\n" for c in cuts[1:])]
    fragments[-1] = fragments[-1][:-1]  # the last one's line break is the body's own
    return document[: first + 1], fragments, document[stop:]


class _Fragments:
    """Serialised entries by (item, content mode, max related, site URL), least recently
    used dropped first: the entries of a daemon's feeds stay, so a feed that changes by one
    entry renders one entry."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[tuple, tuple[bytes, bytes]] = OrderedDict()

    def __contains__(self, key: tuple) -> bool:
        return key in self.data

    def get(self, key: tuple) -> tuple[bytes, bytes]:
        self.data.move_to_end(key)
        return self.data[key]

    def put(self, key: tuple, value: tuple[bytes, bytes]) -> None:
        self.data[key] = value
        self.data.move_to_end(key)
        while len(self.data) > self.size:
            self.data.popitem(last=False)


_FRAGMENTS = _Fragments(8192)
