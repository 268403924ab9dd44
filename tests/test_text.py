import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.text import (
    DEFUSER,
    defuse,
    is_clean,
    placeholder_reason,
    repair_text,
    repair_text_in_full,
    strip_illegal,
    truncate,
    visible,
)
from tests.helpers import executable_markup


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a patientâ€™s vertebra", "a patient’s vertebra"),  # mojibake (seed 000)
        ("patient\u00e2\u0080\u0099s", "patient’s"),  # Latin-1 flavoured mojibake
        ("Fish &amp; chips &#8212; cheap", "Fish & chips — cheap"),  # entities
        ("<b>Bold</b> claim <a href='x'>here</a>", "Bold claim here"),  # tags stripped
        ("x <script>alert(1)</script> y", "x y"),  # script content goes too
        ("&lt;script&gt;alert(1)&lt;/script&gt;ok", "ok"),  # escaped markup too
        ("5 < 6 and 7 > 3", "5 < 6 and 7 > 3"),  # plain comparisons stay
        ("  many\n\tspaces\r\n here ", "many spaces here"),
        ("nul\x00 and \x0b vt \ufffe", "nul and vt"),
        ("<p>one</p><p>two</p>", "one two"),  # block elements keep words apart
        ("<noscript><img src=x onerror=alert(1)></noscript>nos", "nos"),
        ("<scr<script>ipt>alert(1)</script>", "<scr"),
        ("if a<b and c>d then", "if ad then"),  # <b and c> is a tag to a browser too
        ("caf&eacute; &amp;eacute;", "café é"),
        ("AT&T &amp; co", "AT&T & co"),
    ],
)
def test_repair_text(raw: str, expected: str) -> None:
    assert visible(repair_text(raw)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Why P<NP matters and x<y holds",
        "a<b",
        "<3",
        "x <y",
        "I <3 NY",
        "Patients aged <65",
        "Patients aged <65 and >18",
        "a < b > c",
        "<<>>",
        "unclosed <b",
        "vector<int> and map<string, int>",
        "Rust: Vec::<u8>::new()",
        "email <john@example.com>",
    ],
)
def test_a_lt_that_opens_no_element_is_text(text: str) -> None:
    assert visible(repair_text(text)) == text


PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)></svg>",
    '<a href="javascript:alert(1)">x</a>',
    "<x autofocus tabindex=1 onfocus=alert(1)>",
    "<!--><img src=x onerror=alert(1)>-->",
    "<iframe src=javascript:alert(1)></iframe>",
]


def _encoded(text: str, depth: int) -> str:
    for _ in range(depth):
        text = html.escape(text, quote=False)
    return text


@pytest.mark.parametrize("depth", range(6))
@pytest.mark.parametrize("payload", PAYLOADS)
def test_markup_encoded_any_depth_never_comes_out_live(payload: str, depth: int) -> None:
    text = repair_text(f"before {_encoded(payload, depth)} after")
    assert text.startswith("before") and text.endswith("after")
    # However often a reader decodes it, and wherever it lands, nothing can run.
    for page in (text, html.escape(text), f"<p>{html.escape(text)}</p><p>next</p>"):
        for _ in range(7):
            assert executable_markup(page) == [], (payload, depth, page)
            page = html.unescape(page)


def test_three_times_encoded_script_is_stripped_not_decoded() -> None:
    assert repair_text("&amp;amp;lt;script&amp;amp;gt;x&amp;amp;lt;/script&amp;amp;gt;ok") == "ok"


def test_encodings_deeper_than_the_bound_lose_their_markup_characters() -> None:
    text = repair_text("a " + _encoded("<script>alert(1)</script>", 12) + " b")
    assert "<" not in text and "&" not in text and text.startswith("a ")


def test_defuse_keeps_the_text_and_closes_every_tag_opening() -> None:
    assert defuse("P<NP, x </y, <!x, <?x, I <3 NY") == (
        f"P<{DEFUSER}NP, x <{DEFUSER}/y, <{DEFUSER}!x, <{DEFUSER}?x, I <3 NY"
    )
    assert defuse(defuse("a<b")) == defuse("a<b")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Safe \u202eexe.txt", "Safe exe.txt"),  # right-to-left override
        ("\u2066isolated\u2069 \u200eLTR\u200f", "isolated LTR"),
        ("zero\u200bwidth\u2060joiner\ufeff", "zerowidthjoiner"),
        ("\u00adsoft\u00ad hyphens\u00ad", "soft hyphens"),  # at the edges of words
        ("hy\u00adphen\u00adation", "hy\u00adphen\u00adation"),  # inside: a hint, kept
        (
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        ),  # Persian: ZWNJ inside a word is spelling
        ("family \U0001f468\u200d\U0001f469 \u200d", "family \U0001f468\u200d\U0001f469"),
        ("&#8238;encoded override", "encoded override"),  # decoded, then removed
        ("&lt;&#8203;script&gt;alert(1)", ""),  # no tag hides behind a zero-width space
    ],
)
def test_invisible_characters_are_removed(raw: str, expected: str) -> None:
    assert repair_text(raw) == expected


def test_truncate_cuts_at_a_word_boundary_with_an_ellipsis() -> None:
    assert truncate("The quick brown fox jumps", 16) == "The quick brown…"
    assert truncate("short", 16) == "short"
    assert len(truncate("x" * 50, 10)) == 10


def test_huge_text_is_capped_cheaply() -> None:
    out = repair_text("word " * 1_000_000, 100)
    assert len(out) <= 100 and out.endswith("…")


def test_strip_illegal_removes_surrogates() -> None:
    assert strip_illegal("a\ud800b") == "ab"


@pytest.mark.parametrize(
    ("excerpt", "reason"),
    [
        ("na", "a placeholder"),
        ("NA", "a placeholder"),
        ("N/A", "a placeholder"),
        ("English", "a placeholder"),
        ("null", "a placeholder"),
        ("...", "a placeholder"),
        ("The Title!", "the same as the title"),
        ("https://news.example/story", "a bare URL"),
        ("An actual summary of the story.", None),
        ("Nathan said no", None),
        ("English hospitals report fewer cases", None),
    ],
)
def test_placeholder_excerpts(excerpt: str, reason: str | None) -> None:
    assert placeholder_reason(excerpt, "The title") == reason


def _placeholder_reason_in_full(excerpt: str, title: str) -> str | None:
    """The rule as first written: every character of the excerpt folded and compared."""
    import re

    from feeds.text import PLACEHOLDERS, _is_url

    def words(text: str) -> str:
        return re.sub(r"[\W_]+", "", visible(text).casefold())

    if words(excerpt) in PLACEHOLDERS or not words(excerpt):
        return "a placeholder"
    if words(excerpt) == words(title):
        return "the same as the title"
    if " " not in excerpt and _is_url(excerpt):
        return "a bare URL"
    return None


# Pieces whose folding or removal changes lengths: final sigma, ß, ligatures, a dotted I,
# combining marks (no word characters), the defusing joiner, punctuation, placeholders.
_FOLDY = st.lists(
    st.sampled_from(
        ["Σ", "ς", "ß", "ﬁ", "İ", "\u0301", DEFUSER, " ", "-", "_", ".", "N/A", "na", "x", "7", "ǅ"]
    )
    | st.text(max_size=3),
    max_size=60,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(excerpt=_FOLDY, title=_FOLDY, repeat=st.integers(0, 3))
def test_placeholder_reason_reads_a_head_only_when_that_decides(
    excerpt: str, title: str, repeat: int
) -> None:
    """The shortcut (deciding from the excerpt's head) never changes the reason, also
    for excerpts that are the title again, padded, or repeated."""
    for candidate in (excerpt, title + excerpt * repeat, (excerpt + " ") * repeat + title):
        assert placeholder_reason(candidate, title) == _placeholder_reason_in_full(candidate, title)


TEXTISH = st.lists(
    st.sampled_from(
        [
            *"aZ09 .,<>&;#/-_!?'\"=",
            " ",
            "  ",
            "\t",
            "\n",
            "\x00",
            "\x7f",
            "é",
            "â€™",
            "\u202e",
            "\u200b",
            "\u00ad",
            "\xa0",
            "\u2028",
            "\u3000",
            "\u200d",
            "’",
            "Ã©",
            "&amp;",
            "<b>",
            "</p>",
            "P<NP",
            "\ufeff",
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=500, deadline=None, database=None)
@given(TEXTISH, st.sampled_from([None, 1, 5, 20, 200]))
def test_the_cheap_test_never_changes_a_result(value: str, limit: int | None) -> None:
    """repair_text skips every step for text is_clean() passes: it must be what the steps
    would have made of it."""
    assert repair_text(value, limit) == repair_text_in_full(value, limit)
    if is_clean(value) and (limit is None or len(value) <= limit) and value.isascii():
        assert repair_text_in_full(value, limit) == value


MOJIBAKE_PRONE = st.lists(
    st.sampled_from(
        [
            *"aZz .,?!\n-",
            "Ã",
            "Â",
            "â",
            "€",
            "™",
            "œ",
            "Œ",
            "°",
            "’",
            "“",
            "”",
            "é",
            "à",
            "²",
            "Ø",
            "Ù",
            "–",
            "√",
            "±",
            "‚",
            "Ä",
            "ì",
            "в",
            "Ђ",
            "Г",
            "ў",
            "В",
            "β",
            "Ά",
            "ā",
            "\xa0",
            "\x85",
            "\ufffd",
            "ß",
            "§",
            "│",
            "¦",
        ]
    ),
    max_size=16,
).map("".join)


@settings(max_examples=1000, deadline=None, database=None)
@given(MOJIBAKE_PRONE)
def test_mojibake_windows_find_what_a_whole_search_finds(value: str) -> None:
    import ftfy.badness

    from feeds.text import looks_like_mojibake

    assert looks_like_mojibake(value) == ftfy.badness.is_bad(value)
