"""The default synchronous transport (urllib3, without requests) against local servers.

It must put the same requests on the wire as azure-core's requests transport, give the same
responses, raise the same azure-core exceptions, reuse connections, and honour proxies and TLS
settings, while never reading ~/.netrc (whose Basic credentials would replace the bearer token).
"""

from __future__ import annotations

import gzip
import re
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _capture import FakeTokenCredential
from azure.core.exceptions import (
    IncompleteReadError,
    ServiceRequestError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline.transport import HttpRequest as LegacyHttpRequest
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer._transport import Urllib3Transport
from fault_server import FaultServer, Reply

TOKEN = "Bearer fake-geocatalog-token"


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as fault_server:
        yield fault_server


def _client(endpoint: str, **kwargs: Any) -> PlanetaryComputerProClient:
    return PlanetaryComputerProClient(endpoint, FakeTokenCredential(), retry_total=0, **kwargs)


def test_the_client_uses_it_by_default_and_keeps_an_explicit_transport() -> None:
    default = _client("https://geocatalog.example.com")
    assert isinstance(default._client._pipeline._transport, Urllib3Transport)
    requests_transport = RequestsTransport()
    explicit = _client("https://geocatalog.example.com", transport=requests_transport)
    assert explicit._client._pipeline._transport is requests_transport


def test_request_on_the_wire_and_parsed_response(server: FaultServer) -> None:
    server.script("/stac/collections/naip", Reply.json({"id": "naip", "type": "Collection"}))
    collection = _client(server.url).stac.get_collection("naip")
    assert collection.id == "naip"
    (request,) = server.requests
    assert request.method == "GET"
    assert request.query == {"api-version": "2026-04-15"}
    assert request.header("Authorization") == TOKEN
    assert request.header("Accept") == "application/json"
    assert "gzip" in (request.header("Accept-Encoding") or "")
    assert (request.header("User-Agent") or "").startswith("azsdk-python-")


def test_percent_encoding_in_the_query_is_kept(server: FaultServer) -> None:
    server.script("/anything", Reply.json({}))
    with _client(server.url) as client:
        client.send_request(HttpRequest("GET", f"{server.url}/anything?assets=a%2Cb&x=%2F")).read()
    assert server.requests[0].target == "/anything?assets=a%2Cb&x=%2F"


def test_a_json_body_is_sent_as_is(server: FaultServer) -> None:
    server.script("/stac/search", Reply.json({"type": "FeatureCollection", "features": [], "links": []}))
    _client(server.url).stac.search(body={"collections": ["naip"], "limit": 5, "query": {"t": "é"}})
    (request,) = server.requests
    assert request.method == "POST"
    assert request.json() == {"collections": ["naip"], "limit": 5, "query": {"t": "é"}}
    assert request.header("Content-Length") == str(len(request.body))
    assert request.header("Content-Type") == "application/json"


def test_a_gzip_body_is_decoded_and_iter_raw_keeps_it_compressed(server: FaultServer) -> None:
    payload = b'{"id": "naip"}' * 1000
    compressed = gzip.compress(payload)
    reply = Reply(200, {"Content-Type": "application/octet-stream", "Content-Encoding": "gzip"}, compressed)
    server.script("/gz", reply)
    with _client(server.url) as client:
        assert client.send_request(HttpRequest("GET", f"{server.url}/gz"), stream=True).read() == payload
        streamed = client.send_request(HttpRequest("GET", f"{server.url}/gz"), stream=True)
        assert b"".join(streamed.iter_bytes()) == payload
        raw = client.send_request(HttpRequest("GET", f"{server.url}/gz"), stream=True)
        assert b"".join(raw.iter_raw()) == compressed


class _RawServer:
    """Answers every request on a loopback port with ``answer(connection)``, after reading the request."""

    def __init__(self, answer: Any) -> None:
        self._answer = answer
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with connection:
                received = b""
                while b"\r\n\r\n" not in received:
                    data = connection.recv(65536)
                    if not data:
                        break
                    received += data
                self._answer(connection)

    def close(self) -> None:
        self._listener.close()


def _reset(connection: socket.socket) -> None:
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _both_transports(url: str, **kwargs: Any) -> list[Any]:
    """What ``GET url`` gives (a response or the exception) with our transport and with requests'."""
    outcomes: list[Any] = []
    for transport in (Urllib3Transport(), RequestsTransport()):
        with _client(url.rsplit("/", 1)[0], transport=transport) as client:
            try:
                outcomes.append(client.send_request(HttpRequest("GET", url), stream=True, **kwargs))
            except Exception as error:
                outcomes.append(error)
    return outcomes


def test_duplicate_response_headers_are_merged_as_requests_merges_them() -> None:
    raw = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Tag: a\r\nx-tag: b\r\nContent-Length: 2\r\n\r\nok"
    )
    server = _RawServer(lambda connection: connection.sendall(raw))
    try:
        ours, theirs = _both_transports(f"{server.url}/h")
    finally:
        server.close()
    assert ours.headers["X-TAG"] == theirs.headers["X-TAG"] == "a, b"
    assert ours.read() == theirs.read() == b"ok"


def test_a_reset_before_the_response_is_a_service_response_error_as_with_requests() -> None:
    server = _RawServer(_reset)
    try:
        ours, theirs = _both_transports(f"{server.url}/r")
    finally:
        server.close()
    assert type(ours) is type(theirs) is ServiceResponseError


def test_a_streamed_body_arrives_in_blocks_and_connections_are_reused(server: FaultServer) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB
    server.script("/big", Reply.data(body))
    connections: list[int] = []
    with _client(server.url) as client:
        for _ in range(5):
            response = client.send_request(HttpRequest("GET", f"{server.url}/big"), stream=True)
            chunks = list(response.iter_bytes())
            assert b"".join(chunks) == body
            assert max(len(chunk) for chunk in chunks) <= 64 * 1024
            assert len(chunks) >= 16
        for _ in range(5):
            client.send_request(HttpRequest("GET", f"{server.url}/big"), stream=True).read()
        transport: Any = client._client._pipeline._transport
        for manager in transport._managers.values():
            for key in manager.pools.keys():  # noqa: SIM118 -- the container is not iterable
                connections.append(manager.pools[key].num_connections)
    # one pool for the one host, which opened one connection for ten sequential requests
    assert connections == [1]


def test_connection_refused_is_a_service_request_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ServiceRequestError):
        _client(f"http://127.0.0.1:{port}").stac.get_collection("naip")


def test_a_truncated_body_is_an_incomplete_read(server: FaultServer) -> None:
    server.script("/stac/collections/naip", Reply.truncated(b'{"id": "naip"}' * 100, after=50))
    with pytest.raises(IncompleteReadError):
        _client(server.url).stac.get_collection("naip")


def test_a_stalled_response_times_out_as_a_response_timeout(server: FaultServer) -> None:
    server.script("/stac/collections/naip", Reply.stall(5))
    with pytest.raises(ServiceResponseTimeoutError):
        _client(server.url, read_timeout=0.3).stac.get_collection("naip")
    body = b"x" * 10_000
    server.script("/slow-body", Reply.stall(5, body=body, after=100, content_type="image/png"))
    with _client(server.url, read_timeout=0.3) as client:
        response = client.send_request(HttpRequest("GET", f"{server.url}/slow-body"), stream=True)
        with pytest.raises(ServiceResponseTimeoutError):
            b"".join(response.iter_bytes())


def test_unknown_keywords_legacy_requests_and_a_closed_transport_are_refused(server: FaultServer) -> None:
    server.script("/x", Reply.json({}))
    transport = Urllib3Transport()
    with pytest.raises(TypeError, match="unexpected keyword arguments: colour"):
        transport.send(HttpRequest("GET", f"{server.url}/x"), colour="blue")
    with pytest.raises(TypeError, match=r"azure\.core\.rest\.HttpRequest"):
        transport.send(LegacyHttpRequest("GET", f"{server.url}/x"))  # type: ignore[arg-type]
    assert transport.send(HttpRequest("GET", f"{server.url}/x")).status_code == 200
    transport.close()
    with pytest.raises(ValueError, match="already been closed"):
        transport.send(HttpRequest("GET", f"{server.url}/x"))
    assert len(server.requests) == 1


def test_netrc_never_replaces_the_bearer_token(
    server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    server.script("/stac/collections/naip", Reply.json({"id": "naip"}))
    _client(server.url).stac.get_collection("naip")
    assert server.requests[0].header("Authorization") == TOKEN


@pytest.fixture
def proxy() -> Iterator[FaultServer]:
    """A plain-http forward proxy: it is asked for absolute URLs, and answers them itself."""
    with FaultServer() as forward_proxy:
        forward_proxy.script("/stac/collections/naip", Reply.json({"id": "via-proxy"}))
        yield forward_proxy


def test_proxies_come_from_the_environment_and_follow_its_changes(
    server: FaultServer, proxy: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.script("/stac/collections/naip", Reply.json({"id": "direct"}))
    proxy_url = f"http://user:p%40ss@127.0.0.1:{proxy.port}"
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    client = _client(server.url)
    assert client.stac.get_collection("naip").id == "direct"
    monkeypatch.setenv("HTTP_PROXY", proxy_url)  # set after the client's first request
    assert client.stac.get_collection("naip").id == "via-proxy"
    assert [request.target for request in proxy.requests] == [
        f"{server.url}/stac/collections/naip?api-version=2026-04-15"
    ]
    assert proxy.requests[0].header("Proxy-Authorization") == "Basic dXNlcjpwQHNz"  # user:p@ss
    # NO_PROXY bypasses it, as soon as it is set
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert client.stac.get_collection("naip").id == "direct"
    # use_env_settings=False ignores the environment
    monkeypatch.delenv("NO_PROXY")
    assert _client(server.url, use_env_settings=False).stac.get_collection("naip").id == "direct"
    assert len(proxy.requests) == 1
    assert len(server.requests) == 3


def test_proxies_given_per_call_win(server: FaultServer, proxy: FaultServer) -> None:
    server.script("/stac/collections/naip", Reply.json({"id": "direct"}))
    proxies = {"http": f"http://127.0.0.1:{proxy.port}"}
    client = _client(server.url, use_env_settings=False)
    assert client.stac.get_collection("naip", proxies=proxies).id == "via-proxy"
    assert client.stac.get_collection("naip").id == "direct"


def test_tls_settings_reach_the_connection_pool(tmp_path: Path) -> None:
    import certifi

    transport = Urllib3Transport()
    assert transport._new_manager(None, True, None).connection_pool_kw["ca_certs"] == certifi.where()
    bundle = tmp_path / "ca.pem"
    assert transport._new_manager(None, str(bundle), None).connection_pool_kw["ca_certs"] == str(bundle)
    bundle_directory = transport._new_manager(None, str(tmp_path), None).connection_pool_kw["ca_cert_dir"]
    assert bundle_directory == str(tmp_path)
    unverified = transport._new_manager(None, False, ("c.pem", "k.pem")).connection_pool_kw
    assert unverified["cert_reqs"] == "CERT_NONE"
    assert (unverified["cert_file"], unverified["key_file"]) == ("c.pem", "k.pem")


def _multipart_shape(body: bytes, content_type: str) -> bytes:
    boundary = re.search(r"boundary=([0-9a-f]+)", content_type)
    assert boundary is not None
    return body.replace(boundary.group(1).encode(), b"BOUNDARY")


def test_a_multipart_upload_is_byte_for_byte_what_requests_sends(server: FaultServer) -> None:
    server.script("/stac/collections/naip/assets", Reply.json({"id": "naip"}, status=201), method="POST")
    asset = {"data": {"key": "thumbnail", "href": "x", "type": "image/png"}, "file": ("t.png", b"\x89PNG...")}
    _client(server.url).stac.create_collection_asset("naip", asset)
    _client(server.url, transport=RequestsTransport()).stac.create_collection_asset("naip", asset)
    ours, theirs = server.requests
    assert ours.header("Content-Length") == str(len(ours.body))
    assert _multipart_shape(ours.body, ours.header("Content-Type") or "") == _multipart_shape(
        theirs.body, theirs.header("Content-Type") or ""
    )
    assert b'name="file"; filename="t.png"' in ours.body


def test_bodies_are_framed_as_requests_frames_them(server: FaultServer, tmp_path: Path) -> None:
    server.script("/upload", Reply.json({}), method="PUT")
    upload = tmp_path / "body.bin"
    upload.write_bytes(b"0123456789" * 1000)

    def send_all(transport: Any) -> None:
        with _client(server.url, transport=transport) as client:
            client.send_request(HttpRequest("PUT", f"{server.url}/upload", content="café")).read()
            with upload.open("rb") as file:
                file.seek(10)
                client.send_request(HttpRequest("PUT", f"{server.url}/upload", content=file)).read()
            chunks = iter([b"ab", b"cd"])
            client.send_request(HttpRequest("PUT", f"{server.url}/upload", content=chunks)).read()

    send_all(Urllib3Transport())
    send_all(RequestsTransport())
    ours, theirs = server.requests[:3], server.requests[3:]
    # a str goes as UTF-8, its Content-Length counted in bytes (azure-core counts characters)
    assert ours[0].body == "café".encode() and ours[0].header("Content-Length") == "5"
    # a file goes with its remaining length, not chunked
    for request in (ours[1], theirs[1]):
        assert request.body == upload.read_bytes()[10:]
        assert request.header("Content-Length") == "9990"
        assert request.header("Transfer-Encoding") is None
    # an iterator of unknown length goes chunked
    for request in (ours[2], theirs[2]):
        assert request.body == b"abcd"
        assert request.header("Transfer-Encoding") == "chunked"


# --------------------------------------------------------------------------------------------------
# TLS: certificates are verified (certifi's bundle by default), as with requests
# --------------------------------------------------------------------------------------------------


class _TlsServer(FaultServer):
    """A FaultServer over HTTPS, with a certificate for 127.0.0.1 from a throwaway CA (trustme)."""

    def __init__(self, tmp_path: Path) -> None:
        import ssl

        import trustme

        ca = trustme.CA()
        self.ca_path = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_path))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        super().__init__(ssl_context=context)
        self.script("/stac/collections/naip", Reply.json({"id": "over-tls"}))


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[_TlsServer]:
    server = _TlsServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("transport_class", [Urllib3Transport, RequestsTransport])
def test_an_untrusted_certificate_is_refused(
    tls_server: _TlsServer, transport_class: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with pytest.raises(ServiceRequestError, match="CERTIFICATE_VERIFY_FAILED"):
        _client(tls_server.url, transport=transport_class()).stac.get_collection("naip")
    assert tls_server.requests == []


@pytest.mark.parametrize("transport_class", [Urllib3Transport, RequestsTransport])
def test_a_trusted_ca_is_accepted_from_the_keyword_or_the_environment(
    tls_server: _TlsServer, transport_class: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    client = _client(tls_server.url, transport=transport_class(connection_verify=str(tls_server.ca_path)))
    assert client.stac.get_collection("naip").id == "over-tls"
    client = _client(tls_server.url, transport=transport_class())
    with pytest.raises(ServiceRequestError, match="CERTIFICATE_VERIFY_FAILED"):
        client.stac.get_collection("naip")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_server.ca_path))  # the same client follows it
    assert client.stac.get_collection("naip").id == "over-tls"
    assert len(tls_server.requests) == 2


# --------------------------------------------------------------------------------------------------
# The async client constructed outside a running event loop, on the lowest and highest aiohttp
# --------------------------------------------------------------------------------------------------

_CONSTRUCTION_ORDERS = """
import asyncio, http.server, json, sys, threading, warnings
warnings.simplefilter("error")  # a deprecated event-loop lookup in the constructor must not slip by
import aiohttp
from azure.core.credentials import AccessToken
from azure.planetarycomputer.aio import PlanetaryComputerProClient

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"id": self.path.split("?")[0].rsplit("/", 1)[-1]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
endpoint = f"http://127.0.0.1:{server.server_address[1]}"

class Credential:
    async def get_token(self, *scopes, **kwargs):
        return AccessToken("token", 2**31)
    async def close(self):
        pass

module_level = PlanetaryComputerProClient(endpoint, Credential())  # no event loop running here

async def outside_then_inside():
    async with module_level:
        return (await module_level.stac.get_collection("outside")).id

async def inside():
    async with PlanetaryComputerProClient(endpoint, Credential()) as client:
        return (await client.stac.get_collection("inside")).id

print(aiohttp.__version__, asyncio.run(outside_then_inside()), asyncio.run(inside()))
server.shutdown()
"""


def _construction_orders(python: str) -> list[str]:
    result = subprocess.run([python, "-c", _CONSTRUCTION_ORDERS], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_async_client_constructed_outside_a_loop_on_the_installed_aiohttp() -> None:
    import aiohttp

    assert _construction_orders(sys.executable) == [aiohttp.__version__, "outside", "inside"]


def test_async_client_constructed_outside_a_loop_on_the_lowest_aiohttp(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from clean_venvs import LOWEST_AIOHTTP, venv_for_tests

    python = venv_for_tests("aiohttp-lowest", tmp_path_factory.getbasetemp() / "venvs")
    lowest = LOWEST_AIOHTTP.split("==")[1]
    assert _construction_orders(str(python)) == [lowest, "outside", "inside"]


def test_finished_reads_leave_nothing_behind_in_the_deadline_watchdog(server: FaultServer) -> None:
    from azure.planetarycomputer._transport import _WATCHDOG

    server.script("/stac/collections/naip", Reply.json({"id": "naip", "type": "Collection"}))
    client = _client(server.url, response_timeout=60)
    for _ in range(10):
        client.stac.get_collection("naip")
    entries = list(_WATCHDOG._heap)
    assert len(entries) <= 1  # the last read's entry at most, finished
    assert all(entry.done and entry.raw is None for _, _, entry in entries)
