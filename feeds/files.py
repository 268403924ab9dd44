"""What a feed's files are called (slug <-> file names) and what type they are served as.

A slug is a file name stem inside the output folder, so it may not name a folder or leave
it; every module that turns slugs into names (render, publish, the manifest) asks here.
Whatever serves the files (``feeds serve``, an object store) takes their types from here too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
FORMATS = ("atom", "rss")  # each is also its file's extension

# Served types by extension, fixed rather than from /etc/mime.types (which maps .rss to
# application/x-rss+xml on Debian and knows no .opml); every file we write is UTF-8.
CONTENT_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "atom": "application/atom+xml; charset=utf-8",
        "rss": "application/rss+xml; charset=utf-8",
        "json": "application/feed+json; charset=utf-8",
        "html": "text/html; charset=utf-8",
        "opml": "text/x-opml; charset=utf-8",
    }
)
DEFAULT_CONTENT_TYPE = "application/octet-stream"


def is_slug(text: str) -> bool:
    return bool(SLUG_RE.match(text)) and text not in (".", "..")


def file_name(slug: str, fmt: str) -> str:
    return f"{slug}.{fmt}"


def feed_files(slug: str) -> tuple[str, ...]:
    """The names of one feed's files, one per format."""
    return tuple(file_name(slug, fmt) for fmt in FORMATS)


def slug_of(name: str) -> str | None:
    """The slug a feed file name belongs to, or None if the name is no feed file of ours."""
    stem, dot, fmt = name.rpartition(".")
    return stem if dot and fmt in FORMATS and is_slug(stem) else None


def content_type(name: str) -> str:
    """The Content-Type to serve a file under (by its extension, case-insensitively)."""
    _, dot, ext = name.rpartition(".")
    return CONTENT_TYPES.get(ext.lower(), DEFAULT_CONTENT_TYPE) if dot else DEFAULT_CONTENT_TYPE
