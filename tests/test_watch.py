"""Change notification: what a watcher reports, and that an index kept by its reports is the
index a full scan gives, whatever happens to files and folders."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from feeds.incremental import SeedIndex
from feeds.watch import Changes, SeedWatcher, filesystem_type

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/mountinfo").exists(), reason="inotify is Linux only"
)


def seed(path: Path, n: int, title: str = "T") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"---\ntitle: {title} {n}\npublishedDateTime: 2024-01-{1 + n % 28:02d}T00:00:00Z\n"
        f"webUrl: https://news.example/{n}\n---\n"
    )


def test_the_watcher_reports_files_and_folders(tmp_path: Path) -> None:
    root = tmp_path / "seeds"
    root.mkdir()
    seed(root / "a.md", 1)
    watcher = SeedWatcher(root)
    try:
        assert not watcher.poll()
        seed(root / "b.md", 2)
        (root / "a.md").unlink()
        (root / ".hidden.md").write_text("x")
        got = watcher.poll()
        assert got == Changes({"a.md", "b.md"}, set())
        (root / "sub").mkdir()
        seed(root / "sub" / "c.md", 3)  # may land before the new folder is watched
        got = watcher.poll()
        assert got is not None and "sub" in got.folders
        seed(root / "sub" / "d.md", 4)
        assert watcher.poll() == Changes({"sub/d.md"}, set())
        (root / "sub").rename(tmp_path / "away")
        got = watcher.poll()
        assert got is not None and got.folders == {"sub"}
        seed(tmp_path / "away" / "e.md", 5)  # no longer under the seeds folder: not ours
        assert not watcher.poll()
        root.rename(tmp_path / "moved")
        assert watcher.poll() is None  # the seeds folder itself went: scan everything
    finally:
        watcher.close()


def test_filesystem_type_is_read_from_mountinfo(tmp_path: Path) -> None:
    assert filesystem_type(tmp_path) not in (None, "")


def _view(index: SeedIndex) -> dict:
    """An index's entries as whole items (records differ in where their extras are kept)."""
    return {
        name: (e.version, index.item(e.item) if e.item else None, e.problems)
        for name, e in sorted(index.entries.items())
    }


OPS = ("add", "edit", "touch", "delete", "rename", "mkdir", "rmtree", "movedir", "hidden")


def _random_op(rng: random.Random, root: Path, outside: Path, n: int) -> None:
    files = sorted(p for p in root.rglob("*.md") if not any(x.startswith(".") for x in p.parts))
    dirs = sorted(p for p in root.rglob("*") if p.is_dir() and not p.name.startswith("."))
    op = rng.choice(OPS)
    if op == "add" or not files:
        folder = rng.choice([root, *dirs])
        seed(folder / f"s{n}.md", n)
    elif op == "edit":
        seed(rng.choice(files), n, title="Edited")
    elif op == "touch":
        path = rng.choice(files)
        info = path.stat()
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1))
    elif op == "delete":
        rng.choice(files).unlink()
    elif op == "rename":
        path = rng.choice(files)
        path.rename(rng.choice([root, *dirs]) / f"r{n}.md")
    elif op == "mkdir":
        folder = rng.choice([root, *dirs]) / f"d{n}"
        folder.mkdir()
        for i in range(rng.randint(0, 3)):
            seed(folder / f"f{n}_{i}.md", n + i)
    elif op == "rmtree" and dirs:
        shutil.rmtree(rng.choice(dirs))
    elif op == "movedir" and dirs:
        folder = rng.choice(dirs)
        target = rng.choice([outside, root])
        folder.rename(target / f"m{n}")
        if target == outside and rng.random() < 0.5:  # and back in, elsewhere
            (target / f"m{n}").rename(root / f"back{n}")
    elif op == "hidden":
        (root / f".h{n}.md").write_text("---\ntitle: x\n---\n")


@pytest.mark.parametrize("seed_value", [1, 2, 3])
def test_an_index_kept_by_events_is_the_index_a_scan_gives(tmp_path: Path, seed_value: int) -> None:
    rng = random.Random(seed_value)
    root, outside = tmp_path / "seeds", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    for i in range(5):
        seed(root / f"i{i}.md", i)
    watched = SeedIndex("example.org")
    watched.refresh(root)
    watcher = SeedWatcher(root)
    try:
        for step in range(40):
            for _ in range(rng.randint(1, 3)):
                _random_op(rng, root, outside, 100 * step + rng.randint(0, 99))
            changes = watcher.poll()
            assert changes is not None
            watched.refresh_changed(root, changes)
            scanned = SeedIndex("example.org")
            scanned.refresh(root)
            assert _view(watched) == _view(scanned), f"step {step}"
    finally:
        watcher.close()


def test_an_event_always_reads_the_file_again(tmp_path: Path) -> None:
    """Racily clean with inotify: an edit that keeps size and mtime is still read."""
    root = tmp_path / "seeds"
    seed(root / "a.md", 1, title="Before")
    index = SeedIndex("example.org")
    index.refresh(root)
    watcher = SeedWatcher(root)
    try:
        path = root / "a.md"
        info = path.stat()
        path.write_text(path.read_text().replace("Before", "Afters"))  # same size
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))  # mtime restored
        changes = watcher.poll()
        assert changes is not None
        stats = index.refresh_changed(root, changes)
        assert stats.parsed == 1
        assert index.item(index.entries["a.md"].item).title == "Afters 1"  # type: ignore[arg-type]
    finally:
        watcher.close()


def test_feeds_watch_0_and_the_config_turn_it_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from feeds.config import load_config
    from feeds.pipeline import Pipeline
    from tests.helpers import Project

    project = Project(tmp_path)
    project.configure([{"slug": "all", "title": "All"}])
    project.seed("a.md", title="A", webUrl="https://news.example/a")
    config = load_config(project.config_path)
    pipeline = Pipeline(config, watch=True)
    pipeline.run()
    assert pipeline._watcher is not None
    pipeline.close()
    monkeypatch.setenv("FEEDS_WATCH", "0")
    pipeline = Pipeline(config, watch=True)
    pipeline.run()
    assert pipeline._watcher is None
    monkeypatch.delenv("FEEDS_WATCH")
    project.configure([{"slug": "all", "title": "All"}], watch={"notify": False})
    pipeline = Pipeline(load_config(project.config_path), watch=True)
    pipeline.run()
    assert pipeline._watcher is None
