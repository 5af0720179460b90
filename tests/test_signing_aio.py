"""Signing and downloading with the asynchronous client: the same rules, one token request per
container under 32 concurrent tasks, and the bearer token kept from storage over aiohttp."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest
from _capture import AsyncCapturingTransport, CannedResponse, CapturedRequest, FakeAsyncTokenCredential
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline.transport import AioHttpTransport
from azure.planetarycomputer.aio import PlanetaryComputerProClient
from azure.planetarycomputer.models import StacItem
from test_signing import (
    BLOB_BODY,
    ENDPOINT,
    MANAGED,
    Servers,
    recorded,
    sas_of,
    secret_values,
    servers,
    signed_for,
    to_storage_stand_in,
    token_requests,
    token_responder,
)

__all__ = ["servers"]  # the fixture, shared with the sync tests


class SlowTokenTransport(AsyncCapturingTransport):
    """Answers token requests after a pause on the event loop, so concurrent tasks overlap."""

    def __init__(self, responder: Any, pause: float = 0.0) -> None:
        super().__init__(responder)
        self.pause = pause

    async def send(self, request: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(self.pause)
        return await super().send(request, **kwargs)


def make_client(
    responder: Any = None, pause: float = 0.0
) -> tuple[PlanetaryComputerProClient, SlowTokenTransport]:
    transport = SlowTokenTransport(responder or token_responder(), pause)
    return PlanetaryComputerProClient(ENDPOINT, FakeAsyncTokenCredential(), transport=transport), transport


async def test_an_item_gets_its_managed_assets_signed() -> None:
    raw = recorded("item")
    raw["assets"]["public"] = {"href": "https://naipeuwest.blob.core.windows.net/naip/v002/x.tif"}
    client, transport = make_client()
    signed = await client.sas.sign(StacItem(raw))
    assert isinstance(signed, StacItem)
    assert all(signed_for(signed.assets[key].href, raw["collection"]) for key in ("image", "thumbnail"))
    assert signed.assets["public"].href == raw["assets"]["public"]["href"]
    assert raw["assets"]["image"]["href"].endswith(".tif")  # the input is not changed
    assert token_requests(transport) == [raw["collection"]]


async def test_unsupported_objects_fail_before_any_request() -> None:
    client, transport = make_client()
    with pytest.raises(TypeError, match="obj"):
        await client.sas.sign(3.5)
    assert transport.requests == []


async def test_one_token_request_per_container_under_32_tasks() -> None:
    client, transport = make_client(pause=0.1)
    hrefs = [MANAGED.replace("item-1", f"item-{index}") for index in range(32)]
    others = [href.replace("naip-atl-", "naip-ga-") for href in hrefs]
    signed = await asyncio.gather(*(client.sas.sign(href) for href in hrefs + others))
    assert all(signed_for(href, "naip-atl") for href in signed[:32])
    assert all(signed_for(href, "naip-ga") for href in signed[32:])
    assert sorted(token_requests(transport)) == ["naip-atl", "naip-ga"]


async def test_cache_hits_expiry_and_revocation() -> None:
    def responder(request: CapturedRequest) -> CannedResponse:
        if request.path == "/sas/token/revoke":
            return CannedResponse(status=200)
        return token_responder(expires_in=dt.timedelta(hours=1))(request)

    client, transport = make_client(responder)
    await client.sas.sign(MANAGED)
    await client.sas.sign(MANAGED)
    assert token_requests(transport) == ["naip-atl"]
    await client.sas.revoke_token()
    await client.sas.sign(MANAGED)
    assert token_requests(transport) == ["naip-atl", "naip-atl"]

    short, short_transport = make_client(token_responder(expires_in=dt.timedelta(minutes=3)))
    first = await short.sas.sign(MANAGED)
    second = await short.sas.sign(first)  # its own signature is inside the margin: signed afresh
    assert token_requests(short_transport) == ["naip-atl", "naip-atl"]
    assert list(sas_of(second)).count("sig") == 1


class StorageStandInTransport(AioHttpTransport):
    """The default aiohttp transport, delivering blob requests to the local storage server."""

    def __init__(self, storage: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.storage = storage

    async def send(self, request: Any, **kwargs: Any) -> Any:
        request.url = to_storage_stand_in(request.url, self.storage)
        return await super().send(request, **kwargs)


async def test_storage_gets_the_sas_and_never_the_bearer_token(
    servers: Servers, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    transport = StorageStandInTransport(servers.storage)
    async with PlanetaryComputerProClient(
        servers.endpoint, FakeAsyncTokenCredential(), transport=transport, logging_enable=True
    ) as client:
        target = await client.sas.download_asset({"href": MANAGED}, tmp_path / "image.tif")
        with pytest.raises(HttpResponseError) as refused:
            await client.sas.download_asset(MANAGED.replace("image.tif", "other.tif"), tmp_path / "other.tif")
    assert target.read_bytes() == BLOB_BODY
    assert [p.name for p in tmp_path.iterdir()] == ["image.tif"]
    assert refused.value.status_code == 403

    [(token_path, token_headers)] = servers.endpoint_seen.requests
    assert token_path.startswith("/sas/sign?") and "naip-atl-bf48131e" in token_path
    assert token_headers.get("Authorization") == "Bearer fake-geocatalog-token"
    assert len(servers.storage_seen.requests) == 2
    for path, headers in servers.storage_seen.requests:
        assert "sig=SECRETsig" in path
        assert not any(name.lower() == "authorization" for name in headers), headers

    assert "/naip-atl-bf48131e/b80/item-1/image.tif" in caplog.text and "sig=REDACTED" in caplog.text
    for secret in secret_values():
        assert secret not in caplog.text and secret not in str(refused.value)
