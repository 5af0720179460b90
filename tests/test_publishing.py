"""Publishing without sleeps (ingest, upserts, read-your-writes) against a scripted local service.

:class:`ScriptedCatalog` plays a GeoCatalog on a :class:`FaultServer`: STAC writes are long-running
operations, ingestion sources, definitions and runs behave as the contract says, and faults are
switched on per test: writes that show on reads only after a delay, 429s on item creation, a run
that fails half-way, a SAS source whose token expires during a run.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from typing import Any

import pystac
import pytest
from _capture import FakeTokenCredential
from azure.core.exceptions import AzureError, ResourceExistsError
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer._ingestion_runs import IngestionRunError
from azure.planetarycomputer._publishing import (
    IngestProgress,
    Outcome,
    SasContainer,
    UpsertSummary,
    VisibilityTimeoutError,
    prepare_for_geocatalog,
)
from fault_server import FaultServer, RecordedRequest, Reply

COLLECTION = "landsat-copy"
CONTAINER = "https://account.blob.core.windows.net/data"


def sas(hours: float = 2.0, tag: str = "a") -> str:
    expiry = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=hours)
    return f"sv=2024-11-04&sr=c&sp=rl&se={expiry.strftime('%Y-%m-%dT%H:%M:%SZ')}&sig={tag}secret"


def collection(description: str = "Landsat") -> dict[str, Any]:
    return {
        "type": "Collection",
        "id": COLLECTION,
        "stac_version": "1.0.0",
        "description": description,
        "license": "proprietary",
        "extent": {
            "spatial": {"bbox": [[-180.0, -90.0, 180.0, 90.0]]},
            "temporal": {"interval": [["2020-01-01T00:00:00Z", None]]},
        },
        "links": [],
    }


def item(index: int, version: int = 1) -> dict[str, Any]:
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": f"scene-{index:04d}",
        "geometry": {"type": "Point", "coordinates": [float(index % 90), 1.5]},
        "bbox": [float(index % 90), 1.5, float(index % 90), 1.5],
        "properties": {"datetime": "2021-06-01T00:00:00Z", "version": version},
        "assets": {"image": {"href": f"https://account.blob.core.windows.net/data/{index}.tif"}},
        "links": [],
    }


class ScriptedCatalog:
    """An in-memory GeoCatalog. Objects keep versions that become visible at a time; reads see the
    latest visible version (None: deleted / 404)."""

    def __init__(self, server: FaultServer) -> None:
        self.server = server
        self.lock = threading.Lock()
        self.operation_seconds = 0.05
        self.visibility_delay = 0.0
        self.throttle_creates = 0  # the first N POSTs of each item answer 429
        self.rejected: dict[str, tuple[str, str]] = {}  # item id -> the create operation's error
        self.objects: dict[tuple[str, ...], list[tuple[float, dict[str, Any] | None]]] = {}
        self.operations: dict[str, dict[str, Any]] = {}
        self.sources: dict[str, dict[str, Any]] = {}
        self.definitions: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, dict[str, Any]] = {}
        self.run_script: list[tuple[str, int, int, str | None]] = []  # (status, ok, failed, error)
        self.throttled: dict[str, int] = {}
        self.created_items: list[str] = []
        self.ids = (f"00000000-0000-0000-0000-{n:012d}" for n in itertools.count(1))
        server.route("/*", self.handle)

    # storage -------------------------------------------------------------------------------------

    def read(self, key: tuple[str, ...]) -> dict[str, Any] | None:
        now = time.monotonic()
        visible = [body for at, body in self.objects.get(key, []) if at <= now]
        return visible[-1] if visible else None

    def exists_anywhere(self, key: tuple[str, ...]) -> bool:
        versions = self.objects.get(key, [])
        return bool(versions) and versions[-1][1] is not None

    def write(self, key: tuple[str, ...], body: dict[str, Any] | None) -> None:
        at = time.monotonic() + self.operation_seconds + self.visibility_delay
        self.objects.setdefault(key, []).append((at, body))

    def operation(self, kind: str, error: tuple[str, str] | None = None) -> Reply:
        op_id = next(self.ids)
        self.operations[op_id] = {
            "done_at": time.monotonic() + self.operation_seconds,
            "type": kind,
            "error": error,
        }
        location = f"{self.server.url}/inma/operations/{op_id}?api-version=2026-04-15"
        return Reply.json({"id": op_id, "status": "Pending"}, 202, {"operation-location": location})

    def operation_state(self, op_id: str) -> Reply:
        op = self.operations[op_id]
        body: dict[str, Any] = {"id": op_id, "type": op["type"], "statusHistory": []}
        if time.monotonic() < op["done_at"]:
            body["status"] = "Running"
        elif op["error"]:
            body["status"] = "Failed"
            body["error"] = {"code": op["error"][0], "message": op["error"][1]}
        else:
            body["status"] = "Succeeded"
        return Reply.json(body)

    # routes ----------------------------------------------------------------------------------------

    def handle(self, request: RecordedRequest) -> Reply:
        with self.lock:
            parts = request.path.strip("/").split("/")
            method = request.method
            if parts[:2] == ["inma", "operations"]:
                return self.operation_state(parts[2])
            if parts[:2] == ["stac", "collections"]:
                return self.stac(method, parts[2:], request)
            if parts[:2] == ["inma", "ingestion-sources"]:
                return self.ingestion_sources(method, parts[2:], request)
            if parts[:2] == ["inma", "collections"] and parts[3] == "ingestions":
                return self.ingestions(method, parts[2], parts[4:], request)
            return Reply.error(404, "NotScripted", f"{method} {request.path}")

    def stac(self, method: str, rest: list[str], request: RecordedRequest) -> Reply:
        if not rest and method == "POST":
            body = request.json()
            if self.exists_anywhere(("c", body["id"])):
                return Reply.error(409, "Conflict", f"Collection '{body['id']}' already exists.")
            self.write(("c", body["id"]), body)
            return self.operation("AddCollection")
        cid = rest[0]
        if len(rest) == 4 and rest[1] == "configurations":  # render options and mosaics
            key = ("config", cid, rest[2], rest[3])
            if method == "PUT":
                self.write(key, request.json())
                return Reply.json(request.json())
            found = self.read(key)
            return Reply.json(found) if found else Reply.error(404, "NotFound", "no such configuration")
        if len(rest) == 1:
            if method == "GET":
                found = self.read(("c", cid))
                return Reply.json(found) if found else Reply.error(404, "NotFound", "no collection")
            if method == "PUT":
                self.write(("c", cid), request.json())
                return Reply.json(request.json())
            if method == "DELETE":
                self.write(("c", cid), None)
                return self.operation("DeleteCollection")
        if len(rest) == 2 and method == "POST":
            body = request.json()
            iid = body["id"]
            if self.throttled.get(iid, 0) < self.throttle_creates:
                self.throttled[iid] = self.throttled.get(iid, 0) + 1
                return Reply.error(429, "TooManyRequests", "slow down")
            if self.exists_anywhere(("i", cid, iid)):
                return self.operation("AddItem", ("Conflict", f"Item '{iid}' already exists"))
            if iid in self.rejected:
                return self.operation("AddItem", self.rejected[iid])
            self.created_items.append(iid)
            self.write(("i", cid, iid), body)
            return self.operation("AddItem")
        iid = rest[2]
        if method == "GET":
            found = self.read(("i", cid, iid))
            if found is None:
                return Reply.error(404, "NotFound", f"Item '{iid}' not found")
            return Reply.json({**found, "_msft:etag": str(id(found))})
        if method == "PUT":
            self.write(("i", cid, iid), request.json())
            return self.operation("ReplaceItem")
        self.write(("i", cid, iid), None)
        return self.operation("DeleteItem")

    def ingestion_sources(self, method: str, rest: list[str], request: RecordedRequest) -> Reply:
        if not rest and method == "GET":
            summaries = [{"id": s["id"], "kind": s["kind"]} for s in self.sources.values()]
            return Reply.json({"value": summaries})
        if not rest and method == "POST":
            return self.store_source(request.json()["id"], request.json(), 201)
        if method == "PUT":
            return self.store_source(rest[0], request.json(), 200)
        return Reply.json(self.render_source(self.sources[rest[0]]))

    def store_source(self, source_id: str, body: dict[str, Any], status: int) -> Reply:
        token = body["connectionInfo"].pop("sasToken")
        expiry = dict(pair.split("=", 1) for pair in token.split("&"))["se"]
        self.sources[source_id] = {**body, "id": source_id, "token": token, "expiration": expiry}
        return Reply.json(self.render_source(self.sources[source_id]), status)

    @staticmethod
    def render_source(source: dict[str, Any]) -> dict[str, Any]:
        info = {**source["connectionInfo"], "expiration": source["expiration"]}
        return {"id": source["id"], "kind": source["kind"], "connectionInfo": info}

    def ingestions(self, method: str, cid: str, rest: list[str], request: RecordedRequest) -> Reply:
        if not rest:
            if method == "GET":
                return Reply.json({"value": [d for d in self.definitions.values() if d["cid"] == cid]})
            definition = {**request.json(), "id": next(self.ids), "cid": cid}
            self.definitions[definition["id"]] = definition
            return Reply.json(definition, 201)
        if method == "POST":  # a run
            status, ok, failed, error = (
                self.run_script.pop(0) if self.run_script else ("Succeeded", 3, 0, None)
            )
            run_id = next(self.ids)
            self.runs[run_id] = {"status": status, "ok": ok, "failed": failed, "error": error, "polls": 0}
            return Reply.json(self.render_run(run_id, initial=True), 201)
        return Reply.json(self.render_run(rest[2]))

    def render_run(self, run_id: str, initial: bool = False) -> dict[str, Any]:
        run = self.runs[run_id]
        if not initial:
            run["polls"] += 1
        done = run["polls"] >= 2
        status = run["status"] if done else "Running"
        history: list[dict[str, Any]] = [{"status": "Running", "timestamp": "2026-01-01T00:00:00Z"}]
        if done and run["error"]:
            code, message = run["error"].split(": ", 1)
            history.append({"status": status, "errorCode": code, "errorMessage": message})
        total = run["ok"] + run["failed"]
        operation = {
            "id": run_id,
            "status": status,
            "statusHistory": history,
            "creationTime": "2026-01-01T00:00:00Z",
            "totalItems": total,
            "totalSuccessfulItems": run["ok"] if done else run["ok"] // 2,
            "totalFailedItems": run["failed"] if done else 0,
            "totalPendingItems": 0 if done else total - run["ok"] // 2,
        }
        return {"id": run_id, "creationTime": "2026-01-01T00:00:00Z", "operation": operation}


@pytest.fixture
def catalog() -> Any:
    with FaultServer() as server:
        yield ScriptedCatalog(server)


def client_for(catalog: ScriptedCatalog, **kwargs: Any) -> PlanetaryComputerProClient:
    return PlanetaryComputerProClient(catalog.server.url, FakeTokenCredential(), **kwargs)


# --------------------------------------------------------------------------------------------------
# read-your-writes


def test_ensure_collection_waits_until_a_delayed_create_is_visible(catalog: ScriptedCatalog) -> None:
    catalog.visibility_delay = 0.8
    client = client_for(catalog)
    start = time.monotonic()
    outcome = client.stac.ensure_collection(collection(), wait_visible=True)
    assert outcome.outcome is Outcome.CREATED
    assert time.monotonic() - start >= 0.8  # it waited for the delay ...
    assert client.stac.get_collection(COLLECTION).id == COLLECTION  # ... and the read now sees it


def test_without_waiting_a_delayed_write_is_not_yet_visible(catalog: ScriptedCatalog) -> None:
    """The control: the scripted delay is real, so the test above proves the wait."""
    catalog.visibility_delay = 2.0
    client = client_for(catalog)
    client.stac.ensure_collection(collection())
    with pytest.raises(AzureError):
        client.stac.get_collection(COLLECTION)


def test_upserted_items_are_readable_once_wait_visible_returns(catalog: ScriptedCatalog) -> None:
    catalog.visibility_delay = 0.6
    client = client_for(catalog)
    summary = client.stac.upsert_items(COLLECTION, [item(i) for i in range(5)], wait_visible=True)
    assert summary.created == 5
    for i in range(5):
        assert client.stac.get_item(COLLECTION, f"scene-{i:04d}").properties["version"] == 1
    # A replace is waited for until reads show the new content, not merely the item.
    summary = client.stac.upsert_items(COLLECTION, [item(0, version=2)], wait_visible=True)
    assert summary.replaced == 1
    assert client.stac.get_item(COLLECTION, "scene-0000").properties["version"] == 2


def test_deletes_are_waited_for_and_a_timeout_names_what_was_awaited(
    catalog: ScriptedCatalog,
) -> None:
    client = client_for(catalog)
    client.stac.upsert_items(COLLECTION, [item(1)])
    catalog.visibility_delay = 0.5
    client.stac.begin_delete_item(COLLECTION, "scene-0001").result()
    client.stac.wait_until_visible(COLLECTION, item_id="scene-0001", exists=False, timeout=10)
    with pytest.raises(AzureError):
        client.stac.get_item(COLLECTION, "scene-0001")

    catalog.visibility_delay = 30
    client.stac.upsert_items(COLLECTION, [item(2)])
    start = time.monotonic()
    with pytest.raises(VisibilityTimeoutError) as caught:
        client.stac.wait_until_visible(COLLECTION, item_id="scene-0002", timeout=0.7)
    assert time.monotonic() - start < 3
    assert isinstance(caught.value, TimeoutError) and isinstance(caught.value, AzureError)
    assert "item 'scene-0002' in collection 'landsat-copy' to exist" in str(caught.value)
    # Reads backed off: 0.1, 0.2, 0.4 s... a handful of reads in 0.7 s, not a busy loop.
    reads = catalog.server.count(f"/stac/collections/{COLLECTION}/items/scene-0002", "GET")
    assert 2 <= reads <= 6


def test_a_render_option_change_is_waited_for_until_reads_show_it(catalog: ScriptedCatalog) -> None:
    catalog.operation_seconds = 0.0  # configuration writes are plain PUTs, no operation
    client = client_for(catalog)
    option = {"id": "natural", "name": "Natural color", "type": "raster-tile", "options": "assets=image"}
    client.stac.replace_render_option(COLLECTION, "natural", option)
    catalog.visibility_delay = 0.6
    changed = {**option, "options": "assets=image&rescale=0,255"}
    client.stac.replace_render_option(COLLECTION, "natural", changed)
    assert client.stac.get_render_option(COLLECTION, "natural").options == "assets=image"  # not yet
    client.stac.wait_until_visible(COLLECTION, render_option_id="natural", content=changed, timeout=10)
    assert client.stac.get_render_option(COLLECTION, "natural").options == "assets=image&rescale=0,255"


def test_wait_until_visible_refuses_bad_arguments_before_any_request(catalog: ScriptedCatalog) -> None:
    client = client_for(catalog)
    with pytest.raises(ValueError, match="at most one"):
        client.stac.wait_until_visible(COLLECTION, item_id="a", mosaic_id="b")
    with pytest.raises(ValueError, match="timeout"):
        client.stac.wait_until_visible(COLLECTION, timeout=0)
    with pytest.raises(TypeError, match="exists"):
        client.stac.wait_until_visible(COLLECTION, exists="no")  # type: ignore[arg-type]
    assert catalog.server.count() == 0


# --------------------------------------------------------------------------------------------------
# idempotent upserts, conflicts and throttling


def test_ensure_collection_reports_created_unchanged_and_replaced(catalog: ScriptedCatalog) -> None:
    client = client_for(catalog)
    assert client.stac.ensure_collection(collection()).outcome is Outcome.CREATED
    time.sleep(catalog.operation_seconds)
    assert client.stac.ensure_collection(collection()).outcome is Outcome.UNCHANGED
    assert client.stac.ensure_collection(collection("Landsat, v2")).outcome is Outcome.REPLACED
    assert catalog.server.count("/stac/collections", "POST") == 1


def test_a_conflicting_create_operation_raises_resource_exists_error(catalog: ScriptedCatalog) -> None:
    client = client_for(catalog)
    client.stac.begin_create_item(COLLECTION, item(7)).result()
    with pytest.raises(ResourceExistsError) as caught:
        client.stac.begin_create_item(COLLECTION, item(7)).result()
    assert caught.value.error is not None and caught.value.error.code == "Conflict"


def test_an_item_created_but_not_yet_visible_is_not_created_twice(catalog: ScriptedCatalog) -> None:
    """The read says 404 (not visible yet), the create meets a conflict: the upsert compares instead."""
    catalog.visibility_delay = 0.5
    client = client_for(catalog)
    client.stac.upsert_items(COLLECTION, [item(3)])
    summary = client.stac.upsert_items(COLLECTION, [item(3)])
    assert catalog.created_items == ["scene-0003"]
    assert summary.failed == [] and summary.total == 1


def test_items_with_429s_on_creation_are_all_created_exactly_once(catalog: ScriptedCatalog) -> None:
    catalog.throttle_creates = 2  # every item's first two POSTs answer 429, without Retry-After
    client = client_for(catalog, retry_total=0)
    seen: list[IngestProgress] = []
    summary = client.stac.upsert_items(
        COLLECTION, (item(i) for i in range(8)), concurrency=8, progress=seen.append
    )
    assert summary.created == 8 and summary.failed == []
    assert sorted(catalog.created_items) == [f"scene-{i:04d}" for i in range(8)]
    assert catalog.server.count(f"/stac/collections/{COLLECTION}/items", "POST") == 24
    assert seen[-1] == IngestProgress(8, 0, None)


def test_items_are_read_from_the_input_only_a_bounded_way_ahead(catalog: ScriptedCatalog) -> None:
    client = client_for(catalog)
    consumed = 0
    ahead_at_first_result: list[int] = []

    def items() -> Any:
        nonlocal consumed
        for i in range(10):
            consumed += 1
            yield item(i)

    def progress(p: IngestProgress) -> None:
        if not ahead_at_first_result:
            ahead_at_first_result.append(consumed)

    summary = client.stac.upsert_items(COLLECTION, items(), concurrency=2, progress=progress)
    assert summary.created == 10
    assert ahead_at_first_result[0] <= 2 * 2 + 1  # not the whole generator up front


def test_rerunning_an_item_ingest_creates_nothing_twice(catalog: ScriptedCatalog) -> None:
    client = client_for(catalog)
    first = client.ingestion.ingest(COLLECTION, [item(i) for i in range(10)]).result()
    assert isinstance(first, UpsertSummary) and first.created == 10
    time.sleep(catalog.operation_seconds)
    again = client.ingestion.ingest(COLLECTION, [item(i) for i in range(10)]).result()
    assert again.unchanged == 10 and again.created == 0
    assert len(catalog.created_items) == 10


def test_failed_items_are_listed_with_the_services_reasons(catalog: ScriptedCatalog) -> None:
    catalog.rejected["scene-0002"] = ("InvalidGeometry", "Polygon ring is not closed")
    client = client_for(catalog)
    summary = client.stac.upsert_items(COLLECTION, [item(1), item(2), item(3)])
    [failed] = summary.failed
    assert (failed.id, failed.error_code) == ("scene-0002", "InvalidGeometry")
    assert "Polygon ring is not closed" in (failed.error_message or "")
    assert summary.created == 2
    assert "scene-0002: InvalidGeometry: " in str(summary)


def test_pystac_objects_and_a_progress_bar(
    catalog: ScriptedCatalog, capsys: pytest.CaptureFixture[str]
) -> None:
    client = client_for(catalog)
    assert client.stac.ensure_collection(pystac.Collection.from_dict(collection())).outcome is Outcome.CREATED
    items = pystac.ItemCollection([pystac.Item.from_dict(item(i)) for i in range(3)])
    summary = client.stac.upsert_items(COLLECTION, items, progress=True)
    assert summary.created == 3
    assert "3/3" in capsys.readouterr().err  # the tqdm bar, on stderr


def test_bad_items_in_a_list_fail_before_any_request(catalog: ScriptedCatalog) -> None:
    client = client_for(catalog)
    with pytest.raises(ValueError, match="'id'"):
        client.stac.upsert_items(COLLECTION, [item(1), {"type": "Feature"}])
    with pytest.raises(TypeError, match="items"):
        client.stac.upsert_items(COLLECTION, [item(1), 42])
    with pytest.raises(ValueError, match="concurrency"):
        client.stac.upsert_items(COLLECTION, [item(1)], concurrency=0)
    with pytest.raises(TypeError, match="progress"):
        client.stac.upsert_items(COLLECTION, [item(1)], progress="yes")  # type: ignore[arg-type]
    assert catalog.server.count() == 0


# --------------------------------------------------------------------------------------------------
# ingest from URLs: sources, definitions, runs


def test_ingest_a_static_catalog_with_a_sas_token_then_again(catalog: ScriptedCatalog) -> None:
    client = client_for(catalog, polling_interval=0.05)
    token = sas()
    url = f"{CONTAINER}/catalog.json?{token}"
    seen: list[IngestProgress] = []
    run = client.ingestion.ingest(COLLECTION, url, progress=seen.append).result()
    assert run.operation.status == "Succeeded" and seen[-1] == IngestProgress(3, 0, 3)
    run = client.ingestion.ingest(COLLECTION, url).result()
    assert run.operation.status == "Succeeded"
    # One source, one definition, two runs; the same token found on the source is not rewritten.
    assert catalog.server.count("/inma/ingestion-sources", "POST") == 1
    assert [r.method for r in catalog.server.matching() if r.method == "PUT"] == []
    assert catalog.server.count(f"/inma/collections/{COLLECTION}/ingestions", "POST") == 1
    [definition] = catalog.definitions.values()
    assert definition["importType"] == "StaticCatalog"
    assert definition["sourceCatalogUrl"] == f"{CONTAINER}/catalog.json"  # without the token
    assert definition["skipExistingItems"] is True
    [source] = catalog.sources.values()
    assert source["connectionInfo"]["containerUrl"] == CONTAINER and source["token"] == token


def test_geoparquet_sources_make_a_geoparquet_definition(catalog: ScriptedCatalog) -> None:
    client = client_for(catalog, polling_interval=0.05)
    client.ingestion.ingest(COLLECTION, SasContainer(CONTAINER, sas(), "items.parquet")).result()
    [definition] = catalog.definitions.values()
    assert definition["importType"] == "StacGeoparquet"
    assert definition["stacGeoparquetUrl"] == f"{CONTAINER}/items.parquet"
    assert "sourceCatalogUrl" not in definition


def test_a_run_that_fails_half_way_raises_with_counts_and_reasons_and_a_rerun_reuses_everything(
    catalog: ScriptedCatalog,
) -> None:
    catalog.run_script = [
        ("Failed", 5, 5, "IngestionFailed: 5 item(s) failed to ingest."),
        ("Succeeded", 10, 0, None),
    ]
    client = client_for(catalog, polling_interval=0.05)
    url = f"{CONTAINER}/catalog.json"
    with pytest.raises(IngestionRunError) as caught:
        client.ingestion.ingest(COLLECTION, url, sas_token=sas()).result()
    assert "5 of 10 items failed" in str(caught.value)
    assert [(e.error_code, e.error_message) for e in caught.value.errors] == [
        ("IngestionFailed", "5 item(s) failed to ingest.")
    ]
    run = client.ingestion.ingest(COLLECTION, url, sas_token=sas()).result()
    assert run.operation.total_successful_items == 10
    assert len(catalog.definitions) == 1 and len(catalog.sources) == 1 and len(catalog.runs) == 2


def test_a_source_whose_sas_expires_during_the_run_is_refreshed_not_duplicated(
    catalog: ScriptedCatalog,
) -> None:
    catalog.run_script = [
        ("Failed", 2, 8, "IngestionResourceForbidden: Error retrieving content from sas token source."),
        ("Succeeded", 10, 0, None),
    ]
    client = client_for(catalog, polling_interval=0.05)
    url = f"{CONTAINER}/catalog.json"
    with pytest.raises(IngestionRunError, match="IngestionResourceForbidden"):
        client.ingestion.ingest(COLLECTION, url, sas_token=sas(hours=0.5, tag="old")).result()
    [source_id] = catalog.sources
    fresh = sas(hours=24, tag="new")
    run = client.ingestion.ingest(COLLECTION, url, sas_token=fresh).result()
    assert run.operation.status == "Succeeded"
    assert list(catalog.sources) == [source_id] and catalog.sources[source_id]["token"] == fresh
    assert catalog.server.count(f"/inma/ingestion-sources/{source_id}", "PUT") == 1
    assert catalog.server.count("/inma/ingestion-sources", "POST") == 1


def test_a_token_about_to_expire_is_refused_before_any_request(catalog: ScriptedCatalog) -> None:
    client = client_for(catalog)
    with pytest.raises(ValueError, match="source_min_validity"):
        client.ingestion.ingest(COLLECTION, f"{CONTAINER}/catalog.json", sas_token=sas(hours=0.1))
    with pytest.raises(ValueError, match="not both"):
        client.ingestion.ingest(COLLECTION, SasContainer(CONTAINER, sas()), sas_token=sas())
    with pytest.raises(ValueError, match="import_type"):
        client.ingestion.ingest(COLLECTION, f"{CONTAINER}/catalog.json", import_type="Zip")
    with pytest.raises(ValueError, match="http"):
        client.ingestion.ingest(COLLECTION, "catalog.json")
    with pytest.raises(TypeError, match="source"):
        client.ingestion.ingest(COLLECTION, {"type": "Feature"})
    assert catalog.server.count() == 0
    assert "secret" not in repr(SasContainer(CONTAINER, sas()))


# --------------------------------------------------------------------------------------------------
# preparing objects copied from another catalog


def test_prepare_drops_dynamic_assets_service_fields_and_foreign_links_and_cleans_ids() -> None:
    source = item(5)
    source["id"] = "LC08 L2SP/045:033"
    source["msft:region"] = "westeurope"
    source["properties"]["msft:short_description"] = "x"
    source["properties"]["_msft:etag"] = "abc"
    source["assets"]["tilejson"] = {"href": "https://pc.example/api/data/v1/item/tilejson.json"}
    source["assets"]["rendered_preview"] = {"href": "https://pc.example/api/data/v1/item/preview.png"}
    source["links"] = [
        {"rel": "self", "href": "https://pc.example/api/stac/v1/collections/x/items/y"},
        {"rel": "license", "href": "https://example.org/license"},
    ]
    prepared = prepare_for_geocatalog(source, collection_id=COLLECTION)
    value = prepared.value
    assert value["id"] == "LC08-L2SP-045-033" and prepared.original_id == "LC08 L2SP/045:033"
    assert set(value["assets"]) == {"image"}
    assert "msft:region" not in value and set(value["properties"]) == {"datetime", "version"}
    assert value["links"] == [{"rel": "license", "href": "https://example.org/license"}]
    assert value["collection"] == COLLECTION
    assert len(prepared.changes) == 8
    assert any("tilejson" in change for change in prepared.changes)
    assert source["assets"]["tilejson"]  # the input is untouched


def test_prepare_leaves_a_clean_object_alone_and_refuses_what_is_not_one() -> None:
    prepared = prepare_for_geocatalog(collection())
    assert prepared.changes == [] and prepared.value == collection()
    with pytest.raises(ValueError, match="id"):
        prepare_for_geocatalog({"type": "Feature"})
    with pytest.raises(ValueError, match="allows"):
        prepare_for_geocatalog({"id": "///"})
    with pytest.raises(TypeError, match="obj"):
        prepare_for_geocatalog(42)


def test_pystac_items_are_accepted() -> None:
    stac_item = pystac.Item.from_dict(item(9))
    prepared = prepare_for_geocatalog(stac_item, collection_id=COLLECTION)
    assert prepared.value["id"] == "scene-0009" and prepared.value["collection"] == COLLECTION


@pytest.mark.parametrize(
    ("url", "storage_hosts", "container", "no_container"),
    [
        (
            "https://acct.blob.core.windows.net/data/stac/catalog.json",
            None,
            "https://acct.blob.core.windows.net/data",
            "https://acct.blob.core.windows.net/catalog.json",
        ),
        (
            "http://127.0.0.1:10000/devstoreaccount1/data/catalog.json",
            None,
            "http://127.0.0.1:10000/devstoreaccount1/data",
            "http://127.0.0.1:10000/devstoreaccount1/catalog.json",
        ),
        (
            "http://localhost:10000/devstoreaccount1/data/x/items.parquet",
            None,
            "http://localhost:10000/devstoreaccount1/data",
            "http://localhost:10000/devstoreaccount1/items.parquet",
        ),
        (
            "http://azurite:10000/devstoreaccount1/data/catalog.json",
            ["azurite:10000"],
            "http://azurite:10000/devstoreaccount1/data",
            "http://azurite:10000/devstoreaccount1/catalog.json",
        ),
    ],
)
def test_the_source_container_of_a_url_follows_the_account_addressing(
    url: str, storage_hosts: list[str] | None, container: str, no_container: str
) -> None:
    """Virtual-host URLs name the container first; emulator (path-style) URLs name the account first."""
    from azure.planetarycomputer._publishing._ingest import resolve_source
    from azure.planetarycomputer._storage_hosts import StorageHosts

    hosts = StorageHosts(storage_hosts) if storage_hosts else None
    source = resolve_source(url, "se=2099-01-01T00:00:00Z&sp=rl&sig=x", None, hosts)
    assert source is not None and source.container_url == container
    with pytest.raises(ValueError, match="names no blob container"):
        resolve_source(no_container, "sig=x", None, hosts)
