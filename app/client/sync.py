"""The single sync loop: push the outbox in order, then pull changes, one run at a time.

Rules (DESIGN.md §6 and the failures other sync engines are known for):
- one run at a time (an asyncio lock): a reconnect that fires three triggers runs three
  times in a row, never three pushes at once;
- push in order, stop at the first transport error or server error, retry later with the
  same idempotency keys (never new ones): the server answers a repeat as `duplicate`;
- a refused write (4xx) is not retried: it is kept as `rejected` with the reason for the user;
- a 401/403 saying the account or device is disabled wipes the cached health data;
- "synced" means the outbox has nothing pending and the last pull completed.
"""

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from app.client.cache import Cache
from app.client.outbox import Outbox, OutboxEntry

log = logging.getLogger(__name__)

PUSH_PATH = "/api/v1/sync/push"
PULL_PATH = "/api/v1/sync/pull"
BATCH = 100
PAGE = 500


class SyncInterrupted(Exception):
    """The server could not be reached or failed; nothing is lost, the next run retries."""


class SignInRequired(SyncInterrupted):
    """The access token is missing or expired: sign in (or refresh) and sync again."""


class DeviceWiped(Exception):
    """The server disabled this account or device; the cached health data was removed."""


@dataclass(frozen=True)
class SyncStatus:
    """What the app shows: 「未送信 N件」, the last successful sync, what needs a person."""

    pending: int
    last_synced_at: datetime | None
    conflicts: list[OutboxEntry]
    rejected: list[OutboxEntry]
    syncing: bool
    last_error: str | None
    wiped: bool

    @property
    def synced(self) -> bool:
        return self.pending == 0 and self.last_error is None and self.last_synced_at is not None


def _is_wipe(response: httpx.Response) -> bool:
    if response.status_code not in (401, 403):
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    error = str(body.get("error", ""))
    detail = str(body.get("detail", ""))
    # The server's words for it: a disabled device, or a disabled account (tokens.py).
    return error in ("device_disabled", "account_disabled") or "disabled" in detail


def _reason(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    return detail if isinstance(detail, str) else str(detail)


class SyncEngine:
    """Owns the outbox → server → cache loop for one signed-in device."""

    def __init__(
        self,
        cache: Cache,
        http: httpx.AsyncClient,
        *,
        batch: int = BATCH,
        page: int = PAGE,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.cache = cache
        self.outbox = Outbox(cache)
        self.http = http
        self.batch = batch
        self.page = page
        self.now = now
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self.last_error: str | None = None
        self.wiped = False
        self._listeners: list[Callable[[], None]] = []

    # --- status for the UI ---------------------------------------------------------------

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    def status(self) -> SyncStatus:
        return SyncStatus(
            pending=self.outbox.pending_count(),
            last_synced_at=self.cache.last_synced_at,
            conflicts=self.outbox.entries("conflict"),
            rejected=self.outbox.entries("rejected"),
            syncing=self._lock.locked(),
            last_error=self.last_error,
            wiped=self.wiped,
        )

    def kick(self) -> None:
        """A write was queued (or the network came back): sync soon."""
        self._wake.set()
        self._changed()

    # --- one run -------------------------------------------------------------------------

    async def sync(self) -> None:
        """Push everything pending, then pull until up to date. Raises SyncInterrupted (retry
        later) or DeviceWiped; a caller arriving during a run waits and then runs again."""
        async with self._lock:
            self._changed()
            try:
                await self._push()
                await self._pull()
            except SyncInterrupted as exc:
                self.last_error = str(exc)
                raise
            else:
                self.last_error = None
            finally:
                self._changed()

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise SyncInterrupted(f"cannot reach the server ({type(exc).__name__})") from exc
        if _is_wipe(response):
            self.cache.wipe()
            self.wiped = True
            raise DeviceWiped(_reason(response))
        if response.status_code == 401:
            raise SignInRequired(_reason(response))
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise SyncInterrupted(f"server error {response.status_code}")
        return response

    def _next_batch(self) -> list[OutboxEntry]:
        """Pending writes in order, up to one that builds on a write in this same batch
        (it needs that write's new version first)."""
        batch: list[OutboxEntry] = []
        keys: set[str] = set()
        states = {e.idempotency_key: e.state for e in self.outbox.entries()}
        for entry in self.outbox.pending():
            if entry.after_key is not None:
                if entry.after_key in keys:
                    break
                if states.get(entry.after_key) in ("conflict", "rejected"):
                    self.outbox.conflicted(
                        entry, "an earlier change to this record needs resolving first"
                    )
                    continue
            batch.append(entry)
            keys.add(entry.idempotency_key)
            if len(batch) >= self.batch:
                break
        return batch

    async def _push(self) -> None:
        while batch := self._next_batch():
            self.outbox.mark_sent(batch)
            response = await self._send(
                "POST", PUSH_PATH, json={"mutations": [e.mutation() for e in batch]}
            )
            if response.status_code >= 400:
                # The whole batch was refused (a malformed write): say so on each write.
                reason = _reason(response)
                for entry in batch:
                    self.outbox.rejected(entry, reason)
                continue
            results = response.json()["results"]
            for entry, result in zip(batch, results, strict=True):
                self._settle(entry, result)
            self._changed()

    def _settle(self, entry: OutboxEntry, result: dict[str, Any]) -> None:
        answer = result["original"] if result["status"] == "duplicate" else result
        status = answer["status"]
        if status == "applied":
            self.outbox.applied(entry, answer)
        elif status == "conflict":
            self.outbox.conflicted(entry, answer.get("reason") or "conflict", answer.get("server"))
        else:
            self.outbox.rejected(entry, answer.get("reason") or "rejected")

    async def _pull(self) -> None:
        while True:
            params: dict[str, Any] = {"limit": self.page}
            if self.cache.cursor:
                params["cursor"] = self.cache.cursor
            response = await self._send("GET", PULL_PATH, params=params)
            if response.status_code >= 400:
                raise SyncInterrupted(f"pull refused: {_reason(response)}")
            body = response.json()
            self.cache.apply_pull(body, self.now())
            if not body["has_more"]:
                return

    # --- the loop ------------------------------------------------------------------------

    async def run(
        self,
        stop: asyncio.Event,
        *,
        interval: float = 60,
        backoff_start: float = 2,
        backoff_max: float = 300,
        sleep_jitter: Callable[[float], float] = lambda s: s * random.uniform(0.8, 1.2),
    ) -> None:
        """Sync now, after every write, every `interval` seconds, and after failures with
        exponential backoff (same keys each time), until `stop` is set or the device is wiped."""
        delay = backoff_start
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.sync()
            except DeviceWiped:
                return
            except SyncInterrupted as exc:
                log.info("sync interrupted: %s; retrying in %.0f s", exc, delay)
                wait = sleep_jitter(delay)
                delay = min(delay * 2, backoff_max)
            else:
                delay = backoff_start
                wait = interval
            with contextlib.suppress(TimeoutError):
                stopping = asyncio.ensure_future(stop.wait())
                waking = asyncio.ensure_future(self._wake.wait())
                try:
                    await asyncio.wait_for(
                        asyncio.wait({stopping, waking}, return_when=asyncio.FIRST_COMPLETED),
                        wait,
                    )
                finally:
                    stopping.cancel()
                    waking.cancel()

    # --- sign-out ------------------------------------------------------------------------

    def sign_out(self, *, discard_unsent: bool = False) -> None:
        """Remove the cached health data. Refuses while writes are unsent unless told to
        discard them (the UI asks the person first)."""
        if self.outbox.pending_count() and not discard_unsent:
            raise RuntimeError("there are unsent writes; sync first or discard them")
        self.cache.wipe()
        self._changed()
