#!/usr/bin/env python3
"""Time Hugo building one RSS feed per topic from a seed corpus, for comparison with feeds.

Why: feeds' main job is "read every seed, group the items by topic, write one feed per
topic".  Hugo (a static site generator written in Go, parallel by default) does the same
with a taxonomy: every content file is a page, ``topics`` is a taxonomy, and Hugo's built-in
RSS template writes ``public/topics/<term>/index.xml`` per term.  Timing it on the corpus of
``bench/make_corpus.py`` gives an outside reference point for feeds' own numbers.

How, in :func:`time_hugo` (only step 3 is timed):

1. Check every ``*.txt`` seed of the corpus once: read it, cut out the front matter between
   the first two ``---`` lines, ``yaml.load`` it with PyYAML's ``CSafeLoader``.  Hugo aborts
   the whole build on the first file whose front matter is never closed, is not valid YAML or
   is not a mapping (``Error building site: ...``), so such files are left out of the site and
   counted in ``excluded``.  Files without any front matter (the corpus' empty files) do not
   stop Hugo, but they are no seeds either and are left out as well, so ``excluded`` equals
   the number of broken files ``make_corpus.py`` reports.  The wall time of this pass is the
   single-threaded Python "floor" (``floor_seconds``): just reading and parsing every seed.
2. Create the site in ``workdir`` (removed first; only a directory that is empty or carries
   this module's marker file is removed): ``hugo.toml`` and ``content/<sub>/<name>.md`` as
   hard links to the corpus files (Hugo only reads ``.md`` & co. as content; a copy is made
   only where ``os.link`` fails, e.g. across file systems).  No layouts are needed.
3. Run ``hugo --quiet`` in ``workdir`` with default parallelism (GOMAXPROCS = all cores), and
   take its wall-clock time and its peak RSS from ``os.wait4``.
4. Count the feeds and their items (parsing the XML) as a sanity check.

The configuration keeps only the term RSS output: the home, section, taxonomy-list, sitemap,
robots.txt and 404 kinds are disabled, and regular pages are built but never rendered
(``_build.render = "link"`` cascaded onto kind ``page``; disabling the ``page`` kind instead
would drop the pages from the taxonomy too).  Hugo-specific traps the configuration handles,
found with Hugo 0.111.3 (Debian):

* ``published: false`` is an undocumented Hugo alias for ``draft: true``: without
  ``buildDrafts`` Hugo silently drops every unpublished seed (most of the corpus).  By default
  drafts are built, so every seed becomes an item (``drafts=False`` mimics Hugo's default).
* Hugo skips pages dated in the future; the corpus runs up to 2026-12-31, so ``buildFuture``.
* Hugo 0.111 fails the build (exit 255, silent under ``--quiet``) when ``disableKinds`` holds
  ``taxonomy`` unless ``ignoreErrors = ["error-disable-taxonomy"]``.
* The date comes from ``publishedDateTime`` via ``[frontmatter] date``.  The RSS feeds are not
  limited by default (Hugo's ``rssLimit`` is -1), unlike feeds' ``max_items``.

Usage::

    python bench/hugo.py CORPUS WORKDIR [--runs N] [--no-drafts] [--rss-limit N]

prints the result of :func:`time_hugo` as JSON.  Standard library and PyYAML only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MARKER = ".feeds-bench-hugo"  # marks a workdir made by this module (safe to remove)
SEED_GLOB = "*.txt"
HUGO_TIMEOUT_S = 3600  # for one hugo run; a 100k-file build takes well under a minute

# The first line "---", then everything up to the next line that is exactly "---" (Hugo's rule).
_FRONT_MATTER = re.compile(r"---[ \t]*\r?\n(.*?)^---[ \t]*(?:\r?\n|\Z)", re.DOTALL | re.MULTILINE)
_OPENING = re.compile(r"---[ \t]*\r?\n")
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class SiteInfo:
    """What building the Hugo content tree found and did (not timed)."""

    pages: int = 0  # seeds linked (or copied) into content/
    excluded: Counter[str] = field(default_factory=Counter)  # reason -> files left out
    drafts: int = 0  # pages Hugo treats as drafts (published: false or draft: true)
    topic_links: int = 0  # (built page, distinct topic) pairs = items over all feeds, no limit
    copied: int = 0  # pages copied because os.link failed
    floor_seconds: float = 0.0  # wall time of reading + YAML-parsing every seed


def hugo_available() -> str | None:
    """Return the ``hugo version`` line, or None if hugo is not on PATH (or does not run)."""
    exe = shutil.which("hugo")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "version"], capture_output=True, text=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip().splitlines()[0] if out.strip() else None


def read_front_matter(path: Path) -> tuple[dict[str, Any] | None, str]:
    """Parse one seed's front matter: ``(mapping, "")`` or ``(None, reason it is unusable)``."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None, "not-utf8"
    match = _FRONT_MATTER.match(text)
    if match is None:
        return None, "unclosed" if _OPENING.match(text) else "no-front-matter"
    try:
        data = yaml.load(match.group(1), Loader=_Loader)
    except yaml.YAMLError:
        return None, "yaml-error"
    if not isinstance(data, dict):
        return None, "not-a-mapping"
    return data, ""


def is_hugo_draft(data: dict[str, Any]) -> bool:
    """Whether Hugo treats the page as a draft (``published: false`` is Hugo's alias)."""
    published = data.get("published")
    return data.get("draft") is True or published is False or published == "false"


def topic_count(data: dict[str, Any]) -> int:
    """Number of distinct taxonomy terms the page lands in (Hugo matches terms case-blind)."""
    topics = data.get("topics")
    if isinstance(topics, str):
        topics = [topics]
    if not isinstance(topics, list):
        return 0
    return len({str(t).strip().lower() for t in topics if t is not None and str(t).strip()})


def hugo_config(drafts: bool, rss_limit: int | None) -> str:
    """The site's hugo.toml: term RSS only, date from publishedDateTime."""
    lines = [
        'baseURL = "https://example.org/"',
        'title = "feeds benchmark"',
        'disableKinds = ["home", "section", "taxonomy", "sitemap", "robotsTXT", "404"]',
        '# Hugo 0.111 fails the build on "taxonomy" in disableKinds without this:',
        'ignoreErrors = ["error-disable-taxonomy"]',
        "buildFuture = true",
        f"buildDrafts = {'true' if drafts else 'false'}",
        'timeout = "600s"',
        "",
        "[taxonomies]",
        'topic = "topics"',
        "",
        "[outputs]",
        'term = ["RSS"]',
        "",
        "[frontmatter]",
        'date = ["publishedDateTime", ":default"]',
        "",
        "# Regular pages: in the taxonomy and with a permalink, but never rendered.",
        "[[cascade]]",
        "[cascade._build]",
        'render = "link"',
        'list = "always"',
        "[cascade._target]",
        'kind = "page"',
    ]
    if rss_limit is not None:
        lines += ["", "[services.rss]", f"limit = {rss_limit}"]
    return "\n".join(lines) + "\n"


def prepare_workdir(workdir: Path) -> None:
    """Create ``workdir`` empty; refuse to remove a non-empty directory this module did not make."""
    if workdir.exists():
        if not workdir.is_dir():
            raise FileExistsError(f"{workdir} exists and is not a directory")
        if any(workdir.iterdir()):
            if not (workdir / MARKER).is_file():
                raise FileExistsError(
                    f"refusing to remove {workdir}: not empty and no {MARKER} "
                    "marker (it was not made by bench/hugo.py)"
                )
            shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / MARKER).write_text(
        "made by bench/hugo.py; removed by its next run\n", encoding="utf-8"
    )


def build_site(
    corpus: Path, workdir: Path, *, drafts: bool = True, rss_limit: int | None = None
) -> SiteInfo:
    """Check every seed (the timed "floor" pass), then create the Hugo site in ``workdir``."""
    corpus, workdir = corpus.resolve(), workdir.resolve()
    if not corpus.is_dir():
        raise NotADirectoryError(f"corpus {corpus} is not a directory")
    if workdir == corpus or workdir.is_relative_to(corpus) or corpus.is_relative_to(workdir):
        raise ValueError("corpus and workdir must not contain each other")
    seeds = sorted(
        p
        for p in corpus.rglob(SEED_GLOB)
        if not any(part.startswith(".") for part in p.relative_to(corpus).parts)
    )
    info = SiteInfo()
    good: list[Path] = []
    start = time.perf_counter()
    for path in seeds:
        data, reason = read_front_matter(path)
        if data is None:
            info.excluded[reason] += 1
            continue
        good.append(path)
        draft = is_hugo_draft(data)
        info.drafts += draft
        if drafts or not draft:
            info.topic_links += topic_count(data)
    info.floor_seconds = time.perf_counter() - start

    prepare_workdir(workdir)
    (workdir / "hugo.toml").write_text(hugo_config(drafts, rss_limit), encoding="utf-8")
    content = workdir / "content"
    for path in good:
        target = (content / path.relative_to(corpus)).with_suffix(".md")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copyfile(path, target)
            info.copied += 1
    info.pages = len(good)
    return info


def run_hugo(workdir: Path, hugo: str = "hugo") -> tuple[float, float, float]:
    """Run ``hugo --quiet`` once in ``workdir``: wall seconds, peak RSS (MB), CPU seconds."""
    for name in ("public", "resources"):
        shutil.rmtree(workdir / name, ignore_errors=True)
    cmd = [
        hugo,
        "--quiet",
        "--source",
        str(workdir),
        "--cacheDir",
        str(workdir / ".hugo_cache"),
    ]  # keep Hugo out of $TMPDIR/hugo_cache
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if proc.returncode != 0:
            log.seek(0)
            output = log.read().decode("utf-8", "replace").strip()
            raise RuntimeError(f"hugo exited with {proc.returncode}: {output[-2000:]}")
    # ru_maxrss: kilobytes on Linux, bytes on macOS.
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return seconds, usage.ru_maxrss / scale, usage.ru_utime + usage.ru_stime


def count_feeds(public: Path) -> tuple[int, int, str, int]:
    """(feeds, items in the largest feed, that feed's term, items in all feeds)."""
    counts: dict[str, int] = {}
    for feed in sorted(public.glob("topics/*/index.xml")):
        counts[feed.parent.name] = len(ET.parse(feed).getroot().findall("./channel/item"))
    if not counts:
        return 0, 0, "", 0
    largest = max(counts, key=lambda term: counts[term])
    return len(counts), counts[largest], largest, sum(counts.values())


def time_hugo(
    corpus: Path, workdir: Path, *, runs: int = 1, drafts: bool = True, rss_limit: int | None = None
) -> dict[str, Any]:
    """Build the Hugo site for ``corpus`` in ``workdir`` (untimed), then time ``hugo`` on it.

    Returns ``seconds`` (wall clock of the fastest of ``runs`` clean builds), ``peak_rss_mb``
    (largest over the runs), ``cpu_seconds`` (user + system of the fastest run), ``feeds``
    (``public/topics/*/index.xml`` files), ``items`` (items in the largest feed, named in
    ``items_feed``), ``excluded`` (seeds left out, by reason in ``excluded_reasons``), plus
    ``pages``, ``drafts``, ``items_total`` (items over all feeds, equal to
    ``expected_items_total`` when nothing is limited), ``copied``, ``floor_seconds``
    (single-threaded Python read + CSafeLoader parse of every seed), ``run_seconds`` (every
    run) and ``hugo`` (the version line).  Raises RuntimeError if hugo is missing or fails.
    """
    if runs < 1:
        raise ValueError("runs must be >= 1")
    hugo = shutil.which("hugo")
    version = hugo_available()
    if hugo is None or version is None:
        raise RuntimeError("hugo is not on PATH (Debian/Ubuntu: apt-get install -y hugo)")
    workdir = Path(workdir).resolve()
    info = build_site(Path(corpus), workdir, drafts=drafts, rss_limit=rss_limit)
    timings = [run_hugo(workdir, hugo) for _ in range(runs)]
    fastest = min(timings)
    feeds, items, items_feed, items_total = count_feeds(workdir / "public")
    return {
        "seconds": round(fastest[0], 3),
        "peak_rss_mb": round(max(m for _, m, _ in timings), 1),
        "cpu_seconds": round(fastest[2], 3),
        "feeds": feeds,
        "items": items,
        "items_feed": items_feed,
        "items_total": items_total,
        "expected_items_total": info.topic_links,
        "pages": info.pages,
        "drafts": info.drafts,
        "excluded": sum(info.excluded.values()),
        "excluded_reasons": dict(sorted(info.excluded.items())),
        "copied": info.copied,
        "floor_seconds": round(info.floor_seconds, 3),
        "run_seconds": [round(s, 3) for s, _, _ in timings],
        "hugo": version,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time Hugo writing one RSS feed per topic of a seed corpus; print JSON."
    )
    parser.add_argument("corpus", type=Path, help="corpus folder made by bench/make_corpus.py")
    parser.add_argument(
        "workdir",
        type=Path,
        help="Hugo site folder (created; an earlier one made here is replaced)",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="timed hugo runs on the same site (default 1; the fastest counts)",
    )
    parser.add_argument(
        "--no-drafts",
        dest="drafts",
        action="store_false",
        help="leave out pages Hugo sees as drafts (published: false)",
    )
    parser.add_argument(
        "--rss-limit",
        type=int,
        default=None,
        help="at most N items per feed (default: Hugo's, unlimited)",
    )
    args = parser.parse_args(argv)
    try:
        result = time_hugo(
            args.corpus, args.workdir, runs=args.runs, drafts=args.drafts, rss_limit=args.rss_limit
        )
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
