"""The rapidyaml fast path gives exactly StrictLoader's objects, or steps aside (None).

A fallback is always right (PyYAML then parses); a wrong answer is a silent data difference.
So every case below asserts: the fast path returns None, or the very objects, types included,
that StrictLoader builds from a document it accepts without duplicate keys. Seed-shaped
documents must take the fast path, or the speed-up would be lost without a failure.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.fastyaml import AVAILABLE, load_front_matter
from feeds.safeyaml import StrictLoader
from feeds.seeds import decode, front_matter
from tests.helpers import SHIPPED_SEEDS, seed_text

pytestmark = pytest.mark.skipif(not AVAILABLE, reason="rapidyaml is not installed")


def typed(value: Any) -> Any:
    """A comparable form that keeps types apart (True is not 1, 1.0 is not 1, nan is nan)."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


def strict(body: str) -> tuple[bool, Any]:
    """(accepted without duplicate keys, data) as StrictLoader reads ``body``."""
    loader = StrictLoader(body)
    try:
        data = loader.get_single_data()
    except (yaml.YAMLError, ValueError, TypeError, RecursionError, OverflowError):
        return False, None
    finally:
        loader.dispose()
    return not loader.duplicates, data


def agrees(body: str) -> bool:
    """True if the fast path stepped aside or gave StrictLoader's objects exactly."""
    fast = load_front_matter(body)
    if fast is None:
        return True
    ok, expected = strict(body)
    assert ok, f"fast path accepted what StrictLoader refuses: {body!r}"
    assert typed(fast[0]) == typed(expected), body
    assert fast[1] == []
    return True


SEED = seed_text(
    title="A title",
    quality=50,
    published=True,
    topics=["AI", "Health"],
    provider={"name": "Outlet", "domain": "news.example"},
    images=[{"url": "https://img.example/a.jpg", "width": 640, "height": 360}],
)
SEED_BODY = front_matter(SEED, "s.md")[0]

# Each a whole front matter; the comment says what a careless fast path would get wrong.
TRICKY = [
    # YAML 1.1 specials PyYAML resolves and JSON cannot tell from strings
    "a: yes\n",
    "a: No\n",
    "a: ON\n",
    "a: off\n",
    "a: Yes\n",
    "a: y\n",
    "a: n\n",
    "a: ~\n",
    "a: null\n",
    "a: Null\n",
    "a: NULL\n",
    "a:\n",
    "a: ''\n",
    "a: 0x1F\n",
    "a: 017\n",
    "a: 0o17\n",
    "a: 0b101\n",
    "a: 1_000\n",
    "a: 12:30\n",
    "a: 1:30:00.5\n",
    "a: 190:20:30\n",
    "a: -0\n",
    "a: +1\n",
    "a: 00\n",
    "a: 09\n",
    "a: .5\n",
    "a: -.5\n",
    "a: +.5\n",
    "a: 1.\n",
    "a: -0.5\n",
    "a: 1e3\n",
    "a: 1.0e+3\n",
    "a: 1.0e3\n",
    "a: 1.5E-2\n",
    "a: .inf\n",
    "a: -.Inf\n",
    "a: +.INF\n",
    "a: .NaN\n",
    "a: NaN\n",
    "a: Infinity\n",
    "a: -Infinity\n",
    "a: 1_0.5\n",
    "a: 12345678901234567890\n",
    "a: true\n",
    "a: True\n",
    "a: TRUE\n",
    "a: false\n",
    "a: 'yes'\n",
    'a: "0x1F"\n',
    "a: '~'\n",
    'a: "12:30"\n',
    "a: '.5'\n",
    "a: =\n",
    "a: '='\n",
    "a: <<\n",
    "a: '<<'\n",
    "a: '!'\n",
    "a: '&'\n",
    "a: '*'\n",
    "a: 2024-01-01\n",
    "a: 2024-01-01T10:00:00Z\n",
    "a: '2024-01-01'\n",
    # keys that are not plain strings
    "1: a\n",
    "true: x\n",
    "null: x\n",
    "~: x\n",
    "'': x\n",
    '"": x\n',
    "? a\n: b\n",
    "? [a, b]\n: c\n",
    "1.5: x\n",
    "yes: x\n",
    "'yes': x\n",
    # anchors, aliases, merge keys, tags
    "a: &x 1\nb: *x\n",
    "a: &x {k: 1}\nb:\n  <<: *x\n  j: 2\n",
    "a: *x\n",
    "a: !!str 1\n",
    "a: !!int '3'\n",
    "a: !!float 1\n",
    "a: !custom x\n",
    "!!map {a: 1}\n",
    "a: !!binary aGVsbG8=\n",
    "a: !!timestamp 2024-01-01\n",
    "a: !!bool yes\n",
    "a: !!python/object:os.system x\n",
    "a: !<tag:yaml.org,2002:str> 1\n",
    # duplicate and long keys
    "a: 1\na: 2\n",
    "a:\n  b: 1\n  b: 2\n",
    ("k" * 65) + ": x\n",
    ("k" * 1100) + ": x\n",
    "a:" + " " * 300 + "x\n",
    # line ends and characters libyaml treats differently
    "a: 1\r\nb: 2\r\n",
    "a: 1\rb: 2\n",
    "a: x\x85y\n",
    "a: x\u2028y\n",
    "a: x\u2029y\n",
    "a: x\ufeffy\n",
    "\ufeffa: 1\n",
    "a: x\ufffey\n",
    "a: x\tb\n",
    "a:\tx\n",
    "a: x\x7fy\n",
    "a: x\x01y\n",
    'a: "\\x85"\n',
    'a: "\\u2028"\n',
    'a: "\\ud800"\n',
    'a: "\\t"\n',
    "a: 'x\u0085y'\n",
    "a: caf\u00e9 \U0001f600\n",
    # flow collections and empties
    "a: []\n",
    "a: {}\n",
    "a: [1, 2]\n",
    "a: {b: 1}\n",
    "a: [yes, no]\n",
    "a: {x: y: z}\n",
    "a: [a: b]\n",
    "a: [[], {}]\n",
    "[]\n",
    "{}\n",
    "a: [1,\n  2]\n",
    "a: {'b': \"c\"}\n",
    "a: [b, c]d\n",
    # flow empties, the one flow construct the fast path takes, and their near misses
    "related: []\n",
    "a: {}\nb: []\n",
    "- []\n- {}\n",
    "a:\n  - []\n  - {}\n",
    "a:\n  []\n",
    "a: []   \n",
    "a: [] # none\n",
    "a: []x\n",
    "a: [] x\n",
    "a: [ ]\n",
    "a: {}}\n",
    "a: []]\n",
    "a: [][]\n",
    "a: [], b\n",
    "[]: x\n",
    "{}: x\n",
    "? []\n: x\n",
    "? {}\n",
    "a: []\nb: [\n",
    "a: []\n  b: 1\n",
    "a: []\n- b\n",
    "a: &x []\n",
    "a: !!seq []\n",
    "a: []\r\n",
    "a: {}",
    "- [] - x\n",  # ryml reads [[], 'x']; libyaml refuses
    "- {} -\n",
    "[]\n",
    "{}\n",
    # block scalars and their headers
    "a: |\n  x\n  y\n",
    "a: |-\n  x\n",
    "a: >+\n  x\n\n",
    "a: |2\n   x\n",
    "a: |  # c\n  x\n",
    "a: >\n  folded\n  text\n",
    "a: |\n\tx\n",
    "a: >-\n  x\n  \n  y\n",
    # directives, documents, reserved and indicator characters
    "%YAML 1.1\n---\na: 1\n",
    "---\na: 1\n",
    "a: 1\n---\nb: 2\n",
    "a: 1\n...\n",
    "---\n",
    "a: @x\n",
    "a: `x\n",
    "a: ]x\n",
    "a: }x\n",
    "a: %x\n",
    "a: x%\n",
    "a: |x\n",
    "a: >x\n",
    "a: -\n",
    "a: - b\n",
    "- a\n- b\n",
    "hello\n",
    "",
    "   \n",
    "# only a comment\n",
    "a: 'it''s'\n",
    'a: "say \\"hi\\""\n',
    "a: b: c\n",
    "a: x #c\n",
    "a: x#c\n",
    "a:\n- 1\n- 2\n",
    "a:\n  - b: 1\n    c: 2\n",
    "a: 'multi\n  line'\n",
    'a: "x\\\n  y"\n',
    "a: [\n",
    "a: 'unclosed\n",
    "a: b\n c: d\n",
    "  a: 1\nb: 2\n",
    # no final line break (front matter always has one, but the contract is StrictLoader's)
    "a: >\n x",
    "a: |\n x",
    "a: 1",
    # found by probing each guard: junk after block scalar headers, BOMs and U+FFFF, keys
    # past libyaml's 1024-character limit, directives, flow indicators, empty keys
    "a: |2x\n  c\n",
    "a: >1-12\n  c: 2\n",
    "a:\n  b: |1x\n",
    "a: >2x#6\n  c: 2\n",
    "- |2x\n  c: 2\n",
    "a: 1\n\ufeffb: 2\n",
    "a: x\uffffy\n",
    "a" + " " * 1100 + ": 1\n",
    "%YAML 1.1\na: 1\n",
    "a: [?x]\n",
    "a: [:x]\n",
    "a: [!x]\n",
    "a: {x: ?y}\n",
    "a: {:x}\n",
    "a: {x: :y}\n",
    ": x\n",
    "a:\n  : x\n",
    "?\n: x\n",
    "a: x\ud800y\n",
    "*x : 1\n",
    "- *x\n",
    'a: "*x"\n',
    "- " * 3000 + "x\n",
    "a: b\n  - c\n",
    "a: &x.y 1\n",
    "a: &é 1\n",
    "a: &x:y 1\n",
    "a: &x 1\n",
]


@pytest.mark.parametrize("body", TRICKY)
def test_tricky_documents_agree_with_strict_loader(body: str) -> None:
    assert agrees(body)


def test_seeds_take_the_fast_path_and_agree() -> None:
    bodies = [
        front_matter(decode(p.read_bytes(), p.name), p.name)[0]
        for p in sorted(SHIPPED_SEEDS.glob("*.txt"))
    ] + [SEED_BODY]
    for body in bodies:
        fast = load_front_matter(body)
        assert fast is not None, "a seed-shaped document fell back to PyYAML"
        assert typed(fast[0]) == typed(strict(body)[1])


@pytest.mark.parametrize("value", ["yes", "12:30", "0x1F", "~", ".5", "-.5", "1e3", "*a", ""])
def test_quoted_specials_stay_strings_either_way(value: str) -> None:
    body = f"a: {yaml.safe_dump(value).splitlines()[0]}\nb: plain\n"
    assert strict(body)[1]["a"] == value
    assert agrees(body)


@pytest.mark.parametrize(
    "body", ["related: []\n", "a: 1\nrelated: []\nimages: {}\n", "a:\n  - []\n  - b: {}\n"]
)
def test_flow_empties_take_the_fast_path(body: str) -> None:
    """``related: []`` is how real seeds say "none" (about 1 in 6 of them): no fallback."""
    fast = load_front_matter(body)
    assert fast is not None and typed(fast[0]) == typed(strict(body)[1])


def test_plain_numbers_and_booleans_take_the_fast_path() -> None:
    body = "a: 1\nb: -2\nc: 1.5\nd: true\ne: false\nf: null\ng: text\n"
    fast = load_front_matter(body)
    assert fast is not None and typed(fast[0]) == typed(strict(body)[1])


# Characters that matter to YAML, to splice into a seed at random places.
SPLICE = st.lists(
    st.sampled_from(
        [
            *"!&*@`%[]{}|>#:-?,'\"~<=\\ \n\t\r.+0123456789eEyYnNoO_xX",
            "\x85",
            "\u2028",
            "\ufeff",
            "\x00",
            "\x7f",
            "é",
            "\U0001f600",
            "yes",
            "12:30",
            "0x1F",
            ".inf",
            "\r\n",
            "  ",
            "- ",
            ": ",
            "---",
            "...",
        ]
    ),
    min_size=1,
    max_size=6,
).map("".join)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=20),
    st.floats(allow_nan=False),
    st.sampled_from(
        [
            "yes",
            "No",
            "~",
            "12:30",
            "0x1F",
            "1_0",
            ".5",
            "-.5",
            "1e3",
            "*a",
            "&b",
            "!c",
            "",
            " x",
            "x ",
            "-",
            "=",
            "<<",
        ]
    ),
)
DOCS = st.dictionaries(
    st.text(min_size=1, max_size=10),
    st.one_of(
        SCALARS,
        st.lists(SCALARS, max_size=3),
        st.dictionaries(st.text(max_size=5), SCALARS, max_size=3),
    ),
    max_size=6,
)


@settings(
    max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.data())
def test_fuzzed_seeds_agree_with_strict_loader(data: st.DataObject) -> None:
    """Seeds with YAML-significant characters spliced in anywhere."""
    body = SEED_BODY
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(body)))
        body = body[:at] + data.draw(SPLICE) + body[at:]
    assert agrees(body)


@settings(max_examples=300, deadline=None, database=None)
@given(DOCS, st.sampled_from([None, "'", '"']), st.booleans(), st.booleans())
def test_dumped_documents_agree_with_strict_loader(
    doc: dict, style: str | None, flow: bool, unicode: bool
) -> None:
    """Any mapping PyYAML can dump, in any style, reads back the same through either path."""
    body = yaml.safe_dump(
        doc, default_style=style, default_flow_style=flow, allow_unicode=unicode, sort_keys=False
    )
    assert agrees(body)


def test_json_constants_python_accepts_are_refused() -> None:
    """Python's json reads NaN and Infinity, which JSON (and PyYAML's plain 'NaN') does not
    mean: should a rapidyaml release ever emit them bare, the fast path must step aside."""
    from feeds import fastyaml

    for text in ('{"a": NaN}', '{"a": -Infinity}', "[Infinity]"):
        with pytest.raises(fastyaml._Refuse):
            fastyaml._decode_json(text)


def test_corpus_shaped_documents_round_trip(tmp_path: Path) -> None:
    """The fast path's answer is used as the record: through parse_record it equals PyYAML's."""
    from feeds.seeds import parse_record

    for body in (SEED_BODY, "title: x\npublishedDateTime: 2024-01-01\nquality: 12:30\n"):
        text = f"---\n{body}---\n"
        assert (
            parse_record(text, "s.md", fast=True).record
            == parse_record(text, "s.md", fast=False).record
        )
