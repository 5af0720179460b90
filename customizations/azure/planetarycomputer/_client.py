"""The public synchronous client."""

from __future__ import annotations

import contextvars
import sys
import typing
import weakref
from typing import Any, Callable
from urllib.parse import urlsplit

from azure.core.credentials import TokenCredential
from azure.core.exceptions import DecodeError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import ContentDecodePolicy, SansIOHTTPPolicy

from ._auth import GeoCatalogBearerTokenPolicy
from ._endpoint import check_path_parameter, dot_segment, request_origin, validate_endpoint
from ._generated import PlanetaryComputerProClient as _GeneratedClient
from ._generated._utils.model_base import Model
from ._generated._utils.serialization import Serializer
from ._generated.operations import _operations as _generated_operations
from ._operations import DataOperations, IngestionOperations, SasOperations, StacOperations
from ._redaction import RedactingNetworkTraceLoggingPolicy
from ._retry import GeoCatalogRetryPolicy
from ._storage_hosts import StorageHosts
from ._transport import Urllib3Transport

__all__ = [
    "DEFAULT_SCOPE",
    "JsonDecodeGuardPolicy",
    "PathParameterSerializer",
    "PlanetaryComputerProClient",
    "RequestPathGuardPolicy",
    "guard_content_decoding",
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


class PathParameterSerializer(Serializer):
    """The generated operations' URL serializer, refusing path parameters that address another resource.

    Every generated request builder (sync and aio share them) serializes each path parameter with
    ``url(name, value, type)``: checking there refuses an empty id, ``"."`` or ``".."`` at call time,
    with the parameter's name, before any request exists. :class:`RequestPathGuardPolicy` stays as
    the net for requests built by hand (``send_request``).
    """

    def url(self, name: str, data: Any, data_type: str, **kwargs: Any) -> str:
        check_path_parameter(name, data)
        return str(super().url(name, data, data_type, **kwargs))


def _install_path_parameter_serializer() -> None:
    # The generated module keeps one module-level serializer for all its request builders;
    # replacing that instance (same settings) is the one place every operation goes through.
    current = _generated_operations._SERIALIZER
    if not isinstance(current, PathParameterSerializer):
        serializer = PathParameterSerializer()
        serializer.__dict__.update(current.__dict__)
        _generated_operations._SERIALIZER = serializer


_install_path_parameter_serializer()


_last_parsed: contextvars.ContextVar[tuple[Any, Any] | None] = contextvars.ContextVar(
    "planetarycomputer_last_parsed_json", default=None
)
"""The JSON value ``response.json()`` returned last in this thread or task, and its response."""


def _target(http_response: Any) -> str:
    http_request = http_response.request
    return f"{http_request.method} {urlsplit(http_request.url).path}"


class JsonDecodeGuardPolicy(SansIOHTTPPolicy[Any, Any]):
    """Makes ``response.json()`` raise :class:`~azure.core.exceptions.DecodeError` for a non-JSON body.

    The operations parse a 200 with ``response.json()``; an empty body or a proxy's HTML page would
    otherwise escape as a bare ``json.JSONDecodeError``. ``DecodeError`` is an ``HttpResponseError``:
    it carries the response (status, headers, body) like any other service error.

    The parsed value is also remembered (per thread or task) with its response, so that the model
    guard (:func:`_guard_model_deserialization`) can name the request when JSON that is not an
    object arrives where the operation expects a model.
    """

    def on_response(self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]) -> None:
        http_response = response.http_response
        http_response.json = _GuardedJson(http_response)


class _GuardedJson:
    """A response's ``json()`` that raises DecodeError for a body that is not JSON.

    It holds its response weakly: a strong reference (a closure, a bound method) would put every
    response in a reference cycle with its own attribute, kept alive until the garbage collector
    runs instead of freed when the caller drops it (pages of a search would pile up).
    """

    __slots__ = ("_response",)

    def __init__(self, http_response: Any) -> None:
        self._response = weakref.ref(http_response)

    def __call__(self) -> Any:
        http_response = self._response()
        if http_response is None:  # pragma: no cover - called through the response, which is alive
            raise ReferenceError("the response was released")
        try:
            value = type(http_response).json(http_response)
        except ValueError as error:  # json.JSONDecodeError, or UnicodeDecodeError from the text
            target = _target(http_response)
            raise DecodeError(
                message=(
                    f"the response to {target} is not JSON "
                    f"(status {http_response.status_code}, Content-Type "
                    f"{http_response.headers.get('Content-Type')!r}): {error}"
                ),
                response=http_response,
                error=error,
            ) from error
        _last_parsed.set((value, http_response))
        return value


def guard_content_decoding(pipeline: Any) -> None:
    """Make the pipeline's ContentDecodePolicy raise DecodeError for JSON nested too deeply to parse.

    The standard JSON parser recurses once per nesting level, so a hostile answer nested 100,000
    levels deep raises a bare ``RecursionError`` where the policy parses every non-streamed JSON
    answer. The generated client builds that policy itself; its instance in the built pipeline
    gets a parse that converts the error, with the response, like any other undecodable body.
    """
    for runner in getattr(pipeline, "_impl_policies", ()):
        policy = getattr(runner, "_policy", None)
        if not isinstance(policy, ContentDecodePolicy):
            continue
        parse = policy.deserialize_from_http_generics

        def guarded(response: Any, encoding: str | None = None, _parse: Any = parse) -> Any:
            try:
                return _parse(response, encoding)
            except RecursionError as error:
                request = response.request
                target = f"{request.method} {urlsplit(request.url).path}"
                raise DecodeError(
                    message=f"the response to {target} is JSON nested too deeply to parse",
                    response=response,
                    error=error,
                ) from None

        setattr(policy, "deserialize_from_http_generics", guarded)  # noqa: B010 -- over the classmethod


def _expected_json_type(deserializer: Any) -> tuple[type, str] | None:
    """The JSON type a generated deserializer needs (object for a model, array for a list), if known."""
    origin = typing.get_origin(deserializer)
    if origin is list:
        return list, f"a JSON array ({deserializer!r})".replace("typing.", "")
    # Python 3.9 counts a parameterized generic (list[X]) as a type: rule those out first.
    if origin is None and isinstance(deserializer, type) and issubclass(deserializer, Model):
        return dict, f"a JSON object (a {deserializer.__name__})"
    return None


def _guard_model_deserialization(module: Any) -> None:
    """Make the generated operations of ``module`` refuse JSON of the wrong shape for their model.

    The generated runtime builds a model from whatever a 200 carried: ``[]``, ``"x"`` or ``1``
    fail deep inside with a bare DeserializationError, ``null`` gives ``None``, and a string where a
    list is expected gives a list of its characters. The operations call the module's
    ``_deserialize(<expected type>, response.json())``; this wraps that function (the generated
    file is not edited) so that such a body raises :class:`~azure.core.exceptions.DecodeError`
    naming the operation and the request, with the response attached.
    """
    original: Callable[..., Any] = module._deserialize
    if getattr(original, "_checks_json_shape", False):
        return

    def _deserialize(deserializer: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
        expected = _expected_json_type(deserializer)
        if expected is not None and not isinstance(value, expected[0]):
            parsed = _last_parsed.get()
            response = parsed[1] if parsed is not None and parsed[0] is value else None
            operation = sys._getframe(1).f_code.co_name  # the generated operation method calling us
            where = (
                f" (the response to {_target(response)}, status {response.status_code})" if response else ""
            )
            raise DecodeError(
                message=(
                    f"{operation}: the service's answer{where} is JSON of type {type(value).__name__}, "
                    f"not {expected[1]}"
                ),
                response=response,
            )
        return original(deserializer, value, *args, **kwargs)

    _deserialize._checks_json_shape = True  # type: ignore[attr-defined]
    module._deserialize = _deserialize


_guard_model_deserialization(_generated_operations)  # the aio client guards its own module


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
    :keyword int polling_interval: Seconds between polls of long-running operations, exactly. Without
        it, polls start after 0.25 s and back off (x2) to 30 s; the service's Retry-After wins.
    :keyword int max_response_size: Bytes a body read into memory (a JSON answer, a search page) may
        have once decoded: 256 MiB by default; larger raises DecodeError. Also per call.
    :keyword float response_timeout: Seconds from sending a request to the last byte of a body read
        into memory: 300 by default; later raises ServiceResponseTimeoutError. Also per call.
    :keyword float retry_backoff_max: The longest wait between retries (120 s by default), which
        also caps the service's Retry-After.

    Read-only POSTs (STAC search, tiler crops and statistics) are retried on 408/429/5xx like
    GETs. With ``logging_enable=True`` the network trace is logged with SAS signatures and the
    bearer token redacted. An empty id, or an id of ``"."`` or ``".."``, raises ValueError naming the
    parameter before anything is sent (the request would otherwise address another resource).
    Any other keyword (``retry_total``, ``connection_timeout``, ``read_timeout``, ``transport``,
    ``logging_enable``...) configures the azure-core pipeline.

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
        # A polling_interval given here is honoured exactly; without one, polls back off from 0.25 s.
        self._config.polling_interval_explicit = "polling_interval" in kwargs  # type: ignore[attr-defined]
        # Where blob URLs name their account in the path (ingestion sources read it too).
        self._config.storage_hosts = storage_hosts  # type: ignore[attr-defined]
        guard_content_decoding(self._client._pipeline)
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
