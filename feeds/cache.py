"""A persistent parse cache, so a new process does not re-parse unchanged seeds.

One file per seeds folder under the cache folder (default ``.feeds/cache/``, in the state folder),
holding every seed's (path, mtime_ns, ctime_ns, size) and what parsing it produced. It is
msgpack decoded by msgspec against the exact domain types, behind a header with the format
version and the parser settings, and checked against a checksum of its body (the items file
keeps its checksum in a trailer, so it is written and read a block at a time): a corrupt,
truncated, foreign or stale file is discarded with one warning and never trusted. It is
replaced by an atomic rename, so concurrent runs can only make each other's work redundant,
never corrupt the file.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
import yaml

from feeds.errors import writing
from feeds.extras import Extras
from feeds.incremental import Entry, SeedIndex
from feeds.items import Record, TextLimits
from feeds.problems import Problem
from feeds.store import clean_temporaries, write_atomic, write_atomic_parts

FORMAT = 7  # 7: related pending, items in blocks; 6: versions as one int; 5: extras digest
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


def _header(path: Path, header: bytes, magic: bytes, key: str) -> str | None:
    """The body checksum a cache file's header promises; None (with one warning if the file
    is not ours) when it is not a cache made under ``key``."""
    if not header.startswith(magic) or len(header) < _HEADER:
        log.warning("parse cache %s is not a feeds cache; discarded", path)
        return None
    stored_key = header[len(magic) : len(magic) + 64].decode("ascii", "replace")
    if stored_key != key:
        return None  # other settings or another version: silently stale, not broken
    return header[len(magic) + 65 : len(magic) + 129].decode("ascii", "replace")


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
    body = memoryview(data)[_HEADER:]  # no 100 MB copy
    checksum = _header(path, data[:_HEADER], magic, key)
    if checksum is None:
        return None
    if hashlib.sha256(body).hexdigest() != checksum:
        log.warning("parse cache %s is damaged (checksum mismatch); discarded", path)
        return None
    return body, checksum


_ITEMS_HEADER = len(ITEMS_MAGIC) + 65  # magic, the version table's checksum, LF
_TRAILER = 65  # the checksum of everything between header and trailer, LF
BLOCK = 65536  # records per msgpack block: encoded and decoded a block at a time


def _read_items(path: Path, key: str) -> tuple[dict[str, Record], memoryview] | None:
    """The items file's records (decoded a block at a time, so no buffer of all their bytes
    is ever held: 320 MB at a million seeds) and its chunks' part (the chunks stay views into
    it), checked against the file's checksum; None (with one warning) if it is damaged,
    None if it is absent or stale. Raises msgspec's errors and ValueError on a malformed
    body."""
    try:
        with path.open("rb") as fh:
            header = fh.read(_ITEMS_HEADER)
            if not header.startswith(ITEMS_MAGIC) or len(header) < _ITEMS_HEADER:
                log.warning("parse cache %s is not a feeds cache; discarded", path)
                return None
            if header[len(ITEMS_MAGIC) : len(ITEMS_MAGIC) + 64] != key.encode():
                return None  # the items of another save
            digest = hashlib.sha256()
            count = fh.read(4)
            digest.update(count)
            records: dict[str, Record] = {}
            for _ in range(int.from_bytes(count, "little")):
                size = fh.read(8)
                blob = fh.read(int.from_bytes(size, "little"))
                digest.update(size)
                digest.update(blob)
                records.update(_items_decoder.decode(blob))  # raises at the end of the file
                del blob
            rest = fh.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("parse cache %s unreadable (%s); parsing every seed", path, exc.strerror)
        return None
    chunks, trailer = memoryview(rest)[:-_TRAILER], rest[-_TRAILER:]
    digest.update(chunks)
    if len(rest) < _TRAILER or trailer != digest.hexdigest().encode() + b"\n":
        log.warning("parse cache %s is damaged (checksum mismatch); discarded", path)
        return None
    return records, chunks


def _items_header(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(_ITEMS_HEADER)
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
        try:
            got = _read_items(items_path, checksum)
            if got is None:
                log.warning("parse cache %s is gone or damaged; parsing every seed", items_path)
                return None
            return got[0], _unpack_chunks(got[1])
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
    entries = index.entries
    # One short-lived list at a time (each is ~100 MB at a million seeds).
    rows = [
        (name, e.version.to_bytes(24, "little", signed=True), e.problems)
        for name, e in entries.items()
        if e.version is not None
    ]
    body = _encoder.encode(rows)
    del rows
    checksum = hashlib.sha256(body).hexdigest()
    records = [
        (name, e.item)
        for name, e in entries.items()
        if e.version is not None and e.item is not None
    ]
    header = MAGIC + key.encode() + b"\n" + checksum.encode() + b"\n"
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        clean_temporaries(path.parent)  # left by a run killed while saving
        items = _pack_items(checksum, records, index.extras)  # written as they are made
        write_atomic_parts(path.with_suffix(".items"), items)
        write_atomic(path, header, body)
    index.cache_digest = checksum


def _pack_items(
    checksum: str, records: list[tuple[str, Record]], extras: Extras
) -> Iterator[bytes | memoryview]:
    """The items file, part by part: a header naming the version table (its ``checksum``),
    the records in msgpack blocks of BLOCK, every chunk of extras (length prefixed, as it
    is: no copy), and a trailer with the checksum of it all. Made as it is written, so no
    part outlives its write (the records' msgpack is 320 MB at a million seeds)."""
    yield ITEMS_MAGIC + checksum.encode() + b"\n"
    digest = hashlib.sha256()

    def part(data: bytes | memoryview) -> bytes | memoryview:
        digest.update(data)
        return data

    blocks = range(0, len(records), BLOCK)
    yield part(len(blocks).to_bytes(4, "little"))
    for start in blocks:
        blob = _encoder.encode(records[start : start + BLOCK])
        yield part(len(blob).to_bytes(8, "little"))
        yield part(blob)
        del blob
    yield part(len(extras.chunks).to_bytes(4, "little"))
    for chunk in extras.chunks:
        data = chunk if chunk is not None else b""
        yield part(len(data).to_bytes(4, "little"))
        yield part(data)
    yield digest.hexdigest().encode() + b"\n"


def _unpack_chunks(body: memoryview) -> Extras:
    """The chunks' part of the items file read back; the chunks stay views into it."""
    count = int.from_bytes(body[:4], "little")
    if 4 + 4 * count > len(body):
        raise ValueError(f"{count} chunks cannot fit in {len(body)} bytes")
    pos = 4
    chunks = []
    for _ in range(count):
        n = int.from_bytes(body[pos : pos + 4], "little")
        chunks.append(body[pos + 4 : pos + 4 + n])
        pos += 4 + n
    if pos != len(body):
        raise ValueError("trailing or missing bytes after the last chunk")
    return Extras(chunks)
