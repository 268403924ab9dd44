import os
import subprocess
import sys
from pathlib import Path

import pytest

from feeds.lock import LOCK_NAME, OutputBusy, WriterLock


def test_second_writer_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    state, out = tmp_path / "state", tmp_path / "out"
    with WriterLock(state, out):
        assert (state / LOCK_NAME).read_text().strip() == str(os.getpid())
        assert list(out.iterdir()) == []  # no lock file in the served folder
        pid = os.getpid()
        with pytest.raises(OutputBusy, match=rf"in use by another feeds process \(pid {pid}\)"):
            WriterLock(state, out).acquire()
    WriterLock(state, out).acquire().release()  # free again once released


def test_another_state_folder_cannot_write_the_same_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with WriterLock(tmp_path / "a", out):
        with pytest.raises(OutputBusy, match="one with another state folder"):
            WriterLock(tmp_path / "b", out).acquire()
        WriterLock(tmp_path / "b", tmp_path / "other").acquire().release()


def test_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    code = (
        "import os, sys; from pathlib import Path; from feeds.lock import WriterLock; "
        "WriterLock(Path(sys.argv[1]), Path(sys.argv[2])).acquire(); os._exit(0)"
    )  # dies holding it
    state, out = tmp_path / "state", tmp_path / "out"
    subprocess.run([sys.executable, "-c", code, str(state), str(out)], check=True)
    assert (state / LOCK_NAME).read_text().strip() != ""  # a stale pid is left behind
    with WriterLock(state, out):
        assert (state / LOCK_NAME).read_text().strip() == str(os.getpid())
