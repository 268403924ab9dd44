"""Text hygiene shared by every field that reaches a feed.

XML 1.0 forbids most control characters, lone surrogates and U+FFFE/U+FFFF; lxml refuses to
serialise them, so one stray byte in one seed would otherwise cost a whole feed.
"""

from __future__ import annotations

import functools
import html
import re
from typing import Any

import nh3

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


def clean_text(value: str) -> str:
    """One line of readable text: illegal characters removed, whitespace collapsed."""
    return _SPACE.sub(" ", strip_illegal(value)).strip()


def strip_tags(value: str) -> str:
    """Plain text from text that may carry markup or entities (``&lt;b&gt;`` included).

    Tags are removed by a real HTML parser (nh3); script and style contents go with them.
    Done twice so markup hidden behind entities cannot survive as text a reader might render.
    """
    for _ in range(2):
        if "<" not in value and "&" not in value:
            break
        value = html.unescape(nh3.clean(value, tags=set()))
    return value


def truncate(text: str, limit: int) -> str:
    """Cap ``text`` at ``limit`` characters, cutting at a word boundary and adding an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: max(1, limit - 1)]
    if not text[len(cut)].isspace():  # the cut falls inside a word: back up to its start
        space = cut.rfind(" ")
        if space > limit // 2:
            cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def repair_text(value: str, limit: int | None = None) -> str:
    """Readable text from scraped text: mojibake fixed, markup and entities removed, one line.

    Oversized input is cut before the expensive steps so a 5 MB field costs no more than a
    page of text.
    """
    if limit is not None and len(value) > 4 * limit + 64:
        value = value[: 4 * limit + 64]
    # ftfy is the costliest step, and mojibake is non-ASCII text that looks wrong: ftfy runs
    # only when its own badness heuristic fires (so ASCII and clean text are left as written).
    if not value.isascii() and _ftfy().badness.is_bad(value):
        value = _ftfy().fix_text(value, uncurl_quotes=False, unescape_html=False)
    text = clean_text(strip_tags(value))
    return truncate(text, limit) if limit is not None else text
