"""Find seed documents and read their YAML front matter (the I/O edge of the pipeline).

A seed is a text file whose record sits between the first two ``---`` lines; anything after
the closing line is ignored. Problems are raised as :class:`SeedError` carrying the file and,
where known, the line, so one bad seed becomes one located message instead of a failed run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SEED_SUFFIXES = frozenset({".md", ".txt", ".yaml", ".yml"})
# The C loader is ~10x faster; both are "safe" (no arbitrary Python objects).
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SeedError(Exception):
    """A seed that cannot become an item: the message names the file and, if known, the line."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        super().__init__(self.location + ": " + reason)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True, slots=True)
class SeedFile:
    """A seed found on disk; ``name`` is its path relative to the seeds folder (POSIX style)."""

    path: Path
    name: str


def discover(root: Path) -> list[SeedFile]:
    """Every seed file under ``root``, recursively, sorted by relative name.

    Symlinked directories are not followed (a link loop must not hang a run); hidden files and
    folders (editor swap files, our own cache) are skipped.
    """
    found: list[SeedFile] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fname in filenames:
            if fname.startswith(".") or os.path.splitext(fname)[1].lower() not in SEED_SUFFIXES:
                continue
            full = Path(dirpath, fname)
            found.append(SeedFile(full, full.relative_to(root).as_posix()))
    found.sort(key=lambda s: s.name)
    return found


def front_matter(text: str, name: str) -> tuple[str, int]:
    """The YAML text between the first two ``---`` lines, and the file line it starts on."""
    lines = text.splitlines(keepends=True)
    start = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped != "---":
            raise SeedError(name, "no front matter: the first line must be '---'", i + 1)
        start = i + 1
        break
    if start is None:
        raise SeedError(name, "empty file: no front matter")
    for j in range(start, len(lines)):
        if lines[j].rstrip() == "---":
            return "".join(lines[start:j]), start + 1
    raise SeedError(name, "front matter is never closed: no second '---' line", start)


def decode(data: bytes, name: str) -> str:
    """Seed bytes as text: UTF-8 (a byte-order mark is dropped)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SeedError(name, f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}",
                        line) from None


def parse_record(text: str, name: str) -> dict[str, Any]:
    """Parse a seed's text into its front-matter mapping."""
    body, first_line = front_matter(text, name)
    try:
        record = yaml.load(body, Loader=SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.context_mark and exc.problem:
            problem += f" ({exc.context} started on line {first_line + exc.context_mark.line})"
        raise SeedError(name, f"YAML error: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise SeedError(name, f"YAML error: {exc}", first_line) from None
    if not isinstance(record, dict):
        kind = "empty" if record is None else type(record).__name__
        raise SeedError(name, f"front matter must be a mapping of keys, got {kind}", first_line)
    return record


def read_seed(seed: SeedFile) -> dict[str, Any]:
    """Read and parse one seed file; every failure is a :class:`SeedError`."""
    try:
        data = seed.path.read_bytes()
    except OSError as exc:
        raise SeedError(seed.name, f"cannot read: {exc.strerror or exc}") from None
    return parse_record(decode(data, seed.name), seed.name)


def iter_records(root: Path) -> Iterator[tuple[SeedFile, dict[str, Any] | SeedError]]:
    """Each seed under ``root`` with its record, or the error that stopped it."""
    for seed in discover(root):
        try:
            yield seed, read_seed(seed)
        except SeedError as exc:
            yield seed, exc
