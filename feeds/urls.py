"""URLs as browsers read them: parsed by the WHATWG URL Standard (ada-url), then narrowed to
what every feed reader and the W3C Feed Validator accept.

A URL published in a feed is followed with one click, so it must lead where a browser would
go (``http://evil.example\\@good.example/`` goes to evil.example), carry no credentials, and
hold only characters RFC 3986 allows. No URL is parsed by hand here: ada-url does the parsing,
and the regular expressions below only read its canonical serialisation.
"""

from __future__ import annotations

import re

from ada_url import URL, HostType, idna_to_unicode

from feeds.messages import quoted
from feeds.text import strip_illegal

# A DNS name of two or more labels (letters, digits, "-", "_"; no edge hyphen; at most 63
# each), the last a letter TLD or punycode, with an optional root dot.
_LABEL = r"(?!-)[a-z0-9_-]{1,63}(?<!-)"
_DOMAIN = re.compile(
    rf"(?=.{{1,253}}\.?$)(?:{_LABEL}\.)+(?:[a-z]{{2,63}}|xn--[a-z0-9-]{{1,59}})\.?"
)
# A WHATWG href of an http(s) URL: scheme, userinfo (its "@" and "/" are escaped), host,
# port, path, query, fragment. Only ada-url's canonical output is matched against this.
_HREF = re.compile(
    r"(https?:)//(?:[^@/]*@)?([^:/]*)(:\d+)?([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.DOTALL
)
# What WHATWG serialises unescaped but RFC 3986 (and the W3C validator) forbids:
# [ ] | ^ { } \ ` a "%" that starts no escape and, in a fragment, a second "#".
_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]|%(?![0-9A-Fa-f]{2})")
# Already clean (the common case, ~20x cheaper than parsing): lowercase scheme and domain,
# no port or userinfo, and only characters neither WHATWG nor _UNSAFE would change ("'" is
# escaped in a query by WHATWG). Verified equal to the slow path by tests/test_urls.py.
_CLEAN = re.compile(
    r"https?://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
    r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*(?:\?[A-Za-z0-9\-._~!$&()*+,;=:@/?%]+)?"
    r"(?:#[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]+)?"
)
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_DOT_SEGMENT = re.compile(r"/(?:\.|%2e)", re.IGNORECASE)  # WHATWG would resolve it
# A site's host: any LDH name (single-label ones like "localhost" included) or IPv4.
_SITE_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?\.?")
MAX_LENGTH = 4096


def _escape(part: str) -> str:
    return _UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", part)


def _parse(value: str) -> URL | None:
    try:
        return URL(strip_illegal(value))  # a parser must never see XML-illegal or C1 characters
    except ValueError:  # not a URL (a lone surrogate's UnicodeEncodeError is one too)
        return None


def clean_url(value: object) -> str | None:
    """An absolute http(s) URL a reader can follow, or None.

    Parsed as a browser parses it: surrounding spaces and inner tabs and newlines dropped,
    backslashes read as slashes, IDN hosts to punycode, spaces and other characters
    percent-encoded, default ports and dot segments removed, credentials dropped. Refused:
    other schemes, relative references, IP-literal and single-label hosts (news links never
    need them, and the W3C validator rejects bracketed hosts).
    """
    if not isinstance(value, str) or len(value) > MAX_LENGTH:
        return None
    return value if is_canonical(value) else canonical(value)


def is_canonical(value: str) -> bool:
    """The fast path: whether ``value`` is already what :func:`canonical` would make of it."""
    return bool(
        _CLEAN.fullmatch(value)
        and "xn--" not in value
        and not _DOT_SEGMENT.search(value)
        and not _STRAY_PERCENT.search(value)
    )


def canonical(value: str) -> str | None:
    """The slow path of :func:`clean_url`: parse with ada-url, then check and escape."""
    url = _parse(value)
    if url is None or url.host_type != HostType.DEFAULT:  # IPv4 or IPv6 literal
        return None
    parts = _HREF.fullmatch(url.href)
    if parts is None:  # not http(s)
        return None
    scheme, host, port, path, query, fragment = parts.groups()
    if not _DOMAIN.fullmatch(host) or _bad_punycode(host):
        return None
    return "".join(
        (
            scheme,
            "//",
            host,
            port or "",
            _escape(path),
            "?" + _escape(query) if query else "",
            "#" + _escape(fragment) if fragment else "",
        )
    )


def _bad_punycode(host: str) -> bool:
    """Whether an ASCII ``xn--`` label is not valid punycode (ada-url lets those through):
    a valid one decodes to Unicode, an invalid one comes back unchanged."""
    return "xn--" in host and any(
        label.startswith("xn--") for label in idna_to_unicode(host).split(".")
    )


def site_url(value: str) -> str:
    """``site.url`` as feeds publish under it: canonical, ending in "/"; or ValueError(why).

    Every self link and id is this URL plus a file name, so anything that would make them
    wrong is refused rather than repaired: a query, a fragment, credentials, spaces.
    ``localhost`` and IPv4 hosts are allowed (for previews); IPv6 literals are not (the W3C
    validator rejects bracketed hosts).
    """
    if any(ch.isspace() for ch in value):
        raise ValueError(f"contains a space: {quoted(value)} (encode it as %20)")
    url = _parse(value)
    if url is None or url.protocol not in ("http:", "https:"):
        raise ValueError(f"expected an absolute http(s) URL, got {quoted(value)}")
    if url.username or url.password:
        raise ValueError(f"must not contain credentials (user:password@): {quoted(value)}")
    href = url.href
    if "?" in href:
        raise ValueError(f"must not have a query ('?...'): {quoted(value)}")
    if "#" in href:
        raise ValueError(f"must not have a fragment ('#...'): {quoted(value)}")
    host = url.hostname
    if url.host_type == HostType.IPV6:
        raise ValueError(f"an IPv6 host is not allowed in feed links: {quoted(value)}")
    if not _SITE_HOST.fullmatch(host) or _bad_punycode(host):
        raise ValueError(f"{quoted(host)} is not a valid host name: {quoted(value)}")
    href = _escape(href)
    return href if href.endswith("/") else href + "/"


def hub_url(value: str) -> str:
    """A WebSub hub's URL as feeds announce and ping it: canonical; or ValueError(why).

    A hub may take a query; like ``site.url`` it may be on ``localhost`` or an IPv4 host (a
    hub on the same network), but carries no credentials and no IPv6 literal (the W3C
    validator rejects bracketed hosts in feed links).
    """
    url = _parse(value) if not any(ch.isspace() for ch in value) else None
    if url is None or url.protocol not in ("http:", "https:"):
        raise ValueError(f"expected an absolute http(s) URL, got {quoted(value)}")
    if url.username or url.password:
        raise ValueError(f"must not contain credentials (user:password@): {quoted(value)}")
    if url.host_type == HostType.IPV6 or not _SITE_HOST.fullmatch(url.hostname):
        raise ValueError(f"{quoted(url.hostname)} is not a valid host name: {quoted(value)}")
    return _escape(url.href)
