"""End-to-end runs of the library API on the shipped seeds and on temporary projects."""

from pathlib import Path

import pytest

from feeds.config import load_config
from feeds.pipeline import generate
from tests.helpers import Project, snapshot, titles, w3c_validate, write_seed

# The shipped seeds, newest first, by title start.
SHIPPED_ORDER = [
    "Deep learning tool predicts brain metastasis",  # 2024-03-13, q54, ML+AI
    "AI can predict bone fractures",  # 2022-05-06, q17, AI
    "Researchers Present Global Effort",  # 2021-11-06, q35, ML+AI
    "Combining cell engineering with machine learning",  # 2020-11-26, q51, ML+AI
    "Scientists using AI to benefit cancer patients",  # 2020-07-29, q39, AI in Healthcare+AI
]


def _starts(titles: list[str]) -> list[str]:
    return [next(s for s in SHIPPED_ORDER if t.startswith(s)) for t in titles]


def test_shipped_config_produces_exactly_the_expected_feeds(shipped: Path) -> None:
    config = load_config(shipped)
    report = generate(config)
    out, private = config.output, config.private_output
    names = sorted(p.name for p in out.iterdir())
    feeds = ["ai", "machine-learning", "ai-in-healthcare"]
    formats = ["atom", "rss", "json", "html"]
    site = ["index.html", "feeds.opml", "404.html"]
    assert names == sorted([f"{s}.{f}" for s in feeds for f in formats] + site)
    # The editors' review queue is private: written outside the public output.
    assert sorted(p.name for p in private.iterdir()) == [f"review.{f}" for f in sorted(formats)]
    # All shipped seeds are unpublished: public feeds are empty, the review queue has all five.
    for slug in feeds:
        for ext in ("atom", "rss"):
            assert titles(out / f"{slug}.{ext}") == []
    for ext in ("atom", "rss"):
        assert _starts(titles(private / f"review.{ext}")) == SHIPPED_ORDER
    counts = {s.feed.slug: (len(s.items), s.dropped) for s in report.selections}
    assert counts["ai"][1]["unpublished"] == 2 and counts["ai"][1]["low quality"] == 3
    assert counts["review"][0] == 5
    assert report.skipped == []
    w3c_validate(
        sorted(p for d in (out, private) for p in d.iterdir() if p.suffix in (".atom", ".rss"))
    )


def test_the_shipped_review_queue_holds_unpublished_candidates_only(shipped: Path) -> None:
    """Its description says "Unpublished candidates awaiting an editor": a published story
    goes to its topic feeds and not into the queue."""
    write_seed(
        shipped.parent / "seeds",
        "fresh.md",
        title="Fresh and published",
        published=True,
        quality=80,
        topics=["AI"],
        webUrl="https://news.example/fresh",
    )
    report = generate(load_config(shipped), write=False)
    by_slug = {s.feed.slug: s for s in report.selections}
    assert [i.title for i in by_slug["ai"].items] == ["Fresh and published"]
    review = by_slug["review"]
    assert review.feed.status == "unpublished"
    assert _starts([i.title for i in review.items]) == SHIPPED_ORDER
    assert review.dropped["published"] == 1


def test_second_run_leaves_every_file_byte_identical_with_same_mtime(shipped: Path) -> None:
    config = load_config(shipped)
    generate(config)
    before = snapshot(config.output)
    report = generate(config)
    after = snapshot(config.output)
    assert after == before
    # The output holds only what is served: no lock, manifest or cache (those are state).
    assert not [p.name for p in config.output.iterdir() if p.name.startswith(".")]
    assert report.written is not None and report.written.written == []


def test_seed_with_several_topics_is_in_each_topic_feed(project: Project) -> None:
    project.seed(
        "multi.md",
        title="Multi",
        topics=["AI", "Robots", "Space"],
        webUrl="https://news.example/multi",
    )
    project.seed(
        "robots.md", title="Only robots", topics=["Robots"], webUrl="https://news.example/robots"
    )
    project.configure(
        [
            {"slug": s.lower(), "title": s, "topics": [s]}
            for s in ("AI", "Robots", "Space", "Cooking")
        ]
    )
    generate(load_config(project.config_path))
    assert titles(project.output / "ai.atom") == ["Multi"]
    assert sorted(titles(project.output / "robots.rss")) == ["Multi", "Only robots"]
    assert titles(project.output / "space.atom") == ["Multi"]
    assert titles(project.output / "cooking.atom") == []


def test_a_bad_seed_is_skipped_and_the_rest_published(project: Project) -> None:
    project.seed("good.md", title="Good one", webUrl="https://news.example/good")
    project.write_raw("bad.md", "---\ntitle: [unclosed\n---\n")
    project.configure([{"slug": "all", "title": "All"}])
    report = generate(load_config(project.config_path))
    assert titles(project.output / "all.atom") == ["Good one"]
    assert [str(p) for p in report.skipped] == [
        f"{project.seeds / 'bad.md'}:3: YAML error: did not find expected ',' or ']' "
        "(while parsing a flow sequence started on line 2)"
    ]


def test_duplicate_urls_across_seed_files_appear_once(project: Project) -> None:
    project.seed("a.md", title="Weak copy", originalUrl="https://news.example/x", quality=10)
    project.seed("b.md", title="Strong copy", originalUrl="https://news.example/x", quality=90)
    project.configure([{"slug": "all", "title": "All"}])
    report = generate(load_config(project.config_path))
    assert titles(project.output / "all.rss") == ["Strong copy"]
    assert report.selections[0].dropped["duplicate"] == 1


def test_removed_feed_loses_its_files(project: Project) -> None:
    project.seed("a.md", title="A", webUrl="https://news.example/a", topics=["AI"])
    project.configure([{"slug": "ai", "title": "AI"}, {"slug": "old", "title": "Old"}])
    generate(load_config(project.config_path))
    assert (project.output / "old.atom").exists()
    project.configure([{"slug": "ai", "title": "AI"}])
    report = generate(load_config(project.config_path))
    assert report.written is not None
    assert report.written.removed == ["old.atom", "old.html", "old.json", "old.rss"]
    assert sorted(project.feed_files()) == ["ai.atom", "ai.rss"]


def test_check_mode_writes_nothing(project: Project) -> None:
    project.seed("a.md", title="A", webUrl="https://news.example/a")
    project.configure([{"slug": "all", "title": "All"}])
    report = generate(load_config(project.config_path), write=False)
    assert len(report.selections[0].items) == 1
    assert not project.output.exists()


def test_feeds_with_unchanged_inputs_are_not_rendered_again(project: Project) -> None:
    project.seed("a.md", title="A", webUrl="https://news.example/a", topics=["AI"])
    project.seed("r.md", title="R", webUrl="https://news.example/r", topics=["Robots"])
    project.configure(
        [
            {"slug": "ai", "title": "AI", "topics": ["AI"]},
            {"slug": "robots", "title": "Robots", "topics": ["Robots"]},
        ]
    )
    config = load_config(project.config_path)
    first = generate(config)
    assert [r.reused for r in first.rendered] == [False, False]
    files = project.feed_files()
    project.seed("a.md", title="A2", webUrl="https://news.example/a", topics=["AI"])
    second = generate(config)
    assert [r.reused for r in second.rendered] == [False, True]
    assert project.feed_files()["robots.atom"] == files["robots.atom"]
    (project.output / "robots.rss").unlink()  # a missing file is always rebuilt
    third = generate(config)
    assert [r.reused for r in third.rendered] == [True, False]
    assert project.feed_files()["robots.rss"] == files["robots.rss"]
    assert [r.reused for r in generate(config, use_cache=False).rendered] == [False, False]
    assert project.feed_files()["robots.rss"] == files["robots.rss"]


def test_a_damaged_feed_file_is_repaired_by_the_next_run(project: Project) -> None:
    project.seed("a.md", title="A", webUrl="https://news.example/a", topics=["AI"])
    project.configure([{"slug": "ai", "title": "AI", "topics": ["AI"]}])
    config = load_config(project.config_path)
    generate(config)
    good = project.feed_files()
    (project.output / "ai.atom").write_text("garbage\n")  # same size or not: caught either way
    (project.output / "ai.rss").unlink()
    report = generate(config)
    assert report.written is not None
    assert sorted(report.written.written) == ["ai.atom", "ai.rss"]
    assert project.feed_files() == good
    # The daemon repairs it on its next tick, though no seed changed.
    from feeds.daemon import Daemon

    daemon = Daemon(project.config_path, config)
    daemon.tick()
    (project.output / "ai.atom").write_bytes(good["ai.atom"].replace(b"<title>A<", b"<title>B<"))
    assert daemon.tick().files_written == 1
    assert project.feed_files() == good


def test_a_renderer_change_renders_every_feed_again(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import feeds.site

    project.seed("a.md", title="A", webUrl="https://news.example/a", topics=["AI"])
    project.configure(
        [{"slug": "ai", "title": "AI", "topics": ["AI"]}, {"slug": "all", "title": "All"}]
    )
    config = load_config(project.config_path)
    generate(config)
    assert all(r.reused for r in generate(config).rendered)
    before = snapshot(project.output)
    # As after an upgrade of feeds, feedgen, lxml, nh3 or Jinja2: the renderer's digest moves.
    monkeypatch.setattr(feeds.site, "renderer_digest", lambda: "another version")
    assert not any(r.reused for r in generate(config).rendered)
    assert snapshot(project.output) == before  # the same bytes: nothing rewritten


def test_no_cache_parses_everything_and_rebuilds_the_cache(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import feeds.incremental

    project.seed("a.md", title="A", webUrl="https://news.example/a")
    project.configure([{"slug": "all", "title": "All"}])
    config = load_config(project.config_path)
    generate(config)
    (cache,) = (project.root / ".feeds" / "cache").glob("*.msgpack")
    cache.write_bytes(b"garbage")
    parsed: list[str] = []
    real = feeds.incremental.load_seed
    monkeypatch.setattr(
        feeds.incremental, "load_seed", lambda seed, *a: parsed.append(seed.name) or real(seed, *a)
    )
    generate(config, use_cache=False)
    assert parsed == ["a.md"]
    generate(config)  # the rebuilt cache is used: nothing parsed
    assert parsed == ["a.md"]


def test_a_file_left_alone_is_looked_at_by_every_run(project: Project) -> None:
    """A file feeds did not write where a feed goes is said on every run (even one that finds
    nothing else changed), and the feed is published there once it is moved away."""
    project.seed("a.md", title="A", webUrl="https://news.example/a", topics=["AI"])
    project.configure([{"slug": "ai", "title": "AI", "topics": ["AI"]}])
    project.output.mkdir(exist_ok=True)
    (project.output / "ai.atom").write_bytes(b"the site's own file")
    config = load_config(project.config_path)
    for _ in range(2):
        report = generate(config)
        assert any("left ai.atom" in note for note in report.notes)
        assert (project.output / "ai.atom").read_bytes() == b"the site's own file"
    (project.output / "ai.atom").unlink()
    report = generate(config)
    assert not report.notes
    assert titles(project.output / "ai.atom") == ["A"]
    assert generate(config).kept is not None  # now nothing changed: the last run's answer
