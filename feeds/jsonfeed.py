"""JSON Feed 1.1 bytes for one feed (https://jsonfeed.org/version/1.1).

The same items, ids and order as the feed's Atom document, with the same sanitised HTML
body; keys are written in a fixed order, so the same input always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any

from feeds.config import FeedConfig
from feeds.content import entry_html
from feeds.items import Item
from feeds.site import FeedLinks, RenderSettings

VERSION = "https://jsonfeed.org/version/1.1"


def rfc3339(when: dt.datetime) -> str:
    """The date form the JSON Feed schema accepts: seconds and a zone, always."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _item(item: Item, content: str, max_related: int) -> dict[str, Any]:
    out: dict[str, Any] = {"id": item.id}
    if item.link:
        out["url"] = item.link
    out["title"] = item.title
    if item.summary:
        out["summary"] = item.summary
    # One of content_html and content_text is required; the Atom content, whatever the mode.
    out["content_html"] = entry_html(item, content, max_related)
    if item.images:
        out["image"] = item.images[0].url
    out["date_published"] = rfc3339(item.published)
    out["date_modified"] = rfc3339(item.updated)
    if item.provider:
        out["authors"] = [{"name": item.provider.name}]
    if item.topics:
        out["tags"] = list(item.topics)
    return out


def render_json(
    settings: RenderSettings, feed: FeedConfig, items: tuple[Item, ...], links: FeedLinks
) -> bytes:
    site = settings.site
    doc: dict[str, Any] = {
        "version": VERSION,
        "title": feed.title,
        "home_page_url": links.page,
        "feed_url": links.files["json"],
        "description": feed.description,
    }
    if links.private:  # served under a secret token: no URL to give
        del doc["feed_url"]
    if site.language:
        doc["language"] = site.language
    # JSON Feed authors have a name and a URL, no e-mail: the site stands in as the URL.
    doc["authors"] = [{"name": site.author_name or site.title, "url": site.url}]
    if settings.hubs and not links.private:
        doc["hubs"] = [{"type": "WebSub", "url": hub} for hub in settings.hubs]
    doc["items"] = []
    head = json.dumps(doc, ensure_ascii=False, indent=1)
    if not items:
        return (head + "\n").encode("utf-8")
    # json.dumps(doc) with the items in place, from memoised parts: "items" is the last key,
    # so its "[]" ends the document; each item is dumped alone and indented to its depth
    # (JSON strings hold no raw line break, so indenting lines is exact).
    assert head.endswith('"items": []\n}')
    body = ",\n".join(_dumped(item, feed.content, feed.max_related) for item in items)
    return (head[:-3] + "\n" + body + "\n ]\n}\n").encode("utf-8")


@functools.lru_cache(maxsize=8192)
def _dumped(item: Item, content: str, max_related: int) -> str:
    """One item as ``json.dumps(..., indent=1)`` writes it inside the feed's items list."""
    text = json.dumps(_item(item, content, max_related), ensure_ascii=False, indent=1)
    return "  " + text.replace("\n", "\n  ")


def render_json_whole(
    settings: RenderSettings, feed: FeedConfig, items: tuple[Item, ...], links: FeedLinks
) -> bytes:
    """:func:`render_json` in one ``json.dumps`` of the whole document (for tests)."""
    doc = json.loads(render_json(settings, feed, (), links))
    doc["items"] = [_item(item, feed.content, feed.max_related) for item in items]
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
