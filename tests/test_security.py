"""Nothing leaked: the bearer token goes to the endpoint only, SAS signatures stay out of logs and errors.

The real client talks to recording local servers: the GeoCatalog on 127.0.0.1 and "storage" (or any
other host) on 127.0.0.2 or another port, and every header that reaches them is checked. Logging is
captured at DEBUG with ``logging_enable=True`` (the full network trace) and searched for secrets.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _capture import (
    FAKE_TOKEN,
    CannedResponse,
    CapturingTransport,
    FakeAsyncTokenCredential,
    FakeTokenCredential,
)
from azure.core.exceptions import AzureError, HttpResponseError, ServiceRequestError
from azure.core.rest import HttpRequest
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient
from fault_server import FaultServer, RecordedRequest, Reply

BEARER = f"Bearer {FAKE_TOKEN}"
COLLECTION = {"id": "naip", "type": "Collection", "stac_version": "1.0.0", "links": []}
EMPTY_PAGE = {"type": "FeatureCollection", "features": [], "links": []}

# Secrets that must never show: three SAS signatures (the one a caller passes in an href, the one the
# service signs an href with, the one in a container token) and the bearer token.
SIG_IN = "aW5wdXQtc2lnbmF0dXJl%2Bpart2%3D"
SIG_SIGNED = "c2lnbmVkLWJ5LXNlcnZpY2U%2Fx%3D"
SIG_TOKEN = "Y29udGFpbmVyLXRva2Vu%2By%3D"
SECRETS = (SIG_IN, SIG_SIGNED, SIG_TOKEN, "aW5wdXQtc2lnbmF0dXJl", "c2lnbmVkLWJ5", "Y29udGFpbmVy", FAKE_TOKEN)


@pytest.fixture
def endpoint() -> Iterator[FaultServer]:
    with FaultServer() as running:
        yield running


@pytest.fixture
def other_host() -> Iterator[FaultServer]:
    with FaultServer("127.0.0.2") as running:
        yield running


@pytest.fixture
def other_port() -> Iterator[FaultServer]:
    with FaultServer("127.0.0.1") as running:
        yield running


def sync_client(server: FaultServer, **kwargs: Any) -> PlanetaryComputerProClient:
    return PlanetaryComputerProClient(server.url, FakeTokenCredential(), retry_total=0, **kwargs)


def async_client(server: FaultServer, **kwargs: Any) -> AsyncPlanetaryComputerProClient:
    return AsyncPlanetaryComputerProClient(server.url, FakeAsyncTokenCredential(), retry_total=0, **kwargs)


def authorizations(server: FaultServer) -> list[str | None]:
    return [request.header("Authorization") for request in server.requests]


# --------------------------------------------------------------------------------------------------
# The bearer token goes to the endpoint's scheme, host and port only
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["other_host", "other_port"])
def test_token_never_reaches_storage_or_another_port(
    endpoint: FaultServer, host: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    storage: FaultServer = request.getfixturevalue(host)
    storage.script("/container/a.tif", Reply.data(b"GeoTIFF", "image/tiff"))
    endpoint.script("/stac/collections/naip", Reply.json(COLLECTION))
    with sync_client(endpoint) as client:
        client.stac.get_collection("naip")
        for url in (f"{storage.url}/container/a.tif?sv=1&sig={SIG_IN}", f"{storage.url}/container/a.tif"):
            smuggled = HttpRequest("GET", url, headers={"Authorization": "Bearer smuggled"})
            assert client.send_request(smuggled, stream=True).read() == b"GeoTIFF"
        if hasattr(client.sas, "download_asset"):
            client.sas.download_asset(f"{storage.url}/container/a.tif", tmp_path / "a.tif")
    assert authorizations(endpoint) == [BEARER]
    assert storage.count() >= 2 and authorizations(storage) == [None] * storage.count()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_to_another_host_does_not_carry_the_token(
    endpoint: FaultServer, other_host: FaultServer, status: int
) -> None:
    endpoint.script("/stac/collections/naip", Reply.redirect(f"{other_host.url}/moved/naip", status))
    other_host.script("/moved/naip", Reply.json(COLLECTION))
    with sync_client(endpoint) as client:
        assert client.stac.get_collection("naip").id == "naip"
    assert authorizations(endpoint) == [BEARER]
    assert authorizations(other_host) == [None]


def test_redirect_of_a_search_post_to_another_port_does_not_carry_the_token(
    endpoint: FaultServer, other_port: FaultServer
) -> None:
    endpoint.script("/stac/search", Reply.redirect(f"{other_port.url}/stac/search", 307))
    other_port.script("/stac/search", Reply.json(EMPTY_PAGE))
    with sync_client(endpoint) as client:
        client.stac.search({"collections": ["naip"]})
    (forwarded,) = other_port.requests
    assert forwarded.method == "POST" and forwarded.header("Authorization") is None
    assert authorizations(endpoint) == [BEARER]


def test_redirect_within_the_endpoint_keeps_the_token(endpoint: FaultServer) -> None:
    endpoint.script("/stac/collections/old", Reply.redirect(f"{endpoint.url}/stac/collections/naip"))
    endpoint.script("/stac/collections/naip", Reply.json(COLLECTION))
    with sync_client(endpoint) as client:
        assert client.stac.get_collection("old").id == "naip"
    assert authorizations(endpoint) == [BEARER, BEARER]


async def test_async_redirects_and_storage_requests_do_not_carry_the_token(
    endpoint: FaultServer, other_host: FaultServer
) -> None:
    endpoint.script("/stac/collections/naip", Reply.redirect(f"{other_host.url}/moved/naip"))
    other_host.script("/moved/naip", Reply.json(COLLECTION))
    other_host.script("/container/a.tif", Reply.data(b"GeoTIFF", "image/tiff"))
    async with async_client(endpoint) as client:
        assert (await client.stac.get_collection("naip")).id == "naip"
        url = f"{other_host.url}/container/a.tif?sig={SIG_IN}"
        response = await client.send_request(HttpRequest("GET", url), stream=True)
        assert await response.read() == b"GeoTIFF"
    assert authorizations(endpoint) == [BEARER]
    assert authorizations(other_host) == [None, None]


def test_a_url_read_differently_by_http_libraries_gets_no_token(
    endpoint: FaultServer, other_host: FaultServer
) -> None:
    # urllib.parse reads the host of this URL as the endpoint (after the "@"); urllib3, which
    # requests uses to connect, ends the host at the backslash and connects to other_host.
    other_host.route("/*", lambda _request: Reply.json(COLLECTION))
    sneaky = f"http://127.0.0.2:{other_host.port}\\@127.0.0.1:{endpoint.port}/stac/collections/naip"
    with sync_client(endpoint) as client:
        client.send_request(HttpRequest("GET", sneaky))
    assert authorizations(other_host) == [None]
    with pytest.raises(ValueError, match="endpoint"):
        PlanetaryComputerProClient(sneaky.rsplit("/stac", 1)[0], FakeTokenCredential())


def test_a_forged_search_continuation_token_cannot_send_the_token_elsewhere(
    endpoint: FaultServer, other_host: FaultServer
) -> None:
    other_host.route("/*", lambda _request: Reply.json(EMPTY_PAGE))
    with sync_client(endpoint) as client:
        search = client.stac.search_items_paged
        from azure.planetarycomputer._search_paging import PageRequest, encode_token

        forged = encode_token(PageRequest("GET", f"{other_host.url}/stac/search?token=x"), 0)
        list(search(collections="naip").by_page(continuation_token=forged))
    assert authorizations(other_host) == [None]


@pytest.mark.parametrize(
    "url",
    [
        "http://geocatalog.example.com:8811/stac",  # another host, plain http
        "http://127.0.0.1:8812/stac",  # another port
        "https://127.0.0.1:8811/stac",  # another scheme
        "http://localhost:8811/stac",  # the same machine under another name
        "http://127.0.0.2:8811/stac",  # another loopback address
        "http://[::1]:8811/stac",
        "http://127.0.0.1:8811@evil.example/stac",
        "http://evil.example\\@127.0.0.1:8811/stac",
        "http://127.0.0.1:8811\\@evil.example/stac",
    ],
)
def test_the_loopback_http_allowance_does_not_extend_to_other_hosts(url: str) -> None:
    transport = CapturingTransport(CannedResponse.json({}))
    credential = FakeTokenCredential()
    client = PlanetaryComputerProClient("http://127.0.0.1:8811", credential, transport=transport)
    client.send_request(HttpRequest("GET", url, headers={"Authorization": "Bearer smuggled"}))
    (sent,) = transport.requests
    assert sent.header("Authorization") is None
    assert credential.requested_scopes == []


def test_default_ports_name_the_same_origin() -> None:
    transport = CapturingTransport(CannedResponse.json({}))
    client = PlanetaryComputerProClient(
        "https://cat.geocatalog.spatio.azure.com", FakeTokenCredential(), transport=transport
    )
    client.send_request(HttpRequest("GET", "https://CAT.geocatalog.spatio.azure.com:443/stac?token=next"))
    assert transport.last.header("Authorization") == BEARER


@pytest.mark.parametrize(
    "endpoint_url",
    [
        "http://geocatalog.example.com",
        "http://127.0.0.1.nip.io",
        "http://localhost.evil.example",
        "http://0.0.0.0:8080",
        "http://10.0.0.1",
        "http://user:pass@127.0.0.1:8080",
        "http://evil.example\\@127.0.0.1:8080",
        "http://127.0.0.1:8080\\@evil.example",
        "http://127.0.0.1 .evil.example",
        "http://127.0.0.1\t.evil.example",
        "http://127.0.0.1:99999",
        "http://127.0.0.1:port",
        "https://cat.geocatalog.spatio.azure.com/..",
        "https://cätalog.example",
    ],
)
def test_unsafe_endpoints_are_refused(endpoint_url: str) -> None:
    with pytest.raises(ValueError, match="endpoint"):
        PlanetaryComputerProClient(endpoint_url, FakeTokenCredential())
    with pytest.raises(ValueError, match="endpoint"):
        AsyncPlanetaryComputerProClient(endpoint_url, FakeAsyncTokenCredential())


@pytest.mark.parametrize("identifier", [".", "..", "%2e%2E"])
def test_an_id_cannot_turn_a_request_into_another_one(identifier: str) -> None:
    # HTTP libraries drop "." and ".." path segments: DELETE /stac/collections/c/items/.. would
    # reach /stac/collections/c/ -- the collection, not an item.
    transport = CapturingTransport(CannedResponse.json({"id": identifier}))
    client = PlanetaryComputerProClient("https://cat.example.com", FakeTokenCredential(), transport=transport)
    if identifier == "%2e%2E":  # percent signs are escaped: this id travels as it is, harmlessly
        client.stac.get_item("c", identifier)
        assert transport.last.path == "/stac/collections/c/items/%252e%252E"
        return
    with pytest.raises(ValueError, match=r"item_id.* must not be '\.' or '\.\.'"):
        client.stac.begin_delete_item("c", identifier, polling_interval=0)
    with pytest.raises(ValueError, match=r"collection_id.* must not be '\.' or '\.\.'"):
        client.stac.get_collection(identifier)
    assert transport.requests == []


# --------------------------------------------------------------------------------------------------
# SAS signatures and the bearer token never in logs, at any level, with the network trace on
# --------------------------------------------------------------------------------------------------


def _future() -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _script_sas(endpoint: FaultServer, storage: FaultServer) -> str:
    """The SAS endpoints on the GeoCatalog and a blob on storage; returns the href to sign."""
    signed = f"{storage.url}/container/a.tif?sv=2024-05-04&sr=c&sp=rl&sig={SIG_SIGNED}"

    def sign(request: RecordedRequest) -> Reply:
        href = request.query["href"]
        if href.startswith("https://geocatalogstore.blob.core.windows.net/"):  # the catalog's own storage
            href = f"{href}?sv=2024-05-04&sr=c&sp=rl&sig={SIG_TOKEN}"
        else:
            href = signed
        return Reply.json({"href": href, "msft:expiry": _future()})

    endpoint.route("/sas/sign", sign)
    endpoint.script(
        "/sas/token/naip",
        Reply.json({"token": f"sv=2024-05-04&sr=c&sig={SIG_TOKEN}", "msft:expiry": _future()}),
    )
    storage.script("/container/a.tif", Reply.data(b"GeoTIFF", "image/tiff"))
    storage.script(
        "/container/denied.tif", Reply.error(403, "AuthenticationFailed", "Signature did not match")
    )
    return f"{storage.url}/container/a.tif?sv=2024-05-04&sig={SIG_IN}"


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        f"{record.name} {record.levelname} {record.getMessage()} {record.exc_text or ''}"
        for record in caplog.records
    )


def test_sas_signatures_and_token_stay_out_of_the_network_trace(
    endpoint: FaultServer, other_host: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    href = _script_sas(endpoint, other_host)
    caplog.set_level(logging.DEBUG, logger="azure")
    with sync_client(endpoint, logging_enable=True) as client:
        signed = client.sas.get_url(href=href)
        token = client.sas.get_token("naip")
        assert (
            SIG_SIGNED in signed.href and SIG_TOKEN in token.token
        )  # the caller gets them, the log does not
        response = client.send_request(HttpRequest("GET", signed.href), stream=True)
        assert response.read() == b"GeoTIFF"
        denied = client.send_request(HttpRequest("GET", signed.href.replace("a.tif", "denied.tif")))
        with pytest.raises(HttpResponseError) as caught:
            denied.raise_for_status()
    log = _log_text(caplog)
    assert "Request URL" in log and "REDACTED" in log, "the network trace was not captured"
    assert _leaks(log) == []
    assert _leaks(str(caught.value)) == [] and _leaks(repr(caught.value)) == []
    assert endpoint.count() == 2 and other_host.count() == 2


async def test_async_network_trace_has_no_secrets(
    endpoint: FaultServer, other_host: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    href = _script_sas(endpoint, other_host)
    caplog.set_level(logging.DEBUG, logger="azure")
    async with async_client(endpoint, logging_enable=True) as client:
        signed = await client.sas.get_url(href=href)
        await client.sas.get_token("naip")
        response = await client.send_request(HttpRequest("GET", signed.href), stream=True)
        assert await response.read() == b"GeoTIFF"
    log = _log_text(caplog)
    assert "Request URL" in log and _leaks(log) == []


def test_signing_helper_and_download_keep_secrets_out_of_logs(
    endpoint: FaultServer, other_host: FaultServer, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    _script_sas(endpoint, other_host)
    caplog.set_level(logging.DEBUG, logger="azure")
    with sync_client(endpoint, logging_enable=True) as client:
        managed = "https://geocatalogstore.blob.core.windows.net/naip-bf48131e/a.tif"
        assert SIG_TOKEN in client.sas.sign(managed)
        client.sas.download_asset(f"{other_host.url}/container/a.tif?sv=1&sig={SIG_IN}", tmp_path / "a.tif")
        with pytest.raises(HttpResponseError) as caught:
            client.sas.download_asset(
                f"{other_host.url}/container/denied.tif?sv=1&sig={SIG_IN}", tmp_path / "d"
            )
    assert (tmp_path / "a.tif").read_bytes() == b"GeoTIFF"
    assert _leaks(_log_text(caplog)) == []
    assert _leaks(str(caught.value)) == []


def _chain(error: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        inner = getattr(error, "inner_exception", None)
        error = inner if isinstance(inner, BaseException) else error.__cause__ or error.__context__


@pytest.mark.parametrize("fault", ["refused", "403", "reset", "stall"])
def test_errors_for_signed_urls_do_not_show_the_signature(endpoint: FaultServer, fault: str) -> None:
    with FaultServer("127.0.0.2") as storage:
        replies = {
            "403": Reply.error(403, "AuthenticationFailed", "Server failed to authenticate the request."),
            "reset": Reply.reset(b"x" * 100_000, 1000),
            "stall": Reply.stall(5),
        }
        if fault in replies:
            storage.script("/container/a.tif", replies[fault])
        url = f"{storage.url}/container/a.tif?sv=2024-05-04&sig={SIG_SIGNED}"
        if fault == "refused":
            url = f"http://127.0.0.2:1/container/a.tif?sv=2024-05-04&sig={SIG_SIGNED}"
        with sync_client(endpoint, read_timeout=0.3) as client, pytest.raises(AzureError) as caught:
            response = client.send_request(HttpRequest("GET", url), stream=True)
            response.read()
            response.raise_for_status()
    if fault == "refused":
        assert isinstance(caught.value, ServiceRequestError)
    for error in _chain(caught.value):
        assert _leaks(str(error)) == [] and _leaks(repr(error)) == [], type(error)


# --------------------------------------------------------------------------------------------------
# The SAS token cache: one token request per container, however many callers at once
# --------------------------------------------------------------------------------------------------

CONTAINERS = {"naip": "naip-bf48131e", "sentinel-2": "sentinel-2-bf48131e", "dem": "dem-bf48131e"}
CALLERS = 32


def _slow_tokens(endpoint: FaultServer) -> None:
    def answer(request: RecordedRequest) -> Reply:
        threading.Event().wait(0.2)  # a slow signing service: every caller arrives while it works
        href = request.query["href"]
        collection = href.split("/")[3][: -len("-bf48131e")]
        return Reply.json(
            {"href": f"{href}?sv=2024-05-04&sig=token-for-{collection}", "msft:expiry": _future()}
        )

    endpoint.route("/sas/sign", answer)


def _href(index: int) -> tuple[str, str]:
    collection = list(CONTAINERS)[index % len(CONTAINERS)]
    return collection, f"https://geocatalogstore.blob.core.windows.net/{CONTAINERS[collection]}/{index}.tif"


def _token_requests(endpoint: FaultServer) -> dict[str, int]:
    """Requests to the GeoCatalog, by path (and for /sas/sign, the container asked about)."""
    counts: dict[str, int] = {}
    for request in endpoint.requests:
        name = request.path
        if name == "/sas/sign":
            name += " " + request.query["href"].split("/")[3]
        counts[name] = counts.get(name, 0) + 1
    return counts


def test_token_cache_fetches_once_per_container_under_32_threads(endpoint: FaultServer) -> None:
    _slow_tokens(endpoint)
    results: dict[int, str] = {}
    errors: list[BaseException] = []
    with sync_client(endpoint) as client:
        assert hasattr(client.sas, "sign"), "the signing helper (sas.sign) is missing"
        barrier = threading.Barrier(CALLERS, timeout=10)

        def sign(index: int) -> None:
            try:
                barrier.wait()
                results[index] = client.sas.sign(_href(index)[1])
            except BaseException as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=sign, args=(index,)) for index in range(CALLERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
    assert errors == [] and len(results) == CALLERS
    assert _token_requests(endpoint) == {f"/sas/sign {container}": 1 for container in CONTAINERS.values()}
    for index, signed in results.items():
        assert signed.endswith(f"sig=token-for-{_href(index)[0]}")


async def test_token_cache_fetches_once_per_container_under_32_tasks(endpoint: FaultServer) -> None:
    _slow_tokens(endpoint)
    async with async_client(endpoint) as client:
        assert hasattr(client.sas, "sign"), "the signing helper (sas.sign) is missing"
        signed = await asyncio.wait_for(
            asyncio.gather(*(client.sas.sign(_href(index)[1]) for index in range(CALLERS))), timeout=20
        )
    assert _token_requests(endpoint) == {f"/sas/sign {container}": 1 for container in CONTAINERS.values()}
    assert [value.rsplit("token-for-", 1)[1] for value in signed] == [_href(i)[0] for i in range(CALLERS)]
