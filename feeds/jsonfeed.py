"""JSON Feed 1.1 bytes for one feed (https://jsonfeed.org/version/1.1).

The same items, ids and order as the feed's Atom document, with the same sanitised HTML
body; keys are written in a fixed order, so the same input always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
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


def _item(item: Item, feed: FeedConfig) -> dict[str, Any]:
    out: dict[str, Any] = {"id": item.id}
    if item.link:
        out["url"] = item.link
    out["title"] = item.title
    if item.summary:
        out["summary"] = item.summary
    # One of content_html and content_text is required; the Atom content, whatever the mode.
    out["content_html"] = entry_html(item, feed.content, feed.max_related)
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
    doc["items"] = [_item(item, feed) for item in items]
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
