"""Text and URL hygiene shared by every field that reaches a feed.

XML 1.0 forbids most control characters, lone surrogates and U+FFFE/U+FFFF; lxml refuses to
serialise them, so one stray byte in one seed would otherwise cost a whole feed.
"""

from __future__ import annotations

import functools
import html
import ipaddress
import re
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import nh3

# Characters XML 1.0 does not allow, plus the C1 controls that readers show as garbage.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")
# What a YAML stream may not contain (PyYAML's reader refuses the whole document).
_YAML_UNACCEPTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


@functools.cache
def _ftfy() -> Any:
    """ftfy, imported on first need: it costs ~60 ms of start-up, and ASCII text never needs it."""
    import ftfy
    import ftfy.badness

    return ftfy


def strip_illegal(value: str) -> str:
    """Remove characters that cannot appear in an XML 1.0 document."""
    return _ILLEGAL.sub("", value)


def repair_for_yaml(text: str) -> tuple[str, int]:
    """Text a YAML parser accepts, and how many characters were repaired or removed.

    Mojibake is fixed first (its C1 characters are what often trips the parser), then the
    remaining control characters are removed: one stray byte must not cost the whole seed.
    """
    count = len(_YAML_UNACCEPTABLE.findall(text))
    if not count:
        return text, 0
    text = _ftfy().fix_text(
        text, uncurl_quotes=False, unescape_html=False, fix_line_breaks=False, normalization=None
    )
    return _YAML_UNACCEPTABLE.sub("", text), count


def clean_text(value: str) -> str:
    """One line of readable text: illegal characters removed, whitespace collapsed."""
    return _SPACE.sub(" ", strip_illegal(value)).strip()


def strip_tags(value: str) -> str:
    """Plain text from text that may carry markup or entities (``&lt;b&gt;`` included).

    Tags are removed by a real HTML parser (nh3); script and style contents go with them.
    Done twice so markup hidden behind entities cannot survive as text a reader might render.
    """
    for _ in range(2):
        if "<" not in value and "&" not in value:
            break
        value = html.unescape(nh3.clean(value, tags=set()))
    return value


def truncate(text: str, limit: int) -> str:
    """Cap ``text`` at ``limit`` characters, cutting at a word boundary and adding an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: max(1, limit - 1)]
    if not text[len(cut)].isspace():  # the cut falls inside a word: back up to its start
        space = cut.rfind(" ")
        if space > limit // 2:
            cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def repair_text(value: str, limit: int | None = None) -> str:
    """Readable text from scraped text: mojibake fixed, markup and entities removed, one line.

    Oversized input is cut before the expensive steps so a 5 MB field costs no more than a
    page of text.
    """
    if limit is not None and len(value) > 4 * limit + 64:
        value = value[: 4 * limit + 64]
    # ftfy is the costliest step, and mojibake is non-ASCII text that looks wrong: ftfy runs
    # only when its own badness heuristic fires (so ASCII and clean text are left as written).
    if not value.isascii() and _ftfy().badness.is_bad(value):
        value = _ftfy().fix_text(value, uncurl_quotes=False, unescape_html=False)
    text = clean_text(strip_tags(value))
    return truncate(text, limit) if limit is not None else text


_HAS_SPACE = re.compile(r"\s")
# An ASCII http(s) URL (no port, no user) made only of characters that need no escaping.
_PCHAR = r"(?:[A-Za-z0-9/:@!$&'()*+,;=._~-]|%[0-9A-Fa-f]{2})"
_QCHAR = rf"(?:{_PCHAR}|\?)"
_PLAIN_URL = re.compile(
    rf"^https?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?"
    rf"(?:/{_PCHAR}*)?(?:\?{_QCHAR}*)?(?:#{_QCHAR}*)?$"
)
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HOST = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# Characters a URL path may carry as they are (RFC 3986 pchar, "/" and escapes); a query
# or fragment may also carry "?".
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"


def clean_url(value: object) -> str | None:
    """An absolute ASCII http(s) URL, or None.

    Surrounding whitespace is trimmed; an IRI becomes a URL (IDNA host, percent-encoded
    path), as RSS and Atom links require. Anything else (``javascript:``, ``data:``,
    relative paths, no host, spaces inside) must never reach a reader, who would follow it
    with one click.
    """
    if not isinstance(value, str):
        return None
    if _PLAIN_URL.match(value):  # the common case, already clean: no parsing needed
        return value
    url = strip_illegal(value).strip()
    if not url or _HAS_SPACE.search(url):
        return None
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        return None
    netloc = parts.netloc
    if not netloc.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
        netloc = host if port is None else f"{host}:{port}"
    if not _HOST.match(host) and not _is_ip(host):
        return None

    def escape(part: str, safe: str) -> str:
        return quote(_STRAY_PERCENT.sub("%25", part), safe=safe)

    return urlunsplit(
        (
            scheme,
            netloc,
            escape(parts.path, _PATH_SAFE),
            escape(parts.query, _QUERY_SAFE),
            escape(parts.fragment, _QUERY_SAFE),
        )
    )
