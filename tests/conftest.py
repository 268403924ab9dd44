"""Shared fixtures: temporary projects, seed writers, and the W3C validator."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
import yaml

from feeds.lock import LOCK_NAME

REPO = Path(__file__).resolve().parents[1]
SHIPPED_SEEDS = REPO / "seeds"
VALIDATOR = Path(os.environ.get("FEEDS_W3C_VALIDATE", REPO.parent / "shared/tools/w3c-validate"))
BASE_URL = "https://example.org/feeds/"

SITE = {"title": "Test site", "url": BASE_URL,
        "author": {"name": "Editors", "email": "editors@example.org"}, "language": "en"}


def seed_text(**fields: object) -> str:
    """A seed document with ``fields`` as front matter (YAML dumped, never hand-written)."""
    record = {"title": "A title", "excerpt": "An excerpt.",
              "publishedDateTime": "2024-01-01T10:00:00Z", **fields}
    record = {k: v for k, v in record.items() if v is not None}
    return "---\n" + yaml.safe_dump(record, sort_keys=False, allow_unicode=True) + "---\n"


def write_seed(folder: Path, name: str, **fields: object) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(seed_text(**fields), encoding="utf-8")
    return path


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
        return path

    def feed_files(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.output.glob("*"))
                if p.suffix in (".atom", ".rss")}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    """A copy of the repository's config.yaml and seeds, writing to a temporary output."""
    shutil.copytree(SHIPPED_SEEDS, tmp_path / "seeds")
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    return tmp_path / "config.yaml"


def parse_feed(data: bytes) -> feedparser.FeedParserDict:
    """Parse with feedparser and fail on any well-formedness problem ("bozo")."""
    parsed = feedparser.parse(data)
    assert not parsed.bozo, f"feedparser bozo: {parsed.get('bozo_exception')!r}"
    return parsed


def w3c_validate(paths: list[Path]) -> str:
    """Run the W3C Feed Validation Service's code on files; fail on any error."""
    if not VALIDATOR.exists():
        pytest.skip(f"W3C validator not found at {VALIDATOR} (../shared/tools is absent)")
    proc = subprocess.run([sys.executable, str(VALIDATOR), "--base", BASE_URL,
                           *map(str, paths)], capture_output=True, text=True, timeout=600)
    problems = [ln for ln in proc.stdout.splitlines() if ln.startswith("ERROR")]
    assert proc.returncode == 0, "W3C validator errors:\n" + "\n".join(problems or [
        proc.stdout, proc.stderr])
    return proc.stdout


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every published file's bytes and mtime (the writer's lock file is runtime state)."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())
            if p.name != LOCK_NAME}

