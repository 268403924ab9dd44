"""``feeds serve`` as a user runs it: a real subprocess on 127.0.0.1, spoken to over HTTP.

One server serves the whole module; only the tests that stop a server start their own.
httpx normalises paths on the client, so hostile targets are sent verbatim (the "target"
extension) and once over a raw socket.
"""

from __future__ import annotations

import gzip
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import httpx
import pytest

from feeds.config import load_config
from feeds.pipeline import generate
from tests.helpers import TOKEN, Project, Served

OUTSIDE = b"OUTSIDE-THE-FOLDER-7d1e"
TYPES = {
    "ai.atom": "application/atom+xml; charset=utf-8",
    "ai.rss": "application/rss+xml; charset=utf-8",
    "ai.json": "application/feed+json; charset=utf-8",
    "index.html": "text/html; charset=utf-8",
    "feeds.opml": "text/x-opml; charset=utf-8",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A project whose output holds real feeds and the other kinds of file a site has."""
    project = Project(tmp_path_factory.mktemp("site"))
    for i in range(4):
        project.seed(
            f"s{i}.md",
            title=f"Story {i}",
            excerpt="A long enough excerpt for gzip to be worth it. " * 8,
            webUrl=f"https://news.example/{i}",
            topics=["AI"],
            quality=80,
        )
    project.configure(
        [{"slug": "ai", "title": "AI", "topics": ["AI"]}],
        schedule={"interval": "10m"},
        private_output="private",
    )
    generate(load_config(project.config_path))
    out = project.output
    (out / "index.html").write_text("<!doctype html><title>Feeds</title><p>ai.atom</p>\n")
    (out / "404.html").write_text("<!doctype html><title>Not here</title>\n")
    (out / "ai.json").write_text('{"version": "https://jsonfeed.org/version/1.1", "items": []}')
    (out / "feeds.opml").write_text('<?xml version="1.0"?><opml version="2.0"/>\n')
    (project.root / "outside.txt").write_bytes(OUTSIDE)
    (out / ".hidden").write_bytes(OUTSIDE)
    (project.root / "private").mkdir()
    (project.root / "private" / "review.atom").write_bytes(b"<feed>private</feed>\n")
    return project


@pytest.fixture(scope="module")
def server(site: Project) -> Iterator[Served]:
    served = Served(site.config_path)
    try:
        assert Path(served.folder) == site.output  # the start line names it
        yield served
    finally:
        served.stop()


@pytest.fixture(scope="module")
def client(server: Served) -> Iterator[httpx.Client]:
    # httpx asks for gzip and decodes it by default: ask for identity unless a test asks
    with httpx.Client(
        base_url=server.base, headers={"accept-encoding": "identity"}, timeout=5
    ) as c:
        yield c


def raw_request(port: int, target: bytes, method: bytes = b"GET") -> bytes:
    """The whole answer to one request sent exactly as given."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(method + b" " + target + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(("name", "ctype"), [*TYPES.items(), ("", TYPES["index.html"])])
def test_content_types_have_a_charset(
    client: httpx.Client, site: Project, name: str, ctype: str
) -> None:
    r = client.get("/" + name)  # "/" is index.html
    assert r.status_code == 200
    assert r.headers["content-type"] == ctype
    assert r.content == (site.output / (name or "index.html")).read_bytes()


def test_304_by_etag_and_by_date(client: httpx.Client) -> None:
    r = client.get("/ai.atom")
    etag, modified = r.headers["etag"], r.headers["last-modified"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag) and modified.endswith(" GMT")
    for headers in ({"if-none-match": etag}, {"if-modified-since": modified}):
        again = client.get("/ai.atom", headers=headers)
        assert again.status_code == 304 and again.content == b"", headers
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"] == "public, max-age=600"
    assert client.get("/ai.atom", headers={"if-none-match": '"other"'}).status_code == 200
    earlier = formatdate(0, usegmt=True)
    assert client.get("/ai.atom", headers={"if-modified-since": earlier}).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110)
    both = {"if-none-match": '"other"', "if-modified-since": modified}
    assert client.get("/ai.atom", headers=both).status_code == 200


def test_gzip_round_trip(client: httpx.Client, site: Project) -> None:
    plain = client.get("/ai.atom")
    with client.stream("GET", "/ai.atom", headers={"accept-encoding": "gzip"}) as r:
        raw = b"".join(r.iter_raw())
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "Accept-Encoding"
    assert int(r.headers["content-length"]) == len(raw) < len(plain.content)
    assert gzip.decompress(raw) == (site.output / "ai.atom").read_bytes()
    assert r.headers["etag"] == plain.headers["etag"][:-1] + '-gz"'  # its own ETag
    refused = client.get("/ai.atom", headers={"accept-encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


def test_head_has_the_headers_and_no_body(server: Served, client: httpx.Client) -> None:
    for coding in ("identity", "gzip"):
        get = client.get("/ai.atom", headers={"accept-encoding": coding})
        head = client.head("/ai.atom", headers={"accept-encoding": coding})
        assert head.status_code == 200 and head.content == b""
        for name in ("content-type", "content-length", "etag", "last-modified", "cache-control"):
            assert head.headers[name] == get.headers[name], (coding, name)
    answer = raw_request(server.port, b"/ai.atom", b"HEAD")
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"\r\n\r\n")  # no body


HOSTILE = [
    b"/.feeds.lock",
    b"/%2efeeds.lock",
    b"/.feeds-manifest.json",
    b"/.hidden",
    b"/sub/../.hidden",
    b"/../outside.txt",
    b"/%2e%2e/outside.txt",
    b"/..%2foutside.txt",
    b"//etc/passwd",
    b"/%252e%252e/outside.txt",
    b"/..\\outside.txt",
    b"/..%5coutside.txt",
    b"/ai.atom%00",
    b"/%00/../outside.txt",
    b"/private/" + TOKEN.encode() + b"/../../outside.txt",
    b"/private/" + TOKEN.encode() + b"/%2e%2e/%2e%2e/outside.txt",
]


@pytest.mark.parametrize("target", HOSTILE, ids=lambda t: t.decode("latin-1"))
def test_dotfiles_and_traversal_refused(client: httpx.Client, site: Project, target: bytes) -> None:
    r = client.get("/", extensions={"target": target})  # sent verbatim
    assert r.status_code == 404
    assert r.content == (site.output / "404.html").read_bytes()


def test_traversal_refused_over_a_raw_socket(server: Served) -> None:
    for target in (b"/../outside.txt", b"/%2e%2e/outside.txt", b"/../../../../etc/passwd"):
        answer = raw_request(server.port, target)
        assert answer.startswith(b"HTTP/1.1 404 "), target
        assert OUTSIDE not in answer and b"root:" not in answer


def test_fresh_bytes_after_a_regeneration(client: httpx.Client, site: Project) -> None:
    old = client.get("/ai.atom")
    site.seed("s0.md", title="Story 0, updated", webUrl="https://news.example/0", topics=["AI"])
    generate(load_config(site.config_path))
    new = client.get("/ai.atom", headers={"if-none-match": old.headers["etag"]})
    assert new.status_code == 200
    assert new.content == (site.output / "ai.atom").read_bytes() != old.content
    assert b"Story 0, updated" in new.content
    assert new.headers["etag"] != old.headers["etag"]


def test_cache_control_is_the_schedule(client: httpx.Client) -> None:
    assert client.get("/ai.rss").headers["cache-control"] == "public, max-age=600"  # 10m
    assert client.get("/missing.rss").headers["cache-control"] == "no-cache"


def test_one_access_log_line_per_request(server: Served, client: httpx.Client) -> None:
    agent = f"probe-{time.monotonic_ns()}"
    client.get("/ai.atom", headers={"user-agent": agent})
    client.head("/missing.atom", headers={"user-agent": agent})
    client.get(f"/private/{TOKEN}/review.atom", headers={"user-agent": agent})
    lines = server.log_lines(agent, 3)
    assert len(lines) == 3, lines
    assert re.search(r'"GET /ai\.atom HTTP/1\.1" 200 \d+ "-" "' + agent + r'" [\d.]+ms$', lines[0])
    assert '"HEAD /missing.atom HTTP/1.1" 404 0 ' in lines[1]
    assert '"GET /private/-/review.atom HTTP/1.1" 200 ' in lines[2]
    assert not any(TOKEN in ln for ln in server.err)


def test_private_area(client: httpx.Client, site: Project) -> None:
    ok = client.get(f"/private/{TOKEN}/review.atom")
    assert ok.status_code == 200
    assert ok.content == (site.root / "private" / "review.atom").read_bytes()
    assert ok.headers["cache-control"] == "private, max-age=600"
    missing = client.get("/no-such-file.atom")
    assert missing.status_code == 404
    assert missing.content == (site.output / "404.html").read_bytes()
    for path in (
        "/private/wrong-token-0123456789abc/review.atom",
        f"/private/{TOKEN[:-1]}/review.atom",
        "/private/review.atom",
        "/private//review.atom",
        "/private/%C3%A9/review.atom",
        f"/private/{TOKEN}/no-such-file.atom",
    ):
        r = client.get(path)
        assert (r.status_code, r.content) == (404, missing.content), path
        assert r.headers.items() - {("date", r.headers["date"])} == missing.headers.items() - {
            ("date", missing.headers["date"])
        }, path
    assert client.get("/review.atom").status_code == 404  # not in the public folder


def test_port_in_use_is_one_line_and_exit_4(server: Served, site: Project) -> None:
    serve = [sys.executable, "-m", "feeds.cli", "serve", "--config", str(site.config_path)]
    proc = subprocess.run(
        [*serve, "--port", str(server.port)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 4
    assert proc.stderr == (
        f"feeds: cannot listen on 127.0.0.1:{server.port}: address already in use; "
        "choose another --port\n"
    )
    assert proc.stdout == ""


def test_sigterm_exits_0_within_seconds(tmp_path: Path, site: Project) -> None:
    """Also: serve needs only the output folder, so a missing seeds folder does not stop it."""
    config = tmp_path / "config.yaml"
    config.write_text(
        site.config_path.read_text(encoding="utf-8")
        .replace("seeds: seeds", f"seeds: {tmp_path / 'no-seeds'}")
        .replace("output: output", f"output: {site.output}"),
        encoding="utf-8",
    )
    served = Served(config)
    try:
        with httpx.Client(base_url=served.base, timeout=5) as keep_alive:  # an idle connection
            assert keep_alive.get("/ai.atom").status_code == 200
            started = time.monotonic()
            assert served.stop() == 0
            assert time.monotonic() - started < 5
    finally:
        served.stop()  # a no-op once it has exited


def test_server_thread_starts_and_stops(site: Project) -> None:
    """The in-process API ``feeds run`` embeds."""
    from feeds.serve import ServerThread, make_app

    thread = ServerThread(make_app(site.output, 60), "127.0.0.1", 0)
    with thread:
        r = httpx.get(thread.url + "ai.atom", timeout=5)
        assert r.status_code == 200 and r.headers["cache-control"] == "public, max-age=60"
    with pytest.raises(httpx.ConnectError):
        httpx.get(thread.url, timeout=5)
    thread.stop()  # twice is fine
