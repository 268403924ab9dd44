"""Domain objects for news items and the one place raw seed records are normalised into them.

Everything downstream (selection, rendering) trusts these objects: text is clean, URLs are
absolute http(s), times are timezone-aware. A record that cannot be repaired raises
:class:`~feeds.seeds.SeedError` naming the key; a field that can be repaired or dropped is,
with a note saying so.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import re
import sys
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import msgspec
from msgspec.structs import force_setattr

from feeds.messages import short
from feeds.problems import SeedError
from feeds.text import placeholder_reason, repair_text
from feeds.topics import topic_key
from feeds.urls import clean_url

UTC = dt.UTC
MIN_YEAR, MAX_YEAR = 1900, 9998
MAX_TOPICS = 50
MAX_RELATED = 20
# Related coverage moves an entry's `updated` only within this window after publication, so
# a mistyped (far-future) related date cannot pin an entry to the top of readers' lists.
RELATED_UPDATE_WINDOW = dt.timedelta(days=30)
# 2024-03-01, 2024-03-01T10:00, …T10:00:00, …T10:00:00.123, with Z or ±hh:mm: shapes on which
# datetime.fromisoformat and dateutil's isoparse agree.
_COMMON_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?"
    r"(?:Z|[+-]\d{2}:\d{2})?)?$"
)
_INT_TEXT = re.compile(r"^\s*[-+]?[0-9]{1,18}\s*$")  # ASCII digits only ("²".isdigit() is True)
# A decimal number in text ("49.5", " 80 ", "1e2"): ASCII digits only ("٤٢" is no quality).
_NUMBER_TEXT = re.compile(r"\s*[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*")
MAX_QUALITY = 1e15  # beyond this a "quality" is garbage (and too big for the parse cache)
TRUE_WORDS = {"true", "yes", "on", "1"}
FALSE_WORDS = {"false", "no", "off", "0"}


@dataclass(frozen=True, slots=True)
class TextLimits:
    """Length caps applied once, when seeds are read (so they are corpus-wide, not per feed)."""

    max_title_length: int = 200
    max_summary_length: int = 1000


DEFAULT_LIMITS = TextLimits()


# The domain types are msgspec Structs: compact (no per-object dict, no GC tracking: they
# hold no cycles) and decoded from msgpack ~10x faster than dataclasses, which is what a pool
# worker's results and the parse cache cost the main process. Encoded as arrays.
_STRUCT = {"frozen": True, "gc": False, "array_like": True}


class Provider(msgspec.Struct, **_STRUCT):  # type: ignore[call-arg]
    """The outlet that published an item."""

    name: str
    domain: str | None = None


class Image(msgspec.Struct, **_STRUCT):  # type: ignore[call-arg]
    url: str
    width: int | None = None
    height: int | None = None


class Related(msgspec.Struct, **_STRUCT):  # type: ignore[call-arg]
    """Another outlet's coverage of the same story (only what an entry shows, to stay small)."""

    title: str
    link: str
    provider: Provider | None = None
    quality: int | float | None = None


# A seed's value as a related entry's field may hold it, exactly as msgpack keeps it.
Scalar = str | int | float | bool | None


class RawRelated(msgspec.Struct, **_STRUCT):  # type: ignore[call-arg]
    """A related entry's fields as the seed has them (``provider``: a mapping's name and
    domain, None for anything else), normalised only when its item's entry is rendered."""

    title: Scalar
    web_url: Scalar
    original_url: Scalar
    provider: tuple[Scalar, Scalar] | None
    quality: Scalar


class PendingRelated(msgspec.Struct, **_STRUCT):  # type: ignore[call-arg]
    """An item's related coverage, not normalised yet: most items are never rendered, and
    normalising every related entry (URLs, text, outlets) cost a sixth of parsing a seed.
    ``limit`` is the title length cap the seeds were read with."""

    limit: int
    entries: tuple[RawRelated, ...]

    def resolve(self) -> tuple[Related, ...]:
        """The related coverage, exactly as :func:`normalize` makes it eagerly."""
        return tuple(r for raw in self.entries if (r := _resolve(raw, self.limit)) is not None)


class Item(msgspec.Struct, **_STRUCT):  # type: ignore[call-arg]
    """One news item, ready for selection and rendering (``images``: the lead image only,
    the one entries show)."""

    id: str
    link: str | None
    title: str
    summary: str
    published: dt.datetime
    updated: dt.datetime
    quality: int | float | None = None
    is_published: bool | None = None
    type: str | None = None
    topics: tuple[str, ...] = ()
    provider: Provider | None = None
    images: tuple[Image, ...] = ()
    related: tuple[Related, ...] = ()
    source: str = ""
    # Derived for selection (stored, so a cache load decodes rather than recomputes them):
    # the topics' identity keys (feeds.topics.topic_key), and the time an entry stands at in
    # newest-first order (its publication; a duplicate group's newest, see select).
    topic_keys: tuple[str, ...] | None = None
    sort_ts: float | None = None
    # Set only between parsing and packing (see PendingRelated): ``related`` is then empty.
    pending_related: PendingRelated | None = None

    def __post_init__(self) -> None:
        # Topic names recur across the whole corpus: share one string object per name.
        force_setattr(self, "topics", tuple(map(sys.intern, self.topics)))
        keys = self.topic_keys if self.topic_keys is not None else map(topic_key, self.topics)
        force_setattr(self, "topic_keys", tuple(map(sys.intern, keys)))
        if self.sort_ts is None:
            force_setattr(self, "sort_ts", self.published.timestamp())

    @property
    def order_key(self) -> tuple[float, str, str]:
        """Newest first; ties by id, then seed path, so order never depends on disk order."""
        return (-self.sort_ts, self.id, self.source)  # type: ignore[operator]


class Record(msgspec.Struct, **_STRUCT):  # type: ignore[call-arg]
    """What selection reads of an item, kept for every seed; the rest, which only entries
    show (title, excerpt, outlet, images, related coverage), is an :class:`Extra` stored
    compressed in :class:`feeds.extras.Extras` at ``at`` (a chunk number times CHUNK plus
    the item's place in it). About 0.4 KB a seed instead of 2.5 KB: a million seeds fit in
    memory. Selection works on records exactly as on items (the same attributes).
    """

    id: str
    link: str | None
    published: dt.datetime
    updated: dt.datetime
    quality: int | float | None
    is_published: bool | None
    topics: tuple[str, ...]
    topic_keys: tuple[str, ...]
    source: str
    sort_ts: float | None = None  # None: the publication's (a duplicate group's is its newest)
    at: int = -1
    # A digest of the extra part, so a feed's inputs can be compared without unpacking it.
    extra_digest: bytes = b""

    def __post_init__(self) -> None:
        # Equal values share one object: a link that is the id, an update that is the
        # publication, the topic tuples (a few hundred combinations across a corpus).
        if self.link is not None and self.link == self.id:
            force_setattr(self, "link", self.id)
        if self.updated == self.published:
            force_setattr(self, "updated", self.published)
        force_setattr(self, "topics", _shared(self.topics))
        force_setattr(self, "topic_keys", _shared(self.topic_keys))

    @property
    def order_key(self) -> tuple[float, str, str]:
        """Newest first; ties by id, then seed path, so order never depends on disk order."""
        ts = self.sort_ts if self.sort_ts is not None else self.published.timestamp()
        return (-ts, self.id, self.source)


class Extra(msgspec.Struct, **_STRUCT):  # type: ignore[call-arg]
    """The part of an item only its entry shows."""

    title: str
    summary: str
    type: str | None
    provider: Provider | None
    images: tuple[Image, ...]
    related: tuple[Related, ...]
    pending_related: PendingRelated | None = None  # then ``related`` is empty


_SHARED: dict[tuple[str, ...], tuple[str, ...]] = {}


def _shared(names: tuple[str, ...]) -> tuple[str, ...]:
    """One tuple object per combination of topic names (bounded against hostile input)."""
    got = _SHARED.get(names)
    if got is not None:
        return got
    names = tuple(map(sys.intern, names))
    if len(_SHARED) < 100_000:
        _SHARED[names] = names
    return names


def split(item: Item) -> tuple[Record, Extra]:
    """An item as its record (without a place yet) and its extra part."""
    sort_ts = item.sort_ts if item.sort_ts != item.published.timestamp() else None
    record = Record(
        item.id,
        item.link,
        item.published,
        item.updated,
        item.quality,
        item.is_published,
        item.topics,
        item.topic_keys or (),
        item.source,
        sort_ts,
    )
    extra = Extra(
        item.title,
        item.summary,
        item.type,
        item.provider,
        item.images,
        item.related,
        item.pending_related,
    )
    digest = hashlib.blake2b(_msgpack(extra), digest_size=16).digest()
    force_setattr(record, "extra_digest", digest)
    return record, extra


_msgpack = msgspec.msgpack.Encoder().encode


def join(record: Record, extra: Extra) -> Item:
    """The item a record and its extra part make (times as the record has them: a
    duplicate group's entry keeps its merged publication, update and place)."""
    return Item(
        id=record.id,
        link=record.link,
        title=extra.title,
        summary=extra.summary,
        published=record.published,
        updated=record.updated,
        quality=record.quality,
        is_published=record.is_published,
        type=extra.type,
        topics=record.topics,
        provider=extra.provider,
        images=extra.images,
        related=extra.related if extra.pending_related is None else extra.pending_related.resolve(),
        source=record.source,
        topic_keys=record.topic_keys,
        sort_ts=record.sort_ts,
    )


@dataclass(slots=True)
class Normalized:
    """A normalised item and the repairs made on the way (``key: what happened``)."""

    item: Item
    notes: list[str] = field(default_factory=list)


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
        type(None): "nothing",
    }.get(type(value), type(value).__name__)


def _isoparse(text: str) -> dt.datetime:
    """dateutil's ISO 8601 reader, imported on first need (the common shapes never need it)."""
    from dateutil import parser

    return parser.isoparse(text)


def parse_time(value: Any) -> dt.datetime:
    """A timezone-aware datetime from a YAML timestamp, date or ISO 8601 string (naive = UTC)."""
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, dt.date):
        when = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:  # the stdlib reads the common shapes ~20x faster; dateutil the rest of ISO 8601
            when = dt.datetime.fromisoformat(text) if _COMMON_ISO.match(text) else _isoparse(text)
        except (ValueError, OverflowError):
            raise ValueError(f"not an ISO 8601 date: {short(value)}") from None
    else:
        raise ValueError(f"expected an ISO 8601 date, got {_type_name(value)} {short(value)}")
    if when.tzinfo is None or when.utcoffset() is None:
        when = when.replace(tzinfo=UTC)
    try:
        when = when.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"date out of range: {short(value)}") from None
    if not MIN_YEAR <= when.year <= MAX_YEAR:
        # RSS dates need four-digit years; nothing before 1900 is news.
        raise ValueError(f"year {when.year} is out of range ({MIN_YEAR}-{MAX_YEAR})")
    return when


def _text(value: Any, limit: int | None = None) -> str | None:
    """Repaired text from a scalar; numbers become their string form, containers are refused."""
    if isinstance(value, str):
        return repair_text(value, limit)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INT_TEXT.match(value):
        return int(value)
    return None


def number(value: Any) -> int | float | None:
    """A quality as a number: an integer, a finite decimal, or text holding one ("49.5").

    Booleans (YAML's ``yes``), infinities, NaN, absurd magnitudes and anything else are no
    number: a quality that cannot be compared must not pass every ``min_quality``.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value):
        value = int(value) if _INT_TEXT.match(value) else float(value)
    if isinstance(value, int | float) and math.isfinite(value) and abs(value) <= MAX_QUALITY:
        return value
    return None


def _provider(value: Any) -> Provider | None:
    if not isinstance(value, dict):
        return None
    return _provider_of(value.get("name"), value.get("domain"))


def _provider_of(name_value: Any, domain_value: Any) -> Provider | None:
    """An outlet from its raw name and domain (the domain names one that has no name)."""
    name = _text(name_value)
    domain = _text(domain_value)
    if not name:
        name = domain
    return _shared_provider(name, domain or None) if name else None


@functools.lru_cache(maxsize=4096)
def _shared_provider(name: str, domain: str | None) -> Provider:
    """One Provider object per outlet: a few hundred outlets across 100k items."""
    return Provider(name, domain)


def _images(value: Any, notes: list[str]) -> tuple[Image, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        notes.append(f"images: expected a list, got {_type_name(value)}; ignored")
        return ()
    images = []
    for raw in value:
        if not isinstance(raw, dict):
            continue
        url = clean_url(raw.get("url"))
        if url:
            width, height = _int(raw.get("width")), _int(raw.get("height"))
            images.append(
                Image(
                    url,
                    width if width and width > 0 else None,
                    height if height and height > 0 else None,
                )
            )
    return tuple(images)


def _raw_related(raw: dict[Any, Any]) -> RawRelated:
    provider = raw.get("provider")
    return RawRelated(
        raw.get("title"),
        raw.get("webUrl"),
        raw.get("originalUrl"),
        (provider.get("name"), provider.get("domain")) if isinstance(provider, dict) else None,
        raw.get("quality"),
    )


def _resolve(raw: RawRelated, limit: int) -> Related | None:
    """One related entry normalised, or None when it has no usable link or title: the one
    statement of the rule, eager or pending."""
    link = clean_url(raw.web_url) or clean_url(raw.original_url)
    title = _text(raw.title, limit)
    if not link or not title:
        return None
    provider = _provider_of(*raw.provider) if raw.provider is not None else None
    return Related(title=title, link=link, provider=provider, quality=number(raw.quality))


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _pending_related(
    raws: list[dict[Any, Any]], limit: int, published: dt.datetime
) -> tuple[PendingRelated, dt.datetime] | None:
    """:func:`_related` without normalising any entry but the newest usable one in the update
    window (which sets `updated`, exactly as the eager loop would); None when the entries
    must be normalised now: more than MAX_RELATED (the best are picked, with a note), or a
    field msgpack cannot keep exactly (a container, bytes, a huge int, a lone surrogate)."""
    if len(raws) > MAX_RELATED:
        return None
    horizon = published + RELATED_UPDATE_WINDOW
    entries: list[RawRelated] = []
    dated: list[tuple[dt.datetime, RawRelated]] = []
    scalars = _SCALARS
    for raw in raws:
        entry = _raw_related(raw)
        if not (
            type(entry.title) in scalars
            and type(entry.web_url) in scalars
            and type(entry.original_url) in scalars
            and type(entry.quality) in scalars
            and (
                entry.provider is None
                or (type(entry.provider[0]) in scalars and type(entry.provider[1]) in scalars)
            )
        ):
            return None
        entries.append(entry)
        if "publishedDateTime" in raw:
            try:
                when = parse_time(raw["publishedDateTime"])
            except ValueError:
                continue
            except Exception:  # the eager loop meets it only for a usable entry: let it
                return None
            if published < when <= horizon:
                dated.append((when, entry))
    pending = PendingRelated(limit, tuple(entries))
    try:
        _msgpack(pending)  # what split() will store must be storable
    except (OverflowError, UnicodeEncodeError):
        return None
    updated = published
    for when, entry in sorted(dated, key=lambda d: d[0], reverse=True):
        if _resolve(entry, limit) is not None:
            updated = when
            break
    return pending, updated


def _related(
    value: Any,
    limits: TextLimits,
    notes: list[str],
    published: dt.datetime,
    lazy: bool = False,
) -> tuple[tuple[Related, ...], dt.datetime, PendingRelated | None]:
    """The best related coverage, and the item's `updated` time it implies; with ``lazy``,
    usually the coverage still pending instead (see PendingRelated)."""
    updated = published
    if value is None:
        return (), updated, None
    if not isinstance(value, list):
        notes.append(f"related: expected a list, got {_type_name(value)}; ignored")
        return (), updated, None
    raws = [raw for raw in value[:1000] if isinstance(raw, dict)]
    if lazy and raws:
        pending = _pending_related(raws, limits.max_title_length, published)
        if pending is not None:
            return (), pending[1], pending[0]
    horizon = published + RELATED_UPDATE_WINDOW
    out: list[Related] = []
    for raw in raws:
        related = _resolve(_raw_related(raw), limits.max_title_length)
        if related is None:
            continue
        try:
            when = parse_time(raw["publishedDateTime"]) if "publishedDateTime" in raw else None
        except ValueError:
            when = None
        if when is not None and updated < when <= horizon:
            updated = when
        out.append(related)
    if len(out) > MAX_RELATED:
        notes.append(f"related: more than {MAX_RELATED} usable entries; the best kept")
        out.sort(key=related_rank)
        del out[MAX_RELATED:]
    return tuple(out), updated, None


def related_rank(r: Related) -> tuple[float, str, str]:
    """Best related coverage first: by quality (none counts below every quality), then by
    title and link, so the order never depends on the seed's order."""
    return (-(r.quality if r.quality is not None else -1), r.title, r.link)


def _topics(value: Any, notes: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
        notes.append("topics: a single string, read as a one-topic list")
    if not isinstance(value, list):
        notes.append(f"topics: expected a list, got {_type_name(value)}; ignored")
        return ()
    seen: dict[str, str] = {}  # one spelling per topic (the first), by identity key
    for raw in value:
        name = _text(raw, 100)
        if name and topic_key(name) not in seen:
            if len(seen) == MAX_TOPICS:
                notes.append(f"topics: more than {MAX_TOPICS}; the rest ignored")
                break
            seen[topic_key(name)] = name
    return tuple(seen.values())


def _summary(value: Any, title: str, limits: TextLimits, notes: list[str]) -> str:
    """The excerpt as the entry's summary, or "" when it is none: readers would show a
    placeholder ("NA"), the title twice, or a bare URL as if it were the story."""
    if value is None:
        return ""
    text = _text(value, limits.max_summary_length)
    if text is None:
        notes.append(f"excerpt: expected text, got {_type_name(value)}; ignored")
        return ""
    why = placeholder_reason(text, title) if text else None
    if why:
        notes.append(f"excerpt: {short(text)} is {why}, not a summary; dropped")
        return ""
    return text


def _published_flag(value: Any, notes: list[str]) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    word = str(value).strip().lower() if isinstance(value, str | int) else None
    if word in TRUE_WORDS or word in FALSE_WORDS:
        notes.append(f"published: {short(value)} read as {word in TRUE_WORDS}")
        return word in TRUE_WORDS
    notes.append(f"published: expected true or false, got {short(value)}; treated as unpublished")
    return False


def tag_id(authority: str, name: str) -> str:
    """A stable ``tag:`` URI (RFC 4151) for a seed with no URL, from its path in the folder."""
    return f"tag:{authority},2024:{quote(name, safe='/')}"


def normalize(
    record: dict[str, Any],
    name: str,
    authority: str = "feeds.invalid",
    limits: TextLimits = DEFAULT_LIMITS,
    lazy_related: bool = False,
) -> Normalized:
    """Turn one raw seed record into an :class:`Item`.

    ``name`` is the seed's path relative to the seeds folder (used for messages and the
    fallback id); ``authority`` is the domain used in that fallback ``tag:`` id. Text is
    repaired here, once, so every feed shows the same clean text. With ``lazy_related``
    the related coverage is usually left pending (``Item.pending_related``), for
    :func:`split` to store and :func:`join` to normalise: the same entries, the same notes,
    the same `updated`.
    """
    notes: list[str] = []
    title = _text(record.get("title"), limits.max_title_length)
    if not title:
        raw = record.get("title")
        why = "missing" if raw is None else f"expected text, got {_type_name(raw)} {short(raw)}"
        raise SeedError(name, f"title: {why}")
    if "publishedDateTime" not in record:
        raise SeedError(name, "publishedDateTime: missing")
    try:
        published = parse_time(record["publishedDateTime"])
    except ValueError as exc:
        raise SeedError(name, f"publishedDateTime: {exc}") from None

    original, web = record.get("originalUrl"), record.get("webUrl")
    original_url, web_url = clean_url(original), clean_url(web)
    for key, raw, url in (("originalUrl", original, original_url), ("webUrl", web, web_url)):
        if raw is not None and url is None:
            notes.append(f"{key}: not an absolute http(s) URL {short(raw)}; ignored")
    summary_text = _summary(record.get("excerpt"), title, limits, notes)
    quality = None
    if record.get("quality") is not None:
        quality = number(record["quality"])
        if quality is None:
            notes.append(
                f"quality: expected a number, got {short(record['quality'])}; treated as absent"
            )
    is_published = _published_flag(record.get("published"), notes)

    # Seeds carry no modification time: an entry counts as updated when newer coverage of the
    # story arrives, never when fields no reader sees (heat, secured) change.
    related, updated, pending = _related(
        record.get("related"), limits, notes, published, lazy_related
    )
    item = Item(
        id=original_url or web_url or tag_id(authority, name),
        link=web_url or original_url,
        title=title,
        summary=summary_text,
        published=published,
        updated=updated,
        quality=quality,
        is_published=is_published,
        type=_text(record.get("type")) or None,
        topics=_topics(record.get("topics"), notes),
        provider=_provider(record.get("provider")),
        images=_images(record.get("images"), notes)[:1],  # entries show the lead image
        related=related,
        source=name,
        pending_related=pending,
    )
    return Normalized(item, notes)
