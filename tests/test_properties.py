"""Property tests: any record, with any unicode in any field, yields valid feeds."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.config import parse_config
from feeds.items import normalize
from feeds.pipeline import build
from feeds.problems import SeedError
from feeds.site import RenderSettings
from tests.helpers import SITE, parse_feed, w3c_validate

CONFIG = parse_config(
    {
        "site": SITE,
        "feeds": [
            {"slug": "full", "title": "Full", "include_unpublished": True, "min_quality": -(10**9)},
            {
                "slug": "summary",
                "title": "Summary",
                "include_unpublished": True,
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
scalars = st.one_of(st.none(), anything, st.integers(), st.booleans(), st.floats())
provider = st.one_of(
    scalars, st.fixed_dictionaries({}, optional={"name": scalars, "domain": scalars})
)
image = st.fixed_dictionaries({"url": urls}, optional={"width": scalars, "height": scalars})
related = st.fixed_dictionaries(
    {},
    optional={
        "title": scalars,
        "excerpt": scalars,
        "webUrl": urls,
        "originalUrl": urls,
        "publishedDateTime": dates,
        "quality": scalars,
        "provider": provider,
    },
)
record = st.fixed_dictionaries(
    {"title": st.one_of(anything, scalars)},
    optional={
        "excerpt": scalars,
        "publishedDateTime": dates,
        "originalUrl": urls,
        "webUrl": urls,
        "type": st.one_of(st.just("video"), scalars),
        "quality": scalars,
        "published": scalars,
        "heat": scalars,
        "featuredContent": anything,
        "provider": provider,
        "topics": st.one_of(
            scalars, st.lists(st.one_of(st.sampled_from("abc"), anything), max_size=5)
        ),
        "images": st.one_of(scalars, st.lists(image, max_size=3)),
        "related": st.one_of(scalars, st.lists(related, max_size=4)),
    },
)


def test_any_records_give_valid_feeds(tmp_path: Path) -> None:
    written: list[Path] = []
    counter = itertools.count()

    @settings(
        max_examples=300,
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

    check()
    # One validator run for every file: it starts in ~0.5 s, and validates in milliseconds.
    w3c_validate(written)
