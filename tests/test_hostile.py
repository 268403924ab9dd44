"""Hostile and broken seeds: every input becomes a valid entry or one clear, located message.

The static corpus lives in tests/data/broken/ (one file per kind); kinds that cannot be
committed (a 5 MB excerpt, a symlink loop, a FIFO, a file deleted mid-run…) are made here.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

import feeds.incremental
from feeds.cli import main
from feeds.config import load_config
from feeds.pipeline import Report, generate
from feeds.problems import Severity
from tests.helpers import BASE_URL, DANGER, parse_feed, w3c_validate

CORPUS = Path(__file__).parent / "data" / "broken"

# file -> (outcome, expected entry title or message fragment)
#   entry: in the feed as written; repaired: in the feed, with a warning; skipped: an error
#   line naming the file; held: read fine but held back from feeds (future-dated).
EXPECTED: dict[str, tuple[str, str]] = {
    "good-1.md": ("entry", "A good seed"),
    "good-2.md": ("entry", "Another good seed"),
    "quality-high.md": ("repaired", "quality: expected a number, got 'high'; treated as absent"),
    "topics-string.md": ("repaired", "topics: a single string, read as a one-topic list"),
    "published-yes.md": ("repaired", "published: 'yes' read as True"),
    "published-maybe.md": ("repaired", "published: expected true or false, got 'maybe'"),
    "images-int.md": ("repaired", "images: expected a list, got an integer; ignored"),
    "missing-title.md": ("skipped", "title: missing"),
    "title-list.md": ("skipped", "title: expected text, got a list ['a', 'b']"),
    "title-number.md": ("entry", "2024"),
    "html-title.md": ("entry", "Bold claims & more"),
    "js-url.md": ("repaired", "webUrl: not an absolute http(s) URL 'javascript:alert(1)'"),
    "relative-url.md": ("repaired", "webUrl: not an absolute http(s) URL '/news/relative'"),
    "whitespace-url.md": ("entry", "Whitespace around the URL"),
    "featured-iframe.md": ("entry", "Featured iframe"),
    "related-garbage.md": ("repaired", "related: expected a list, got a string; ignored"),
    "related-bad-items.md": ("entry", "Related items are bad"),
    "provider-garbage.md": ("entry", "Provider is a number"),
    "duplicate-keys.md": ("repaired", "title: duplicate key on line 5; the last value is used"),
    "python-object.md": ("skipped", "could not determine a constructor for the tag"),
    "naive-date.md": ("entry", "Naive date means UTC"),
    "offset-date.md": ("entry", "Offset date"),
    "date-only.md": ("entry", "Date only"),
    "impossible-date.md": ("skipped", "publishedDateTime: not an ISO 8601 date"),
    "date-integer.md": ("skipped", "publishedDateTime: expected an ISO 8601 date, got an integer"),
    "far-future.md": ("held", "From the far future"),
    "missing-date.md": ("skipped", "publishedDateTime: missing"),
    "alias-bomb.md": ("repaired", "excerpt: expected text, got a list; ignored"),
    "deep-nesting.md": ("skipped", "YAML error: exceeded maximum nesting depth"),
    "quoted-surrogate.md": ("skipped", "found invalid Unicode character escape code"),
    "escaped-controls.md": ("entry", "Escaped controls here"),
    "no-front-matter.md": ("skipped", "no front matter: the first line must be '---'"),
    "unclosed.md": ("skipped", "front matter is never closed"),
    "yaml-syntax.md": ("skipped", "YAML error: found unexpected end of stream"),
    "top-level-list.md": ("skipped", "front matter must be a mapping of keys, got list"),
    "top-level-scalar.md": ("skipped", "front matter must be a mapping of keys, got str"),
    "empty.md": ("skipped", "empty file"),
    "empty-front-matter.md": ("skipped", "front matter must be a mapping of keys, got empty"),
    "binary.md": ("skipped", "binary file: NUL byte"),
    "latin1.md": ("repaired", "not UTF-8 (byte 0xe9 at offset 15): read as Windows-1252"),
    "bom.md": ("entry", "Has a byte-order mark"),
    "crlf.md": ("entry", "Windows line ends"),
    "raw-controls.md": ("repaired", "control character(s) repaired or removed"),
    "bidi-title.md": ("entry", "Invoice fdp.exe reversed"),
    "placeholder-excerpt.md": ("repaired", "excerpt: 'NA' is a placeholder, not a summary"),
    "quality-decimal.md": ("entry", "Quality with a decimal"),
    "credentials-url.md": ("entry", "Credentials in the URL"),
    "triple-encoded.md": ("entry", "Encoded three times"),
    "lone-lt.md": ("entry", "Why P<\u2060NP matters and x<\u2060y holds"),
    # made by the fixture below
    "huge-excerpt.md": ("entry", "A five megabyte excerpt"),
    "many-topics.md": ("repaired", "topics: more than 50; the rest ignored"),
    "loop.md": ("skipped", "cannot read: Too many levels of symbolic links"),
    "fifo.md": ("skipped", "not a regular file"),
    "unreadable.md": ("skipped", "cannot read: Permission denied"),
    "vanishing.md": ("skipped", "cannot read: the file vanished"),
    "too-large.md": ("skipped", "too large"),
}
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _seed(folder: Path, name: str, title: str, extra: str = "") -> None:
    (folder / name).write_text(
        f'---\ntitle: "{title}"\nwebUrl: https://broken.example/{name[:-3]}\n'
        f"publishedDateTime: 2024-03-02T10:00:00Z\n{extra}---\n",
        encoding="utf-8",
    )


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The corpus plus the kinds made at run time, with a config publishing everything."""
    seeds = tmp_path / "seeds"
    shutil.copytree(CORPUS, seeds)
    _seed(
        seeds, "huge-excerpt.md", "A five megabyte excerpt", f'excerpt: "{"word " * 1_000_000}"\n'
    )
    _seed(
        seeds,
        "many-topics.md",
        "Ten thousand topics",
        "topics:\n" + "".join(f"  - topic {i}\n" for i in range(10_000)),
    )
    _seed(seeds, "too-large.md", "Too large", f'excerpt: "{"x" * (17 * 1024 * 1024)}"\n')
    os.symlink("loop.md", seeds / "loop.md")  # a file link to itself
    os.symlink("..", seeds / "up")  # a folder link back up: never followed
    os.mkfifo(seeds / "fifo.md")
    _seed(seeds, "unreadable.md", "Unreadable")
    _seed(seeds, "vanishing.md", "Deleted between scan and read")
    real_open = os.open

    def deny(path, flags, *args):  # type: ignore[no-untyped-def]
        # root reads anything, so chmod 000 proves nothing in CI: refuse like the kernel would.
        if str(path).endswith("unreadable.md"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", deny)
    real_discover = feeds.incremental.discover

    def discover_then_delete(root: Path):  # type: ignore[no-untyped-def]
        found = real_discover(root)
        (root / "vanishing.md").unlink(missing_ok=True)
        return found

    monkeypatch.setattr(feeds.incremental, "discover", discover_then_delete)
    config = tmp_path / "config.yaml"
    config.write_text(
        f"site: {{title: Broken, url: '{BASE_URL}'}}\n"
        "feeds:\n  - {slug: all, title: All, status: any}\n"
        "  - {slug: ai, title: AI, topics: [AI], content: summary}\n"
    )
    return config


def _problems(report: Report) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for p in report.problems:
        out.setdefault(Path(p.path).name, []).append((p.severity, str(p)))
    return out


def test_every_kind_becomes_an_entry_or_a_located_message(broken: Path) -> None:
    config = load_config(broken)
    report = generate(config)
    problems = _problems(report)
    feed = parse_feed((config.output / "all.atom").read_bytes())
    by_id = {e.id: e for e in feed.entries}
    seen_kinds = set()
    for name, (outcome, detail) in EXPECTED.items():
        seen_kinds.add(name)
        url = f"https://broken.example/{name[:-3]}"
        entry = by_id.get(url)
        msgs = problems.get(name, [])
        if outcome == "skipped":
            assert entry is None, name
            assert [s for s, _ in msgs] == [Severity.SKIPPED], (name, msgs)
            line = msgs[0][1]
            assert line.startswith(str(config.seeds / name)) and detail in line, (name, line)
            assert "\n" not in line
        elif outcome == "held":
            assert entry is None and not msgs, name
            assert report.selections[0].dropped["future-dated"] == 1
        else:
            if outcome == "repaired":
                assert any(s == Severity.REPAIRED and detail in m for s, m in msgs), (name, msgs)
            else:
                assert not any(s == Severity.SKIPPED for s, _ in msgs), (name, msgs)
                assert entry is not None or name in ("js-url.md", "relative-url.md"), name
            if outcome == "entry":
                assert entry is not None and entry.title == detail, (name, entry)
    # Every kind in the folder is covered by the table, and vice versa.
    on_disk = {p.name for p in config.seeds.iterdir() if p.suffix in (".md",)}
    assert on_disk - {"vanishing.md"} <= seen_kinds
    assert len(EXPECTED) >= 30


def test_repaired_entries_look_right(broken: Path) -> None:
    config = load_config(broken)
    generate(config)
    feed = parse_feed((config.output / "all.rss").read_bytes())
    titles = {e.title for e in feed.entries}
    assert {
        "Café crème “quoted”",
        "Second title wins",
        "Raw controls and patient’s mojibake",
        "JavaScript and data URLs",
        "Relative URL",
    } <= titles
    by_title = {e.title: e for e in feed.entries}
    # No URL survived: the entry has a tag: id and no link at all.
    js = by_title["JavaScript and data URLs"]
    assert js.id.startswith("tag:example.org,2024:js-url.md") and "link" not in js
    assert by_title["Whitespace around the URL"].link == "https://broken.example/whitespace-url"
    assert by_title["Credentials in the URL"].link == "https://broken.example/credentials-url"
    assert by_title["Encoded three times"].summary == "Still text"
    lone = by_title["Why P<\u2060NP matters and x<\u2060y holds"]
    assert lone.summary == "Patients aged &lt;65 &amp; I &lt;3 NY"  # HTML: shows as written
    rss = etree.fromstring((config.output / "all.rss").read_bytes())
    (na,) = rss.xpath("//item[title='The excerpt says NA']")
    assert na.findtext("description").startswith("<p>Read the full story at")  # no "NA"
    huge = by_title["A five megabyte excerpt"]
    assert len(huge.summary) <= 1000 and huge.summary.endswith("…")
    assert by_title["Naive date means UTC"].published == "Fri, 01 Mar 2024 10:00:00 +0000"
    assert by_title["Offset date"].published == "Fri, 01 Mar 2024 10:00:00 +0000"
    atom = parse_feed((config.output / "all.atom").read_bytes())
    video = next(e for e in atom.entries if e.title == "Featured iframe").content[0].value
    assert "Watch the video at" in video and "<iframe" not in video


def test_what_is_emitted_is_valid_and_safe(broken: Path) -> None:
    config = load_config(broken)
    generate(config)
    files = sorted(config.output.glob("*.atom")) + sorted(config.output.glob("*.rss"))
    assert len(files) == 4
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not XML_ILLEGAL.search(text), path.name
        assert not DANGER.search(text) and not DANGER.search(html.unescape(text)), path.name
        hrefs = re.findall(r'(?:href|url|src)="([^"]*)"', html.unescape(text))
        assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs), path.name
    w3c_validate(files)


def test_check_strict_lists_every_problem_one_per_line(broken: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--strict", "--config", str(broken)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    skipped = [ln for ln in lines if ln.startswith("skipped: ")]
    warnings = [ln for ln in lines if ln.startswith("repaired: ")]
    n_skipped = sum(1 for o, _ in EXPECTED.values() if o == "skipped")
    assert len(skipped) == n_skipped
    assert len(warnings) >= sum(1 for o, _ in EXPECTED.values() if o == "repaired")
    assert lines[-1] == f"feeds: {n_skipped} seed(s) skipped (--strict)"
    assert not (broken.parent / "output").exists()
