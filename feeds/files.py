"""What a feed's files are called (slug <-> file names) and what type they are served as.

A slug is a file name stem inside the output folder, so it may not name a folder or leave
it; every module that turns slugs into names (render, publish, the manifest) asks here. Each
feed gets one file per format; the site gets an index, an OPML list and a 404 page.
Whatever serves the files (``feeds serve``, an object store) takes their types from here too.
"""

from __future__ import annotations

import re

SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# Every format a feed can have, in the order pages list them; each is its file's extension.
FORMATS = ("atom", "rss", "json", "html")
SYNDICATION = ("atom", "rss", "json")  # the formats a feed reader subscribes to
INDEX, OPML, NOT_FOUND = "index.html", "feeds.opml", "404.html"
# Media types by extension, fixed rather than from /etc/mime.types (which maps .rss to
# application/x-rss+xml on Debian and knows no .opml); every file we write is UTF-8.
MEDIA_TYPES = {
    "atom": "application/atom+xml",
    "rss": "application/rss+xml",
    "json": "application/feed+json",
    "html": "text/html",
    "opml": "text/x-opml",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"
# A lead image's type by its URL's extension: fixed, so feed bytes never depend on a
# machine's /etc/mime.types (which decides whether .webp or .jxl are known at all).
IMAGE_TYPES = {
    "avif": "image/avif", "bmp": "image/bmp", "gif": "image/gif", "ico": "image/x-icon",
    "jpe": "image/jpeg", "jpeg": "image/jpeg", "jpg": "image/jpeg", "jxl": "image/jxl",
    "png": "image/png", "svg": "image/svg+xml", "tif": "image/tiff", "tiff": "image/tiff",
    "webp": "image/webp",
}  # fmt: skip
SITE_FILES = (INDEX, OPML, NOT_FOUND)
# A feed with one of these slugs would overwrite a site page with its own.
RESERVED_SLUGS = frozenset(name.rpartition(".")[0] for name in SITE_FILES if name.endswith(".html"))


def is_slug(text: str) -> bool:
    return bool(SLUG_RE.match(text)) and text not in (".", "..")


def file_name(slug: str, fmt: str) -> str:
    return f"{slug}.{fmt}"


def feed_files(slug: str, formats: tuple[str, ...] = FORMATS) -> tuple[str, ...]:
    """The names of one feed's files, one per format."""
    return tuple(file_name(slug, fmt) for fmt in formats)


def slug_of(name: str) -> str | None:
    """The slug a feed file name belongs to, or None if the name is no feed file of ours."""
    stem, dot, fmt = name.rpartition(".")
    if not dot or fmt not in FORMATS or stem in RESERVED_SLUGS:
        return None
    return stem if is_slug(stem) else None


def is_ours(name: str) -> bool:
    """Whether a name in the output folder is one feeds may write (and so delete)."""
    return name in SITE_FILES or slug_of(name) is not None


def content_type(name: str) -> str:
    """The Content-Type to serve a file under (by its extension, case-insensitively)."""
    _, dot, ext = name.rpartition(".")
    media = MEDIA_TYPES.get(ext.lower()) if dot else None
    return f"{media}; charset=utf-8" if media else DEFAULT_CONTENT_TYPE


def image_type(url_path: str) -> str | None:
    """The media type of an image by its URL path's extension (None: not one we know)."""
    name = url_path.rpartition("/")[2]
    stem, dot, ext = name.rpartition(".")
    return IMAGE_TYPES.get(ext.lower()) if dot and stem else None
