"""A persistent parse cache, so a new process does not re-parse unchanged seeds.

One file per seeds folder under the cache folder (default ``.feeds/cache/``, in the state folder),
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
from feeds.extras import Extras
from feeds.incremental import Entry, SeedIndex
from feeds.items import Record, TextLimits
from feeds.problems import Problem
from feeds.store import clean_temporaries, write_atomic

FORMAT = 7  # 7: related coverage kept pending; 6: versions as one int; 5: extras digest
MAGIC = b"feeds-parse-cache\n"
ITEMS_MAGIC = b"feeds-parse-items\n"
log = logging.getLogger("feeds")

_Row = tuple[str, bytes | None, list[Problem]]  # a version as 24 little-endian bytes
_ItemRow = tuple[str, Record]
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(list[_Row])
_items_decoder = msgspec.msgpack.Decoder(list[_ItemRow])


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
        "cache.py",
        "extras.py",
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
    """The cache files of one seeds folder under one set of parser settings."""

    path: Path
    key: str

    @classmethod
    def of(cls, folder: Path, seeds: Path, index: SeedIndex) -> ParseCache:
        return cls(cache_path(folder, seeds), fingerprint(seeds, index.authority, index.limits))

    @property
    def items_path(self) -> Path:
        return self.path.with_suffix(".items")

    def load(self, index: SeedIndex) -> bool:
        return load(self.path, index, self.key)

    def save(self, index: SeedIndex) -> None:
        save(self.path, index, self.key)


def cache_path(folder: Path, seeds: Path) -> Path:
    digest = hashlib.sha256(str(seeds.resolve()).encode()).hexdigest()[:16]
    return folder / f"seeds-{digest}.msgpack"


_HEADER = len(MAGIC) + 64 + 1 + 64 + 1  # magic, key, LF, checksum of the body, LF


def _read(path: Path, magic: bytes, key: str, what: str) -> tuple[memoryview, str] | None:
    """A cache file's body (checked against its checksum) and that checksum; None (with one
    warning if the file was bad, none if it is absent or made under other settings)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("parse cache %s unreadable (%s); %s", path, exc.strerror, what)
        return None
    header, body = data[:_HEADER], memoryview(data)[_HEADER:]  # no 100 MB copy
    if not header.startswith(magic) or len(header) < _HEADER:
        log.warning("parse cache %s is not a feeds cache; discarded", path)
        return None
    stored_key = header[len(magic) : len(magic) + 64].decode("ascii", "replace")
    checksum = header[len(magic) + 65 : len(magic) + 129].decode("ascii", "replace")
    if stored_key != key:
        return None  # other settings or another version: silently stale, not broken
    if hashlib.sha256(body).hexdigest() != checksum:
        log.warning("parse cache %s is damaged (checksum mismatch); discarded", path)
        return None
    return body, checksum


def _items_header(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(len(ITEMS_MAGIC) + 65 + 65)
    except OSError:
        return b""


def load(path: Path, index: SeedIndex, key: str) -> bool:
    """Fill ``index`` with the cached file versions and problems, and arrange for its items to
    be decoded only when a build needs them; False (with one warning if a file was bad).

    The items file names the version table it was written with (its checksum), so a pair
    torn by a crash or by two writers is never mixed: it is stale, and parsed again.
    """
    got = _read(path, MAGIC, key, "parsing every seed")
    if got is None:
        return False
    body, checksum = got
    items_path = path.with_suffix(".items")
    header = _items_header(items_path)
    if header[len(ITEMS_MAGIC) : len(ITEMS_MAGIC) + 64] != checksum.encode():
        return False  # the items of another save (or none): stale
    try:
        rows = _decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        log.warning("parse cache %s is unreadable (%s); discarded", path, exc)
        return False
    entries = {
        name: Entry(
            int.from_bytes(version, "little", signed=True) if version else None,
            None,
            tuple(problems),
        )
        for name, version, problems in rows
    }

    def items() -> tuple[dict[str, Record], Extras] | None:
        got = _read(items_path, ITEMS_MAGIC, checksum, "parsing every seed")
        if got is None:
            log.warning("parse cache %s is gone or damaged; parsing every seed", items_path)
            return None
        try:
            return _unpack_items(got[0])
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError, IndexError) as exc:
            log.warning("parse cache %s is unreadable (%s); discarded", items_path, exc)
            return None

    index.defer_items(entries, items)
    index.cache_digest = checksum
    return True


def save(path: Path, index: SeedIndex, key: str) -> None:
    """Write the index atomically (WriteError naming the path if it cannot be written: the
    feeds are published by then, but every later run would parse everything again): the
    items first, then the version table that vouches for them."""
    index.load_items()
    kept = [(name, e) for name, e in index.entries.items() if e.version is not None]
    body = _encoder.encode(
        [
            (name, e.version.to_bytes(24, "little", signed=True), list(e.problems))
            for name, e in kept
        ]  # type: ignore[union-attr]
    )
    checksum = hashlib.sha256(body).hexdigest()
    parts = _pack_items([(name, e.item) for name, e in kept if e.item is not None], index.extras)
    del kept
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    items_header = ITEMS_MAGIC + checksum.encode() + b"\n" + digest.hexdigest().encode() + b"\n"
    header = MAGIC + key.encode() + b"\n" + checksum.encode() + b"\n"
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        clean_temporaries(path.parent)  # left by a run killed while saving
        write_atomic(path.with_suffix(".items"), items_header, *parts)  # no copy of the chunks
        write_atomic(path, header, body)
    index.cache_digest = checksum


def _pack_items(records: list[tuple[str, Record]], extras: Extras) -> list[bytes]:
    """The items file's body as parts: the records, then every chunk of extras (length
    prefixed), written as they are (no copy into one buffer: ~300 MB at a million seeds)."""
    blob = _encoder.encode(records)
    parts = [len(blob).to_bytes(8, "little"), blob, len(extras.chunks).to_bytes(4, "little")]
    for chunk in extras.chunks:
        data = chunk if chunk is not None else b""
        parts.append(len(data).to_bytes(4, "little"))
        parts.append(data)  # type: ignore[arg-type]
    return parts


def _unpack_items(body: memoryview) -> tuple[dict[str, Record], Extras]:
    """:func:`_pack_items` read back; the chunks stay views into the file's bytes."""
    size = int.from_bytes(body[:8], "little")
    records = dict(_items_decoder.decode(body[8 : 8 + size]))
    pos = 8 + size
    count = int.from_bytes(body[pos : pos + 4], "little")
    pos += 4
    chunks = []
    for _ in range(count):
        n = int.from_bytes(body[pos : pos + 4], "little")
        chunks.append(body[pos + 4 : pos + 4 + n])
        pos += 4 + n
    if pos != len(body):
        raise ValueError("trailing bytes after the last chunk")
    return records, Extras(chunks)
