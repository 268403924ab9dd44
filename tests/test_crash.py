"""Crash safety: `feeds generate` killed with SIGKILL at random moments never leaves a partial
feed in output/, and the next run cleans up after it.

FEEDS_KILL_RUNS sets the number of kills (default 50; the documented full run uses 200).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from feeds.config import load_config
from feeds.pipeline import generate
from feeds.store import TMP_SUFFIX
from tests.helpers import Project, parse_feed, seed_text

KILLS = int(os.environ.get("FEEDS_KILL_RUNS", "50"))
TOPICS = ["AI", "Robots", "Space", "Climate", "Health", "Energy"]


def _texts(version: str, n: int = 300) -> dict[str, str]:
    """The seed files of one corpus version (written as text, so each kill loop is cheap)."""
    return {
        f"{i % 10}/s{i:04d}.md": seed_text(
            title=f"Story {i} ({version})",
            excerpt=f"Excerpt {i} " * 20,
            webUrl=f"https://news.example/{i}",
            publishedDateTime=f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00Z",
            topics=[TOPICS[i % 6], TOPICS[(i + 1) % 6]],
            quality=50,
            images=[{"url": f"https://img.example/{i}.jpg", "width": 640, "height": 360}],
        )
        for i in range(n)
    }


def _write(project: Project, texts: dict[str, str]) -> None:
    for name, text in texts.items():
        path = project.seeds / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _outputs(project: Project) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in project.output.iterdir()}


def _writing(output: Path, before: dict[str, int]) -> bool:
    """Whether a run has begun replacing files (a temporary, or a changed mtime)."""
    for p in list(output.iterdir()):
        if p.name.endswith(TMP_SUFFIX):
            return True
        try:
            if before.get(p.name) != p.stat().st_mtime_ns:
                return True
        except FileNotFoundError:
            return True
    return False


@pytest.mark.slow
def test_sigkill_never_leaves_a_partial_feed(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    project = Project(tmp_path / "p")
    project.configure(
        [{"slug": t.lower(), "title": t, "topics": [t], "max_items": 500} for t in TOPICS]
        + [{"slug": "all", "title": "All", "max_items": 500}]
    )
    texts = {v: _texts(v) for v in ("A", "B")}
    versions: dict[str, dict[str, bytes]] = {}
    for version in ("A", "B"):
        _write(project, texts[version])
        generate(load_config(project.config_path))
        versions[version] = _outputs(project)
    assert versions["A"].keys() == versions["B"].keys()
    names = set(versions["A"])
    exe = [sys.executable, "-m", "feeds.cli", "generate", "--config", str(project.config_path)]
    started = time.monotonic()
    rng = random.Random(1234)
    killed_mid_write = 0
    for k in range(KILLS):
        _write(project, texts["B" if k % 2 == 0 else "A"])
        before = {p.name: p.stat().st_mtime_ns for p in project.output.iterdir()}
        proc = subprocess.Popen(exe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if k % 4:
            # Three kills in four while files are being replaced: wait for the first write,
            # then kill within the few milliseconds the replacing takes.
            deadline = time.monotonic() + 30
            while not _writing(project.output, before) and proc.poll() is None:
                assert time.monotonic() < deadline, "the run never started writing"
                time.sleep(0.0002)
            time.sleep(rng.uniform(0, 0.004))
        else:
            time.sleep(rng.uniform(0, 0.8))  # the rest anywhere in the run
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        leftovers = [p.name for p in project.output.iterdir() if p.name.endswith(TMP_SUFFIX)]
        versions_seen = set()
        for p in project.output.iterdir():
            if p.name.endswith(TMP_SUFFIX):
                assert p.name.startswith(".") and not p.name.endswith((".atom", ".rss"))
                continue
            assert p.name in names, p.name
            data = p.read_bytes()
            assert data in (versions["A"][p.name], versions["B"][p.name]), (
                f"kill {k}: {p.name} is neither the old nor the new version"
            )
            versions_seen.add("A" if data == versions["A"][p.name] else "B")
        # Mid-write: a temporary left behind, or some feeds already new and others still old.
        killed_mid_write += bool(leftovers) or len(versions_seen) == 2
    # One clean run repairs everything: no temporaries, every feed complete and current.
    final = "B" if KILLS % 2 else "A"
    subprocess.run(exe, check=True, capture_output=True)
    assert not [p for p in project.output.iterdir() if p.name.endswith(TMP_SUFFIX)]
    assert _outputs(project) == versions[final]
    for name, data in versions[final].items():
        if name.endswith((".atom", ".rss")):  # the pages, JSON feeds and OPML are compared above
            assert parse_feed(data).entries, name
    # The test proves something only if kills landed while files were being replaced.
    assert killed_mid_write >= KILLS // 4, f"only {killed_mid_write} of {KILLS} kills mid-write"
    print(
        f"{KILLS} kills in {time.monotonic() - started:.1f}s, {killed_mid_write} landed mid-write"
    )
    shutil.rmtree(project.seeds)
