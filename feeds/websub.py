"""WebSub publish pings (W3C Recommendation): tell each hub which published files changed.

For each (hub, changed file URL) one form-encoded POST ``hub.mode=publish&hub.url=URL``.
2xx is success; other 4xx (but 408/429) is final; connection errors, timeouts, 408/429/5xx
are retried with exponential backoff while the deadline allows. Every attempt's timeout is
the time left, so a send returns by its deadline whatever the hubs do: a one-off run waits
at most :data:`GENERATE_BUDGET`, the daemon sends off the tick's path. Pings that did not
succeed are kept in the state folder and sent again by the next run or tick.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from feeds.errors import WriteError, writing
from feeds.store import write_atomic

log = logging.getLogger("feeds.websub")
PENDING = "websub-pending.json"
GENERATE_BUDGET = 0.75  # seconds a one-off run may wait for hubs (httpx loads in ~0.1 s more)
BACKGROUND_BUDGET = 30.0  # seconds one background send may take
ATTEMPTS = 4
BACKOFF = 0.1  # seconds before the first retry; doubled each time
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class PingResult:
    hub: str
    url: str
    ok: bool
    attempts: int
    detail: str


def _ping_one(client: object, hub: str, url: str, deadline: float) -> PingResult:
    import httpx

    detail = "no time left"
    for attempt in range(1, ATTEMPTS + 1):
        left = deadline - time.monotonic()
        if left <= 0.02:
            return PingResult(hub, url, False, attempt - 1, detail)
        try:
            response = client.post(  # type: ignore[attr-defined]
                hub, data={"hub.mode": "publish", "hub.url": url}, timeout=httpx.Timeout(left)
            )
        except httpx.HTTPError as exc:  # refused, timed out, protocol errors
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        else:
            if response.is_success:
                return PingResult(hub, url, True, attempt, f"HTTP {response.status_code}")
            detail = f"HTTP {response.status_code}"
            if response.status_code not in RETRY_STATUS:
                return PingResult(hub, url, False, attempt, detail)
        pause = BACKOFF * 2 ** (attempt - 1) * (0.5 + random.random())
        if attempt == ATTEMPTS or pause >= deadline - time.monotonic():
            return PingResult(hub, url, False, attempt, detail)
        time.sleep(pause)
    return PingResult(hub, url, False, ATTEMPTS, detail)


def _ping_hub(client: object, hub: str, urls: Sequence[str], deadline: float) -> list[PingResult]:
    """One hub, its URLs in turn over one connection; an unreachable hub is not tried for
    the rest (they stay pending)."""
    out = []
    for i, url in enumerate(urls):
        result = _ping_one(client, hub, url, deadline)
        out.append(result)
        if not result.ok and not result.detail.startswith("HTTP"):
            out += [
                PingResult(hub, u, False, 0, "not tried: hub unreachable") for u in urls[i + 1 :]
            ]
            break
    return out


def ping_hubs(pings: Iterable[tuple[str, str]], budget: float) -> list[PingResult]:
    """Send every (hub, url) ping; return within ``budget`` seconds whatever happens. Hubs
    run in parallel, so a dead or slow hub costs the others nothing."""
    import httpx

    by_hub: dict[str, list[str]] = {}
    for hub, url in pings:
        by_hub.setdefault(hub, []).append(url)
    if not by_hub:
        return []
    deadline = time.monotonic() + budget
    done: dict[str, list[PingResult]] = {}
    with httpx.Client(headers={"User-Agent": "feeds-websub"}, follow_redirects=False) as client:

        def one_hub(hub: str, urls: list[str]) -> None:
            with contextlib.suppress(Exception):  # whatever it is, the hub's pings stay owed
                done[hub] = _ping_hub(client, hub, urls, deadline)

        # One daemon thread per hub: a hung hub can never hold the process's exit up.
        threads = [
            threading.Thread(target=one_hub, args=item, name="websub", daemon=True)
            for item in by_hub.items()
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()) + 0.05)
        results = []
        for hub, urls in by_hub.items():
            got = done.get(hub)
            results += (
                got if got is not None else [PingResult(hub, u, False, 0, "deadline") for u in urls]
            )
    return results


class Pinger:
    """The pings one state folder owes its hubs: new ones, and those that failed before."""

    def __init__(self, hubs: Sequence[str], state: Path) -> None:
        self.hubs = tuple(hubs)
        self.path = state / PENDING
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pending = self._load()

    def _load(self) -> set[tuple[str, str]]:
        try:
            rows = json.loads(self.path.read_text(encoding="utf-8"))
            return {(r["hub"], r["url"]) for r in rows if r.get("hub") in self.hubs}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return set()

    def _save(self) -> None:
        rows = [{"hub": h, "url": u} for h, u in sorted(self._pending)]
        if rows or self.path.exists():
            with writing(self.path):
                self.path.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(self.path, (json.dumps(rows, indent=1) + "\n").encode())

    @property
    def pending(self) -> set[tuple[str, str]]:
        with self._lock:
            return set(self._pending)

    def _add(self, urls: Iterable[str]) -> set[tuple[str, str]]:
        with self._lock:
            self._pending |= {(hub, url) for url in urls for hub in self.hubs}
            self._save()
            return set(self._pending)

    def _settle(self, results: list[PingResult], failures: int = logging.WARNING) -> None:
        for r in results:
            if r.ok:
                log.info("websub: %s told of %s (%s)", r.hub, r.url, r.detail)
            else:
                log.log(
                    failures,
                    "websub: %s not told of %s (%s); kept for the next run",
                    r.hub,
                    r.url,
                    r.detail,
                )
        with self._lock:
            self._pending -= {(r.hub, r.url) for r in results if r.ok}
            try:
                self._save()
            except WriteError as exc:  # the pings went out; only the record of them failed
                log.error("websub: %s", exc)

    def send(self, urls: Iterable[str]) -> list[PingResult]:
        """Ping about ``urls`` (and everything still pending), waiting at most
        :data:`GENERATE_BUDGET` seconds; what failed stays pending."""
        results = ping_hubs(self._add(urls), GENERATE_BUDGET)
        self._settle(results, failures=logging.INFO)  # the caller sums them up in one line
        return results

    def send_in_background(self, urls: Iterable[str]) -> None:
        """The same, off the caller's path: a daemon tick never waits for a hub. While one
        send is under way, new pings only join the pending set (the next tick sends them)."""
        pings = self._add(urls)
        if not pings or (self._thread is not None and self._thread.is_alive()):
            return

        def run() -> None:
            self._settle(ping_hubs(pings, BACKGROUND_BUDGET))

        self._thread = threading.Thread(target=run, name="websub", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait for a background send (the daemon, stopping; tests)."""
        if self._thread is not None:
            self._thread.join(timeout)
