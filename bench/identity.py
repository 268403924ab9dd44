#!/usr/bin/env python3
"""Byte identity with and without each speed-up: the same seeds give the same files.

usage: python bench/identity.py [--size 10000] [--workdir /tmp/feeds-bench]

On a copy of the bench corpus, each variant builds the site (the public output and the
private output) in its own folder, at one fixed instant, from the same final seeds: the
pristine corpus, then a set of edits (a seed made the newest, titles changed, a seed deleted,
one added, one renamed, a new subfolder with two seeds). Variants:

* ``all on``: what runs by default: generate on the pristine corpus (filling the parse
  cache), the edits, generate again (the cache, the process pool, the rapidyaml path);
* ``no cache`` (``--no-cache``), ``one process`` (``--jobs 1``), ``no fast path``
  (``FEEDS_FAST_YAML=0``), and all three off together, each on the edited corpus;
* ``daemon, inotify`` and ``daemon, scanning`` (``FEEDS_WATCH=0``): a daemon ticks on the
  pristine corpus, the edits are made, and it ticks again (incremental selection, rendering
  from fragments, change notification or not).

Every file of every variant is compared with ``all on``; the script exits 1 on any
difference. Each variant runs in a fresh process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from run import config_text  # the site bench/run.py measures (bench/ is on sys.path)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)  # fixed: future-dated items must not move
VARIANTS = {
    "all on": ({}, {}),
    "no cache": ({}, {"use_cache": False}),
    "one process": ({}, {"jobs": 1, "use_cache": False}),
    "no fast path": ({"FEEDS_FAST_YAML": "0"}, {"use_cache": False}),
    "all off": ({"FEEDS_FAST_YAML": "0"}, {"use_cache": False, "jobs": 1}),
    "daemon, inotify": ({"FEEDS_WATCH": "1"}, {"daemon": True}),
    "daemon, scanning": ({"FEEDS_WATCH": "0"}, {"daemon": True}),
}


def edit(seeds: Path) -> None:
    """The same edits every time (deterministic): see the module docstring."""
    files = sorted(seeds.glob("0*/*.txt"))
    newest = files[11]
    text = newest.read_text()
    text = re.sub(
        r"publishedDateTime: \S+", "publishedDateTime: 2026-05-31T12:00:00Z", text, count=1
    )
    newest.write_text(text.replace('title: "', 'title: "Newest: ', 1))
    for path in files[20:23]:
        path.write_text(path.read_text().replace('title: "', 'title: "Edited: ', 1))
    files[30].unlink()
    added = files[40].read_text().replace("https://", "https://added.", 2)
    (seeds / "000" / "zz-added.txt").write_text(added.replace('title: "', 'title: "Added: ', 1))
    files[50].rename(files[50].with_name("renamed.txt"))
    sub = seeds / "new-folder"
    sub.mkdir()
    for k, path in enumerate(files[60:62]):
        body = path.read_text().replace("https://", f"https://sub{k}.", 2)
        (sub / f"s{k}.md").write_text(body.replace('title: "', 'title: "Sub: ', 1))


def run_variant(name: str, pristine: Path, work: Path) -> None:
    """Build one variant's site in ``work`` (in this process)."""
    env, opts = VARIANTS[name]
    os.environ.update(env)
    from feeds.config import load_config
    from feeds.daemon import Daemon
    from feeds.pipeline import generate

    seeds = work / "seeds"
    shutil.copytree(pristine, seeds, ignore=shutil.ignore_patterns(".*"))
    config_path = work / "config.yaml"
    config_path.write_text(config_text(seeds))
    config = load_config(config_path)
    if opts.get("daemon"):
        daemon = Daemon(config_path, config)
        daemon.tick(NOW)
        edit(seeds)
        daemon.tick(NOW)
        daemon.pipeline.close()
    elif name == "all on":
        generate(config, now=NOW)
        edit(seeds)
        generate(config, now=NOW)
    else:
        edit(seeds)
        generate(config, now=NOW, use_cache=opts.get("use_cache", True), jobs=opts.get("jobs"))


def files_of(work: Path) -> dict[str, bytes]:
    out = {}
    for folder in (work / "output", work / ".feeds" / "private"):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                out[str(path.relative_to(work))] = path.read_bytes()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=10000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/feeds-bench"))
    ap.add_argument("--variant", help=argparse.SUPPRESS)
    ap.add_argument("--into", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    pristine = args.workdir / f"corpus-{args.size}"
    if args.variant:
        run_variant(args.variant, pristine, args.into)
        return 0
    if not (pristine / ".feeds-bench-corpus").exists():
        subprocess.run(
            [sys.executable, str(HERE / "make_corpus.py"), str(args.size), str(pristine)],
            check=True,
        )
    base = args.workdir / f"identity-{args.size}"
    shutil.rmtree(base, ignore_errors=True)
    results: dict[str, dict[str, bytes]] = {}
    for name in VARIANTS:
        work = base / name.replace(" ", "-").replace(",", "")
        work.mkdir(parents=True)
        subprocess.run(
            [sys.executable, __file__, "--size", str(args.size), "--workdir", str(args.workdir),
             "--variant", name, "--into", str(work)],
            check=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        results[name] = files_of(work)
    reference = results["all on"]
    total = sum(len(v) for v in reference.values())
    print(f"all on: {len(reference)} files, {total} bytes (public output and private output)")
    failed = False
    for name, files in results.items():
        if name == "all on":
            continue
        differ = sorted(
            n for n in reference.keys() | files.keys() if reference.get(n) != files.get(n)
        )
        failed |= bool(differ)
        verdict = "identical" if not differ else f"{len(differ)} files differ: {differ[:5]}"
        print(f"{name:<18} {len(files)} files: {verdict}")
    print(json.dumps({"identical": not failed}))
    shutil.rmtree(base, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
