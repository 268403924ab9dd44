"""Publish rendered files into the output folder safely (the other I/O edge).

Readers and web servers may fetch a feed at any instant, so a file is replaced only by an
atomic rename of a complete temporary file, and only when its bytes changed (an unchanged feed
keeps its mtime, so HTTP validators and readers see nothing new). A manifest records which files
feeds wrote, so a feed dropped from the config loses its files and nothing else is ever deleted.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from feeds.files import is_ours, slug_of

MANIFEST = ".feeds-manifest.json"
TMP_SUFFIX = ".feeds-tmp"
FILE_MODE = 0o644


@dataclass(slots=True)
class WriteResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def write_atomic(path: Path, *parts: bytes) -> None:
    """Replace ``path`` with the concatenated ``parts`` in one rename; a crash leaves the old
    file or the new one.

    The temporary file is hidden and ends in ``.feeds-tmp``, so it is never mistaken for a feed
    and the next run can clean it up.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            for data in parts:
                fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), FILE_MODE)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless it already holds exactly those bytes."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, data)
    return True


@dataclass(slots=True)
class Manifest:
    """What feeds wrote last time: file names, and per feed a digest of what it was made from."""

    files: set[str] = field(default_factory=set)
    digests: dict[str, str] = field(default_factory=dict)


def read_manifest(output: Path) -> Manifest:
    """The manifest; a missing or damaged one means feeds wrote nothing it knows of."""
    try:
        data = json.loads((output / MANIFEST).read_text(encoding="utf-8"))
        # Only feed file names are ever deleted (besides our own temporaries).
        files = {n for n in data.get("files", []) if isinstance(n, str) and is_ours(n)}
        digests = {
            k: v
            for k, v in data.get("feeds", {}).items()
            if isinstance(k, str) and isinstance(v, str)
        }
        return Manifest(files, digests)
    except (OSError, ValueError, AttributeError):
        return Manifest()


def _write_manifest(output: Path, names: Iterable[str], digests: dict[str, str]) -> None:
    data = (
        json.dumps(
            {
                "generator": "feeds",
                "files": sorted(set(names)),
                "feeds": dict(sorted(digests.items())),
            },
            indent=1,
        )
        + "\n"
    )
    write_if_changed(output / MANIFEST, data.encode())


def clean_temporaries(output: Path) -> list[str]:
    """Delete temporary files a killed run left behind."""
    removed = []
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(output):
            if entry.name.startswith(".") and entry.name.endswith(TMP_SUFFIX):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed.append(entry.name)
    return removed


def publish(
    output: Path,
    files: dict[str, bytes],
    digests: dict[str, str] | None = None,
    keep: Iterable[str] = (),
    old: Manifest | None = None,
) -> WriteResult:
    """Make ``output`` hold exactly ``files`` plus ``keep`` among the files feeds manages.

    ``keep`` names files known to be current (their feed's inputs did not change), which are
    neither compared nor written. ``digests`` (feed slug -> digest of its inputs) are
    recorded only once the files they describe are in place. The manifest is widened before
    new files appear and narrowed after stale ones are gone, so a crash at any point never
    orphans a file feeds wrote nor vouches for one it did not finish. ``old`` is the manifest
    as the caller read it this run (read here when not given).
    """
    output.mkdir(parents=True, exist_ok=True)
    clean_temporaries(output)
    old = old if old is not None else read_manifest(output)
    digests = digests or {}
    keep = set(keep)
    current = set(files) | keep
    result = WriteResult(unchanged=sorted(keep))
    rewritten = {slug_of(name) for name in files}
    kept = {slug_of(name) for name in keep}
    interim = {slug: d for slug, d in old.digests.items() if slug not in rewritten}
    if not current <= old.files or interim != old.digests:
        _write_manifest(output, old.files | current, interim)
    for name in sorted(files):
        if write_if_changed(output / name, files[name]):
            result.written.append(name)
        else:
            result.unchanged.append(name)
    for name in sorted(old.files - current):
        with contextlib.suppress(FileNotFoundError):
            (output / name).unlink()
        result.removed.append(name)
    _write_manifest(
        output, current, {s: d for s, d in digests.items() if s in rewritten or s in kept}
    )
    result.unchanged.sort()
    return result
