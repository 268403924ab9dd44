"""Render one feed's selection into the bytes of each of its files.

Render is per format, each a small module that turns a selection into bytes: Atom and RSS
(:mod:`feeds.syndication`, feedgen), JSON Feed (:mod:`feeds.jsonfeed`) and the feed's page
(:mod:`feeds.pages`, Jinja2). Rendering never reads seeds, writes files or reads the clock,
so the same inputs always give the same bytes; a digest of those inputs lets an unchanged
feed skip rendering altogether.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from feeds.config import FeedConfig
from feeds.files import file_name
from feeds.items import Item
from feeds.jsonfeed import render_json
from feeds.pages import render_page
from feeds.site import RenderSettings
from feeds.syndication import render_syndication


@dataclass(frozen=True, slots=True)
class Rendered:
    """The files of one feed: file name -> bytes (empty when ``reused``: the files on disk
    were made from the same inputs and are current)."""

    slug: str
    files: dict[str, bytes]
    digest: str = ""
    reused: bool = False


def inputs_digest(settings: RenderSettings, feed: FeedConfig, items: tuple[Item, ...]) -> str:
    """A digest of everything a feed's bytes depend on, to skip rendering unchanged feeds."""
    h = hashlib.sha256(f"{settings.fingerprint}\0{feed!r}".encode())
    for item in items:
        h.update(repr(item).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def render(
    settings: RenderSettings,
    feed: FeedConfig,
    items: tuple[Item, ...],
    previous_digest: str | None = None,
) -> Rendered:
    """The bytes of each of the feed's formats, or a ``reused`` marker if
    ``previous_digest`` (of the files on disk) shows they were made from the same inputs."""
    digest = inputs_digest(settings, feed, items)
    if digest == previous_digest:
        return Rendered(feed.slug, {}, digest, reused=True)
    links = settings.links(feed)
    by_format = render_syndication(settings, feed, items, links)
    if "json" in feed.formats:
        by_format["json"] = render_json(settings, feed, items, links)
    if "html" in feed.formats:
        by_format["html"] = render_page(settings, feed, items, links)
    files = {file_name(feed.slug, fmt): by_format[fmt] for fmt in feed.formats}
    return Rendered(feed.slug, files, digest)
