"""The asynchronous client's default transport, with aiohttp (the ``[aio]`` extra) imported only when needed.

``import azure.planetarycomputer.aio`` and constructing the async client work without aiohttp, as
with azure-core's own clients: a caller may pass its own ``transport=`` and never need it. When
the default transport is wanted and aiohttp is missing, the client gets a stand-in transport that
raises an ImportError naming the extra as soon as it is opened or asked to send, i.e. at the first
request (or ``async with client``), not at import.
"""

from __future__ import annotations

import importlib.util
from typing import Any, NoReturn

from azure.core.pipeline.transport import AsyncHttpTransport
from azure.core.rest import AsyncHttpResponse, HttpRequest

__all__ = ["AIO_EXTRA_MESSAGE", "AioHttpMissingTransport", "default_transport"]

AIO_EXTRA_MESSAGE = (
    "the asynchronous client's default transport needs aiohttp: "
    'pip install "azure-planetarycomputer[aio]" (or pass transport= your own AsyncHttpTransport)'
)


class AioHttpMissingTransport(AsyncHttpTransport):
    """Stands for the default aiohttp transport when aiohttp is not installed: any use raises ImportError."""

    def _missing(self) -> NoReturn:
        raise ImportError(AIO_EXTRA_MESSAGE, name="aiohttp")

    async def __aenter__(self) -> AioHttpMissingTransport:
        self._missing()

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def open(self) -> None:
        self._missing()

    async def close(self) -> None:
        return None  # nothing was opened: closing an unused client stays harmless

    async def send(self, request: HttpRequest, **kwargs: Any) -> AsyncHttpResponse:
        self._missing()


def default_transport(**kwargs: Any) -> AsyncHttpTransport:
    """The async client's default transport: aiohttp's (see :mod:`._aiohttp_transport`), or a stand-in
    that raises ImportError on first use when aiohttp is not installed."""
    if importlib.util.find_spec("aiohttp") is None:
        return AioHttpMissingTransport()
    from ._aiohttp_transport import EncodedUrlAioHttpTransport

    return EncodedUrlAioHttpTransport(**kwargs)


def __getattr__(name: str) -> Any:
    # EncodedUrlAioHttpTransport stays importable from here, but importing it needs aiohttp.
    if name == "EncodedUrlAioHttpTransport":
        from ._aiohttp_transport import EncodedUrlAioHttpTransport

        return EncodedUrlAioHttpTransport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
