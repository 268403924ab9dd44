"""An object store as the destination: ``s3://bucket/prefix/`` through s3fs (and ``gs://``,
``az://`` through their fsspec back ends).

Every object is written by one PUT, which is atomic per object: a reader or a CDN gets the
old bytes or the new ones. The store's ETag is each object's version (an opaque token; it is
an MD5 only for plain single-PUT S3 objects). Credentials come from the environment and the
standard credential chains, never from config.yaml. Every call runs under fsspec's hard
deadline: a hung endpoint makes PutObject wait for ever otherwise (botocore's
``Expect: 100-continue``), whatever the read timeout says.

One writer per destination: besides the local lock, a lock object next to the prefix
(``<prefix>.feeds-lock``; ``.feeds-lock`` inside a bucket root) is created by a conditional
write, ``If-None-Match: *``, where the store honours it; a lock older than
:data:`STALE_AFTER` (a writer that died) is taken over, and a running daemon refreshes its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from feeds.errors import OutputBusy, StoreError
from feeds.store import Meta

log = logging.getLogger("feeds")
REMOTE_SCHEMES = ("s3", "s3a", "gs", "gcs", "az", "abfs", "abfss")
OP_TIMEOUT = 30.0  # seconds any one store call may take
STALE_AFTER = 15 * 60  # seconds after which another writer's lock is taken over
# Keys that would put credentials into config.yaml (compared case-insensitively).
SECRET_KEYS = frozenset(
    {
        "key", "secret", "token", "password", "session_token", "aws_access_key_id",
        "aws_secret_access_key", "aws_session_token", "client_secret", "account_key",
        "sas_token", "connection_string", "credentials", "access_key", "secret_key",
    }
)  # fmt: skip


def _hostname() -> str:
    import socket  # only object-store runs need it: config validation imports this module

    return socket.gethostname()


def is_remote(url: str) -> bool:
    scheme, sep, _ = url.partition("://")
    return bool(sep) and scheme.lower() in REMOTE_SCHEMES


def _error_code(exc: BaseException) -> str | None:
    """The S3 error code behind an s3fs-translated exception, if any."""
    for e in (exc, exc.__cause__, exc.__context__):
        response = getattr(e, "response", None)
        if isinstance(response, dict):
            return response.get("Error", {}).get("Code")
    return None


_HELD: set[str] = set()  # tokens of the lock objects this process holds


def _left_by_a_dead_local_process(holder: Mapping[str, Any]) -> bool:
    """A lock this machine's writer left behind when it died or failed to release it (its
    process is gone, or it is this process, which no longer holds it)."""
    if holder.get("host") != _hostname() or not isinstance(holder.get("pid"), int):
        return False
    if holder["pid"] == os.getpid():
        return holder.get("token") not in _HELD
    try:
        os.kill(holder["pid"], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class RemoteStore:
    """One prefix of an object store."""

    remote = True

    def __init__(self, url: str, options: Mapping[str, Any] | None = None) -> None:
        import fsspec  # s3fs costs ~0.4 s to import: only runs that publish remotely pay it

        self.location = url if url.endswith("/") else url + "/"
        self.protocol = url.partition("://")[0].lower()
        opts = dict(options or {})
        # A fresh instance whose listings are never cached: another writer's changes and
        # our own must show in the next LIST.
        opts.setdefault("skip_instance_cache", True)
        opts.setdefault("use_listings_cache", False)
        if self.protocol in ("s3", "s3a"):
            config = dict(opts.pop("config_kwargs", None) or {})
            config.setdefault("connect_timeout", 3)
            config.setdefault("read_timeout", 10)
            config.setdefault("retries", {"total_max_attempts": 3, "mode": "standard"})
            opts["config_kwargs"] = config
        try:
            self.fs, root = fsspec.core.url_to_fs(self.location, **opts)
        except (ImportError, ValueError) as exc:
            raise StoreError(f"{self.location}: {exc}") from None
        if self.protocol in ("s3", "s3a"):
            self.fs.retries = 1  # s3fs's own loop would multiply botocore's retries
        self.root = root.rstrip("/")
        self.conditional_writes: bool | None = None  # learnt when the lock is taken
        self._lock_token: str | None = None
        self._lock_etag: str | None = None
        self._stop_refreshing = threading.Event()

    def _path(self, name: str) -> str:
        return f"{self.root}/{name}"

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """A store call under a hard deadline; failures become one StoreError line."""
        try:
            return getattr(self.fs, method)(*args, timeout=OP_TIMEOUT, **kwargs)
        except (FileNotFoundError, FileExistsError):
            raise
        except Exception as exc:  # botocore, aiohttp and fsspec errors, FSTimeoutError
            detail = str(exc).splitlines()[0][:300] if str(exc) else ""
            raise StoreError(
                f"{self.location}: {method} failed: {type(exc).__name__}: {detail}; "
                "the objects already published stay, and the next run retries"
            ) from exc

    def _headers(self, meta: Meta) -> dict[str, Any]:
        if self.protocol in ("gs", "gcs"):
            return {
                "content_type": meta.content_type,
                "fixed_key_metadata": {"cache_control": meta.cache_control},
            }
        if self.protocol in ("az", "abfs", "abfss"):
            settings = {"content_type": meta.content_type, "cache_control": meta.cache_control}
            return {"content_settings": settings}
        return {"ContentType": meta.content_type, "CacheControl": meta.cache_control}

    def prepare(self) -> None:
        pass  # objects appear with their PUT; there is no folder to make, no temporary

    def versions(self, names: Iterable[str]) -> dict[str, str | None]:
        wanted = list(names)
        if not wanted:
            return {}
        try:
            entries = self._call("ls", self.root, detail=True, refresh=True)
        except FileNotFoundError:
            entries = []
        listed = {
            e["name"].rsplit("/", 1)[-1]: f"{e.get('size')}:{e.get('ETag') or e.get('etag')}"
            for e in entries
            if e.get("type") == "file"
        }
        return {name: listed.get(name) for name in wanted}

    def read(self, name: str) -> bytes | None:
        try:
            return self._call("cat_file", self._path(name))
        except FileNotFoundError:
            return None

    def write(self, name: str, data: bytes, meta: Meta) -> str:
        out = self._call("pipe_file", self._path(name), data, **self._headers(meta))
        etag = out.get("ETag") if isinstance(out, dict) else None
        if etag is None:
            etag = self._call("info", self._path(name)).get("ETag")
        return f"{len(data)}:{etag}"

    def delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._call("rm_file", self._path(name))

    # One writer per destination ----------------------------------------------------------

    @property
    def lock_path(self) -> str:
        """Next to the prefix, not in it (a CDN serving the prefix never sees it)."""
        bucket, _, prefix = self.root.partition("/")
        return f"{self.root}.feeds-lock" if prefix else f"{bucket}/.feeds-lock"

    def _lock_body(self) -> bytes:
        return json.dumps(
            {
                "generator": "feeds",
                "host": _hostname(),
                "pid": os.getpid(),
                "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "token": self._lock_token,
            }
        ).encode()

    def _create(self, body: bytes) -> str | None:
        """PUT with If-None-Match: * (s3fs's mode="create"); FileExistsError if it exists."""
        meta = Meta("application/json", "no-store")
        try:
            out = self._call(
                "pipe_file", self.lock_path, body, mode="create", **self._headers(meta)
            )
        except StoreError as exc:
            code = _error_code(exc)
            if code == "PreconditionFailed":
                raise FileExistsError(self.lock_path) from exc
            if code == "ConditionalRequestConflict":  # 409: a concurrent conditional PUT
                raise OutputBusy(f"{self.location}: another writer is taking the lock") from exc
            raise
        return out.get("ETag") if isinstance(out, dict) else None

    def acquire(self) -> None:
        """Take the lock object (OutputBusy if a live writer holds it)."""
        import uuid

        self._lock_token = uuid.uuid4().hex
        body = self._lock_body()
        for _ in range(2):
            try:
                self._lock_etag = self._create(body)
                break
            except FileExistsError:
                info = self._call("info", self.lock_path)
                modified = info.get("LastModified")
                age = (
                    (dt.datetime.now(dt.UTC) - modified).total_seconds()
                    if isinstance(modified, dt.datetime)
                    else 0.0
                )
                holder = self.read_lock() or {}
                if age < STALE_AFTER and not _left_by_a_dead_local_process(holder):
                    raise OutputBusy(
                        f"{self.location} is in use by another feeds process (host "
                        f"{holder.get('host', '?')}, pid {holder.get('pid', '?')}; lock "
                        f"{age:.0f} s old); stop it, or delete {self.protocol}://"
                        f"{self.lock_path} if it is gone"
                    ) from None
                with contextlib.suppress(FileNotFoundError):  # a dead writer's: take it over
                    self._call("rm_file", self.lock_path)
        else:
            raise OutputBusy(f"{self.location}: lost the race for a stale lock")
        self.conditional_writes = self._honours_if_none_match(body)
        if not self.conditional_writes:
            log.warning(
                "%s ignores If-None-Match: only the local lock keeps writers apart; run one "
                "writer per prefix",
                self.location,
            )
        _HELD.add(self._lock_token)
        self._stop_refreshing = threading.Event()
        threading.Thread(
            target=self._keep_fresh,
            args=(self._lock_token, self._stop_refreshing),
            name="feeds-lock",
            daemon=True,
        ).start()

    def _honours_if_none_match(self, body: bytes) -> bool:
        """Repeat the create on our own lock: a store that honours If-None-Match refuses
        it; one that ignores the header rewrites the same bytes (then only the local lock
        keeps writers apart, as the README says)."""
        try:
            self._lock_etag = self._create(body) or self._lock_etag
        except FileExistsError:
            return True
        return False

    def read_lock(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self._call("cat_file", self.lock_path))
        except (FileNotFoundError, ValueError, StoreError):
            return None
        return data if isinstance(data, dict) else None

    def _keep_fresh(self, token: str, stop: threading.Event) -> None:
        """Rewrite our lock every third of STALE_AFTER while we hold it, however long a tick
        or the gap between ticks is, so a live writer's lock never looks stale. Only while
        it is still ours: a lock someone took over is left alone (and logged)."""
        meta = Meta("application/json", "no-store")
        while not stop.wait(STALE_AFTER / 3):
            try:
                if (self.read_lock() or {}).get("token") != token:
                    log.error("the lock %s://%s is no longer ours", self.protocol, self.lock_path)
                    return
                self._call("pipe_file", self.lock_path, self._lock_body(), **self._headers(meta))
            except StoreError as exc:  # the next round tries again, well before it is stale
                log.warning("could not refresh the lock: %s", exc)

    def release(self) -> None:
        """Delete the lock object, if it is still ours."""
        self._stop_refreshing.set()
        try:
            if (
                self._lock_token is not None
                and (self.read_lock() or {}).get("token") == self._lock_token
            ):
                with contextlib.suppress(FileNotFoundError, StoreError):
                    self._call("rm_file", self.lock_path)
        finally:
            _HELD.discard(self._lock_token or "")
            self._lock_token = None
