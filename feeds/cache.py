"""A persistent parse cache, so a new process does not re-parse unchanged seeds.

One file per seeds folder under the cache folder (default ``.feeds-cache/`` next to the config),
holding every seed's (path, mtime_ns, ctime_ns, size) and what parsing it produced. It is
msgpack decoded by msgspec against the exact domain types, behind a header with the format
version, the parser settings and a checksum of the body: a corrupt, truncated, foreign or
stale file is discarded with one warning and never trusted. It is replaced by an atomic rename,
so concurrent runs can only make each other's work redundant, never corrupt the file.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import msgspec
import yaml

from feeds.errors import writing
from feeds.incremental import Entry, SeedIndex
from feeds.items import Item, TextLimits
from feeds.problems import Problem
from feeds.store import clean_temporaries, write_atomic

FORMAT = 2  # 2: Items are msgspec Structs, encoded as arrays
MAGIC = b"feeds-parse-cache\n"
log = logging.getLogger("feeds")

_Row = tuple[str, tuple[int, int, int] | None, Item | None, list[Problem]]
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(list[_Row])


@functools.cache
def _code_digest() -> str:
    """The parsing code itself: an edited normaliser must not reuse items made by the old one."""
    here = Path(__file__).parent
    h = hashlib.sha256()
    for name in (
        "seeds.py",
        "safeyaml.py",
        "fastyaml.py",
        "items.py",
        "text.py",
        "urls.py",
        "topics.py",
        "problems.py",
        "incremental.py",
    ):
        h.update((here / name).read_bytes())
    return h.hexdigest()


def fingerprint(seeds: Path, authority: str, limits: TextLimits) -> str:
    """What the cached items depend on besides the files: change any, and the cache is stale."""
    parts = [
        str(FORMAT),
        _code_digest(),
        str(seeds),
        str(seeds.resolve()),
        authority,
        repr(limits),
        yaml.__version__,
        str(bool(getattr(yaml, "CSafeLoader", None))),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ParseCache:
    """The cache file of one seeds folder under one set of parser settings."""

    path: Path
    key: str

    @classmethod
    def of(cls, folder: Path, seeds: Path, index: SeedIndex) -> ParseCache:
        return cls(cache_path(folder, seeds), fingerprint(seeds, index.authority, index.limits))

    def load(self, index: SeedIndex) -> bool:
        return load(self.path, index, self.key)

    def save(self, index: SeedIndex) -> None:
        save(self.path, index, self.key)


def cache_path(folder: Path, seeds: Path) -> Path:
    digest = hashlib.sha256(str(seeds.resolve()).encode()).hexdigest()[:16]
    return folder / f"seeds-{digest}.msgpack"


def load(path: Path, index: SeedIndex, key: str) -> bool:
    """Fill ``index`` from the cache file; False (with one warning if the file was bad)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.warning("parse cache %s unreadable (%s); parsing every seed", path, exc.strerror)
        return False
    header_len = len(MAGIC) + 64 + 1 + 64 + 1
    header, body = data[:header_len], memoryview(data)[header_len:]  # no 100 MB copy
    if not header.startswith(MAGIC) or len(header) < header_len:
        log.warning("parse cache %s is not a feeds cache; discarded", path)
        return False
    stored_key = header[len(MAGIC) : len(MAGIC) + 64].decode("ascii", "replace")
    checksum = header[len(MAGIC) + 65 : len(MAGIC) + 129].decode("ascii", "replace")
    if stored_key != key:
        return False  # other settings or another version: silently stale, not broken
    if hashlib.sha256(body).hexdigest() != checksum:
        log.warning("parse cache %s is damaged (checksum mismatch); discarded", path)
        return False
    try:
        rows = _decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        log.warning("parse cache %s is unreadable (%s); discarded", path, exc)
        return False
    index.entries = {
        name: Entry(version, item, tuple(problems)) for name, version, item, problems in rows
    }
    return True


def save(path: Path, index: SeedIndex, key: str) -> None:
    """Write the index atomically (WriteError naming the path if it cannot be written: the
    feeds are published by then, but every later run would parse everything again)."""
    rows = [
        (name, e.version, e.item, list(e.problems))
        for name, e in index.entries.items()
        if e.version is not None
    ]
    body = _encoder.encode(rows)
    del rows
    header = MAGIC + key.encode() + b"\n" + hashlib.sha256(body).hexdigest().encode() + b"\n"
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        clean_temporaries(path.parent)  # left by a run killed while saving
        write_atomic(path, header, body)  # two parts: no copy of a large body
