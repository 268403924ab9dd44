"""WebSub: hubs are announced in every feed format, and a local hub is pinged for exactly the
feed files a run changed; a dead or slow hub never costs a run more than a second, and what
failed is sent by the next run."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from feeds.config import load_config
from feeds.pipeline import generate
from feeds.websub import PENDING
from tests.helpers import BASE_URL, Project, free_port, parse_feed, w3c_validate


class Hub:
    """A WebSub hub for tests (the test's own stand-in, on loopback): it records every
    publish ping, and can be told to answer slowly or with an error."""

    def __init__(self) -> None:
        self.pings: list[dict[str, list[str]]] = []
        self.delay = 0.0
        self.status = 204
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(hub.delay)
                hub.pings.append(
                    {**parse_qs(body.decode()), "type": [self.headers["Content-Type"]]}
                )
                self.send_response(hub.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def urls(self) -> list[str]:
        return sorted(u for p in self.pings for u in p["hub.url"])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hub() -> Iterator[Hub]:
    hub = Hub()
    yield hub
    hub.stop()


def _project(project: Project, hubs: list[str]) -> Path:
    project.seed("a.md", title="AI story", topics=["AI"], webUrl="https://news.example/a")
    project.seed("r.md", title="Robot story", topics=["Robots"], webUrl="https://news.example/r")
    return project.configure(
        [{"slug": "ai", "title": "AI", "topics": ["AI"]},
         {"slug": "robots", "title": "Robots", "topics": ["Robots"]}],
        websub={"hubs": hubs},
    )  # fmt: skip


def test_every_feed_format_announces_the_hubs(project: Project, hub: Hub) -> None:
    config = load_config(_project(project, [hub.url, "https://hub.example/"]))
    generate(config)
    atom = parse_feed((project.output / "ai.atom").read_bytes())
    assert [ln.href for ln in atom.feed.links if ln.rel == "hub"] == [
        hub.url,
        "https://hub.example/",
    ]
    rss = (project.output / "ai.rss").read_text()
    assert f'<atom:link href="{hub.url}" rel="hub"/>' in rss
    doc = json.loads((project.output / "ai.json").read_text())
    assert doc["hubs"] == [
        {"type": "WebSub", "url": hub.url},
        {"type": "WebSub", "url": "https://hub.example/"},
    ]
    w3c_validate(sorted(project.output.glob("*.atom")) + sorted(project.output.glob("*.rss")))


def test_pings_go_for_changed_feed_files_only(project: Project, hub: Hub) -> None:
    config = load_config(_project(project, [hub.url]))
    report = generate(config)
    feed_files = [f"{s}.{f}" for s in ("ai", "robots") for f in ("atom", "json", "rss")]
    assert hub.urls() == sorted(BASE_URL + n for n in feed_files)
    assert all(p["hub.mode"] == ["publish"] for p in hub.pings)
    assert hub.pings[0]["type"] == ["application/x-www-form-urlencoded"]
    assert report.notes == ["websub: 6 of 6 pings sent"]
    hub.pings.clear()
    assert generate(config).notes == []  # nothing changed: no ping
    assert hub.pings == []
    project.seed("r.md", title="Robot story, edited", topics=["Robots"],
                 webUrl="https://news.example/r")  # fmt: skip
    generate(config)
    assert hub.urls() == [BASE_URL + f"robots.{f}" for f in ("atom", "json", "rss")]


def test_a_dead_hub_costs_under_a_second_and_is_retried_next_run(
    project: Project, hub: Hub
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    config = load_config(_project(project, [dead, hub.url]))
    started = time.monotonic()
    report = generate(config)
    assert time.monotonic() - started < 3  # the whole run; the pings' share is bounded by 1 s
    assert report.notes == ["websub: 6 of 12 pings sent; 6 failed, kept for the next run"]
    assert len(hub.urls()) == 6  # the live hub is not held up by the dead one
    pending = json.loads((project.root / ".feeds" / PENDING).read_text())
    assert {p["hub"] for p in pending} == {dead} and len(pending) == 6
    # The dead hub is still dead: the next run keeps trying, and says so.
    assert generate(config).notes == ["websub: 0 of 6 pings sent; 6 failed, kept for the next run"]


def test_pending_pings_are_sent_once_the_hub_answers(project: Project, hub: Hub) -> None:
    hub.status = 503
    config = load_config(_project(project, [hub.url]))
    assert "6 failed" in generate(config).notes[0]
    hub.status = 204
    hub.pings.clear()
    assert generate(config).notes == ["websub: 6 of 6 pings sent"]
    assert len(hub.urls()) == 6
    assert json.loads((project.root / ".feeds" / PENDING).read_text()) == []


def test_a_slow_hub_never_holds_a_run_up_more_than_a_second(project: Project, hub: Hub) -> None:
    hub.delay = 5.0
    config = load_config(_project(project, [hub.url]))
    generate(config, use_cache=False)  # warm: imports and the first render
    (project.output / "ai.atom").unlink()  # a file to write again, so a ping is due
    started = time.monotonic()
    generate(config)
    assert time.monotonic() - started < 1.5


@pytest.mark.slow
def test_a_daemon_tick_never_waits_for_a_hub(project: Project, hub: Hub) -> None:
    from feeds.daemon import Daemon

    config_path = _project(project, [hub.url])
    daemon = Daemon(config_path, load_config(config_path))
    daemon.tick()  # warm: the first pings go out
    daemon.pipeline.pinger.join(10)
    hub.pings.clear()
    hub.delay = 1.0  # each ping now takes a second to answer
    project.seed("a.md", title="AI story, edited", topics=["AI"], webUrl="https://news.example/a")
    started = time.monotonic()
    daemon.tick()
    assert time.monotonic() - started < 0.5
    daemon.pipeline.pinger.join(10)
    assert hub.urls() == [BASE_URL + f"ai.{f}" for f in ("atom", "json", "rss")]
