"""`feeds run` as a real subprocess (1 s interval) on temporary folders, and the tick logic
in-process against fresh `feeds generate` runs."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import feedparser
import pytest
import yaml

from feeds.config import load_config
from feeds.daemon import Daemon, OneLineFormatter
from feeds.pipeline import generate
from tests.helpers import Project, feed_titles, snapshot, titles

NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
FEEDS = [
    {"slug": "ai", "title": "AI", "topics": ["AI"]},
    {"slug": "robots", "title": "Robots", "topics": ["Robots"]},
]


class DaemonProcess:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.log = project.root / "daemon.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> DaemonProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "feeds.cli", "run", "--config", str(self.project.config_path)],
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("w"),
        )
        return self

    def text(self) -> str:
        return self.log.read_text()

    def ticks(self) -> int:
        """Finished ticks, good or failed."""
        text = self.text()
        return text.count(" tick: ") + text.count(" tick failed")

    def wait_ticks(self, n: int = 2, timeout: float = 15) -> None:
        """Wait until ``n`` more ticks have finished (so the daemon has seen what we did)."""
        target = self.ticks() + n
        wait_for(lambda: self.ticks() >= target, timeout, self)

    def stop(self) -> tuple[int, float]:
        assert self.proc is not None
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=10)
        return code, time.monotonic() - t0


def wait_for(
    cond: Callable[[], bool], timeout: float = 15, daemon: DaemonProcess | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out" + (f"; daemon log:\n{daemon.text()}" if daemon else ""))


@pytest.fixture
def running(project: Project) -> Iterator[DaemonProcess]:
    project.configure(FEEDS, schedule={"interval": "1s"})
    daemon = DaemonProcess(project)
    yield daemon
    if daemon.proc and daemon.proc.poll() is None:
        daemon.proc.kill()
        daemon.proc.wait()


@pytest.mark.slow
def test_daemon_follows_adds_edits_and_deletes(project: Project, running: DaemonProcess) -> None:
    project.seed(
        "r.md", title="Robot story", topics=["Robots"], heat=1, webUrl="https://news.example/r"
    )
    running.start()
    out = project.output
    wait_for(lambda: feed_titles(out, "robots") == ["Robot story"], daemon=running)
    robots = {n: v for n, v in snapshot(out).items() if n.startswith("robots.")}

    project.seed("a.md", title="AI story", topics=["AI"], webUrl="https://news.example/a")
    wait_for(lambda: feed_titles(out, "ai") == ["AI story"], daemon=running)
    project.seed("a.md", title="AI story, edited", topics=["AI"], webUrl="https://news.example/a")
    wait_for(lambda: feed_titles(out, "ai") == ["AI story, edited"], daemon=running)
    (project.seeds / "a.md").unlink()
    wait_for(lambda: feed_titles(out, "ai") == [], daemon=running)
    # An edit no reader sees (heat) is parsed, and changes nothing on disk.
    project.seed(
        "r.md", title="Robot story", topics=["Robots"], heat=99, webUrl="https://news.example/r"
    )
    running.wait_ticks(2)
    assert " 1 changed, 1 parsed" in running.text()
    assert {n: v for n, v in snapshot(out).items() if n.startswith("robots.")} == robots
    code, took = running.stop()
    assert code == 0 and took < 2, (code, took)
    assert "stopped" in running.text()


@pytest.mark.slow
def test_sighup_reloads_config_and_survives_a_broken_one(
    project: Project, running: DaemonProcess
) -> None:
    project.seed("r.md", title="Robot story", topics=["Robots"], webUrl="https://news.example/r")
    running.start()
    out = project.output
    wait_for(lambda: feed_titles(out, "robots") == ["Robot story"], daemon=running)
    project.config_path.write_text("site: [this is not\n")
    running.proc.send_signal(signal.SIGHUP)
    wait_for(
        lambda: "config reload failed, keeping the running config" in running.text(), daemon=running
    )
    running.wait_ticks(1)
    assert running.proc.poll() is None
    project.configure(
        [FEEDS[1], {"slug": "everything", "title": "All"}], schedule={"interval": "1s"}
    )
    running.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: feed_titles(out, "everything") == ["Robot story"], daemon=running)
    wait_for(
        lambda: not (out / "ai.atom").exists() and not (out / "ai.rss").exists(), daemon=running
    )
    assert (out / "robots.atom").exists()
    assert running.stop()[0] == 0


@pytest.mark.slow
def test_second_daemon_and_generate_are_refused(project: Project, running: DaemonProcess) -> None:
    running.start()
    wait_for(lambda: running.ticks() >= 1, daemon=running)
    second = subprocess.run(
        [sys.executable, "-m", "feeds.cli", "run", "--config", str(project.config_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert second.returncode == 3
    assert f"in use by another feeds process (pid {running.proc.pid})" in second.stderr
    gen = subprocess.run(
        [sys.executable, "-m", "feeds.cli", "generate", "--config", str(project.config_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert gen.returncode == 3
    assert running.stop()[0] == 0


def _freeze(folder: Path, frozen: bool) -> None:
    """Make a folder unwritable, for root too (chattr +i), or writable again."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("running as root and chattr is missing: cannot make a folder read-only")
        proc = subprocess.run(
            ["chattr", "+i" if frozen else "-i", str(folder)], capture_output=True, text=True
        )
        if proc.returncode:
            pytest.skip(f"chattr is not supported here: {proc.stderr.strip()}")
    else:
        folder.chmod(0o555 if frozen else 0o755)


@pytest.mark.slow
def test_read_only_output_for_a_tick_then_recovery(
    project: Project, running: DaemonProcess
) -> None:
    project.seed("r.md", title="Robot story", topics=["Robots"], webUrl="https://news.example/r")
    running.start()
    out = project.output
    wait_for(lambda: feed_titles(out, "robots") == ["Robot story"], daemon=running)
    _freeze(out, True)
    try:
        project.seed(
            "r2.md",
            title="Second robot story",
            topics=["Robots"],
            publishedDateTime="2024-02-01T00:00:00Z",
            webUrl="https://news.example/r2",
        )
        wait_for(lambda: "tick failed, feeds left as they were" in running.text(), daemon=running)
        running.wait_ticks(1)
        assert feed_titles(out, "robots") == ["Robot story"]  # the old feed, whole
    finally:
        _freeze(out, False)
    wait_for(
        lambda: feed_titles(out, "robots") == ["Second robot story", "Robot story"], daemon=running
    )
    running.wait_ticks(1)  # the recovering tick has finished (its manifest is written too)
    assert not [p for p in out.iterdir() if p.name.endswith(".feeds-tmp")]
    assert running.proc.poll() is None
    assert running.stop()[0] == 0


@pytest.mark.slow
def test_missing_seeds_folder_is_a_failed_tick_not_an_empty_feed(
    project: Project, running: DaemonProcess
) -> None:
    project.seed("r.md", title="Robot story", topics=["Robots"], webUrl="https://news.example/r")
    running.start()
    out = project.output
    wait_for(lambda: feed_titles(out, "robots") == ["Robot story"], daemon=running)
    project.seeds.rename(project.root / "elsewhere")
    wait_for(
        lambda: "seeds folder" in running.text() and "is missing" in running.text(), daemon=running
    )
    assert feed_titles(out, "robots") == ["Robot story"]
    (project.root / "elsewhere").rename(project.seeds)
    running.wait_ticks(2)
    assert feed_titles(out, "robots") == ["Robot story"]
    assert running.stop()[0] == 0


def test_ticks_match_fresh_generate_over_a_scripted_sequence(tmp_path: Path) -> None:
    """After every step, a daemon tick and a fresh `feeds generate` give the same bytes."""
    project = Project(tmp_path)
    project.configure([*FEEDS, {"slug": "all", "title": "All", "max_items": 3}])
    fresh_config = tmp_path / "fresh.yaml"
    data = yaml.safe_load(project.config_path.read_text())
    fresh_config.write_text(yaml.safe_dump({**data, "output": "fresh"}))
    daemon = Daemon(project.config_path, load_config(project.config_path))

    def seed(name: str, n: int, **kw: object) -> None:
        project.seed(
            name,
            title=f"Story {n}",
            webUrl=f"https://news.example/{n}",
            publishedDateTime=f"2024-01-{n:02d}T00:00:00Z",
            **kw,
        )

    steps: list[Callable[[], None]] = [
        lambda: seed("a.md", 1, topics=["AI"]),
        lambda: seed("b.md", 2, topics=["Robots", "AI"]),
        lambda: seed("sub/c.md", 3, topics=["Robots"], quality=10),
        lambda: seed("a.md", 1, topics=["AI"], excerpt="edited"),
        lambda: (project.seeds / "b.md").rename(project.seeds / "b2.md"),
        lambda: seed("d.md", 4, topics=["AI"], heat=5),
        lambda: seed("d.md", 4, topics=["AI"], heat=6),  # invisible edit
        lambda: (project.seeds / "sub/c.md").unlink(),
        lambda: project.write_raw("broken.md", "---\ntitle: [\n---\n"),
        lambda: seed("e.md", 5, topics=["Robots"], originalUrl="https://news.example/1"),
        lambda: seed("f.md", 6, topics=["ROBOTS!"]),  # another spelling of one topic
        lambda: seed("f.md", 6, topics=["robots"], excerpt="edited"),
        lambda: (project.seeds / "a.md").unlink(),
    ]
    for i, step in enumerate(steps):
        step()
        daemon.tick(NOW)
        generate(load_config(fresh_config), now=NOW)
        assert project.feed_files() == {
            p.name: p.read_bytes()
            for p in sorted((tmp_path / "fresh").glob("*"))
            if p.suffix in (".atom", ".rss")
        }, f"step {i}"


def test_unchanged_tick_touches_nothing(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.configure(FEEDS)
    project.seed("a.md", title="A", topics=["AI"], webUrl="https://news.example/a")
    daemon = Daemon(project.config_path, load_config(project.config_path))
    first = daemon.tick(NOW)
    assert (first.parsed, first.rerendered, first.files_written) == (1, 2, 2 * 4 + 3)
    before = snapshot(project.output)
    again = daemon.tick(NOW)
    assert (again.changed, again.parsed, again.rerendered, again.files_written) == (0, 0, 0, 0)
    assert snapshot(project.output) == before
    # A future-dated item is released by a later tick without any file changing.
    project.seed(
        "f.md",
        title="Future",
        topics=["AI"],
        webUrl="https://news.example/f",
        publishedDateTime="2025-06-01T00:00:00Z",
    )
    daemon.tick(NOW)
    assert titles(project.output / "ai.atom") == ["A"]
    assert daemon.tick(NOW).rerendered == 0
    assert daemon.tick(dt.datetime(2025, 6, 1, tzinfo=dt.UTC)).rerendered == 1
    assert titles(project.output / "ai.atom") == ["Future", "A"]


@pytest.mark.slow
def test_run_with_serve_runs_the_daemon_and_the_server_in_one_process(
    project: Project,
) -> None:
    import httpx

    project.seed("r.md", title="Robot story", topics=["Robots"], webUrl="https://news.example/r")
    project.configure(FEEDS, schedule={"interval": "1s"})
    log = project.root / "daemon.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "feeds.cli", "run", "--config", str(project.config_path),
         "--serve", "127.0.0.1:0"],
        stdout=subprocess.DEVNULL, stderr=log.open("w"),
    )  # fmt: skip
    try:
        wait_for(lambda: "serving " in log.read_text())
        url = re.search(r"serving .+ at (http://127\.0\.0\.1:\d+/)", log.read_text()).group(1)

        def served_titles() -> list[str]:
            response = httpx.get(url + "robots.atom", timeout=5)
            return [e.title for e in feedparser.parse(response.content).entries]

        wait_for(lambda: served_titles() == ["Robot story"])
        assert httpx.get(url, timeout=5).headers["content-type"] == "text/html; charset=utf-8"
        project.seed(
            "r2.md", title="New robot story", topics=["Robots"],
            publishedDateTime="2024-02-01T00:00:00Z", webUrl="https://news.example/r2",
        )  # fmt: skip
        wait_for(lambda: served_titles() == ["New robot story", "Robot story"])
        assert "GET /robots.atom HTTP/1.1" in log.read_text()  # the access log
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=15)
    assert code == 0, log.read_text()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


def test_topic_notices_are_logged_once_while_they_hold(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    project = Project(tmp_path)
    project.configure([], auto_topics=True)
    project.seed("g.md", title="G", topics=["Ελληνικά"], webUrl="https://news.example/g")
    daemon = Daemon(project.config_path, load_config(project.config_path))
    with caplog.at_level("WARNING", logger="feeds"):
        daemon.tick(NOW)
        project.seed("h.md", title="H", topics=["Ελληνικά"], webUrl="https://news.example/h")
        daemon.tick(NOW)  # rebuilt, the same notice: not logged again
        project.seed("c.md", title="C", topics=["Café"], webUrl="https://news.example/c")
        project.seed("d.md", title="D", topics=["Cafe"], webUrl="https://news.example/d")
        daemon.tick(NOW)
    notices = [r.getMessage() for r in caplog.records if r.getMessage().startswith("warning:")]
    assert len(notices) == 2
    assert notices[0] == "warning: topic 'Ελληνικά': feed slug 'ellinika' is transliterated"
    assert notices[1].startswith("warning: topic 'Café' would have the slug 'cafe'")


def test_log_lines_escape_what_they_quote() -> None:
    """A problem, an exception or a path in a log message cannot start a fake log line; a
    traceback, when one is logged, still follows on its own lines."""
    formatter = OneLineFormatter("%(levelname)s %(message)s")
    record = logging.LogRecord(
        "feeds", logging.ERROR, __file__, 1, "tick failed: %s", ("a\nINFO forged\u202e",), None
    )
    assert formatter.format(record) == "ERROR tick failed: a\\nINFO forged\\u202e"
    try:
        raise OSError("disk full")
    except OSError:
        record.exc_info = sys.exc_info()
    lines = formatter.format(record).splitlines()
    assert lines[0] == "ERROR tick failed: a\\nINFO forged\\u202e"
    assert lines[1] == "Traceback (most recent call last):"


def test_an_empty_seeds_folder_is_logged_once_while_it_holds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    project = Project(tmp_path)
    project.configure(FEEDS)
    daemon = Daemon(project.config_path, load_config(project.config_path))
    with caplog.at_level("WARNING", logger="feeds"):
        daemon.tick(NOW)
        daemon.tick(NOW)  # still empty: said already
        project.seed("a.md", title="A", topics=["AI"], webUrl="https://news.example/a")
        daemon.tick(NOW)
        (project.seeds / "a.md").unlink()
        daemon.tick(NOW)  # empty again: news again
    warnings = [r.getMessage() for r in caplog.records if "0 seeds found" in r.getMessage()]
    assert (
        warnings
        == [
            f"warning: 0 seeds found in {project.seeds} (seed files end in "
            ".md, .txt, .yaml, .yml); every feed is empty"
        ]
        * 2
    )


def test_reloads_move_the_lock_and_the_output_with_the_config(project: Project) -> None:
    """A -> B -> A: every tick writes where the config it runs says, under that place's lock."""
    from feeds.errors import OutputBusy
    from feeds.lock import WriterLock
    from feeds.pipeline import writer_lock

    project.seed("a.md", title="A", topics=["AI"], webUrl="https://news.example/a")
    project.configure(FEEDS)
    a = load_config(project.config_path)
    project.configure(FEEDS, output="output2")
    b = load_config(project.config_path)
    daemon = Daemon(project.config_path, a)
    daemon.lock = writer_lock(a, daemon.pipeline.store).acquire()
    try:
        for config, out in ((a, "output"), (b, "output2"), (a, "output")):
            if config is not daemon.config:
                daemon._pending = config  # what a SIGHUP stages
            daemon.tick(NOW)
            assert daemon.config is config
            assert feed_titles(project.root / out, "ai") == ["A"]
            # The lock covers the output this tick wrote, and only that one.
            with pytest.raises(OutputBusy):
                WriterLock(project.root / "other-state", project.root / out).acquire()
            other = "output2" if out == "output" else "output"
            WriterLock(project.root / "other-state", project.root / other).acquire().release()
    finally:
        daemon.lock.release()


def test_a_file_read_again_unchanged_rebuilds_nothing(tmp_path: Path) -> None:
    """A touch, or a racily clean seed read again, says what it said: the tick reads it and
    renders nothing (the record held is kept)."""
    project = Project(tmp_path)
    project.configure(FEEDS)
    path = project.seed("a.md", title="A", topics=["AI"], webUrl="https://news.example/a")
    daemon = Daemon(project.config_path, load_config(project.config_path))
    daemon.tick(NOW)
    before = snapshot(project.output)
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))
    report = daemon.tick(NOW)
    assert (report.parsed, report.rerendered, report.files_written) == (1, 0, 0)
    assert snapshot(project.output) == before


def test_ticks_name_automatic_topics_as_a_fresh_generate_does(tmp_path: Path) -> None:
    """The daemon's kept topic counts follow the defaults' filters and the clock: a topic only
    an unpublished or an embargoed item carries appears when, and only when, generate's does."""
    project = Project(tmp_path)
    project.configure([], auto_topics=True, defaults={"min_quality": 10, "status": "published"})
    fresh_config = tmp_path / "fresh.yaml"
    data = yaml.safe_load(project.config_path.read_text())
    fresh_config.write_text(yaml.safe_dump({**data, "output": "fresh"}))
    project.seed("a.md", title="A", topics=["AI"], webUrl="https://news.example/a", quality=50)
    project.seed(
        "s.md", title="S", topics=["Secret"], webUrl="https://news.example/s", published=False
    )
    project.seed(
        "e.md",
        title="E",
        topics=["Embargoed", "AI"],
        webUrl="https://news.example/e",
        publishedDateTime="2025-03-01T00:00:00Z",
    )
    daemon = Daemon(project.config_path, load_config(project.config_path))
    later = dt.datetime(2025, 3, 2, tzinfo=dt.UTC)
    for when, slugs in ((NOW, ["ai"]), (later, ["ai", "embargoed"])):
        daemon.tick(when)
        generate(load_config(fresh_config), now=when)
        assert sorted(p.stem for p in project.output.glob("*.atom")) == slugs
        assert project.feed_files() == {
            p.name: p.read_bytes()
            for p in sorted((tmp_path / "fresh").glob("*"))
            if p.suffix in (".atom", ".rss")
        }
    project.seed("s.md", title="S", topics=["Secret"], webUrl="https://news.example/s")
    daemon.tick(later)
    assert sorted(p.stem for p in project.output.glob("*.atom")) == ["ai", "embargoed", "secret"]
