"""Adaptive polling of long-running writes, against a scripted local server (sync and aio).

The server plays the service: ``POST /stac/collections/{id}/items`` answers 202 with an
``operation-location``, and the operation is ``Running`` until a set time after the POST, then
``Succeeded``. No Retry-After unless a test adds one, as the service does.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from _capture import FakeAsyncTokenCredential, FakeTokenCredential
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer._lro import FIRST_POLL_DELAY, PollSchedule
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient
from fault_server import FaultServer, RecordedRequest, Reply

ITEMS = "/stac/collections/c1/items"
OPERATION = "/inma/operations/op-1"
ITEM: dict[str, Any] = {
    "type": "Feature",
    "stac_version": "1.0.0",
    "id": "i1",
    "geometry": None,
    "properties": {},
}


class Operation:
    """An operation that runs for ``seconds`` after its creation; ``retry_after`` is sent when set."""

    def __init__(self, server: FaultServer, seconds: float, retry_after: str | None = None) -> None:
        self.seconds = seconds
        self.started = 0.0
        self.headers = {} if retry_after is None else {"Retry-After": retry_after}
        location = f"{server.url}{OPERATION}?api-version=2026-04-15"
        server.route(ITEMS, self.create, method="POST")
        server.route(OPERATION, self.poll, method="GET")
        self.location = location

    def create(self, request: RecordedRequest) -> Reply:
        self.started = time.monotonic()
        headers = {"operation-location": self.location, **self.headers}
        return Reply.json({"id": "op-1", "status": "Pending"}, 202, headers)

    def poll(self, request: RecordedRequest) -> Reply:
        done = time.monotonic() - self.started >= self.seconds
        status = "Succeeded" if done else "Running"
        return Reply.json({"id": "op-1", "status": status, "type": "AddItem"}, 200, self.headers)


def sync_client(server: FaultServer, **kwargs: Any) -> PlanetaryComputerProClient:
    return PlanetaryComputerProClient(server.url, FakeTokenCredential(), retry_total=0, **kwargs)


def timed_create(client: PlanetaryComputerProClient, **kwargs: Any) -> float:
    start = time.monotonic()
    client.stac.begin_create_item("c1", ITEM, **kwargs).result()
    return time.monotonic() - start


def test_an_operation_done_after_0_3_s_finishes_in_well_under_a_second() -> None:
    with FaultServer() as server:
        Operation(server, 0.3)
        elapsed = timed_create(sync_client(server))
        polls = server.count(OPERATION)
    # Polls at 0, 0.25 and 0.75 s (the second may already see it done): under a second, not 30 s.
    assert elapsed < 1.5
    assert 2 <= polls <= 3


def test_the_schedule_backs_off_from_a_quarter_second_to_the_interval() -> None:
    schedule = PollSchedule(30, explicit=False)
    delays = [schedule.next_delay() for _ in range(10)]
    assert delays == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert PollSchedule(30, explicit=True).next_delay() == 30
    assert PollSchedule(0.1, explicit=False).next_delay() == 0.1  # never above a smaller interval
    assert schedule.next_delay(retry_after=3.0) == 3.0


@pytest.mark.parametrize("where", ["call", "constructor"])
def test_an_explicit_polling_interval_is_honoured_exactly(where: str) -> None:
    with FaultServer() as server:
        Operation(server, 0.3)
        if where == "call":
            elapsed = timed_create(sync_client(server), polling_interval=1.2)
        else:
            elapsed = timed_create(sync_client(server, polling_interval=1.2))
        polls = server.count(OPERATION)
    # A poll right away (running), then one wait of exactly 1.2 s, none of 0.25 s.
    assert polls == 2
    assert 1.2 <= elapsed < 2.5


def test_retry_after_is_honoured() -> None:
    with FaultServer() as server:
        Operation(server, 0.3, retry_after="1")
        elapsed = timed_create(sync_client(server))
        polls = server.count(OPERATION)
    assert polls == 2
    assert 1.0 <= elapsed < 2.5


def test_polls_of_a_longer_operation_are_bounded() -> None:
    with FaultServer() as server:
        Operation(server, 3.2)
        elapsed = timed_create(sync_client(server))
        polls = server.count(OPERATION)
    # Polls at 0, 0.25, 0.75, 1.75, 3.75 (and 7.75) s: at most 6, where a fixed 0.25 s would make 13.
    assert 5 <= polls <= 6
    assert elapsed < 3.2 + 4.0 + 1.0


def test_without_adaptive_polling_the_same_operation_would_wait_the_interval() -> None:
    """The schedule is what makes the difference: a fixed interval waits it out before the first poll."""
    with FaultServer() as server:
        Operation(server, 0.3)
        elapsed = timed_create(sync_client(server, polling_interval=0.8))
    assert elapsed >= 0.8
    assert FIRST_POLL_DELAY < 0.8


async def test_aio_polls_adaptively_and_honours_explicit_intervals() -> None:
    with FaultServer() as server:
        Operation(server, 0.3)
        async with AsyncPlanetaryComputerProClient(
            server.url, FakeAsyncTokenCredential(), retry_total=0
        ) as client:
            start = time.monotonic()
            await (await client.stac.begin_create_item("c1", ITEM)).result()
            adaptive = time.monotonic() - start
            adaptive_polls = server.count(OPERATION)
            start = time.monotonic()
            await (await client.stac.begin_create_item("c1", ITEM, polling_interval=1.0)).result()
            explicit = time.monotonic() - start
    assert adaptive < 1.5 and 2 <= adaptive_polls <= 3
    assert explicit >= 1.0


async def test_aio_honours_retry_after() -> None:
    with FaultServer() as server:
        Operation(server, 0.3, retry_after="1")
        async with AsyncPlanetaryComputerProClient(
            server.url, FakeAsyncTokenCredential(), retry_total=0
        ) as client:
            start = time.monotonic()
            await (await client.stac.begin_create_item("c1", ITEM)).result()
            elapsed = time.monotonic() - start
        assert server.count(OPERATION) == 2
    assert 1.0 <= elapsed < 2.5


def test_an_ingestion_run_is_polled_adaptively_too() -> None:
    """begin_run (and ingest) without a polling_interval: polls after 0.25 and 0.5 s, not 30 s."""
    from test_publishing import COLLECTION, ScriptedCatalog

    with FaultServer() as server:
        catalog = ScriptedCatalog(server)  # a run is done at its second poll
        client = PlanetaryComputerProClient(server.url, FakeTokenCredential())
        start = time.monotonic()
        run = client.ingestion.ingest(
            COLLECTION, "https://account.blob.core.windows.net/data/catalog.json"
        ).result()
        elapsed = time.monotonic() - start
        [run_id] = catalog.runs
    assert run.operation.status == "Succeeded" and catalog.runs[run_id]["polls"] == 2
    assert elapsed < 2.0


@pytest.mark.parametrize(
    ("interval", "error"), [(-1, ValueError), ("5", TypeError), (True, TypeError), (None, TypeError)]
)
def test_a_bad_polling_interval_is_refused_before_any_request(interval: Any, error: type) -> None:
    with FaultServer() as server:
        Operation(server, 0.0)
        with pytest.raises(error, match="polling_interval"):
            sync_client(server).stac.begin_create_item("c1", ITEM, polling_interval=interval)
        # The poller is built, and the interval checked, before the request goes out.
        assert server.count(ITEMS) == 0
