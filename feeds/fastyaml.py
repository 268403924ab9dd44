"""A fast path for seed front matter: rapidyaml (``ryml``) instead of PyYAML, same objects.

Why: :class:`feeds.safeyaml.StrictLoader` (libyaml scanner + PyYAML's Python composer/constructor)
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
  empty keys (a null key).
* Constructs that ryml reads differently from libyaml, or that the JSON loses, are refused up
  front from the UTF-8 source: tags (ryml drops them), anchors/aliases, ``@``, backquote, ``%``,
  ``]``, ``}`` at the start of a node, flow collections (``[``/``{`` at the start of a node)
  other than a flow empty alone on its line (``related: []``, ``- {}``: the one flow construct
  real seeds use, about 1 in 6 of them), block scalar headers with indentation digits or
  comments (ryml accepts junk after them), tabs, lone CRs, a missing final line break, and the
  characters libyaml treats as line breaks or refuses (C0/C1 controls incl. NEL, DEL, LS, PS,
  BOM, U+FFFE/U+FFFF, surrogates). After parsing: multi-document streams, mappings with
  duplicate keys, keys over 64 characters or 256-space runs (libyaml's 1024-character simple-key
  limit), JSON that does not decode (an empty document, raw control characters: strict
  ``json.loads``; NaN and Infinity constants) and invalid UTF-8 (what ryml makes of a
  ``"\ud800"`` escape).

``tests/mutate_fastyaml.py`` deletes each of these guards in turn and shows that
``tests/test_fastyaml.py`` then fails.

Every refusal returns None and the caller uses PyYAML, which also produces the error message
for invalid YAML (this module never raises for bad input). Conservative on purpose: a false
"refuse" costs one PyYAML parse, a false "accept" would be a silent data difference. The
source checks work on bytes with ``translate``/``find`` because ``re`` scans of a 3.5 KB
text cost 20-200 us, as much as everything else together.

Measured (10k synthetic seeds from ``bench/make_corpus.py 10000``, 3.5 KB of front matter
each; CPython 3.11, rapidyaml 0.15.2, PyYAML 6.0.4 with libyaml; best of 5 runs on a shared,
noisy machine):

* (a) StrictLoader (CSafeLoader):           ~440-600 us/seed
* (b) load_front_matter (this module):      ~80 us/seed, fast path taken for 9992/9995 seeds:
  about 6-7x faster. Of that: source checks ~9, ryml parse ~13, JSON emit ~10, special-string
  scan ~8, ``json`` decode with hooks ~25, the rest call overhead.
* (c) ryml parse alone (reused tree):       ~13 us/seed

Verification: ``tests/test_fastyaml.py`` compares this path with StrictLoader on tricky
inputs and on hypothesis-generated documents, and ``bench/run.py`` compares the items of every
seed of a corpus (10k: 9992 fast, 0 mismatches; a mismatch includes accepting text PyYAML
rejects).

Limits: rapidyaml's default error handler prints two lines to the process's stderr (fd 2)
when it meets invalid YAML, before raising; the Python binding does not expose
``set_callbacks``, so this cannot be silenced without redirecting fd 2 (not done: unsafe with
threads). Uses the SWIG module ``ryml._ryml`` directly (``parse_csubstr``,
``emit_json_to_substr``), so a rapidyaml upgrade must be re-verified. Anchors and aliases,
merge keys, tags, flow style (but flow empties), duplicate keys and YAML-1.1-special strings
(even quoted ones) always fall back. Duplicate keys are never reported (the list is always
empty): such a mapping falls back so StrictLoader reports them with line numbers.
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

# The source checks run on the UTF-8 bytes (memchr-speed ``in`` tests; re is too slow here).
# Bytes that are always fine: printable ASCII, LF, CR (CR is checked separately).
_PLAIN_BYTES = bytes(range(0x20, 0x7F)) + b"\n\r"
_HIGH_BYTES = bytes(range(0x80, 0x100))
# Characters libyaml refuses or treats as line breaks: C1 controls incl. NEL (U+0080-U+009F),
# LS and PS (U+2028, U+2029), the BOM (U+FEFF), U+FFFE and U+FFFF. (C0 controls, DEL and
# tab are caught as ASCII bytes; lone surrogates cannot be encoded at all.)
_BAD_SEQUENCES = (
    b"\xe2\x80\xa8",
    b"\xe2\x80\xa9",
    b"\xef\xbb\xbf",
    b"\xef\xbf\xbe",
    b"\xef\xbf\xbf",
)
_C1 = re.compile(rb"\xc2[\x80-\x9f]")
# Characters that, at the start of a node, ryml reads differently from libyaml or that the
# JSON loses: tags (dropped), anchors and aliases (ryml accepts names libyaml refuses),
# '@' and '`' (reserved: libyaml refuses them), '%' (a directive at a line start), ']' and
# '}' (libyaml refuses them as a plain scalar's first character), flow collections ('[',
# '{': YAML 1.1 and 1.2 differ on ':' inside flow plain scalars; seeds use block style, but
# for flow empties, "[]" or "{}" alone up to the line break, which both read alike) and
# block scalar headers other than a bare '|', '>', '|-', '>-', '|+', '>+' (ryml accepts junk
# after the header). A node starts at a line start after indentation, or after a block
# indicator ('-', '?', ':') and spaces. A match inside a quoted string only costs a fallback.
_SUSPECT_CHARS = b"!&*@`%[]{}|>"
# Maps suspect characters to '!', space and LF to themselves, everything else to 'x', so
# that one memchr-speed find() walks the candidates.
_CLASSES = bytes(
    0x21 if ch in _SUSPECT_CHARS else ch if ch in b" \n" else 0x78 for ch in range(256)
)
_BLOCK_HEADER = re.compile(rb"[|>][-+]? *(?:\n|$)")
# A flow empty, "[]" or "{}", as a whole node on its line ("related: []", "- {}"): the one flow
# construct real seeds use, and one that both parsers read alike.
_FLOW_EMPTY = re.compile(rb"(?:\[\]|\{\}) *\n")
# libyaml limits a simple key (key text plus spaces up to ':') to 1024 characters.
_LONG_SPACES = b" " * 256
_MAX_KEY = 64

# A JSON string whose content PyYAML would resolve to a non-str if it had been plain
# (bool, null, int, float, merge, value and the 'yaml' tags of SafeLoader's resolvers; no
# timestamps, as in StrictLoader), or an empty key (a null key in YAML). Aliases never get
# here: '*' at the start of a node is refused up front.
# A superset of those rules, written as a trie behind a first-character lookahead so that
# the ~200 quotes of a seed's JSON are rejected quickly.
_SPECIAL = re.compile(
    r'"(?=[-+.0-9~<=!&*yYnNtTfFoO"])(?:(?:'
    # bool and null words ('y'/'Y' alone are a harmless extra)
    r"y(?:es)?|Y(?:es|ES)?|n(?:o|ull)|N(?:o|O|ull|ULL)|true|T(?:rue|RUE)|false|F(?:alse|ALSE)"
    r"|o(?:n|ff)|O(?:n|N|ff|FF)"
    # int and float, incl. 0b, 0x, octal, '_', sexagesimal, .inf, .nan (any sign)
    r"|[-+]?(?:0b[0-1_]+|0x[0-9a-fA-F_]+"
    r"|[0-9][0-9_]*(?:(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|\.[0-9_]*(?:[eE][-+][0-9]+)?)?"
    r"|\.(?:[0-9][0-9_]*(?:[eE][-+][0-9]+)?|inf|Inf|INF|nan|NaN|NAN))"
    # null, merge, value, the 'yaml' resolver's '!', '&', '*'; then the empty key
    r'|~|<<|=|!|&|\*)"|":)'
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


_decoder = json.JSONDecoder(
    object_pairs_hook=_mapping, parse_float=_parse_float, parse_constant=_parse_constant
)
_decode_json = _decoder.decode


class _Buffers(threading.local):
    """A parse tree and an output buffer per thread, reused across calls."""

    def __init__(self) -> None:
        self.tree = ryml.Tree() if ryml is not None else None
        self.out = bytearray(1 << 16)


_buffers = _Buffers()


def _suspect_at(source: bytes, i: int) -> bool:
    """Whether the suspect character at ``source[i]`` starts a node (see _SUSPECT_CHARS)."""
    j = i
    while j and source[j - 1] == 0x20:
        j -= 1
    if not (j == 0 or source[j - 1] == 0x0A or (j < i and source[j - 1] in b"-?:")):
        return False
    if source[i] in b"[{":
        return _FLOW_EMPTY.match(source, i) is None
    return source[i] not in b"|>" or _BLOCK_HEADER.match(source, i) is None


def _refused(source: bytes) -> bool:
    """True if the UTF-8 source uses something the fast path does not reproduce exactly."""
    rest = source.translate(None, _PLAIN_BYTES)
    if rest:
        if rest.translate(None, _HIGH_BYTES):
            return True  # C0 control, tab or DEL
        # Only whole UTF-8 sequences are left, so no match can straddle two characters.
        if any(seq in rest for seq in _BAD_SEQUENCES):
            return True
        if b"\xc2" in rest and _C1.search(rest) is not None:
            return True
    if b"\r" in source and source.count(b"\r") != source.count(b"\r\n"):
        return True  # a lone CR: a line break for libyaml, not for ryml
    if _LONG_SPACES in source:
        return True
    classes = source.translate(_CLASSES)
    i = classes.find(b"!")
    while i >= 0:
        if (i == 0 or classes[i - 1] != 0x78) and _suspect_at(source, i):
            return True
        i = classes.find(b"!", i + 1)
    return False


def load_front_matter(body: str) -> tuple[object, list[tuple[str, int]]] | None:
    """Parse front-matter YAML like ``StrictLoader(body).get_single_data()``, or return None.

    Returns ``(data, duplicates)`` with exactly the objects StrictLoader builds (dates stay
    strings); ``duplicates`` is always empty because a mapping with duplicate keys makes
    this return None. None means "use PyYAML": the text is invalid YAML, or uses something
    this fast path does not reproduce exactly (see the module docstring), or ryml is not
    installed. Never raises for bad input.
    """
    if _ryml is None or not body.endswith("\n"):
        # Front matter always ends with a line break; without one, ryml keeps a final line
        # break in block scalars ("a: >\n x") where libyaml drops it.
        return None
    try:
        source = body.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return None
    if _refused(source):
        return None
    bufs = _buffers
    tree = bufs.tree
    try:
        tree.clear()
        tree.clear_arena()
        _ryml.parse_csubstr(source, tree)
        if tree.is_stream(0):  # several documents (or an explicit '---' inside)
            return None
        failed, size = _ryml.emit_json_to_substr(tree, 0, bufs.out)
        if failed:
            bufs.out = bytearray(max(size + 1024, 2 * len(bufs.out)))
            failed, size = _ryml.emit_json_to_substr(tree, 0, bufs.out)
            if failed:
                return None
        text = str(memoryview(bufs.out)[:size], "utf-8")
        if _SPECIAL.search(text) is not None:
            return None
        data = _decode_json(text)
    except (_Refuse, ValueError, RuntimeError, ryml.ExceptionBasic):
        # ValueError covers json.JSONDecodeError and UnicodeDecodeError; RuntimeError is what
        # the binding raises for a C++ exception other than ryml's own. (json cannot recurse
        # too deeply: ryml's emitter refuses trees deeper than 64 levels.)
        return None
    return data, []
