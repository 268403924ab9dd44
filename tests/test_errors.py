"""Write failures as a user meets them: one line naming the path, the cause and the fix,
exit 5, no traceback, and the old feeds whole. Run as `feeds generate` in a subprocess, on a
folder `nobody` cannot write, a full tmpfs, and a dangling symlink."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from feeds.config import load_config
from feeds.pipeline import generate
from tests.helpers import Project, snapshot

REPO = Path(__file__).resolve().parents[1]


def _generate(config: Path, *prefix: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "feeds.cli", "generate", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def _one_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 5, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A folder any user can enter (pytest's own tmp folders are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="feeds-test-"))
    path.chmod(0o755)
    yield path
    subprocess.run(["chattr", "-R", "-i", str(path)], capture_output=True)
    shutil.rmtree(path, ignore_errors=True)


def test_an_output_folder_nobody_can_write(open_tmp: Path) -> None:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run feeds as the user nobody")
    project = Project(open_tmp)
    project.seed("a.md", title="A story", webUrl="https://news.example/a")
    project.configure([{"slug": "all", "title": "All"}])
    generate(load_config(project.config_path))  # as root: the feeds exist
    before = snapshot(project.output)
    shutil.chown(project.root / ".feeds", "nobody")  # nobody may keep state, not write output
    for path in (project.root / ".feeds").rglob("*"):
        shutil.chown(path, "nobody")
    project.seed("a.md", title="A story, edited", webUrl="https://news.example/a")
    proc = _generate(
        project.config_path, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"
    )
    line = _one_line(proc)
    assert line.startswith(f"feeds: cannot write {project.output}/")
    assert "Permission denied; make it writable by user nobody" in line
    assert snapshot(project.output) == before  # the old feeds, whole


def test_a_full_disk(open_tmp: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    project = Project(open_tmp)
    project.output.mkdir()
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(project.output)],
        capture_output=True,
        text=True,
    )
    if mount.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mount.stderr.strip()}")
    try:
        project.seed("a.md", title="A story", webUrl="https://news.example/a")
        project.configure([{"slug": "all", "title": "All"}])
        generate(load_config(project.config_path))
        before = snapshot(project.output)
        for i in range(40):  # far more than fits in 96 KiB
            project.seed(f"s{i}.md", title=f"Story {i}", excerpt="words " * 300,
                         webUrl=f"https://news.example/{i}")  # fmt: skip
        line = _one_line(_generate(project.config_path))
        assert line.startswith(f"feeds: cannot write {project.output}/")
        assert "No space left on device; free space on that filesystem" in line
        assert snapshot(project.output) == before
        assert not [p for p in project.output.iterdir() if p.name.startswith(".")]
    finally:
        subprocess.run(["umount", str(project.output)], check=False)


def test_an_output_path_that_is_a_dangling_symlink(project: Project) -> None:
    project.seed("a.md", title="A story", webUrl="https://news.example/a")
    project.configure([{"slug": "all", "title": "All"}])
    project.output.symlink_to(project.root / "gone" / "site")
    line = _one_line(_generate(project.config_path))
    assert line.startswith(f"feeds: cannot create the output folder {project.output}: ")
    assert f"{project.output} is a symlink to the missing {project.root / 'gone' / 'site'}" in line


def test_a_daemon_logs_the_same_line_and_retries(project: Project) -> None:
    from feeds.daemon import Daemon

    project.seed("a.md", title="A story", webUrl="https://news.example/a")
    project.configure([{"slug": "all", "title": "All"}])
    project.output.symlink_to(project.root / "later")
    daemon = Daemon(project.config_path, load_config(project.config_path))
    with pytest.raises(Exception, match="is a symlink to the missing"):
        daemon.tick()
    (project.root / "later").mkdir()  # fixed: the next tick publishes
    daemon.tick()
    assert (project.root / "later" / "all.atom").exists()
