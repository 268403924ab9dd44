"""Render one feed's selection into the bytes of each of its files.

Render is per format, each a small module that turns a selection into bytes: Atom and RSS
(:mod:`feeds.syndication`, feedgen), JSON Feed (:mod:`feeds.jsonfeed`) and the feed's page
(:mod:`feeds.pages`, Jinja2). Rendering never reads seeds, writes files or reads the clock,
so the same inputs always give the same bytes; a digest of those inputs lets an unchanged
feed skip rendering altogether.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from msgspec.structs import astuple

from feeds.config import FeedConfig
from feeds.files import file_name
from feeds.items import Item, Record
from feeds.site import RenderSettings


@dataclass(frozen=True, slots=True)
class Rendered:
    """The files of one feed: file name -> bytes (empty when ``reused``: the files on disk
    were made from the same inputs and are current)."""

    slug: str
    files: dict[str, bytes]
    digest: str = ""
    reused: bool = False


def inputs_digest(
    settings: RenderSettings, feed: FeedConfig, items: tuple[Item, ...] | tuple[Record, ...]
) -> str:
    """A digest of everything a feed's bytes depend on, to skip rendering unchanged feeds.

    Of whole items, or of records (what selection reads, and a digest of the rest), so a
    feed found unchanged is never unpacked."""
    h = hashlib.sha256(f"{settings.fingerprint}\0{feed!r}".encode())
    for item in items:
        if isinstance(item, Record):
            fields = astuple(item)
            h.update(repr(fields[:-2]).encode("utf-8", "surrogatepass") + fields[-1])
        else:
            h.update(repr(item).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def render(
    settings: RenderSettings,
    feed: FeedConfig,
    items: tuple[Item, ...] | tuple[Record, ...],
    previous_digest: str | None = None,
    materialize: Callable[[Record], Item] | None = None,
) -> Rendered:
    """The bytes of each of the feed's formats, or a ``reused`` marker if
    ``previous_digest`` (of the files on disk) shows they were made from the same inputs.
    Records are made whole items by ``materialize``, and only when the feed is rendered."""
    digest = inputs_digest(settings, feed, items)
    if digest == previous_digest:
        return Rendered(feed.slug, {}, digest, reused=True)
    # The formats' modules (feedgen, lxml, Jinja2: ~0.1 s) load only when a feed renders.
    from feeds.jsonfeed import render_json
    from feeds.pages import render_page
    from feeds.syndication import render_syndication

    if materialize is not None:
        items = tuple(map(materialize, items))  # type: ignore[arg-type]
    links = settings.links(feed)
    by_format = render_syndication(settings, feed, items, links)
    if "json" in feed.formats:
        by_format["json"] = render_json(settings, feed, items, links)
    if "html" in feed.formats:
        by_format["html"] = render_page(settings, feed, items, links)
    files = {file_name(feed.slug, fmt): by_format[fmt] for fmt in feed.formats}
    return Rendered(feed.slug, files, digest)
