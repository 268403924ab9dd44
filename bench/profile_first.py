#!/usr/bin/env python3
"""Where the CPU of a first-ever ``feeds generate`` goes, stage by stage.

usage: python bench/profile_first.py [--size 10000] [--workdir /tmp/feeds-bench]

Runs the first-ever generate of the bench site (no cache, no output) in one process
(``--jobs 1``, so every stage's CPU is in the profile, the pool workers' share included) under
cProfile, and prints the CPU seconds of each stage: imports, reading seeds, YAML parsing,
normalising, packing records and extras, selection, rendering, publishing and the parse
cache. cProfile's own overhead inflates Python-heavy stages more than C-heavy ones, so the
shares are the guide; the process's CPU time without the profiler is printed too.
"""

from __future__ import annotations

import argparse
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

STAGES = [  # (stage, file suffix, function): cumulative time of each (they do not nest)
    ("read and decode seeds", "seeds.py", "_read_all"),
    ("YAML front matter (rapidyaml, PyYAML fallback)", "seeds.py", "parse_record"),
    ("normalise (text, URLs, dates, related)", "items.py", "normalize"),
    ("pack records and extras", "extras.py", "split_all"),
    ("select every feed", "pipeline.py", "build"),  # minus rendering, below
    ("publish (write, fsync, manifest)", "pipeline.py", "publish"),
    ("save the parse cache", "pipeline.py", "save_cache"),
]


def child(workdir: Path, size: int) -> None:
    started = time.process_time()
    import feeds.cli  # noqa: F401  (the CLI's imports, as a run pays them)
    from feeds.config import load_config
    from feeds.pipeline import generate

    imported = time.process_time() - started
    project = workdir / f"profile-{size}"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    src = (workdir / f"project-{size}" / "config.yaml").read_text()
    (project / "config.yaml").write_text(src)
    config = load_config(project / "config.yaml")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)  # ryml prints on invalid YAML
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    generate(config, use_cache=False, jobs=1)
    profile.disable()
    stats = pstats.Stats(profile)
    total = imported + stats.total_tt

    def cumulative(suffix: str, name: str) -> float:
        return sum(
            v[3]
            for (path, _, func), v in stats.stats.items()  # type: ignore[attr-defined]
            if path.endswith(suffix) and func == name
        )

    render = cumulative("render.py", "render")
    rows = [("imports (feeds.cli and what it loads)", imported)]
    for label, suffix, name in STAGES:
        value = cumulative(suffix, name)
        if name == "build":  # build() selects and renders: the rendering is its own row
            rows.append((label, value - render))
            rows.append(("render (Atom, RSS, JSON Feed, pages, site pages)", render))
        else:
            rows.append((label, value))
    rows.append(("other (scan, pool bookkeeping, interpreter)", total - sum(v for _, v in rows)))
    print(f"first-ever generate of {size} seeds, one process, CPU under cProfile: {total:.2f} s")
    for label, value in rows:
        print(f"  {label:<50} {value:7.2f} s  {100 * value / total:5.1f} %")
    shutil.rmtree(project, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=10000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/feeds-bench"))
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.workdir, args.size)
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
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
        label = "one process" if jobs else "default (a pool worker per core)"
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
        ],
        env=env,
        check=True,
    )


if __name__ == "__main__":
    main()
