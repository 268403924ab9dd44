"""`feeds explain`: why one seed is or is not in each feed, against temporary projects."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

import feeds.incremental
from feeds.cli import main
from feeds.config import FeedConfig, load_config
from feeds.errors import NoSeedMatches
from feeds.explain import verdict
from feeds.items import Item
from feeds.pipeline import explain, generate
from feeds.select import REASONS, select
from tests.helpers import Project, make_item

NOW = dt.datetime(2024, 3, 10, tzinfo=dt.UTC)
FEEDS = [
    {"slug": "ai", "title": "AI", "topics": ["AI"], "min_quality": 40, "max_items": 2},
    {"slug": "queue", "title": "Queue", "status": "unpublished"},
    {"slug": "rated", "title": "Rated", "missing_quality": "drop"},
]


def _url(name: str) -> str:
    return f"https://news.example/{name}"


@pytest.fixture
def newsroom(project: Project) -> Project:
    """One seed per reason a feed can give. In `ai` (AI, quality 40+, newest two, published):
    on.md and the dup/ pair's entry are in, old.md is third (noq.md fourth)."""

    def seed(name: str, day: int = 1, year: int = 2024, **fields: object) -> None:
        fields.setdefault("topics", ["AI"])
        fields.setdefault("quality", 80)
        fields.setdefault("webUrl", _url(name.removesuffix(".md")))
        when = f"{year}-03-{day:02d}T10:00:00Z"
        project.seed(name, title=name, publishedDateTime=when, **fields)

    seed("on.md", day=5, originalUrl="https://origin.example/on-story")
    seed("old.md", day=2)
    seed("robots.md", topics=["Robots", "Health"])
    seed("low.md", quality=17)
    seed("noq.md", quality=None)
    seed("draft.md", published=False)
    seed("later.md", day=13, year=2999)  # future-dated by any clock
    seed("dup/a.md", day=4, quality=50, webUrl=_url("dup"))
    seed("dup/b.md", day=3, quality=70, webUrl=_url("dup"))
    project.write_raw("broken.md", "no front matter here\n")
    project.configure(FEEDS)
    return project


def _why(project: Project, target: str) -> dict[str, str]:
    (explained,) = explain(load_config(project.config_path), target, NOW)
    return dict(explained.verdicts)


def test_every_reason_in_the_order_select_applies_them(newsroom: Project) -> None:
    assert _why(newsroom, "on.md") == {
        "ai": "in, rank 1",
        "queue": "out: published (the feed has status: unpublished)",
        "rated": "in, rank 1",
    }
    assert _why(newsroom, "robots.md")["ai"] == (
        "out: off-topic (topics Robots, Health; the feed wants AI)"
    )
    assert _why(newsroom, "low.md")["ai"] == "out: quality 17 below 40"
    noq = _why(newsroom, "noq.md")
    assert noq["rated"] == "out: no quality (missing_quality: drop)"
    assert noq["ai"].startswith("in") or noq["ai"].startswith("out: rank")  # kept: no quality
    draft = _why(newsroom, "draft.md")
    assert draft["ai"] == "out: unpublished (the feed has status: published)"
    assert draft["queue"] == "in, rank 1"
    # Released one day (the future grace) before its time.
    assert _why(newsroom, "later.md")["ai"] == "out: future-dated until 2999-03-12T10:00:00Z"
    assert _why(newsroom, "dup/a.md")["ai"] == (
        f"out: duplicate of {newsroom.seeds / 'dup/b.md'} (better quality: 70, this one 50)"
    )
    assert _why(newsroom, "dup/b.md")["ai"] == "in, rank 2"  # stands at the group's newest
    assert _why(newsroom, "old.md")["ai"] == "out: rank 3 past max_items 2"
    # Quality comes before status: a low-quality draft is out of `ai` for its quality.
    newsroom.seed("lowdraft.md", title="x", topics=["AI"], quality=3, published=False)
    assert _why(newsroom, "lowdraft.md")["ai"] == "out: quality 3 below 40"


def test_duplicate_rule_newer_then_first_by_path(project: Project) -> None:
    for name, day in (("a.md", 1), ("b.md", 2), ("c.md", 2)):
        when = f"2024-03-0{day}T10:00:00Z"
        project.seed(name, title=name, webUrl=_url("same"), quality=50, publishedDateTime=when)
    project.configure([{"slug": "all", "title": "All"}])
    config = load_config(project.config_path)
    by_name = {e.path: dict(e.verdicts)["all"] for e in explain(config, _url("same"), NOW)}
    seeds = project.seeds
    assert by_name == {
        f"{seeds / 'a.md'}": f"out: duplicate of {seeds / 'b.md'} (same quality, newer: "
        "2024-03-02T10:00:00Z, this one 2024-03-01T10:00:00Z)",
        f"{seeds / 'b.md'}": "in, rank 1",
        f"{seeds / 'c.md'}": f"out: duplicate of {seeds / 'b.md'} "
        "(same quality and date, first by path)",
    }


def test_a_seed_is_found_by_any_of_its_paths_and_urls(
    newsroom: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(newsroom.config_path)
    seed = newsroom.seeds / "on.md"
    monkeypatch.chdir(newsroom.root)
    for target in (
        "on.md",  # relative to the seeds folder
        "./on.md",
        str(seed),  # absolute
        "seeds/on.md",  # relative to the current folder
        "seeds/../seeds/on.md",
        _url("on"),  # webUrl
        "https://origin.example/on-story",  # originalUrl
        "HTTPS://News.Example/on",  # cleaned as the seed's URLs are
    ):
        assert [e.path for e in explain(config, target, NOW)] == [str(seed)], target
    monkeypatch.chdir(newsroom.seeds / "dup")
    assert [e.path for e in explain(config, "a.md", NOW)] == [str(newsroom.seeds / "dup/a.md")]


def test_a_shared_url_explains_each_seed_headed_by_its_path(newsroom: Project) -> None:
    result = CliRunner().invoke(
        main, ["explain", _url("dup"), "--config", str(newsroom.config_path)]
    )
    assert result.exit_code == 0, result.output
    a, b = (newsroom.seeds / "dup/a.md", newsroom.seeds / "dup/b.md")
    blocks = result.stdout.split("\n\n")
    assert [block.splitlines()[0] for block in blocks] == [f"{a}:", f"{b}:"]
    assert blocks[1].splitlines()[1:] == [
        "ai: in, rank 2",
        "queue: out: published (the feed has status: unpublished)",
        "rated: in, rank 2",
    ]


def test_one_seed_is_one_line_per_feed_in_the_summary_order(project: Project) -> None:
    project.seed("x.md", title="x", topics=["Robots", "AI"], quality=50, webUrl=_url("x"))
    project.seed("y.md", title="y", topics=["Zebras"], webUrl=_url("y"))
    project.configure(FEEDS, auto_topics=True)
    result = CliRunner().invoke(main, ["explain", "x.md", "--config", str(project.config_path)])
    assert result.exit_code == 0, result.output
    config = load_config(project.config_path)
    order = [s.feed.slug for s in generate(config, write=False).selections]
    assert order == ["ai", "queue", "rated", "robots", "zebras"]  # automatic feeds included
    assert [ln.split(":")[0] for ln in result.stdout.splitlines()] == order
    assert "zebras: out: off-topic (topics Robots, AI; the feed wants Zebras)" in result.stdout


def test_a_skipped_seed_says_why_in_every_feed(newsroom: Project) -> None:
    result = CliRunner().invoke(
        main, ["explain", "broken.md", "--config", str(newsroom.config_path)]
    )
    assert result.exit_code == 0, result.output
    why = "no front matter: the first line must be '---'"
    assert result.stdout.splitlines() == [
        f"skipped: {newsroom.seeds / 'broken.md'}:1: {why}",
        f"ai: out: skipped ({why})",
        f"queue: out: skipped ({why})",
        f"rated: out: skipped ({why})",
    ]


def test_no_match_is_one_line_and_exit_1(newsroom: Project) -> None:
    for target in ("missing.md", "https://news.example/nothing", str(newsroom.config_path)):
        result = CliRunner().invoke(
            main, ["explain", target, "--config", str(newsroom.config_path)]
        )
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr.startswith(f"feeds: no seed matches {target!r}")
        assert result.stderr.count("\n") == 1
    with pytest.raises(NoSeedMatches):
        explain(load_config(newsroom.config_path), "nul\x00byte", NOW)


def _tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` with its bytes and mtime."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_explain_writes_nothing(newsroom: Project) -> None:
    args = ["explain", "on.md", "--config", str(newsroom.config_path)]
    assert CliRunner().invoke(main, args).exit_code == 0
    assert not newsroom.output.exists() and not (newsroom.root / ".feeds").exists()
    assert (
        CliRunner().invoke(main, ["generate", "--config", str(newsroom.config_path)]).exit_code == 0
    )
    newsroom.seed(
        "new.md",
        title="New since the last run",
        topics=["AI"],
        quality=90,
        webUrl=_url("new"),
        publishedDateTime="2024-03-09T10:00:00Z",
    )
    output, state = _tree(newsroom.output), _tree(newsroom.root / ".feeds")
    assert output and state
    result = CliRunner().invoke(main, ["explain", "new.md", "--config", str(newsroom.config_path)])
    assert result.exit_code == 0 and "ai: in, rank 1" in result.stdout
    assert _tree(newsroom.output) == output
    assert _tree(newsroom.root / ".feeds") == state  # no cache save, no lock, no manifest


def test_explain_reads_the_parse_cache(newsroom: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    generate(load_config(newsroom.config_path))

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed a seed the cache holds")

    monkeypatch.setattr(feeds.incremental, "_parse_chunk", no_parsing)
    assert _why(newsroom, "on.md")["ai"] == "in, rank 1"


def _item(n: int) -> Item:
    """A varied item: topics, qualities, flags, dates and shared ids in every combination."""
    return make_item(
        f"https://news.example/{n % 23}",
        quality=None if n % 11 == 0 else n * 37 % 100,
        is_published=(True, False, None)[n % 3],
        topics=(("AI", "Robots", "Space")[n % 3], "ai" if n % 4 else "Misc"),
        when=dt.datetime(2024, 1, 1 + n % 28, n % 24, tzinfo=dt.UTC),
        source=f"s{n:03}.md",
    )


@pytest.mark.parametrize(
    "feed",
    [
        FeedConfig("all", "All", "All", None, max_items=9),
        FeedConfig("ai", "AI", "AI", ("AI",), min_quality=30, status="any", max_items=4),
        FeedConfig("q", "Q", "Q", ("Space", "misc"), status="unpublished", missing_quality="drop"),
    ],
    ids=lambda f: f.slug,
)
def test_explanations_agree_with_the_selection(feed: FeedConfig) -> None:
    items = [_item(n) for n in range(90)]
    now = dt.datetime(2024, 1, 20, tzinfo=dt.UTC)  # some items are future-dated
    sel = select(items, feed, now)
    ranks = {e.source: n for n, e in enumerate(sel.items, 1)}
    counts = dict.fromkeys(REASONS, 0)
    prefixes = {
        "out: off-topic": "off-topic",
        "out: quality": "low quality",
        "out: no quality": "low quality",
        "out: unpublished": "unpublished",
        "out: published": "published",
        "out: future-dated": "future-dated",
        "out: duplicate of": "duplicate",
        "out: rank": "over the limit",
    }
    for item in items:
        why = verdict(items, feed, item, now)
        if why.startswith("in, rank "):
            assert ranks.pop(item.source) == int(why.removeprefix("in, rank ")), why
            continue
        (reason,) = [r for p, r in prefixes.items() if why.startswith(p + " ")]
        counts[reason] += 1
    assert ranks == {}  # every entry of the feed was explained as in, at its rank
    assert counts == sel.dropped
    assert sum(counts.values()) > 0 and len(sel.items) > 0


def test_the_command_is_listed_with_its_argument() -> None:
    assert "explain" in CliRunner().invoke(main, ["--help"]).stdout
    assert "SEED-PATH-OR-URL" in CliRunner().invoke(main, ["explain", "--help"]).stdout
