"""An aiohttp transport that sends URLs exactly as the client encoded them.

aiohttp parses a string URL with yarl, which re-normalizes percent-encoding: ``%3A`` in a path
becomes ``:`` and ``%2C`` in a query becomes ``,``. The second changes meaning: a comma-joined
array whose elements contain commas (``asset_bidx=image%7C1%2C2``) would reach the service as
more elements than were sent. Handing aiohttp a ``yarl.URL(..., encoded=True)`` keeps the bytes.

This module imports aiohttp (the ``[aio]`` extra): :mod:`._transport` imports it only when the
client's default transport is built and aiohttp is installed.

The aiohttp session, and its cookie jar, are made on the first request, inside the running event
loop, as azure-core's own transport does: current aiohttp versions need a running loop for both,
so a client can be constructed at module level and used later inside ``asyncio.run``.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from azure.core.pipeline.transport import AioHttpTransport
from yarl import URL

__all__ = ["EncodedUrlAioHttpTransport"]


class _EncodedUrlSession:
    """Wraps an ``aiohttp.ClientSession``, made on first use inside the running event loop."""

    def __init__(self, *, trust_env: bool) -> None:
        self._trust_env = trust_env
        self._session: aiohttp.ClientSession | None = None

    @property
    def auto_decompress(self) -> bool:
        return False  # azure-core decodes the body itself (read() and stream downloads)

    def request(self, method: str, url: str | URL, **kwargs: Any) -> Any:
        if self._session is None:
            # The same session settings azure-core uses for a session it owns. Made here, inside
            # the running loop: DummyCookieJar() and ClientSession() need one on current aiohttp.
            self._session = aiohttp.ClientSession(
                trust_env=self._trust_env,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=self.auto_decompress,
            )
        if isinstance(url, str):
            url = URL(url, encoded=True)
        return self._session.request(method, url, **kwargs)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> _EncodedUrlSession:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class EncodedUrlAioHttpTransport(AioHttpTransport):
    """azure-core's aiohttp transport, keeping the client's percent-encoding on the wire."""

    def __init__(self, **kwargs: Any) -> None:
        session = _EncodedUrlSession(trust_env=bool(kwargs.get("use_env_settings", True)))
        super().__init__(session=session, session_owner=True, **kwargs)
