"""Signing managed-storage hrefs and downloading assets (sync), on recorded STAC objects.

Which hrefs get a token, that none is signed twice, the token cache (hits, misses, expiry, one
request per container under 32 threads), and -- against two local servers, one standing in for the
GeoCatalog and one for Azure Blob storage on another loopback address -- that storage receives the
SAS but never the bearer token, and that no signature reaches the logs or error messages.
"""

from __future__ import annotations

import copy
import datetime as dt
import http.server
import json
import logging
import re
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import pytest
from _capture import CannedResponse, CapturedRequest, CapturingTransport, FakeTokenCredential, data_path
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError
from azure.core.pipeline.transport import RequestsTransport
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer.models import StacCollection, StacItem, StacItemCollection

ENDPOINT = "https://cat.geocatalog.spatio.azure.com"
SECRET = "SECRETsig0123456789abcdef%2Bxyz%3D"
RECORDINGS = {
    "item": ("test_planetary_computer_02_stac_specification.pyTestPlanetaryComputerStacSpecification"
             "test_12_get_item.json", 1),
    "search": ("test_planetary_computer_02_stac_specification.pyTestPlanetaryComputerStacSpecification"
               "test_05_search_items_with_spatial_filter.json", 0),
    "collection": ("test_planetary_computer_03_sas.pyTestPlanetaryComputerSastest_03_get_sign_with_collection"
                   "_thumbnail.json", 0),
}  # fmt: skip
MANAGED = "https://acct.blob.core.windows.net/naip-atl-bf48131e/b80/item-1/image.tif"


def recorded(name: str) -> dict[str, Any]:
    file, entry = RECORDINGS[name]
    body: dict[str, Any] = json.loads(data_path("recordings", file).read_text())["Entries"][entry][
        "ResponseBody"
    ]
    return body


def sas_token(collection_id: str, expires_in: dt.timedelta = dt.timedelta(hours=24)) -> dict[str, str]:
    expiry = (dt.datetime.now(dt.timezone.utc) + expires_in).strftime("%Y-%m-%dT%H:%M:%SZ")
    token = f"st=2026-04-16T13%3A55%3A13Z&se={expiry.replace(':', '%3A')}&sp=rl&sv=2025-01-05&sr=c"
    return {"msft:expiry": expiry, "token": f"{token}&sig={SECRET}-{collection_id}"}


SERVICE_ACCOUNTS = ("acct", "sanitized")  # the storage accounts the scripted GeoCatalog signs for


def refusal(message: str = "not a storage account of this GeoCatalog") -> CannedResponse:
    return CannedResponse.json({"error": {"code": "InvalidHref", "message": message}}, status=400)


def sign_answer(href: str, expires_in: dt.timedelta = dt.timedelta(hours=24)) -> CannedResponse:
    """The GeoCatalog's answer to ``/sas/sign``: the href with its container's token, for its own
    accounts' collection containers only; a 400 for any other href."""
    parts = urlsplit(href)
    account, _, host = (parts.hostname or "").partition(".")
    container = parts.path.split("/")[1] if parts.path.count("/") >= 2 else ""
    own = parts.scheme == "https" and host == "blob.core.windows.net" and account in SERVICE_ACCOUNTS
    if not own or not re.fullmatch(r".+-[0-9a-f]{8}", container) or parts.port is not None:
        return refusal()
    token = sas_token(container[:-9], expires_in)
    signed = f"{href}{'&' if parts.query else '?'}{token['token']}"
    return CannedResponse.json({"msft:expiry": token["msft:expiry"], "href": signed})


def token_responder(expires_in: dt.timedelta = dt.timedelta(hours=24), pause: float = 0.0) -> Any:
    def respond(request: CapturedRequest) -> CannedResponse:
        assert request.path == "/sas/sign", request.url
        time.sleep(pause)
        return sign_answer(dict(request.query)["href"], expires_in)

    return respond


def make_client(
    responder: Any = None, **kwargs: Any
) -> tuple[PlanetaryComputerProClient, CapturingTransport]:
    transport = CapturingTransport(responder or token_responder())
    return PlanetaryComputerProClient(
        ENDPOINT, FakeTokenCredential(), transport=transport, **kwargs
    ), transport


def sign_requests(transport: Any) -> list[str]:
    """The hrefs the GeoCatalog was asked to sign, in order."""
    return [dict(request.query)["href"] for request in transport.requests if request.path == "/sas/sign"]


def token_requests(transport: Any) -> list[str]:
    """The collections (named by the container) of the hrefs the GeoCatalog was asked to sign."""
    return [urlsplit(href).path.split("/")[1][:-9] for href in sign_requests(transport)]


def sas_of(href: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(href).query))


def signed_for(href: str, collection_id: str) -> bool:
    return sas_of(href).get("sig") == f"{SECRET}-{collection_id}".replace("%2B", "+").replace("%3D", "=")


# --------------------------------------------------------------------------------------------------
# What is signed
# --------------------------------------------------------------------------------------------------


def test_an_item_model_gets_its_managed_assets_signed_and_nothing_else() -> None:
    raw = recorded("item")
    raw["assets"]["public"] = {"href": "https://naipeuwest.blob.core.windows.net/naip/v002/ga/m_3308421.tif"}
    raw["assets"]["source"] = {"href": "https://acct.blob.core.windows.net/sample-container/image.tif"}
    raw["assets"]["elsewhere"] = {"href": "https://example.com/naip-atl-bf48131e/image.tif"}
    item = StacItem(raw)
    original = copy.deepcopy(raw)
    client, transport = make_client()

    signed = client.sas.sign(item)

    assert isinstance(signed, StacItem) and signed is not item
    assert item.as_dict() == StacItem(original).as_dict()  # the input is not changed
    collection = raw["collection"]
    for key in ("image", "tilejson", "thumbnail", "rendered_preview"):
        href = signed.assets[key].href
        assert href.startswith(original["assets"][key]["href"] + "?st=")
        assert signed_for(href, collection)
        assert sas_of(href)["sp"] == "rl"
    for key in ("public", "source", "elsewhere"):
        assert signed.assets[key].href == original["assets"][key]["href"]
    assert [link.href for link in signed.links or []] == [link["href"] for link in original["links"]]
    assert token_requests(transport) == [collection]  # one token for the item's one container


def test_plain_dicts_search_pages_collections_and_lists() -> None:
    page = recorded("search")
    other = copy.deepcopy(page["features"][0])
    other["collection"] = "landsat"
    for asset in other["assets"].values():
        asset["href"] = asset["href"].replace("naip-atl-atl-atl-atl-bf48131e", "landsat-bf48131e")
    page["features"].append(other)
    client, transport = make_client()

    signed_page = client.sas.sign(page)
    assert isinstance(signed_page, dict)
    for feature in signed_page["features"]:
        for asset in feature["assets"].values():
            assert signed_for(asset["href"], feature["collection"])
    assert sorted(token_requests(transport)) == ["landsat", "naip-atl-atl-atl-atl"]

    model_page = client.sas.sign(StacItemCollection(page))
    assert isinstance(model_page, StacItemCollection)
    assert all(signed_for(f["assets"]["image"]["href"], f["collection"]) for f in model_page.features)

    collection = StacCollection(recorded("collection"))
    signed_collection = client.sas.sign(collection)
    assert signed_for(signed_collection["assets"]["thumbnail"]["href"], "naip-atl-atl-atl")

    items = client.sas.sign([page["features"][0], other])
    assert isinstance(items, list) and signed_for(items[1]["assets"]["image"]["href"], "landsat")
    assert sorted(token_requests(transport)) == ["landsat", "naip-atl-atl-atl", "naip-atl-atl-atl-atl"]


def test_an_href_or_asset_gets_the_token_the_service_signs_its_container_with() -> None:
    client, transport = make_client()
    assert signed_for(client.sas.sign(MANAGED), "naip-atl")
    asset = client.sas.sign({"href": MANAGED.replace("naip-atl-", "naip-ga-"), "type": "image/tiff"})
    assert signed_for(asset["href"], "naip-ga") and asset["type"] == "image/tiff"
    # collection_id is still accepted, but the service, not the caller, says which token fits the href.
    other = MANAGED.replace("naip-atl-", "naip-al-")
    assert signed_for(client.sas.sign(other, collection_id="NAIP-AL"), "naip-al")
    assert token_requests(transport) == ["naip-atl", "naip-ga", "naip-al"]
    assert sign_requests(transport)[0] == MANAGED  # the href itself is what the service is asked about


@pytest.mark.parametrize(
    "href",
    [
        "http://acct.blob.core.windows.net/naip-atl-bf48131e/image.tif",  # not https
        "https://acct.blob.core.windows.net/naip-atl/image.tif",  # a source container, no catalog suffix
        "https://acct.blob.core.windows.net/naip-atl-bf48131x/image.tif",  # suffix not hex
        "https://blob.core.windows.net/naip-atl-bf48131e/image.tif",  # no account
        "https://acct.blob.core.windows.net.evil.example/naip-atl-bf48131e/image.tif",
        "https://planetarycomputer.microsoft.com/api/data/v1/item/map?collection=naip",
        "s3://bucket/naip-atl-bf48131e/image.tif",
        "relative/path.tif",
    ],
)
def test_hrefs_off_managed_storage_are_left_alone(href: str) -> None:
    client, transport = make_client()
    assert client.sas.sign(href) == href
    assert client.sas.sign({"href": href}) == {"href": href}
    assert transport.requests == []


def test_a_valid_signature_is_kept_and_an_expired_one_replaced() -> None:
    client, transport = make_client()
    future = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    valid = f"{MANAGED}?versionid=7&sv=2025-01-05&se={future}&sr=b&sp=r&sig=still-good"
    assert client.sas.sign(valid) == valid
    assert transport.requests == []

    expired = f"{MANAGED}?versionid=7&sv=2024-01-01&se=2024-01-01T00%3A00%3A00Z&sr=b&sp=r&sig=old"
    resigned = client.sas.sign(expired)
    query = parse_qsl(urlsplit(resigned).query)
    assert [name for name, _ in query].count("sig") == 1 and ("sig", "old") not in query
    assert ("versionid", "7") in query and signed_for(resigned, "naip-atl")
    assert resigned.startswith(MANAGED + "?versionid=7&st=")
    # About to expire (inside the 5-minute margin) counts as expired too.
    soon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert signed_for(client.sas.sign(f"{MANAGED}?se={soon}&sig=x"), "naip-atl")
    assert token_requests(transport) == ["naip-atl"]


@pytest.mark.parametrize("obj", [42, b"https://x", {"title": "no href"}, [{"id": "x"}], None])
def test_unsupported_objects_raise_type_error_before_any_request(obj: Any) -> None:
    client, transport = make_client()
    with pytest.raises(TypeError, match="obj"):
        client.sas.sign(obj)
    assert transport.requests == []


def test_a_blank_collection_id_is_refused() -> None:
    client, transport = make_client()
    with pytest.raises(ValueError, match="collection_id"):
        client.sas.sign(MANAGED, collection_id=" ")
    assert transport.requests == []


# --------------------------------------------------------------------------------------------------
# The token cache
# --------------------------------------------------------------------------------------------------


def test_tokens_are_cached_per_container() -> None:
    client, transport = make_client()
    for _ in range(3):
        client.sas.sign(MANAGED)
        client.sas.sign(MANAGED.replace("/b80/item-1/", "/b81/item-2/"))
    assert token_requests(transport) == ["naip-atl"]  # hits after the first miss
    client.sas.sign(MANAGED.replace("naip-atl-", "naip-ga-"))
    client.sas.sign(MANAGED.replace("acct.", "other."))  # same container name, another account
    assert token_requests(transport) == ["naip-atl", "naip-ga", "naip-atl"]


def test_a_token_is_replaced_shortly_before_it_expires() -> None:
    client, transport = make_client(token_responder(expires_in=dt.timedelta(minutes=4)))
    client.sas.sign(MANAGED)
    client.sas.sign(MANAGED)  # valid for 4 more minutes: inside the 5-minute margin, so fetched again
    assert token_requests(transport) == ["naip-atl", "naip-atl"]

    client, transport = make_client(token_responder(expires_in=dt.timedelta(minutes=6)))
    client.sas.sign(MANAGED)
    client.sas.sign(MANAGED)
    assert token_requests(transport) == ["naip-atl"]


def test_revoking_tokens_empties_the_cache() -> None:
    def responder(request: CapturedRequest) -> CannedResponse:
        if request.path == "/sas/token/revoke":
            return CannedResponse(status=200)
        return token_responder()(request)

    client, transport = make_client(responder)
    client.sas.sign(MANAGED)
    client.sas.revoke_token()
    client.sas.sign(MANAGED)
    assert [r.path for r in transport.requests] == ["/sas/sign", "/sas/token/revoke", "/sas/sign"]


def test_one_token_request_per_container_under_32_threads() -> None:
    client, transport = make_client(token_responder(pause=0.2))
    start = threading.Barrier(32)
    results: list[str] = []
    errors: list[BaseException] = []

    def sign(index: int) -> None:
        try:
            start.wait()
            results.append(client.sas.sign(MANAGED.replace("item-1", f"item-{index}")))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=sign, args=(index,)) for index in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(results) == 32 and all(signed_for(href, "naip-atl") for href in results)
    assert token_requests(transport) == ["naip-atl"]


# --------------------------------------------------------------------------------------------------
# Against local servers: the GeoCatalog on 127.0.0.1, "Azure Blob storage" on 127.0.0.2
# --------------------------------------------------------------------------------------------------

BLOB_BODY = bytes(range(256)) * 4096  # 1 MiB


@dataclass
class Seen:
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: Seen
    role: str

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.seen.requests.append((self.path, dict(self.headers.items())))
        path, _, query = self.path.partition("?")
        if self.role == "endpoint" and path == "/sas/sign":
            answer = sign_answer(dict(parse_qsl(query))["href"])
            self._send(answer.status, answer.body, "application/json")
        elif self.role == "storage" and "sig=" in query and path.endswith("/image.tif"):
            self._send(200, BLOB_BODY, "image/tiff")
        elif self.role == "storage":
            self._send(403, b"<Error><Code>AuthenticationFailed</Code></Error>", "application/xml")
        else:
            self._send(404, b'{"error": {"code": "NotFound", "message": "no"}}', "application/json")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Servers:
    endpoint: str
    storage: str  # host:port standing in for acct.blob.core.windows.net
    endpoint_seen: Seen
    storage_seen: Seen


@pytest.fixture
def servers() -> Iterator[Servers]:
    started = []
    seen = {}
    for role, host in (("endpoint", "127.0.0.1"), ("storage", "127.0.0.2")):
        seen[role] = Seen()
        handler = type(f"{role}Handler", (_Handler,), {"seen": seen[role], "role": role})
        server = http.server.ThreadingHTTPServer((host, 0), handler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        started.append((server, thread))
    try:
        (endpoint, _), (storage, _) = started
        yield Servers(
            f"http://127.0.0.1:{endpoint.server_address[1]}",
            f"127.0.0.2:{storage.server_address[1]}",
            seen["endpoint"],
            seen["storage"],
        )
    finally:
        for server, thread in started:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)


def to_storage_stand_in(url: str, storage: str) -> str:
    """https://<account>.blob.core.windows.net/... goes to the local storage server instead."""
    parts = urlsplit(url)
    if (parts.hostname or "").endswith(".blob.core.windows.net"):
        return urlunsplit(("http", storage, parts.path, parts.query, ""))
    return url


class StorageStandInTransport(RequestsTransport):
    """The default requests transport, delivering blob requests to the local storage server.

    The URL is changed here, after every pipeline policy (the bearer-token policy included) has seen
    the real blob URL.
    """

    def __init__(self, storage: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.storage = storage

    def send(self, request: Any, **kwargs: Any) -> Any:
        request.url = to_storage_stand_in(request.url, self.storage)
        return super().send(request, **kwargs)


def secret_values() -> list[str]:
    """The signature as it may be written: percent-encoded, decoded, or just its distinctive start."""
    return ["SECRETsig0123456789abcdef"]


def test_storage_gets_the_sas_and_never_the_bearer_token(servers: Servers, tmp_path: Path) -> None:
    transport = StorageStandInTransport(servers.storage)
    with PlanetaryComputerProClient(servers.endpoint, FakeTokenCredential(), transport=transport) as client:
        asset = {"href": MANAGED, "type": "image/tiff"}
        target = client.sas.download_asset(asset, tmp_path / "out" / "image.tif")
        client.sas.download_asset(asset, tmp_path / "again.tif")
    assert target == tmp_path / "out" / "image.tif" and target.read_bytes() == BLOB_BODY
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["again.tif", "image.tif", "out"]  # no temp files

    [(token_path, token_headers)] = servers.endpoint_seen.requests  # one token, cached for the second
    assert token_path.startswith("/sas/sign?api-version=") and "naip-atl-bf48131e" in token_path
    assert token_headers.get("Authorization") == "Bearer fake-geocatalog-token"
    assert len(servers.storage_seen.requests) == 2
    for path, headers in servers.storage_seen.requests:
        assert path.startswith("/naip-atl-bf48131e/b80/item-1/image.tif?st=")
        assert "sig=SECRETsig" in path
        assert not any(name.lower() == "authorization" for name in headers), headers


def test_no_signature_in_the_logs(servers: Servers, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: azure-core's and the transport's (urllib3)
    transport = StorageStandInTransport(servers.storage)
    with PlanetaryComputerProClient(
        servers.endpoint, FakeTokenCredential(), transport=transport, logging_enable=True
    ) as client:
        client.sas.download_asset(MANAGED, tmp_path / "image.tif")
        client.sas.sign(recorded("item"))
    assert "/sas/sign" in caplog.text and "/naip-atl-bf48131e/b80/item-1/image.tif" in caplog.text
    assert "sig=REDACTED" in caplog.text
    for secret in secret_values():
        assert secret not in caplog.text
    assert "fake-geocatalog-token" not in caplog.text


def test_download_errors_name_no_signature(servers: Servers, tmp_path: Path) -> None:
    transport = StorageStandInTransport(servers.storage)
    with PlanetaryComputerProClient(servers.endpoint, FakeTokenCredential(), transport=transport) as client:
        with pytest.raises(HttpResponseError) as refused:
            client.sas.download_asset(MANAGED.replace("image.tif", "missing.bin"), tmp_path / "x.bin")
        assert refused.value.status_code == 403

        # Storage unreachable: requests' message would quote the URL, signature and all.
        closed = StorageStandInTransport("127.0.0.2:9", retry_total=0)
        with (
            PlanetaryComputerProClient(
                servers.endpoint, FakeTokenCredential(), transport=closed, retry_total=0
            ) as unreachable,
            pytest.raises(ServiceRequestError) as failed,
        ):
            unreachable.sas.download_asset(MANAGED, tmp_path / "y.bin")
    for error in (refused.value, failed.value):
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        for secret in secret_values():
            assert secret not in text
    assert not list(tmp_path.iterdir())


class QuotingTransport(CapturingTransport):
    """Fails storage requests the way some transports do: with the request URL in the message."""

    def send(self, request: Any, **kwargs: Any) -> Any:
        if request.url.startswith("https://acct.blob.core.windows.net"):
            raise ServiceResponseError(f"Connection broken while reading {request.url}")
        return super().send(request, **kwargs)


def test_a_transport_error_quoting_the_url_is_redacted(tmp_path: Path) -> None:
    transport = QuotingTransport(token_responder())
    client = PlanetaryComputerProClient(ENDPOINT, FakeTokenCredential(), transport=transport, retry_total=0)
    with pytest.raises(ServiceResponseError) as failed:
        client.sas.download_asset(MANAGED, tmp_path / "image.tif")
    error = failed.value
    assert re.fullmatch(
        r"Connection broken while reading https://acct\.blob\.core\.windows\.net/\S+", str(error)
    )
    assert "sig=REDACTED" in str(error)
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    assert all(secret not in text for secret in secret_values())
    assert all(secret not in repr(vars(error)) for secret in secret_values())
    assert not list(tmp_path.iterdir())


def test_download_checks_its_arguments_first(tmp_path: Path) -> None:
    client, transport = make_client()
    with pytest.raises(TypeError, match="asset"):
        client.sas.download_asset({"title": "no href"}, tmp_path / "x")
    with pytest.raises(ValueError, match="path"):
        client.sas.download_asset(MANAGED, tmp_path)
    with pytest.raises(ValueError, match="href"):
        client.sas.download_asset("ftp://host/file", tmp_path / "x")
    assert transport.requests == []
