"""The seed index: what a refresh reads again, and what it can trust."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from feeds.config import load_config
from feeds.incremental import SeedIndex
from feeds.pipeline import generate
from tests.helpers import Project, seed_text, settle, titles


def test_a_file_changed_just_before_a_scan_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text(seed_text(title="Fresh"))
    index = SeedIndex()
    assert index.refresh(tmp_path).parsed == 1
    # Modified within the racy window: no version is trusted, so it is parsed once more.
    assert index.entries["a.md"].version is None
    assert index.refresh(tmp_path).parsed == 1
    settle(path)  # now it is seconds old: the next refresh trusts what it reads
    assert index.refresh(tmp_path).parsed == 1
    assert index.entries["a.md"].version is not None
    assert index.refresh(tmp_path).parsed == 0


def _mount_coarse_ext4(where: Path) -> Path:
    """An ext4 filesystem with 128-byte inodes (1-second timestamps, no nanoseconds) on a
    loop device; skips the test where that cannot be done."""
    if os.geteuid() != 0:
        pytest.skip("mounting a loop device needs root")
    if shutil.which("mkfs.ext4") is None:
        pytest.skip("mkfs.ext4 is not installed")
    image, mnt = where / "coarse.img", where / "mnt"
    mnt.mkdir()
    with image.open("wb") as fh:
        fh.truncate(16 * 1024 * 1024)
    mkfs = subprocess.run(["mkfs.ext4", "-q", "-I", "128", "-F", str(image)],
                          capture_output=True, text=True)  # fmt: skip
    if mkfs.returncode:
        pytest.skip(f"mkfs.ext4 failed: {mkfs.stderr.strip()}")
    mount = subprocess.run(["mount", "-o", "loop", str(image), str(mnt)],
                           capture_output=True, text=True)  # fmt: skip
    if mount.returncode:
        pytest.skip(f"cannot mount a loop device here: {mount.stderr.strip()}")
    return mnt


@pytest.mark.slow
def test_no_stale_seed_on_a_filesystem_with_1_second_timestamps(tmp_path: Path) -> None:
    mnt = _mount_coarse_ext4(tmp_path)
    try:
        project = Project(mnt)
        project.configure([{"slug": "all", "title": "All"}], state=".feeds")
        config = load_config(project.config_path)
        seed = project.seeds / "story.md"
        stale = 0
        for i in range(50):
            # Same size every time, and as many edits as fit in one second: only the bytes
            # tell them apart (the mtime and ctime have whole seconds here).
            seed.write_text(seed_text(title=f"Edit {i:02d}", webUrl="https://news.example/s"))
            if i % 10 == 0:
                assert seed.stat().st_mtime_ns % 1_000_000_000 == 0  # truly coarse
            generate(config)
            stale += titles(project.output / "all.atom") != [f"Edit {i:02d}"]
        assert stale == 0, f"{stale} of 50 runs published a stale seed"
    finally:
        time.sleep(0.1)
        subprocess.run(["umount", str(mnt)], check=False)
