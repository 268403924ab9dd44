"""Text and URL hygiene shared by every field that reaches a feed.

XML 1.0 forbids most control characters, lone surrogates and U+FFFE/U+FFFF; lxml refuses to
serialise them, so one stray byte in one seed would otherwise cost a whole feed.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Characters XML 1.0 does not allow, plus the C1 controls that readers show as garbage.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")


def strip_illegal(value: str) -> str:
    """Remove characters that cannot appear in an XML 1.0 document."""
    return _ILLEGAL.sub("", value)


def clean_text(value: str) -> str:
    """One line of readable text: illegal characters removed, whitespace collapsed."""
    return _SPACE.sub(" ", strip_illegal(value)).strip()


def clean_url(value: object) -> str | None:
    """An absolute http(s) URL with surrounding whitespace removed, or None.

    Anything else (``javascript:``, ``data:``, relative paths, no host) must never reach a
    reader, who would follow it with one click.
    """
    if not isinstance(value, str):
        return None
    url = strip_illegal(value).strip()
    if not url or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url
