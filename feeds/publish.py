"""Publish rendered files through a store, writing only what changed (the output edge).

Publish owns "what changed": a manifest in the state folder records, for every file feeds
wrote, a digest of its bytes and the version the store reported, and per feed a digest of the
inputs it was rendered from. A file whose bytes and version match is not touched (an
unchanged feed keeps its mtime or ETag, so HTTP validators and readers see nothing new); one
that was damaged or replaced since is written again; the files of a feed dropped from the
config are deleted, and nothing the manifest does not name ever is.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from feeds.errors import writing
from feeds.files import content_type, is_ours, slug_of
from feeds.store import Meta, Store, clean_temporaries, write_if_changed

__all__ = ["FileRecord", "Manifest", "WriteResult", "damaged", "migrate_dotfiles", "publish"]


@dataclass(slots=True)
class WriteResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)  # left alone: feeds did not write them
    manifest: Manifest | None = None  # as this publish left it

    @property
    def changed(self) -> list[str]:
        """Every file whose published bytes changed (written or removed)."""
        return sorted(self.written + self.removed)


@dataclass(frozen=True, slots=True)
class FileRecord:
    """A file as feeds last wrote it: a digest of its bytes and the store's version."""

    sha256: str
    version: str | None


@dataclass(slots=True)
class Manifest:
    """What feeds wrote to one output: its files, and per feed a digest of its inputs."""

    location: str = ""
    files: dict[str, FileRecord] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)

    @classmethod
    def path(cls, state: Path, location: str) -> Path:
        """One manifest per output location, so switching outputs forgets nothing."""
        return state / f"manifest-{hashlib.sha256(location.encode()).hexdigest()[:16]}.json"

    @classmethod
    def read(cls, state: Path, location: str) -> Manifest:
        """The manifest of ``location``; a missing or damaged one means feeds wrote nothing
        it knows of there (so nothing is deleted)."""
        try:
            data = json.loads(cls.path(state, location).read_text(encoding="utf-8"))
            if data.get("output") != location:
                return cls(location)
            files = {
                name: FileRecord(str(rec["sha256"]), rec.get("version"))
                for name, rec in data.get("files", {}).items()
                if isinstance(name, str) and is_ours(name) and isinstance(rec, dict)
            }
            digests = {
                k: v for k, v in data.get("feeds", {}).items()
                if isinstance(k, str) and isinstance(v, str)
            }  # fmt: skip
            return cls(location, files, digests)
        except (OSError, ValueError, AttributeError, KeyError, TypeError):
            return cls(location)

    def save(self, state: Path) -> None:
        data = {
            "generator": "feeds",
            "output": self.location,
            "files": {
                name: {"sha256": rec.sha256, "version": rec.version}
                for name, rec in sorted(self.files.items())
            },
            "feeds": dict(sorted(self.digests.items())),
        }
        path = self.path(state, self.location)
        with writing(path):
            state.mkdir(parents=True, exist_ok=True)
            clean_temporaries(state)
            write_if_changed(path, (json.dumps(data, indent=1) + "\n").encode())


def damaged(store: Store, manifest: Manifest, names: Iterable[str] | None = None) -> set[str]:
    """Files the manifest names whose version in the store is not the one feeds wrote:
    missing, or changed by someone else since (those feeds are rendered and written again)."""
    wanted = list(manifest.files if names is None else names)
    versions = store.versions(wanted)
    return {
        name for name in wanted
        if (rec := manifest.files.get(name)) is None or versions.get(name) != rec.version
        or rec.version is None
    }  # fmt: skip


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def publish(
    store: Store,
    state: Path,
    files: Mapping[str, bytes],
    digests: Mapping[str, str] | None = None,
    keep: Iterable[str] = (),
    old: Manifest | None = None,
    max_age: int = 900,
) -> WriteResult:
    """Make the store hold exactly ``files`` plus ``keep`` among the files feeds manages.

    ``keep`` names files known to be current (their feed's inputs did not change and
    :func:`damaged` found them intact), which are neither compared nor written. ``digests``
    (feed slug -> digest of its inputs) are recorded only once the files they describe are
    in place. The manifest is widened before new files appear and narrowed after stale ones
    are gone, so a crash at any point never orphans a file feeds wrote nor vouches for one it
    did not finish. A file feeds did not write that stands where one of ``files`` goes is
    left as it is (``WriteResult.foreign``), unless it already holds those very bytes.
    """
    old = old if old is not None else Manifest.read(state, store.location)
    digests = digests or {}
    keep = set(keep)
    store.prepare()
    versions = store.versions(files)
    foreign = sorted(
        name
        for name, data in files.items()
        if name not in old.files and versions.get(name) is not None and store.read(name) != data
    )
    files = {name: data for name, data in files.items() if name not in foreign}
    current = set(files) | keep
    result = WriteResult(unchanged=sorted(keep), foreign=foreign)
    rewritten = {slug_of(name) for name in files}
    kept = {slug_of(name) for name in keep}
    incomplete = {slug_of(name) for name in foreign}  # rendered again, checked again
    records = dict(old.files)
    interim_digests = {s: d for s, d in old.digests.items() if s not in rewritten}
    for name in current - records.keys():
        records[name] = FileRecord("", None)  # about to appear: ours, not yet vouched for
    if records.keys() != old.files.keys() or interim_digests != old.digests:
        Manifest(store.location, records, interim_digests).save(state)
    meta: dict[str, Meta] = {}  # per extension, built once
    try:
        for name in sorted(files):
            data = files[name]
            sha = _sha(data)
            rec, now = old.files.get(name), versions.get(name)
            if rec is not None and now is not None and rec.sha256 == sha and rec.version == now:
                result.unchanged.append(name)
                continue
            if not store.remote and now is not None and store.read(name) == data:
                records[name] = FileRecord(sha, now)  # the same bytes: keep the file as it is
                result.unchanged.append(name)
                continue
            ext = name.rpartition(".")[2]
            if ext not in meta:
                meta[ext] = Meta(content_type(name), f"public, max-age={max_age}")
            records[name] = FileRecord(sha, store.write(name, data, meta[ext]))
            result.written.append(name)
        for name in sorted(old.files.keys() - current):
            store.delete(name)
            records.pop(name, None)
            result.removed.append(name)
    except BaseException:
        # What is in place is recorded even when a write fails, so a retry redoes no more
        # than it must; the feeds being rewritten stay without a digest until complete.
        Manifest(store.location, records, interim_digests).save(state)
        raise
    final = {
        s: d for s, d in digests.items() if (s in rewritten or s in kept) and s not in incomplete
    }
    result.manifest = Manifest(store.location, {n: records[n] for n in sorted(current)}, final)
    result.manifest.save(state)
    result.unchanged.sort()
    return result


def migrate_dotfiles(output: Path, state: Path, location: str) -> list[str]:
    """Move what older versions kept inside the output folder (the manifest and the lock)
    out of it, once: the files the old manifest lists stay ours (deletable), and the output
    then holds only files meant to be served. Returns the names removed from the output."""
    moved = []
    old_manifest = output / ".feeds-manifest.json"
    if old_manifest.is_file():
        current = Manifest.read(state, location)
        if not current.files:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                data = json.loads(old_manifest.read_text(encoding="utf-8"))
                names = [n for n in data.get("files", []) if isinstance(n, str) and is_ours(n)]
                Manifest(location, {n: FileRecord("", None) for n in names}).save(state)
        with writing(old_manifest, "remove"):
            old_manifest.unlink()
        moved.append(old_manifest.name)
    old_lock = output / ".feeds.lock"
    if old_lock.is_file():
        with contextlib.suppress(OSError):
            old_lock.unlink()
            moved.append(old_lock.name)
    return moved
