#!/usr/bin/env python3
"""Benchmark feeds against the floor (read + parse every seed's YAML), and Hugo if installed.

usage: python bench/run.py [--sizes 1000,10000,100000] [--workdir /tmp/feeds-bench]

For each size it makes (or reuses) a synthetic corpus with bench/make_corpus.py, then times in
fresh processes: the floor (a plain loop reading every seed and parsing its front matter with
PyYAML's C safe loader), the first-ever `feeds generate` (no cache, no output), `feeds
generate` again with nothing changed, again after one seed changed, and daemon ticks (nothing
changed, one seed changed, one seed added). It also checks, seed by seed, that the rapidyaml
fast path gives exactly the items PyYAML gives (--no-verify skips that). Every figure is also
printed as a ratio to the floor, since absolute times on shared machines drift. Peak RSS is
the measured process's own (os.wait4), in MB; ticks are timed inside one long-running
process, like the daemon's.
Not run by CI: a 100k run takes several minutes and about 2 GB of disk.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable

FLOOR = textwrap.dedent("""
    import os, sys, yaml
    loader = yaml.CSafeLoader
    n = 0
    for dirpath, _, names in os.walk(sys.argv[1]):
        for name in names:
            if not name.endswith(".txt"):
                continue
            with open(os.path.join(dirpath, name), "rb") as fh:
                text = fh.read().decode("utf-8", "replace")
            parts = text.split("\\n---", 1)
            head = parts[0][4:] if text.startswith("---") else ""
            try:
                yaml.load(head, Loader=loader)
            except yaml.YAMLError:
                pass
            n += 1
    print(n)
""")

VERIFY = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path
    import feeds.seeds as seeds
    from feeds.fastyaml import load_front_matter
    from feeds.incremental import load_seed
    from feeds.problems import SeedError
    null = os.open(os.devnull, os.O_WRONLY); os.dup2(null, 2)  # ryml prints on bad YAML
    total = fast = same = 0
    for seed in seeds.discover(Path(sys.argv[1])):
        total += 1
        try:
            body = seeds.front_matter(seeds.decode(Path(seed.path).read_bytes(), ""), "")[0]
            fast += load_front_matter(body) is not None
        except SeedError:
            pass
        same += load_seed(seed, fast=True) == load_seed(seed, fast=False)
    print(json.dumps({"total": total, "fast": fast, "same": same}))
""")

TICKS = textwrap.dedent("""
    import json, statistics, sys, time
    from pathlib import Path
    from feeds.config import load_config
    from feeds.daemon import Daemon
    config = load_config(Path(sys.argv[1]))
    victim, added = Path(sys.argv[2]), Path(sys.argv[3])
    pub = Daemon(Path(sys.argv[1]), config)
    pub.tick(); pub.tick()  # warm: the daemon's steady state
    def ms():
        r = pub.tick()
        return r.ms, r
    idle = sorted(ms()[0] for _ in range(7))
    original = victim.read_bytes()
    victim.write_bytes(original.replace(b'title: "', b'title: "Changed: ', 1))
    changed, r1 = ms()
    victim.write_bytes(original)
    ms()
    added.write_bytes(original.replace(b'title: "', b'title: "Added: ', 1)
                      .replace(b"https://", b"https://added.", 2))
    new, r2 = ms()
    added.unlink()
    ms()
    print(json.dumps({"idle": statistics.median(idle), "changed": changed, "added": new,
                      "parsed": [r1.parsed, r2.parsed]}))
""")


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) of the process itself, and its stdout."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0,):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024, out


def corpus(n: int, work: Path) -> Path:
    path = work / f"corpus-{n}"
    if not (path / ".feeds-bench-corpus").exists():
        subprocess.run([PY, str(HERE / "make_corpus.py"), str(n), str(path), "--clean"], check=True)
    return path


def project(n: int, seeds: Path, work: Path) -> Path:
    root = work / f"project-{n}"
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.yaml").write_text(
        textwrap.dedent(f"""
        site: {{title: Bench, url: "https://example.org/feeds/"}}
        seeds: {seeds}
        output: output
        cache: cache
        defaults: {{min_quality: 40}}
        auto_topics: true
        feeds:
          - {{slug: all, title: Everything published}}
          - {{slug: review, title: Review queue, status: any, min_quality: 0}}
    """)
    )
    return root


VERIFIED: dict[int, str] = {}


def bench(n: int, work: Path, verify: bool = True) -> dict[str, tuple[float, float]]:
    seeds = corpus(n, work)
    root = project(n, seeds, work)
    config = root / "config.yaml"
    generate = [PY, "-m", "feeds.cli", "generate", "--config", str(config)]
    results: dict[str, tuple[float, float]] = {}
    wall, rss, _ = timed([PY, "-c", FLOOR, str(seeds)])
    results["floor: read + C-safe-load every seed"] = (wall, rss)
    if verify:
        _, _, out = timed([PY, "-c", VERIFY, str(seeds)])
        v = json.loads(out)
        VERIFIED[n] = (
            f"{v['total']} seeds, {v['fast']} parsed by rapidyaml, items identical "
            f"to PyYAML's for {v['same']}: "
            + ("all identical" if v["same"] == v["total"] else "MISMATCH")
        )
    shutil.rmtree(root / "output", ignore_errors=True)
    shutil.rmtree(root / "cache", ignore_errors=True)
    wall, rss, _ = timed(generate)
    results["generate, first ever (no cache)"] = (wall, rss)
    wall, rss, _ = timed(generate)
    results["generate, nothing changed"] = (wall, rss)
    victim = sorted((seeds / "000").glob("*.txt"))[7]
    original = victim.read_bytes()
    try:
        victim.write_bytes(original.replace(b'title: "', b'title: "Edited: ', 1))
        wall, rss, _ = timed(generate)
        results["generate, one seed changed"] = (wall, rss)
    finally:
        victim.write_bytes(original)
    timed(generate)  # back in step with the corpus
    added = seeds / "000" / "zz-bench-added.txt"
    wall, rss, out = timed([PY, "-c", TICKS, str(config), str(victim), str(added)])
    ticks = json.loads(out)
    results["daemon tick, nothing changed"] = (ticks["idle"] / 1000, rss)
    results["daemon tick, one seed changed"] = (ticks["changed"] / 1000, rss)
    results["daemon tick, one seed added"] = (ticks["added"] / 1000, rss)
    sys.path.insert(0, str(HERE))
    try:
        from hugo import hugo_available, time_hugo  # type: ignore[import-not-found]
    except ImportError:
        hugo_available = None  # type: ignore[assignment]
    if hugo_available is not None and hugo_available():
        h = time_hugo(seeds, work / f"hugo-{n}")
        results["hugo, per-topic RSS (both cores)"] = (h["seconds"], h["peak_rss_mb"])
    return results


def fmt_time(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/feeds-bench"))
    ap.add_argument(
        "--no-verify",
        action="store_true",
        help="skip checking that the rapidyaml path gives PyYAML's items",
    )
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    args.workdir.mkdir(parents=True, exist_ok=True)
    table = {n: bench(n, args.workdir, not args.no_verify) for n in sizes}
    rows = list(next(iter(table.values())))
    for row in (r for t in table.values() for r in t):
        if row not in rows:
            rows.append(row)
    width = max(map(len, rows))
    print(f"\nfeeds bench on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    header = f"{'':<{width}}" + "".join(f" | {n:>7} seeds: time  ×floor   RSS" for n in sizes)
    print(header)
    print("-" * len(header))
    for row in rows:
        line = f"{row:<{width}}"
        for n in sizes:
            if row not in table[n]:
                line += " | " + " " * 30
                continue
            wall, rss = table[n][row]
            floor = table[n]["floor: read + C-safe-load every seed"][0]
            line += f" | {fmt_time(wall):>13} {wall / floor:6.3f} {rss:5.0f}MB"
        print(line)
    for n, text in VERIFIED.items():
        print(f"fast YAML path at {n}: {text}")


if __name__ == "__main__":
    main()
