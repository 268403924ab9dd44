import os
import subprocess
import sys
from pathlib import Path

import pytest

from feeds.lock import LOCK_NAME, OutputBusy, OutputLock


def test_second_writer_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    with OutputLock(tmp_path):
        assert (tmp_path / LOCK_NAME).read_text().strip() == str(os.getpid())
        pid = os.getpid()
        with pytest.raises(OutputBusy, match=rf"in use by another feeds process \(pid {pid}\)"):
            OutputLock(tmp_path).acquire()
    OutputLock(tmp_path).acquire().release()  # free again once released


def test_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    code = (
        "import os, sys; from pathlib import Path; from feeds.lock import OutputLock; "
        "OutputLock(Path(sys.argv[1])).acquire(); os._exit(0)"
    )  # dies holding it
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)
    assert (tmp_path / LOCK_NAME).read_text().strip() != ""  # a stale pid is left behind
    with OutputLock(tmp_path):
        assert (tmp_path / LOCK_NAME).read_text().strip() == str(os.getpid())
