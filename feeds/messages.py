"""How a value or a name is written into a one-line message, so no input can forge a line.

Messages quote what others wrote: file names (any byte but ``/`` and NUL is allowed in one),
seed text, config values. A newline in a seed's file name would print a second, fake
``skipped:`` line; a right-to-left override would make a line read differently from what it
says; a YAML alias bomb quoted whole is hundreds of megabytes. Every message therefore goes
through :func:`one_line`, and every quoted value through :func:`short` (any value) or
:func:`quoted` (a name or URL, which a reader needs whole).
"""

from __future__ import annotations

import reprlib
from typing import Any

# Line breaks (C0 ones, NEL, U+2028/2029) and every other C0/C1 control, DEL, and the bidi
# controls (embeddings, overrides, isolates, marks) that reorder how a terminal shows a line.
_ESCAPED = [
    *range(0x00, 0x20),
    *range(0x7F, 0xA0),
    0x061C,
    0x200E,
    0x200F,
    0x2028,
    0x2029,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
]
# As Python writes them in a repr: \n, \t, \x1b, \x85, \u202e.
_TABLE = {cp: repr(chr(cp))[1:-1] for cp in _ESCAPED}

# repr() of a YAML alias bomb is exponential; this one stops after a few elements and levels.
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 2, 3, 3, 40, 40
_REPR.maxtuple = _REPR.maxset = _REPR.maxfrozenset = _REPR.maxdeque = _REPR.maxarray = 3


def one_line(text: str) -> str:
    """``text`` with line breaks, control and bidi characters written as escapes (``\\n``,
    ``\\x1b``, ``\\u202e``): one problem is exactly one line, shown as it reads."""
    return text.translate(_TABLE)


def short(value: Any) -> str:
    """A bounded repr of any value (at most ~100 characters, whatever its size or depth)."""
    return one_line(_REPR.repr(value))


def quoted(name: object, limit: int = 200) -> str:
    """A name, path or URL quoted whole as a repr, unless it is absurdly long (then clipped)."""
    return repr(clip(str(name), limit))


def clip(text: str, limit: int = 120) -> str:
    """Text as it is when short, else its start and an ellipsis (for a library's message
    that may quote a whole input)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
