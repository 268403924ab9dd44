"""URLs as browsers read them: the WHATWG URL test data's tricky shapes, site.url, and the W3C
validator as the judge of everything clean_url lets through."""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

import pytest

from feeds.config import parse_config
from feeds.items import normalize
from feeds.pipeline import build
from feeds.urls import canonical, clean_url, is_canonical, site_url
from tests.helpers import SITE, w3c_validate

# Shapes from web-platform-tests' url/resources/urltestdata.json, and what a reader may
# follow: the host a browser goes to, no credentials, only characters RFC 3986 allows.
CASES = [
    # backslashes: a browser reads "\" as "/", so this goes to evil.example
    ("http://evil.example\\@good.example/x", "http://evil.example/@good.example/x"),
    ("https:/\\example.com/x", "https://example.com/x"),
    ("http://example.com/a\\b?c\\d#e\\f", "http://example.com/a/b?c%5Cd#e%5Cf"),
    # credentials are never published; the host is what follows the last "@"
    ("http://user:pass@example.com/x", "http://example.com/x"),
    ("http://user@example.com@evil.example/", "http://evil.example/"),
    ("http://example.com%2F@evil.example/", "http://evil.example/"),
    ("https://@test@test@example.com:800/", "https://example.com:800/"),
    # IP literals (IPv6 in brackets, IPv4 in any spelling) are dropped
    ("http://[::1]:8080/x", None),
    ("http://[::ffff:127.0.0.1]/", None),
    ("http://127.0.0.1/x", None),
    ("http://0x7f.1/", None),
    ("http://2130706433/", None),
    ("http://256/", None),
    # IDN hosts become punycode; invalid punycode is refused
    ("http://bücher.example/ö", "http://xn--bcher-kva.example/%C3%B6"),
    ("HTTPS://bücher.example/straße?q=ü", "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC"),
    ("http://你好你好.cn/", "http://xn--6qqa088eba.cn/"),
    ("http://www.foo。bar.com/", "http://www.foo.bar.com/"),
    ("http://Ｇｏ.com", "http://go.com/"),
    ("http://xn--pokxncvks.com/", None),
    # spaces and quotes are percent-encoded, as a browser does
    ("http://example.com/a b?c d#e f", "http://example.com/a%20b?c%20d#e%20f"),
    ("  http://example.com/trim \n", "http://example.com/trim"),
    ('http://example.com/"q"?"q"#"q"', "http://example.com/%22q%22?%22q%22#%22q%22"),
    ("http://example.com/'q'?'q'#'q'", "http://example.com/'q'?%27q%27#'q'"),
    ("http://example.com/<x>?<x>#<x>", "http://example.com/%3Cx%3E?%3Cx%3E#%3Cx%3E"),
    ('https://exa"mple.org/', None),
    ("https://\u00a0ut.example/", None),
    # what WHATWG leaves raw but the W3C validator rejects
    (
        "http://example.com/[]|^{}`?[]|^{}`#[]|^{}`",
        "http://example.com/%5B%5D%7C%5E%7B%7D%60?%5B%5D%7C%5E%7B%7D%60#%5B%5D%7C%5E%7B%7D%60",
    ),
    ("https://example.org/a[1]?b=[2]#c#d", "https://example.org/a%5B1%5D?b=%5B2%5D#c%23d"),
    ("https://example.org/100%?x=%zz&y=%2F", "https://example.org/100%25?x=%25zz&y=%2F"),
    ("http://example.com/\u202e/x", "http://example.com/%E2%80%AE/x"),
    # canonical forms: one URL, one id
    ("HTTP://EXAMPLE.COM:80/a/../b", "http://example.com/b"),
    ("http://example.com/a/%2e%2E/b", "http://example.com/b"),
    ("https://example.com:443/", "https://example.com/"),
    ("https://example.org:8443/a", "https://example.org:8443/a"),
    ("http://exa\tmple.com/a\nb", "http://example.com/ab"),
    ("http:example.com/x", "http://example.com/x"),
    ("http://%65xample.com/", "http://example.com/"),
    # never a reader's click
    ("javascript:alert(1)", None),
    ("JaVaScRiPt:alert(1)", None),
    ("java\tscript:alert(1)", None),
    ("data:text/html,<script>alert(1)</script>", None),
    ("ftp://example.org/file", None),
    ("//example.com/x", None),
    ("/relative/path", None),
    ("https://", None),
    ("http://example.org:99999/", None),
    ("http://localhost/", None),
    ("http://foo.09../", None),
    ("http://-bad.example/", None),
    ("http://" + "a" * 64 + ".com/", None),
    ("http://example.com/\ud800x", "http://example.com/x"),
    (42, None),
    (None, None),
]
# RFC 3986, restricted to what clean_url may produce; and the W3C validator's URI characters.
_PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
RFC3986 = re.compile(
    rf"https?://[a-z0-9._-]+(?::[0-9]+)?(?:/{_PCHAR}*)*"
    rf"(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?"
)


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_clean_url_reads_urls_as_a_browser_does(raw: object, expected: str | None) -> None:
    assert clean_url(raw) == expected


def test_clean_urls_are_rfc_3986_and_stable() -> None:
    for raw, _ in CASES:
        url = clean_url(raw)
        if url is not None:
            assert RFC3986.fullmatch(url), url
            assert clean_url(url) == url


def test_the_fast_path_agrees_with_the_parser() -> None:
    """URLs built from tricky pieces: whenever the regex fast path says a URL is already
    canonical, parsing it gives it back unchanged."""
    pieces = ["a", "B", "/", ".", "..", "%2e", "%41", "%zz", "%", "?", "#", "'", "~", "-", "@"]
    hosts = ["example.com", "a-b.example.org", "xn--bcher-kva.example", "EX.com", "x.y.co"]
    rng = random.Random(7)
    fast = 0
    for _ in range(3000):
        rest = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        url = f"{rng.choice(['http', 'https', 'HTTP'])}://{rng.choice(hosts)}/{rest}"
        if is_canonical(url):
            fast += 1
            assert canonical(url) == url, url
        assert clean_url(url) == canonical(url), url
    assert fast > 300  # the fast path was exercised


def test_every_kept_url_passes_the_w3c_validator(tmp_path: Path) -> None:
    kept = sorted({u for u in (clean_url(raw) for raw, _ in CASES) if u})
    config = parse_config({"site": SITE, "feeds": [{"slug": "urls", "title": "URLs"}]}, tmp_path)
    items = [
        normalize(
            {
                "title": f"URL {n}",
                "publishedDateTime": "2024-01-01",
                "originalUrl": url,
                "webUrl": url,
                "images": [{"url": url}],
                "related": [{"title": "Also", "webUrl": url}],
            },
            f"u{n}.md",
        ).item
        for n, url in enumerate(kept)
    ]
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    paths = []
    for name, data in build(config, items, now).files().items():
        if name.endswith((".atom", ".rss")):
            (tmp_path / name).write_bytes(data)
            paths.append(tmp_path / name)
    w3c_validate(paths)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://example.org/feeds/", "https://example.org/feeds/"),
        ("https://example.org/feeds", "https://example.org/feeds/"),  # the slash is added
        ("https://example.org", "https://example.org/"),
        ("HTTPS://Example.ORG:443/News", "https://example.org/News/"),
        ("https://bücher.example/neu", "https://xn--bcher-kva.example/neu/"),
        ("http://localhost:8000", "http://localhost:8000/"),  # a local preview
        ("http://192.168.1.5/feeds/", "http://192.168.1.5/feeds/"),
        ("https://example.org/a|b/", "https://example.org/a%7Cb/"),
    ],
)
def test_site_url_is_made_canonical(raw: str, expected: str) -> None:
    assert site_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("https://example.org/feeds/?x=1", "must not have a query"),
        ("https://example.org/feeds/?", "must not have a query"),
        ("https://example.org/feeds/#top", "must not have a fragment"),
        ("https://user:pw@example.org/", "must not contain credentials"),
        ("https://user@example.org/", "must not contain credentials"),
        ("https://example.org/my feeds/", "contains a space"),
        (" https://example.org/", "contains a space"),
        ("http://[::1]/feeds/", "an IPv6 host"),
        ("https://my_site.example/", "not a valid host name"),
        ("ftp://example.org/", "expected an absolute http(s) URL"),
        ("example.org/feeds/", "expected an absolute http(s) URL"),
    ],
)
def test_site_url_refuses_what_would_break_every_link(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        site_url(raw)
