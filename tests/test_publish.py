"""Publishing through a local store: only changed bytes are written, only our files deleted,
state kept outside the output, damage found and repaired."""

import os
from pathlib import Path

from feeds.publish import Manifest, damaged, migrate_dotfiles, publish
from feeds.store import LocalStore, write_if_changed


def test_unchanged_bytes_are_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "a.atom"
    assert write_if_changed(path, b"one")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert not write_if_changed(path, b"one")
    assert path.stat().st_mtime_ns == 1_000_000_000
    assert write_if_changed(path, b"two")
    assert path.read_bytes() == b"two"
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


def _store(tmp_path: Path) -> tuple[LocalStore, Path]:
    return LocalStore(tmp_path / "out"), tmp_path / "state"


def test_publish_removes_only_files_it_wrote(tmp_path: Path) -> None:
    store, state = _store(tmp_path)
    publish(store, state, {"a.atom": b"A", "a.rss": b"A", "b.atom": b"B"})
    (store.folder / "mine.atom").write_bytes(b"user file")  # not written by feeds: never touched
    result = publish(store, state, {"a.atom": b"A", "a.rss": b"A2"})
    assert result.written == ["a.rss"] and result.unchanged == ["a.atom"]
    assert result.removed == ["b.atom"]
    assert sorted(p.name for p in store.folder.iterdir()) == ["a.atom", "a.rss", "mine.atom"]
    assert set(Manifest.read(state, store.location).files) == {"a.atom", "a.rss"}


def test_the_output_holds_only_served_files(tmp_path: Path) -> None:
    store, state = _store(tmp_path)
    publish(store, state, {"a.atom": b"A", "index.html": b"<!doctype html>"})
    assert sorted(p.name for p in store.folder.iterdir()) == ["a.atom", "index.html"]
    assert [p.name for p in state.iterdir()] == [Manifest.path(state, store.location).name]


def test_a_second_publish_writes_nothing_and_keeps_mtimes(tmp_path: Path) -> None:
    store, state = _store(tmp_path)
    files = {"a.atom": b"A", "a.rss": b"R"}
    publish(store, state, files)
    before = {p.name: p.stat().st_mtime_ns for p in store.folder.iterdir()}
    result = publish(store, state, files)
    assert result.written == [] and result.unchanged == ["a.atom", "a.rss"]
    assert {p.name: p.stat().st_mtime_ns for p in store.folder.iterdir()} == before


def test_a_damaged_file_is_found_and_rewritten(tmp_path: Path) -> None:
    store, state = _store(tmp_path)
    publish(store, state, {"a.atom": b"<feed/>", "a.rss": b"<rss/>"})
    manifest = Manifest.read(state, store.location)
    assert damaged(store, manifest) == set()
    (store.folder / "a.atom").write_bytes(b"garbage")
    (store.folder / "a.rss").unlink()
    assert damaged(store, manifest) == {"a.atom", "a.rss"}
    result = publish(store, state, {"a.atom": b"<feed/>", "a.rss": b"<rss/>"}, old=manifest)
    assert result.written == ["a.atom", "a.rss"]
    assert (store.folder / "a.atom").read_bytes() == b"<feed/>"
    assert damaged(store, Manifest.read(state, store.location)) == set()


def test_leftover_temporaries_are_cleaned(tmp_path: Path) -> None:
    store, state = _store(tmp_path)
    store.folder.mkdir()
    (store.folder / ".a.atom.x1y2.feeds-tmp").write_bytes(b"partial")
    publish(store, state, {"a.atom": b"A"})
    assert sorted(p.name for p in store.folder.iterdir()) == ["a.atom"]


def test_damaged_manifest_means_nothing_is_deleted(tmp_path: Path) -> None:
    store, state = _store(tmp_path)
    store.folder.mkdir()
    (store.folder / "x.atom").write_bytes(b"X")
    state.mkdir()
    Manifest.path(state, store.location).write_text("{not json")
    publish(store, state, {"a.atom": b"A"})
    assert (store.folder / "x.atom").exists()


def test_a_manifest_of_another_output_vouches_for_nothing(tmp_path: Path) -> None:
    store, state = _store(tmp_path)
    publish(store, state, {"a.atom": b"A"})
    path = Manifest.path(state, store.location)
    path.write_text(path.read_text().replace(store.location, "/elsewhere"))
    publish(store, state, {"b.atom": b"B"})
    assert (store.folder / "a.atom").exists()


def test_old_dotfiles_in_the_output_are_moved_out_once(tmp_path: Path) -> None:
    store, state = _store(tmp_path)
    store.folder.mkdir()
    (store.folder / ".feeds-manifest.json").write_text('{"files": ["old.atom", "../x.atom"]}')
    (store.folder / ".feeds.lock").write_text("123\n")
    (store.folder / "old.atom").write_bytes(b"old")
    (store.folder / ".htaccess").write_text("mine")
    assert migrate_dotfiles(store.folder, state, store.location) == [
        ".feeds-manifest.json",
        ".feeds.lock",
    ]
    assert migrate_dotfiles(store.folder, state, store.location) == []
    assert set(Manifest.read(state, store.location).files) == {"old.atom"}
    # The old manifest's files are still ours: a feed that is gone loses them.
    publish(store, state, {"a.atom": b"A"})
    assert sorted(p.name for p in store.folder.iterdir()) == [".htaccess", "a.atom"]


def test_a_file_feeds_did_not_write_is_never_overwritten_nor_deleted(tmp_path: Path) -> None:
    store, state = _store(tmp_path)
    store.folder.mkdir()
    (store.folder / "about.html").write_bytes(b"<p>the site's own page</p>")
    (store.folder / "same.atom").write_bytes(b"S")  # already what feeds would write: adopted
    result = publish(store, state, {"about.html": b"generated", "same.atom": b"S", "a.atom": b"A"})
    assert result.foreign == ["about.html"] and result.written == ["a.atom"]
    assert (store.folder / "about.html").read_bytes() == b"<p>the site's own page</p>"
    assert set(Manifest.read(state, store.location).files) == {"a.atom", "same.atom"}
    result = publish(store, state, {"a.atom": b"A"})  # about.html's feed is gone again
    assert result.removed == ["same.atom"]
    assert (store.folder / "about.html").exists()
