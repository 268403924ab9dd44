"""What a feed's files are called: slug <-> file names, in one place.

A slug is a file name stem inside the output folder, so it may not name a folder or leave
it; every module that turns slugs into names (render, publish, the manifest) asks here.
"""

from __future__ import annotations

import re

SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
FORMATS = ("atom", "rss")  # each is also its file's extension


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
