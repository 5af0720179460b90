"""A cache of SAS tokens per storage container, safe under threads and asyncio tasks.

A token from ``sas.get_token(collection_id)`` grants read access to one container of the
GeoCatalog's managed storage until its ``expires_on``. The cache keys tokens by (storage account,
container) and hands one out until ``margin`` before it expires; then the next request fetches a new
one. However many threads (or tasks) ask for the same container at once, exactly one fetches: the
others wait for it and reuse its token.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, NamedTuple

from ._generated.models import SharedAccessSignatureToken

if TYPE_CHECKING:
    import asyncio

__all__ = ["DEFAULT_REFRESH_MARGIN", "ContainerKey", "SasTokenCache"]

DEFAULT_REFRESH_MARGIN = _dt.timedelta(minutes=5)
"""A cached token is replaced this long before it expires."""


class ContainerKey(NamedTuple):
    """A blob container: the storage account name and the container name, both lowercase."""

    account: str
    container: str


class _Entry(NamedTuple):
    token: str
    expires_on: _dt.datetime


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _aware(moment: _dt.datetime) -> _dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=_dt.timezone.utc)


class SasTokenCache:
    """SAS tokens by container, each reused until ``margin`` before it expires."""

    def __init__(self, margin: _dt.timedelta = DEFAULT_REFRESH_MARGIN) -> None:
        self.margin = margin
        self._entries: dict[ContainerKey, _Entry] = {}
        self._guard = threading.Lock()
        self._thread_locks: dict[ContainerKey, threading.Lock] = {}
        self._task_locks: dict[ContainerKey, asyncio.Lock] = {}

    def cached(self, key: ContainerKey) -> str | None:
        """The token for ``key`` if one is cached and valid for longer than the margin."""
        entry = self._entries.get(key)
        if entry is None or entry.expires_on - self.margin <= utcnow():
            return None
        return entry.token

    def _store(self, key: ContainerKey, fetched: SharedAccessSignatureToken) -> str:
        token = fetched.token.lstrip("?")
        self._entries[key] = _Entry(token, _aware(fetched.expires_on))
        return token

    def get(self, key: ContainerKey, fetch: Callable[[], SharedAccessSignatureToken]) -> str:
        """The cached token for ``key``, or one ``fetch`` gets (one thread fetches, the others wait)."""
        token = self.cached(key)
        if token is not None:
            return token
        with self._guard:
            lock = self._thread_locks.setdefault(key, threading.Lock())
        with lock:
            token = self.cached(key)
            return token if token is not None else self._store(key, fetch())

    async def get_async(
        self, key: ContainerKey, fetch: Callable[[], Awaitable[SharedAccessSignatureToken]]
    ) -> str:
        """:meth:`get` for asyncio: one task fetches, the others await it."""
        token = self.cached(key)
        if token is not None:
            return token
        # Imported here, not at the top: only the async client comes this way, and the sync client
        # should not load asyncio.
        import asyncio

        with self._guard:
            lock = self._task_locks.setdefault(key, asyncio.Lock())
        async with lock:
            token = self.cached(key)
            return token if token is not None else self._store(key, await fetch())

    def clear(self) -> None:
        """Forget every token (after they were revoked, say)."""
        self._entries.clear()
