"""What a subscriber sees: rich, clean, safe entries end to end (seeds -> feed files)."""

import html
import json
from pathlib import Path

from lxml import html as lxml_html

from feeds.config import load_config
from feeds.pipeline import generate
from feeds.text import visible
from tests.helpers import BASE_URL, DANGER, Project, parse_feed, w3c_validate

SEED_003 = "https://healthitanalytics.com/news/deep-learning-tool-predicts-brain-metastasis-in-lung-cancer-patients"


def _entry(parsed, entry_id: str):
    return next(e for e in parsed.entries if e.id == entry_id)


def test_shipped_entries_carry_image_outlet_and_related(shipped: Path) -> None:
    config = load_config(shipped)
    generate(config)
    atom = parse_feed((config.private_output / "review.atom").read_bytes())
    rss = parse_feed((config.private_output / "review.rss").read_bytes())
    image = (
        "https://healthitanalytics.com/images/site/article_headers/_normal/"
        "2020-09-18-GettyImages-1154235081.jpg"
    )
    for parsed in (atom, rss):
        entry = _entry(parsed, SEED_003)
        body = entry.content[0].value
        tree = lxml_html.fragment_fromstring(body, create_parent="div")
        assert dict(tree.find(".//img").attrib) == {
            "src": image,
            "width": "690",
            "height": "400",
            "alt": "Deep learning tool predicts brain metastasis in lung cancer patients",
        }
        outlet = tree.xpath(".//a[text()='Analytics']")
        assert [a.get("href") for a in outlet] == [SEED_003]
        assert body.index("Machine Learning Predicts Lung Cancer Spread to Brain") < body.index(
            "AI method can predict brain metastasis"
        )  # quality 54 before 19
        assert entry.media_thumbnail == [{"url": image, "height": "400", "width": "690"}]
        assert entry.media_content[0]["medium"] == "image"
        assert entry.author == "Analytics"  # Atom author/name; RSS dc:creator
        assert [t.scheme for t in entry.tags] == ["https://example.org/feeds/"] * 2
    related = [ln.href for ln in _entry(atom, SEED_003).links if ln.rel == "related"]
    assert related == [
        "https://www.technologynetworks.com/tn/news/machine-learning-predicts-lung-cancer-"
        "spread-to-brain-384684",
        "https://www.news-medical.net/news/20240311/AI-method-can-predict-brain-metastasis-in-"
        "lung-cancer-patients.aspx",
    ]
    assert (
        b"<author>" not in (config.private_output / "review.rss").read_bytes()
    )  # RSS author = email


def test_mojibake_of_seed_000_is_repaired(shipped: Path) -> None:
    config = load_config(shipped)
    generate(config)
    for name in ("review.atom", "review.rss"):
        data = (config.private_output / name).read_bytes().decode()
        assert "â€" not in data
        entry = _entry(
            parse_feed(data.encode()),
            "https://eandt.theiet.org/content/articles/"
            "2022/05/ai-can-predict-bone-fractures-in-cancer-patients/",
        )
        assert entry.title == "AI can predict bone fractures in cancer patients"
        assert "a digital twin of a patient’s vertebra" in entry.summary


HOSTILE = dict(
    title='Breaking <script>alert("t")</script><img src=x onerror=alert(2)> news',
    excerpt=(
        'Read <a href="javascript:alert(3)" onclick="x()">this</a>'
        '<iframe src="https://evil.example/"></iframe> &lt;script&gt;alert(4)&lt;/script&gt;'
        '<b style="color:red" onmouseover="y()">now</b>'
    ),
    webUrl="https://news.example/hostile",
    featuredContent='<iframe src="https://www.youtube.com/embed/x" onload="z()"></iframe>',
    images=[
        {"url": "javascript:alert(5)", "width": 10, "height": 10},
        {"url": "data:image/png;base64,AAAA"},
    ],
    related=[
        {"title": "<script>bad()</script>Good coverage", "webUrl": "javascript:alert(6)"},
        {
            "title": "Fine <i onclick='q()'>coverage</i>",
            "webUrl": "https://ok.example/r",
            "provider": {"name": "<b>OK</b> News"},
        },
    ],
    provider={"name": "Outlet<script>alert(7)</script>"},
    topics=["AI", "<script>x</script>"],
)


def test_crafted_seed_cannot_inject_anything(project: Project) -> None:
    project.seed("hostile.md", **HOSTILE)
    project.seed("plain.md", title="Plain", webUrl="https://news.example/plain")
    project.configure(
        [{"slug": "all", "title": "All"}, {"slug": "short", "title": "Short", "content": "summary"}]
    )
    generate(load_config(project.config_path))
    files = project.feed_files()
    assert sorted(files) == ["all.atom", "all.rss", "short.atom", "short.rss"]
    for name, data in files.items():
        text = data.decode()
        # Neither in the XML nor in the HTML a reader gets after unescaping it.
        assert not DANGER.search(text), name
        assert not DANGER.search(html.unescape(text)), name
        entry = _entry(parse_feed(data), "https://news.example/hostile")
        assert entry.title == "Breaking news"
        assert entry.summary.startswith("Read this now")
    full = _entry(parse_feed(files["all.atom"]), "https://news.example/hostile").content[0].value
    assert '<a href="https://ok.example/r" rel="noopener noreferrer">Fine coverage</a>' in full
    assert "Good coverage" not in full  # its only link was javascript:
    w3c_validate(sorted(project.output.glob("*.atom")) + sorted(project.output.glob("*.rss")))


def test_summary_mode_has_no_content(project: Project) -> None:
    project.seed(
        "a.md",
        title="A",
        webUrl="https://news.example/a",
        excerpt="Just this.",
        images=[{"url": "https://img.example/a.jpg", "width": 5, "height": 5}],
    )
    project.configure([{"slug": "short", "title": "Short", "content": "summary"}])
    generate(load_config(project.config_path))
    atom = parse_feed((project.output / "short.atom").read_bytes())
    assert "content" not in atom.entries[0]
    assert atom.entries[0].summary == "Just this."


def test_updated_moves_only_when_what_readers_see_changes(project: Project) -> None:
    base = dict(
        title="Story",
        webUrl="https://news.example/s",
        publishedDateTime="2024-02-01T10:00:00Z",
        heat=1,
        secured="abc",
    )
    path = project.seed("s.md", **base)
    project.configure([{"slug": "all", "title": "All"}])
    config = load_config(project.config_path)
    generate(config)
    before = {
        n: (p.read_bytes(), p.stat().st_mtime_ns)
        for n, p in ((p.name, p) for p in project.output.glob("all.*"))
    }
    project.seed("s.md", **{**base, "heat": 99, "secured": "xyz"})
    assert generate(config).written.written == []
    after = {
        n: (p.read_bytes(), p.stat().st_mtime_ns)
        for n, p in ((p.name, p) for p in project.output.glob("all.*"))
    }
    assert after == before
    project.seed(
        "s.md",
        **{
            **base,
            "related": [
                {
                    "title": "Follow-up",
                    "webUrl": "https://other.example/f",
                    "publishedDateTime": "2024-02-03T08:00:00Z",
                }
            ],
        },
    )
    generate(config)
    entry = parse_feed((project.output / "all.atom").read_bytes()).entries[0]
    assert entry.updated == "2024-02-03T08:00:00+00:00"
    assert entry.published == "2024-02-01T10:00:00+00:00"
    assert path.exists()


def _rendered_text(fragment: str) -> str:
    """What a reader shows for an HTML fragment (the text of the parsed HTML)."""
    return visible(lxml_html.fragment_fromstring(fragment, create_parent="div").text_content())


def test_plain_text_shows_as_written_in_every_format(project: Project) -> None:
    title = "Why P<NP matters & x<y holds, I <3 NY"
    excerpt = "Patients aged <65 & over: a<b, x <y, <3."
    project.seed("s.md", title=title, excerpt=excerpt, webUrl="https://news.example/s")
    project.configure([{"slug": "all", "title": "All", "content": "summary"}])
    generate(load_config(project.config_path))
    rss = parse_feed((project.output / "all.rss").read_bytes()).entries[0]
    atom = parse_feed((project.output / "all.atom").read_bytes()).entries[0]
    assert rss.summary_detail.type == "text/html"  # readers render the description as HTML
    assert _rendered_text(rss.summary) == excerpt
    assert atom.summary_detail.type == "text/plain" and visible(atom.summary) == excerpt
    assert visible(rss.title) == visible(atom.title) == title
    item = json.loads((project.output / "all.json").read_text())["items"][0]
    assert (visible(item["title"]), visible(item["summary"])) == (title, excerpt)
    assert _rendered_text(item["content_html"]) == excerpt
    page = lxml_html.fromstring((project.output / "all.html").read_bytes())
    assert excerpt in visible(page.text_content()) and title in visible(page.text_content())


def test_site_url_without_its_slash_still_gives_working_links(project: Project) -> None:
    project.seed("s.md", title="Story", webUrl="https://news.example/s")
    project.configure([{"slug": "ai", "title": "AI"}])
    config = project.config_path
    config.write_text(config.read_text().replace(BASE_URL, BASE_URL.rstrip("/")))
    assert "feeds/\n" not in config.read_text()
    generate(load_config(config))
    atom = parse_feed((project.output / "ai.atom").read_bytes())
    assert atom.feed.id == BASE_URL + "ai"
    assert [ln.href for ln in atom.feed.links if ln.rel == "self"] == [BASE_URL + "ai.atom"]
    w3c_validate([project.output / "ai.atom", project.output / "ai.rss"])


def test_a_repost_surfaces_at_the_top(project: Project) -> None:
    url = "https://news.example/story"
    project.seed("a.md", title="Story", originalUrl=url, quality=80,
                 publishedDateTime="2024-01-01T00:00:00Z")  # fmt: skip
    project.seed("b.md", title="Story again", originalUrl=url, quality=50,
                 publishedDateTime="2024-03-01T00:00:00Z")  # fmt: skip
    project.seed("c.md", title="In between", webUrl="https://news.example/c",
                 publishedDateTime="2024-02-01T00:00:00Z")  # fmt: skip
    project.configure([{"slug": "all", "title": "All"}])
    generate(load_config(project.config_path))
    atom = parse_feed((project.output / "all.atom").read_bytes())
    assert [e.title for e in atom.entries] == ["Story", "In between"]
    assert atom.entries[0].published == "2024-01-01T00:00:00+00:00"
    assert atom.entries[0].updated == "2024-03-01T00:00:00+00:00"
    assert atom.feed.updated == "2024-03-01T00:00:00+00:00"
