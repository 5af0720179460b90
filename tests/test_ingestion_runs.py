"""Waiting for an ingestion run with ``ingestion.begin_run``: poller states, progress, failures,
timeouts and continuation tokens, replayed from recorded run and operation traffic.

The run's trajectories are assembled from the recordings: the run created in
``test_05_create_ingestion_run`` / polled in ``test_06_get_ingestion_run_status`` (Pending), the
same run's operation as later listed in ``test_17_get_operation`` (Pending -> Running -> Canceled
with ``CanceledOperation``), and a failed operation of ``test_07_list_operations``
(``IngestionResourceForbidden``).
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Iterable
from typing import Any

import pytest
from _capture import CannedResponse, CapturedRequest, CapturingTransport, FakeTokenCredential, data_path
from azure.core.exceptions import HttpResponseError
from azure.core.polling import LROPoller
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer._ingestion_runs import (
    IngestionRunError,
    IngestionRunProgress,
    IngestionRunTimeoutError,
    RunReference,
)
from azure.planetarycomputer.models import IngestionRun

ENDPOINT = "https://cat.geocatalog.spatio.azure.com"
PREFIX = "test_planetary_computer_01_ingestion_management.pyTestPlanetaryComputerIngestionManagement"
COLLECTION = "naip-atl-atl-atl-atl-atl-atl-atl"
INGESTION = "00000000-0000-0000-0000-000000000000"
RUNS = f"/inma/collections/{COLLECTION}/ingestions/{INGESTION}/runs"


def recording(name: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(data_path("recordings", PREFIX + name).read_text())["Entries"]
    return entries


def recorded_created_run() -> dict[str, Any]:
    """The run as ``create_run`` answered it (201, Pending)."""
    [_, created, _] = recording("test_06_get_ingestion_run_status.json")
    assert created["RequestMethod"] == "POST" and created["StatusCode"] == 201
    return copy.deepcopy(created["ResponseBody"])


def recorded_polled_run() -> dict[str, Any]:
    """The run as ``get_run`` answered it (Pending)."""
    [_, _, polled] = recording("test_06_get_ingestion_run_status.json")
    assert polled["RequestMethod"] == "GET" and polled["RequestUri"].split("?")[0].endswith(
        f"{RUNS}/00000000-0000-0000-0000-000000000000"
    )
    return copy.deepcopy(polled["ResponseBody"])


def recorded_operation(recording_name: str, status: str) -> dict[str, Any]:
    for entry in recording(recording_name):
        body = entry["ResponseBody"]
        for operation in body.get("value", []) if isinstance(body, dict) else []:
            if operation["status"] == status and len(operation["statusHistory"]) == 3:
                found: dict[str, Any] = copy.deepcopy(operation)
                return found
    raise AssertionError(f"no {status} operation in {recording_name}")


def run_at(step: int, final: dict[str, Any]) -> dict[str, Any]:
    """The recorded run at ``step`` of the recorded operation ``final`` (0 Pending, 1 Running, 2 end)."""
    run = recorded_polled_run()
    history = final["statusHistory"][: step + 1]
    counts = {key: int(value) for key, value in final.get("additionalInformation", {}).items()}
    run["operation"].update(
        status=history[-1]["status"],
        statusHistory=history,
        totalItems=counts.get("TotalItems", 0),
        totalFailedItems=counts.get("TotalFailedItems", 0) if step == 2 else 0,
        totalSuccessfulItems=counts.get("TotalSuccessfulItems", 0) if step == 2 else 0,
        totalPendingItems=0 if step == 2 else counts.get("TotalItems", 0),
    )
    return run


def succeeded_operation() -> dict[str, Any]:
    operation = recorded_operation("test_17_get_operation.json", "Canceled")
    operation["statusHistory"][2] = {
        "status": "Succeeded",
        "timestamp": operation["statusHistory"][2]["timestamp"],
    }
    operation["additionalInformation"] = {
        "TotalItems": "4", "TotalSuccessfulItems": "4", "TotalFailedItems": "0", "TotalPendingItems": "0"
    }  # fmt: skip
    return operation


class RunService:
    """Answers create_run with the recorded run and each get_run with the next state of ``states``."""

    def __init__(self, states: Iterable[dict[str, Any]]) -> None:
        self.states = list(states)
        self.polls = 0
        self.lock = threading.Lock()

    def __call__(self, request: CapturedRequest) -> CannedResponse:
        if request.method == "POST" and request.path == RUNS:
            return CannedResponse.json(recorded_created_run(), status=201)
        assert request.method == "GET" and request.path.startswith(RUNS + "/"), request.url
        with self.lock:
            state = self.states[min(self.polls, len(self.states) - 1)]
            self.polls += 1
        return CannedResponse.json(state)


def make_client(service: RunService) -> tuple[PlanetaryComputerProClient, CapturingTransport]:
    transport = CapturingTransport(service)
    return PlanetaryComputerProClient(ENDPOINT, FakeTokenCredential(), transport=transport), transport


# --------------------------------------------------------------------------------------------------


def test_a_run_is_started_and_polled_until_it_succeeds() -> None:
    final = succeeded_operation()
    service = RunService([run_at(0, final), run_at(1, final), run_at(2, final)])
    client, transport = make_client(service)
    updates: list[IngestionRunProgress] = []

    poller = client.ingestion.begin_run(COLLECTION, INGESTION, polling_interval=0.05, progress=updates.append)

    assert isinstance(poller, LROPoller)
    assert poller.status() in ("Pending", "Running", "Succeeded")
    run = poller.result(timeout=10)
    assert isinstance(run, IngestionRun)
    assert poller.done() and poller.status() == "Succeeded" and run.operation.status == "Succeeded"
    assert [u.status for u in updates] == [
        "Pending",
        "Pending",
        "Running",
        "Succeeded",
    ]  # created, then polls
    assert updates[-1] == IngestionRunProgress("Succeeded", total=4, succeeded=4, failed=0, pending=0)
    assert updates[2] == IngestionRunProgress("Running", total=4, succeeded=0, failed=0, pending=4)
    methods = [(r.method, r.path) for r in transport.requests]
    assert methods[0] == ("POST", RUNS)
    assert methods[1:] == [("GET", f"{RUNS}/00000000-0000-0000-0000-000000000000")] * 3
    assert all(dict(r.query)["api-version"] == "2026-04-15" for r in transport.requests)


def test_wait_and_result_with_a_timeout_follow_azure_core() -> None:
    final = succeeded_operation()
    service = RunService([run_at(0, final)] * 6 + [run_at(2, final)])
    client, _ = make_client(service)
    poller = client.ingestion.begin_run(COLLECTION, INGESTION, polling_interval=0.05)
    early = poller.result(timeout=0.01)  # azure-core: the run as it stands after the timeout
    assert early.operation.status == "Pending" and not poller.done()
    poller.wait()
    assert poller.done() and poller.result().operation.status == "Succeeded"


def test_a_failed_run_raises_with_the_operations_errors() -> None:
    final = recorded_operation("test_07_list_operations.json", "Failed")
    service = RunService([run_at(1, final), run_at(2, final)])
    client, _ = make_client(service)
    poller = client.ingestion.begin_run(COLLECTION, INGESTION, polling_interval=0.01)
    with pytest.raises(IngestionRunError) as raised:
        poller.result()
    error = raised.value
    assert isinstance(error, HttpResponseError)
    assert error.status == "Failed" and error.run.operation.status == "Failed"
    assert [(e.error_code, e.status) for e in error.errors] == [("IngestionResourceForbidden", "Failed")]
    assert (error.errors[0].error_message or "").startswith("Asset transformation exception")
    message = str(error)
    assert "Failed" in message and "IngestionResourceForbidden: Asset transformation exception" in message
    assert "1 of 1 items failed" in message and f"collection '{COLLECTION}'" in message
    assert error.continuation_token  # set by the poller: the run can be looked at again
    assert poller.done() and poller.status() == "Failed"


def test_a_canceled_run_raises_too() -> None:
    final = recorded_operation("test_17_get_operation.json", "Canceled")
    service = RunService([run_at(1, final), run_at(2, final)])
    client, _ = make_client(service)
    with pytest.raises(
        IngestionRunError, match=r"CanceledOperation: Operation '.*' .* has been cancelled"
    ) as raised:
        client.ingestion.begin_run(COLLECTION, INGESTION, polling_interval=0.01).result()
    assert raised.value.status == "Canceled"
    assert [entry.status for entry in raised.value.run.operation.status_history] == [
        "Pending",
        "Running",
        "Canceled",
    ]


def test_polling_timeout_raises_and_the_wait_can_be_resumed() -> None:
    final = succeeded_operation()
    service = RunService([run_at(1, final)])  # runs forever
    client, transport = make_client(service)
    started = time.monotonic()
    poller = client.ingestion.begin_run(COLLECTION, INGESTION, polling_interval=0.02, polling_timeout=0.2)
    with pytest.raises(IngestionRunTimeoutError, match=r"still Running after 0\.2 s") as raised:
        poller.result()
    assert 0.15 < time.monotonic() - started < 5
    assert raised.value.run is not None and raised.value.run.operation.status == "Running"
    token = raised.value.continuation_token
    assert token == poller.continuation_token()

    service.states = [run_at(1, final), run_at(2, final)]
    service.polls = 0
    transport.requests.clear()
    resumed = client.ingestion.begin_run(
        COLLECTION, INGESTION, continuation_token=token, polling_interval=0.01
    )
    assert resumed.result().operation.status == "Succeeded"
    assert all(r.method == "GET" for r in transport.requests)  # no new run was started


def test_a_continuation_token_names_the_run_and_nothing_secret() -> None:
    final = succeeded_operation()
    client, transport = make_client(RunService([run_at(2, final)]))
    poller = client.ingestion.begin_run(COLLECTION, INGESTION, polling_interval=0)
    token = poller.continuation_token()
    assert RunReference.from_token(token) == RunReference(
        COLLECTION, INGESTION, "00000000-0000-0000-0000-000000000000"
    )
    assert poller.result().operation.status == "Succeeded"

    transport.requests.clear()
    resumed = client.ingestion.begin_run(COLLECTION, INGESTION, continuation_token=token)
    assert resumed.result().operation.status == "Succeeded"
    assert [r.method for r in transport.requests] == ["GET"]


@pytest.mark.parametrize(
    ("arguments", "error", "name"),
    [
        ({"polling_interval": -1}, ValueError, "polling_interval"),
        ({"polling_interval": "1"}, TypeError, "polling_interval"),
        ({"polling_timeout": 0}, ValueError, "polling_timeout"),
        ({"progress": "print"}, TypeError, "progress"),
        ({"continuation_token": "not-a-token"}, ValueError, "continuation_token"),
        (
            {"continuation_token": RunReference("other", INGESTION, "r").token()},
            ValueError,
            "continuation_token",
        ),
        ({"collection_id": ""}, ValueError, "collection_id"),
        ({"ingestion_id": None}, TypeError, "ingestion_id"),
    ],
)
def test_bad_arguments_fail_before_any_request(arguments: dict[str, Any], error: type, name: str) -> None:
    client, transport = make_client(RunService([]))
    ids = {"collection_id": COLLECTION, "ingestion_id": INGESTION}
    ids.update({key: arguments.pop(key) for key in list(arguments) if key in ids})
    with pytest.raises(error, match=name):
        client.ingestion.begin_run(ids["collection_id"], ids["ingestion_id"], **arguments)
    assert transport.requests == []


def test_the_clients_polling_interval_is_the_default() -> None:
    final = succeeded_operation()
    transport = CapturingTransport(RunService([run_at(1, final), run_at(2, final)]))
    client = PlanetaryComputerProClient(
        ENDPOINT, FakeTokenCredential(), transport=transport, polling_interval=0.3
    )
    poller = client.ingestion.begin_run(COLLECTION, INGESTION)
    time.sleep(0.15)
    assert [r.method for r in transport.requests] == ["POST"]  # still waiting out the interval
    assert poller.result(timeout=10).operation.status == "Succeeded"
