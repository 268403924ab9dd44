import datetime as dt

import pytest

from feeds.items import normalize, parse_time
from feeds.problems import SeedError
from feeds.seeds import SeedFile, read_seed
from tests.helpers import SHIPPED_SEEDS

UTC = dt.UTC


def _shipped(name: str):
    return normalize(read_seed(SeedFile(SHIPPED_SEEDS / name, name)).record, name).item


def test_shipped_seed_is_fully_normalized() -> None:
    item = _shipped("002_76f7f447675fac2e.txt")
    assert item.id.startswith("https://markets.businessinsider.com/news/stocks/researchers")
    assert item.link == item.id
    assert item.title.startswith("Researchers Present Global Effort")
    assert item.published == dt.datetime(2021, 11, 6, 12, 40, tzinfo=UTC)
    assert item.quality == 35
    assert item.is_published is False
    assert item.topics == ("Machine Learning", "AI")
    assert item.provider is not None and item.provider.name == "Business Insider"
    assert item.images[0].url == "https://mma.prnewswire.com/media/465239/HSS_Logo.jpg"
    assert item.images[0].width == 400
    assert [r.provider.name for r in item.related] == ["Medical Xpress", "News Medical"]


def test_seed_without_original_url_uses_web_url() -> None:
    item = _shipped("001_76f7c6560e1e5ab9.txt")
    assert (
        item.id == item.link == "https://www.eurekalert.org/pub_releases/2020-07/cwru-sua072820.php"
    )


def test_original_url_is_the_id_and_web_url_the_link() -> None:
    item = normalize(
        {
            "title": "t",
            "publishedDateTime": "2024-01-01T00:00:00Z",
            "originalUrl": "https://a.example/x",
            "webUrl": "https://b.example/y",
        },
        "s.md",
    ).item
    assert (item.id, item.link) == ("https://a.example/x", "https://b.example/y")


def test_seed_without_urls_gets_a_tag_id_from_its_path() -> None:
    item = normalize(
        {"title": "t", "publishedDateTime": "2024-01-01T00:00:00Z"}, "2024/a b.md", "example.org"
    ).item
    assert item.id == "tag:example.org,2024:2024/a%20b.md"
    assert item.link is None


def test_old_records_without_quality_or_published() -> None:
    item = normalize({"title": "t", "publishedDateTime": "2019-01-01"}, "s.md").item
    assert item.quality is None and item.is_published is None
    assert item.published == dt.datetime(2019, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-01T10:00:00", dt.datetime(2024, 3, 1, 10, tzinfo=UTC)),  # naive means UTC
        ("2024-03-01T12:00:00+02:00", dt.datetime(2024, 3, 1, 10, tzinfo=UTC)),
        (dt.datetime(2024, 3, 1, 10), dt.datetime(2024, 3, 1, 10, tzinfo=UTC)),
        (dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, tzinfo=UTC)),
    ],
)
def test_times_are_timezone_aware_utc(value: object, expected: dt.datetime) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"publishedDateTime": "2024-01-01"}, "title: missing"),
        ({"title": ["a"], "publishedDateTime": "2024-01-01"}, "title: expected text, got a list"),
        ({"title": "t"}, "publishedDateTime: missing"),
        ({"title": "t", "publishedDateTime": "yesterday"}, "not an ISO 8601 date"),
        ({"title": "t", "publishedDateTime": 1700000000}, "expected an ISO 8601 date"),
        (
            {"title": "t", "publishedDateTime": "0120-03-27"},
            r"year 120 is out of range \(1900-9998\)",
        ),
    ],
)
def test_unrepairable_records_name_the_key(record: dict, message: str) -> None:
    with pytest.raises(SeedError, match=message):
        normalize(record, "s.md")


def test_repairable_fields_are_repaired_with_a_note() -> None:
    result = normalize(
        {
            "title": "t",
            "publishedDateTime": "2024-01-01",
            "quality": "high",
            "topics": "AI",
            "published": "yes",
            "webUrl": "javascript:alert(1)",
        },
        "s.md",
    )
    item = result.item
    assert item.quality is None
    assert item.topics == ("AI",)
    assert item.is_published is True
    assert item.link is None
    assert any(n.startswith("quality:") for n in result.notes)
    assert any(n.startswith("webUrl:") for n in result.notes)
    assert "published: 'yes' read as True" in result.notes
    odd = normalize({"title": "t", "publishedDateTime": "2024-01-01", "published": "maybe"}, "s.md")
    assert odd.item.is_published is False


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (7, 7),
        (10.5, 10.5),
        (49.5, 49.5),
        ("42", 42),
        (" -3 ", -3),
        ("49.5", 49.5),
        (".5", 0.5),
        ("1e2", 100.0),
        (0, 0),
    ],
)
def test_quality_is_a_number_integer_or_not(raw: object, expected: float) -> None:
    result = normalize({"title": "t", "publishedDateTime": "2024-01-01", "quality": raw}, "s")
    assert result.item.quality == expected and type(result.item.quality) is type(expected)
    assert result.notes == []


@pytest.mark.parametrize(
    "raw",
    ["high", "²", "٤٢", "4,5", "1_000", True, float("nan"), float("inf"), "1e400", 10**30, [1]],
)
def test_anything_else_is_no_quality_with_a_warning(raw: object) -> None:
    result = normalize({"title": "t", "publishedDateTime": "2024-01-01", "quality": raw}, "s")
    assert result.item.quality is None
    assert [n for n in result.notes if n.startswith("quality: expected a number, got ")]


def _excerpt(excerpt: object, title: str = "A story") -> tuple[str, list[str]]:
    result = normalize(
        {"title": title, "publishedDateTime": "2024-01-01", "excerpt": excerpt}, "s.md"
    )
    return result.item.summary, result.notes


@pytest.mark.parametrize(
    ("excerpt", "note"),
    [
        ("na", "excerpt: 'na' is a placeholder, not a summary; dropped"),
        ("NA", "excerpt: 'NA' is a placeholder, not a summary; dropped"),
        ("English", "excerpt: 'English' is a placeholder, not a summary; dropped"),
        (" <p>N/A</p> ", "excerpt: 'N/A' is a placeholder, not a summary; dropped"),
        ("A Story.", "excerpt: 'A Story.' is the same as the title, not a summary; dropped"),
        (
            "https://news.example/a-story",
            "excerpt: 'https://news.example/a-story' is a bare URL, not a summary; dropped",
        ),
    ],
)
def test_placeholder_excerpts_are_dropped_with_a_warning(excerpt: str, note: str) -> None:
    assert _excerpt(excerpt) == ("", [note])


def test_real_excerpts_are_kept() -> None:
    assert _excerpt("English nurses report fewer cases.") == (
        "English nurses report fewer cases.",
        [],
    )
    assert _excerpt("A story, and then some.") == ("A story, and then some.", [])
    assert _excerpt("") == ("", [])


def test_titles_lose_bidi_controls_and_stray_invisibles() -> None:
    title = "­​Breaking:‮ gnp.exe ⁦news⁩‏­"
    result = normalize({"title": title, "publishedDateTime": "2024-01-01"}, "s.md")
    assert result.item.title == "Breaking: gnp.exe news"


def test_one_spelling_per_topic_identity_is_kept() -> None:
    item = normalize(
        {
            "title": "t",
            "publishedDateTime": "2024-01-01",
            "topics": ["Power Apps", "power-apps", "POWER APPS!!!", "AI", "C", "C++"],
        },
        "s.md",
    ).item
    assert item.topics == ("Power Apps", "AI", "C", "C++")
    assert item.topic_keys == ("power apps", "ai", "c", "c++")


# --- related coverage left pending until an entry shows it ------------------------------

_PUBLISHED = "2024-03-01T10:00:00Z"


def _round_trip(record: dict, limits=None):
    """What the parse path keeps: normalised lazily, packed, stored as msgpack, unpacked."""
    import msgspec

    from feeds.extras import Extras, split_all
    from feeds.items import DEFAULT_LIMITS

    lazy = normalize(record, "a.md", limits=limits or DEFAULT_LIMITS, lazy_related=True)
    records, chunks = split_all([lazy.item])
    # through the bytes a worker sends and the parse cache keeps
    chunks = [msgspec.msgpack.decode(msgspec.msgpack.encode(c)) for c in chunks]
    extras = Extras()
    extras.add(records, chunks)
    return lazy, extras.item(records[0])


def _eager(record: dict, limits=None):
    from feeds.items import DEFAULT_LIMITS

    return normalize(record, "a.md", limits=limits or DEFAULT_LIMITS)


def _seed(related) -> dict:
    return {"title": "T", "publishedDateTime": _PUBLISHED, "related": related}


def _rel(i: int, **over) -> dict:
    entry = {
        "title": f"Coverage {i}",
        "webUrl": f"https://outlet{i}.example/story",
        "provider": {"name": f"Outlet {i}", "domain": f"outlet{i}.example"},
        "quality": 10 + i,
        "publishedDateTime": f"2024-03-{2 + i:02d}T10:00:00Z",
    }
    entry.update(over)
    return entry


def test_pending_related_is_left_for_the_entry_and_resolves_to_the_eager_result() -> None:
    record = _seed([_rel(1), _rel(2), "not a mapping", _rel(3, webUrl="ftp://x", originalUrl=None)])
    lazy, item = _round_trip(record)
    assert lazy.item.related == () and lazy.item.pending_related is not None
    eager = _eager(record)
    assert [r.title for r in item.related] == ["Coverage 1", "Coverage 2"]
    assert item.related == eager.item.related
    assert item.updated == eager.item.updated == parse_time("2024-03-04T10:00:00Z")
    assert item.pending_related is None
    assert lazy.notes == eager.notes


def test_updated_comes_from_the_newest_usable_entry_in_the_window() -> None:
    # The newest entry has no usable link and one is past the 30-day window: the
    # update is the newest usable one inside it, as the eager loop finds it.
    record = _seed(
        [
            _rel(1),
            _rel(5, webUrl="javascript:alert(1)"),
            _rel(2, publishedDateTime="2024-06-01T10:00:00Z"),
            _rel(3, title="   "),
            _rel(4, publishedDateTime="not a date"),
        ]
    )
    lazy, item = _round_trip(record)
    eager = _eager(record)
    assert lazy.item.pending_related is not None
    assert lazy.item.updated == item.updated
    assert item.updated == eager.item.updated == parse_time("2024-03-03T10:00:00Z")
    assert item.related == eager.item.related


@pytest.mark.parametrize(
    "related",
    [
        [_rel(i) for i in range(25)],  # more than MAX_RELATED: the best kept, with a note
        [_rel(1, quality=10**30)],  # an int msgpack cannot hold
        [_rel(1, title="lone \ud800 surrogate")],  # text msgpack cannot hold
        [_rel(1, title=["a", "list"])],
        [_rel(1, provider={"name": {"nested": 1}})],
        "not a list",
        None,
        [],
    ],
)
def test_related_the_lazy_path_cannot_keep_is_normalised_at_once(related) -> None:
    lazy, item = _round_trip(_seed(related))
    eager = _eager(_seed(related))
    assert lazy.item.pending_related is None
    assert item.related == eager.item.related
    assert item.updated == eager.item.updated
    assert lazy.notes == eager.notes


def test_pending_related_keeps_the_title_limit_it_was_read_with() -> None:
    from feeds.items import TextLimits

    limits = TextLimits(max_title_length=12)
    record = _seed([_rel(1, title="A rather long title for a related story")])
    lazy, item = _round_trip(record, limits)
    assert lazy.item.pending_related is not None
    assert item.related == _eager(record, limits).item.related
    assert len(item.related[0].title) <= 12
