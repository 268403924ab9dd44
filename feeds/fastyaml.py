"""A fast path for seed front matter: rapidyaml (``ryml``) instead of PyYAML, same objects.

Why: :class:`feeds.seeds.SeedLoader` (libyaml scanner + PyYAML's Python composer/constructor)
spends ~0.57 ms on a typical 3.5 KB seed, almost all of it in Python. rapidyaml parses the same
text in C++ in ~20 us, but its Python binding can only be walked node by node through SWIG
(~1 us per call, several calls per node), which throws most of that away. So the tree is
emitted as JSON *in C++* (``emit_json_to_substr``) and decoded with :func:`json.loads`, and
the YAML 1.1 typing that JSON cannot express is checked instead of re-done:

* ryml's JSON emitter writes a scalar bare only when the scalar was plain and looks like a
  JSON number or is exactly ``true``/``false``/``null`` (an empty plain value becomes ``null``);
  quoted scalars and other plain scalars become JSON strings. JSON ints therefore match
  PyYAML's ints, bare floats are re-checked against PyYAML's float rule (ryml writes ``.5``
  as ``0.5``, so a leading ``-0.`` is not trusted), ``true``/``false``/``null`` match.
* Any JSON *string* that PyYAML would have resolved to something else if it had been plain
  (``yes``, ``~``, ``0x1F``, ``1_000``, ``12:30``, ``.inf``, ``<<``, ``=``, a key such as
  ``1``...) makes the call return None: the JSON cannot tell ``"yes"`` from ``yes``. Same for
  strings starting with ``*`` (ryml writes an unresolved alias ``*a`` as the string ``"*a"``)
  and for empty keys (a null key).
* Constructs that ryml reads differently from libyaml, or that the JSON loses, are refused
  up front from the source text: tags (ryml drops them), ``@``/backquote/``%`` where libyaml
  rejects them, tabs, characters libyaml treats as line breaks or refuses (NEL, LS, PS,
  C0/C1 controls, BOM, surrogates), multi-document streams, mappings with duplicate keys,
  keys longer than 64 characters or long space runs (libyaml's 1024-character simple-key
  limit), raw control characters in the output (``json.loads`` strict mode) and invalid UTF-8
  that ryml produces from lone-surrogate escapes.

Every refusal returns None and the caller uses PyYAML, which also produces the error message
for invalid YAML (this module never raises for bad input). Conservative on purpose: a false
"refuse" costs one PyYAML parse, a false "accept" would be a silent data difference.

Measured (10k synthetic seeds from ``bench/make_corpus.py``, 3.5 KB front matter each,
CPython 3.11, rapidyaml 0.15.2, PyYAML 6.0.4 with libyaml; see /tmp/ryml/bench.py):

* SeedLoader (CSafeLoader):                 ~575 us/seed
* load_front_matter (this module):          ~60 us/seed (about 9-10x faster)
* ryml parse alone (reused tree):           ~19 us/seed

Verification (/tmp/ryml/verify.py): the 10k corpus, seeds/*.txt and tests/data/broken/*.md:
every non-None result equals SeedLoader's, types included; see the report for counts.

Limits: rapidyaml's default error handler prints two lines to the process's stderr (fd 2)
when it meets invalid YAML, before raising; the Python binding does not expose
``set_callbacks``, so this cannot be silenced without redirecting fd 2. Anchors and aliases,
merge keys, tags, duplicate keys and YAML-1.1-special strings always fall back. Not a general
YAML loader: the checks are tuned to be exact, not to accept as much as possible.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

try:  # optional dependency: without it every call falls back
    import ryml
    from ryml import _ryml
except ImportError:  # pragma: no cover - depends on the environment
    ryml = None
    _ryml = None

__all__ = ["AVAILABLE", "load_front_matter"]

AVAILABLE = _ryml is not None

# Characters libyaml refuses or treats as line breaks (YAML 1.1: NEL, LS, PS), plus the BOM,
# tab (ryml and libyaml disagree on tabs after ':') and surrogates. CR only in CRLF pairs.
_BAD_CHARS = re.compile(
    "[^\n\r -~\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
# Characters that, at the start of a node, ryml reads differently from libyaml or that the
# JSON loses: tags (dropped), anchors and aliases (ryml accepts names libyaml refuses),
# '@' and '`' (reserved: libyaml refuses them), '%' (a directive at a line start), and ']',
# '}' (libyaml refuses them as a plain scalar's first character in block context).
# A node starts at a line start after indentation, after a block indicator ('-', '?', ':')
# and spaces, or after a flow indicator ('[', '{', ','). A match in a quoted string only
# costs a fallback.
_SUSPECT_CHARS = ("!", "&", "*", "@", "`", "%", "]", "}")
_SUSPECT = re.compile(r"(?:(?:^|\n) *|[-?:] +)[!&*@`%\]}]|[\[{,] *[!&*@`%]")
# libyaml limits a simple key (key text plus spaces up to ':') to 1024 characters.
_LONG_SPACES = " " * 256
_MAX_KEY = 64

# A JSON string whose content PyYAML would resolve to a non-str if it had been plain
# (bool, null, int, float, merge, value and the 'yaml' tags of SafeLoader's resolvers; no
# timestamps, as in SeedLoader), an alias ("*a"), or an empty key (a null key in YAML).
_SPECIAL = re.compile(
    r'"(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF'
    r"|~|null|Null|NULL|<<|=|!|&"
    # int
    r"|[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
    r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+"
    # float
    r"|[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
    r')"|"\*|"":'
)
# PyYAML's float rule, for the bare numbers of the JSON that json.loads sees as floats.
_FLOAT = re.compile(r"[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?")


class _Refuse(Exception):
    """Raised inside the JSON hooks: the fast path cannot guarantee PyYAML's result."""


def _parse_float(text: str) -> float:
    # ryml rewrites '.5' as '0.5' and '-.5' as '-0.5'; PyYAML reads '-.5' as a string.
    if text.startswith("-0.") or not _FLOAT.fullmatch(text):
        raise _Refuse(text)
    return float(text)


def _parse_constant(text: str) -> Any:
    raise _Refuse(text)


def _mapping(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs) or (mapping and max(map(len, mapping)) > _MAX_KEY):
        raise _Refuse("duplicate or long key")
    return mapping


_decoder = json.JSONDecoder(object_pairs_hook=_mapping, parse_float=_parse_float,
                            parse_constant=_parse_constant)
_decode_json = _decoder.decode


class _Buffers(threading.local):
    """A parse tree and an output buffer per thread, reused across calls."""

    def __init__(self) -> None:
        self.tree = ryml.Tree() if ryml is not None else None
        self.out = bytearray(1 << 16)


_buffers = _Buffers()


def _refused(body: str) -> bool:
    """True if the source text uses something the fast path does not reproduce exactly."""
    if _BAD_CHARS.search(body) is not None or _LONG_SPACES in body:
        return True
    if "\r" in body and "\r" in body.replace("\r\n", "\n"):
        return True  # a lone CR: a line break for libyaml, not for ryml
    for ch in _SUSPECT_CHARS:
        if ch in body:
            return _SUSPECT.search(body) is not None
    return False


def load_front_matter(body: str) -> tuple[object, list[tuple[str, int]]] | None:
    """Parse front-matter YAML like ``SeedLoader(body).get_single_data()``, or return None.

    Returns ``(data, duplicates)`` with exactly the objects SeedLoader builds (dates stay
    strings); ``duplicates`` is always empty because a mapping with duplicate keys makes
    this return None. None means "use PyYAML": the text is invalid YAML, or uses something
    this fast path does not reproduce exactly (see the module docstring), or ryml is not
    installed. Never raises for bad input.
    """
    if _ryml is None or not body or _refused(body):
        return None
    bufs = _buffers
    tree = bufs.tree
    try:
        tree.clear()
        tree.clear_arena()
        _ryml.parse_csubstr(body, tree)
        if tree.is_stream(0):  # several documents (or an explicit '---' inside)
            return None
        failed, size = _ryml.emit_json_to_substr(tree, 0, bufs.out)
        if failed:
            bufs.out = bytearray(max(size + 1024, 2 * len(bufs.out)))
            failed, size = _ryml.emit_json_to_substr(tree, 0, bufs.out)
            if failed:
                return None
        if not size:  # empty document: PyYAML gives None; let it say so
            return None
        text = str(memoryview(bufs.out)[:size], "utf-8")
        if _SPECIAL.search(text) is not None:
            return None
        data = _decode_json(text)
    except (_Refuse, ValueError, RecursionError, ryml.ExceptionBasic):
        # ValueError covers json.JSONDecodeError and UnicodeDecodeError.
        return None
    return data, []
