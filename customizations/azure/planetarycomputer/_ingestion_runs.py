"""Waiting for an ingestion run, as an azure-core poller, for the synchronous client.

``client.ingestion.begin_run(collection_id, ingestion_id)`` starts a run (``ingestion.create_run``) and
returns an ``LROPoller[IngestionRun]`` that polls ``ingestion.get_run`` until the run's operation is
``Succeeded``, ``Failed`` or ``Canceled``, on the adaptive schedule of
:class:`~azure.planetarycomputer._lro.PollSchedule` (0.25 s doubling to ``polling_interval``, or
exactly the ``polling_interval`` the caller gave):

* ``poller.result(timeout=None)`` waits and returns the finished :class:`IngestionRun`; after
  ``timeout`` seconds it returns the run as it stands (azure-core's rule: check ``poller.done()``).
  ``polling_timeout=`` instead makes the wait fail with :class:`IngestionRunTimeoutError` after that
  many seconds; the run itself keeps going on the service.
* A run that ends ``Failed`` or ``Canceled`` raises :class:`IngestionRunError` (an
  ``HttpResponseError``) from ``result()``, carrying the error codes and messages of the operation's
  status history.
* ``progress=`` is called with an :class:`IngestionRunProgress` (status and item counts: total,
  succeeded, failed, pending) for every state polled, from the poller's thread.
* ``poller.continuation_token()`` is a string naming the run; ``begin_run(collection_id,
  ingestion_id, continuation_token=token)`` resumes waiting for that run, in this process or another,
  without starting a new one.
"""

from __future__ import annotations

import base64
import binascii
import json
import numbers
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from azure.core.exceptions import AzureError, HttpResponseError
from azure.core.polling import LROPoller, PollingMethod

from ._generated.models import IngestionRun, OperationStatusHistoryItem
from ._generated.operations import IngestionOperations as _GeneratedIngestionOperations
from ._lro import PollSchedule, interval_is_explicit
from ._redaction import redact_secrets

__all__ = [
    "IngestionRunError",
    "IngestionRunPollingMethod",
    "IngestionRunProgress",
    "IngestionRunTimeoutError",
    "IngestionRunWaitOperations",
]

_SUCCEEDED = "succeeded"
_FAILED = frozenset({"failed", "canceled"})
_TOKEN_KIND = "planetarycomputer.ingestion-run/1"


def status_text(status: Any) -> str:
    """An operation status as its wire text (``"Running"``), whether the model gave an enum or a str."""
    return str(getattr(status, "value", status))


class IngestionRunProgress(NamedTuple):
    """An ingestion run's state, as handed to a ``progress`` callback after every poll."""

    status: str
    total: int
    succeeded: int
    failed: int
    pending: int


class IngestionRunError(HttpResponseError):
    """An ingestion run ended ``Failed`` or ``Canceled``.

    :ivar run: The run as last polled.
    :vartype run: ~azure.planetarycomputer.models.IngestionRun
    :ivar status: ``"Failed"`` or ``"Canceled"``.
    :vartype status: str
    :ivar errors: The entries of the operation's status history that carry an error code or message.
    :vartype errors: list[~azure.planetarycomputer.models.OperationStatusHistoryItem]
    """

    def __init__(self, run: IngestionRun, reference: RunReference) -> None:
        operation = run.operation
        self.run = run
        self.status = status_text(operation.status)
        self.errors: list[OperationStatusHistoryItem] = [
            entry for entry in operation.status_history or [] if entry.error_code or entry.error_message
        ]
        details = "; ".join(
            f"{entry.error_code or 'Error'}: {entry.error_message or '(no message)'}" for entry in self.errors
        )
        counts = f"{operation.total_failed_items} of {operation.total_items} items failed"
        # A message may quote a SAS-token ingestion source's URL: keep its signature out.
        super().__init__(
            message=redact_secrets(
                f"{reference} ended {self.status} ({counts}): {details or 'no error details given'}"
            )
        )


class IngestionRunTimeoutError(AzureError):
    """The wait for an ingestion run exceeded ``polling_timeout``; the run goes on on the service.

    ``continuation_token`` (set by the poller) resumes waiting: ``begin_run(collection_id,
    ingestion_id, continuation_token=error.continuation_token)``.

    :ivar run: The run as last polled.
    :vartype run: ~azure.planetarycomputer.models.IngestionRun
    """

    def __init__(self, message: str, run: IngestionRun | None) -> None:
        super().__init__(message)
        self.run = run


class RunReference(NamedTuple):
    """Which run a poller follows; its continuation token is this, encoded."""

    collection_id: str
    ingestion_id: str
    run_id: str

    def __str__(self) -> str:
        return (
            f"Ingestion run {self.run_id} of ingestion {self.ingestion_id} "
            f"in collection {self.collection_id!r}"
        )

    def token(self) -> str:
        payload = {
            "kind": _TOKEN_KIND,
            "collectionId": self.collection_id,
            "ingestionId": self.ingestion_id,
            "runId": self.run_id,
        }
        return base64.urlsafe_b64encode(json.dumps(payload).encode("utf-8")).decode("ascii")

    @classmethod
    def from_token(cls, token: Any) -> RunReference:
        if not isinstance(token, str):
            raise TypeError(f"continuation_token must be a string, got {type(token).__name__}")
        try:
            payload = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
            if payload["kind"] != _TOKEN_KIND:
                raise ValueError(payload["kind"])
            return cls(str(payload["collectionId"]), str(payload["ingestionId"]), str(payload["runId"]))
        except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error) as error:
            raise ValueError(
                "continuation_token is not an ingestion run token (from begin_run's poller)"
            ) from error


ProgressCallback = Callable[[IngestionRunProgress], None]


def _non_empty(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    return value


def _seconds(name: str, value: Any, *, positive: bool) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number of seconds, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be {'positive' if positive else 'zero or more'}, got {value}")
    return float(value)


class RunWait(NamedTuple):
    """The validated arguments of ``begin_run``."""

    collection_id: str
    ingestion_id: str
    interval: float | None
    timeout: float | None
    progress: ProgressCallback | None
    resume: RunReference | None


def check_begin_run(
    collection_id: Any,
    ingestion_id: Any,
    polling_interval: Any,
    polling_timeout: Any,
    progress: Any,
    continuation_token: Any,
) -> RunWait:
    """Validate ``begin_run``'s arguments; raises ValueError/TypeError naming the bad one."""
    collection_id = _non_empty("collection_id", collection_id)
    ingestion_id = _non_empty("ingestion_id", ingestion_id)
    if progress is not None and not callable(progress):
        raise TypeError(
            f"progress must be a callable taking an IngestionRunProgress, got {type(progress).__name__}"
        )
    resume = None if continuation_token is None else RunReference.from_token(continuation_token)
    if resume is not None and (resume.collection_id, resume.ingestion_id) != (collection_id, ingestion_id):
        raise ValueError(
            f"continuation_token follows a run of ingestion {resume.ingestion_id} in collection "
            f"{resume.collection_id!r}, not of ingestion {ingestion_id} in {collection_id!r}"
        )
    return RunWait(
        collection_id,
        ingestion_id,
        _seconds("polling_interval", polling_interval, positive=False),
        _seconds("polling_timeout", polling_timeout, positive=True),
        progress,
        resume,
    )


class RunTracker:
    """The state both polling methods share: the run as last polled, its status and the deadline."""

    def __init__(
        self,
        interval: float,
        timeout: float | None,
        progress: ProgressCallback | None,
        explicit_interval: bool = True,
    ) -> None:
        self._schedule = PollSchedule(interval, explicit_interval)
        self._timeout = timeout
        self._progress = progress
        self._client: Any = None
        self._reference: RunReference | None = None
        self._run: IngestionRun | None = None
        self._settled = False

    def initialize(self, client: Any, initial_response: Any, deserialization_callback: Any) -> None:
        """``initial_response`` is ``(RunReference, IngestionRun or None)``: the run just created, or
        only its reference when resuming from a continuation token."""
        self._client = client
        self._reference, run = initial_response
        if run is not None:
            self._update(run)
            # A run that already succeeded needs no polling; a failed one is reported by run().
            self._settled = self.status().lower() == _SUCCEEDED

    @property
    def reference(self) -> RunReference:
        assert self._reference is not None, "the polling method is not initialized"
        return self._reference

    def _update(self, run: IngestionRun) -> None:
        self._run = run
        if self._progress is not None:
            operation = run.operation
            self._progress(
                IngestionRunProgress(
                    status_text(operation.status),
                    operation.total_items,
                    operation.total_successful_items,
                    operation.total_failed_items,
                    operation.total_pending_items,
                )
            )

    def _terminal(self) -> bool:
        status = self.status().lower()
        return status == _SUCCEEDED or status in _FAILED

    def _deadline(self) -> float | None:
        return None if self._timeout is None else time.monotonic() + self._timeout

    def _pause(self, deadline: float | None) -> float:
        """Seconds to sleep before the next poll; raises when the deadline has passed."""
        delay = self._schedule.next_delay()
        if deadline is None:
            return delay
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise IngestionRunTimeoutError(
                f"{self.reference} is still {self.status()} after {self._timeout:g} s of polling; it goes "
                "on on the service: resume waiting with begin_run(..., continuation_token=...)",
                self._run,
            )
        return min(delay, remaining)

    def _settle(self) -> None:
        self._settled = True
        assert self._run is not None
        if self.status().lower() in _FAILED:
            raise IngestionRunError(self._run, self.reference)

    def status(self) -> str:
        """The run operation's status: Pending, Running, Succeeded, Failed, Canceling or Canceled."""
        return "Unknown" if self._run is None else status_text(self._run.operation.status)

    def finished(self) -> bool:
        return self._settled

    def resource(self) -> IngestionRun:
        assert self._run is not None, "the run has not been polled yet"
        return self._run

    def get_continuation_token(self) -> str:
        return self.reference.token()

    @classmethod
    def from_continuation_token(cls, continuation_token: str, **kwargs: Any) -> tuple[Any, Any, Any]:
        """``(client, (reference, None), callback)``; pass the operations as ``client=``."""
        client = kwargs.get("client")
        if client is None:
            raise ValueError(
                "client (the ingestion operations) is needed to resume from a continuation token"
            )
        return client, (RunReference.from_token(continuation_token), None), as_run


def as_run(run: IngestionRun) -> IngestionRun:
    return run


class IngestionRunPollingMethod(RunTracker, PollingMethod[IngestionRun]):
    """Polls ``ingestion.get_run`` on a :class:`PollSchedule` until the run's operation finishes."""

    def _poll(self) -> None:
        reference = self.reference
        self._update(self._client.get_run(reference.collection_id, reference.ingestion_id, reference.run_id))

    def run(self) -> None:
        deadline = self._deadline()
        if self._run is None:
            self._poll()
        while not self._terminal():
            time.sleep(self._pause(deadline))
            self._poll()
        self._settle()


class IngestionRunWaitOperations(_GeneratedIngestionOperations):
    """:meth:`begin_run`: start an ingestion run and wait for it with an azure-core poller."""

    def begin_run(
        self,
        collection_id: str,
        ingestion_id: str,
        *,
        polling_interval: float | None = None,
        polling_timeout: float | None = None,
        progress: ProgressCallback | None = None,
        continuation_token: str | None = None,
        **kwargs: Any,
    ) -> LROPoller[IngestionRun]:
        """Start a run of an ingestion and return a poller that waits until it finishes.

        :param collection_id: The collection the ingestion belongs to.
        :type collection_id: str
        :param ingestion_id: The ingestion (definition) to run.
        :type ingestion_id: str
        :keyword float polling_interval: Seconds between polls, exactly. If not given (nor to the
            client's constructor), polls start after 0.25 s and back off (x2) to 30 s.
        :keyword float polling_timeout: Give up waiting after this many seconds with
            :class:`IngestionRunTimeoutError` (the run goes on on the service). No limit by default.
        :keyword progress: Called with an :class:`IngestionRunProgress` (status and item counts) for
            every state polled, from the poller's thread.
        :paramtype progress: Callable[[IngestionRunProgress], None]
        :keyword str continuation_token: Resume waiting for the run a previous poller followed
            (``poller.continuation_token()``) instead of starting a new run.
        :return: A poller whose ``result()`` is the finished run.
        :rtype: ~azure.core.polling.LROPoller[~azure.planetarycomputer.models.IngestionRun]
        :raises ValueError: or TypeError: An argument is invalid (before any request).
        :raises IngestionRunError: From ``result()``: the run ended Failed or Canceled.
        :raises IngestionRunTimeoutError: From ``result()``: ``polling_timeout`` passed.
        """
        wait = check_begin_run(
            collection_id, ingestion_id, polling_interval, polling_timeout, progress, continuation_token
        )
        interval = self._config.polling_interval if wait.interval is None else wait.interval
        explicit = wait.interval is not None or interval_is_explicit(self._config, {})
        method = IngestionRunPollingMethod(interval, wait.timeout, wait.progress, explicit)
        if wait.resume is not None:
            return LROPoller[IngestionRun].from_continuation_token(method, wait.resume.token(), client=self)
        run = self.create_run(wait.collection_id, wait.ingestion_id, **kwargs)
        reference = RunReference(wait.collection_id, wait.ingestion_id, run.id)
        return LROPoller[IngestionRun](self, (reference, run), as_run, method)
