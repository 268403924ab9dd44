"""The published site: a page per feed, the index, OPML and JSON Feed, as people and readers
meet them. Every page passes the Nu HTML checker, every JSON feed the JSON Feed schema, every
link resolves to a file that exists, and nothing from a seed can run in a page."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin

import pytest
from lxml import etree
from lxml import html as lxml_html

from feeds.config import ConfigError, load_config
from feeds.pipeline import generate
from tests.helpers import (
    BASE_URL,
    DANGER,
    REPO,
    Project,
    executable_markup,
    html_validate,
    jsonfeed_validate,
    parse_feed,
    w3c_validate,
)
from tests.test_entries import HOSTILE


def _published(output: Path) -> list[Path]:
    return sorted(p for p in output.iterdir() if not p.name.startswith("."))


def _local(url: str, output: Path) -> Path:
    """The file a URL under the site's base resolves to."""
    assert url.startswith(BASE_URL), url
    return output / (url[len(BASE_URL) :] or "index.html")


def _judge_site(*folders: Path) -> None:
    """Every page, JSON feed and Atom/RSS feed in the folders, one judge run each."""
    files = [p for folder in folders for p in _published(folder)]
    html_validate([p for p in files if p.suffix == ".html"])
    jsonfeed_validate([p for p in files if p.suffix == ".json"])
    w3c_validate([p for p in files if p.suffix in (".atom", ".rss")])


def test_shipped_site_passes_every_judge(shipped: Path) -> None:
    config = load_config(shipped)
    generate(config)
    names = [p.name for p in _published(config.output)]
    assert {"index.html", "feeds.opml", "404.html", "ai.html", "ai.json"} <= set(names)
    private = [p.name for p in _published(config.private_output)]
    assert {"review.atom", "review.rss", "review.json", "review.html"} == set(private)
    _judge_site(config.output, config.private_output)  # the private review feed too


@pytest.mark.slow
def test_synthetic_corpus_site_passes_every_judge(tmp_path: Path) -> None:
    project = Project(tmp_path)
    subprocess.run(
        [sys.executable, str(REPO / "bench/make_corpus.py"), "150", str(project.seeds)],
        check=True,
        capture_output=True,
    )
    project.configure(
        [{"slug": "all", "title": "Everything"}],
        defaults={"status": "any", "max_items": 40},
        auto_topics=True,
    )
    report = generate(load_config(project.config_path))
    assert len(report.selections) > 5 and all(s.items for s in report.selections[:3])
    _judge_site(project.output)


def _alternates(page: Path) -> list[tuple[str, str]]:
    tree = lxml_html.fromstring(page.read_bytes())
    return [
        (el.get("type"), el.get("href")) for el in tree.iterfind(".//head/link[@rel='alternate']")
    ]


def test_every_autodiscovery_link_and_opml_entry_resolves(shipped_public: Path) -> None:
    config = load_config(shipped_public)
    generate(config)
    out = config.output
    index = _alternates(out / "index.html")
    assert len(index) == 4 * 3  # every feed, in each of its three feed formats
    expected = {
        "application/atom+xml": ".atom",
        "application/rss+xml": ".rss",
        "application/feed+json": ".json",
    }
    for page in [out / "index.html", *out.glob("*.html")]:
        for kind, href in _alternates(page):
            assert _local(href, out).is_file(), (page.name, href)
            assert href.endswith(expected[kind])
        tree = lxml_html.fromstring(page.read_bytes())
        for a in tree.iterfind(".//a[@href]"):  # links between our own pages
            href = urljoin(BASE_URL + page.name, a.get("href"))
            if href.startswith(BASE_URL):
                assert _local(href, out).is_file(), (page.name, href)
    opml = etree.parse(str(out / "feeds.opml")).getroot()
    assert opml.get("version") == "2.0" and opml.findtext("head/title") == config.site.title
    outlines = opml.findall("body/outline")
    assert [o.get("text") for o in outlines] == [f.title for f in config.feeds]
    for outline in outlines:
        assert _local(outline.get("xmlUrl"), out).is_file()
        assert _local(outline.get("htmlUrl"), out).is_file()
    # The feeds' human views are the pages.
    atom = parse_feed((out / "review.atom").read_bytes())
    assert {ln.href for ln in atom.feed.links if ln.rel == "alternate"} == {
        BASE_URL + "review.html"
    }
    assert parse_feed((out / "review.rss").read_bytes()).feed.link == BASE_URL + "review.html"
    assert (
        json.loads((out / "review.json").read_text())["home_page_url"] == BASE_URL + "review.html"
    )
    index_links = {
        a.get("href") for a in lxml_html.fromstring((out / "index.html").read_bytes()).iter("a")
    }
    assert "feeds.opml" in index_links


def test_json_items_equal_the_atom_entries(shipped_public: Path) -> None:
    config = load_config(shipped_public)
    generate(config)
    for feed in config.feeds:
        atom_bytes = (config.output / f"{feed.slug}.atom").read_bytes()
        atom = parse_feed(atom_bytes)
        atom_ns = "{http://www.w3.org/2005/Atom}"
        contents = etree.fromstring(atom_bytes).findall(f"{atom_ns}entry/{atom_ns}content")
        doc = json.loads((config.output / f"{feed.slug}.json").read_text(encoding="utf-8"))
        assert doc["title"] == atom.feed.title
        items = doc["items"]
        assert [i["id"] for i in items] == [e.id for e in atom.entries]
        assert [i["title"] for i in items] == [e.title for e in atom.entries]
        assert [i.get("url") for i in items] == [e.get("link") for e in atom.entries]
        for item, entry, content in zip(items, atom.entries, contents, strict=True):
            assert item["date_published"].replace("Z", "+00:00") == entry.published
            assert item["date_modified"].replace("Z", "+00:00") == entry.updated
            assert item["content_html"] == content.text
            assert item["tags"] == [t.term for t in entry.tags]
            assert item["authors"] == [{"name": entry.author}]
    review = json.loads((config.output / "review.json").read_text(encoding="utf-8"))
    assert len(review["items"]) == 5
    assert review["items"][0]["image"].startswith("https://healthitanalytics.com/images/")


def test_feed_page_shows_entries_as_the_feed_carries_them(shipped_public: Path) -> None:
    config = load_config(shipped_public)
    generate(config)
    page = lxml_html.fromstring((config.output / "review.html").read_bytes())
    atom = parse_feed((config.output / "review.atom").read_bytes())
    articles = page.findall(".//article")
    assert [a.findtext("h2/a") for a in articles] == [e.title for e in atom.entries]
    assert [a.find("h2/a").get("href") for a in articles] == [e.link for e in atom.entries]
    first = articles[0]
    assert first.findtext(".//span[@class='outlet']") == "Analytics"
    assert first.find(".//time").get("datetime") == "2024-03-13T13:00:00Z"
    assert first.find(".//img").get("src").startswith("https://healthitanalytics.com/images/")
    assert [a.text for a in first.findall(".//section[@class='related']//a")] == [
        "Machine Learning Predicts Lung Cancer Spread to Brain",
        "AI method can predict brain metastasis in lung cancer patients",
    ]
    subscribe = [code.text for code in page.iterfind(".//section[@class='subscribe']//code")]
    assert subscribe == [BASE_URL + f"review.{ext}" for ext in ("atom", "rss", "json")]
    empty = lxml_html.fromstring((config.output / "ai.html").read_bytes())
    assert empty.find(".//article") is None and "no entries yet" in empty.text_content()
    index = lxml_html.fromstring((config.output / "index.html").read_bytes())
    rows = {
        li.findtext("h2/a"): li.text_content() for li in index.iterfind(".//ul[@class='feeds']/li")
    }
    assert list(rows) == [f.title for f in config.feeds]
    assert (
        "5 entries" in rows["Editors' review queue"]
        and "13 March 2024" in rows["Editors' review queue"]
    )
    assert "0 entries" in rows["Artificial intelligence"]


HOSTILE_EVERYWHERE = {
    **HOSTILE,
    "title": 'Title <img src=x onerror=alert(1)> " onmouseover="alert(2)',
    "excerpt": "&lt;script&gt;alert(3)&lt;/script&gt; <a href='javascript:alert(4)'>x</a>",
    "topics": ['AI" onclick="alert(5)', "<svg onload=alert(6)>"],
    "webUrl": "javascript:alert(7)",
    "originalUrl": "https://news.example/hostile-everywhere",
    "type": "video",
}


def test_hostile_seed_leaves_nothing_executable_in_any_page(project: Project) -> None:
    _hostile_site(project)


@pytest.mark.slow
def test_hostile_seed_pages_pass_the_judges(project: Project) -> None:
    files = _hostile_site(project)
    html_validate([p for p in files if p.suffix == ".html"])
    jsonfeed_validate([p for p in files if p.suffix == ".json"])


def _hostile_site(project: Project) -> list[Path]:
    project.seed("hostile.md", **HOSTILE)
    project.seed("everywhere.md", **HOSTILE_EVERYWHERE)
    project.configure(
        [
            {"slug": "all", "title": 'All <script>alert("feed")</script>'},
            {"slug": "short", "title": "Short", "content": "summary", "topics": ["AI"]},
        ],
        defaults={"status": "any"},
        auto_topics=True,
    )
    generate(load_config(project.config_path))
    files = _published(project.output)
    pages = [p for p in files if p.suffix == ".html"]
    assert len(pages) >= 5
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".html":
            assert executable_markup(text) == [], path.name
        if path.suffix == ".json":
            for item in json.loads(text)["items"]:  # other fields are plain text
                assert executable_markup(item["content_html"]) == [], path.name
                assert not DANGER.search(item["content_html"]), path.name
        if path.suffix == ".opml":
            for outline in etree.fromstring(text.encode()).iter("outline"):
                assert outline.get("xmlUrl").startswith("https://")
    return files


def test_formats_are_chosen_in_defaults_and_per_feed(project: Project) -> None:
    project.seed("a.md", title="A story", webUrl="https://news.example/a", topics=["AI"])
    project.configure(
        [
            {"slug": "ai", "title": "AI", "topics": ["AI"]},
            {"slug": "plain", "title": "Plain", "formats": ["rss"]},
            {"slug": "reader", "title": "Reader", "formats": ["json", "atom"]},
        ],
        defaults={"formats": ["atom", "html"]},
    )
    generate(load_config(project.config_path))
    names = {p.name for p in _published(project.output)}
    assert names == {
        "ai.atom", "ai.html", "plain.rss", "reader.atom", "reader.json",
        "index.html", "feeds.opml", "404.html",
    }  # fmt: skip
    opml = etree.parse(str(project.output / "feeds.opml")).getroot()
    assert [o.get("xmlUrl") for o in opml.iter("outline")] == [
        BASE_URL + "ai.atom", BASE_URL + "plain.rss", BASE_URL + "reader.atom",
    ]  # fmt: skip
    # Without a page of its own, a feed's human view is the index.
    assert parse_feed((project.output / "plain.rss").read_bytes()).feed.link == BASE_URL
    index = lxml_html.fromstring((project.output / "index.html").read_bytes())
    rows = index.iterfind(".//ul[@class='feeds']/li")
    assert [li.find("h2").text_content() for li in rows] == [
        "AI", "Plain", "Reader",
    ]  # fmt: skip


def test_a_templates_folder_replaces_builtin_templates(project: Project) -> None:
    project.seed("a.md", title="A story", webUrl="https://news.example/a")
    templates = project.root / "templates"
    templates.mkdir()
    (templates / "feed.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>{{ feed.title }}</h1>'
        "<p class=custom>{{ entries | length }} stories</p>{% endblock %}\n"
    )
    project.configure([{"slug": "all", "title": "All"}], templates="templates")
    config = load_config(project.config_path)
    generate(config)
    page = (project.output / "all.html").read_text()
    assert '<p class="custom">1 stories</p>' in page or "<p class=custom>1 stories</p>" in page
    assert "Subscribe" not in page  # the built-in feed page is not used
    assert 'class="feeds"' in (project.output / "index.html").read_text()  # built-in index
    # Editing a template renders the feeds again on the next run.
    (templates / "feed.html").write_text(
        '{% extends "base.html" %}{% block main %}<p>v2</p>{% endblock %}\n'
    )
    generate(load_config(project.config_path))
    assert "<p>v2</p>" in (project.output / "all.html").read_text()


@pytest.mark.parametrize(
    ("schedule", "ttl"), [({"interval": "1h"}, "60"), ({"cron": "*/5 * * * *"}, "5")]
)
def test_rss_ttl_follows_the_schedule(project: Project, schedule: dict, ttl: str) -> None:
    project.seed("a.md", title="A story", webUrl="https://news.example/a")
    project.configure([{"slug": "all", "title": "All"}], schedule=schedule)
    generate(load_config(project.config_path))
    assert parse_feed((project.output / "all.rss").read_bytes()).feed.ttl == ttl


@pytest.mark.parametrize("slug", ["index", "404", "INDEX"])
def test_slugs_of_site_pages_are_refused(project: Project, slug: str) -> None:
    project.configure([{"slug": slug, "title": "Clash"}])
    with pytest.raises(ConfigError, match=rf"feeds\[0\]\.slug: '{slug}' is reserved"):
        load_config(project.config_path)


def test_a_deleted_site_page_is_put_back_by_the_next_run(project: Project) -> None:
    from feeds.daemon import Daemon

    project.seed("a.md", title="A story", webUrl="https://news.example/a")
    project.configure([{"slug": "all", "title": "All"}])
    daemon = Daemon(project.config_path, load_config(project.config_path))
    daemon.tick()
    index = (project.output / "index.html").read_bytes()
    (project.output / "index.html").unlink()
    assert daemon.tick().files_written == 1
    assert (project.output / "index.html").read_bytes() == index
