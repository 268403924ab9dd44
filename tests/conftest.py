"""Fixtures shared by the tests; the helpers they use live in tests/helpers.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import REPO, SHIPPED_SEEDS, Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    """A copy of the repository's config.yaml and seeds, writing to a temporary output."""
    shutil.copytree(SHIPPED_SEEDS, tmp_path / "seeds")
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    return tmp_path / "config.yaml"
