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
from feeds.lock import LOCK_NAME
from feeds.output import MANIFEST, TMP_SUFFIX
from feeds.pipeline import generate
from tests.conftest import Project, parse_feed

KILLS = int(os.environ.get("FEEDS_KILL_RUNS", "50"))
TOPICS = ["AI", "Robots", "Space", "Climate", "Health", "Energy"]


def _corpus(project: Project, version: str, n: int = 300) -> None:
    for i in range(n):
        project.seed(f"{i % 10}/s{i:04d}.md", title=f"Story {i} ({version})",
                     excerpt=f"Excerpt {i} " * 20, webUrl=f"https://news.example/{i}",
                     publishedDateTime=f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00Z",
                     topics=[TOPICS[i % 6], TOPICS[(i + 1) % 6]], quality=50,
                     images=[{"url": f"https://img.example/{i}.jpg", "width": 640,
                              "height": 360}])


def _outputs(project: Project) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in project.output.iterdir()
            if p.name not in (MANIFEST, LOCK_NAME)}


@pytest.mark.slow
def test_sigkill_never_leaves_a_partial_feed(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    project = Project(tmp_path / "p")
    project.configure([{"slug": t.lower(), "title": t, "topics": [t], "max_items": 500}
                       for t in TOPICS] + [{"slug": "all", "title": "All", "max_items": 500}])
    versions: dict[str, dict[str, bytes]] = {}
    for version in ("A", "B"):
        _corpus(project, version)
        generate(load_config(project.config_path))
        versions[version] = _outputs(project)
    assert versions["A"].keys() == versions["B"].keys()
    names = set(versions["A"])
    exe = [sys.executable, "-m", "feeds.cli", "generate", "--config", str(project.config_path)]
    started = time.monotonic()
    subprocess.run(exe, check=True, capture_output=True)  # B again: a no-op run
    # Time one real run and note when it starts writing, so most kills land in the window
    # that matters (a kill during parsing proves little).
    _corpus(project, "A")
    before = {p.name: p.stat().st_mtime_ns for p in project.output.iterdir()}
    t0 = time.monotonic()
    proc = subprocess.Popen(exe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    write_start = None
    while proc.poll() is None:
        if write_start is None and any(
                p.name.endswith(TMP_SUFFIX) or before.get(p.name) != p.stat().st_mtime_ns
                for p in list(project.output.iterdir()) if p.exists()):
            write_start = time.monotonic() - t0
        time.sleep(0.0005)
    full_run = time.monotonic() - t0
    write_start = write_start if write_start is not None else full_run * 0.8
    rng = random.Random(1234)
    killed_mid_write = 0
    for k in range(KILLS):
        _corpus(project, "B" if k % 2 == 0 else "A")
        proc = subprocess.Popen(exe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Three kills in four inside the write window, the rest anywhere in the run.
        window = (max(0.0, write_start - 0.02), full_run) if k % 4 else (0.0, full_run)
        time.sleep(rng.uniform(*window))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        leftovers = [p.name for p in project.output.iterdir() if p.name.endswith(TMP_SUFFIX)]
        killed_mid_write += bool(leftovers)
        for p in project.output.iterdir():
            if p.name in (MANIFEST, LOCK_NAME):  # the lock may name the killed process
                continue
            if p.name.endswith(TMP_SUFFIX):
                assert p.name.startswith(".") and not p.name.endswith((".atom", ".rss"))
                continue
            assert p.name in names, p.name
            data = p.read_bytes()
            assert data in (versions["A"][p.name], versions["B"][p.name]), \
                f"kill {k}: {p.name} is neither the old nor the new version"
    # One clean run repairs everything: no temporaries, every feed complete and current.
    final = "B" if KILLS % 2 else "A"
    subprocess.run(exe, check=True, capture_output=True)
    assert not [p for p in project.output.iterdir() if p.name.endswith(TMP_SUFFIX)]
    assert _outputs(project) == versions[final]
    for data in versions[final].values():
        assert parse_feed(data).entries
    print(f"{KILLS} kills in {time.monotonic() - started:.1f}s, full run {full_run:.2f}s, "
          f"writing from {write_start:.2f}s, {killed_mid_write} left temporaries behind")
    shutil.rmtree(project.seeds)
