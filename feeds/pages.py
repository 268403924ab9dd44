"""The pages people read: one per feed, the index of every feed, the OPML list and a 404 page.

Rendered from Jinja2 templates (``feeds/templates/``, each replaceable by a file of the same
name in the config's ``templates:`` folder) with autoescaping on and strict undefined
variables: every value from a seed is escaped by the engine, and every URL that becomes an
``href`` or ``src`` passes :func:`safe_url`, so nothing from a seed can run script in a page.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from jinja2 import (
    DictLoader,
    Environment,
    FileSystemBytecodeCache,
    StrictUndefined,
    select_autoescape,
)

from feeds.config import FeedConfig
from feeds.content import ranked_related
from feeds.files import INDEX, MEDIA_TYPES, NOT_FOUND, OPML, SYNDICATION
from feeds.items import Item
from feeds.site import FeedLinks, RenderSettings, feed_updated

LABELS = {"atom": "Atom", "rss": "RSS", "json": "JSON Feed"}
_UNSAFE_URL_CHARS = frozenset(map(chr, [*range(0x21), 0x7F]))
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # a sibling file: no scheme, no path


def safe_url(value: object) -> str:
    """The URL if it is an absolute http(s) URL without spaces or controls, or the plain
    name of a sibling file (a private feed's page links its files so); else "".

    Items' URLs are already clean (feeds.urls.clean_url); this is the templates' own last
    line of defence, so no template mistake can put ``javascript:`` into an attribute.
    """
    if not isinstance(value, str):
        return ""
    return _safe_url(value)


@functools.lru_cache(maxsize=16384)
def _safe_url(value: str) -> str:
    """:func:`safe_url` for text, memoised: a page checks every link of every entry."""
    if not value or _UNSAFE_URL_CHARS.intersection(value):
        return ""
    if _FILE_NAME.fullmatch(value):
        return value
    try:
        parts = urlsplit(value)
    except ValueError:
        return ""
    return value if parts.scheme.lower() in ("http", "https") and parts.hostname else ""


_environments: dict[str, Environment] = {}
_lock = threading.Lock()


def environment(settings: RenderSettings) -> Environment:
    """The Jinja2 environment over the settings' templates, built once per set of templates."""
    with _lock:
        env = _environments.get(settings.fingerprint)
        if env is None:
            cache = None
            if settings.compiled is not None:
                try:
                    settings.compiled.mkdir(parents=True, exist_ok=True)
                    cache = FileSystemBytecodeCache(str(settings.compiled))
                except OSError:
                    cache = None  # an unwritable state folder costs a compile, nothing else
            env = Environment(
                loader=DictLoader(dict(settings.templates)),
                bytecode_cache=cache,
                # .opml is XML and must be escaped too; Jinja's defaults cover html and xml.
                autoescape=select_autoescape(("html", "htm", "xml", "opml"), default=True),
                undefined=StrictUndefined,  # a missing key is an error, not an empty string
                keep_trailing_newline=True,
            )
            env.filters["safe_url"] = safe_url
            _environments[settings.fingerprint] = env
    return env


@functools.lru_cache(maxsize=8192)
def _date(when: dt.datetime) -> dict[str, str]:
    when = when.astimezone(dt.UTC)
    return {
        "iso": when.strftime("%Y-%m-%dT%H:%M:%SZ"),  # <time datetime>
        "text": f"{when.day} {when:%B %Y}",  # for people
        "rfc822": email.utils.format_datetime(when, usegmt=True),  # OPML dates
    }


@dataclass(frozen=True, slots=True)
class FeedSummary:
    """What the index and the OPML list say about one feed."""

    feed: FeedConfig
    links: FeedLinks
    count: int
    updated: dt.datetime | None  # None: the feed is empty


def _feed_context(settings: RenderSettings, summary: FeedSummary) -> dict[str, Any]:
    feed, links = summary.feed, summary.links
    return {
        "slug": feed.slug,
        "title": feed.title,
        "description": feed.description,
        "page": f"{feed.slug}.html" if "html" in feed.formats else None,
        "url": links.page,
        "count": summary.count,
        "updated": _date(summary.updated) if summary.updated else None,
        "files": {
            fmt: {"label": LABELS[fmt], "type": MEDIA_TYPES[fmt], "url": links.files[fmt]}
            for fmt in SYNDICATION
            if fmt in links.files
        },
    }


def _entry_context(item: Item, feed: FeedConfig) -> dict[str, Any]:
    return _entry(item, feed.content == "full", feed.max_related)


@functools.lru_cache(maxsize=8192)
def _entry(item: Item, full: bool, max_related: int) -> dict[str, Any]:
    """An entry as templates see it; memoised, as an item sits on several pages (templates
    only read it)."""
    lead = item.images[0] if full and item.images else None
    return {
        "id": item.id,
        "title": item.title,
        "link": item.link,
        "video": item.type == "video",
        "outlet": item.provider.name if item.provider else None,
        "published": _date(item.published),
        "updated": _date(item.updated),
        # alt="": the image sits under the linked title, and seeds never describe it; a video's
        # thumbnail is its link, which the title names.
        "image": {
            "url": lead.url,
            "width": lead.width,
            "height": lead.height,
            "alt": item.title if item.type == "video" else "",
        }
        if lead
        else None,
        "summary": item.summary,
        "related": [
            {"title": r.title, "link": r.link, "outlet": r.provider.name if r.provider else None}
            for r in (ranked_related(item, max_related) if full else ())
        ],
    }


def _links(has_opml: bool, settings: RenderSettings | None = None) -> dict[str, str | None]:
    """Links between the site's own pages: relative, except on the 404 page, which is served
    at any path and so links absolutely."""
    base = settings.site.url if settings is not None else ""
    return {"home": base + INDEX if base else INDEX, "opml": base + OPML if has_opml else None}


def _site(settings: RenderSettings) -> dict[str, Any]:
    site = settings.site
    return {
        "title": site.title,
        "url": site.url,
        "description": site.description,
        "language": site.language,
        "author_name": site.author_name,
        "author_email": site.author_email,
    }


def render_page(
    settings: RenderSettings,
    feed: FeedConfig,
    items: tuple[Item, ...],
    links: FeedLinks,
) -> bytes:
    """One feed's page: its subscribe links, then its entries as the feed carries them."""
    summary = FeedSummary(feed, links, len(items), feed_updated(items) if items else None)
    html = (
        environment(settings)
        .get_template("feed.html")
        .render(
            site=_site(settings),
            feed=_feed_context(settings, summary),
            entries=[_entry_context(item, feed) for item in items],
            # A private page is served under a token: it links the public site absolutely.
            links=_links(settings.has_opml, settings if links.private else None),
        )
    )
    return html.encode("utf-8")


def has_opml(feeds: Sequence[FeedConfig]) -> bool:
    """An OPML list needs at least one outline: a feed a reader can subscribe to."""
    return any(fmt in SYNDICATION for feed in feeds for fmt in feed.formats)


def render_site(settings: RenderSettings, feeds: Sequence[FeedSummary]) -> Mapping[str, bytes]:
    """The site's own files: the index of every feed, the OPML list and the 404 page."""
    env = environment(settings)
    site = _site(settings)
    contexts = [_feed_context(settings, f) for f in feeds]
    opml = has_opml([f.feed for f in feeds])
    files = {
        INDEX: env.get_template("index.html").render(site=site, feeds=contexts, links=_links(opml)),
        NOT_FOUND: env.get_template("404.html").render(site=site, links=_links(opml, settings)),
    }
    if opml:
        updated = [f.updated for f in feeds if f.updated is not None]
        files[OPML] = env.get_template("feeds.opml").render(
            site=site,
            feeds=[c for c in contexts if c["files"]],
            created=None,
            modified=_date(max(updated)) if updated else None,
        )
    return {name: text.encode("utf-8") for name, text in files.items()}
