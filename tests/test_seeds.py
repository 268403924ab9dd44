from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.problems import SeedError
from feeds.seeds import (
    SeedFile,
    discover,
    front_matter,
    front_matter_by_lines,
    parse_record,
    read_seed,
)


def test_front_matter_is_between_the_first_two_dashes() -> None:
    body, line = front_matter("---\ntitle: x\n---\nbody\n---\nmore\n", "s.md")
    assert body == "title: x\n"
    assert line == 2


def test_crlf_and_bom_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "s.md"
    path.write_bytes(b"\xef\xbb\xbf---\r\ntitle: x\r\n---\r\n")
    assert read_seed(SeedFile(path, "s.md")).record == {"title": "x"}


@pytest.mark.parametrize(
    ("text", "reason", "line"),
    [
        ("", "empty file", None),
        ("title: x\n", "no front matter", 1),
        ("---\ntitle: x\n", "never closed", 1),
        ("---\ntitle: x\nexcerpt: [unclosed\n---\n", "YAML error", 4),
        ("---\n- a\n- b\n---\n", "mapping of keys, got list", 2),
        ("---\n---\n", "got empty", 2),
    ],
)
def test_broken_seeds_raise_a_located_error(text: str, reason: str, line: int | None) -> None:
    with pytest.raises(SeedError) as info:
        parse_record(text, "bad.md")
    assert reason in info.value.reason
    assert info.value.line == line
    assert str(info.value).startswith("bad.md")


def test_python_tags_are_refused() -> None:
    with pytest.raises(SeedError, match="YAML error"):
        parse_record("---\nx: !!python/object/apply:os.system ['true']\n---\n", "evil.md")


def test_discover_is_recursive_sorted_and_filters_suffixes(tmp_path: Path) -> None:
    for name in ["b.txt", "a/z.md", "a/y.yaml", "c.yml", "skip.json", ".hidden.md", ".cache/x.md"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("---\n---\n")
    assert [s.name for s in discover(tmp_path)] == ["a/y.yaml", "a/z.md", "b.txt", "c.yml"]


def test_unreadable_seed_is_a_seed_error(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="cannot read"):
        read_seed(SeedFile(tmp_path / "gone.md", "gone.md"))


def test_latin1_is_read_as_windows_1252_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "latin.md"
    path.write_bytes(b"---\ntitle: caf\xe9 \x93quoted\x94\n---\n")
    raw = read_seed(SeedFile(path, "latin.md"))
    assert raw.record == {"title": "café “quoted”"}
    assert raw.notes == ["not UTF-8 (byte 0xe9 at offset 14): read as Windows-1252"]


def test_damaged_utf8_keeps_the_good_text(tmp_path: Path) -> None:
    path = tmp_path / "damaged.md"
    path.write_bytes("---\ntitle: naïve ".encode() + b"\xff end\n---\n")
    raw = read_seed(SeedFile(path, "damaged.md"))
    assert raw.record == {"title": "naïve \ufffd end"}
    assert raw.notes[0].endswith("invalid bytes replaced")


def test_binary_garbage_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bin.md"
    path.write_bytes(b"---\ntitle: x\n\x00\x01\x02---\n")
    with pytest.raises(SeedError, match="binary file: NUL byte at offset 13"):
        read_seed(SeedFile(path, "bin.md"))


def test_dates_stay_text_and_duplicate_keys_are_noted() -> None:
    raw = parse_record(
        "---\ntitle: a\npublishedDateTime: 2024-02-30T10:00:00Z\ntitle: b\n---\n", "dup.md"
    )
    assert raw.record == {"title": "b", "publishedDateTime": "2024-02-30T10:00:00Z"}
    assert raw.notes == ["title: duplicate key on line 4; the last value is used"]


@settings(max_examples=500, deadline=None, database=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "---",
                "--- ",
                "----",
                "-- -",
                "a: 1",
                "",
                " ",
                "x",
                "---\t",
                "\r",
                "\x85",
                "\u2028",
                "\x0c",
                "#",
            ]
        ),
        max_size=8,
    ).map("\n".join),
    st.booleans(),
)
def test_the_fast_cut_is_the_line_by_line_cut(text: str, opened: bool) -> None:
    """front_matter's find()-based cut gives what splitting into lines gives, errors too."""
    text = "---\n" + text if opened else text

    def cut(f):  # type: ignore[no-untyped-def]
        try:
            return f(text, "s.md")
        except SeedError as exc:
            return (exc.reason, exc.line)

    assert cut(front_matter) == cut(front_matter_by_lines)


@settings(max_examples=500, deadline=None, database=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"a",
                b" ",
                b"\n",
                b"\r",
                b"\t",
                b"\x00",
                b"\x1b",
                b"\x7f",
                b"\xc2\x85",
                b"\xc2\x80",
                b"\xc2\x9f",
                b"\xc2\xa0",
                b"\xef\xbb\xbf",
                b"\xef\xbf\xbe",
                b"\xef\xbf\xbf",
                b"\xe2\x80\x99",
                b"\xc3\xa9",
                b"\xe9",
                b"\xff",
                b"\xf0\x9f\x98\x80",
                b"\xed\xa0\x80",
                b"\xe2\x80\xa8",
            ]
        ),
        max_size=12,
    ).map(b"".join)
)
def test_plain_utf8_needs_no_decoding_help_or_repair(data: bytes) -> None:
    """The byte-level test read_seed runs first never accepts what decode() or
    repair_for_yaml() would change or note."""
    from feeds.seeds import _plain_utf8, decode
    from feeds.text import repair_for_yaml

    text = _plain_utf8(data)
    if text is not None:
        notes: list[str] = []
        assert repair_for_yaml(decode(data, "s.md", notes)) == (text, 0)
        assert notes == []
