"""Long-running writes that report why they failed.

azure-core's default polling raises a bare "Operation returned an invalid status 'OK'" when a
GeoCatalog operation ends Failed or Canceled: the service's reason sits in the operation's body
(its ``error``, or the error code and message of its status history) and never reaches the
caller. These polling methods raise :class:`OperationFailedError` carrying it. Their async twins
are in :mod:`azure.planetarycomputer.aio._lro`, so the sync client never loads the async machinery.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from azure.core.exceptions import HttpResponseError, ODataV4Format
from azure.core.polling.base_polling import LROBasePolling, OperationFailed
from azure.core.rest import HttpResponse

from ._generated.models import Operation
from ._generated.operations import IngestionOperations as _Ingestion
from ._generated.operations import StacOperations as _Stac
from ._redaction import redact_secrets

if TYPE_CHECKING:
    # Only named in an annotation: importing it would load the async machinery with the sync client.
    from azure.core.polling.async_base_polling import AsyncLROBasePolling

__all__ = [
    "GeoCatalogLROPolling",
    "IngestionOperationErrors",
    "OperationFailedError",
    "StacOperationErrors",
    "reports_operation_errors",
]

_Begin = TypeVar("_Begin", bound=Callable[..., Any])


class OperationFailedError(HttpResponseError):
    """A long-running operation ended ``Failed`` or ``Canceled``.

    ``error.code`` and ``error.message`` are the service's reason.

    :ivar operation: The operation as last polled.
    :vartype operation: ~azure.planetarycomputer.models.Operation
    """

    def __init__(self, response: Any) -> None:
        body = response.json()
        self.operation = Operation(body)
        code, message = _reason(body)
        status = body.get("status", "Failed")
        kind = body.get("type") or "Operation"
        operation_id = body.get("id")
        text = f"{kind} operation {operation_id} ended {status}: {code}: {message}"
        super().__init__(message=redact_secrets(text), response=response)
        self.error = ODataV4Format({"code": code, "message": redact_secrets(message)})


def _reason(operation: dict[str, Any]) -> tuple[str, str]:
    """The service's code and message, from the operation's wire JSON."""
    error = operation.get("error") or {}
    detail = error.get("error", error) if isinstance(error, dict) else {}
    if detail.get("code") or detail.get("message"):
        return detail.get("code") or "OperationFailed", detail.get("message") or "no message given"
    for entry in reversed(operation.get("statusHistory") or []):
        code, message = entry.get("errorCode"), entry.get("errorMessage")
        if code or message:
            return code or "OperationFailed", message or "no message given"
    return "OperationFailed", "the service gave no reason"


def _failed_operation(error: HttpResponseError, response: HttpResponse) -> HttpResponseError:
    if isinstance(error.__cause__, OperationFailed):
        return OperationFailedError(response)
    return error


class GeoCatalogLROPolling(LROBasePolling):
    """azure-core's polling of ``operation-location``, raising :class:`OperationFailedError`."""

    def run(self) -> None:
        try:
            super().run()
        except HttpResponseError as error:
            failure = _failed_operation(error, self._pipeline_response.http_response)
            if failure is error:
                raise
            raise failure from error


def reports_operation_errors(
    polling_class: type[LROBasePolling] | type[AsyncLROBasePolling],
) -> Callable[[_Begin], _Begin]:
    """Make a generated ``begin_*`` method poll with ``polling_class`` unless told otherwise."""

    def decorate(begin: _Begin) -> _Begin:
        @functools.wraps(begin)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            if kwargs.get("polling", True) is True:
                delay = kwargs.get("polling_interval", self._config.polling_interval)
                endpoint = self._serialize.url("endpoint", self._config.endpoint, "str", skip_quote=True)
                kwargs["polling"] = polling_class(delay, path_format_arguments={"endpoint": endpoint})
            return begin(self, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


_sync = reports_operation_errors(GeoCatalogLROPolling)


class StacOperationErrors(_Stac):
    """The STAC group's long-running writes, raising :class:`OperationFailedError` on failure."""

    begin_create_collection = _sync(_Stac.begin_create_collection)
    begin_delete_collection = _sync(_Stac.begin_delete_collection)
    begin_create_item = _sync(_Stac.begin_create_item)
    begin_replace_item = _sync(_Stac.begin_replace_item)
    begin_update_item = _sync(_Stac.begin_update_item)
    begin_delete_item = _sync(_Stac.begin_delete_item)


class IngestionOperationErrors(_Ingestion):
    """The ingestion group's long-running delete, raising :class:`OperationFailedError` on failure."""

    begin_delete = _sync(_Ingestion.begin_delete)
