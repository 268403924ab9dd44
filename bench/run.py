#!/usr/bin/env python3
"""Benchmark feeds against the floor (read + parse every seed's YAML), the limit, and Hugo.

usage: python bench/run.py [--sizes 10000,100000,1000000] [--workdir /tmp/feeds-bench]
                           [--no-verify] [--no-hugo] [--json FILE]

For each size it makes (or reuses) a synthetic corpus with bench/make_corpus.py, then times in
fresh processes, one run each, every ratio against the floor measured in the same run:

* floor: a plain loop reading every seed and parsing its front matter with PyYAML's C safe
  loader, in one process (what "just parse the YAML" costs in Python);
* limit, 1 and 2 processes: reading every seed and parsing it with rapidyaml, nothing else
  (the physical limit of this machine for the parse step);
* the first-ever ``feeds generate`` (no cache, no output), again with nothing changed, again
  after one seed changed;
* daemon ticks (nothing changed, one seed changed, one seed added), timed inside one
  long-running process like the daemon's, with change notification on;
* Hugo building per-topic RSS from the same corpus (sizes up to 100k; Debian's ``hugo``).

Memory is the peak of the RSS summed over the whole process tree (the main process and its
pool workers), sampled every 10 ms with psutil (``pip install -e '.[bench]'``; without it,
the measured process's own peak from wait4). Forked workers share pages with their parent,
so the sum overstates what the machine spends; it is the conservative figure.

It also checks, seed by seed, that the rapidyaml fast path gives exactly the items PyYAML
gives (--no-verify skips that). Disk: a corpus takes ~3.6 KB per seed (35 MB at 10k, 360 MB
at 100k, 3.6 GB at 1M) plus block overhead (about 4 KB per file on ext4: 4.5 GB at 1M), and
the parse cache and output another ~1.5 KB per seed.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
FLOOR_ROW = "floor: read + PyYAML C load, 1 process"

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

# Read every seed and parse its front matter with rapidyaml into a reused tree: no JSON, no
# Python objects. What parsing costs at the least, on this machine.
LIMIT = textwrap.dedent("""
    import os, sys
    from ryml import _ryml
    import ryml
    def paths():
        for dirpath, _, names in os.walk(sys.argv[1]):
            for name in names:
                if name.endswith(".txt"):
                    yield os.path.join(dirpath, name)
    def work(files):
        tree = ryml.Tree()
        null = os.open(os.devnull, os.O_WRONLY); os.dup2(null, 2)  # ryml prints on bad YAML
        for path in files:
            with open(path, "rb") as fh:
                data = fh.read()
            end = data.find(b"\\n---", 3)
            tree.clear(); tree.clear_arena()
            try:
                _ryml.parse_csubstr(data[4:end + 1] if end > 0 else data, tree)
            except Exception:
                pass
    files = sorted(paths())
    procs = int(sys.argv[2])
    if procs == 1:
        work(files)
    else:
        pids = []
        for k in range(procs):
            pid = os.fork()
            if pid == 0:
                work(files[k::procs]); os._exit(0)
            pids.append(pid)
        for pid in pids:
            os.waitpid(pid, 0)
    print(len(files))
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
    time.sleep(3.1); pub.tick()  # past the racy window of the seeds the bench just restored
    watched = pub.pipeline._watcher is not None
    def ms():
        r = pub.tick()
        return r.ms, r
    idle = sorted(ms()[0] for _ in range(15))
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
    print(json.dumps({"idle": statistics.median(idle), "idle_max": idle[-1],
                      "changed": changed, "added": new, "watched": watched,
                      "parsed": [r1.parsed, r2.parsed], "lines": [r1.line(), r2.line()]}))
""")


class TreeMemory:
    """Samples the summed RSS of a process and all its descendants until it exits."""

    def __init__(self, pid: int) -> None:
        self.peak = 0
        try:
            import psutil
        except ImportError:
            self.psutil = None
            return
        self.psutil = psutil
        self.root = psutil.Process(pid)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        psutil = self.psutil
        while not self.done.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                break
            total = 0
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            self.peak = max(self.peak, total)
            self.done.wait(0.01)

    def stop(self) -> float | None:
        if self.psutil is None:
            return None
        self.done.set()
        self.thread.join()
        return self.peak / 2**20


def timed(
    cmd: list[str], cwd: Path | None = None, env: dict | None = None
) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB (summed over the process tree), and stdout."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )
    memory = TreeMemory(proc.pid)
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    readers = [
        threading.Thread(target=lambda: out_chunks.append(proc.stdout.read())),  # type: ignore[union-attr]
        threading.Thread(target=lambda: err_chunks.append(proc.stderr.read())),  # type: ignore[union-attr]
    ]
    for r in readers:
        r.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    for r in readers:
        r.join()
    summed = memory.stop()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        err = b"".join(err_chunks).decode(errors="replace")
        raise SystemExit(f"{' '.join(cmd)} failed ({code}):\n{err[-2000:]}")
    rss = summed if summed is not None else usage.ru_maxrss / 1024
    return wall, rss, b"".join(out_chunks).decode()


def corpus(n: int, work: Path) -> Path:
    path = work / f"corpus-{n}"
    if not (path / ".feeds-bench-corpus").exists():
        subprocess.run([PY, str(HERE / "make_corpus.py"), str(n), str(path), "--clean"], check=True)
    return path


def config_text(seeds: Path) -> str:
    """The benchmark site: every published item, an editors' review queue (a private feed,
    as the shipped one is) and one automatic feed per topic."""
    return textwrap.dedent(f"""
        site: {{title: Bench, url: "https://example.org/feeds/"}}
        seeds: {seeds}
        output: output
        cache: cache
        defaults: {{min_quality: 40}}
        auto_topics: true
        feeds:
          - {{slug: all, title: Everything published}}
          - {{slug: review, title: Review queue, status: any, min_quality: 0, private: true}}
    """)


def project(n: int, seeds: Path, work: Path) -> Path:
    root = work / f"project-{n}"
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.yaml").write_text(config_text(seeds))
    return root


VERIFIED: dict[int, str] = {}


def bench(
    n: int, work: Path, verify: bool = True, hugo: bool = True
) -> dict[str, tuple[float, float]]:
    seeds = corpus(n, work)
    root = project(n, seeds, work)
    config = root / "config.yaml"
    generate = [PY, "-m", "feeds.cli", "generate", "--config", str(config)]
    results: dict[str, tuple[float, float]] = {}

    def row(name: str, wall: float, rss: float) -> None:
        results[name] = (wall, rss)
        print(f"  {n:>8} {name:<42} {fmt_time(wall):>9} {rss:7.0f} MB", file=sys.stderr, flush=True)

    wall, rss, _ = timed([PY, "-c", FLOOR, str(seeds)])
    row(FLOOR_ROW, wall, rss)
    for procs in (1, 2):
        wall, rss, _ = timed([PY, "-c", LIMIT, str(seeds), str(procs)])
        row(f"limit: read + rapidyaml parse, {procs} process{'es' if procs > 1 else ''}", wall, rss)
    if verify:
        _, _, out = timed([PY, "-c", VERIFY, str(seeds)])
        v = json.loads(out)
        VERIFIED[n] = (
            f"{v['total']} seeds, {v['fast']} parsed by rapidyaml, items identical "
            f"to PyYAML's for {v['same']}: "
            + ("all identical" if v["same"] == v["total"] else "MISMATCH")
        )
    for folder in ("output", "cache", ".feeds"):
        shutil.rmtree(root / folder, ignore_errors=True)
    wall, rss, _ = timed(generate)
    row("generate, first ever (no cache)", wall, rss)
    wall, rss, _ = timed(generate)
    row("generate, nothing changed", wall, rss)
    victim = sorted((seeds / "000").glob("*.txt"))[7]
    original = victim.read_bytes()
    try:
        victim.write_bytes(original.replace(b'title: "', b'title: "Edited: ', 1))
        wall, rss, _ = timed(generate)
        row("generate, one seed changed", wall, rss)
    finally:
        victim.write_bytes(original)
    timed(generate)  # back in step with the corpus
    added = seeds / "000" / "zz-bench-added.txt"
    wall, rss, out = timed([PY, "-c", TICKS, str(config), str(victim), str(added)])
    ticks = json.loads(out)
    how = "inotify" if ticks["watched"] else "scan"
    row(f"daemon tick, nothing changed ({how})", ticks["idle"] / 1000, rss)
    row(f"daemon tick, one seed changed ({how})", ticks["changed"] / 1000, rss)
    row(f"daemon tick, one seed added ({how})", ticks["added"] / 1000, rss)
    if hugo and n <= 100_000:
        sys.path.insert(0, str(HERE))
        try:
            from hugo import hugo_available, time_hugo  # type: ignore[import-not-found]
        except ImportError:
            hugo_available = None  # type: ignore[assignment]
        if hugo_available is not None and hugo_available():
            h = time_hugo(seeds, work / f"hugo-{n}")
            row("hugo, per-topic RSS (both cores)", h["seconds"], h["peak_rss_mb"])
    return results


def fmt_time(seconds: float) -> str:
    if seconds < 0.01:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def table(results: dict[int, dict[str, tuple[float, float]]]) -> str:
    sizes = list(results)
    rows = list(next(iter(results.values())))
    for row in (r for t in results.values() for r in t):
        if row not in rows:
            rows.append(row)
    width = max(map(len, rows))
    lines = [
        f"feeds bench on {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"load average {os.getloadavg()[0]:.2f} at the end",
        f"{'':<{width}}" + "".join(f" | {n:>7} seeds:  time  ×floor  RSS sum" for n in sizes),
    ]
    lines.append("-" * len(lines[1]))
    for row in rows:
        line = f"{row:<{width}}"
        for n in sizes:
            if row not in results[n]:
                line += " | " + " " * 32
                continue
            wall, rss = results[n][row]
            floor = results[n][FLOOR_ROW][0]
            line += f" | {fmt_time(wall):>13} {wall / floor:6.3f} {rss:6.0f}MB"
        lines.append(line)
    for n, text in VERIFIED.items():
        lines.append(f"fast YAML path at {n}: {text}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/feeds-bench"))
    ap.add_argument("--no-verify", action="store_true", help="skip the rapidyaml/PyYAML check")
    ap.add_argument("--no-hugo", action="store_true", help="skip Hugo")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    args.workdir.mkdir(parents=True, exist_ok=True)
    # feeds runs from this checkout: give its modules the bytecode `pip install` gives an
    # installed package, or every timed run compiles them again (~0.1 s) wherever Python may
    # not write __pycache__ (PYTHONDONTWRITEBYTECODE, a read-only tree).
    compileall.compile_dir(ROOT / "feeds", quiet=1)
    results = {n: bench(n, args.workdir, not args.no_verify, not args.no_hugo) for n in sizes}
    print("\n" + table(results))
    if args.json:
        args.json.write_text(json.dumps({str(n): r for n, r in results.items()}, indent=1))


if __name__ == "__main__":
    main()
