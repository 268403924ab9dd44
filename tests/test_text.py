import pytest

from feeds.text import repair_text, strip_illegal, truncate


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
    ],
)
def test_repair_text(raw: str, expected: str) -> None:
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
