#!/usr/bin/env python3
"""Load-test `feeds serve` against nginx on loopback, for one ~20 KB .atom file.

usage: python bench/serve_load.py [--workdir /tmp/feeds-bench] [--clients 16] [--requests 500]
                                  [--client auto|hey|python]

Builds (or reuses) the 1000-seed corpus and project of bench/run.py, runs `feeds generate`,
picks the .atom file closest to 20 KB, then starts `feeds serve` and nginx (Debian's
`nginx`, with a generated minimal config in a temporary folder: nothing under /etc is read or
written) on free loopback ports. Each server is driven by CLIENTS concurrent keep-alive
clients making REQUESTS requests each, without and with `Accept-Encoding: gzip`, after a
short warm-up. The load comes from `hey` (`apt-get install hey`) when installed, otherwise
from a small asyncio HTTP/1.1 client in this script (slower: it competes for the same cores).
Both servers are stopped at the end, also on Ctrl-C. Not a test: absolute numbers depend on
the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import PY, ROOT, corpus, project  # noqa: E402  (bench/run.py: the same project)

TARGET_SIZE = 20_000
NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    types {{
        application/atom+xml atom;
        application/rss+xml rss;
        application/feed+json json;
        text/html html;
        text/x-opml opml;
    }}
    charset utf-8;
    charset_types *;
    gzip on;
    gzip_types *;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location ~ /\\. {{ return 404; }}
        etag on;
    }}
}}
"""


@dataclass
class Result:
    requests: int
    errors: int  # not 200, or failed
    rps: float
    p50_ms: float
    p99_ms: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.05)
    raise SystemExit(f"{what} did not listen on port {port} within 15 s")


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@contextlib.contextmanager
def feeds_serve(config: Path, log: Path) -> Iterator[str]:
    """`feeds serve --port 0`; yields its URL, read from the start line."""
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [PY, "-m", "feeds.cli", "serve", "--config", str(config), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=err,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        try:
            assert proc.stdout is not None
            line: list[bytes] = []
            reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()))
            reader.start()
            reader.join(20)
            match = re.search(rb" at (http://\S+:(\d+)/)", line[0] if line else b"")
            if not match:
                raise SystemExit(f"feeds serve did not start; see {log}")
            wait_until_up(int(match.group(2)), proc, "feeds serve")
            yield match.group(1).decode()
        finally:
            stop(proc)


@contextlib.contextmanager
def nginx(root: Path) -> Iterator[str | None]:
    """nginx on a free loopback port serving ``root``; yields its URL (None: no nginx)."""
    exe = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if exe is None:
        print("nginx not found (apt-get install nginx): nginx rows skipped", file=sys.stderr)
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="feeds-nginx-") as tmp:
        os.chmod(tmp, 0o755)  # workers may run as an unprivileged user
        port = free_port()
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, root=root))
        proc = subprocess.Popen(
            [exe, "-p", tmp, "-c", str(conf), "-e", f"{tmp}/error.log"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            try:
                wait_until_up(port, proc, "nginx")
            except SystemExit:
                log = Path(tmp) / "error.log"
                print(log.read_text() if log.exists() else "", file=sys.stderr)
                raise
            yield f"http://127.0.0.1:{port}/"
        finally:
            stop(proc)


def check(url: str, body: bytes, coding: str) -> None:
    """One request first: the right bytes, type and coding, or the numbers mean nothing."""
    req = urllib.request.Request(url, headers={"Accept-Encoding": coding})
    with urllib.request.urlopen(req, timeout=5) as r:
        data, headers = r.read(), r.headers
    assert headers["Content-Type"] == "application/atom+xml; charset=utf-8", headers
    if coding == "gzip":
        assert headers["Content-Encoding"] == "gzip", (url, dict(headers))
        data = gzip.decompress(data)
    assert data == body, url


def run_hey(url: str, n: int, c: int, coding: str) -> Result:
    flags = ["-H", "Accept-Encoding: gzip"] if coding == "gzip" else ["-disable-compression"]
    out = subprocess.run(
        ["hey", "-n", str(n), "-c", str(c), *flags, url],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout

    def seconds(pattern: str) -> float:
        match = re.search(pattern, out)
        return float(match.group(1)) if match else float("nan")

    ok = sum(int(k) for k in re.findall(r"\[200\]\s+(\d+) responses", out))
    return Result(
        requests=n,
        errors=n - ok,
        rps=seconds(r"Requests/sec:\s+([\d.]+)"),
        p50_ms=seconds(r"50%+ in ([\d.]+) secs") * 1000,
        p99_ms=seconds(r"99%+ in ([\d.]+) secs") * 1000,
    )


async def _client(host: str, port: int, request: bytes, count: int, lat: list[float]) -> int:
    """``count`` requests on one keep-alive connection (reconnecting after a failure)."""
    errors, conn = 0, None
    for _ in range(count):
        start = time.perf_counter()
        try:
            if conn is None:
                conn = await asyncio.open_connection(host, port)
            reader, writer = conn
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            await _read_body(reader, head)
            lat.append(time.perf_counter() - start)
            errors += status != 200
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            errors += 1
            if conn is not None:
                conn[1].close()
            conn = None
    if conn is not None:
        conn[1].close()
    return errors


async def _read_body(reader: asyncio.StreamReader, head: bytes) -> None:
    """Content-Length or chunked (nginx streams gzip, so it cannot know the length)."""
    if re.search(rb"(?im)^transfer-encoding:.*chunked", head):
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, then the end
            pass
        return
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    await reader.readexactly(int(length.group(1)) if length else 0)


def run_python(url: str, n: int, c: int, coding: str) -> Result:
    match = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    assert match
    host, port, path = match.group(1), int(match.group(2)), match.group(3)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept-Encoding: {coding}\r\n\r\n"
    ).encode()
    latencies: list[float] = []

    async def main() -> int:
        per = [n // c + (i < n % c) for i in range(c)]
        counts = await asyncio.gather(*(_client(host, port, request, k, latencies) for k in per))
        return sum(counts)

    start = time.perf_counter()
    errors = asyncio.run(main())
    wall = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0
        )

    return Result(n, errors, n / wall, pct(0.50), pct(0.99))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/feeds-bench"))
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--requests", type=int, default=500, help="per client")
    ap.add_argument("--client", choices=["auto", "hey", "python"], default="auto")
    args = ap.parse_args()
    client = args.client
    if client == "auto":
        client = "hey" if shutil.which("hey") else "python"
    load = run_hey if client == "hey" else run_python
    n, c = args.clients * args.requests, args.clients

    args.workdir.mkdir(parents=True, exist_ok=True)
    root = project(1000, corpus(1000, args.workdir), args.workdir)
    config = root / "config.yaml"
    gen = subprocess.run(
        [PY, "-m", "feeds.cli", "generate", "--config", str(config)],
        capture_output=True,  # the corpus has deliberately broken seeds: their lines are noise
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if gen.returncode:
        raise SystemExit(f"feeds generate failed ({gen.returncode}):\n{gen.stderr[-2000:]}")
    output = root / "output"
    atom = min(output.glob("*.atom"), key=lambda p: abs(p.stat().st_size - TARGET_SIZE))
    body = atom.read_bytes()
    print(
        f"{atom.name}: {len(body)} bytes, {len(gzip.compress(body))} gzipped; "
        f"{c} clients x {args.requests} requests, load from {client}, {os.cpu_count()} cores"
    )

    rows: list[tuple[str, str, Result]] = []
    with feeds_serve(config, args.workdir / "serve-load.log") as ours, nginx(output) as theirs:
        servers = [("feeds serve", ours)] + ([("nginx", theirs)] if theirs else [])
        for name, base in servers:
            for coding in ("identity", "gzip"):
                url = base + atom.name
                check(url, body, coding)
                load(url, min(n, 50 * c), c, coding)  # warm-up
                rows.append((name, coding, load(url, n, c, coding)))
                print(f"  {name} {coding}: done", file=sys.stderr)

    print(
        f"\n{'server':<12} {'encoding':<9} {'requests':>8} {'errors':>6} {'req/s':>8} "
        f"{'p50':>8} {'p99':>8}"
    )
    for name, coding, r in rows:
        print(
            f"{name:<12} {coding:<9} {r.requests:>8} {r.errors:>6} {r.rps:>8.0f} "
            f"{r.p50_ms:>6.1f}ms {r.p99_ms:>6.1f}ms"
        )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # the context managers have stopped both servers
        raise SystemExit(130) from None
