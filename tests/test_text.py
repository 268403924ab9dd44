import pytest

from feeds.text import clean_url, repair_text, strip_illegal, truncate


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


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://example.org/a?b=1", "https://example.org/a?b=1"),
        ("  http://example.org/  \n", "http://example.org/"),
        ("javascript:alert(1)", None),
        ("data:text/html,<script>", None),
        ("/relative/path", None),
        ("https://", None),
        ("ftp://example.org/file", None),
        ("HTTPS://bücher.example/straße?q=ü", "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC"),
        ('https://example.org/"<a>"', "https://example.org/%22%3Ca%3E%22"),
        ("https://example.org/a b", None),
        ("http://example.org:99999/", None),
        ('https://exa"mple.org/', None),
        ("https://\u00a0ut.example/", None),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("https://example.org/a[1]?b=[2]#c#d", "https://example.org/a%5B1%5D?b=%5B2%5D#c%23d"),
        ("https://example.org/100%?x=%zz&y=%2F", "https://example.org/100%25?x=%25zz&y=%2F"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        (42, None),
    ],
)
def test_clean_url(raw: object, expected: str | None) -> None:
    assert clean_url(raw) == expected
