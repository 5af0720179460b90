"""The public asynchronous client."""

from __future__ import annotations

from typing import Any

from azure.core.credentials_async import AsyncTokenCredential

from .._auth import AsyncGeoCatalogBearerTokenPolicy
from .._client import (
    DEFAULT_SCOPE,
    _guard_model_deserialization,
    guard_content_decoding,
    secure_pipeline_kwargs,
)
from .._endpoint import validate_endpoint
from .._generated.aio import PlanetaryComputerProClient as _GeneratedClient
from .._generated.aio.operations import _operations as _generated_operations
from .._retry import AsyncGeoCatalogRetryPolicy
from .._storage_hosts import StorageHosts
from ._operations import DataOperations, IngestionOperations, SasOperations, StacOperations
from ._transport import default_transport

__all__ = ["PlanetaryComputerProClient"]

# JSON of the wrong shape for an operation's model raises DecodeError naming the operation
_guard_model_deserialization(_generated_operations)


class PlanetaryComputerProClient(_GeneratedClient):
    """Asynchronous client for a Microsoft Planetary Computer Pro GeoCatalog.

    :param endpoint: The GeoCatalog endpoint, e.g.
        ``https://name.unique-id.region.geocatalog.spatio.azure.com``. Must be https, except for a
        loopback address (a local stand-in), where http is allowed.
    :type endpoint: str
    :param credential: An Entra ID credential, e.g. ``azure.identity.aio.DefaultAzureCredential()``.
        Its token is sent to this endpoint only, never to storage or any other host.
    :type credential: ~azure.core.credentials.AsyncTokenCredential
    :keyword str api_version: Service API version, ``"2026-04-15"`` by default.
    :keyword list[str] credential_scopes: Token scopes, ``[DEFAULT_SCOPE]`` by default.
    :keyword storage_hosts: Where asset hrefs may be signed: host suffixes (``".blob.core.windows.net"``,
        virtual-host URLs) and ``"host:port"`` entries (an emulator or private endpoint, path-style
        URLs). By default Azure Blob Storage in the public, US Government and China clouds.
    :paramtype storage_hosts: Sequence[str]
    :keyword int polling_interval: Seconds between polls of long-running operations, exactly. Without
        it, polls start after 0.25 s and back off (x2) to 30 s; the service's Retry-After wins.
    :keyword int max_response_size: Bytes a body read into memory (a JSON answer, a search page) may
        have once decoded: 256 MiB by default; larger raises DecodeError. Also per call.
    :keyword float response_timeout: Seconds from sending a request to the last byte of a body read
        into memory: 300 by default; later raises ServiceResponseTimeoutError. Also per call.
    :keyword float retry_backoff_max: The longest wait between retries (120 s by default), which
        also caps the service's Retry-After.

    The default transport is aiohttp's (the ``[aio]`` extra). The client can be constructed outside
    a running event loop (at module level) and without aiohttp installed: the aiohttp session is
    made at the first request, and a missing aiohttp raises ImportError naming the extra only then.

    Read-only POSTs (STAC search, tiler crops and statistics) are retried on 408/429/5xx like
    GETs. With ``logging_enable=True`` the network trace is logged with SAS signatures and the
    bearer token redacted. An empty id, or an id of ``"."`` or ``".."``, raises ValueError naming the
    parameter before anything is sent (the request would otherwise address another resource).
    Any other keyword (``retry_total``, ``connection_timeout``, ``read_timeout``, ``transport``,
    ``logging_enable``...) configures the azure-core pipeline.

    :ivar stac: STAC catalog operations.
    :vartype stac: ~azure.planetarycomputer.aio.operations.StacOperations
    :ivar data: Raster tiler operations.
    :vartype data: ~azure.planetarycomputer.aio.operations.DataOperations
    :ivar ingestion: Ingestion operations.
    :vartype ingestion: ~azure.planetarycomputer.aio.operations.IngestionOperations
    :ivar sas: Shared access signature operations.
    :vartype sas: ~azure.planetarycomputer.aio.operations.SasOperations
    """

    stac: StacOperations
    data: DataOperations
    ingestion: IngestionOperations
    sas: SasOperations

    def __init__(self, endpoint: str, credential: AsyncTokenCredential, **kwargs: Any) -> None:
        endpoint = validate_endpoint(endpoint)
        if credential is None:
            raise ValueError("credential must not be None")
        storage_hosts = StorageHosts(kwargs.pop("storage_hosts", None))
        scopes = kwargs.get("credential_scopes") or [DEFAULT_SCOPE]
        kwargs.setdefault(
            "authentication_policy", AsyncGeoCatalogBearerTokenPolicy(credential, endpoint, *scopes, **kwargs)
        )
        kwargs.setdefault("retry_policy", AsyncGeoCatalogRetryPolicy(**kwargs))
        if kwargs.get("transport") is None:
            # aiohttp's transport when aiohttp is installed; otherwise one that raises ImportError
            # naming the [aio] extra at the first request (importing and constructing never need it)
            kwargs["transport"] = default_transport(**kwargs)
        secure_pipeline_kwargs(endpoint, kwargs)
        super().__init__(endpoint, credential, **kwargs)
        # A polling_interval given here is honoured exactly; without one, polls back off from 0.25 s.
        self._config.polling_interval_explicit = "polling_interval" in kwargs  # type: ignore[attr-defined]
        # Where blob URLs name their account in the path (ingestion sources read it too).
        self._config.storage_hosts = storage_hosts  # type: ignore[attr-defined]
        guard_content_decoding(self._client._pipeline)
        parts = (self._client, self._config, self._serialize, self._deserialize)
        self.stac = StacOperations(*parts)
        self.data = DataOperations(*parts)
        self.ingestion = IngestionOperations(*parts)
        self.sas = SasOperations(*parts, storage_hosts=storage_hosts)

    @property
    def shared_access_signature(self) -> SasOperations:
        """The ``sas`` operation group under its long name."""
        return self.sas
