"""Fixtures shared by the tests; the helpers they use live in tests/helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import Project, copy_shipped


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    """A copy of the shipped config.yaml and seeds (tests/data/shipped, not the repository's
    own, which users change), writing to a temporary output."""
    return copy_shipped(tmp_path)


@pytest.fixture
def shipped_public(tmp_path: Path) -> Path:
    """The shipped copy with its review feed public: a feed with entries in the output, for
    tests of what the public site shows."""
    path = copy_shipped(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "    private: true\n" in text
    path.write_text(text.replace("    private: true\n", ""), encoding="utf-8")
    return path
