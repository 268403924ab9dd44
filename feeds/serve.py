"""``feeds serve``: the output folder over HTTP, the way feed readers want it.

A small Starlette endpoint on uvicorn rather than StaticFiles, which serves dotfiles (the lock,
the manifest, a writer's temporaries), takes types from /etc/mime.types and gives gzip and
identity one ETag. Each file version (device, inode, size, mtime, ctime) is read once: its
ETag is a hash of its bytes and its gzip body is made once, so an atomic replace is seen on
the next request even when size and mtime did not change. Serving only reads: it takes no
lock, so ``feeds generate`` and ``feeds run`` write beside it.

Only this module imports uvicorn and Starlette (about 200 ms), and the CLI imports it lazily.
"""

from __future__ import annotations

import calendar
import errno
import gzip
import hashlib
import hmac
import logging
import os
import re
import signal
import socket
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate, parsedate
from pathlib import Path
from types import FrameType, TracebackType

import anyio.to_thread
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from feeds.config import Config
from feeds.errors import ServeError
from feeds.files import content_type

__all__ = ["ServerThread", "listen", "make_app", "serve"]

TOKEN_ENV = "FEEDS_PRIVATE_TOKEN"
TOKEN_RE = re.compile(r"^[A-Za-z0-9._~-]{16,}$")  # one URL path segment, never re-encoded
PRIVATE_PREFIX = "/private/"
GZIP_MIN_SIZE = 512  # smaller bodies gain nothing worth a header
CACHE_BYTES = 64 * 1024 * 1024  # file versions kept in memory (bodies plus gzip bodies)
GRACEFUL_STOP = 5.0  # seconds open connections get to finish when the server stops
START_TIMEOUT = 10.0
BACKLOG = 2048
NOT_FOUND = b"404 Not Found\n"

access_log = logging.getLogger("feeds.serve.access")

_Key = tuple[int, int, int, int, int]


@dataclass(frozen=True, slots=True)
class Version:
    """One version of one file, ready to send."""

    body: bytes
    gz: bytes | None  # None: too small to be worth it, or gzip is no smaller
    digest: str
    mtime: int  # whole seconds, as Last-Modified has them
    content_type: str

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gz or b"")


def _key(st: os.stat_result) -> _Key:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _read(path: str) -> tuple[_Key, Version] | None:
    """Read one file and prepare it (in a worker thread: hashing and gzip take time)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())  # the version actually read, not the one stat()ed
            if not stat.S_ISREG(st.st_mode):
                return None
            body = fh.read()
    except (OSError, ValueError):  # vanished, unreadable, ELOOP...
        return None
    gz = gzip.compress(body, compresslevel=9, mtime=0) if len(body) >= GZIP_MIN_SIZE else None
    if gz is not None and len(gz) >= len(body):
        gz = None
    digest = hashlib.blake2b(body, digest_size=16).hexdigest()
    return _key(st), Version(body, gz, digest, int(st.st_mtime), content_type(path))


class Folder:
    """Regular files strictly inside one folder, by URL path, each version read only once."""

    def __init__(self, root: Path) -> None:
        self.root = os.path.realpath(root)
        self._cache: OrderedDict[str, tuple[_Key, Version]] = OrderedDict()
        self._cached = 0  # bytes held by the cache

    def resolve(self, rel: str) -> str | None:
        """The real path ``rel`` names, or None for a hidden name, a name outside the folder
        (whatever the spelling, or through a symlink) or a symlink to a hidden file."""
        if rel == "" or rel.endswith("/"):
            rel += "index.html"
        parts = rel.split("/")
        if any(p == "" or p.startswith(".") or "\\" in p or "\x00" in p for p in parts):
            return None
        try:
            full = os.path.realpath(os.path.join(self.root, *parts))
        except (OSError, ValueError):
            return None
        if os.path.commonpath([full, self.root]) != self.root or full == self.root:
            return None
        if any(p.startswith(".") for p in os.path.relpath(full, self.root).split(os.sep)):
            return None
        return full

    async def get(self, rel: str) -> Version | None:
        path = self.resolve(rel)
        if path is None:
            return None
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        hit = self._cache.get(path)
        if hit is not None and hit[0] == _key(st):
            self._cache.move_to_end(path)
            return hit[1]
        loaded = await anyio.to_thread.run_sync(_read, path)
        if loaded is None:
            return None
        self._remember(path, *loaded)
        return loaded[1]

    def _remember(self, path: str, key: _Key, version: Version) -> None:
        old = self._cache.pop(path, None)
        if old is not None:
            self._cached -= old[1].size
        if version.size > CACHE_BYTES // 4:
            return  # a huge file is served but not kept
        self._cache[path] = (key, version)
        self._cached += version.size
        while self._cached > CACHE_BYTES:
            _, (_, evicted) = self._cache.popitem(last=False)
            self._cached -= evicted.size


def accepts_gzip(header: str) -> bool:
    """Accept-Encoding allows gzip (or ``*``) with q > 0; ``gzip;q=0`` refuses it."""
    q_by_coding: dict[str, float] = {}
    for item in header.lower().split(","):
        coding, _, params = item.strip().partition(";")
        match = re.search(r"q=([0-9.]+)", params)
        try:
            q_by_coding[coding.strip()] = float(match.group(1)) if match else 1.0
        except ValueError:
            q_by_coding[coding.strip()] = 0.0
    return q_by_coding.get("gzip", q_by_coding.get("*", 0.0)) > 0


def not_modified(request: Request, etag: str, mtime: int) -> bool:
    """RFC 9110 §13.2.2: If-None-Match (weak comparison) wins over If-Modified-Since."""
    inm = request.headers.get("if-none-match")
    if inm is not None:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return "*" in tags or etag in tags
    # timegm, not parsedate_to_datetime().timestamp(), which reads a -0000 date as local time
    ims = parsedate(request.headers.get("if-modified-since", ""))
    return ims is not None and mtime <= calendar.timegm(ims[:6])


def _respond(request: Request, status: int, body: bytes, headers: dict[str, str]) -> Response:
    """HEAD gets GET's headers (with the Content-Length GET would send) and no body."""
    headers["content-length"] = str(len(body))
    return Response(b"" if request.method == "HEAD" else body, status, headers)


def private_token(token: str | None) -> bytes:
    """The private area's token (from FEEDS_PRIVATE_TOKEN unless given), checked usable."""
    token = os.environ.get(TOKEN_ENV, "") if token is None else token
    if not TOKEN_RE.match(token):
        raise ServeError(
            f"the private area needs {TOKEN_ENV}: at least 16 characters from A-Z a-z 0-9 "
            "- . _ ~, e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return token.encode()


def app_for(config: Config) -> tuple[ASGIApp, str]:
    """The app serving a config's output, and its private feeds when FEEDS_PRIVATE_TOKEN is
    set (without it, /private/ is a 404 like any missing file); and what the start line adds.
    ServeError for an object-store output, or a token too weak to keep anything private."""
    if config.output is None:
        raise ServeError(
            f"feeds serves a local output folder, not {config.output_url}: serve the bucket "
            "through its CDN instead"
        )
    private = config.private_output if os.environ.get(TOKEN_ENV) else None
    app = make_app(config.output, config.max_age, private=private)
    if private is not None:
        return app, f", and {private} at /private/<token>/"
    if any(feed.private for feed in config.feeds):
        return app, f"; private feeds are not served ({TOKEN_ENV} is not set)"
    return app, ""


def make_app(
    public: Path, max_age: int, *, private: Path | None = None, token: str | None = None
) -> ASGIApp:
    """The ASGI app serving ``public`` (and ``private`` under /private/<token>/, if given).

    Cache-Control is ``public, max-age=max_age`` (``private`` in the private area). A wrong,
    missing or odd token is the same 404 as a missing file, so the area cannot be probed.
    Raises ServeError when ``private`` is given without a usable token.
    """
    files = Folder(public)
    secret = private_token(token) if private is not None else b""
    secret_files = Folder(private) if private is not None else None

    async def not_found(request: Request) -> Response:
        page = await files.get("404.html")  # the folder's own page, if it has one
        body = page.body if page else NOT_FOUND
        ctype = page.content_type if page else "text/plain; charset=utf-8"
        return _respond(request, 404, body, {"content-type": ctype, "cache-control": "no-cache"})

    def send(request: Request, version: Version, cache_control: str) -> Response:
        gz = version.gz if accepts_gzip(request.headers.get("accept-encoding", "")) else None
        etag = f'"{version.digest}"' if gz is None else f'"{version.digest}-gz"'
        headers = {
            "etag": etag,
            "last-modified": formatdate(version.mtime, usegmt=True),
            "cache-control": cache_control,
            "vary": "Accept-Encoding",
        }
        if not_modified(request, etag, version.mtime):
            return Response(status_code=304, headers=headers)
        headers["content-type"] = version.content_type
        headers["x-content-type-options"] = "nosniff"
        if gz is not None:
            headers["content-encoding"] = "gzip"
        return _respond(request, 200, version.body if gz is None else gz, headers)

    async def public_file(request: Request) -> Response:
        version = await files.get(request.path_params["path"])
        if version is None:
            return await not_found(request)
        return send(request, version, f"public, max-age={max_age}")

    async def private_file(request: Request) -> Response:
        # bytes: compare_digest raises TypeError on non-ASCII str (a 500 that tells too much)
        given = request.path_params["token"].encode("utf-8", "surrogateescape")
        if secret_files is None or not hmac.compare_digest(given, secret):
            return await not_found(request)
        version = await secret_files.get(request.path_params["path"])
        if version is None:
            return await not_found(request)
        return send(request, version, f"private, max-age={max_age}")

    routes = [Route("/{path:path}", public_file, methods=["GET", "HEAD"])]
    if secret_files is not None:
        route = Route(PRIVATE_PREFIX + "{token}/{path:path}", private_file, methods=["GET", "HEAD"])
        routes.insert(0, route)
    return AccessLog(Starlette(routes=routes))


class AccessLog:
    """One Combined Log Format line per request, plus its duration, after it is answered.

    uvicorn's own access log is off: it logs the decoded path (the private token with it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status, size = time.perf_counter(), 500, 0

        async def send_logged(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and scope["method"] != "HEAD":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            headers = dict(scope["headers"])
            client = scope["client"][0] if scope.get("client") else "-"
            access_log.info(
                '%s - - [%s] "%s %s HTTP/%s" %d %d "%s" "%s" %.1fms',
                client,
                time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
                scope["method"],
                _clean(_logged_target(scope)),
                scope["http_version"],
                status,
                size,
                _clean(_redact(headers.get(b"referer", b"-").decode("latin-1"))),
                _clean(headers.get(b"user-agent", b"-").decode("latin-1")),
                (time.perf_counter() - start) * 1000,
            )


def _logged_target(scope: Scope) -> str:
    """The target as sent, except that a private-area token is never logged. The router
    matches the decoded path, so that decides (``/private%2fTOKEN/`` is redacted too)."""
    path: str = scope["path"]
    if path.startswith(PRIVATE_PREFIX):
        _, slash, rest = path.removeprefix(PRIVATE_PREFIX).partition("/")
        return PRIVATE_PREFIX + "-" + slash + rest
    raw: bytes = scope.get("raw_path") or path.encode()
    return raw.decode("latin-1")


def _redact(text: str) -> str:
    return re.sub(r"/private/[^/?#]*", "/private/-", text)


def _clean(text: str) -> str:
    """Control characters, quotes and backslashes as \\xNN: one line, unambiguous fields."""
    return re.sub(r'[\x00-\x1f\x7f-\x9f"\\]', lambda m: f"\\x{ord(m.group()):02x}", text)


def listen(
    host: str, port: int, *, options: tuple[str, str] = ("--host", "--port")
) -> socket.socket:
    """A listening TCP socket (port 0 picks a free one); ServeError names the fix, using the
    command-line ``options`` that choose the host and the port.

    We bind, not uvicorn, so that port 0 works and the real address is known. proto must be
    IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only then, and without it every
    response waits ~40 ms for a delayed ACK (h11 writes headers and body separately).
    """
    where = f"{host}:{port}"
    try:
        family, *_, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ServeError(
            f"cannot listen on {where}: {reason}; choose another {options[0]}"
        ) from None
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # not a port in use: TIME_WAIT
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        fix = {
            errno.EADDRINUSE: ("address already in use", f"choose another {options[1]}"),
            errno.EACCES: ("permission denied", f"choose a {options[1]} above 1023"),
            errno.EADDRNOTAVAIL: ("not an address of this machine", f"choose another {options[0]}"),
        }.get(exc.errno or 0, (exc.strerror or str(exc), f"check {options[0]} and {options[1]}"))
        raise ServeError(f"cannot listen on {where}: {fix[0]}; {fix[1]}") from None
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def _server(app: ASGIApp) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        access_log=False,  # ours is AccessLog: uvicorn's would log the private token
        log_config=None,  # leave the process's logging (the daemon's) as it is
        server_header=False,
        lifespan="off",
        timeout_graceful_shutdown=GRACEFUL_STOP,  # None would wait for busy clients forever
    )
    # uvicorn's start and stop chatter: the caller prints its own start line
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    return uvicorn.Server(config)


def serve(
    app: ASGIApp,
    host: str,
    port: int,
    *,
    ready: Callable[[str], None] = lambda url: None,
) -> int:
    """Serve in the main thread until SIGTERM or SIGINT, then stop gracefully and return 0.

    ``ready(url)`` is called once the socket listens. Our own handlers are installed first
    because uvicorn, after a graceful stop, restores the previous handlers and re-raises the
    signal: with the default ones the process would die with 143 after stopping cleanly.
    """
    server = _server(app)

    def stop(signum: int, frame: FrameType | None) -> None:
        server.should_exit = True  # also when it comes before uvicorn's own handlers

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with listen(host, port) as sock:
            ready(url_of(sock))
            server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


class ServerThread:
    """The server in a background thread, for a process that does other work (``feeds run``).

    The socket is bound at construction (ServeError if it cannot be), so ``url`` is known
    before ``start()``. ``start()`` returns once connections are accepted; ``stop()`` (safe to
    call twice, or without start) returns once the server has stopped. uvicorn installs no
    signal handlers off the main thread: the owner handles signals and calls ``stop()``. Also
    a context manager: ``with ServerThread(app, host, port) as server: ...``.
    """

    def __init__(
        self,
        app: ASGIApp,
        host: str,
        port: int,
        *,
        options: tuple[str, str] = ("--host", "--port"),
    ) -> None:
        self._sock = listen(host, port, options=options)
        self.url = url_of(self._sock)
        self.port: int = self._sock.getsockname()[1]
        self._server = _server(app)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="feeds-serve"
        )
        self._thread.daemon = True

    def start(self, timeout: float = START_TIMEOUT) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ServeError(f"{self.url}: the server did not start within {timeout:g} s")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = GRACEFUL_STOP + 5) -> None:
        self._server.should_exit = True  # uvicorn polls it every 0.1 s
        if self._thread.is_alive():
            self._thread.join(timeout)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(1.0)
        self._sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
