"""The persistent parse cache: right when it is used, harmless when it is broken."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from feeds import cache
from feeds.config import load_config
from feeds.pipeline import generate
from tests.helpers import Project


def _setup(project: Project, n: int = 30) -> None:
    for i in range(n):
        project.seed(
            f"s{i:03d}.md",
            title=f"Story {i}",
            webUrl=f"https://news.example/{i}",
            topics=["AI" if i % 2 else "Robots"],
            quality=i,
            publishedDateTime=f"2024-01-{1 + i % 28:02d}T00:00:00Z",
        )
    project.configure(
        [{"slug": "ai", "title": "AI", "topics": ["AI"]}, {"slug": "all", "title": "All"}]
    )


def _cache_files(project: Project) -> list[Path]:
    return sorted((project.root / ".feeds" / "cache").glob("seeds-*.msgpack"))


def test_second_run_parses_nothing_and_writes_the_same(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(project)
    config = load_config(project.config_path)
    first = generate(config)
    assert len(_cache_files(project)) == 1
    files = project.feed_files()
    parsed: list[str] = []
    import feeds.incremental

    real = feeds.incremental.load_seed

    def counting(seed, *args):  # type: ignore[no-untyped-def]
        parsed.append(seed.name)
        return real(seed, *args)

    monkeypatch.setattr(feeds.incremental, "load_seed", counting)
    again = generate(config)
    assert parsed == []
    assert project.feed_files() == files
    assert [str(p) for p in again.problems] == [str(p) for p in first.problems]
    project.seed(
        "s005.md",
        title="Story 5, edited",
        webUrl="https://news.example/5",
        topics=["AI"],
        quality=5,
        publishedDateTime="2024-01-06T00:00:00Z",
    )
    generate(config)
    assert parsed == ["s005.md"]


def test_same_size_edit_with_restored_mtime_is_seen(project: Project) -> None:
    """The rule: a seed is re-parsed when its mtime_ns, ctime_ns or size differs from the
    cached one. ctime changes on every write and no tool can set it back."""
    _setup(project, 3)
    config = load_config(project.config_path)
    generate(config)
    path = project.seeds / "s001.md"
    before = path.stat()
    text = path.read_text()
    path.write_text(text.replace("Story 1", "Story X"))  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # mtime restored
    assert path.stat().st_size == before.st_size
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    generate(config)
    assert b"Story X" in (project.output / "ai.atom").read_bytes()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip", "foreign", "empty"])
def test_a_broken_cache_is_discarded_with_one_warning(
    project: Project, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    _setup(project)
    config = load_config(project.config_path)
    generate(config, use_cache=False)
    expected = project.feed_files()
    generate(config)
    (path,) = _cache_files(project)
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(os.urandom(4096))
    elif damage == "flip":
        path.write_bytes(data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:])
    elif damage == "foreign":
        path.write_bytes(b'{"some": "json"}')
    else:
        path.write_bytes(b"")
    for p in project.output.glob("*.atom"):
        p.unlink()
    with caplog.at_level(logging.WARNING, logger="feeds"):
        generate(config)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and str(path) in warnings[0], warnings
    assert project.feed_files() == expected
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="feeds"):
        generate(config)  # the cache was rewritten whole
    assert not caplog.records


def test_a_cache_from_other_settings_is_not_used(project: Project) -> None:
    _setup(project, 3)
    config = load_config(project.config_path)
    generate(config)
    assert len(_cache_files(project)) == 1
    project.configure([{"slug": "all", "title": "All"}], text={"max_title_length": 10})
    short = load_config(project.config_path)
    assert cache.fingerprint(short.seeds, "example.org", short.text) != cache.fingerprint(
        config.seeds, "example.org", config.text
    )
    project.seed("long.md", title="A rather long title", webUrl="https://news.example/long")
    generate(config)
    assert "<title>A rather long title</title>" in (project.output / "all.atom").read_text()
    generate(short)  # same files, other settings: parsed again, not read from the cache
    assert "<title>A rather…</title>" in (project.output / "all.atom").read_text()


def test_cached_uncached_serial_and_parallel_runs_are_identical(tmp_path: Path) -> None:
    results = []
    for mode in ("uncached-serial", "uncached-parallel", "cached-parallel", "cached-serial"):
        root = tmp_path / mode
        root.mkdir()
        project = Project(root)
        _setup(project, 500)  # enough to use the process pool
        config = load_config(project.config_path)
        jobs = 1 if mode.endswith("serial") else 2
        if mode.startswith("cached"):
            generate(config, jobs=jobs)  # fills the cache
            for p in project.output.glob("*.*"):
                p.unlink()
        generate(config, use_cache=mode.startswith("cached"), jobs=jobs)
        results.append(project.feed_files())
    assert all(r == results[0] for r in results[1:])
    assert len(results[0]) == 4


def test_a_big_process_starts_its_parsers_from_a_forkserver_with_the_same_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past FORK_MAX_RSS a forked parser would start as a copy of the whole process: the
    workers then come from a forkserver, and parse exactly what forked ones parse."""
    import feeds.incremental

    real = feeds.incremental._pool_context
    methods: list[str] = []

    def spy():
        context = real()
        methods.append(context.get_start_method())
        return context

    monkeypatch.setattr(feeds.incremental, "_pool_context", spy)
    results = []
    for limit in (2**62, 0):  # never past it, always past it
        monkeypatch.setattr(feeds.incremental, "FORK_MAX_RSS", limit)
        (tmp_path / str(limit)).mkdir()
        project = Project(tmp_path / str(limit))
        _setup(project, 500)
        generate(load_config(project.config_path), use_cache=False, jobs=2)
        results.append(project.feed_files())
    assert methods == ["fork", "forkserver"]
    assert results[0] == results[1] and len(results[0]) == 4


def test_a_run_with_nothing_changed_decodes_no_item_and_renders_nothing(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file-version table is apart from the items: a run that finds every seed, the
    config and every published file as the last run left them answers from that run."""
    import feeds.render

    _setup(project)
    config = load_config(project.config_path)
    first = generate(config)
    files = project.feed_files()

    def refuse(*args: object) -> None:
        raise AssertionError("decoded or rendered")

    monkeypatch.setattr(cache, "_items_decoder", refuse)
    monkeypatch.setattr(feeds.render, "render", refuse)
    again = generate(config)
    assert again.kept is not None and again.build is None
    assert again.written is not None and again.written.written == []
    assert [r[:3] for r in again.rows()] == [r[:3] for r in first.rows()]
    assert [str(p) for p in again.problems] == [str(p) for p in first.problems]
    assert project.feed_files() == files


def test_the_last_run_is_not_trusted_when_anything_moved(project: Project) -> None:
    _setup(project, 4)
    config = load_config(project.config_path)
    generate(config)
    assert generate(config).kept is not None
    (project.output / "ai.atom").unlink()  # a published file gone
    report = generate(config)
    assert report.kept is None and report.written and report.written.written == ["ai.atom"]
    assert generate(config).kept is not None
    project.configure([{"slug": "all", "title": "All, renamed"}])  # another config
    assert generate(load_config(project.config_path)).kept is None
    project.seed(  # a held-back item: its time is the last run's next release
        "f.md", title="F", webUrl="https://news.example/f", publishedDateTime="2025-06-01T00:00:00Z"
    )
    import datetime as dt

    config = load_config(project.config_path)
    generate(config, now=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    assert generate(config, now=dt.datetime(2025, 1, 2, tzinfo=dt.UTC)).kept is not None
    due = generate(config, now=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    assert due.kept is None and "F" in (project.output / "all.atom").read_text()


@pytest.mark.parametrize(
    "damage",
    ["trailer", "first block", "last block", "chunks", "cut in a block", "cut in the chunks"],
)
def test_a_damaged_items_file_is_parsed_again_with_one_warning(
    project: Project, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, damage
) -> None:
    monkeypatch.setattr(cache, "BLOCK", 2)  # records in three blocks
    _setup(project, 5)
    config = load_config(project.config_path)
    generate(config)
    expected = project.feed_files()
    (items,) = (project.root / ".feeds" / "cache").glob("*.items")
    data = items.read_bytes()
    header = len(cache.ITEMS_MAGIC) + 65
    assert int.from_bytes(data[header : header + 4], "little") == 3
    starts, pos = [], header + 4  # where each block's bytes start
    for _ in range(3):
        size = int.from_bytes(data[pos : pos + 8], "little")
        starts.append(pos + 8)
        pos += 8 + size
    first, last, chunks = starts[0], starts[-1] + 2, pos + 10
    at = {
        "trailer": len(data) - 5,
        "first block": first + 3,
        "last block": last,
        "chunks": chunks,
    }.get(damage)
    if at is not None:
        items.write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :])
    else:
        items.write_bytes(data[: first + 10 if damage == "cut in a block" else chunks])
    project.seed("s000.md", title="Story 0, edited", webUrl="https://news.example/0")
    with caplog.at_level(logging.WARNING, logger="feeds"):
        report = generate(config)
    assert report.stats.parsed == 5  # every seed again, not only the edited one
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) >= 1
    assert "Story 0, edited" in (project.output / "all.atom").read_text()
    project.seed("s000.md", title="Story 0", webUrl="https://news.example/0", topics=["Robots"],
                 quality=0, publishedDateTime="2024-01-01T00:00:00Z")  # fmt: skip
    generate(config)
    assert project.feed_files() == expected


def test_a_run_on_the_cache_and_its_own_parses_writes_what_a_fresh_run_writes(
    tmp_path: Path,
) -> None:
    """Records from the cache and records parsed in the run keep their extras apart and
    together (chunk numbers are renumbered when the cached ones are loaded)."""
    outputs = []
    for mode in ("cached", "fresh"):
        (tmp_path / mode).mkdir()
        project = Project(tmp_path / mode)
        _setup(project, 150)
        config = load_config(project.config_path)
        if mode == "cached":
            generate(config)
        for i in (3, 77, 149):
            project.seed(
                f"s{i:03d}.md",
                title=f"Story {i}, edited",
                webUrl=f"https://x.example/{i}",
                topics=["AI"],
                quality=90,
                publishedDateTime="2024-02-01T00:00:00Z",
            )
        (project.seeds / "s010.md").unlink()
        generate(config, use_cache=mode == "cached")
        outputs.append(project.feed_files())
    assert outputs[0] == outputs[1]


def test_extras_are_freed_with_their_last_record() -> None:
    from feeds.extras import CHUNK, Extras, split_all
    from tests.helpers import make_item

    items = [make_item(f"https://news.example/{n}", title=f"T{n}") for n in range(CHUNK + 3)]
    records, chunks = split_all([*items[:2], None, *items[2:]])
    extras = Extras()
    extras.add(records, chunks)
    assert len(extras.chunks) == 2 and extras.live == [CHUNK, 3]
    placed = [r for r in records if r is not None]
    assert [extras.item(r).title for r in placed] == [i.title for i in items]
    for r in placed[CHUNK:]:
        extras.forget(r)
    assert extras.chunks[1] == b"" and extras.chunks[0]
    assert extras.item(placed[5]).title == "T5"
