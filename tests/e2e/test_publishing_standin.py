"""End-to-end publishing on the local GeoCatalog stand-in: ingest from items, static catalogs and
GeoParquet, re-runs without duplicates, and read-your-writes under the stand-in's visibility delay.

Some tests need stand-in features that may be missing from an older stand-in: Azurite storage
with real ingestion runs, the ``StacGeoparquet`` import type, and ``PUT /_standin/visibility-delay``.
Each such test probes the feature first and skips, saying which feature is missing, rather than
pass without testing anything.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer._ingestion_runs import IngestionRunError
from azure.planetarycomputer._publishing import IngestProgress, Outcome, UpsertSummary
from standin import BLOB_PORT, ENDPOINT, needs_standin

pytestmark = needs_standin

BLOB_ACCOUNT = "devstoreaccount1"
# Azurite's documented development account key: public, the same on every machine.
BLOB_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


class FakeCredential:
    """The stand-in accepts any bearer token."""

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        return AccessToken("fake-token", int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: object = None) -> AccessTokenInfo:
        return AccessTokenInfo("fake-token", int(time.time()) + 3600)


@pytest.fixture(scope="module")
def client() -> PlanetaryComputerProClient:
    return PlanetaryComputerProClient(ENDPOINT, FakeCredential())


@pytest.fixture
def collection_id(client: PlanetaryComputerProClient) -> Iterator[str]:
    """A fresh collection, deleted afterwards."""
    cid = f"publish-e2e-{uuid.uuid4().hex[:8]}"
    assert client.stac.ensure_collection(collection_body(cid)).outcome is Outcome.CREATED
    yield cid
    with contextlib.suppress(ResourceNotFoundError):
        client.stac.begin_delete_collection(cid).result()


def collection_body(cid: str, description: str = "Publishing end-to-end tests") -> dict[str, Any]:
    return {
        "id": cid,
        "type": "Collection",
        "stac_version": "1.0.0",
        "description": description,
        "license": "proprietary",
        "links": [],
        "extent": {
            "spatial": {"bbox": [[-180, -90, 180, 90]]},
            "temporal": {"interval": [["2020-01-01T00:00:00Z", None]]},
        },
    }


def stac_item(index: int, cid: str | None = None) -> dict[str, Any]:
    lon, lat = -84.0 + (index % 100) / 100, 33.0 + (index // 100) / 100
    body: dict[str, Any] = {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": f"item-{index:05d}",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "bbox": [lon, lat, lon, lat],
        "properties": {"datetime": "2021-06-01T00:00:00Z", "index": index},
        "assets": {},
        "links": [],
    }
    if cid is not None:
        body["collection"] = cid
    return body


def item_ids(client: PlanetaryComputerProClient, cid: str) -> list[str]:
    return [found.id for found in client.stac.search_items_paged(collections=[cid], limit=500)]


def admin(path: str, body: Any) -> int:
    """A PUT to a stand-in admin route; its status (404/405 when the stand-in lacks the route)."""
    request = urllib.request.Request(
        f"{ENDPOINT}{path}",
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Authorization": "Bearer e2e", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


# --------------------------------------------------------------------------------------------------
# items: works on today's stand-in


def test_ingest_2000_items_from_an_iterable_with_progress_then_again_without_duplicates(
    client: PlanetaryComputerProClient, collection_id: str
) -> None:
    seen: list[IngestProgress] = []
    items = (stac_item(i) for i in range(2000))
    summary = client.ingestion.ingest(collection_id, items, concurrency=32, progress=seen.append).result()
    assert isinstance(summary, UpsertSummary)
    assert (summary.created, len(summary.failed)) == (2000, 0), str(summary)
    assert len(seen) == 2000 and seen[-1] == IngestProgress(2000, 0, None)

    again = client.ingestion.ingest(
        collection_id, [stac_item(i) for i in range(2000)], concurrency=32
    ).result()
    assert (again.unchanged, again.created, len(again.failed)) == (2000, 0, 0), str(again)
    ids = item_ids(client, collection_id)
    assert len(ids) == 2000 and len(set(ids)) == 2000


def test_upserts_report_created_replaced_and_unchanged(
    client: PlanetaryComputerProClient, collection_id: str
) -> None:
    first = client.stac.upsert_items(collection_id, [stac_item(i) for i in range(5)], wait_visible=True)
    assert first.created == 5
    changed = [stac_item(i) for i in range(5)]
    changed[0]["properties"]["index"] = 100
    second = client.stac.upsert_items(collection_id, changed, wait_visible=True)
    assert (second.replaced, second.unchanged) == (1, 4)
    assert client.stac.get_item(collection_id, "item-00000").properties["index"] == 100
    outcome = client.stac.ensure_collection(collection_body(collection_id, "changed"), wait_visible=True)
    assert outcome.outcome is Outcome.REPLACED
    # Creating what exists is a ResourceExistsError, however the service reports it.
    with pytest.raises(ResourceExistsError):
        client.stac.begin_create_item(collection_id, stac_item(1)).result()
    with pytest.raises(ResourceExistsError):
        client.stac.begin_create_collection(collection_body(collection_id)).result()


# --------------------------------------------------------------------------------------------------
# read-your-writes under the visibility-delay mode


@pytest.fixture
def visibility_delay() -> Iterator[float]:
    seconds = 1.5
    status = admin("/_standin/visibility-delay", {"seconds": seconds})
    assert status < 300, f"PUT /_standin/visibility-delay answered {status}"
    yield seconds
    assert admin("/_standin/visibility-delay", {"seconds": 0}) < 300


def test_wait_visible_under_the_stand_ins_visibility_delay(
    client: PlanetaryComputerProClient, visibility_delay: float
) -> None:
    cid = f"publish-delay-{uuid.uuid4().hex[:8]}"
    start = time.monotonic()
    assert client.stac.ensure_collection(collection_body(cid), wait_visible=True).outcome is Outcome.CREATED
    assert time.monotonic() - start >= visibility_delay * 0.9
    assert client.stac.get_collection(cid).id == cid  # readable right away, no sleep

    summary = client.stac.upsert_items(cid, [stac_item(1)], wait_visible=True)
    assert summary.created == 1
    assert client.stac.get_item(cid, "item-00001").id == "item-00001"

    changed = stac_item(1)
    changed["properties"]["index"] = 7
    assert client.stac.upsert_items(cid, [changed], wait_visible=True).replaced == 1
    assert client.stac.get_item(cid, "item-00001").properties["index"] == 7

    client.stac.begin_delete_item(cid, "item-00001").result()
    client.stac.wait_until_visible(cid, item_id="item-00001", exists=False, timeout=30)
    with pytest.raises(ResourceNotFoundError):
        client.stac.get_item(cid, "item-00001")

    client.stac.begin_delete_collection(cid).result()
    client.stac.wait_until_visible(cid, exists=False, timeout=30)
    with pytest.raises(ResourceNotFoundError):
        client.stac.get_collection(cid)


# --------------------------------------------------------------------------------------------------
# static catalog and GeoParquet from Azurite


def azurite_container() -> tuple[str, str]:
    """A new container in the stand-in's Azurite storage and a read SAS for it."""
    from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas

    account_url = f"http://127.0.0.1:{BLOB_PORT}/{BLOB_ACCOUNT}"
    name = f"publish-e2e-{uuid.uuid4().hex[:8]}"
    service = BlobServiceClient(
        account_url, credential={"account_name": BLOB_ACCOUNT, "account_key": BLOB_KEY}
    )
    service.create_container(name)
    token = generate_container_sas(
        BLOB_ACCOUNT,
        name,
        account_key=BLOB_KEY,
        permission=ContainerSasPermissions(read=True, list=True),
        expiry=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2),
    )
    return f"{account_url}/{name}", token


def upload(container_url: str, path: str, data: bytes) -> None:
    from azure.storage.blob import BlobClient

    blob = BlobClient.from_blob_url(
        f"{container_url}/{path}", credential={"account_name": BLOB_ACCOUNT, "account_key": BLOB_KEY}
    )
    blob.upload_blob(data, overwrite=True)


def run_counts(run: Any) -> tuple[int, int, int]:
    operation = run.operation
    return operation.total_items, operation.total_successful_items, operation.total_failed_items


def test_ingest_a_static_catalog_with_broken_items_then_again(
    client: PlanetaryComputerProClient, collection_id: str
) -> None:
    container_url, token = azurite_container()
    links = [{"rel": "item", "href": f"./items/{i}.json", "type": "application/json"} for i in range(7)]
    catalog = {"type": "Catalog", "id": "e2e", "stac_version": "1.0.0", "description": "e2e", "links": links}
    upload(container_url, "catalog.json", json.dumps(catalog).encode())
    for i in range(5):
        upload(container_url, f"items/{i}.json", json.dumps(stac_item(i)).encode())
    undated = stac_item(5)
    undated["properties"]["datetime"] = "not a date"
    upload(container_url, "items/5.json", json.dumps(undated).encode())
    broken = stac_item(6)
    broken["geometry"] = {"type": "Polygon", "coordinates": "nowhere"}
    upload(container_url, "items/6.json", json.dumps(broken).encode())

    url = f"{container_url}/catalog.json"
    try:
        run = client.ingestion.ingest(collection_id, url, sas_token=token, polling_timeout=300).result()
    except IngestionRunError as error:  # a run with failed items may end Failed
        run = error.run
        assert error.errors, "a failed run names its reasons"
    assert run_counts(run) == (7, 5, 2)
    with contextlib.suppress(IngestionRunError):  # the broken items fail again
        client.ingestion.ingest(collection_id, url, sas_token=token, polling_timeout=300).result()
    ids = item_ids(client, collection_id)
    assert sorted(ids) == [f"item-{i:05d}" for i in range(5)]
    sources = [s for s in client.ingestion.list_sources() if s.kind == "SasToken"]
    matching = [
        s for s in sources if client.ingestion.get_source(s.id).connection_info.container_uri == container_url
    ]
    assert len(matching) == 1
    assert len([d for d in client.ingestion.list(collection_id)]) == 1


def test_ingest_a_geoparquet_file_then_again(
    client: PlanetaryComputerProClient, collection_id: str, tmp_path: Path
) -> None:
    container_url, token = azurite_container()
    sgp_arrow = importlib.import_module("stac_geoparquet.arrow")

    items = [stac_item(i, collection_id) for i in range(20)]
    for index, item in enumerate(items):  # Arrow cannot store an empty struct: each item has an asset
        upload(container_url, f"metadata/{index}.json", b"{}")
        item["assets"] = {
            "metadata": {"href": f"{container_url}/metadata/{index}.json", "roles": ["metadata"]}
        }
    table = sgp_arrow.parse_stac_items_to_arrow(items).read_all()
    local = tmp_path / "items.parquet"
    sgp_arrow.to_parquet(table, local)  # with the GeoParquet metadata readers look for
    upload(container_url, "items.parquet", local.read_bytes())
    url = f"{container_url}/items.parquet"
    poller = client.ingestion.ingest(collection_id, url, sas_token=token, polling_timeout=300)
    assert run_counts(poller.result()) == (20, 20, 0)
    client.ingestion.ingest(collection_id, url, sas_token=token, polling_timeout=300).result()
    ids = item_ids(client, collection_id)
    assert len(ids) == 20 and len(set(ids)) == 20
