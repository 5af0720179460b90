"""Long-running writes that report why they failed.

azure-core's default polling raises a bare "Operation returned an invalid status 'OK'" when a
GeoCatalog operation ends Failed or Canceled: the service's reason sits in the operation's body
(its ``error``, or the error code and message of its status history) and never reaches the
caller. These polling methods raise :class:`OperationFailedError` carrying it. Their async twins
are in :mod:`azure.planetarycomputer.aio._lro`, so the sync client never loads the async machinery.

They also poll adaptively. The service sends no ``Retry-After`` on its 202s or operation polls, so
azure-core would wait the whole ``polling_interval`` (30 s) before every poll, even for an operation
done in a fraction of a second. :class:`PollSchedule` is the rule, for every ``begin_*`` operation
and for ingestion runs:

* the service's ``Retry-After`` (or ``retry-after-ms``), when it sends one, is honoured;
* a ``polling_interval`` the caller gave (to the client's constructor or to the call) is honoured
  exactly: a fixed delay between polls, as azure-core does;
* otherwise, after azure-core's first poll (right away), the delays start at 0.25 s and double
  after each poll up to the client's ``polling_interval`` (30 s): 0.25, 0.5, 1, 2, 4, 8, 16, 30,
  30... An operation that takes ``T`` seconds is thus polled at most ``9 + T / 30`` times (8 polls
  in its first 32 s), and one done in 0.3 s is seen done after about 0.75 s.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from azure.core.exceptions import HttpResponseError, ODataV4Format, ResourceExistsError
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
    "FIRST_POLL_DELAY",
    "GeoCatalogLROPolling",
    "IngestionOperationErrors",
    "OperationConflictError",
    "OperationFailedError",
    "PollSchedule",
    "StacOperationErrors",
    "reports_operation_errors",
]

_Begin = TypeVar("_Begin", bound=Callable[..., Any])

FIRST_POLL_DELAY = 0.25
"""Seconds before the first poll of an operation when neither the service nor the caller set a delay."""
POLL_BACKOFF = 2.0
"""Factor by which the delay grows after each poll, up to the client's ``polling_interval``."""
_RETRY_AFTER_HEADERS = ("retry-after", "retry-after-ms", "x-ms-retry-after-ms")


class PollSchedule:
    """The delays between polls of one operation (see the module's docstring for the rule).

    :param interval: The client's or the call's ``polling_interval``, in seconds.
    :param explicit: Whether the caller gave ``interval`` (then every delay is exactly ``interval``).
    """

    def __init__(self, interval: float, explicit: bool) -> None:
        if isinstance(interval, bool) or not isinstance(interval, numbers.Real):
            raise TypeError(f"polling_interval must be a number of seconds, got {interval!r}")
        if interval < 0:
            raise ValueError(f"polling_interval must be zero or more, got {interval}")
        self.interval: float = float(interval)
        self.explicit: bool = explicit
        self._next: float = min(FIRST_POLL_DELAY, self.interval)

    def next_delay(self, retry_after: float | None = None) -> float:
        """Seconds to wait before the next poll; ``retry_after`` is the service's, when it sent one."""
        if retry_after is not None:
            return retry_after
        if self.explicit:
            return self.interval
        delay = self._next
        self._next = min(delay * POLL_BACKOFF, self.interval)
        return delay


def interval_is_explicit(config: Any, kwargs: dict[str, Any]) -> bool:
    """Whether the caller chose the polling interval, per call or in the client's constructor."""
    return "polling_interval" in kwargs or bool(getattr(config, "polling_interval_explicit", False))


class AdaptiveDelay:
    """Mixin for azure-core's LRO polling methods: delays from a :class:`PollSchedule`."""

    _schedule: PollSchedule
    _pipeline_response: Any

    def _extract_delay(self) -> float:
        headers = self._pipeline_response.http_response.headers
        if any(name in headers for name in _RETRY_AFTER_HEADERS):
            # azure-core's own parsing of Retry-After (seconds or HTTP date) and its -ms variants.
            return float(super()._extract_delay())  # type: ignore[misc]
        return self._schedule.next_delay()


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


CONFLICT_CODES = frozenset({"Conflict", "ConflictError", "ResourceExists", "AlreadyExists"})
"""Error codes with which a create operation ends when the object already exists (the service
answers 409 on the initial request when it can tell then; otherwise the operation fails so)."""


class OperationConflictError(OperationFailedError, ResourceExistsError):
    """A long-running create ended ``Failed`` because the object already exists.

    Both an :class:`OperationFailedError` and a :class:`~azure.core.exceptions.ResourceExistsError`,
    so ``except ResourceExistsError`` catches a conflict however the service reported it.
    """


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
        failure = OperationFailedError(response)
        if failure.error is not None and failure.error.code in CONFLICT_CODES:
            return OperationConflictError(response)
        return failure
    return error


class GeoCatalogLROPolling(AdaptiveDelay, LROBasePolling):
    """azure-core's polling of ``operation-location``, raising :class:`OperationFailedError`, with
    delays from a :class:`PollSchedule`."""

    def __init__(self, timeout: float = 30, *, explicit_interval: bool = False, **kwargs: Any) -> None:
        super().__init__(timeout, **kwargs)
        self._schedule = PollSchedule(timeout, explicit_interval)

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
                kwargs["polling"] = polling_class(
                    delay,
                    explicit_interval=interval_is_explicit(self._config, kwargs),
                    path_format_arguments={"endpoint": endpoint},
                )
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
