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

A body read into memory is bounded as with the synchronous transport (``max_response_size``,
``response_timeout``; see :mod:`azure.planetarycomputer._transport`): it is decoded chunk by
chunk and refused once past the size, and reading it is cancelled at the deadline. A streamed
body is bounded in time only when ``response_timeout`` is given for that request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any, cast

import aiohttp
from azure.core.pipeline.transport import AioHttpTransport
from azure.core.pipeline.transport._aiohttp import AioHttpStreamDownloadGenerator
from azure.core.rest import AsyncHttpResponse, HttpRequest
from azure.core.rest._aiohttp import RestAioHttpTransportResponse
from yarl import URL

from .._transport import (
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_RESPONSE_TIMEOUT,
    overran_error,
    positive_limit,
    too_large_error,
)

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


class BoundedAioHttpResponse(RestAioHttpTransportResponse):
    """azure-core's aiohttp response whose ``read()`` is bounded in decoded size and time."""

    max_response_size: float | None = DEFAULT_MAX_RESPONSE_SIZE
    response_timeout: float | None = DEFAULT_RESPONSE_TIMEOUT
    deadline: float | None = None
    stream_deadline: float | None = None
    """The deadline of a streamed body: only when ``response_timeout`` was given for the request."""

    async def iter_bytes(self, **kwargs: Any) -> AsyncIterator[bytes]:
        chunks = super().iter_bytes(**kwargs).__aiter__()
        while True:
            try:
                if self.stream_deadline is None:
                    chunk = await chunks.__anext__()
                else:
                    remaining = max(self.stream_deadline - time.monotonic(), 0.0)
                    chunk = await asyncio.wait_for(chunks.__anext__(), remaining)
            except StopAsyncIteration:
                return
            except asyncio.TimeoutError:
                await self.close()
                raise overran_error(self.request, self.response_timeout or 0) from None
            yield chunk

    async def read(self) -> bytes:
        if self._content is None:
            self._stream_download_check()
            remaining = None if self.deadline is None else self.deadline - time.monotonic()
            try:
                if remaining is None:
                    content = await self._read_bounded()
                else:
                    content = await asyncio.wait_for(self._read_bounded(), max(remaining, 0.0))
            except asyncio.TimeoutError:
                self.internal_response.close()
                raise overran_error(self.request, self.response_timeout or 0) from None
            except BaseException:
                self.internal_response.close()
                raise
            self._content = content
            self._decompressed_content = True  # decoded while read: never decoded again
        await self._set_read_checks()
        return self._content

    async def _read_bounded(self) -> bytes:
        limit = self.max_response_size
        chunks: list[bytes] = []
        size = 0
        # azure-core's stream generator: decodes gzip and deflate chunk by chunk and maps errors
        chunks_in = AioHttpStreamDownloadGenerator(cast(Any, None), self, decompress=self._decompress)
        async for chunk in chunks_in:
            size += len(chunk)
            if limit is not None and size > limit:
                raise too_large_error(self.request, limit, self.headers.get("Content-Encoding"))
            chunks.append(chunk)
        return b"".join(chunks)


class EncodedUrlAioHttpTransport(AioHttpTransport):
    """azure-core's aiohttp transport, keeping the client's percent-encoding on the wire.

    Takes ``max_response_size`` and ``response_timeout`` as the synchronous transport does (at
    construction and per request).
    """

    def __init__(self, **kwargs: Any) -> None:
        session = _EncodedUrlSession(trust_env=bool(kwargs.get("use_env_settings", True)))
        self._max_response_size = positive_limit(
            "max_response_size", kwargs.pop("max_response_size", DEFAULT_MAX_RESPONSE_SIZE)
        )
        self._response_timeout = positive_limit(
            "response_timeout", kwargs.pop("response_timeout", DEFAULT_RESPONSE_TIMEOUT)
        )
        super().__init__(session=session, session_owner=True, **kwargs)

    async def send(self, request: HttpRequest, *, stream: bool = False, **config: Any) -> AsyncHttpResponse:
        explicit_timeout = config.get("response_timeout") is not None
        max_size = positive_limit(
            "max_response_size", config.pop("max_response_size", self._max_response_size)
        )
        response_timeout = positive_limit(
            "response_timeout", config.pop("response_timeout", self._response_timeout)
        )
        started = time.monotonic()
        response = await super().send(request, stream=True, **config)
        if isinstance(response, RestAioHttpTransportResponse):
            response.__class__ = BoundedAioHttpResponse  # the same object, with a bounded read()
            bounded: BoundedAioHttpResponse = response  # type: ignore[assignment]
            bounded.max_response_size = max_size
            bounded.response_timeout = response_timeout
            bounded.deadline = None if response_timeout is None else started + response_timeout
            if stream and explicit_timeout:  # a stream is bounded only when the request asks
                bounded.stream_deadline = bounded.deadline
        if not stream:
            await response.read()
        return response
