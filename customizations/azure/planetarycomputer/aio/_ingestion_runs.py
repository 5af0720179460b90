"""Waiting for an ingestion run, as an azure-core async poller, for the asynchronous client.

``await client.ingestion.begin_run(collection_id, ingestion_id)`` returns an
``AsyncLROPoller[IngestionRun]``; ``await poller.result()`` waits until the run finishes. Timeouts,
progress, failures and continuation tokens as in :mod:`azure.planetarycomputer._ingestion_runs`
(``asyncio.wait_for(poller.result(), seconds)`` bounds a single wait too).
"""

from __future__ import annotations

import asyncio
from typing import Any

from azure.core.polling import AsyncLROPoller, AsyncPollingMethod

from .._generated.aio.operations import IngestionOperations as _GeneratedIngestionOperations
from .._generated.models import IngestionRun
from .._ingestion_runs import ProgressCallback, RunReference, RunTracker, as_run, check_begin_run
from .._lro import interval_is_explicit

__all__ = ["AsyncIngestionRunPollingMethod", "IngestionRunWaitOperations"]


class AsyncIngestionRunPollingMethod(RunTracker, AsyncPollingMethod[IngestionRun]):
    """Polls ``ingestion.get_run`` on a ``PollSchedule`` until the run's operation finishes."""

    async def _poll(self) -> None:
        reference = self.reference
        run = await self._client.get_run(reference.collection_id, reference.ingestion_id, reference.run_id)
        self._update(run)

    async def run(self) -> None:
        deadline = self._deadline()
        if self._run is None:
            await self._poll()
        while not self._terminal():
            await asyncio.sleep(self._pause(deadline))
            await self._poll()
        self._settle()


class IngestionRunWaitOperations(_GeneratedIngestionOperations):
    """:meth:`begin_run`: start an ingestion run and wait for it with an azure-core async poller."""

    async def begin_run(
        self,
        collection_id: str,
        ingestion_id: str,
        *,
        polling_interval: float | None = None,
        polling_timeout: float | None = None,
        progress: ProgressCallback | None = None,
        continuation_token: str | None = None,
        **kwargs: Any,
    ) -> AsyncLROPoller[IngestionRun]:
        """Start a run of an ingestion and return a poller that waits until it finishes.

        See :meth:`azure.planetarycomputer.operations.IngestionOperations.begin_run`; here ``progress``
        is called on the event loop.

        :return: A poller whose ``await result()`` is the finished run.
        :rtype: ~azure.core.polling.AsyncLROPoller[~azure.planetarycomputer.models.IngestionRun]
        :raises IngestionRunError: From ``result()``: the run ended Failed or Canceled.
        :raises IngestionRunTimeoutError: From ``result()``: ``polling_timeout`` passed.
        """
        wait = check_begin_run(
            collection_id, ingestion_id, polling_interval, polling_timeout, progress, continuation_token
        )
        interval = self._config.polling_interval if wait.interval is None else wait.interval
        explicit = wait.interval is not None or interval_is_explicit(self._config, {})
        method = AsyncIngestionRunPollingMethod(interval, wait.timeout, wait.progress, explicit)
        if wait.resume is not None:
            return AsyncLROPoller[IngestionRun].from_continuation_token(
                method, wait.resume.token(), client=self
            )
        run = await self.create_run(wait.collection_id, wait.ingestion_id, **kwargs)
        reference = RunReference(wait.collection_id, wait.ingestion_id, run.id)
        return AsyncLROPoller[IngestionRun](self, (reference, run), as_run, method)
