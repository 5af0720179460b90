"""Publishing with the async client, on the scripted GeoCatalog of ``test_publishing``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from _capture import FakeAsyncTokenCredential
from azure.core.exceptions import ResourceExistsError
from azure.planetarycomputer._ingestion_runs import IngestionRunError
from azure.planetarycomputer._publishing import IngestProgress, Outcome, UpsertSummary, VisibilityTimeoutError
from azure.planetarycomputer.aio import PlanetaryComputerProClient
from test_publishing import COLLECTION, CONTAINER, ScriptedCatalog, collection, item, sas


def client_for(catalog: ScriptedCatalog, **kwargs: Any) -> PlanetaryComputerProClient:
    return PlanetaryComputerProClient(catalog.server.url, FakeAsyncTokenCredential(), **kwargs)


@pytest.fixture
def catalog() -> Any:
    from fault_server import FaultServer

    with FaultServer() as server:
        yield ScriptedCatalog(server)


async def test_ensure_collection_and_items_wait_until_visible(catalog: ScriptedCatalog) -> None:
    catalog.visibility_delay = 0.6
    async with client_for(catalog) as client:
        start = time.monotonic()
        outcome = await client.stac.ensure_collection(collection(), wait_visible=True)
        assert outcome.outcome is Outcome.CREATED and time.monotonic() - start >= 0.6
        summary = await client.stac.upsert_items(COLLECTION, [item(i) for i in range(4)], wait_visible=True)
        assert summary.created == 4
        assert (await client.stac.get_item(COLLECTION, "scene-0003")).id == "scene-0003"
        catalog.visibility_delay = 30
        await client.stac.upsert_items(COLLECTION, [item(9)])
        with pytest.raises(VisibilityTimeoutError, match="scene-0009"):
            await client.stac.wait_until_visible(COLLECTION, item_id="scene-0009", timeout=0.5)


async def test_429s_conflicts_and_reruns_create_nothing_twice(catalog: ScriptedCatalog) -> None:
    catalog.throttle_creates = 1

    async def items() -> AsyncIterator[dict[str, Any]]:
        for i in range(6):
            yield item(i)

    seen: list[IngestProgress] = []
    async with client_for(catalog, retry_total=0) as client:
        poller = await client.ingestion.ingest(COLLECTION, items(), concurrency=3, progress=seen.append)
        first = await poller.result()
        assert isinstance(first, UpsertSummary) and first.created == 6
        assert seen[-1] == IngestProgress(6, 0, None)
        await asyncio.sleep(catalog.operation_seconds)
        again = await (await client.ingestion.ingest(COLLECTION, [item(i) for i in range(6)])).result()
        assert again.unchanged == 6
        with pytest.raises(ResourceExistsError):
            await (await client.stac.begin_create_item(COLLECTION, item(0))).result()
    assert sorted(catalog.created_items) == [f"scene-{i:04d}" for i in range(6)]


async def test_ingest_from_a_url_refreshes_the_source_and_reuses_the_definition(
    catalog: ScriptedCatalog,
) -> None:
    catalog.run_script = [
        ("Failed", 2, 8, "IngestionResourceForbidden: Error retrieving content from sas token source."),
        ("Succeeded", 10, 0, None),
    ]
    url = f"{CONTAINER}/catalog.json"
    async with client_for(catalog, polling_interval=0.05) as client:
        with pytest.raises(IngestionRunError, match="IngestionResourceForbidden"):
            await (await client.ingestion.ingest(COLLECTION, url, sas_token=sas(hours=0.5))).result()
        fresh = sas(hours=24, tag="new")
        run = await (await client.ingestion.ingest(COLLECTION, url, sas_token=fresh)).result()
        assert run.operation.status == "Succeeded"
        with pytest.raises(ValueError, match="source_min_validity"):
            await client.ingestion.ingest(COLLECTION, url, sas_token=sas(hours=0.1))
    [source] = catalog.sources.values()
    assert source["token"] == fresh
    assert len(catalog.definitions) == 1 and len(catalog.runs) == 2
    assert catalog.server.count("/inma/ingestion-sources", "POST") == 1
