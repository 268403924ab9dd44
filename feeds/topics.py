"""Topic identity and topic slugs: which spellings are one topic, and its file name.

Sources spell one topic many ways ("Power Apps", "Power-Apps", "POWER APPS", "Power Apps!!!"):
:func:`topic_key` gives them one key, so an item tagged with any spelling is in the topic's
feed. :func:`assign_slugs` gives every key a readable ASCII slug in any script ("Café" ->
``cafe``, "Ελληνικά" -> ``ellinika``, via anyascii), distinct per key ("C" / "C++" / "C#" ->
``c`` / ``c-plus-plus`` / ``c-sharp``), and says when a slug is not the name's own.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

KEEP_SYMBOLS = "+#&@"  # part of a name: C++, C#, F#, R&D, AT&T, @home
SYMBOL_WORDS = {"+": " plus ", "#": " sharp ", "&": " and ", "@": " at "}
MAX_SLUG = 80  # leaves room for a "-" and an 8-digit hash within a slug's 100 characters
_SYMBOL_SPACE = re.compile(r" ?([+#&@]+) ?")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def _is_word_char(ch: str) -> bool:
    # Letters, digits and marks (vowel signs in Devanagari, Thai or Arabic are marks).
    return unicodedata.category(ch)[0] in "LNM" or ch in KEEP_SYMBOLS


@functools.lru_cache(maxsize=65536)
def topic_key(name: str) -> str:
    """The identity of a topic name: NFKC, case-folded, every run of spaces and punctuation
    one space ("Power-Apps" and "POWER APPS!!!" are "power apps"); "+#&@" stay ("c++")."""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    text = text.replace("i\u0307", "i")  # casefold("İ") is "i" + a combining dot above
    key = " ".join("".join(ch if _is_word_char(ch) else " " for ch in text).split())
    key = _SYMBOL_SPACE.sub(r"\1", key)  # "C ++" -> "c++", "R & D" -> "r&d"
    return key or " ".join(text.split())  # only symbols ("🚀"): the name itself


def _is_ideograph(ch: str) -> bool:
    cp = ord(ch)
    return 0x3400 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x3FFFF


@functools.lru_cache(maxsize=65536)
def slugify(name: str) -> str:
    """A readable ASCII slug ([a-z0-9-], at most 80 characters) for a topic; "" if nothing
    readable is left. Other scripts are transliterated by anyascii ("日本語" -> ri-ben-yu)."""
    key = "".join(SYMBOL_WORDS.get(ch, ch) for ch in topic_key(name))
    if not key.isascii():
        from anyascii import anyascii  # only other scripts need it (~10 ms to import)

        # anyascii runs ideographs together ("RiBenYu"): one word each reads better.
        key = "".join(f" {anyascii(ch)} " if _is_ideograph(ch) else anyascii(ch) for ch in key)
    slug = _NOT_SLUG.sub("-", key.lower()).strip("-")
    if len(slug) > MAX_SLUG:
        cut = slug.rfind("-", 0, MAX_SLUG + 1)
        slug = slug[: cut if cut > MAX_SLUG // 2 else MAX_SLUG].strip("-")
    return slug


def _is_latin(key: str) -> bool:
    """Whether a key is ASCII once accents are taken off ("café" is; "ελληνικά", "œuvre"
    are not): its slug then spells the name rather than transliterating it."""
    bare = unicodedata.normalize("NFKD", key)
    return "".join(ch for ch in bare if not unicodedata.combining(ch)).isascii()


def _short_hash(key: str) -> str:
    return hashlib.blake2s(key.encode(), digest_size=4).hexdigest()


@dataclass(frozen=True, slots=True)
class Slugs:
    """A slug per topic key, and one message per slug that is not simply the name's."""

    by_key: dict[str, str]
    notices: list[str]


def assign_slugs(names: Mapping[str, str], taken: Iterable[str] = ()) -> Slugs:
    """A distinct slug for each topic key of ``names`` (key -> display name), none of them in
    ``taken``; the same whatever the order.

    Where keys would share a slug, a key whose ASCII form is that slug keeps it ("cafe"); the
    others get a short hash of their key ("café" -> ``cafe-95c781c8``), as does a name with
    nothing readable ("!!!" -> ``topic-…``). Each of those, and each slug transliterated
    from another script, is reported in ``notices``.
    """
    taken = {t.lower() for t in taken}
    by_slug: dict[str, list[str]] = {}
    for key in sorted(names):
        by_slug.setdefault(slugify(key), []).append(key)
    out: dict[str, str] = {}
    notices: list[str] = []
    for slug, keys in sorted(by_slug.items()):
        for key in keys:
            name = names[key]
            plain = slug and slug not in taken and (len(keys) == 1 or key.replace(" ", "-") == slug)
            if plain:
                out[key] = slug
                if not _is_latin(key):
                    notices.append(f"topic {name!r}: feed slug {slug!r} is transliterated")
                continue
            out[key] = f"{slug or 'topic'}-{_short_hash(key)}"
            if not slug:
                why = "has no letters or digits to spell a slug with"
            else:
                others = [names[k] for k in keys if k != key]
                clash = (
                    f"the slug of {', '.join(map(repr, others))}"
                    if others
                    else "taken by a configured feed or a site page"
                )
                why = f"would have the slug {slug!r}, {clash}"
            notices.append(f"topic {name!r} {why}; its feed is {out[key]!r}")
    return Slugs(out, notices)
