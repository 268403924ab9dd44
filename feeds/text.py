"""Text hygiene shared by every field that reaches a feed.

XML 1.0 forbids most control characters, lone surrogates and U+FFFE/U+FFFF; lxml refuses to
serialise them, so one stray byte in one seed would otherwise cost a whole feed.
"""

from __future__ import annotations

import functools
import html
import re
from typing import Any
from urllib.parse import urlsplit

# Characters XML 1.0 does not allow, plus the C1 controls that readers show as garbage.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")
# What a YAML stream may not contain (PyYAML's reader refuses the whole document).
_YAML_UNACCEPTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


@functools.cache
def _ftfy() -> Any:
    """ftfy, imported on first need: it costs ~60 ms of start-up, and ASCII text never needs it."""
    import ftfy
    import ftfy.badness

    return ftfy


_NON_ASCII = re.compile("[^\x00-\x7f]+")


@functools.cache
def _badness_width() -> int | None:
    """How far a match of ftfy's mojibake heuristic reaches, when every one of its matches
    holds a non-ASCII character (so only the text around those characters needs searching);
    None when this ftfy's regex is not of that shape (then the whole text is searched)."""
    try:
        import re._parser as sre  # type: ignore[import-not-found]
        from re._constants import BRANCH, IN, LITERAL, NEGATE, RANGE  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - Python < 3.11
        return None
    pattern = _ftfy().badness.BADNESS_RE
    if pattern.flags & re.IGNORECASE:
        return None  # a non-ASCII class could then match ASCII letters
    tree = sre.parse(pattern.pattern, pattern.flags)
    if len(tree.data) != 1 or tree.data[0][0] is not BRANCH:
        return None

    def non_ascii(op: object, av: object) -> bool:
        if op is LITERAL:
            return av >= 0x80  # type: ignore[operator]
        if op is IN:
            return all(
                (o is LITERAL and a >= 0x80) or (o is RANGE and a[0] >= 0x80)
                for o, a in av  # type: ignore[attr-defined]
            ) and not any(o is NEGATE for o, _ in av)  # type: ignore[attr-defined]
        return False

    for branch in tree.data[0][1][1]:
        if not any(non_ascii(op, av) for op, av in branch.data):
            return None
    return tree.getwidth()[1]


def looks_like_mojibake(value: str) -> bool:
    """``ftfy.badness.is_bad(value)``, searching only around non-ASCII characters.

    Why: the heuristic is one large regular expression, ~40 us over a 300-character excerpt,
    and most non-ASCII text here is a curly quote in a page of ASCII. Every match holds a
    non-ASCII character and is at most a few characters long (checked on the regex itself by
    :func:`_badness_width`), so searching a window around each non-ASCII run finds exactly the
    matches a whole-text search finds. A window that does not start the text is opened with
    NUL, which no part of the heuristic can match first, so its "^" cannot match there.
    """
    width = _badness_width()
    search = _ftfy().badness.BADNESS_RE.search
    if width is None:
        return search(value) is not None
    reach = width - 1
    for run in _NON_ASCII.finditer(value):
        start = run.start() - reach
        window = value[start : run.end() + reach] if start > 0 else value[: run.end() + reach]
        if search("\0" + window if start > 0 else window) is not None:
            return True
    return False


def strip_illegal(value: str) -> str:
    """Remove characters that cannot appear in an XML 1.0 document."""
    return _ILLEGAL.sub("", value)


def repair_for_yaml(text: str) -> tuple[str, int]:
    """Text a YAML parser accepts, and how many characters were repaired or removed.

    Mojibake is fixed first (its C1 characters are what often trips the parser), then the
    remaining control characters are removed: one stray byte must not cost the whole seed.
    """
    count = len(_YAML_UNACCEPTABLE.findall(text))
    if not count:
        return text, 0
    text = _ftfy().fix_text(
        text, uncurl_quotes=False, unescape_html=False, fix_line_breaks=False, normalization=None
    )
    return _YAML_UNACCEPTABLE.sub("", text), count


# Invisible characters that reorder or hide text: the Unicode Bidi_Control characters (an
# U+202E override makes "exe.txt" read "txt.exe") and zero-width spaces. ZWJ and ZWNJ are
# kept inside a word, where Persian, Indic scripts and emoji sequences need them, and so are
# soft hyphens (hyphenation hints); at a word's edge they are strays.
_INVISIBLE = re.compile(
    "[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff\u180e]"
    "|(?<!\\S)[\u200c\u200d\u00ad]+|[\u200c\u200d\u00ad]+(?!\\S)"
)


def remove_invisible(value: str) -> str:
    """Text without XML-illegal characters, bidi controls or stray zero-width characters."""
    value = _ILLEGAL.sub("", value)
    return value if value.isascii() else _INVISIBLE.sub("", value)  # all of them are non-ASCII


def clean_text(value: str) -> str:
    """One line of readable text: illegal and invisible characters removed, whitespace
    collapsed."""
    return _SPACE.sub(" ", remove_invisible(value)).strip()


# Element names of the WHATWG HTML standard (current and obsolete) and the SVG and MathML
# roots: a "<" followed by one of these (or by a custom-element name, which has a "-") opens
# a tag; any other "<" ("P<NP", "x <y", "I <3 NY") is text.
_ELEMENT_NAMES = """
a abbr acronym address applet area article aside audio b base basefont bdi bdo bgsound big
blink blockquote body br button canvas caption center cite code col colgroup data datalist dd
del details dfn dialog dir div dl dt em embed fieldset figcaption figure font footer form
frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe image img input ins
isindex kbd keygen label legend li link listing main map mark marquee math menu menuitem meta
meter multicol nav nextid nobr noembed noframes noscript object ol optgroup option output p
param picture plaintext pre progress q rb rp rt rtc ruby s samp script search section select
slot small source spacer span strike strong style sub summary sup svg table tbody td template
textarea tfoot th thead time title tr track tt u ul var video wbr xmp
"""
# Elements that separate words: a space goes where they were ("<p>a</p><p>b</p>" -> "a b").
_BLOCK_NAMES = """
address article aside blockquote br dd details dialog div dl dt fieldset figcaption figure
footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main nav ol p pre section summary table
tbody td tfoot th thead tr ul
"""
# Elements whose content is not text a reader should see: dropped with the tag.
_DROP_CONTENT_NAMES = """
script style noscript template iframe noembed noframes xmp plaintext textarea title object
applet svg math select head
"""
HTML_ELEMENTS = frozenset(_ELEMENT_NAMES.split())
BLOCK_ELEMENTS = frozenset(_BLOCK_NAMES.split())
DROP_CONTENT = frozenset(_DROP_CONTENT_NAMES.split())


def _alternation(words: frozenset[str]) -> str:
    """A regex matching any of ``words``, as a trie (several times faster than a flat
    alternation of ~150 names, and it runs once per "<")."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(node[ch]) for ch in sorted(node) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


# A "<" and, when it could open markup, what follows: a known or custom element's start or
# end tag (the name, then ">", whitespace or "/"), a comment, doctype, CDATA section or
# processing instruction. It opens markup only if a ">" comes later ("unclosed <b" is text).
@functools.cache
def _markup_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The "<" that opens markup, and the "<" of a block element: large tries over every
    element name, compiled on first need (most text has no "<")."""
    lt = re.compile(
        rf"<(?=(/?(?:{_alternation(HTML_ELEMENTS)}|[a-z][a-z0-9._]*-[a-z0-9._-]*)[\s/>]"
        r"|!--|!doctype|!\[CDATA\[|\?[a-z])|)",
        re.IGNORECASE,
    )
    block = re.compile(rf"<(?=/?(?:{_alternation(BLOCK_ELEMENTS)})[\s/>])", re.IGNORECASE)
    return lt, block


# A "<" an HTML tokenizer would read as the start of a tag, end tag, comment or declaration.
_OPENS_MARKUP = re.compile(r"<(?=[A-Za-z/!?])")
# U+2060 WORD JOINER: invisible, adds no line break, and stops a tokenizer opening a tag.
DEFUSER = "\u2060"


@functools.cache
def _cleaner() -> Any:
    """nh3's tag stripper, built on first need (most text has no markup at all)."""
    import nh3

    return nh3.Cleaner(tags=set(), clean_content_tags=set(DROP_CONTENT), strip_comments=True)


MAX_ROUNDS = 8  # levels of encoding decoded; deeper ones lose their "<" and "&" instead


def _mark_text(value: str) -> str:
    """``value`` with every "<" that opens no markup escaped, so a sanitiser keeps it as text."""
    last_gt = value.rfind(">")

    def mark(m: re.Match[str]) -> str:
        return "<" if m.group(1) is not None and m.start() < last_gt else "&lt;"

    return _markup_patterns()[0].sub(mark, value)


def _strip_round(value: str) -> str:
    """One level of decoding: invisible characters out, tags stripped, entities decoded."""
    value = remove_invisible(value)
    if "<" not in value and "&" not in value:
        return value
    marked = _mark_text(value) if "<" in value else value
    if "<" not in marked:  # no markup, only entities to decode
        return html.unescape(value)
    return html.unescape(_cleaner().clean(_markup_patterns()[1].sub(" <", marked)))


def strip_markup(value: str) -> str:
    """Plain text from text that may carry markup and entities, encoded any number of times.

    Rounds of stripping and decoding repeat until nothing changes, so markup encoded three
    times (``&amp;amp;lt;script&amp;amp;gt;``) cannot come out live. A "<" counts as markup
    only where it opens a real element or comment: "Why P<NP matters" keeps its words.
    """
    for _ in range(MAX_ROUNDS):
        text = _strip_round(value)
        if text == value:
            return value
        value = text
    # Still changing: encoded deeper than MAX_ROUNDS, or built never to settle. Nothing in
    # it may ever decode to markup, so every "<" and "&" goes.
    return remove_invisible(value).replace("<", "").replace("&", "")


def defuse(text: str) -> str:
    """Text in which no "<" can open markup, however often a reader decodes it.

    A reader that decodes entities once too often turns the text "<x onfocus=alert(1)>"
    back into markup; an invisible word joiner after any "<" a tokenizer would read as a
    tag ("P<NP" still shows as "P<NP") prevents that in every format.
    """
    return _OPENS_MARKUP.sub("<" + DEFUSER, text) if "<" in text else text


def visible(text: str) -> str:
    """``text`` as a reader sees it (without the invisible defusing joiners)."""
    return text.replace(DEFUSER, "")


def truncate(text: str, limit: int) -> str:
    """Cap ``text`` at ``limit`` characters, cutting at a word boundary and adding an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: max(1, limit - 1)]
    if not text[len(cut)].isspace():  # the cut falls inside a word: back up to its start
        space = cut.rfind(" ")
        if space > limit // 2:
            cut = cut[:space]
    return cut.rstrip(" ,;:.-\u00ad") + "…"


def is_clean(value: str) -> bool:
    """Whether :func:`repair_text` would return ``value`` unchanged (short of its length cap
    and, for non-ASCII text, of mojibake): printable (so no control, invisible or bidi
    character, and " " is its only whitespace: Python counts no other space as printable)
    without markup or entities ("<", "&"), doubled spaces or edge spaces.

    The cheap test that runs first: a handful of C-speed scans instead of a dozen regular
    expression passes, and the answer for nearly every field of nearly every seed.
    """
    return (
        value.isprintable()
        and "<" not in value
        and "&" not in value
        and "  " not in value
        and value[:1] != " "
        and value[-1:] != " "
    )


def repair_text(value: str, limit: int | None = None) -> str:
    """Readable, inert text from scraped text: mojibake fixed, markup and entities removed
    to a fixed point, invisible characters dropped, one line, at most ``limit`` characters.

    Oversized input is cut before the expensive steps so a 5 MB field costs no more than a
    page of text. Most fields need nothing: see :func:`is_clean`.
    """
    if (
        is_clean(value)
        and (limit is None or len(value) <= limit)
        and (value.isascii() or not looks_like_mojibake(value))
    ):
        return value
    return repair_text_in_full(value, limit)


def repair_text_in_full(value: str, limit: int | None = None) -> str:
    """:func:`repair_text` without the cheap test (every step runs)."""
    if limit is not None and len(value) > 4 * limit + 64:
        value = value[: 4 * limit + 64]
    # ftfy is the costliest step, and mojibake is non-ASCII text that looks wrong: ftfy runs
    # only when its own badness heuristic fires (so ASCII and clean text are left as written).
    if not value.isascii() and looks_like_mojibake(value):
        value = _ftfy().fix_text(value, uncurl_quotes=False, unescape_html=False)
    text = clean_text(strip_markup(value) if "<" in value or "&" in value else value)
    return defuse(truncate(text, limit) if limit is not None else text)


# Excerpts that say nothing: sources fill the field with these when they have no summary.
# Compared without case, spaces or punctuation ("N/A" is "na").
_PLACEHOLDER_WORDS = """
na nan none null nil undefined tbd tba unknown untitled empty test excerpt summary
description noexcerpt nosummary nodescription nodescriptionavailable english en
"""
PLACEHOLDERS = frozenset(_PLACEHOLDER_WORDS.split())
_NON_WORD = re.compile(r"[\W_]+")


_LONGEST_PLACEHOLDER = max(map(len, PLACEHOLDERS))


def _words(text: str) -> str:
    """The text's letters and digits, case folded: what placeholders and titles compare by.

    Made character by character (casefold, and dropping invisible and non-word ones, never
    look at neighbours), so the words of a prefix are a prefix of the words."""
    return _NON_WORD.sub("", visible(text).casefold())


def placeholder_reason(excerpt: str, title: str) -> str | None:
    """Why an excerpt is no summary (a placeholder, the title again, a bare URL), or None."""
    title_words = _words(title)
    enough = max(_LONGEST_PLACEHOLDER, len(title_words))
    head = excerpt[: 2 * enough + 32]
    words = _words(head)
    # A head with more words than any placeholder or the title: neither is the whole excerpt
    # (the common case, decided without folding a whole 1,000-character excerpt).
    if len(words) <= enough:
        if len(head) < len(excerpt):
            words = _words(excerpt)
        if words in PLACEHOLDERS or not words:
            return "a placeholder"
        if words == title_words:
            return "the same as the title"
    if " " not in excerpt and _is_url(excerpt):
        return "a bare URL"
    return None


def _is_url(text: str) -> bool:
    """Whether text is a web address and nothing else (a summary that is only a link)."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)
