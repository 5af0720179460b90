"""What the service said about each storage container, cached; safe under threads and asyncio tasks.

Before a token is attached to any href, the GeoCatalog is asked to sign one href of its container
(see :mod:`azure.planetarycomputer._signing`). Its answer is remembered per container
(:class:`~azure.planetarycomputer._storage_hosts.ContainerKey`: scheme, host, account, container):

- a **grant**: the SAS token the service put on that href, reused for the container's other hrefs
  until ``margin`` before it expires; then the next request asks again;
- a **refusal**: the service would not sign there, so the container's hrefs stay unsigned. It is
  remembered for :data:`REFUSAL_TTL`, so a hostile or foreign container costs one request per client
  per quarter hour, not one per href.

However many threads (or tasks) ask about the same container at once, exactly one asks the service:
the others wait for it and reuse its answer.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, NamedTuple

from ._storage_hosts import ContainerKey

if TYPE_CHECKING:
    import asyncio

__all__ = ["DEFAULT_REFRESH_MARGIN", "REFUSAL_TTL", "ContainerKey", "Grant", "SasTokenCache", "utcnow"]

DEFAULT_REFRESH_MARGIN = _dt.timedelta(minutes=5)
"""A cached token is replaced this long before it expires."""

REFUSAL_TTL = _dt.timedelta(minutes=15)
"""How long a container the service refused to sign for is remembered as refused."""


class Grant(NamedTuple):
    """The service's answer for a container: a token (None for a refusal) and until when it holds.

    ``container_wide`` is False for a token that only covers the one blob it was issued for
    (``sr=b``): it is used for that href and not cached.
    """

    token: str | None
    expires_on: _dt.datetime
    container_wide: bool = True

    @classmethod
    def refused(cls) -> Grant:
        return cls(None, utcnow() + REFUSAL_TTL)


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def aware(moment: _dt.datetime) -> _dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=_dt.timezone.utc)


class SasTokenCache:
    """Grants and refusals by container; a grant is reused until ``margin`` before it expires."""

    def __init__(self, margin: _dt.timedelta = DEFAULT_REFRESH_MARGIN) -> None:
        self.margin = margin
        self._entries: dict[ContainerKey, Grant] = {}
        self._guard = threading.Lock()
        self._thread_locks: dict[ContainerKey, threading.Lock] = {}
        self._task_locks: dict[ContainerKey, asyncio.Lock] = {}

    def cached(self, key: ContainerKey, margin: _dt.timedelta | None = None) -> Grant | None:
        """The remembered answer for ``key``: a grant valid for longer than the margin (``margin``
        when given, else the cache's), or a refusal not yet expired; None when the service must be asked."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.token is None:
            return entry if entry.expires_on > utcnow() else None
        if entry.expires_on - max(margin or self.margin, self.margin) <= utcnow():
            return None
        return entry

    def _store(self, key: ContainerKey, grant: Grant) -> Grant:
        grant = grant._replace(expires_on=aware(grant.expires_on))
        if grant.container_wide:
            self._entries[key] = grant
        return grant

    def get(self, key: ContainerKey, ask: Callable[[], Grant], margin: _dt.timedelta | None = None) -> Grant:
        """The remembered answer for ``key``, or the one ``ask`` gets (one thread asks, the others wait)."""
        grant = self.cached(key, margin)
        if grant is not None:
            return grant
        with self._guard:
            lock = self._thread_locks.setdefault(key, threading.Lock())
        with lock:
            grant = self.cached(key, margin)
            return grant if grant is not None else self._store(key, ask())

    async def get_async(
        self, key: ContainerKey, ask: Callable[[], Awaitable[Grant]], margin: _dt.timedelta | None = None
    ) -> Grant:
        """:meth:`get` for asyncio: one task asks, the others await it."""
        grant = self.cached(key, margin)
        if grant is not None:
            return grant
        # Imported here, not at the top: only the async client comes this way, and the sync client
        # should not load asyncio.
        import asyncio

        with self._guard:
            lock = self._task_locks.setdefault(key, asyncio.Lock())
        async with lock:
            grant = self.cached(key, margin)
            return grant if grant is not None else self._store(key, await ask())

    def clear(self) -> None:
        """Forget every answer (after the tokens were revoked, say)."""
        self._entries.clear()
