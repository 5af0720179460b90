"""The public client: endpoint rules, credential scope, api-version, and where the token goes."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from _capture import (
    AsyncCapturingTransport,
    CannedResponse,
    CapturingTransport,
    FakeAsyncTokenCredential,
    FakeTokenCredential,
)
from azure.core.rest import HttpRequest
from azure.planetarycomputer import DEFAULT_SCOPE, PlanetaryComputerProClient
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient


def make_client(
    endpoint: str = "https://cat.geocatalog.spatio.azure.com", **kwargs: Any
) -> tuple[PlanetaryComputerProClient, CapturingTransport, FakeTokenCredential]:
    transport = CapturingTransport()
    credential = FakeTokenCredential("secret-token")
    client = PlanetaryComputerProClient(endpoint, credential, transport=transport, **kwargs)
    return client, transport, credential


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://cat.geocatalog.spatio.azure.com",
        "ftp://cat",
        "cat.geocatalog.spatio.azure.com",
        "https://",
        "",
        "https://cat.geocatalog.spatio.azure.com?x=1",
    ],
)
def test_unusable_endpoints_are_refused(endpoint: str) -> None:
    with pytest.raises(ValueError, match="endpoint"):
        PlanetaryComputerProClient(endpoint, FakeTokenCredential())


def test_endpoint_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="endpoint"):
        PlanetaryComputerProClient(None, FakeTokenCredential())  # type: ignore[arg-type]


def test_credential_is_required() -> None:
    with pytest.raises(ValueError, match="credential"):
        PlanetaryComputerProClient("https://cat.geocatalog.spatio.azure.com", None)  # type: ignore[arg-type]


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:8811", "http://localhost:9000/", "http://[::1]:8080"])
def test_plain_http_is_allowed_for_loopback_and_carries_the_token(endpoint: str) -> None:
    client, transport, _ = make_client(endpoint)
    client.stac.get_conformance_classes()
    (request,) = transport.requests
    assert request.url.startswith(endpoint.rstrip("/") + "/stac/conformance?")
    assert request.headers["Authorization"] == "Bearer secret-token"


def test_requests_carry_api_version_scope_and_token() -> None:
    client, transport, credential = make_client()
    client.stac.get_landing_page()
    (request,) = transport.requests
    assert request.url == "https://cat.geocatalog.spatio.azure.com/stac?api-version=2026-04-15"
    assert request.headers["Authorization"] == "Bearer secret-token"
    assert credential.requested_scopes == [(DEFAULT_SCOPE,)]
    assert DEFAULT_SCOPE == "https://geocatalog.spatio.azure.com/.default"


def test_api_version_and_scopes_can_be_overridden() -> None:
    client, transport, credential = make_client(
        api_version="2099-01-01", credential_scopes=["api://custom/.default"]
    )
    client.stac.get_landing_page()
    assert transport.requests[0].url.endswith("/stac?api-version=2099-01-01")
    assert credential.requested_scopes == [("api://custom/.default",)]


@pytest.mark.parametrize(
    "url",
    [
        "https://account.blob.core.windows.net/container/a.tif?sv=1",
        "https://cat.geocatalog.spatio.azure.com.evil.example/stac",
        "http://cat.geocatalog.spatio.azure.com/stac",
        "https://cat.geocatalog.spatio.azure.com:8443/stac",
    ],
)
def test_token_is_never_sent_to_other_hosts(url: str) -> None:
    client, transport, credential = make_client()
    client.send_request(HttpRequest("GET", url, headers={"Authorization": "Bearer smuggled"}))
    (request,) = transport.requests
    assert "Authorization" not in request.headers
    assert credential.requested_scopes == []


def test_shared_access_signature_is_the_sas_group() -> None:
    client, _, _ = make_client()
    assert client.shared_access_signature is client.sas
    assert hasattr(client.sas, "get_token")


async def test_async_client_has_the_same_rules() -> None:
    with pytest.raises(ValueError, match="endpoint"):
        AsyncPlanetaryComputerProClient("http://remote.example", FakeAsyncTokenCredential())
    client = AsyncPlanetaryComputerProClient("http://127.0.0.1:1", FakeAsyncTokenCredential())
    assert client.shared_access_signature is client.sas
    await client.close()


def test_operation_groups_are_importable_from_the_documented_modules() -> None:
    from azure.planetarycomputer import operations
    from azure.planetarycomputer.aio import operations as aio_operations

    client, _, _ = make_client()
    assert isinstance(client.stac, operations.StacOperations)
    assert isinstance(client.data, operations.DataOperations)
    assert isinstance(client.ingestion, operations.IngestionOperations)
    assert isinstance(client.sas, operations.SasOperations)
    assert aio_operations.StacOperations.__module__ == "azure.planetarycomputer.aio._operations"


# --------------------------------------------------------------------------------------------------
# Path parameters that would address another resource are refused at the call, by name
# --------------------------------------------------------------------------------------------------


def _path_parameter_operations() -> list[tuple[str, str, str]]:
    """(group, method, parameter) for every string path parameter of every generated operation."""
    import re

    from azure.planetarycomputer._generated.operations import _operations as generated

    source = inspect.getsource(generated)
    cases = []
    for group in ("stac", "data", "ingestion", "sas"):
        operations = getattr(make_client()[0], group)
        for method in sorted(name for name in dir(operations) if not name.startswith("_")):
            builder = f"build_{group}_{method[len('begin_') if method.startswith('begin_') else 0 :]}_request"
            match = re.search(rf"^def {builder}\(.*?^    return HttpRequest", source, re.S | re.M)
            if match is None:
                continue  # our own helpers (sign, download_tiles...), covered in their own tests
            for parameter in re.findall(r'_SERIALIZER\.url\("(\w+)", \w+, "str"', match.group(0)):
                cases.append((group, method, parameter))
    return cases


PATH_PARAMETER_OPERATIONS = _path_parameter_operations()


def _arguments(method: Any, target: str, value: str) -> dict[str, Any]:
    """Keyword arguments for ``method``: ``value`` for ``target``, plausible values for the rest."""
    arguments: dict[str, Any] = {}
    for name, parameter in inspect.signature(method).parameters.items():
        if parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
            continue
        if name == target:
            arguments[name] = value
        elif parameter.default is parameter.empty:
            annotation = str(parameter.annotation)
            if name == "body" or "Model" in annotation or "JSON" in annotation:
                arguments[name] = {}
            elif "float" in annotation or "int" in annotation:
                arguments[name] = 1
            else:
                arguments[name] = "x"
    if "polling_interval" not in arguments and getattr(method, "__name__", "").startswith("begin_"):
        arguments["polling_interval"] = 0
    return arguments


def test_every_string_path_parameter_is_covered() -> None:
    covered = {parameter for _, _, parameter in PATH_PARAMETER_OPERATIONS}
    assert {"collection_id", "item_id", "search_id", "ingestion_id", "tile_matrix_set_id"} <= covered
    assert len(PATH_PARAMETER_OPERATIONS) > 150


@pytest.mark.parametrize("value", ["", ".", ".."])
def test_an_empty_or_dot_id_is_refused_before_sending_sync(value: str) -> None:
    client, transport, _ = make_client()
    for group, method_name, parameter in PATH_PARAMETER_OPERATIONS:
        method = getattr(getattr(client, group), method_name)
        with pytest.raises(ValueError, match=rf"^{parameter}\b") as raised:
            result = method(**_arguments(method, parameter, value))
            next(iter(result))  # a paged operation builds its first request when iterated
        assert ("empty" if value == "" else "must not be '.' or '..'") in str(raised.value), (
            group,
            method_name,
        )
        assert transport.requests == [], (group, method_name, parameter)


@pytest.mark.parametrize("value", ["", ".", ".."])
async def test_an_empty_or_dot_id_is_refused_before_sending_aio(value: str) -> None:
    transport = AsyncCapturingTransport()
    async with AsyncPlanetaryComputerProClient(
        "https://cat.geocatalog.spatio.azure.com", FakeAsyncTokenCredential(), transport=transport
    ) as client:
        for group, method_name, parameter in PATH_PARAMETER_OPERATIONS:
            method = getattr(getattr(client, group), method_name)
            with pytest.raises(ValueError, match=rf"^{parameter}\b"):
                result = method(**_arguments(method, parameter, value))
                if inspect.isawaitable(result):
                    result = await result
                await result.__aiter__().__anext__()  # a paged operation builds its request when iterated
            assert transport.requests == [], (group, method_name, parameter)


def test_the_empty_id_examples_of_the_issue() -> None:
    client, transport, _ = make_client()
    with pytest.raises(ValueError, match=r"^collection_id must not be empty"):
        client.stac.begin_delete_collection("")
    with pytest.raises(ValueError, match=r"^item_id must not be empty"):
        client.stac.begin_delete_item("c", "")
    with pytest.raises(ValueError, match=r"^collection_id must not be empty"):
        client.stac.get_collection("")
    assert transport.requests == []
    client.stac.get_collection(" ")  # any other id is a resource of its own: sent, percent-encoded
    assert transport.requests[0].path == "/stac/collections/%20"


# --------------------------------------------------------------------------------------------------
# JSON nested too deeply to parse is a DecodeError, not a bare RecursionError
# --------------------------------------------------------------------------------------------------

DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


def test_json_nested_too_deeply_raises_decode_error_sync() -> None:
    from azure.core.exceptions import DecodeError

    transport = CapturingTransport(CannedResponse(200, {"Content-Type": "application/json"}, DEEP_JSON))
    client = PlanetaryComputerProClient("https://cat.example.com", FakeTokenCredential(), transport=transport)
    with pytest.raises(DecodeError, match=r"GET /stac/collections/naip is JSON nested too deeply") as raised:
        client.stac.get_collection("naip")
    assert raised.value.response is not None and raised.value.response.status_code == 200


async def test_json_nested_too_deeply_raises_decode_error_aio() -> None:
    from azure.core.exceptions import DecodeError

    transport = AsyncCapturingTransport(CannedResponse(200, {"Content-Type": "application/json"}, DEEP_JSON))
    async with AsyncPlanetaryComputerProClient(
        "https://cat.example.com", FakeAsyncTokenCredential(), transport=transport
    ) as client:
        with pytest.raises(DecodeError, match="nested too deeply"):
            await client.stac.get_collection("naip")


def test_a_parsed_response_is_freed_without_the_garbage_collector() -> None:
    """The JSON guard holds its response weakly: no reference cycle keeps a response (a search page)
    alive after the operation returns, until a garbage collection that may be pages away."""
    import gc
    import weakref

    from azure.core.rest._http_response_impl import HttpResponseImpl

    collection = {"id": "c", "type": "Collection", "description": "d", "license": "l", "links": []}
    transport = CapturingTransport(CannedResponse.json(collection))
    client = PlanetaryComputerProClient(
        "https://geocatalog.example.com", FakeTokenCredential(), transport=transport
    )
    seen: list[weakref.ref[Any]] = []
    original = HttpResponseImpl.json

    def spy(self: Any) -> Any:
        seen.append(weakref.ref(self))
        return original(self)

    gc.collect()
    gc.disable()
    try:
        HttpResponseImpl.json = spy  # type: ignore[method-assign]
        try:
            assert client.stac.get_collection("c").id == "c"
            client.stac.get_collection("c")  # the guard remembers the last parse: only earlier ones go
        finally:
            HttpResponseImpl.json = original  # type: ignore[method-assign]
        assert seen and seen[0]() is None
    finally:
        gc.enable()
