"""Waiting for an ingestion run with the asynchronous client, on the same recorded trajectories."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from _capture import AsyncCapturingTransport, FakeAsyncTokenCredential
from azure.core.exceptions import HttpResponseError
from azure.core.polling import AsyncLROPoller
from azure.planetarycomputer._ingestion_runs import (
    IngestionRunError,
    IngestionRunProgress,
    IngestionRunTimeoutError,
)
from azure.planetarycomputer.aio import PlanetaryComputerProClient
from test_ingestion_runs import (
    COLLECTION,
    ENDPOINT,
    INGESTION,
    RUNS,
    RunService,
    recorded_operation,
    run_at,
    succeeded_operation,
)


def make_client(
    service: RunService, **kwargs: Any
) -> tuple[PlanetaryComputerProClient, AsyncCapturingTransport]:
    transport = AsyncCapturingTransport(service)
    client = PlanetaryComputerProClient(ENDPOINT, FakeAsyncTokenCredential(), transport=transport, **kwargs)
    return client, transport


async def test_a_run_is_started_and_polled_until_it_succeeds() -> None:
    final = succeeded_operation()
    client, transport = make_client(RunService([run_at(0, final), run_at(1, final), run_at(2, final)]))
    updates: list[IngestionRunProgress] = []
    poller = await client.ingestion.begin_run(
        COLLECTION, INGESTION, polling_interval=0.01, progress=updates.append
    )
    assert isinstance(poller, AsyncLROPoller)
    assert poller.status() == "Pending" and not poller.done()
    run = await poller.result()
    assert poller.done() and poller.status() == "Succeeded" and run.operation.total_successful_items == 4
    assert [u.status for u in updates] == ["Pending", "Pending", "Running", "Succeeded"]
    assert (transport.requests[0].method, transport.requests[0].path) == ("POST", RUNS)
    assert len(transport.requests) == 4


async def test_a_failed_run_raises_with_the_operations_errors() -> None:
    final = recorded_operation("test_07_list_operations.json", "Failed")
    client, _ = make_client(RunService([run_at(1, final), run_at(2, final)]))
    poller = await client.ingestion.begin_run(COLLECTION, INGESTION, polling_interval=0)
    with pytest.raises(IngestionRunError) as raised:
        await poller.result()
    assert isinstance(raised.value, HttpResponseError)
    assert [e.error_code for e in raised.value.errors] == ["IngestionResourceForbidden"]
    assert raised.value.continuation_token == poller.continuation_token()


async def test_timeouts_and_resuming_from_a_continuation_token() -> None:
    final = recorded_operation("test_17_get_operation.json", "Canceled")
    service = RunService([run_at(1, final)])
    client, transport = make_client(service)
    poller = await client.ingestion.begin_run(
        COLLECTION, INGESTION, polling_interval=0.02, polling_timeout=0.1
    )
    with pytest.raises(IngestionRunTimeoutError):
        await poller.result()
    # asyncio's own timeout works as well: the wait is cancelled, the run goes on.
    again = await client.ingestion.begin_run(COLLECTION, INGESTION, polling_interval=0.02)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(again.result(), 0.1)

    service.states, service.polls = [run_at(2, final)], 0
    transport.requests.clear()
    resumed = await client.ingestion.begin_run(
        COLLECTION, INGESTION, continuation_token=poller.continuation_token()
    )
    with pytest.raises(IngestionRunError) as raised:
        await resumed.result()
    assert raised.value.status == "Canceled"
    assert [r.method for r in transport.requests] == ["GET"]


async def test_bad_arguments_fail_before_any_request() -> None:
    client, transport = make_client(RunService([]))
    with pytest.raises(ValueError, match="polling_timeout"):
        await client.ingestion.begin_run(COLLECTION, INGESTION, polling_timeout=-5)
    with pytest.raises(ValueError, match="continuation_token"):
        await client.ingestion.begin_run(COLLECTION, INGESTION, continuation_token="abc")
    assert transport.requests == []
