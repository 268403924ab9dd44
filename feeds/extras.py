"""The parts of items only their entries show, kept compressed: a corpus's memory is mostly
excerpts and related coverage, and a build renders a few hundred entries of it.

Why: a whole :class:`~feeds.items.Item` costs ~2.5 KB of Python objects, 2.5 GB at a million
seeds. Selection needs a tenth of it (:class:`~feeds.items.Record`); the rest (title,
excerpt, outlet, lead image, related coverage: ~0.9 KB of msgpack) is stored in chunks of up
to :data:`CHUNK` items, each msgpack-encoded and zlib-compressed (level 1: ~4x smaller, ~14 us
an item to pack, in the pool workers that parse), and unpacked on demand, a chunk at a time,
when an entry is rendered. A record's ``at`` is its chunk number times CHUNK plus its place.

Pure bookkeeping in memory; the parse cache stores the chunks as they are.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence

import msgspec
from msgspec.structs import force_setattr

from feeds.items import Extra, Item, Record, join, split

CHUNK = 64  # items per compressed chunk: a render unpacks ~60 KB for the one it needs
LEVEL = 1
_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(list[Extra]).decode


def pack(extras: Sequence[Extra]) -> list[bytes]:
    """Compressed chunks of up to CHUNK extras, in order."""
    return [
        zlib.compress(_encode(extras[i : i + CHUNK]), LEVEL) for i in range(0, len(extras), CHUNK)
    ]


def split_all(items: Iterable[Item | None]) -> tuple[list[Record | None], list[bytes]]:
    """Items as records (placed by their order: ``at`` counts from 0) and packed chunks."""
    records: list[Record | None] = []
    extras: list[Extra] = []
    for item in items:
        if item is None:
            records.append(None)
            continue
        record, extra = split(item)
        force_setattr(record, "at", len(extras))  # chunk len // CHUNK, place len % CHUNK
        records.append(record)
        extras.append(extra)
    return records, pack(extras)


class Extras:
    """Every chunk of extras of an index, and the few last unpacked."""

    def __init__(self, chunks: Sequence[bytes | memoryview | None] = ()) -> None:
        self.chunks: list[bytes | memoryview | None] = list(chunks)
        self.live: list[int] = [-1] * len(self.chunks)  # -1: not counted (loaded chunks)
        self._unpacked: OrderedDict[int, list[Extra]] = OrderedDict()
        self._items: OrderedDict[Record, Item] = OrderedDict()

    def add(self, records: Sequence[Record | None], chunks: Sequence[bytes]) -> None:
        """Take a batch's chunks and place its records (``at`` relative to the batch)."""
        base = len(self.chunks)
        self.chunks.extend(chunks)
        counts = [0] * len(chunks)
        for record in records:
            if record is not None:
                c, slot = divmod(record.at, CHUNK)
                counts[c] += 1
                force_setattr(record, "at", (base + c) * CHUNK + slot)
        self.live.extend(counts)

    def adopt(self, other: Extras, records: Iterable[Record]) -> None:
        """Append ``other``'s chunks after these, renumbering its ``records``."""
        base = len(self.chunks) * CHUNK
        self.chunks.extend(other.chunks)
        self.live.extend(other.live)
        for record in records:
            force_setattr(record, "at", record.at + base)

    def count(self, record: Record) -> None:
        """Count a loaded record in its chunk (loaded chunks start at zero: see prune)."""
        c = record.at // CHUNK
        self.live[c] = max(self.live[c], 0) + 1

    def prune(self) -> None:
        """Free the loaded chunks no counted record is in."""
        for c, n in enumerate(self.live):
            if n <= 0 and self.chunks[c]:
                self.chunks[c] = b""
                self.live[c] = 0

    def forget(self, record: Record) -> None:
        """A record replaced or gone: its chunk is freed once none of its records is left."""
        c = record.at // CHUNK
        if 0 <= c < len(self.live) and self.live[c] > 0:
            self.live[c] -= 1
            if self.live[c] == 0:
                self.chunks[c] = b""
                self._unpacked.pop(c, None)

    def extra(self, record: Record) -> Extra:
        c, slot = divmod(record.at, CHUNK)
        got = self._unpacked.get(c)
        if got is None:
            data = self.chunks[c]
            got = _decode(zlib.decompress(data))  # type: ignore[arg-type]
            self._unpacked[c] = got
            if len(self._unpacked) > 256:
                self._unpacked.popitem(last=False)
        else:
            self._unpacked.move_to_end(c)
        return got[slot]

    def item(self, record: Record | Item) -> Item:
        """The whole item of a record (memoised: a daemon renders the same ones again)."""
        if isinstance(record, Item):
            return record
        item = self._items.get(record)
        if item is None:
            item = join(record, self.extra(record))
            self._items[record] = item
            if len(self._items) > 8192:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(record)
        return item
