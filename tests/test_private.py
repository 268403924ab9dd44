"""Private feeds: written outside the public output, absent from every public surface (the
output folder, the index, OPML, WebSub), and served only under a secret token."""

from __future__ import annotations

import os

import httpx
import pytest
from lxml import etree

from feeds.config import ConfigError, load_config
from feeds.pipeline import generate
from tests.helpers import TOKEN, Project, Served, parse_feed
from tests.test_websub import Hub

FEEDS = [
    {"slug": "ai", "title": "AI", "topics": ["AI"]},
    {"slug": "review", "title": "Review queue", "private": True, "include_unpublished": True},
]


def _project(project: Project, **extra: object) -> None:
    project.seed("a.md", title="Public story", topics=["AI"], webUrl="https://news.example/a")
    project.seed("u.md", title="Candidate", topics=["AI"], published=False,
                 webUrl="https://news.example/u")  # fmt: skip
    project.configure(FEEDS, **extra)


def test_private_feeds_stay_out_of_every_public_surface(project: Project) -> None:
    hub = Hub()
    try:
        _project(project, websub={"hubs": [hub.url]})
        config = load_config(project.config_path)
        generate(config)
        public = {p.name for p in project.output.iterdir()}
        assert not [n for n in public if n.startswith("review")]
        private = config.private_output
        assert private == project.root / ".feeds" / "private"
        assert sorted(p.name for p in private.iterdir()) == [
            "review.atom", "review.html", "review.json", "review.rss",
        ]  # fmt: skip
        for name in ("index.html", "feeds.opml", "404.html"):
            assert "review" not in (project.output / name).read_text().lower(), name
        opml = etree.parse(str(project.output / "feeds.opml")).getroot()
        assert [o.get("text") for o in opml.iter("outline")] == ["AI"]
        assert hub.urls() and not [u for u in hub.urls() if "review" in u]
        # The private feed is whole and valid, with no URL that would reveal where it lives.
        atom = (private / "review.atom").read_bytes()
        assert [e.title for e in parse_feed(atom).entries] == ["Public story", "Candidate"]
        assert b'rel="self"' not in atom and b'rel="hub"' not in atom
        assert b'rel="hub"' not in (private / "review.rss").read_bytes()
        # Valid too: test_pages' judge test runs every judge on the shipped private review.
    finally:
        hub.stop()


def test_a_feed_made_public_moves_out_of_the_private_folder(project: Project) -> None:
    _project(project)
    generate(load_config(project.config_path))
    project.configure([FEEDS[0], {**FEEDS[1], "private": False}])
    config = load_config(project.config_path)
    generate(config)
    assert (project.output / "review.atom").exists()
    assert not list(config.private_output.iterdir())


def test_private_output_may_not_be_inside_the_output(project: Project) -> None:
    project.configure(FEEDS, private_output="output/secret")
    with pytest.raises(
        ConfigError, match=r"private_output: .* and output: .* must be separate folders"
    ):
        load_config(project.config_path)


def test_private_feeds_are_served_only_under_the_token(project: Project) -> None:
    _project(project)
    config = load_config(project.config_path)
    generate(config)
    served = Served(project.config_path)  # FEEDS_PRIVATE_TOKEN=TOKEN
    try:
        with httpx.Client(base_url=served.base, timeout=10) as client:
            ok = client.get(f"/private/{TOKEN}/review.atom")
            assert ok.status_code == 200
            assert ok.content == (config.private_output / "review.atom").read_bytes()
            assert ok.headers["cache-control"].startswith("private")
            page = client.get(f"/private/{TOKEN}/review.html")
            assert page.status_code == 200 and b'href="review.atom"' in page.content
            missing = client.get("/no-such-file.atom")
            for path in ("/review.atom", "/private/review.atom",
                         "/private/not-the-token-0123456789/review.atom",
                         f"/private/{TOKEN}x/review.atom"):  # fmt: skip
                answer = client.get(path)
                assert (answer.status_code, answer.content) == (404, missing.content), path
    finally:
        served.stop()
    # Without a token set, the private area does not exist.
    env = {k: v for k, v in os.environ.items() if k != "FEEDS_PRIVATE_TOKEN"}
    served = Served(project.config_path, env=env)
    try:
        assert "private feeds are not served" in served.out[0]
        answer = httpx.get(f"{served.base}/private/{TOKEN}/review.atom", timeout=10)
        assert answer.status_code == 404
    finally:
        served.stop()
