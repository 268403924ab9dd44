"""One message is one line, however hostile the names and values it quotes."""

import pytest

from feeds.errors import ConfigError
from feeds.messages import clip, one_line, quoted, short
from feeds.problems import Problem, SeedError, Severity

# Every character a message must not carry raw: C0 controls (line feeds among them), DEL and
# C1 controls (NEL), the Unicode line and paragraph separators, and the bidi controls.
HOSTILE = [
    *map(chr, range(0x00, 0x20)),
    *map(chr, range(0x7F, 0xA0)),
    "\u2028",
    "\u2029",
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
    "\u200e",
    "\u200f",
    "\u061c",
]


@pytest.mark.parametrize("char", HOSTILE, ids=lambda c: f"U+{ord(c):04X}")
def test_every_control_line_break_and_bidi_character_is_escaped(char: str) -> None:
    text = one_line(f"seeds/evil{char}skipped: seeds/fake.md")
    assert char not in text
    assert len(text.splitlines()) == 1
    assert text == f"seeds/evil{repr(char)[1:-1]}skipped: seeds/fake.md"


def test_ordinary_text_is_left_alone() -> None:
    text = "seeds/Ελληνικά café 日本語 emoji 🙂 \\n quotes ' \" done"
    assert one_line(text) == text


def test_escapes_read_as_python_writes_them() -> None:
    assert one_line("a\nb\x1b[31m\u202ec\x85") == "a\\nb\\x1b[31m\\u202ec\\x85"


def test_short_is_bounded_for_any_value() -> None:
    bomb: list = ["lol"] * 9
    for _ in range(8):
        bomb = [bomb] * 9  # 9**9 strings if written out
    assert len(short(bomb)) < 100
    assert len(short("x" * 1_000_000)) < 100
    assert short("a\u202eb") == "'a\\u202eb'"


def test_quoted_keeps_names_whole_unless_absurd() -> None:
    name = "/srv/feeds/" + "deep/" * 20 + "seeds"
    assert quoted(name) == repr(name)
    assert len(quoted("x" * 100_000)) < 210
    assert clip("abc", 2) == "a…"


def test_problems_and_errors_are_one_line_each() -> None:
    problem = Problem("seeds/evil\nskipped: seeds/fake.md", "no front matter", 1)
    assert problem.line_text() == "skipped: seeds/evil\\nskipped: seeds/fake.md:1: no front matter"
    repaired = Problem("seeds/\u202eevil.md", "title: x", severity=Severity.REPAIRED)
    assert repaired.line_text() == "repaired: seeds/\\u202eevil.md: title: x"
    assert str(SeedError("a\nb.md", "bad\u2028reason")) == "a\\nb.md: bad reason"
    assert str(ConfigError("/srv/a\nb/config.yaml: x")) == "/srv/a\\nb/config.yaml: x"
