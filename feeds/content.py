"""The HTML body of an entry: lead image, excerpt, the outlet, and related coverage.

Built as an element tree (lxml's HTML builder, so every string is escaped by construction),
then passed through nh3, a maintained sanitiser, with an allow-list: only http(s) URLs, no
scripts, iframes, event handlers or styles can reach a reader, whatever a seed contains.
"""

from __future__ import annotations

import functools

import nh3
from lxml import html as lxml_html
from lxml.html import builder as E

from feeds.items import Item, Related, related_rank

ALLOWED_TAGS = {"a", "div", "em", "figcaption", "figure", "img", "li", "p", "strong", "ul"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}}
URL_SCHEMES = {"http", "https"}


def sanitize(fragment: str) -> str:
    """Keep only the allow-listed markup; links get rel="noopener noreferrer"."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        strip_comments=True,
    )


def ranked_related(item: Item, limit: int) -> list[Related]:
    """Other outlets' coverage, best quality first (then title, link), at most ``limit``."""

    return sorted(item.related, key=related_rank)[:limit]


def attribute_text(text: str) -> str:
    """Text for an attribute value: a reader that decodes the HTML once too often would let a
    '"' close the attribute (and what follows open an event handler); "'" cannot."""
    return text.replace('"', "'")


def _image(item: Item) -> lxml_html.HtmlElement | None:
    if not item.images:
        return None
    lead = item.images[0]
    attrs = {"src": lead.url, "alt": attribute_text(item.title)}
    if lead.width and lead.height:
        attrs.update(width=str(lead.width), height=str(lead.height))
    img = E.IMG(**attrs)
    # A video entry's thumbnail is the way to the video.
    if item.link and item.type == "video":
        img = E.A(img, href=item.link)
    return E.E.figure(img)


def _source(item: Item) -> lxml_html.HtmlElement | None:
    outlet = item.provider.name if item.provider else None
    if not item.link:
        return E.P("Source: ", outlet) if outlet else None
    verb = "Watch the video at " if item.type == "video" else "Read the full story at "
    return E.P(verb, E.A(outlet or "the source", href=item.link))


def _related_list(related: list[Related]) -> list[lxml_html.HtmlElement]:
    if not related:
        return []
    rows = []
    for r in related:
        link = E.A(r.title, href=r.link)
        if r.provider:
            link.tail = " — "  # "Title — Outlet"
            rows.append(E.LI(link, E.EM(r.provider.name)))
        else:
            rows.append(E.LI(link))
    return [E.P(E.STRONG("Related coverage")), E.UL(*rows)]


@functools.lru_cache(maxsize=8192)
def entry_html(item: Item, mode: str = "full", max_related: int = 5) -> str:
    """The sanitised HTML content of an entry; ``summary`` mode gives the excerpt only.

    Memoised (items are immutable values): the Atom, RSS and JSON files of a feed carry the
    same body, and an item sits in several feeds, so building and sanitising it once per
    item rather than once per file saves most of the rendering.
    """
    parts: list[lxml_html.HtmlElement] = []
    if mode == "full":
        image = _image(item)
        if image is not None:
            parts.append(image)
    if item.summary:
        parts.append(E.P(item.summary))
    if mode == "full":
        source = _source(item)
        if source is not None:
            parts.append(source)
        parts.extend(_related_list(ranked_related(item, max_related)))
    if not parts:
        parts.append(E.P(item.title))
    body = "".join(lxml_html.tostring(p, encoding="unicode") for p in parts)
    return sanitize(body)
