"""The public synchronous client."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from azure.core.credentials import TokenCredential
from azure.core.exceptions import DecodeError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import SansIOHTTPPolicy

from ._auth import GeoCatalogBearerTokenPolicy
from ._endpoint import dot_segment, request_origin, validate_endpoint
from ._generated import PlanetaryComputerProClient as _GeneratedClient
from ._operations import DataOperations, IngestionOperations, SasOperations, StacOperations
from ._redaction import RedactingNetworkTraceLoggingPolicy
from ._retry import GeoCatalogRetryPolicy
from ._storage_hosts import StorageHosts
from ._transport import Urllib3Transport

__all__ = [
    "DEFAULT_SCOPE",
    "JsonDecodeGuardPolicy",
    "PlanetaryComputerProClient",
    "RequestPathGuardPolicy",
    "secure_pipeline_kwargs",
]

DEFAULT_SCOPE = "https://geocatalog.spatio.azure.com/.default"


class RequestPathGuardPolicy(SansIOHTTPPolicy[Any, Any]):
    """Refuses, before sending, a request to the endpoint whose path has a ``.`` or ``..`` segment.

    Ids become path segments (``/stac/collections/{collection_id}/items/{item_id}``) and HTTP
    libraries remove dot segments before sending: ``begin_delete_item("c", "..")`` would become
    ``DELETE /stac/collections/c/``, i.e. another resource than the one named.
    """

    def __init__(self, endpoint: str) -> None:
        self._origin = request_origin(endpoint)

    def on_request(self, request: PipelineRequest[Any]) -> None:
        url = request.http_request.url
        segment = dot_segment(url) if request_origin(url) == self._origin else None
        if segment is not None:
            raise ValueError(
                f"an id (collection_id, item_id...) must not be '.' or '..': the path segment {segment!r} "
                "would be removed by URL normalization and the request would reach another resource"
            )


class JsonDecodeGuardPolicy(SansIOHTTPPolicy[Any, Any]):
    """Makes ``response.json()`` raise :class:`~azure.core.exceptions.DecodeError` for a non-JSON body.

    The operations parse a 200 with ``response.json()``; an empty body or a proxy's HTML page would
    otherwise escape as a bare ``json.JSONDecodeError``. ``DecodeError`` is an ``HttpResponseError``:
    it carries the response (status, headers, body) like any other service error.
    """

    def on_response(self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]) -> None:
        http_response = response.http_response
        parse = http_response.json

        def json() -> Any:
            try:
                return parse()
            except ValueError as error:  # json.JSONDecodeError, or UnicodeDecodeError from the text
                http_request = http_response.request
                target = f"{http_request.method} {urlsplit(http_request.url).path}"
                raise DecodeError(
                    message=(
                        f"the response to {target} is not JSON "
                        f"(status {http_response.status_code}, Content-Type "
                        f"{http_response.headers.get('Content-Type')!r}): {error}"
                    ),
                    response=http_response,
                    error=error,
                ) from error

        setattr(http_response, "json", json)  # noqa: B010 -- an instance attribute over the method


def secure_pipeline_kwargs(endpoint: str, kwargs: dict[str, Any]) -> None:
    """Install, unless the caller configured them, the policies that keep secrets in and ids exact.

    The network trace (``logging_enable=True``) redacts SAS signatures and credential headers,
    requests whose path an id with dot segments would redirect are refused before sending, and a
    response body that is not JSON raises DecodeError when an operation parses it.
    """
    kwargs.setdefault("logging_policy", RedactingNetworkTraceLoggingPolicy(**kwargs))
    per_call = kwargs.get("per_call_policies") or []
    if not isinstance(per_call, (list, tuple)):
        per_call = [per_call]
    kwargs["per_call_policies"] = [RequestPathGuardPolicy(endpoint), JsonDecodeGuardPolicy(), *per_call]


class PlanetaryComputerProClient(_GeneratedClient):
    """Client for a Microsoft Planetary Computer Pro GeoCatalog.

    :param endpoint: The GeoCatalog endpoint, e.g.
        ``https://name.unique-id.region.geocatalog.spatio.azure.com``. Must be https, except for a
        loopback address (a local stand-in), where http is allowed.
    :type endpoint: str
    :param credential: An Entra ID credential, e.g. ``azure.identity.DefaultAzureCredential()``.
        Its token is sent to this endpoint only, never to storage or any other host.
    :type credential: ~azure.core.credentials.TokenCredential
    :keyword str api_version: Service API version, ``"2026-04-15"`` by default.
    :keyword list[str] credential_scopes: Token scopes, ``[DEFAULT_SCOPE]`` by default.
    :keyword storage_hosts: Where asset hrefs may be signed: host suffixes (``".blob.core.windows.net"``,
        virtual-host URLs) and ``"host:port"`` entries (an emulator or private endpoint, path-style
        URLs). By default Azure Blob Storage in the public, US Government and China clouds.
    :paramtype storage_hosts: Sequence[str]
    :keyword int polling_interval: Seconds between polls of long-running operations (default 30,
        or what the service's Retry-After says).

    Read-only POSTs (STAC search, tiler crops and statistics) are retried on 408/429/5xx like
    GETs. With ``logging_enable=True`` the network trace is logged with SAS signatures and the
    bearer token redacted. An id of ``"."`` or ``".."`` raises ValueError before anything is sent
    (URL normalization would otherwise address another resource). Any other keyword
    (``retry_total``, ``connection_timeout``, ``read_timeout``, ``transport``, ``logging_enable``...)
    configures the azure-core pipeline.

    Requests go through urllib3 directly (:class:`~azure.planetarycomputer.Urllib3Transport`), which
    costs about half the CPU per request of azure-core's default requests transport; proxies and the
    CA bundle come from the environment, as with requests. ``transport=RequestsTransport()`` (from
    ``azure.core.pipeline.transport``) restores azure-core's default.

    :ivar stac: STAC catalog operations.
    :vartype stac: ~azure.planetarycomputer.operations.StacOperations
    :ivar data: Raster tiler operations.
    :vartype data: ~azure.planetarycomputer.operations.DataOperations
    :ivar ingestion: Ingestion operations.
    :vartype ingestion: ~azure.planetarycomputer.operations.IngestionOperations
    :ivar sas: Shared access signature operations.
    :vartype sas: ~azure.planetarycomputer.operations.SasOperations
    """

    stac: StacOperations
    data: DataOperations
    ingestion: IngestionOperations
    sas: SasOperations

    def __init__(self, endpoint: str, credential: TokenCredential, **kwargs: Any) -> None:
        endpoint = validate_endpoint(endpoint)
        if credential is None:
            raise ValueError("credential must not be None")
        storage_hosts = StorageHosts(kwargs.pop("storage_hosts", None))
        scopes = kwargs.get("credential_scopes") or [DEFAULT_SCOPE]
        kwargs.setdefault(
            "authentication_policy", GeoCatalogBearerTokenPolicy(credential, endpoint, *scopes, **kwargs)
        )
        kwargs.setdefault("retry_policy", GeoCatalogRetryPolicy(**kwargs))
        if kwargs.get("transport") is None:
            kwargs["transport"] = Urllib3Transport(**kwargs)
        secure_pipeline_kwargs(endpoint, kwargs)
        super().__init__(endpoint, credential, **kwargs)
        parts = (self._client, self._config, self._serialize, self._deserialize)
        self.stac = StacOperations(*parts)
        self.stac._storage_host_entries = tuple(storage_hosts.entries)  # for Dask workers' clients
        self.data = DataOperations(*parts)
        self.data._storage_host_entries = tuple(storage_hosts.entries)
        self.ingestion = IngestionOperations(*parts)
        self.sas = SasOperations(*parts, storage_hosts=storage_hosts)

    @property
    def shared_access_signature(self) -> SasOperations:
        """The ``sas`` operation group under its long name."""
        return self.sas
