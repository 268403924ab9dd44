"""Helpers shared by the tests: temporary projects, seed writers, item factories, feed
parsing, the W3C validator, and the danger pattern every safety test checks for."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
import yaml

from feeds.items import Item, Provider
from feeds.store import TMP_SUFFIX

REPO = Path(__file__).resolve().parents[1]
# A pristine copy of the shipped seeds and config.yaml: users add seeds to seeds/ and edit
# config.yaml (the README invites it), and the tests must not change with them.
SHIPPED = REPO / "tests" / "data" / "shipped"
SHIPPED_SEEDS = SHIPPED / "seeds"
TOOLS = Path(os.environ.get("FEEDS_TOOLS", REPO.parent / "shared/tools"))
VALIDATOR = Path(os.environ.get("FEEDS_W3C_VALIDATE", TOOLS / "w3c-validate"))
BASE_URL = "https://example.org/feeds/"

SITE = {
    "title": "Test site",
    "url": BASE_URL,
    "author": {"name": "Editors", "email": "editors@example.org"},
    "language": "en",
}


def seed_text(**fields: object) -> str:
    """A seed document with ``fields`` as front matter (YAML dumped, never hand-written)."""
    record = {
        "title": "A title",
        "excerpt": "An excerpt.",
        "publishedDateTime": "2024-01-01T10:00:00Z",
        **fields,
    }
    record = {k: v for k, v in record.items() if v is not None}
    return "---\n" + yaml.safe_dump(record, sort_keys=False, allow_unicode=True) + "---\n"


def settle(path: Path) -> Path:
    """Date a file's mtime 10 s back, as if written a while ago: a file modified within the
    last seconds of a scan is read again by the next one (it is "racily clean"), which tests
    that count parses do not want. ctime still changes with every write, so edits are seen."""
    past = time.time_ns() - 10_000_000_000
    os.utime(path, ns=(past, past))
    return path


def write_seed(folder: Path, name: str, **fields: object) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(seed_text(**fields), encoding="utf-8")
    return settle(path)


class Project:
    """A temporary config + seeds + output layout, as a user would have it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.seeds = root / "seeds"
        self.output = root / "output"
        self.config_path = root / "config.yaml"
        self.seeds.mkdir()

    def configure(self, feeds: list[dict], **extra: object) -> Path:
        data = {"site": SITE, "seeds": "seeds", "output": "output", "feeds": feeds}
        data.update(extra)
        self.config_path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return self.config_path

    def seed(self, name: str, **fields: object) -> Path:
        return write_seed(self.seeds, name, **fields)

    def write_raw(self, name: str, data: str | bytes) -> Path:
        path = self.seeds / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8")
        path.write_bytes(data)
        return settle(path)

    def feed_files(self) -> dict[str, bytes]:
        return {
            p.name: p.read_bytes()
            for p in sorted(self.output.glob("*"))
            if p.suffix in (".atom", ".rss")
        }


def copy_shipped(root: Path) -> Path:
    """The shipped seeds and config.yaml (as tests/data/shipped keeps them) copied into
    ``root``; returns the config's path."""
    shutil.copytree(SHIPPED_SEEDS, root / "seeds")
    shutil.copy(SHIPPED / "config.yaml", root / "config.yaml")
    return root / "config.yaml"


def parse_feed(data: bytes) -> feedparser.FeedParserDict:
    """Parse with feedparser and fail on any well-formedness problem ("bozo")."""
    parsed = feedparser.parse(data)
    assert not parsed.bozo, f"feedparser bozo: {parsed.get('bozo_exception')!r}"
    return parsed


def _judge(tool: str, paths: list[Path], what: str) -> str:
    """Run one of ../shared/tools' judges on files; fail on any error it reports."""
    exe = TOOLS / tool
    if not exe.exists():
        pytest.skip(f"{tool} not found at {exe} (../shared/tools is absent)")
    if tool == "html-validate" and shutil.which("java") is None:
        pytest.skip("html-validate needs Java, which is not installed")
    assert paths, f"no files for {tool}"
    proc = subprocess.run(
        [sys.executable, str(exe), *map(str, paths)], capture_output=True, text=True, timeout=600
    )
    problems = [ln for ln in proc.stdout.splitlines() if ln.startswith("ERROR")]
    assert proc.returncode == 0, f"{what} errors:\n" + "\n".join(
        problems or [proc.stdout, proc.stderr]
    )
    return proc.stdout


def html_validate(paths: list[Path]) -> str:
    """The Nu HTML checker (the W3C's HTML validator): 0 errors or the test fails."""
    return _judge("html-validate", paths, "Nu HTML checker")


def jsonfeed_validate(paths: list[Path]) -> str:
    """JSON Feed 1.1 schema validation: 0 errors or the test fails."""
    return _judge("jsonfeed-validate", paths, "JSON Feed schema")


BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "poster", "background"}


def executable_markup(html_text: str) -> list[str]:
    """Everything in an HTML document or fragment a browser could run: script-like elements,
    event-handler attributes, and script URLs (control characters and case ignored)."""
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(html_text) if html_text.strip() else None
    found = []
    for el in tree.iter() if tree is not None else ():
        if not isinstance(el.tag, str):
            continue
        if el.tag.lower() in ("script", "iframe", "object", "embed", "base", "form", "frame"):
            found.append(f"<{el.tag}>")
        for name, value in el.attrib.items():
            if name.lower().startswith("on"):
                found.append(f"<{el.tag} {name}>")
            cleaned = re.sub(r"[\x00-\x20]", "", value).lower()
            if name.lower() in URL_ATTRIBUTES and cleaned.startswith(BAD_SCHEMES):
                found.append(f"<{el.tag} {name}={value!r}>")
    return found


def rendered_strings(name: str, data: bytes) -> Iterator[str]:
    """Every string of a published file that a reader might render as HTML: each text and
    attribute value of a feed (XML) or page (HTML), each string of a JSON Feed."""
    from lxml import etree
    from lxml import html as lxml_html

    if name.endswith(".json"):
        stack: list[object] = [json.loads(data)]
        while stack:
            value = stack.pop()
            if isinstance(value, str):
                yield value
            elif isinstance(value, dict):
                stack.extend(value.values())
            elif isinstance(value, list):
                stack.extend(value)
        return
    tree = lxml_html.fromstring(data) if name.endswith(".html") else etree.fromstring(data)
    for el in tree.iter():
        yield from (s for s in (el.text, el.tail) if s)
        yield from el.attrib.values()


def live_after_unescaping(text: str, rounds: int = 5) -> list[str]:
    """Executable markup in ``text`` read as HTML, and after each of ``rounds`` more decodings
    (a reader that unescapes once too often, or five times)."""
    for k in range(rounds + 1):
        if "<" in text and (found := executable_markup(text)):
            return [f"after {k} unescapes: {f}" for f in found]
        if "&" not in text:
            break
        text = html.unescape(text)
    return []


def inert_everywhere(name: str, data: bytes) -> list[str]:
    """What could run in a published file: in the document as a browser or reader parses it,
    and in any string of it after 0..5 more rounds of HTML unescaping."""
    found = executable_markup(data.decode("utf-8")) if name.endswith(".html") else []
    for text in rendered_strings(name, data):
        found += live_after_unescaping(text)
    return found


def w3c_validate(paths: list[Path]) -> str:
    """Run the W3C Feed Validation Service's code on files; fail on any error."""
    if not VALIDATOR.exists():
        pytest.skip(f"W3C validator not found at {VALIDATOR} (../shared/tools is absent)")
    proc = subprocess.run(
        [sys.executable, str(VALIDATOR), "--base", BASE_URL, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    problems = [ln for ln in proc.stdout.splitlines() if ln.startswith("ERROR")]
    assert proc.returncode == 0, "W3C validator errors:\n" + "\n".join(
        problems or [proc.stdout, proc.stderr]
    )
    return proc.stdout


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every published file's bytes and mtime (not a writer's temporary files, which come and
    go)."""
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
        if not p.name.endswith(TMP_SUFFIX)
    }


def titles(path: Path) -> list[str]:
    """Entry titles of a feed file, in order ([] when the file is not there yet)."""
    return [e.title for e in parse_feed(path.read_bytes()).entries] if path.exists() else []


def feed_titles(output: Path, slug: str) -> list[str] | None:
    """A feed's entry titles once its Atom and RSS files agree (None while they differ: a
    writer renames them into place one after the other)."""
    atom, rss = titles(output / f"{slug}.atom"), titles(output / f"{slug}.rss")
    return atom if atom == rss else None


# Markup a reader would execute: checked in every format, before and after unescaping.
DANGER = re.compile(r"<script|<iframe|\bon[a-z]+\s*=|javascript:|data:", re.IGNORECASE)
WHEN = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def make_item(id: str = "https://news.example/1", **kw: object) -> Item:
    """An Item with plausible defaults; any field can be overridden."""
    when = kw.pop("when", WHEN)
    base: dict[str, object] = dict(
        id=id,
        link=id,
        title="Title",
        summary="The excerpt.",
        published=when,
        updated=when,
        provider=Provider("The Outlet", "news.example"),
        source=id.rsplit("/", 1)[-1] + ".md",
    )
    return Item(**{**base, **kw})  # type: ignore[arg-type]


TOKEN = "test-token-0123456789abcdef"  # FEEDS_PRIVATE_TOKEN of the servers tests start
START_LINE = re.compile(r"^serving (.+?) at http://127\.0\.0\.1:(\d+)/")


class Served:
    """A running ``feeds serve``: its port, every line it wrote, and a SIGTERM stop."""

    def __init__(self, config: Path, *args: str, env: dict[str, str] | None = None) -> None:
        env = {**({**os.environ, "FEEDS_PRIVATE_TOKEN": TOKEN} if env is None else env)}
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "feeds.cli",
                "serve",
                "--config",
                str(config),
                "--port",
                "0",
                *args,
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out: list[str] = []
        self.err: list[str] = []  # the access log
        self._readers = [
            threading.Thread(target=self._drain, args=(self.proc.stdout, self.out), daemon=True),
            threading.Thread(target=self._drain, args=(self.proc.stderr, self.err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        try:
            deadline = time.monotonic() + 20
            while not self.out:
                assert self.proc.poll() is None, f"feeds serve exited: {self.err}"
                assert time.monotonic() < deadline, f"feeds serve did not start: {self.err}"
                time.sleep(0.02)
            match = START_LINE.match(self.out[0])
            assert match, self.out
        except BaseException:
            self.stop()  # never leave a server behind
            raise
        self.folder, self.port = match.group(1), int(match.group(2))
        self.base = f"http://127.0.0.1:{self.port}"

    @staticmethod
    def _drain(stream: object, lines: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            lines.append(line.rstrip("\n"))

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=5)
            for reader in self._readers:
                reader.join(timeout=5)

    def log_lines(self, marker: str, count: int) -> list[str]:
        """Access-log lines holding ``marker``, once there are ``count`` (or after 5 s)."""
        deadline = time.monotonic() + 5
        while sum(marker in ln for ln in self.err) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return [ln for ln in self.err if marker in ln]


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
