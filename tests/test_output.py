import os
from pathlib import Path

from feeds.output import MANIFEST, publish, read_manifest, write_if_changed


def test_unchanged_bytes_are_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "a.atom"
    assert write_if_changed(path, b"one")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert not write_if_changed(path, b"one")
    assert path.stat().st_mtime_ns == 1_000_000_000
    assert write_if_changed(path, b"two")
    assert path.read_bytes() == b"two"
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


def test_publish_removes_only_files_it_wrote(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, {"a.atom": b"A", "a.rss": b"A", "b.atom": b"B"})
    (out / "mine.atom").write_bytes(b"user file")  # not written by feeds: never touched
    result = publish(out, {"a.atom": b"A", "a.rss": b"A2"})
    assert result.written == ["a.rss"] and result.unchanged == ["a.atom"]
    assert result.removed == ["b.atom"]
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "a.atom", "a.rss", "mine.atom"]
    assert read_manifest(out).files == {"a.atom", "a.rss"}


def test_leftover_temporaries_are_cleaned(tmp_path: Path) -> None:
    (tmp_path / ".a.atom.x1y2.feeds-tmp").write_bytes(b"partial")
    publish(tmp_path, {"a.atom": b"A"})
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST, "a.atom"]


def test_damaged_manifest_means_nothing_is_deleted(tmp_path: Path) -> None:
    (tmp_path / "x.atom").write_bytes(b"X")
    (tmp_path / MANIFEST).write_text("{not json")
    publish(tmp_path, {"a.atom": b"A"})
    assert (tmp_path / "x.atom").exists()
