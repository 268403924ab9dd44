"""Find seed documents and read their YAML front matter (the I/O edge of the pipeline).

A seed is a text file whose record sits between the first two ``---`` lines; anything after
the closing line is ignored. Problems are raised as :class:`SeedError` carrying the file and,
where known, the line, so one bad seed becomes one located message instead of a failed run.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from feeds.errors import SeedsUnavailable
from feeds.problems import SeedError
from feeds.safeyaml import StrictLoader
from feeds.text import repair_for_yaml

SEED_SUFFIXES = frozenset({".md", ".txt", ".yaml", ".yml"})
# A seed is one news item; anything this large is not one, and would only cost memory.
MAX_SEED_BYTES = 16 * 1024 * 1024
# The ASCII bytes a YAML stream may hold (printable, tab, LF, CR): a seed of only these needs
# neither decoding help nor repair (checked with bytes.translate, far cheaper than a regex).
_YAML_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n\r"
_YAML_BYTES = _YAML_ASCII + bytes(range(0x80, 0x100))
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x84\x86-\x9f]")  # C1 controls but NEL (U+0085)


@dataclass(slots=True)
class RawSeed:
    """A parsed front-matter mapping and notes about what was repaired on the way."""

    record: dict[str, Any]
    notes: list[str] = field(default_factory=list)


class SeedFile(NamedTuple):
    """A seed found on disk; ``name`` is its path relative to the seeds folder (POSIX style).

    ``version`` (mtime_ns, ctime_ns, size, packed in one int by :func:`file_version`)
    identifies this version of the file for incremental reloads: any write changes ctime,
    which no tool can set back, so even an edit that keeps the size and restores the mtime is
    seen. None when the file could not be stat'ed (reading it will then say why). A named
    tuple: a scan makes one per file on every tick.
    """

    path: str | Path
    name: str
    version: int | None = None


def file_version(info: os.stat_result) -> int:
    """(mtime_ns, ctime_ns, size) as one int: what a seed's version compares, in ~44 bytes
    instead of a tuple of three ints (~170: a corpus keeps one per seed)."""
    # ctime as its 64-bit two's complement, so that any (mtime, ctime, size) packs apart.
    return (info.st_mtime_ns << 128) | ((info.st_ctime_ns & (2**64 - 1)) << 64) | info.st_size


def version_mtime(version: int) -> int:
    """The mtime_ns a :func:`file_version` holds."""
    return version >> 128


def discover(root: Path) -> list[SeedFile]:
    """Every seed file under ``root``, recursively, sorted by relative name.

    Symlinked directories are not followed (a link loop must not hang a run); hidden files and
    folders (editor swap files, our own cache) are skipped. A folder that cannot be listed
    raises :class:`SeedsUnavailable`, since silently missing seeds would empty feeds.
    """
    found: list[SeedFile] = []
    pending: list[tuple[str | Path, str]] = [(root, "")]
    suffixes = tuple(SEED_SUFFIXES)
    while pending:  # one stat per file is the floor; keep Python work per entry small
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            raise SeedsUnavailable(f"cannot list {folder}: {exc.strerror or exc}") from None
        for entry in entries:
            name = entry.name
            if name[0] == ".":
                continue
            if name.lower().endswith(suffixes):
                try:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append((entry.path, f"{prefix}{name}/"))
                        continue
                    info = entry.stat()
                    version = file_version(info)
                except OSError:
                    version = None
                found.append(SeedFile(entry.path, prefix + name, version))
            else:
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    is_dir = False
                if is_dir:
                    pending.append((entry.path, f"{prefix}{name}/"))
    found.sort(key=lambda s: s.name)
    return found


# Line breaks str.splitlines() knows besides LF. Text without them that opens with "---\n"
# (nearly every seed) is cut with find() instead of being split into lines.
_OTHER_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def front_matter(text: str, name: str) -> tuple[str, int]:
    """The YAML text between the first two ``---`` lines, and the file line it starts on."""
    if text.startswith("---\n") and not any(ch in text for ch in _OTHER_BREAKS):
        # The common shape, ~10x faster than splitting a 5 KB seed into lines: the same
        # rule (a closing line is "---" and trailing whitespace) over LF-only text.
        pos = 3  # the opening line's LF
        while (k := text.find("\n---", pos)) >= 0:
            end = text.find("\n", k + 4)
            if text[k + 1 : end if end >= 0 else len(text)].rstrip() == "---":
                return text[4 : k + 1], 2
            pos = k + 1
        raise SeedError(name, "front matter is never closed: no second '---' line", 1)
    return front_matter_by_lines(text, name)


def front_matter_by_lines(text: str, name: str) -> tuple[str, int]:
    """:func:`front_matter` for any text: leading blank lines, any line break."""
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


def decode(data: bytes, name: str, notes: list[str] | None = None) -> str:
    """Seed bytes as text: UTF-8 (a byte-order mark is dropped), repaired where possible.

    Binary files are refused. Text that is not UTF-8 is read as Windows-1252 (the usual
    legacy encoding of scraped pages) when it has no valid multi-byte UTF-8 at all, otherwise
    as UTF-8 with the damaged bytes replaced; either way a note says so.
    """
    if b"\0" in data:
        offset = data.index(b"\0")
        raise SeedError(
            name, f"binary file: NUL byte at offset {offset}", data.count(b"\n", 0, offset) + 1
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        where = f"byte 0x{data[exc.start]:02x} at offset {exc.start}"
        replaced = data.decode("utf-8-sig", errors="replace")
        if any(ord(ch) > 0x7F and ch != "\ufffd" for ch in replaced):
            text, how = replaced, "invalid bytes replaced"
        else:
            try:
                text, how = data.decode("cp1252"), "read as Windows-1252"
            except UnicodeDecodeError:
                text, how = data.decode("latin-1"), "read as Latin-1"
        if notes is not None:
            notes.append(f"not UTF-8 ({where}): {how}")
        return text


def parse_record(text: str, name: str, fast: bool = False) -> RawSeed:
    """Parse a seed's text into its front-matter mapping.

    ``fast`` tries the rapidyaml path (:mod:`feeds.fastyaml`) first. Only parser worker
    processes use it: ryml prints to the process's stderr on invalid YAML, which a worker can
    silence and the main process (the CLI's messages, the daemon's log) must not.
    """
    body, first_line = front_matter(text, name)
    if fast:
        from feeds.fastyaml import load_front_matter

        fast = load_front_matter(body)
        if fast is not None and isinstance(fast[0], dict):
            return RawSeed(fast[0], [])  # identical to StrictLoader's result
    loader = StrictLoader(body)
    try:
        record = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.context_mark and exc.problem:
            problem += f" ({exc.context} started on line {first_line + exc.context_mark.line})"
        raise SeedError(name, f"YAML error: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise SeedError(name, f"YAML error: {exc}", first_line) from None
    except RecursionError:
        raise SeedError(name, "YAML error: nested too deeply", first_line) from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. an explicit bad !!timestamp
        raise SeedError(name, f"YAML error: {exc}", first_line) from None
    finally:
        loader.dispose()
    if not isinstance(record, dict):
        kind = "empty" if record is None else type(record).__name__
        raise SeedError(name, f"front matter must be a mapping of keys, got {kind}", first_line)
    notes = [
        f"{dup.key}: duplicate key on line {first_line + dup.line}; the last value is used"
        for dup in loader.duplicates
    ]
    return RawSeed(record, notes)


def _read_all(fd: int, size: int) -> bytes:
    """The file's bytes, up to MAX_SEED_BYTES + 1: one read of the size fstat gave (a
    buffered read of the limit would allocate 16 MiB for every seed), more if it grew."""
    data = os.read(fd, size + 1)
    if len(data) > size:
        chunks = [data]
        total = len(data)
        while total <= MAX_SEED_BYTES and (chunk := os.read(fd, MAX_SEED_BYTES + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
        data = b"".join(chunks)
    return data


def _plain_utf8(data: bytes) -> str | None:
    """``data`` as text when it is UTF-8 (no byte-order mark) holding nothing a YAML reader
    refuses, so that :func:`decode` and :func:`~feeds.text.repair_for_yaml` would return it
    unchanged; else None. Checked on the bytes: ASCII controls by ``translate`` (every byte of
    a multi-byte sequence is >= 0x80), then the three multi-byte kinds YAML refuses (C1
    controls but NEL, U+FFFE, U+FFFF). Surrogates cannot come out of a strict decode."""
    if data.translate(None, _YAML_BYTES) or data.startswith(b"\xef\xbb\xbf"):
        return None
    if b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data:
        return None
    if b"\xc2" in data and _C1_UTF8.search(data) is not None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_seed(seed: SeedFile, fast: bool = False) -> RawSeed:
    """Read and parse one seed file; every failure is a :class:`SeedError`."""
    try:
        # O_NONBLOCK: a FIFO named like a seed must not hang the run on open().
        fd = os.open(seed.path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise SeedError(seed.name, "not a regular file")
            if info.st_size > MAX_SEED_BYTES:
                raise SeedError(
                    seed.name, f"too large: {info.st_size} bytes (the limit is {MAX_SEED_BYTES})"
                )
            data = _read_all(fd, info.st_size)
        finally:
            os.close(fd)
    except FileNotFoundError:
        raise SeedError(
            seed.name, "cannot read: the file vanished (deleted while reading)"
        ) from None
    except OSError as exc:
        raise SeedError(seed.name, f"cannot read: {exc.strerror or exc}") from None
    notes: list[str] = []
    if data.isascii() and not data.translate(None, _YAML_ASCII):
        text = data.decode("ascii")  # nothing to decode or repair: the common case
    elif (text := _plain_utf8(data)) is not None:
        pass  # UTF-8 without anything to repair: the next most common
    else:
        text, removed = repair_for_yaml(decode(data, seed.name, notes))
        if removed:
            notes.append(f"{removed} control character(s) repaired or removed")
    raw = parse_record(text, seed.name, fast)
    raw.notes[:0] = notes
    return raw
