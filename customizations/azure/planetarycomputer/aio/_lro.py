"""Async twin of :mod:`azure.planetarycomputer._lro`: long-running writes that report why they failed.

The polling method and the ``begin_*`` overrides of the async operation groups, raising
:class:`~azure.planetarycomputer.OperationFailedError` when an operation ends Failed or Canceled,
and polling on the same adaptive :class:`~azure.planetarycomputer._lro.PollSchedule`.
"""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import HttpResponseError
from azure.core.polling.async_base_polling import AsyncLROBasePolling

from .._generated.aio.operations import IngestionOperations as _AsyncIngestion
from .._generated.aio.operations import StacOperations as _AsyncStac
from .._lro import AdaptiveDelay, PollSchedule, _failed_operation, reports_operation_errors

__all__ = ["AsyncGeoCatalogLROPolling", "AsyncIngestionOperationErrors", "AsyncStacOperationErrors"]


class AsyncGeoCatalogLROPolling(AdaptiveDelay, AsyncLROBasePolling):
    """Async twin of :class:`~azure.planetarycomputer._lro.GeoCatalogLROPolling`."""

    def __init__(self, timeout: float = 30, *, explicit_interval: bool = False, **kwargs: Any) -> None:
        super().__init__(timeout, **kwargs)
        self._schedule = PollSchedule(timeout, explicit_interval)

    async def run(self) -> None:
        try:
            await super().run()
        except HttpResponseError as error:
            failure = _failed_operation(error, self._pipeline_response.http_response)
            if failure is error:
                raise
            raise failure from error


_async = reports_operation_errors(AsyncGeoCatalogLROPolling)


class AsyncStacOperationErrors(_AsyncStac):
    """Async twin of :class:`~azure.planetarycomputer._lro.StacOperationErrors`."""

    begin_create_collection = _async(_AsyncStac.begin_create_collection)
    begin_delete_collection = _async(_AsyncStac.begin_delete_collection)
    begin_create_item = _async(_AsyncStac.begin_create_item)
    begin_replace_item = _async(_AsyncStac.begin_replace_item)
    begin_update_item = _async(_AsyncStac.begin_update_item)
    begin_delete_item = _async(_AsyncStac.begin_delete_item)


class AsyncIngestionOperationErrors(_AsyncIngestion):
    """Async twin of :class:`~azure.planetarycomputer._lro.IngestionOperationErrors`."""

    begin_delete = _async(_AsyncIngestion.begin_delete)
