"""Property tests: any record, with any unicode or markup in any field, yields valid feeds in
which nothing can run, however often a reader unescapes what it reads."""

from __future__ import annotations

import datetime as dt
import html
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feeds.config import parse_config
from feeds.items import normalize
from feeds.pipeline import build
from feeds.problems import SeedError
from feeds.site import RenderSettings
from tests.helpers import SITE, inert_everywhere, parse_feed, w3c_validate

CONFIG = parse_config(
    {
        "site": SITE,
        "feeds": [
            {"slug": "full", "title": "Full", "status": "any", "min_quality": -(10**9)},
            {
                "slug": "summary",
                "title": "Summary",
                "status": "any",
                "content": "summary",
                "topics": ["a", "b", "c"],
            },
        ],
    },
    Path("/x/config.yaml"),
)
SETTINGS = RenderSettings.of(CONFIG)
NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)

anything = st.text()  # every code point, surrogates and controls included
# Markup a reader must never run, and text that must stay text, encoded 0 to 5 times.
PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<x autofocus onfocus=alert(1)>",
    "<svg onload=alert(1)></svg>",
    '<a href="javascript:alert(1)">x</a>',
    '" onmouseover="alert(1)',
    "<!--<img src=x onerror=alert(1)>-->",
    "<iframe src=javascript:alert(1)>",
    "P<NP",
    "x <y onclick=alert(1)",
    "I <3 NY",
]


def _encoded(text: str, depth: int) -> str:
    for _ in range(depth):
        text = html.escape(text, quote=depth % 2 == 0)
    return text


markup = st.builds(
    lambda before, payload, depth, after: before + _encoded(payload, depth) + after,
    st.text(max_size=5),
    st.sampled_from(PAYLOADS),
    st.integers(0, 5),
    st.text(max_size=5),
)
text = st.one_of(anything, markup)
urls = st.one_of(
    anything,
    st.builds(
        lambda scheme, host, path: f"{scheme}://{host}/{path}",
        st.sampled_from(["http", "https", "HTTPS", "javascript", "data", "ftp"]),
        st.one_of(st.just("example.org"), anything),
        anything,
    ),
    st.just("https://example.org/ok"),
)
dates = st.one_of(
    st.datetimes(
        min_value=dt.datetime(1, 1, 2),
        max_value=dt.datetime(9999, 12, 30),
        timezones=st.one_of(st.none(), st.timezones()),
    ).map(lambda d: d.isoformat()),
    anything,
    st.integers(),
    st.dates().map(str),
)
scalars = st.one_of(st.none(), text, st.integers(), st.booleans(), st.floats())
provider = st.one_of(
    scalars, st.fixed_dictionaries({}, optional={"name": scalars, "domain": scalars})
)
image = st.fixed_dictionaries(
    {"url": st.one_of(urls, st.just("https://example.org/i.jpg"))},
    optional={"width": scalars, "height": scalars},
)
related = st.fixed_dictionaries(
    {},
    optional={
        "title": scalars,
        "webUrl": urls,
        "originalUrl": urls,
        "publishedDateTime": dates,
        "quality": scalars,
        "provider": provider,
    },
)
record = st.fixed_dictionaries(
    {"title": st.one_of(text, scalars)},
    optional={
        "excerpt": scalars,
        "publishedDateTime": dates,
        "originalUrl": urls,
        "webUrl": urls,
        "type": st.one_of(st.just("video"), scalars),
        "quality": st.one_of(scalars, st.sampled_from(["49.5", " 80 ", "1e2", ".nan"])),
        "published": scalars,
        "heat": scalars,
        "featuredContent": text,
        "provider": provider,
        "topics": st.one_of(
            scalars,
            st.lists(
                st.one_of(st.sampled_from(["a", "B", "c!", "C++", "Ελληνικά"]), text), max_size=5
            ),
        ),
        "images": st.one_of(scalars, st.lists(image, max_size=3)),
        "related": st.one_of(scalars, st.lists(related, max_size=4)),
    },
)


# Each payload, encoded 0 to 5 times, in every text field of entries with an image (the title
# becomes an alt attribute) and related coverage: tried first, as explicit examples.
HOSTILE_EXAMPLES = [
    [
        {
            "title": f"{_encoded(payload, depth)} title",
            "excerpt": f"{_encoded(payload, depth)} excerpt",
            "webUrl": f"https://example.org/{depth}",
            "type": "video",
            "images": [{"url": "https://example.org/i.jpg"}],
            "related": [{"title": _encoded(payload, depth), "webUrl": "https://example.org/r"}],
            "provider": {"name": _encoded(payload, depth)},
            "topics": ["a", _encoded(payload, depth)],
        }
        for depth in range(6)
    ]
    for payload in PAYLOADS
]


def test_any_records_give_valid_feeds(tmp_path: Path) -> None:
    _any_records_give_valid_feeds(tmp_path, examples=60)


@pytest.mark.slow
def test_many_more_records_give_valid_feeds(tmp_path: Path) -> None:
    _any_records_give_valid_feeds(tmp_path, examples=300)


def _any_records_give_valid_feeds(tmp_path: Path, examples: int) -> None:
    written: list[Path] = []
    counter = itertools.count()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(record, min_size=1, max_size=4))
    def check(records: list[dict]) -> None:
        items = []
        for i, rec in enumerate(records):
            rec.setdefault("publishedDateTime", "2024-01-01T00:00:00Z")
            try:
                items.append(normalize(rec, f"seed{i}.md", "example.org").item)
            except SeedError as exc:
                assert "\n" not in str(exc) and exc.reason
        n = next(counter)
        for name, data in build(CONFIG, items, NOW, settings=SETTINGS).files().items():
            # Nothing can run in any format, even for a reader that decodes too often.
            assert inert_everywhere(name, data) == [], name
            if not name.endswith((".atom", ".rss")):
                continue
            parsed = parse_feed(data)
            if name.startswith("full"):
                kept = {
                    i.id
                    for i in items
                    if i.published <= NOW and (i.quality is None or i.quality >= -(10**9))
                }
                assert len(parsed.entries) == len(kept)
            path = tmp_path / f"{n:04d}" / name  # the file name must match its self link
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
            written.append(path)

    for records in HOSTILE_EXAMPLES:
        check = example(records)(check)
    check()
    # One validator run for every file: it starts in ~0.5 s, and validates in milliseconds.
    w3c_validate(written)


_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "https://a.example/x",
            "http://b.example/y?q=1",
            "javascript:alert(1)",
            "//c.example/z",
            "2024-03-05T10:00:00Z",
            "2024-02-20",
            "2024-03-05T10:00:00+05:00",
            "mojibake patientâ€™s",
            "<b>bold</b> &amp; more",
            "NA",
        ]
    ),
)
# Dates around the item's (2024-03-01T10:00Z) and its 30-day update window's edges.
_when_near = st.sampled_from(
    [
        "2024-03-01T10:00:00Z",
        "2024-03-01T10:00:01Z",
        "2024-03-15T10:00:00Z",
        "2024-03-20",
        "2024-03-31T10:00:00Z",
        "2024-03-31T10:00:01Z",
        "2024-03-31T15:00:00+05:00",
        "2024-02-28T10:00:00Z",
    ]
)
_when = st.one_of(_when_near, _scalar)
_related_entry = st.one_of(
    _scalar,
    st.fixed_dictionaries(
        {},
        optional={
            "title": st.one_of(st.sampled_from(["Story", "Other story", "  "]), _scalar),
            "webUrl": st.one_of(
                st.sampled_from(["https://a.example/1", "https://b.example/2"]), _scalar
            ),
            "originalUrl": _scalar,
            "publishedDateTime": _when,
            "quality": _scalar,
            "provider": st.one_of(
                _scalar,
                st.fixed_dictionaries({}, optional={"name": _scalar, "domain": _scalar}),
            ),
        },
    ),
    # a plausible entry: usable more often than not, dated near the update window's edges
    st.fixed_dictionaries(
        {
            "title": st.sampled_from(["Story", "Other story", " ", "<b>x</b>"]),
            "webUrl": st.sampled_from(["https://a.example/1", "https://b.example/2", "ftp://c"]),
            "publishedDateTime": _when_near,
        },
        optional={"quality": st.integers(0, 200), "provider": st.just({"name": "Outlet"})},
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(related=st.one_of(_scalar, st.lists(_related_entry, max_size=24)))
def test_pending_related_resolves_exactly_as_eager_normalising(related) -> None:
    """Whatever a seed's related list holds, leaving it pending until an entry shows it
    (through msgpack, as workers and the parse cache carry it) changes no entry, no
    `updated` time and no note."""
    import msgspec

    from feeds.extras import Extras, split_all
    from feeds.items import normalize

    record = {"title": "T", "publishedDateTime": "2024-03-01T10:00:00Z", "related": related}
    eager = normalize(record, "a.md")
    lazy = normalize(record, "a.md", lazy_related=True)
    records, chunks = split_all([lazy.item])
    extras = Extras()
    extras.add(records, [msgspec.msgpack.decode(msgspec.msgpack.encode(c)) for c in chunks])
    item = extras.item(records[0])
    assert item.related == eager.item.related
    assert item.updated == eager.item.updated
    assert lazy.notes == eager.notes
