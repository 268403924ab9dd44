"""Publishing to object storage: a real S3-compatible server (moto's server mode on a loopback
port, started and stopped by a fixture), s3fs, and a local WebSub hub.

Needs the test extras (moto, s3fs, boto3); skipped with a reason where they are absent.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("s3fs", reason="s3fs is not installed (pip install -e '.[test]')")
boto3 = pytest.importorskip("boto3", reason="boto3 is not installed (pip install -e '.[test]')")
pytest.importorskip("moto", reason="moto is not installed (pip install -e '.[test]')")

from feeds.config import ConfigError, load_config  # noqa: E402
from feeds.errors import OutputBusy  # noqa: E402
from feeds.pipeline import generate, open_store, writer_lock  # noqa: E402
from feeds.remote import StoreError  # noqa: E402
from tests.helpers import BASE_URL, Project, free_port  # noqa: E402
from tests.test_websub import Hub  # noqa: E402

BUCKET = "feeds-test"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,  # never a developer's ~/.aws
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    """moto's S3 server on a free loopback port; its URL."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in AWS_ENV.items():
            mp.setenv(key, value)
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            mp.delenv(key, raising=False)
        port = free_port()
        exe = Path(sys.executable).with_name("moto_server")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "moto.server"]
        proc = subprocess.Popen(
            [*cmd, "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                        break
                except OSError:
                    assert proc.poll() is None, "moto_server exited"
                    assert time.monotonic() < deadline, "moto_server did not start"
                    time.sleep(0.05)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture
def s3(moto: str) -> Iterator[object]:
    """A boto3 client and a fresh bucket (the server is reset for every test)."""
    urllib.request.urlopen(urllib.request.Request(f"{moto}/moto-api/reset", method="POST"))
    client = boto3.client("s3", endpoint_url=moto)
    client.create_bucket(Bucket=BUCKET)
    yield client


def _objects(s3: object, prefix: str = "site/") -> dict[str, bytes]:
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])  # type: ignore[attr-defined]
    return {
        o["Key"][len(prefix) :]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()  # type: ignore[attr-defined]
        for o in listed
    }


def _project(project: Project, endpoint: str, feeds: list[dict] | None = None, **extra: object):
    project.seed("a.md", title="AI story", topics=["AI"], webUrl="https://news.example/a")
    project.seed("r.md", title="Robot story", topics=["Robots"], webUrl="https://news.example/r")
    project.configure(
        feeds or [{"slug": "ai", "title": "AI", "topics": ["AI"]},
                  {"slug": "robots", "title": "Robots", "topics": ["Robots"]}],
        output=f"s3://{BUCKET}/site/",
        output_options={"endpoint_url": endpoint},
        schedule={"interval": "5m"},
        **extra,
    )  # fmt: skip
    return load_config(project.config_path)


SITE = ["404.html", "feeds.opml", "index.html"]
FEED_FILES = [f"{s}.{f}" for s in ("ai", "robots") for f in ("atom", "html", "json", "rss")]


@pytest.mark.slow
def test_objects_have_their_content_type_and_cache_control(project: Project, s3: object) -> None:
    config = _project(project, s3.meta.endpoint_url)  # type: ignore[attr-defined]
    generate(config)
    objects = _objects(s3)
    assert sorted(objects) == sorted(FEED_FILES + SITE)
    types = {
        name: s3.head_object(Bucket=BUCKET, Key=f"site/{name}")  # type: ignore[attr-defined]
        for name in objects
    }
    assert types["ai.atom"]["ContentType"] == "application/atom+xml; charset=utf-8"
    assert types["ai.rss"]["ContentType"] == "application/rss+xml; charset=utf-8"
    assert types["ai.json"]["ContentType"] == "application/feed+json; charset=utf-8"
    assert types["index.html"]["ContentType"] == "text/html; charset=utf-8"
    assert types["feeds.opml"]["ContentType"] == "text/x-opml; charset=utf-8"
    assert {h["CacheControl"] for h in types.values()} == {"public, max-age=300"}
    assert b"AI story" in objects["ai.atom"]
    # Nothing but served files under the prefix; the lock object is released after the run.
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]  # type: ignore[attr-defined]
    assert all(k.startswith("site/") for k in keys)
    assert not (project.output.exists() if project.output else False)


@pytest.mark.slow
def test_max_age_overrides_the_schedule(project: Project, s3: object) -> None:
    config = _project(project, s3.meta.endpoint_url, max_age="1h")  # type: ignore[attr-defined]
    generate(config)
    head = s3.head_object(Bucket=BUCKET, Key="site/ai.atom")  # type: ignore[attr-defined]
    assert head["CacheControl"] == "public, max-age=3600"


@pytest.mark.slow
def test_a_second_run_writes_nothing_and_pings_nothing(project: Project, s3: object) -> None:
    hub = Hub()
    try:
        config = _project(project, s3.meta.endpoint_url, websub={"hubs": [hub.url]})  # type: ignore[attr-defined]
        generate(config)
        assert len(hub.pings) == 6
        etags = {
            o["Key"]: o["ETag"]
            for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="site/")["Contents"]  # type: ignore[attr-defined]
        }
        hub.pings.clear()
        report = generate(config)
        assert report.written is not None and report.written.written == []
        assert hub.pings == []
        after = {
            o["Key"]: o["ETag"]
            for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="site/")["Contents"]  # type: ignore[attr-defined]
        }
        assert after == etags
        # One changed seed rewrites, and pings for, only its own feed's files.
        project.seed("r.md", title="Robot story, edited", topics=["Robots"],
                     webUrl="https://news.example/r")  # fmt: skip
        report = generate(config)
        assert report.written.written == [f"robots.{f}" for f in ("atom", "html", "json", "rss")]
        assert hub.urls() == [BASE_URL + f"robots.{f}" for f in ("atom", "json", "rss")]
    finally:
        hub.stop()


@pytest.mark.slow
def test_a_removed_feed_loses_its_objects_and_nothing_else(project: Project, s3: object) -> None:
    endpoint = s3.meta.endpoint_url  # type: ignore[attr-defined]
    config = _project(project, endpoint)
    generate(config)
    s3.put_object(Bucket=BUCKET, Key="site/notes.txt", Body=b"mine")  # type: ignore[attr-defined]
    s3.put_object(Bucket=BUCKET, Key="site/other.atom", Body=b"also mine")  # type: ignore[attr-defined]
    config = _project(project, endpoint, [{"slug": "ai", "title": "AI", "topics": ["AI"]}])
    report = generate(config)
    assert report.written is not None
    assert report.written.removed == [f"robots.{f}" for f in ("atom", "html", "json", "rss")]
    objects = _objects(s3)
    assert objects["notes.txt"] == b"mine" and objects["other.atom"] == b"also mine"
    assert not any(name.startswith("robots.") for name in objects)


class CuttingProxy:
    """A TCP proxy to the S3 server that, once told to, cuts the connection carrying the
    n-th PUT from then on and refuses every later one: the server "stops" mid-run."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.puts_left: int | None = None  # None: pass everything through
        self.cut = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if self.cut.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.upstream)
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, requests: bool) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                if requests and self.puts_left is not None and b"PUT /" in data:
                    self.puts_left -= data.count(b"PUT /")
                    if self.puts_left < 0:
                        self.cut.set()
                if self.cut.is_set():
                    break
                dst.sendall(data)
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self.server.close()


@pytest.mark.slow
def test_a_failed_upload_keeps_old_objects_and_the_next_run_completes(
    project: Project, s3: object
) -> None:
    port = int(s3.meta.endpoint_url.rsplit(":", 1)[1])  # type: ignore[attr-defined]
    proxy = CuttingProxy(port)
    try:
        config = _project(project, proxy.url)
        generate(config)
        old = _objects(s3)
        for name in ("a.md", "r.md"):  # every feed changes
            project.seed(name, title=f"Changed {name}", topics=["AI", "Robots"],
                         webUrl=f"https://news.example/{name}")  # fmt: skip
        proxy.puts_left = 2 + 4  # the lock object (create, probe), then four objects
        with pytest.raises(StoreError, match="the objects already published stay"):
            generate(config)
        mid = _objects(s3)
        assert sorted(mid) == sorted(old)
        fresh = {n for n, data in mid.items() if data != old[n]}
        assert 0 < len(fresh) < len(FEED_FILES)  # it stopped mid-run
        for name, data in mid.items():  # each object whole: the old bytes or the new
            assert data == old[name] or name in fresh
        proxy.puts_left, _ = None, proxy.cut.clear()
        report = generate(config)  # the next run completes the set
        assert report.written is not None and set(report.written.written) >= (
            set(FEED_FILES) - fresh
        )
        final = _objects(s3)
        assert all(b"Changed" in final[f"{s}.atom"] for s in ("ai", "robots"))
    finally:
        proxy.close()


@pytest.mark.slow
def test_one_writer_per_prefix_across_state_folders(
    project: Project, s3: object, tmp_path: Path
) -> None:
    config = _project(project, s3.meta.endpoint_url)  # type: ignore[attr-defined]
    store = open_store(config)
    with writer_lock(config, store):
        assert store.conditional_writes is True  # moto honours If-None-Match: *
        (tmp_path / "other").mkdir()
        other = Project(tmp_path / "other")
        other_config = _project(other, s3.meta.endpoint_url)  # type: ignore[attr-defined]
        with pytest.raises(OutputBusy, match="is in use by another feeds process"):
            generate(other_config)
    generate(other_config)  # free once released


def test_credentials_in_the_config_are_refused(project: Project) -> None:
    project.configure(
        [{"slug": "ai", "title": "AI"}],
        output="s3://bucket/site/",
        output_options={"client_kwargs": {"aws_secret_access_key": "x"}},
    )
    with pytest.raises(ConfigError, match=r"client_kwargs\.aws_secret_access_key: credentials"):
        load_config(project.config_path)
    project.configure([{"slug": "ai", "title": "AI"}], output_options={"anon": True})
    with pytest.raises(ConfigError, match="output_options: storage options are for"):
        load_config(project.config_path)


@pytest.mark.slow
def test_private_feeds_never_reach_the_bucket(project: Project, s3: object) -> None:
    config = _project(
        project,
        s3.meta.endpoint_url,  # type: ignore[attr-defined]
        [{"slug": "ai", "title": "AI", "topics": ["AI"]},
         {"slug": "robots", "title": "Robots", "topics": ["Robots"], "private": True}],
    )  # fmt: skip
    generate(config)
    assert not [name for name in _objects(s3) if name.startswith("robots.")]
    assert b"Robots" not in _objects(s3)["index.html"]
    assert (config.private_output / "robots.atom").exists()
