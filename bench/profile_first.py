#!/usr/bin/env python3
"""Where the CPU of a first-ever ``feeds generate`` goes, stage by stage.

usage: python bench/profile_first.py [--size 10000] [--workdir /tmp/feeds-bench] [--top 25]

Runs the first-ever generate of the bench site (no cache, no output) with every seed parsed
in one process, as a pool worker parses it (rapidyaml first), and prints the CPU seconds of
each stage: imports, reading seeds, YAML parsing, normalising, packing records and extras,
selection, rendering, publishing and the parse cache. Each stage is timed by a CPU clock
around its function (a few hundred ns a call): cProfile inflates Python-heavy stages about
3x, so it would misstate the shares. ``--top N`` also prints cProfile's N costliest
functions of a second, profiled run. The wall and CPU time of the real run (one parser
process, and one per core) come first.
"""

from __future__ import annotations

import argparse
import compileall
import cProfile
import os
import pstats
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

STAGES = [  # (stage, module, function, stages timed inside it, to subtract)
    ("read and decode seeds", "feeds.incremental", "read_seed", ("parse_record",)),
    ("YAML front matter (rapidyaml, PyYAML fallback)", "feeds.seeds", "parse_record", ()),
    ("normalise (text, URLs, dates, related)", "feeds.incremental", "normalize", ()),
    ("pack records and extras", "feeds.incremental", "split_all", ()),
    ("select every feed", "feeds.pipeline", "build", ("render",)),
    ("render (Atom, RSS, JSON Feed, pages, site pages)", "feeds.pipeline", "render", ()),
    ("publish (write, fsync, manifest)", "feeds.pipeline", "Destination.publish", ()),
    ("save the parse cache", "feeds.pipeline", "Pipeline.save_cache", ()),
]


def child(workdir: Path, size: int, top: int) -> None:
    started = time.process_time()
    import importlib

    import feeds.cli  # the CLI's imports, as a run pays them
    import feeds.render
    from feeds import incremental
    from feeds.config import load_config
    from feeds.pipeline import generate

    imported = time.process_time() - started
    # Parse in this process (no pool), with the fast path a worker uses: stderr is closed
    # below, as a worker closes it for ryml.
    split = incremental._parse_split
    incremental.PARALLEL_MIN = 1 << 62
    incremental._parse_split = lambda seeds, authority, limits, fast=True: split(
        seeds, authority, limits, True
    )
    spent: dict[str, float] = {}
    clock = time.process_time

    def timed(key: str, fn):  # type: ignore[no-untyped-def]
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            t = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[key] = spent.get(key, 0.0) + clock() - t

        return wrapper

    # render() is what build() calls by name from the pipeline module (imported lazily there).
    feeds.render.render = timed("render", feeds.render.render)
    for _, module, name, _ in STAGES:
        if name == "render":
            continue
        owner = importlib.import_module(module)
        *path, attr = name.split(".")
        for part in path:
            owner = getattr(owner, part)
        setattr(owner, attr, timed(attr, getattr(owner, attr)))

    project = workdir / f"profile-{size}"
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)  # ryml prints on invalid YAML

    def fresh():  # type: ignore[no-untyped-def]
        shutil.rmtree(project, ignore_errors=True)
        project.mkdir(parents=True)
        src = (workdir / f"project-{size}" / "config.yaml").read_text()
        (project / "config.yaml").write_text(src)
        return load_config(project / "config.yaml")

    config = fresh()
    t0 = clock()
    generate(config, use_cache=False)
    total = imported + clock() - t0
    rows = [("imports (feeds.cli and what it loads)", imported)]
    for label, _, name, inner in STAGES:
        key = name.rpartition(".")[2]
        rows.append((label, spent.get(key, 0.0) - sum(spent.get(i, 0.0) for i in inner)))
    rows.append(("other (scan, records, interpreter)", total - sum(v for _, v in rows)))
    print(f"first-ever generate of {size} seeds, all in one process: {total:.2f} CPU-seconds")
    for label, value in rows:
        print(f"  {label:<50} {value:7.2f} s  {100 * value / total:5.1f} %")
    if top:
        config = fresh()
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        generate(config, use_cache=False)
        profile.disable()
        print(f"\ncProfile of the same run, {top} costliest functions by own time:")
        pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(top)
    shutil.rmtree(project, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=10000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/feeds-bench"))
    ap.add_argument("--top", type=int, default=0, help="also print cProfile's costliest N")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.workdir, args.size, args.top)
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    compileall.compile_dir(ROOT / "feeds", quiet=1)  # as bench/run.py does
    project = args.workdir / f"project-{args.size}"
    if not (project / "config.yaml").exists():
        raise SystemExit(f"run bench/run.py --sizes {args.size} first (it makes {project})")
    # Without the profiler: the CPU the same run takes in one process, and with the pool.
    for jobs in ("1", None):
        scratch = args.workdir / f"profile-{args.size}-plain"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        (scratch / "config.yaml").write_text((project / "config.yaml").read_text())
        cmd = [
            sys.executable,
            "-m",
            "feeds.cli",
            "generate",
            "--config",
            str(scratch / "config.yaml"),
        ]
        cmd += ["--jobs", jobs] if jobs else []
        t0 = time.perf_counter()
        before = os.times()
        subprocess.run(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )
        after = os.times()
        cpu = (after.children_user - before.children_user) + (
            after.children_system - before.children_system
        )
        wall = time.perf_counter() - t0
        label = "one parser process" if jobs else "default (a parser process per core)"
        print(f"without the profiler, {label}: {wall:.2f} s wall, {cpu:.2f} s CPU (all processes)")
        shutil.rmtree(scratch, ignore_errors=True)
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            "--size",
            str(args.size),
            "--workdir",
            str(args.workdir),
            "--top",
            str(args.top),
        ],
        env=env,
        check=True,
    )


if __name__ == "__main__":
    main()
