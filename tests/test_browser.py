"""A real browser on the published site: headless Chromium loads the index and a feed page
through ``feeds serve`` and finds the feeds and the entries in the DOM it built.

Needs Debian's ``chromium`` (.ci/run installs it); skipped with a reason where it is absent.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import html as lxml_html

from feeds.config import load_config
from feeds.pipeline import generate
from tests.helpers import TOKEN, Served, parse_feed

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
]
# No network here: without these, Chromium tries Google's hosts at every start.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


def chromium(*args: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],  # type: ignore[list-item]
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Path]]:
    from tests.helpers import copy_shipped

    root = tmp_path_factory.mktemp("site")
    config = load_config(copy_shipped(root))
    generate(config)
    served = Served(root / "config.yaml")
    try:
        yield served, config.output
    finally:
        served.stop()


def test_the_index_lists_every_feed_in_the_browser(site: tuple[Served, Path]) -> None:
    served, output = site
    dom = lxml_html.fromstring(chromium("--dump-dom", served.base + "/"))
    config = load_config(output.parent / "config.yaml")
    public = [f for f in config.feeds if not f.private]  # the review queue is private
    rows = dom.findall(".//ul[@class='feeds']/li")
    assert [li.findtext("h2/a") for li in rows] == [f.title for f in public]
    assert [li.find("h2/a").get("href") for li in rows] == [f"{f.slug}.html" for f in public]
    feeds_in_head = dom.findall(".//head/link[@rel='alternate']")
    assert len(feeds_in_head) == 3 * len(public)
    assert dom.find(".//a[@href='feeds.opml']") is not None


def test_a_feed_page_shows_its_entries_in_the_browser(
    site: tuple[Served, Path], tmp_path: Path
) -> None:
    served, output = site
    # The shipped review feed is private: the browser reads it under the token.
    page = f"{served.base}/private/{TOKEN}/review.html"
    dom = lxml_html.fromstring(chromium("--dump-dom", page))
    private = load_config(output.parent / "config.yaml").private_output
    atom = parse_feed((private / "review.atom").read_bytes())
    articles = dom.findall(".//article")
    assert [a.findtext("h2/a") for a in articles] == [e.title for e in atom.entries]
    assert len(articles) == 5
    assert dom.findtext(".//h1") == "Editors' review queue"
    # And it renders: a screenshot of the page as a reader sees it.
    shot = tmp_path / "review.png"
    chromium(f"--screenshot={shot}", "--window-size=1000,1400", page)
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000
