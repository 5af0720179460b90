"""The public asynchronous client."""

from __future__ import annotations

from typing import Any

from azure.core.credentials_async import AsyncTokenCredential

from .._auth import AsyncGeoCatalogBearerTokenPolicy
from .._client import DEFAULT_SCOPE, _guard_model_deserialization, secure_pipeline_kwargs
from .._endpoint import validate_endpoint
from .._generated.aio import PlanetaryComputerProClient as _GeneratedClient
from .._generated.aio.operations import _operations as _generated_operations
from .._retry import AsyncGeoCatalogRetryPolicy
from ._operations import DataOperations, IngestionOperations, SasOperations, StacOperations
from ._transport import EncodedUrlAioHttpTransport

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
    :keyword int polling_interval: Seconds between polls of long-running operations (default 30,
        or what the service's Retry-After says).

    Read-only POSTs (STAC search, tiler crops and statistics) are retried on 408/429/5xx like
    GETs. With ``logging_enable=True`` the network trace is logged with SAS signatures and the
    bearer token redacted. An id of ``"."`` or ``".."`` raises ValueError before anything is sent
    (URL normalization would otherwise address another resource). Any other keyword
    (``retry_total``, ``connection_timeout``, ``read_timeout``, ``transport``, ``logging_enable``...)
    configures the azure-core pipeline.

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
        scopes = kwargs.get("credential_scopes") or [DEFAULT_SCOPE]
        kwargs.setdefault(
            "authentication_policy", AsyncGeoCatalogBearerTokenPolicy(credential, endpoint, *scopes, **kwargs)
        )
        kwargs.setdefault("retry_policy", AsyncGeoCatalogRetryPolicy(**kwargs))
        if "transport" not in kwargs:
            kwargs["transport"] = EncodedUrlAioHttpTransport(**kwargs)
        secure_pipeline_kwargs(endpoint, kwargs)
        super().__init__(endpoint, credential, **kwargs)
        parts = (self._client, self._config, self._serialize, self._deserialize)
        self.stac = StacOperations(*parts)
        self.data = DataOperations(*parts)
        self.ingestion = IngestionOperations(*parts)
        self.sas = SasOperations(*parts)

    @property
    def shared_access_signature(self) -> SasOperations:
        """The ``sas`` operation group under its long name."""
        return self.sas
